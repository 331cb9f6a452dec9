//! The test executor (`test_executor.py`, a v1 HTTP executor) for the
//! simulator's tests: serving it as a driver serves its executor, tasks
//! that run it, and reading a task's updates (acknowledged).

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use rmesos_common::wire::codec::Encoding;
use rmesos_common::wire::scheduler::{Call, call};
use rmesos_common::wire::v1;
use tokio::sync::Notify;

use super::{Stream, post, simple_call};

const SCRIPT: &str = include_str!("test_executor.py");

/// Serves the test executor script over HTTP; answers each download once
/// `gate` (if any) is notified. Returns the script's URL.
pub async fn serve_executor_after(gate: Option<Arc<Notify>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let serve = move || {
        let gate = gate.clone();
        async move {
            if let Some(gate) = gate {
                gate.notified().await;
            }
            SCRIPT
        }
    };
    let app = Router::new().route("/files/test_executor.py", get(serve));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://127.0.0.1:{port}/files/test_executor.py")
}

/// Serves the test executor script over HTTP, as a driver serves its executor.
pub async fn serve_executor() -> String {
    serve_executor_after(None).await
}

/// A task on `offer`'s agent run by the test executor (`test-executor`),
/// with `data` (b"hang": it runs until killed).
pub fn task(id: &str, offer: &v1::Offer, uri: &str, data: &[u8]) -> v1::TaskInfo {
    let scalar = |name: &str, value: f64| v1::Resource {
        name: name.into(),
        r#type: v1::value::Type::Scalar as i32,
        scalar: Some(v1::value::Scalar { value }),
        role: Some("*".into()),
        ..Default::default()
    };
    v1::TaskInfo {
        name: id.into(),
        task_id: v1::TaskId { value: id.into() },
        agent_id: offer.agent_id.clone(),
        resources: vec![scalar("cpus", 0.5), scalar("mem", 64.0)],
        executor: Some(v1::ExecutorInfo {
            r#type: Some(v1::executor_info::Type::Custom as i32),
            executor_id: v1::ExecutorId {
                value: "test-executor".into(),
            },
            command: Some(v1::CommandInfo {
                uris: vec![v1::command_info::Uri {
                    value: uri.into(),
                    executable: Some(true),
                    extract: Some(false),
                    ..Default::default()
                }],
                value: Some("python3 test_executor.py".into()),
                ..Default::default()
            }),
            resources: vec![scalar("cpus", 0.1), scalar("mem", 32.0)],
            ..Default::default()
        }),
        data: Some(data.to_vec()),
        ..Default::default()
    }
}

pub async fn ack(url: &str, stream: &Stream, fid: &str, status: &v1::TaskStatus) {
    let ack = Call {
        acknowledge: Some(call::Acknowledge {
            agent_id: status.agent_id.clone().unwrap(),
            task_id: status.task_id.clone(),
            uuid: status.uuid.clone().unwrap(),
        }),
        ..simple_call(call::Type::Acknowledge, fid)
    };
    assert_eq!(
        post(url, &ack, Encoding::Protobuf, Some(&stream.stream_id), None)
            .await
            .status(),
        202
    );
}

/// Next update for `task`, acknowledged.
pub async fn next_update(url: &str, stream: &mut Stream, fid: &str, task: &str) -> v1::TaskStatus {
    loop {
        let status = stream.next_status().await;
        if status.uuid.is_some() {
            ack(url, stream, fid, &status).await;
        }
        if status.task_id.value == task {
            return status;
        }
    }
}
