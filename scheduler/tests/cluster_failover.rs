//! The framework's failover timeout on the simulated cluster: the value a
//! session subscribes with reaches `FrameworkInfo` (default 300 s, or the
//! option), and an `rmesos-submit` SIGKILLed mid-job (no TEARDOWN) leaves
//! its framework registered but inactive until `--failover-timeout`
//! passes; then the master removes it, kills its tasks and shuts its
//! executors down.
//!
//! To keep the killed run's tasks running, its job reads a shared `.csv`
//! that is swapped for a FIFO after the driver planned the job and before
//! the executor (its download held by this test) opens it: the tasks
//! block reading until the framework is removed.

mod cluster_support;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use cluster_support::*;
use rmesos_common::wire::v1::TaskState;
use rmesos_mesos_sim::ClusterSnapshot;
use rmesos_scheduler::settings::{SessionSettings, Timeout};
use serde_json::Value;
use tokio::sync::watch;

async fn get_json(url: &str) -> Value {
    let response = reqwest::get(url).await.expect("operator endpoint answers");
    assert_eq!(response.status(), 200, "{url}");
    response.json().await.expect("JSON")
}

/// The framework's entry in the leading master's `/master/frameworks`,
/// and whether it is listed under `completed_frameworks`.
async fn master_entry(setup: &Setup, fid: &str) -> (Value, bool) {
    let leader = setup.sim.leader_url().expect("a leader");
    let body = get_json(&format!("{leader}/master/frameworks?framework_id={fid}")).await;
    if let Some(active) = body["frameworks"].as_array().and_then(|l| l.first()) {
        return (active.clone(), false);
    }
    let completed = body["completed_frameworks"][0].clone();
    assert!(completed.is_object(), "{fid} not listed: {body:#}");
    (completed, true)
}

/// Serves the executor binary at `/rmesos-executor`, each download
/// answered once `gate` turns true. Returns its URL.
async fn serve_executor_held(gate: watch::Receiver<bool>) -> String {
    let binary: Arc<[u8]> = std::fs::read(executor_binary()).unwrap().into();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let serve = move || {
        let (mut gate, binary) = (gate.clone(), Arc::clone(&binary));
        async move {
            let _ = gate.wait_for(|open| *open).await;
            binary.to_vec()
        }
    };
    let app = Router::new().route("/rmesos-executor", get(serve));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://127.0.0.1:{port}/rmesos-executor")
}

/// The one framework's snapshot entry once `cond` holds of it.
async fn wait_framework(
    setup: &Setup,
    what: &str,
    cond: impl Fn(&rmesos_mesos_sim::registry::FrameworkSnapshot) -> bool,
) -> ClusterSnapshot {
    setup
        .sim
        .wait_until(what, WAIT, |s| {
            s.frameworks.len() == 1 && cond(&s.frameworks[0])
        })
        .await
        .unwrap()
}

fn all_in(state: TaskState, tasks: &std::collections::HashMap<String, i32>) -> bool {
    !tasks.is_empty() && tasks.values().all(|s| *s == state as i32)
}

/// Replaces `path` with a FIFO nobody writes to: opening it blocks.
fn swap_for_fifo(path: &std::path::Path) {
    let fifo = path.with_extension("fifo");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo {}", fifo.display());
    std::fs::rename(&fifo, path).unwrap();
}

fn start_submit(
    master: &str,
    executor_uri: &str,
    (input, log): (&std::path::Path, &std::path::Path),
    timeouts: &[&str],
) -> Child {
    Command::new(env!("CARGO_BIN_EXE_rmesos-submit"))
        .args(["--master", master, "--shared"])
        .args(timeouts)
        .args(["--partitions", "2", "--executor-uri", executor_uri])
        .args([
            "--data-bind",
            "127.0.0.1:0",
            "--ui-bind",
            "off",
            "--no-progress",
        ])
        .arg(input)
        .env_remove("RMESOS_MASTER")
        .env_remove("RMESOS_FAILOVER_TIMEOUT_SECS")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("rmesos-submit starts")
}

