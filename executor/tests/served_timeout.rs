//! The data timeout, end to end: the real executor, started by the
//! simulated cluster for a lease with `RMESOS_DATA_TIMEOUT_SECS=1` in its
//! `CommandInfo` environment (as the driver passes it), reads served
//! partitions assigned over the driver channel from a raw-TCP server that
//! stalls. A server that never answers and one that stops half-way
//! through its body both get their attempt reported as failed /
//! `Unavailable` after the timeout, with a message that names the
//! partition, the timeout and how far the read got, and never the token;
//! the executor hangs those connections up and goes on to compute the
//! next partition, its lease still running.

mod support;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rmesos_common::partition::PartitionSource;
use rmesos_common::task::{FailureKind, TaskFailure, encode_rows, summarize_served_rows};
use rmesos_common::wire::v1::TaskState;
use rmesos_mesos_sim::zookeeper::ZooKeeperServer;
use support::data_server::{DataServer, TOKEN};
use support::driver::FakeDriver;
use support::scheduler::{Scheduler, cluster, executor_log, task_with_env};
use support::stalling_server::StallingServer;
use support::{LogOnFailure, spec, values};

/// The timeout the executor is started with, as the driver would pass it.
const TIMEOUT_ENV: [(&str, &str); 1] = [("RMESOS_DATA_TIMEOUT_SECS", "1")];
const TIMEOUT: Duration = Duration::from_secs(1);
const NCOLS: usize = 3;
/// Rows of the stalling partitions: 24,000 bytes announced.
const ROWS: u64 = 1000;

/// Checks a stall's failure report: retryable, and saying what happened
/// where, without the token.
fn assert_stalled(failure: &TaskFailure, partition: u32, route: &str, how_far: &str) {
    let message = &failure.message;
    assert_eq!(failure.kind, FailureKind::Unavailable, "{message}");
    let expected = format!(
        "no data from the driver's data server for 1s while reading partition {partition} \
         (http://127.0.0.1:"
    );
    assert!(message.starts_with(&expected), "{message}");
    assert!(message.contains(&format!("/***/{route}) ")), "{message}");
    assert!(message.ends_with(how_far), "{message}");
    assert!(!message.contains(TOKEN), "the token leaked: {message}");
}

/// `log` without its ANSI colour sequences (`ESC [ ... m`).
fn without_colours(log: &str) -> String {
    let mut plain = String::with_capacity(log.len());
    let mut rest = log;
    while let Some(start) = rest.find('\x1b') {
        plain.push_str(&rest[..start]);
        rest = &rest[start..];
        rest = rest.find('m').map_or("", |end| &rest[end + 1..]);
    }
    plain.push_str(rest);
    plain
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_data_servers_fail_their_tasks_after_the_timeout_and_the_executor_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let log = LogOnFailure(executor_log(dir.path()));
    let body_len = ROWS as usize * NCOLS * 8;
    let stalling = StallingServer::start(body_len).await;
    // The healthy route serves all of these: the spec asks for as many.
    let rows = values(4000, NCOLS);
    let healthy = DataServer::start(rows.clone()).await;
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = cluster(&zk, "/executor-data-timeout").await;
    let mut scheduler = Scheduler::subscribe(&sim).await;

    let driver = FakeDriver::start(Duration::from_millis(200)).await;
    let grant = driver.grant(2);
    let path = dir.path().to_path_buf();
    scheduler
        .launch(|offer| vec![task_with_env("lease", offer, grant, &path, &TIMEOUT_ENV)])
        .await;
    let running = scheduler.next_update("lease").await;
    assert_eq!(running.state, TaskState::TaskRunning as i32, "{running:?}");
    driver.wait_for_stream(1).await;

    let served = |url, rows| PartitionSource::Served {
        url,
        rows,
        ncols: NCOLS,
    };
    let assigned = Instant::now();
    driver.assign(1, spec(3, served(stalling.silent_url(), 0..ROWS)));
    driver.assign(2, spec(4, served(stalling.half_url(), 0..ROWS)));
    let seen = driver
        .wait_for("two failures", |d| d.failures.len() == 2)
        .await;
    assert_stalled(seen.failures_of(1)[0], 3, "silent", "before any response");
    let how_far = format!("after {} of {body_len} bytes", stalling.half_len());
    assert_stalled(seen.failures_of(2)[0], 4, "half", &how_far);
    // The timeout ended them, not anything sooner (nor the 60 s default:
    // `wait_for` gives up after 30 s).
    let took = assigned.elapsed();
    assert!(took >= TIMEOUT, "failed after {took:?}");
    // The executor let go of both stalled connections, each the one
    // request it made (no retry of its own).
    stalling.wait_for_hang_ups(2).await;
    assert_eq!(stalling.observed.requests.load(Ordering::SeqCst), 2);

    // The same executor computes the next partition as if nothing happened.
    driver.assign(3, spec(5, served(healthy.url("rows"), 100..4100)));
    let seen = driver.wait_for("a result", |d| d.results.len() == 1).await;
    let expected = summarize_served_rows(&encode_rows(&rows)[..], 4000, NCOLS).unwrap();
    assert_eq!(seen.results_of(3)[0].to_bytes(), expected.to_bytes());
    assert_eq!(seen.failures.len(), 2, "{seen:#?}");
    let snapshot = sim.snapshot();
    assert_eq!(snapshot.agents[0].executors.len(), 1, "{snapshot:?}");

    let text = without_colours(&std::fs::read_to_string(&log.0).unwrap());
    assert!(text.contains("data_timeout=1s"), "{text}");
    assert!(text.contains("partition failed"), "{text}");
    assert!(
        !text.contains(TOKEN),
        "the data-server token is never logged"
    );
}
