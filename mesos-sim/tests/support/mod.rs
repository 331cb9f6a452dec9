//! Helpers for the simulator's tests: a cluster on a real ZooKeeper, a
//! bare scheduler speaking the v1 API over reqwest (no rmesos code), and
//! the test executor (`executor`).

#![allow(dead_code)]

pub mod conversation;
pub mod executor;
pub mod raw;

use std::time::Duration;

use bytes::BytesMut;
use futures::StreamExt;
use rmesos_common::wire::codec::Encoding;
use rmesos_common::wire::recordio::RecordIoDecoder;
use rmesos_common::wire::scheduler::{Call, Event, call, event};
use rmesos_common::wire::v1::{self, FrameworkId, FrameworkInfo};
use rmesos_mesos_sim::zookeeper::ZooKeeperServer;
use rmesos_mesos_sim::{ClusterConfig, SimCluster};

pub const DEADLINE: Duration = Duration::from_secs(20);

pub async fn cluster(
    zk: &ZooKeeperServer,
    path: &str,
    tweak: impl FnOnce(&mut ClusterConfig),
) -> SimCluster {
    let mut config = ClusterConfig {
        zk_connect: zk.connect_string(),
        zk_path: path.into(),
        heartbeat_interval: Duration::from_millis(200),
        status_update_retry: Duration::from_millis(300),
        // Mesos' 1 s would slow every test that waits for freed resources.
        allocation_interval: Duration::from_millis(50),
        ..Default::default()
    };
    tweak(&mut config);
    SimCluster::start(config).await.unwrap()
}

pub fn subscribe_call(id: Option<&str>) -> Call {
    Call {
        framework_id: id.map(|v| FrameworkId { value: v.into() }),
        r#type: Some(call::Type::Subscribe as i32),
        subscribe: Some(call::Subscribe {
            framework_info: FrameworkInfo {
                // An account of every Linux machine: the simulated agents,
                // like Mesos', run executors only for users they know.
                user: "root".into(),
                name: "sim-test".into(),
                id: id.map(|v| FrameworkId { value: v.into() }),
                failover_timeout: Some(3600.0),
                principal: Some("tester".into()),
                ..Default::default()
            },
            suppressed_roles: vec![],
        }),
        ..Default::default()
    }
}

/// An open subscription: the stream id and a reader of events.
pub struct Stream {
    pub stream_id: String,
    body: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buffer: BytesMut,
    decoder: RecordIoDecoder,
    encoding: Encoding,
    /// OFFERS events passed over while waiting for another kind.
    skipped_offers: std::collections::VecDeque<Event>,
}

impl Stream {
    pub async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(record) = self.decoder.decode_next(&mut self.buffer).unwrap() {
                return Some(self.encoding.decode(&record).unwrap());
            }
            let chunk = tokio::time::timeout(DEADLINE, self.body.next())
                .await
                .expect("event in time")?
                .ok()?;
            self.buffer.extend_from_slice(&chunk);
        }
    }

    /// The first offer of the next OFFERS event (one that came while
    /// waiting for another kind of event counts).
    pub async fn next_offer(&mut self) -> v1::Offer {
        let event = match self.skipped_offers.pop_front() {
            Some(event) => event,
            None => self.next_of(event::Type::Offers).await,
        };
        let offers = event.offers;
        offers
            .and_then(|o| o.offers.into_iter().next())
            .expect("an offer")
    }

    /// The status of the next UPDATE event.
    pub async fn next_status(&mut self) -> v1::TaskStatus {
        let update = self.next_of(event::Type::Update).await.update;
        update.expect("UPDATE carries an update").status
    }

    /// The next event of `kind`, skipping heartbeats and others.
    pub async fn next_of(&mut self, kind: event::Type) -> Event {
        loop {
            let event = self.next().await.expect("stream open");
            if event.r#type == Some(kind as i32) {
                return event;
            }
            if event.r#type == Some(event::Type::Offers as i32) {
                self.skipped_offers.push_back(event);
            }
        }
    }
}

pub async fn post(
    url: &str,
    call: &Call,
    encoding: Encoding,
    stream_id: Option<&str>,
    auth: Option<(&str, &str)>,
) -> reqwest::Response {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut request = client
        .post(format!("{url}/api/v1/scheduler"))
        .header("Content-Type", encoding.media_type())
        .header("Accept", encoding.media_type())
        .body(encoding.encode(call).unwrap());
    if let Some(id) = stream_id {
        request = request.header("Mesos-Stream-Id", id);
    }
    if let Some((user, secret)) = auth {
        request = request.basic_auth(user, Some(secret));
    }
    request.send().await.unwrap()
}

pub async fn subscribe(url: &str, id: Option<&str>, encoding: Encoding) -> Stream {
    subscribe_with(url, &subscribe_call(id), encoding).await
}

/// Subscribes with a hand-made SUBSCRIBE call.
pub async fn subscribe_with(url: &str, call: &Call, encoding: Encoding) -> Stream {
    let response = post(url, call, encoding, None, None).await;
    assert_eq!(
        response.status(),
        200,
        "{}",
        response.text().await.unwrap_or_default()
    );
    let stream_id = response.headers()["Mesos-Stream-Id"]
        .to_str()
        .unwrap()
        .to_owned();
    Stream {
        stream_id,
        body: response.bytes_stream().boxed(),
        buffer: BytesMut::new(),
        decoder: RecordIoDecoder::new(),
        encoding,
        skipped_offers: std::collections::VecDeque::new(),
    }
}

/// A SUBSCRIBE Mesos refuses after taking it: 200, then one ERROR event
/// and the end of the stream. Returns the error's message.
pub async fn refused_subscription(url: &str, call: &Call, encoding: Encoding) -> String {
    let mut stream = subscribe_with(url, call, encoding).await;
    let error = stream.next().await.expect("an ERROR event");
    assert_eq!(error.r#type, Some(event::Type::Error as i32), "{error:?}");
    assert!(stream.next().await.is_none(), "the stream ends");
    error.error.expect("ERROR carries an error").message
}

pub fn framework_id(event: &Event) -> String {
    event
        .subscribed
        .as_ref()
        .unwrap()
        .framework_id
        .value
        .clone()
}

pub fn simple_call(kind: call::Type, fid: &str) -> Call {
    Call {
        framework_id: Some(FrameworkId { value: fid.into() }),
        r#type: Some(kind as i32),
        ..Default::default()
    }
}

/// ACCEPT of `offer` launching `tasks`.
pub fn launch_call(fid: &str, offer: &v1::Offer, tasks: Vec<v1::TaskInfo>) -> Call {
    Call {
        accept: Some(call::Accept {
            offer_ids: vec![offer.id.clone()],
            operations: vec![v1::offer::Operation {
                r#type: Some(v1::offer::operation::Type::Launch as i32),
                launch: Some(v1::offer::operation::Launch { task_infos: tasks }),
                ..Default::default()
            }],
            filters: None,
        }),
        ..simple_call(call::Type::Accept, fid)
    }
}

/// Sends a non-SUBSCRIBE call on this subscription; the master must take
/// it (202).
pub async fn call_ok(url: &str, stream: &Stream, call: &Call) {
    let response = post(url, call, stream.encoding, Some(&stream.stream_id), None).await;
    assert_eq!(
        response.status(),
        202,
        "{}",
        response.text().await.unwrap_or_default()
    );
}