/// Starts `rmesos-submit` with `timeouts` on a `--shared` CSV whose reads
/// then block (the file becomes a FIFO once planned, before the executor
/// may start), and returns once its leases run, with the framework id.
async fn start_blocked_job(
    setup: &Setup,
    dir: &std::path::Path,
    timeouts: &[&str],
) -> (Child, String) {
    let input = dir.join("rows.csv");
    std::fs::write(&input, "1,2\n3,4\n5,6\n7,8\n").unwrap();
    let (open_gate, gate) = watch::channel(false);
    let uri = serve_executor_held(gate).await;
    let log = dir.join("submit.log");
    let child = start_submit(&setup.sim.zk_url(), &uri, (&input, &log), timeouts);
    let launched = wait_framework(setup, "the job's lease launched", |f| !f.tasks.is_empty()).await;
    swap_for_fifo(&input);
    open_gate.send_replace(true);
    wait_framework(setup, "the lease running", |f| {
        all_in(TaskState::TaskRunning, &f.tasks)
    })
    .await;
    (child, launched.frameworks[0].id.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_driver_frees_the_cluster_after_its_failover_timeout() {
    init_tracing();
    let setup = start_sim(1, |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    // Long enough for a loaded machine to look at the disconnected
    // framework before the timeout removes it.
    let (mut child, fid) =
        start_blocked_job(&setup, dir.path(), &["--failover-timeout", "5"]).await;
    let (entry, _) = master_entry(&setup, &fid).await;
    assert_eq!(entry["failover_timeout"], 5.0, "{entry:#}");

    child.kill().expect("SIGKILL rmesos-submit");
    let killed_at = Instant::now();
    child.wait().unwrap();
    let gone = wait_framework(&setup, "the master to see the driver gone", |f| {
        !f.connected
    })
    .await;
    let f = &gone.frameworks[0];
    assert!(!f.removed, "removed before its failover timeout: {f:?}");
    assert!(all_in(TaskState::TaskRunning, &f.tasks), "{f:?}");
    assert_eq!(gone.agents[0].executors.len(), 1, "{gone:?}");
    let (entry, completed) = master_entry(&setup, &fid).await;
    assert!(!completed, "{entry:#}");
    assert_eq!(entry["active"], false);
    assert_eq!(entry["connected"], false);

    let removed = wait_framework(&setup, "the framework removed", |f| f.removed).await;
    let waited = killed_at.elapsed();
    assert!(
        waited >= Duration::from_millis(4900),
        "removed {waited:?} after the kill, before its 5 s failover timeout"
    );
    assert!(
        all_in(TaskState::TaskKilled, &removed.frameworks[0].tasks),
        "{removed:?}"
    );
    let (entry, completed) = master_entry(&setup, &fid).await;
    assert!(completed, "{entry:#}");
    let states: Vec<&Value> = entry["completed_tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["state"])
        .collect();
    assert!(
        !states.is_empty() && states.iter().all(|s| *s == "TASK_KILLED"),
        "{entry:#}"
    );
    setup
        .sim
        .wait_until("its executor to exit", WAIT, |s| {
            s.agents[0].executors.is_empty() && s.agents[0].free_cpus > 3.99
        })
        .await
        .unwrap();
    let leader = setup.sim.leader_url().unwrap();
    let state = get_json(&format!("{leader}/master/state")).await;
    let pid = state["slaves"][0]["pid"].as_str().unwrap().to_owned();
    let agent = get_json(&format!(
        "http://{}/slave(1)/state",
        pid.split_once('@').unwrap().1
    ))
    .await;
    let ended = agent["completed_frameworks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == fid.as_str());
    assert!(
        ended,
        "the agent lists the framework as completed: {agent:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executors_end_their_leases_when_the_driver_is_gone_for_the_data_timeout() {
    init_tracing();
    let setup = start_sim(1, |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    // The masters would keep the framework for 5 minutes; the executors
    // must not wait that long for a driver that is gone.
    let timeouts = ["--failover-timeout", "300", "--data-timeout", "1"];
    let (mut child, _) = start_blocked_job(&setup, dir.path(), &timeouts).await;
    child.kill().expect("SIGKILL rmesos-submit");
    child.wait().unwrap();
    let ended = wait_framework(&setup, "the leases failed by their executor", |f| {
        all_in(TaskState::TaskFailed, &f.tasks)
    })
    .await;
    assert!(!ended.frameworks[0].removed, "the framework is still kept");
    setup
        .sim
        .wait_until("the executor to exit", WAIT, |s| {
            s.agents[0].executors.is_empty()
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_subscribes_with_its_failover_timeout() {
    init_tracing();
    let setup = start_sim(1, |_| {}).await;
    for (chosen, expected) in [(None, 300.0), (Some(Duration::from_secs(45)), 45.0)] {
        let cluster = connect(
            &setup,
            SessionSettings {
                failover_timeout: chosen
                    .and_then(Timeout::new)
                    .unwrap_or(settings().failover_timeout),
                ..settings()
            },
        )
        .await;
        let (entry, completed) = master_entry(&setup, cluster.framework_id()).await;
        assert!(!completed);
        assert_eq!(entry["failover_timeout"], expected, "{chosen:?}: {entry:#}");
        cluster.shutdown().await.unwrap();
    }
}
