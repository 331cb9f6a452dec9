//! The real executor launched by the simulated Mesos cluster (real
//! ZooKeeper, masters, an agent that runs the binary with the Mesos
//! environment) for its leases, with a fake driver channel handing it
//! partitions: file and served partitions give what computing the same
//! spec locally gives, failures carry their kind and place, Cancel, KILL
//! of the last lease and SHUTDOWN end work promptly, one executor holds
//! several leases, an agent's extra executor environment (the straggler
//! fault) reaches the executor, and a driver that stops fails the leases.

mod support;

use std::time::{Duration, Instant};

use rmesos_common::partition::{PartitionSource, PartitionSpec};
use rmesos_common::stats::ColumnSummary;
use rmesos_common::task::{FailureKind, TaskFailure, encode_rows, summarize_served_rows};
use rmesos_common::wire::v1::TaskState;
use rmesos_mesos_sim::SimCluster;
use rmesos_mesos_sim::zookeeper::ZooKeeperServer;
use support::data_server::{DataServer, TOKEN};
use support::driver::FakeDriver;
use support::scheduler::{
    DEADLINE, EXECUTOR_ID, Scheduler, cluster, cluster_with, executor_log, task, task_with_env,
};
use support::{LogOnFailure, assert_state, csv_source, spec, values, write_csv, write_npy};

const HEARTBEAT: Duration = Duration::from_millis(200);

/// The result must be exactly what computing `spec` here gives.
fn assert_like_local(summary: &ColumnSummary, spec: &PartitionSpec, rows: u64) {
    let local = spec.compute().unwrap();
    assert_eq!(local.count(), rows);
    assert_eq!(summary.to_bytes(), local.to_bytes());
}

