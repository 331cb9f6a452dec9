//! The executor's leases and its driver channel, against a fake agent and
//! a fake driver over loopback: assigned partitions (a `.npy` file, served
//! rows, bad input) computed and reported once each; a cancelled attempt
//! that reports nothing; a bad lease grant; KILL of leases, the last one
//! ending the executor; the driver stopping (every lease TASK_FAILED after
//! the data timeout), or forgetting the executor (404: at once); the
//! heartbeats; a silent stream replaced; reports retried past 503s; the
//! test-only straggler delay.

mod support;

use std::time::{Duration, Instant};

use rmesos_common::partition::PartitionSource;
use rmesos_common::task::{FailureKind, TaskFailure, encode_rows, summarize_served_rows};
use rmesos_common::wire::v1::{TaskState, TaskStatus};
use support::data_server::{DataServer, TOKEN};
use support::driver::{CHANNEL_EXECUTOR, FakeDriver};
use support::fake_agent::{
    ExecutorProcess, FakeAgent, RecordedCall, acknowledge_all, kill, launch, launch_group,
    task_info, updates, updates_of,
};
use support::{LogOnFailure, assert_state, csv_source, spec, values, write_csv, write_npy};

const HEARTBEAT: Duration = Duration::from_millis(200);

/// An executor subscribed to a fake agent, with a fake driver.
struct Setup {
    log: LogOnFailure,
    agent: FakeAgent,
    driver: FakeDriver,
    executor: ExecutorProcess,
    dir: tempfile::TempDir,
}

async fn setup(env: &[(&str, &str)]) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let log = LogOnFailure(dir.path().join("executor.log"));
    let driver = FakeDriver::start(HEARTBEAT).await;
    let agent = FakeAgent::start().await;
    let mut all = vec![("MESOS_CHECKPOINT", "0")];
    all.extend_from_slice(env);
    let executor = ExecutorProcess::start(&agent, &all, &log.0);
    agent.wait_for("SUBSCRIBE", |c| !c.is_empty()).await;
    Setup {
        log,
        agent,
        driver,
        executor,
        dir,
    }
}

impl Setup {
    /// Launches lease `id` with `data` and waits for its first update.
    async fn launch(&self, id: &str, data: Vec<u8>) -> TaskStatus {
        self.agent.send(launch(task_info(id, data)));
        let what = format!("the first update of {id}");
        let calls = self
            .agent
            .wait_for(&what, |c| !updates_of(c, id).is_empty())
            .await;
        updates_of(&calls, id).remove(0)
    }

    /// Launches a lease of `slots` on the driver's channel; waits until it
    /// runs.
    async fn lease(&self, id: &str, slots: u32) {
        let running = self.launch(id, self.driver.grant(slots)).await;
        assert_state(&running, TaskState::TaskRunning);
    }

    /// Waits for an update of `id` in `state`.
    async fn update_in(&self, id: &str, state: TaskState) -> TaskStatus {
        let has = |c: &[RecordedCall]| {
            let all = updates_of(c, id);
            all.into_iter().find(|s| s.state == state as i32)
        };
        let what = format!("{id} {state:?}");
        let calls = self.agent.wait_for(&what, |c| has(c).is_some()).await;
        has(&calls).unwrap()
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log.0).unwrap()
    }
}

fn failure_in(status: &TaskStatus) -> TaskFailure {
    TaskFailure::from_bytes(status.data.as_deref().unwrap_or_default())
        .unwrap_or_else(|| panic!("no failure report in {status:?}"))
}

