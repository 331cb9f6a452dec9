//! The simulated agents refuse executor calls as Mesos 1.12 does: the
//! status codes and texts of `Http::executor` and the checks of
//! `validateExecutorCall` (see `agent::validation` for the list), among
//! them the one that made real Mesos refuse what the simulator once took:
//! a status uuid that is not an RFC 4122 UUID.

mod support;

use std::sync::Arc;

use base64::Engine;
use reqwest::Method;
use rmesos_common::wire::codec::Encoding;
use rmesos_common::wire::v1::TaskState;
use rmesos_mesos_sim::zookeeper::ZooKeeperServer;
use serde_json::{Value, json};
use support::executor::*;
use support::raw::{assert_refused, post_json, request};
use support::*;

const VALIDATE: &str = "Failed to validate Executor::Call: ";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn fresh_uuid() -> String {
    b64(uuid::Uuid::new_v4().as_bytes())
}

/// An UPDATE from `test-executor` of framework `fid` about task `hold`.
fn update(fid: &str, status: Value) -> Value {
    let mut full = json!({"task_id": {"value": "hold"}, "state": "TASK_RUNNING",
                          "source": "SOURCE_EXECUTOR", "uuid": fresh_uuid()});
    for (key, value) in status.as_object().unwrap() {
        full[key] = value.clone();
    }
    json!({"type": "UPDATE", "framework_id": {"value": fid},
           "executor_id": {"value": "test-executor"}, "update": {"status": full}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executor_calls_are_checked_as_the_mesos_agent_checks_them() {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = cluster(&zk, "/val-exec", |c| {
        c.masters = 1;
        c.agents = 1;
    })
    .await;
    let gate = Arc::new(tokio::sync::Notify::new());
    let uri = serve_executor_after(Some(Arc::clone(&gate))).await;
    let url = sim.leader_url().unwrap();
    let api = format!("{}/api/v1/executor", sim.agent_urls()[0]);
    let mut stream = subscribe(&url, None, Encoding::Protobuf).await;
    let fid = framework_id(&stream.next().await.unwrap());
    let offer = stream.next_offer().await;
    call_ok(
        &url,
        &stream,
        &launch_call(&fid, &offer, vec![task("hold", &offer, &uri, b"hang")]),
    )
    .await;
    sim.wait_until("the executor to be launched", DEADLINE, |s| {
        !s.agents[0].executors.is_empty()
    })
    .await
    .unwrap();

    // Launched, still being fetched: only SUBSCRIBE is taken from it.
    let early = post_json(&api, &update(&fid, json!({})), &[]).await;
    assert_refused(&early, 403, "Executor is not subscribed");
    gate.notify_one();
    let running = next_update(&url, &mut stream, &fid, "hold").await;
    assert_eq!(running.state, TaskState::TaskRunning as i32);

    let get = request(Method::GET, &api, &[], vec![]).await;
    assert_refused(
        &get,
        405,
        "405 Method Not Allowed. Expecting one of { 'POST' }, but received 'GET'.",
    );
    assert_eq!(get.allow.as_deref(), Some("POST"));
    let none = request(Method::POST, &api, &[], b"{}".to_vec()).await;
    assert_refused(&none, 400, "Expecting 'Content-Type' to be present");
    let plain = request(
        Method::POST,
        &api,
        &[("Content-Type", "text/plain")],
        b"{}".to_vec(),
    )
    .await;
    assert_refused(
        &plain,
        415,
        "Expecting 'Content-Type' of application/json or application/x-protobuf",
    );
    // type UPDATE only: no executor_id, no framework_id.
    let protobuf = [("Content-Type", "application/x-protobuf")];
    let partial = request(Method::POST, &api, &protobuf, vec![0x18, 0x02]).await;
    assert_refused(&partial, 400, "Failed to parse body into Call protobuf");
    let convert = "Failed to convert JSON into Call protobuf: ";
    assert_refused(
        &post_json(&api, &json!({"type": "HEARTBEAT"}), &[]).await,
        400,
        &format!("{convert}Missing required fields: executor_id, framework_id"),
    );
    let mut stateless = update(&fid, json!({}));
    stateless["update"]["status"]
        .as_object_mut()
        .unwrap()
        .remove("state");
    assert_refused(
        &post_json(&api, &stateless, &[]).await,
        400,
        &format!("{convert}Missing required fields: update.status.state"),
    );

    let refused = |call: Value, why: String| {
        let api = api.clone();
        async move {
            assert_refused(
                &post_json(&api, &call, &[]).await,
                400,
                &format!("{VALIDATE}{why}"),
            )
        }
    };
    let ids = json!({"framework_id": {"value": fid}, "executor_id": {"value": "test-executor"}});
    let with = |extra: Value| {
        let mut call = ids.clone();
        for (key, value) in extra.as_object().unwrap() {
            call[key] = value.clone();
        }
        call
    };
    refused(ids.clone(), "Expecting 'type' to be present".into()).await;
    refused(
        with(json!({"type": "SUBSCRIBE"})),
        "Expecting 'subscribe' to be present".into(),
    )
    .await;
    refused(
        with(json!({"type": "UPDATE"})),
        "Expecting 'update' to be present".into(),
    )
    .await;
    refused(
        with(json!({"type": "MESSAGE"})),
        "Expecting 'message' to be present".into(),
    )
    .await;
    let mut no_uuid = update(&fid, json!({}));
    no_uuid["update"]["status"]
        .as_object_mut()
        .unwrap()
        .remove("uuid");
    refused(no_uuid, "Expecting 'uuid' to be present".into()).await;
    let mut random = *uuid::Uuid::new_v4().as_bytes();
    random[6] &= 0x0f; // 16 random bytes without a version
    for bad in [random.to_vec(), vec![0x40; 15], vec![]] {
        refused(
            update(&fid, json!({"uuid": b64(&bad)})),
            "Not a valid UUID".into(),
        )
        .await;
    }
    refused(
        update(&fid, json!({"executor_id": {"value": "another"}})),
        "ExecutorID in Call: test-executor does not match ExecutorID in TaskStatus: another".into(),
    )
    .await;
    let wrong_source = format!(
        "Received Call from executor test-executor of framework {fid} with invalid source, expecting 'SOURCE_EXECUTOR'"
    );
    refused(
        update(&fid, json!({"source": "SOURCE_AGENT"})),
        wrong_source.clone(),
    )
    .await;
    let mut sourceless = update(&fid, json!({}));
    sourceless["update"]["status"]
        .as_object_mut()
        .unwrap()
        .remove("source");
    refused(sourceless, wrong_source).await;
    refused(
        update(&fid, json!({"state": "TASK_STAGING"})),
        format!("Received TASK_STAGING from executor test-executor of framework {fid} which is not allowed"),
    )
    .await;

    let subscribe = with(json!({"type": "SUBSCRIBE", "subscribe": {}}));
    assert_refused(
        &post_json(&api, &subscribe, &[("Accept", "text/html")]).await,
        406,
        "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'",
    );
    let stranger =
        json!({"type": "HEARTBEAT", "framework_id": {"value": "x"}, "executor_id": {"value": "y"}});
    assert_eq!(post_json(&api, &stranger, &[]).await.status, 202);
    let mut other_framework = update("no-such-framework", json!({}));
    other_framework["framework_id"] = json!({"value": "no-such-framework"});
    assert_refused(
        &post_json(&api, &other_framework, &[]).await,
        400,
        "Framework cannot be found",
    );
    let mut other_executor = update(&fid, json!({}));
    other_executor["executor_id"] = json!({"value": "no-such-executor"});
    assert_refused(
        &post_json(&api, &other_executor, &[]).await,
        400,
        "Executor cannot be found",
    );
    let unknown = with(json!({"type": "UNKNOWN"}));
    assert_refused(
        &post_json(&api, &unknown, &[]).await,
        501,
        "501 Not Implemented.",
    );

    // A version 4 uuid goes through, to the framework.
    let good = update(&fid, json!({"message": "by hand"}));
    assert_eq!(post_json(&api, &good, &[]).await.status, 202);
    let status = next_update(&url, &mut stream, &fid, "hold").await;
    assert_eq!(status.message.as_deref(), Some("by hand"));
}
