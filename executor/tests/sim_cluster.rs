//! The real executor launched by the simulated Mesos cluster (real
//! ZooKeeper, masters, an agent that runs the binary with the Mesos
//! environment): file and served partitions give what computing the same
//! spec locally gives, failures carry their kind and place, KILL and
//! SHUTDOWN end work promptly, and one executor serves several tasks.

mod support;

use std::time::{Duration, Instant};

use rmesos_common::partition::{PartitionSource, PartitionSpec};
use rmesos_common::task::{FailureKind, TaskFailure, encode_rows, summarize_served_rows};
use rmesos_common::wire::v1::{TaskState, TaskStatus};
use rmesos_mesos_sim::zookeeper::ZooKeeperServer;
use support::data_server::{DataServer, TOKEN};
use support::scheduler::{DEADLINE, EXECUTOR_ID, Scheduler, cluster, executor_log, task};
use support::{LogOnFailure, csv_source, spec, values, write_csv, write_npy};

fn assert_state(status: &TaskStatus, state: TaskState) {
    assert_eq!(
        status.state,
        state as i32,
        "{:?}: {:?}",
        TaskState::try_from(status.state),
        status.message
    );
}

fn failure_of(status: &TaskStatus) -> TaskFailure {
    assert_state(status, TaskState::TaskFailed);
    TaskFailure::from_bytes(status.data.as_deref().unwrap_or_default())
        .unwrap_or_else(|| panic!("no failure report in {status:?}"))
}

/// The FINISHED data must be exactly what computing `spec` here gives.
fn assert_finished_like_local(status: &TaskStatus, spec: &PartitionSpec, rows: u64) {
    assert_state(status, TaskState::TaskFinished);
    let local = spec.compute().unwrap();
    assert_eq!(local.count(), rows);
    assert_eq!(status.data.as_deref(), Some(&local.to_bytes()[..]));
    assert_eq!(status.message.as_deref(), Some(&*format!("{rows} rows")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_partitions_match_local_computation_on_one_reused_executor() {
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

    let bytes = npy_spec.to_bytes().unwrap();
    scheduler
        .launch(|offer| vec![task("npy", offer, bytes, dir.path())])
        .await;
    assert_state(&scheduler.next_update("npy").await, TaskState::TaskRunning);
    let finished = scheduler.next_end("npy").await;
    assert_finished_like_local(&finished, &npy_spec, 1500);
    assert_eq!(finished.executor_id.as_ref().unwrap().value, EXECUTOR_ID);

    // Later tasks go to the executor already running.
    let (csv_bytes, bad_bytes) = (csv_spec.to_bytes().unwrap(), bad_spec.to_bytes().unwrap());
    scheduler
        .launch(|offer| {
            vec![
                task("csv", offer, csv_bytes, dir.path()),
                task("bad", offer, bad_bytes, dir.path()),
            ]
        })
        .await;
    let csv_rows = csv_spec.compute().unwrap().count();
    assert!(csv_rows > 1500 && csv_rows < 2100, "{csv_rows}");
    assert_finished_like_local(&scheduler.next_end("csv").await, &csv_spec, csv_rows);
    let failed = scheduler.next_end("bad").await;
    let failure = failure_of(&failed);
    assert_eq!(failure.kind, FailureKind::BadInput);
    let message = failed.message.unwrap();
    assert!(message.contains("bad.csv: line 3, column 2"), "{message}");
    assert_eq!(failure.message, message);

    let snapshot = sim.snapshot();
    assert_eq!(snapshot.agents[0].executors.len(), 1, "{snapshot:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_partitions_stream_fail_as_unavailable_and_can_be_killed() {
    let dir = tempfile::tempdir().unwrap();
    let log = LogOnFailure(executor_log(dir.path()));
    let rows = values(20_000, 3);
    let server = DataServer::start(rows.clone()).await;
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = cluster(&zk, "/executor-served").await;
    let mut scheduler = Scheduler::subscribe(&sim).await;

    let served = |route: &str, n: u64| PartitionSource::Served {
        url: server.url(route),
        rows: 100..100 + n,
        ncols: 3,
    };
    let specs = [
        ("ok", spec(0, served("rows", 20_000))),
        ("missing", spec(1, served("missing", 10))),
        ("short", spec(2, served("short", 20_000))),
        ("stall", spec(3, served("stall", 20_000))),
    ];
    let path = dir.path().to_path_buf();
    let tasks = specs.clone();
    scheduler
        .launch(move |offer| {
            tasks
                .iter()
                .map(|(id, spec)| task(id, offer, spec.to_bytes().unwrap(), &path))
                .collect()
        })
        .await;

    let finished = scheduler.next_end("ok").await;
    assert_state(&finished, TaskState::TaskFinished);
    // Computing the same stream here gives the same bytes.
    let expected = summarize_served_rows(&encode_rows(&rows)[..], 20_000, 3).unwrap();
    assert_eq!(finished.data.as_deref(), Some(&expected.to_bytes()[..]));
    assert_eq!(finished.message.as_deref(), Some("20000 rows"));

    let missing = scheduler.next_end("missing").await;
    let failure = failure_of(&missing);
    assert_eq!(failure.kind, FailureKind::Unavailable);
    assert!(failure.message.contains("404"), "{}", failure.message);
    assert!(
        failure.message.contains("/***/missing"),
        "{}",
        failure.message
    );

    let short = failure_of(&scheduler.next_end("short").await);
    assert_eq!(short.kind, FailureKind::Unavailable);
    assert!(short.message.contains("ended after"), "{}", short.message);

    server.wait_for_stall_request().await;
    scheduler.kill("stall").await;
    assert_state(&scheduler.next_end("stall").await, TaskState::TaskKilled);
    server.wait_for_stall_dropped().await;

    let log = std::fs::read_to_string(&log.0).unwrap();
    assert!(log.contains("partition computed"), "{log}");
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
    let bytes = stalled.to_bytes().unwrap();
    scheduler
        .launch(|offer| vec![task("busy", offer, bytes, dir.path())])
        .await;
    assert_state(&scheduler.next_update("busy").await, TaskState::TaskRunning);
    server.wait_for_stall_request().await;

    // The agent sends SHUTDOWN and would kill the process after its 5 s
    // grace period; the executor must be gone well before.
    let asked = Instant::now();
    scheduler.teardown().await;
    sim.wait_until("the executor gone", DEADLINE, |s| {
        s.agents[0].executors.is_empty()
    })
    .await
    .unwrap();
    let took = asked.elapsed();
    assert!(took < Duration::from_secs(4), "took {took:?}");
    server.wait_for_stall_dropped().await;
}