fn exit_code(status: Option<std::process::ExitStatus>) -> Option<i32> {
    status.and_then(|s| s.code())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assigned_partitions_are_computed_and_each_reported_once() {
    let s = setup(&[]).await;
    let npy = s.dir.path().join("x.npy");
    let bad = s.dir.path().join("bad.csv");
    let data = values(3000, 4);
    write_npy(&npy, &data, 4);
    std::fs::write(&bad, "a,b\n1,2\n3,oops\n").unwrap();
    let rows = values(5000, 3);
    let server = DataServer::start(rows.clone()).await;
    let running = s.launch("l1", s.driver.grant(2)).await;
    assert_state(&running, TaskState::TaskRunning);
    assert_eq!(running.message.as_deref(), Some("lease of 2 slots"));
    s.driver.wait_for_stream(1).await;

    let npy_spec = spec(
        0,
        PartitionSource::NpyRows {
            path: npy,
            rows: 1000..2500,
        },
    );
    let served = PartitionSource::Served {
        url: server.url("rows"),
        rows: 0..5000,
        ncols: 3,
    };
    s.driver.assign(10, npy_spec.clone());
    s.driver.assign(11, spec(1, served));
    let seen = s
        .driver
        .wait_for("two results", |d| d.results.len() == 2)
        .await;
    let local = npy_spec.compute().unwrap();
    assert_eq!(local.count(), 1500);
    assert_eq!(seen.results_of(10)[0].to_bytes(), local.to_bytes());
    let expected = summarize_served_rows(&encode_rows(&rows)[..], 5000, 3).unwrap();
    assert_eq!(seen.results_of(11)[0].to_bytes(), expected.to_bytes());

    s.driver.assign(12, spec(2, csv_source(&bad, 0..u64::MAX)));
    let seen = s
        .driver
        .wait_for("a failure", |d| !d.failures.is_empty())
        .await;
    let failure = seen.failures_of(12)[0];
    assert_eq!(failure.kind, FailureKind::BadInput);
    assert!(
        failure.message.contains("bad.csv: line 3, column 2"),
        "{failure:?}"
    );
    // Reported once each: nothing more came while the failure did.
    assert_eq!(
        (seen.results.len(), seen.failures.len()),
        (2, 1),
        "{seen:#?}"
    );
    let lease_updates = updates(&s.agent.calls());
    assert_eq!(
        lease_updates.len(),
        1,
        "only the lease's RUNNING: {lease_updates:#?}"
    );
    let log = s.log_text();
    assert!(log.contains("partition computed"), "{log}");
    assert!(!log.contains(TOKEN), "the token is never logged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_attempt_stops_and_reports_nothing() {
    let s = setup(&[]).await;
    let server = DataServer::start(values(10, 2)).await;
    s.lease("l1", 2).await;
    s.driver.wait_for_stream(1).await;
    let stalled = PartitionSource::Served {
        url: server.url("stall"),
        rows: 0..1_000_000,
        ncols: 2,
    };
    s.driver.assign(1, spec(0, stalled));
    server.wait_for_stall_request().await;
    s.driver.cancel(1);
    server.wait_for_stall_dropped().await;
    // A later attempt's report comes; the cancelled one's never does.
    let csv = s.dir.path().join("x.csv");
    write_csv(&csv, &values(20, 2), 2);
    s.driver.assign(2, spec(1, csv_source(&csv, 0..u64::MAX)));
    let seen = s
        .driver
        .wait_for("a result", |d| d.results.len() == 1)
        .await;
    assert_eq!(seen.results_of(2)[0].count(), 20);
    assert_eq!(seen.reports_of(1), 0, "{seen:#?}");
    assert!(s.log_text().contains("attempt cancelled"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_grant_fails_its_lease_as_bad_input_and_with_no_lease_left_the_executor_exits() {
    let mut s = setup(&[]).await;
    s.lease("good", 1).await;
    let failed = s.launch("bad", b"{\"version\": 99}".to_vec()).await;
    assert_state(&failed, TaskState::TaskFailed);
    let failure = failure_in(&failed);
    assert_eq!(failure.kind, FailureKind::BadInput);
    assert!(failure.message.contains("version 99"), "{failure:?}");
    assert_eq!(failed.message.as_deref(), Some(&*failure.message));
    assert!(s.executor.is_running(), "a good lease remains");

    s.agent.send(kill("good"));
    s.update_in("good", TaskState::TaskKilled).await;
    let failed = s.launch("worse", b"partition".to_vec()).await;
    assert_state(&failed, TaskState::TaskFailed);
    assert_eq!(
        failure_in(&failed).kind,
        FailureKind::Unavailable,
        "exiting"
    );
    acknowledge_all(&s.agent);
    let status = s.executor.exit_within(Duration::from_secs(5)).await;
    assert_eq!(exit_code(status), Some(0), "{status:?}");

    // Alone, a bad grant leaves no lease: the executor exits after its ack.
    let mut s = setup(&[]).await;
    let failed = s.launch("bad", b"partition".to_vec()).await;
    let failure = failure_in(&failed);
    assert_eq!(failure.kind, FailureKind::BadInput);
    assert!(failure.message.contains("not a lease grant"), "{failure:?}");
    assert!(s.executor.is_running(), "waits for the acknowledgement");
    acknowledge_all(&s.agent);
    let status = s.executor.exit_within(Duration::from_secs(5)).await;
    assert_eq!(exit_code(status), Some(0), "{status:?}");
    assert_eq!(
        s.driver.seen().event_requests,
        0,
        "no channel for a bad grant"
    );

    // A bad grant and a good one in one group: the good one runs.
    let mut s = setup(&[]).await;
    let group = vec![
        task_info("bad", b"partition".to_vec()),
        task_info("good", s.driver.grant(1)),
    ];
    s.agent.send(launch_group(group));
    s.update_in("bad", TaskState::TaskFailed).await;
    s.update_in("good", TaskState::TaskRunning).await;
    s.driver.wait_for_stream(1).await;
    assert!(s.executor.is_running());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_leases_ends_them_and_the_last_one_ends_the_executor() {
    let mut s = setup(&[]).await;
    let server = DataServer::start(values(10, 2)).await;
    s.lease("l1", 1).await;
    s.lease("l2", 1).await;
    s.driver.wait_for_stream(1).await;
    let stalled = PartitionSource::Served {
        url: server.url("stall"),
        rows: 0..1_000_000,
        ncols: 2,
    };
    s.driver.assign(1, spec(0, stalled));
    server.wait_for_stall_request().await;

    s.agent.send(kill("l1"));
    let killed = s.update_in("l1", TaskState::TaskKilled).await;
    assert_eq!(killed.message.as_deref(), Some("killed by the framework"));
    // One lease remains: work goes on.
    let csv = s.dir.path().join("x.csv");
    write_csv(&csv, &values(20, 2), 2);
    s.driver.assign(2, spec(1, csv_source(&csv, 0..u64::MAX)));
    s.driver
        .wait_for("a result", |d| d.results.len() == 1)
        .await;
    assert!(s.executor.is_running());

    s.agent.send(kill("l2"));
    s.update_in("l2", TaskState::TaskKilled).await;
    server.wait_for_stall_dropped().await;
    assert!(s.executor.is_running(), "waits for the acknowledgements");
    let acked = Instant::now();
    acknowledge_all(&s.agent);
    let status = s.executor.exit_within(Duration::from_secs(5)).await;
    assert_eq!(exit_code(status), Some(0), "{status:?}");
    assert!(
        acked.elapsed() < Duration::from_secs(2),
        "{:?}",
        acked.elapsed()
    );
    assert_eq!(s.driver.seen().reports_of(1), 0);
    assert_eq!(
        updates(&s.agent.calls()).len(),
        4,
        "two RUNNING, two KILLED"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_driver_stops_every_lease_fails_after_the_data_timeout_and_the_executor_exits() {
    let mut s = setup(&[("RMESOS_DATA_TIMEOUT_SECS", "2")]).await;
    s.lease("l1", 1).await;
    s.lease("l2", 2).await;
    s.driver.wait_for_stream(1).await;
    s.driver
        .wait_for("a heartbeat", |d| !d.heartbeats.is_empty())
        .await;
    let stopped = Instant::now();
    s.driver.stop();
    for lease in ["l1", "l2"] {
        let failed = s.update_in(lease, TaskState::TaskFailed).await;
        let message = failed.message.clone().unwrap();
        let expected = format!(
            "no word from the driver at {}/***/executors/{CHANNEL_EXECUTOR} for 2s: ",
            s.driver.base.trim_end_matches(&format!("/{TOKEN}"))
        );
        assert!(message.starts_with(&expected), "{message}");
        assert!(!message.contains(TOKEN), "{message}");
        assert_eq!(failure_in(&failed).kind, FailureKind::Unavailable);
    }
    let took = stopped.elapsed();
    // The last word may have come up to a heartbeat before the stop.
    assert!(
        took >= Duration::from_secs(2) - HEARTBEAT,
        "gave up after {took:?}"
    );
    assert!(took < Duration::from_secs(4), "gave up only after {took:?}");
    acknowledge_all(&s.agent);
    let status = s.executor.exit_within(Duration::from_secs(5)).await;
    assert_eq!(exit_code(status), Some(1), "{status:?}");
    let log = s.log_text();
    assert!(log.contains("reconnecting"), "{log}");
    assert!(!log.contains(TOKEN), "the token is never logged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_404_from_the_driver_ends_the_executor_at_once() {
    let mut s = setup(&[("RMESOS_DATA_TIMEOUT_SECS", "60")]).await;
    s.lease("l1", 1).await;
    s.driver.wait_for_stream(1).await;
    let forgotten = Instant::now();
    s.driver.forget();
    s.driver.end_stream();
    let failed = s.update_in("l1", TaskState::TaskFailed).await;
    let message = failed.message.unwrap();
    assert!(
        message.contains("no longer knows this executor"),
        "{message}"
    );
    assert!(message.contains("answered 404"), "{message}");
    assert!(message.contains("/***/executors/"), "{message}");
    assert!(
        forgotten.elapsed() < Duration::from_secs(5),
        "{:?}",
        forgotten.elapsed()
    );
    acknowledge_all(&s.agent);
    let status = s.executor.exit_within(Duration::from_secs(5)).await;
    assert_eq!(exit_code(status), Some(1), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_arrive_every_interval_and_a_silent_stream_is_replaced() {
    let s = setup(&[]).await;
    s.driver.keep_quiet();
    s.lease("l1", 1).await;
    s.driver.wait_for_stream(1).await;
    let seen = s
        .driver
        .wait_for("6 heartbeats", |d| d.heartbeats.len() >= 6)
        .await;
    let span = seen.heartbeats[5] - seen.heartbeats[0];
    // Five intervals, give or take scheduling.
    assert!(
        span >= HEARTBEAT * 5 - Duration::from_millis(50),
        "{span:?}"
    );
    assert!(span < HEARTBEAT * 5 * 3, "{span:?}");
    // Silent (no driver heartbeat) for 3 intervals: the stream is replaced,
    // and the lease lives on.
    s.driver.wait_for_stream(2).await;
    assert!(s.log_text().contains("silent for 600ms"));
    assert_eq!(updates(&s.agent.calls()).len(), 1, "only RUNNING");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_straggler_fault_delays_every_partition() {
    let s = setup(&[("RMESOS_TEST_PARTITION_DELAY_MS", "1500")]).await;
    let csv = s.dir.path().join("x.csv");
    write_csv(&csv, &values(20, 2), 2);
    s.lease("l1", 2).await;
    s.driver.wait_for_stream(1).await;
    let assigned = Instant::now();
    s.driver.assign(1, spec(0, csv_source(&csv, 0..u64::MAX)));
    s.driver.assign(2, spec(1, csv_source(&csv, 0..u64::MAX)));
    s.driver.cancel(2);
    s.driver
        .wait_for("a result", |d| d.results.len() == 1)
        .await;
    let took = assigned.elapsed();
    assert!(took >= Duration::from_millis(1500), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(s.driver.seen().reports_of(2), 0, "cancelled while delayed");
    assert!(s.log_text().contains("test fault"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_the_driver_cannot_take_yet_is_posted_again() {
    let s = setup(&[("RMESOS_DATA_TIMEOUT_SECS", "10")]).await;
    let csv = s.dir.path().join("x.csv");
    write_csv(&csv, &values(20, 2), 2);
    s.lease("l1", 1).await;
    s.driver.wait_for_stream(1).await;
    s.driver.refuse_reports(3);
    s.driver.assign(1, spec(0, csv_source(&csv, 0..u64::MAX)));
    let seen = s
        .driver
        .wait_for("a result", |d| d.results.len() == 1)
        .await;
    assert_eq!(seen.report_posts, 4, "three refused, then taken");
    assert_eq!(seen.results_of(1)[0].count(), 20);
    assert!(s.log_text().contains("report not taken; retrying"));
    // Taken once: posting stops (the next report is the next one POSTed).
    s.driver.assign(2, spec(1, csv_source(&csv, 0..u64::MAX)));
    let seen = s
        .driver
        .wait_for("a result", |d| d.results.len() == 2)
        .await;
    assert_eq!(seen.report_posts, 5, "{seen:#?}");
    assert_eq!(updates(&s.agent.calls()).len(), 1, "the lease still runs");
}
