//! The master's framework failover timeout, as the Mesos scheduler HTTP
//! API docs describe it: a framework whose subscription connection
//! closes (here: the client drops it, as a killed scheduler's kernel
//! does) is disconnected and inactive; SUBSCRIBE with its id within
//! `FrameworkInfo.failover_timeout` keeps it and its tasks; otherwise the
//! master removes it then (tasks killed, executors shut down, a completed
//! framework), and at once when the timeout is 0.

mod support;

use std::time::{Duration, Instant};

use rmesos_common::wire::codec::Encoding;
use rmesos_common::wire::scheduler::Call;
use rmesos_common::wire::v1::TaskState;
use rmesos_mesos_sim::zookeeper::ZooKeeperServer;
use serde_json::Value;
use support::executor::*;
use support::*;

/// SUBSCRIBE asking for `timeout` seconds of failover timeout.
fn subscribe_with_timeout(id: Option<&str>, timeout: f64) -> Call {
    let mut call = subscribe_call(id);
    if let Some(subscribe) = call.subscribe.as_mut() {
        subscribe.framework_info.failover_timeout = Some(timeout);
    }
    call
}

/// The framework's entry in the master's `/master/frameworks`, and
/// whether it is listed as completed.
async fn listed(url: &str, fid: &str) -> (Value, bool) {
    let body: Value = reqwest::get(format!("{url}/master/frameworks?framework_id={fid}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    if let Some(active) = body["frameworks"].as_array().and_then(|l| l.first()) {
        return (active.clone(), false);
    }
    let completed = body["completed_frameworks"][0].clone();
    assert!(completed.is_object(), "{fid} not listed at all: {body:#}");
    (completed, true)
}

/// A framework subscribed with `timeout` that runs one hanging task
/// ("t1") on agent 0; returns its stream and id.
async fn framework_with_a_task(url: &str, uri: &str, timeout: f64) -> (Stream, String) {
    let mut stream = subscribe_with(
        url,
        &subscribe_with_timeout(None, timeout),
        Encoding::Protobuf,
    )
    .await;
    let fid = framework_id(&stream.next().await.unwrap());
    let offer = stream.next_offer().await;
    let call = launch_call(&fid, &offer, vec![task("t1", &offer, uri, b"hang")]);
    call_ok(url, &stream, &call).await;
    let running = next_update(url, &mut stream, &fid, "t1").await;
    assert_eq!(running.state, TaskState::TaskRunning as i32);
    (stream, fid)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_framework_that_does_not_come_back_is_removed_after_its_timeout() {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = cluster(&zk, "/fo-a", |c| c.agents = 1).await;
    let uri = serve_executor().await;
    let url = sim.leader_url().unwrap();
    let timeout = 2.0;
    let (stream, fid) = framework_with_a_task(&url, &uri, timeout).await;

    // The scheduler dies: its connection closes without TEARDOWN.
    drop(stream);
    let closed_at = Instant::now();
    let snapshot = sim
        .wait_until("the master to see the disconnection", DEADLINE, |s| {
            s.frameworks.iter().any(|f| f.id == fid && !f.connected)
        })
        .await
        .unwrap();
    let f = snapshot.frameworks.iter().find(|f| f.id == fid).unwrap();
    assert!(!f.removed, "removed before its failover timeout: {f:?}");
    assert_eq!(f.tasks["t1"], TaskState::TaskRunning as i32);
    assert_eq!(snapshot.agents[0].executors.len(), 1, "{snapshot:?}");
    let (entry, completed) = listed(&url, &fid).await;
    assert!(!completed, "{entry:#}");
    assert_eq!(entry["active"], false);
    assert_eq!(entry["connected"], false);
    assert_eq!(entry["tasks"][0]["state"], "TASK_RUNNING");
    assert_eq!(
        snapshot.outstanding_offers, 0,
        "a disconnected framework holds no offers"
    );

    let snapshot = sim
        .wait_until("the failover timeout to remove it", DEADLINE, |s| {
            s.frameworks.iter().any(|f| f.id == fid && f.removed)
        })
        .await
        .unwrap();
    let waited = closed_at.elapsed();
    assert!(
        waited >= Duration::from_secs_f64(timeout - 0.1),
        "removed after {waited:?}, before its {timeout} s timeout"
    );
    let f = snapshot.frameworks.iter().find(|f| f.id == fid).unwrap();
    assert_eq!(f.tasks["t1"], TaskState::TaskKilled as i32);
    let (entry, completed) = listed(&url, &fid).await;
    assert!(completed, "{entry:#}");
    assert_eq!(entry["completed_tasks"][0]["state"], "TASK_KILLED");
    sim.wait_until("its executor to exit", DEADLINE, |s| {
        s.agents[0].executors.is_empty() && s.agents[0].free_cpus > 3.99
    })
    .await
    .unwrap();

    // Its id is gone for good.
    let call = subscribe_with_timeout(Some(&fid), timeout);
    let refusal = refused_subscription(&url, &call, Encoding::Protobuf).await;
    assert_eq!(refusal, "Framework has been removed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribing_again_within_the_timeout_keeps_framework_and_tasks() {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = cluster(&zk, "/fo-b", |c| c.agents = 1).await;
    let uri = serve_executor().await;
    let url = sim.leader_url().unwrap();
    // Room for a loaded machine to see both disconnections and subscribe
    // again before the kept framework's timeout passes.
    let timeout = 5.0;
    let (kept, kept_id) = framework_with_a_task(&url, &uri, timeout).await;
    // A second framework with the same timeout that does not come back:
    // its removal shows the timeout has passed for both.
    let mut control = subscribe_with(
        &url,
        &subscribe_with_timeout(None, timeout),
        Encoding::Protobuf,
    )
    .await;
    let control_id = framework_id(&control.next().await.unwrap());

    drop(kept);
    drop(control);
    sim.wait_until("both disconnected", DEADLINE, |s| {
        s.frameworks.iter().all(|f| !f.connected)
    })
    .await
    .unwrap();
    let mut again = subscribe_with(
        &url,
        &subscribe_with_timeout(Some(&kept_id), timeout),
        Encoding::Protobuf,
    )
    .await;
    assert_eq!(framework_id(&again.next().await.unwrap()), kept_id);

    let snapshot = sim
        .wait_until("the other framework's timeout", DEADLINE, |s| {
            s.frameworks.iter().any(|f| f.id == control_id && f.removed)
        })
        .await
        .unwrap();
    let f = snapshot
        .frameworks
        .iter()
        .find(|f| f.id == kept_id)
        .unwrap();
    assert!(f.connected && !f.removed, "{f:?}");
    assert_eq!(f.tasks["t1"], TaskState::TaskRunning as i32);
    assert_eq!(snapshot.agents[0].executors.len(), 1, "{snapshot:?}");
    let (entry, completed) = listed(&url, &kept_id).await;
    assert!(!completed, "{entry:#}");
    assert_eq!(entry["active"], true);
    assert_eq!(entry["tasks"][0]["state"], "TASK_RUNNING");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zero_timeout_removes_the_framework_at_disconnection() {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = cluster(&zk, "/fo-c", |c| c.agents = 1).await;
    let uri = serve_executor().await;
    let url = sim.leader_url().unwrap();
    let (stream, fid) = framework_with_a_task(&url, &uri, 0.0).await;
    drop(stream);
    let snapshot = sim
        .wait_until("the disconnection to remove it", DEADLINE, |s| {
            s.frameworks.iter().any(|f| f.id == fid && !f.connected)
        })
        .await
        .unwrap();
    // Removed in the same step that marked it disconnected.
    let f = snapshot.frameworks.iter().find(|f| f.id == fid).unwrap();
    assert!(f.removed, "{f:?}");
    assert_eq!(f.tasks["t1"], TaskState::TaskKilled as i32);
    sim.wait_until("its executor to exit", DEADLINE, |s| {
        s.agents[0].executors.is_empty()
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failover_timeout_mesos_cannot_represent_is_refused() {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = cluster(&zk, "/fo-d", |_| {}).await;
    let url = sim.leader_url().unwrap();
    // Mesos takes the call, then refuses the subscription on its stream.
    for bad in [f64::INFINITY, f64::NAN, 1e12] {
        let call = subscribe_with_timeout(None, bad);
        let refusal = refused_subscription(&url, &call, Encoding::Protobuf).await;
        assert!(
            refusal.starts_with("The framework failover_timeout (")
                && refusal.ends_with(") is invalid"),
            "{bad}: {refusal}"
        );
    }
    assert!(sim.snapshot().frameworks.is_empty());
}
