//! The executors' channels on the driver's data server, over real
//! loopback HTTP: only announced executors are answered, the message
//! stream starts with a heartbeat and carries what the engine sends,
//! reports and heartbeats become events, a stream that ends is reported
//! with its serial, and a forgotten executor gets 404.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use bytes::BytesMut;
use futures::StreamExt;
use reqwest::{Client, StatusCode};
use rmesos_common::lease::{DriverMessage, failure_path, result_path};
use rmesos_common::partition::{PartitionSource, PartitionSpec};
use rmesos_common::pinned_tls::pinned_client_config;
use rmesos_common::stats::ColumnSummary;
use rmesos_common::task::{FailureKind, TaskFailure};
use rmesos_common::wire::recordio::RecordIoDecoder;
use rmesos_scheduler::dataserver::{
    AttemptOutcome, ChannelEvent, DataServer, DataServerConfig, ExecutorSource,
};
use tokio::sync::mpsc::UnboundedReceiver;

const WAIT: Duration = Duration::from_secs(10);

async fn start(heartbeat: Duration) -> DataServer {
    let config = DataServerConfig {
        bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        heartbeat,
        ..DataServerConfig::new(ExecutorSource::AgentPath("/opt/rmesos-executor".into()))
    };
    DataServer::start(config).await.expect("data server starts")
}

/// A client as executors make it: pinning the server's certificate (TLS
/// is on by default).
fn client(server: &DataServer) -> Client {
    let pin = server.certificate_sha256().expect("TLS is on");
    Client::builder()
        .no_proxy()
        .use_preconfigured_tls(pinned_client_config(pin).expect("a valid pin"))
        .build()
        .expect("client")
}

async fn next_event(events: &mut UnboundedReceiver<ChannelEvent>) -> ChannelEvent {
    tokio::time::timeout(WAIT, events.recv())
        .await
        .expect("an event in time")
        .expect("the channel events go on")
}

/// Reads RecordIO frames of driver messages off a streaming response.
struct MessageReader {
    response: reqwest::Response,
    buffer: BytesMut,
    decoder: RecordIoDecoder,
}

impl MessageReader {
    async fn next(&mut self) -> Option<DriverMessage> {
        loop {
            if let Some(record) = self.decoder.decode_next(&mut self.buffer).expect("framing") {
                return Some(DriverMessage::from_bytes(&record).expect("a message"));
            }
            let chunk = tokio::time::timeout(WAIT, self.response.chunk())
                .await
                .expect("a chunk in time")
                .expect("the stream reads")?;
            self.buffer.extend_from_slice(&chunk);
        }
    }
}

#[tokio::test]
async fn an_announced_executor_talks_over_its_channel() {
    let server = start(Duration::from_millis(100)).await;
    let mut events = server.channel_events().expect("the events, once");
    assert!(server.channel_events().is_none());
    let channel = server.expect_executor("rmesos-executor-1");
    let base = channel.expose().to_owned();
    assert!(
        base.ends_with("/executors/rmesos-executor-1"),
        "{}",
        channel.redacted()
    );

    let response = client(&server)
        .get(format!("{base}/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut reader = MessageReader {
        response,
        buffer: BytesMut::new(),
        decoder: RecordIoDecoder::new(),
    };
    assert_eq!(reader.next().await, Some(DriverMessage::Heartbeat));
    let ChannelEvent::Connected { executor_id, link } = next_event(&mut events).await else {
        panic!("the stream's opening comes first");
    };
    assert_eq!(executor_id, "rmesos-executor-1");

    // What the engine sends arrives in order; silence brings heartbeats.
    let spec = PartitionSpec {
        job_id: "job".into(),
        partition_id: 3,
        source: PartitionSource::NpyRows {
            path: "/data/x.npy".into(),
            rows: 0..10,
        },
        request: Default::default(),
    };
    let assign = DriverMessage::Assign { attempt: 1, spec };
    assert!(link.send(assign.clone()));
    assert!(link.send(DriverMessage::Cancel { attempt: 1 }));
    assert_eq!(reader.next().await, Some(assign));
    assert_eq!(
        reader.next().await,
        Some(DriverMessage::Cancel { attempt: 1 })
    );
    assert_eq!(reader.next().await, Some(DriverMessage::Heartbeat));

    // Reports and heartbeats become events.
    let mut summary = ColumnSummary::new(2);
    summary.add_rows(&[1.0, 2.0, 3.0, 4.0]).unwrap();
    let posted = client(&server)
        .post(format!("{base}/{}", result_path(1)))
        .body(summary.to_bytes())
        .send()
        .await
        .unwrap();
    assert!(posted.status().is_success(), "{}", posted.status());
    match next_event(&mut events).await {
        ChannelEvent::Report {
            attempt: 1,
            outcome: AttemptOutcome::Summary(got),
            ..
        } => assert_eq!(got.count(), 2),
        other => panic!("not the result: {other:?}"),
    }
    let failure = TaskFailure::new(FailureKind::BadInput, "line 3 of x.csv: not a number");
    client(&server)
        .post(format!("{base}/{}", failure_path(2)))
        .body(failure.to_bytes())
        .send()
        .await
        .unwrap();
    match next_event(&mut events).await {
        ChannelEvent::Report {
            attempt: 2,
            outcome: AttemptOutcome::Failure(got),
            ..
        } => assert_eq!(got, failure),
        other => panic!("not the failure: {other:?}"),
    }
    let beat = client(&server)
        .post(format!("{base}/heartbeat"))
        .send()
        .await
        .unwrap();
    assert!(beat.status().is_success());
    assert!(matches!(
        next_event(&mut events).await,
        ChannelEvent::Heartbeat { .. }
    ));

    // The executor goes away: the end of that very stream is reported.
    drop(reader);
    match next_event(&mut events).await {
        ChannelEvent::Closed { serial, .. } => assert_eq!(serial, link.serial),
        other => panic!("not the close: {other:?}"),
    }
}

#[tokio::test]
async fn unknown_and_forgotten_executors_get_404() {
    let server = start(Duration::from_millis(100)).await;
    let channel = server.expect_executor("e-1");
    let base = channel.expose().to_owned();
    let other = base.replace("/e-1", "/e-2");
    for url in [format!("{other}/events"), format!("{base}/nothing")] {
        let status = client(&server).get(&url).send().await.unwrap().status();
        assert_eq!(status, StatusCode::NOT_FOUND, "GET {url}");
    }
    // Reports go by POST only.
    let get = client(&server)
        .get(format!("{base}/{}", result_path(1)))
        .send()
        .await;
    assert_eq!(get.unwrap().status(), StatusCode::NOT_FOUND);
    server.forget_executor("e-1");
    for path in ["heartbeat".to_owned(), result_path(1)] {
        let status = client(&server)
            .post(format!("{base}/{path}"))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, StatusCode::NOT_FOUND, "POST {path}");
    }
    let events = client(&server)
        .get(format!("{base}/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_dropped_link_ends_the_stream() {
    let server = start(Duration::from_secs(30)).await;
    let mut events = server.channel_events().unwrap();
    let base = server.expect_executor("e-1").expose().to_owned();
    let response = client(&server)
        .get(format!("{base}/events"))
        .send()
        .await
        .unwrap();
    let ChannelEvent::Connected { link, .. } = next_event(&mut events).await else {
        panic!("connected first");
    };
    // The engine forgets the executor: its stream ends, not at the
    // next heartbeat 30 s away, but now.
    drop(link);
    let mut body = response.bytes_stream();
    let ended = tokio::time::timeout(WAIT, async {
        while let Some(chunk) = body.next().await {
            if chunk.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream did not end");
}