/// Waits until the executor is gone from the agent.
async fn wait_executor_gone(sim: &SimCluster) {
    sim.wait_until("the executor gone", DEADLINE, |s| {
        s.agents[0].executors.is_empty()
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_partitions_match_local_computation_on_one_executor_with_two_leases() {
    let dir = tempfile::tempdir().unwrap();
    let _log = LogOnFailure(executor_log(dir.path()));
    let npy = dir.path().join("x.npy");
    let csv = dir.path().join("x.csv");
    let bad = dir.path().join("bad.csv");
    let data = values(3000, 4);
    write_npy(&npy, &data, 4);
    write_csv(&csv, &data, 4);
    std::fs::write(&bad, "a,b\n1,2\n3,oops\n").unwrap();
    let csv_len = std::fs::metadata(&csv).unwrap().len();

    let driver = FakeDriver::start(HEARTBEAT).await;
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = cluster(&zk, "/executor-files").await;
    let mut scheduler = Scheduler::subscribe(&sim).await;

    let npy_spec = spec(
        0,
        PartitionSource::NpyRows {
            path: npy.clone(),
            rows: 1000..2500,
        },
    );
    // A byte range that starts mid-line: its first line is the next one.
    let csv_spec = spec(1, csv_source(&csv, csv_len / 3..csv_len));
    let bad_spec = spec(2, csv_source(&bad, 0..u64::MAX));

    let grant = driver.grant(1);
    scheduler
        .launch(|offer| vec![task("lease-1", offer, grant, dir.path())])
        .await;
    let running = scheduler.next_update("lease-1").await;
    assert_state(&running, TaskState::TaskRunning);
    assert_eq!(running.message.as_deref(), Some("lease of 1 slot"));
    assert_eq!(running.executor_id.as_ref().unwrap().value, EXECUTOR_ID);
    driver.wait_for_stream(1).await;
    driver.assign(1, npy_spec.clone());
    let seen = driver
        .wait_for("the npy result", |d| d.results.len() == 1)
        .await;
    assert_like_local(seen.results_of(1)[0], &npy_spec, 1500);

    // A later lease goes to the executor already running, on its channel.
    let grant = driver.grant(2);
    scheduler
        .launch(|offer| vec![task("lease-2", offer, grant, dir.path())])
        .await;
    assert_state(
        &scheduler.next_update("lease-2").await,
        TaskState::TaskRunning,
    );
    driver.assign(2, csv_spec.clone());
    driver.assign(3, bad_spec);
    let seen = driver
        .wait_for("two more reports", |d| {
            d.results.len() == 2 && d.failures.len() == 1
        })
        .await;
    let csv_rows = csv_spec.compute().unwrap().count();
    assert!(csv_rows > 1500 && csv_rows < 2100, "{csv_rows}");
    assert_like_local(seen.results_of(2)[0], &csv_spec, csv_rows);
    let failure: &TaskFailure = seen.failures_of(3)[0];
    assert_eq!(failure.kind, FailureKind::BadInput);
    assert!(
        failure.message.contains("bad.csv: line 3, column 2"),
        "{failure:?}"
    );
    assert_eq!(seen.event_requests, 1, "one channel");

    let snapshot = sim.snapshot();
    assert_eq!(snapshot.agents[0].executors.len(), 1, "{snapshot:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_partitions_stream_fail_as_unavailable_and_the_last_lease_killed_ends_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = LogOnFailure(executor_log(dir.path()));
    let rows = values(20_000, 3);
    let server = DataServer::start(rows.clone()).await;
    let driver = FakeDriver::start(HEARTBEAT).await;
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = cluster(&zk, "/executor-served").await;
    let mut scheduler = Scheduler::subscribe(&sim).await;

    let grant = driver.grant(4);
    scheduler
        .launch(|offer| vec![task("lease", offer, grant, dir.path())])
        .await;
    assert_state(
        &scheduler.next_update("lease").await,
        TaskState::TaskRunning,
    );
    driver.wait_for_stream(1).await;
    let served = |route: &str, n: u64| PartitionSource::Served {
        url: server.url(route),
        rows: 100..100 + n,
        ncols: 3,
    };
    driver.assign(1, spec(0, served("rows", 20_000)));
    driver.assign(2, spec(1, served("missing", 10)));
    driver.assign(3, spec(2, served("short", 20_000)));
    driver.assign(4, spec(3, served("stall", 20_000)));

    let seen = driver
        .wait_for("three reports", |d| d.results.len() + d.failures.len() == 3)
        .await;
    // Computing the same stream here gives the same bytes.
    let expected = summarize_served_rows(&encode_rows(&rows)[..], 20_000, 3).unwrap();
    assert_eq!(seen.results_of(1)[0].to_bytes(), expected.to_bytes());
    let missing = seen.failures_of(2)[0];
    assert_eq!(missing.kind, FailureKind::Unavailable);
    assert!(missing.message.contains("404"), "{missing:?}");
    assert!(missing.message.contains("/***/missing"), "{missing:?}");
    let short = seen.failures_of(3)[0];
    assert_eq!(short.kind, FailureKind::Unavailable);
    assert!(short.message.contains("ended after"), "{short:?}");

    server.wait_for_stall_request().await;
    driver.cancel(4);
    server.wait_for_stall_dropped().await;
    // The only lease killed: the executor ends (once KILLED is acked).
    scheduler.kill("lease").await;
    assert_state(&scheduler.next_end("lease").await, TaskState::TaskKilled);
    wait_executor_gone(&sim).await;
    assert_eq!(driver.seen().reports_of(4), 0);

    let log = std::fs::read_to_string(&log.0).unwrap();
    assert!(log.contains("partition computed"), "{log}");
    assert!(log.contains("holds no lease; exiting"), "{log}");
    assert!(
        !log.contains(TOKEN),
        "the data-server token is never logged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_from_a_teardown_ends_the_executor_before_the_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    let _log = LogOnFailure(executor_log(dir.path()));
    let server = DataServer::start(values(10, 2)).await;
    let driver = FakeDriver::start(HEARTBEAT).await;
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = cluster(&zk, "/executor-shutdown").await;
    let mut scheduler = Scheduler::subscribe(&sim).await;
    let stalled = spec(
        0,
        PartitionSource::Served {
            url: server.url("stall"),
            rows: 0..1_000_000,
            ncols: 2,
        },
    );
    let grant = driver.grant(1);
    scheduler
        .launch(|offer| vec![task("busy", offer, grant, dir.path())])
        .await;
    assert_state(&scheduler.next_update("busy").await, TaskState::TaskRunning);
    driver.wait_for_stream(1).await;
    driver.assign(1, stalled);
    server.wait_for_stall_request().await;

    // The agent sends SHUTDOWN and would kill the process after its 5 s
    // grace period; the executor must be gone well before.
    let asked = Instant::now();
    scheduler.teardown().await;
    wait_executor_gone(&sim).await;
    let took = asked.elapsed();
    assert!(took < Duration::from_secs(4), "took {took:?}");
    server.wait_for_stall_dropped().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agents_executor_environment_delays_partitions_and_a_stopped_driver_fails_leases() {
    let dir = tempfile::tempdir().unwrap();
    let log = LogOnFailure(executor_log(dir.path()));
    let csv = dir.path().join("x.csv");
    write_csv(&csv, &values(40, 2), 2);
    let driver = FakeDriver::start(HEARTBEAT).await;
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let delay = (
        "RMESOS_TEST_PARTITION_DELAY_MS".to_owned(),
        "1000".to_owned(),
    );
    let sim = cluster_with(&zk, "/executor-env", |config| {
        config.executor_env = vec![(0, delay.0, delay.1)];
    })
    .await;
    let mut scheduler = Scheduler::subscribe(&sim).await;
    let grant = driver.grant(1);
    let timeout = [("RMESOS_DATA_TIMEOUT_SECS", "1")];
    let path = dir.path().to_path_buf();
    scheduler
        .launch(|offer| vec![task_with_env("lease", offer, grant, &path, &timeout)])
        .await;
    assert_state(
        &scheduler.next_update("lease").await,
        TaskState::TaskRunning,
    );
    driver.wait_for_stream(1).await;

    let assigned = Instant::now();
    driver.assign(1, spec(0, csv_source(&csv, 0..u64::MAX)));
    let seen = driver
        .wait_for("the result", |d| d.results.len() == 1)
        .await;
    let took = assigned.elapsed();
    assert!(took >= Duration::from_secs(1), "{took:?}");
    assert_eq!(seen.results_of(1)[0].count(), 40);

    // The driver stops: after the data timeout the lease fails through
    // Mesos, and the executor goes.
    driver.stop();
    let failed = scheduler.next_end("lease").await;
    assert_state(&failed, TaskState::TaskFailed);
    let message = failed.message.unwrap_or_default();
    assert!(
        message.starts_with("no word from the driver at http://"),
        "{message}"
    );
    assert!(message.contains("/***/executors/"), "{message}");
    wait_executor_gone(&sim).await;
    let log = std::fs::read_to_string(&log.0).unwrap();
    assert!(log.contains("test fault"), "{log}");
}
