//! The executor against a scripted fake agent over loopback (and a fake
//! driver channel for its leases' work): reliable updates across a
//! re-subscription, the bearer token on every call, exiting when the
//! agent is lost (without checkpointing, or after the recovery timeout),
//! SHUTDOWN within the grace period, the leases of a launch group sharing
//! one channel, and a clear error for a missing environment variable.

mod support;

use std::time::{Duration, Instant};

use rmesos_common::wire::executor::{Event, call, event};
use rmesos_common::wire::v1::{TaskGroupInfo, TaskState};
use support::data_server::{DataServer, TOKEN};
use support::driver::FakeDriver;
use support::fake_agent::{
    ExecutorProcess, FakeAgent, RecordedCall, acknowledged, launch, shutdown, task_info, updates,
};
use support::{LogOnFailure, csv_source, spec, values, write_csv};

const HEARTBEAT: Duration = Duration::from_millis(200);

fn subscribes(calls: &[RecordedCall]) -> Vec<&RecordedCall> {
    calls
        .iter()
        .filter(|c| c.is(call::Type::Subscribe))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unacknowledged_updates_and_tasks_are_listed_when_subscribing_again() {
    let dir = tempfile::tempdir().unwrap();
    let _log = LogOnFailure(dir.path().join("executor.log"));
    let csv = dir.path().join("x.csv");
    let rows = values(50, 2);
    write_csv(&csv, &rows, 2);
    let agent = FakeAgent::start().await;
    let env = [
        ("MESOS_CHECKPOINT", "1"),
        ("MESOS_RECOVERY_TIMEOUT", "1mins"),
        ("MESOS_SUBSCRIPTION_BACKOFF_MAX", "200ms"),
        ("MESOS_EXECUTOR_AUTHENTICATION_TOKEN", "agent-t0ken"),
    ];
    let mut executor = ExecutorProcess::start(&agent, &env, &_log.0);
    agent
        .wait_for("SUBSCRIBE", |c| subscribes(c).len() == 1)
        .await;

    let driver = FakeDriver::start(HEARTBEAT).await;
    agent.send(launch(task_info("l1", driver.grant(1))));
    // The agent takes the update (202) but does not acknowledge it.
    let calls = agent.wait_for("RUNNING", |c| updates(c).len() == 1).await;
    let sent = updates(&calls);
    assert_eq!(sent[0].state, TaskState::TaskRunning as i32);
    assert_eq!(sent[0].message.as_deref(), Some("lease of 1 slot"));
    assert_eq!(sent[0].agent_id.as_ref().unwrap().value, "fake-agent-S0");
    driver.wait_for_stream(1).await;
    driver.assign(1, spec(0, csv_source(&csv, 0..u64::MAX)));
    let seen = driver.wait_for("a result", |s| s.results.len() == 1).await;
    assert_eq!(seen.results_of(1)[0].count(), 50);

    // The agent restarts: the stream ends, SUBSCRIBE is refused a while.
    agent.refuse_subscribe(true);
    agent.drop_stream();
    agent
        .wait_for("a refused SUBSCRIBE", |c| subscribes(c).len() >= 2)
        .await;
    // The lease's work goes on without the agent.
    driver.assign(2, spec(1, csv_source(&csv, 0..u64::MAX)));
    driver
        .wait_for("a second result", |s| s.results.len() == 2)
        .await;
    agent.refuse_subscribe(false);
    let calls = agent
        .wait_for("a taken SUBSCRIBE", |c| {
            subscribes(c).len() >= 3 && updates(c).len() == 1
        })
        .await;
    let resubscribe = subscribes(&calls)
        .last()
        .unwrap()
        .call
        .subscribe
        .clone()
        .unwrap();
    let listed: Vec<_> = resubscribe
        .unacknowledged_updates
        .iter()
        .map(|u| u.status.uuid.clone())
        .collect();
    assert_eq!(listed, vec![sent[0].uuid.clone()], "the lease's RUNNING");
    let tasks: Vec<_> = resubscribe
        .unacknowledged_tasks
        .iter()
        .map(|t| t.task_id.value.as_str())
        .collect();
    assert_eq!(tasks, ["l1"], "the lease is live");
    assert!(
        calls
            .iter()
            .all(|c| c.authorization.as_deref() == Some("Bearer agent-t0ken")),
        "every call carries the token: {calls:#?}"
    );

    // SHUTDOWN kills the lease; once that is acknowledged, it exits.
    agent.send(acknowledged("l1", sent[0].uuid.as_deref().unwrap()));
    agent.send(shutdown());
    let calls = agent.wait_for("KILLED", |c| updates(c).len() == 2).await;
    let killed = &updates(&calls)[1];
    assert_eq!(killed.state, TaskState::TaskKilled as i32);
    agent.send(acknowledged("l1", killed.uuid.as_deref().unwrap()));
    let status = executor.exit_within(Duration::from_secs(3)).await;
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{status:?}");
    assert_eq!(
        updates(&agent.calls()).len(),
        2,
        "nothing sent twice as UPDATE"
    );
    let seen = driver.seen();
    assert_eq!((seen.results.len(), seen.failures.len()), (2, 0));
    let log = std::fs::read_to_string(&_log.0).unwrap();
    assert!(!log.contains("agent-t0ken"), "the token is never logged");
    assert!(!log.contains(TOKEN), "the channel's token is never logged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_checkpointing_losing_the_agent_ends_the_executor() {
    let dir = tempfile::tempdir().unwrap();
    let log = LogOnFailure(dir.path().join("executor.log"));
    let agent = FakeAgent::start().await;
    let mut executor = ExecutorProcess::start(&agent, &[("MESOS_CHECKPOINT", "0")], &log.0);
    agent
        .wait_for("SUBSCRIBE", |c| subscribes(c).len() == 1)
        .await;
    assert!(executor.is_running());
    agent.drop_stream();
    let status = executor.exit_within(Duration::from_secs(5)).await;
    assert!(
        matches!(status.and_then(|s| s.code()), Some(code) if code != 0),
        "{status:?}"
    );
    assert_eq!(subscribes(&agent.calls()).len(), 1, "no second SUBSCRIBE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_checkpointing_the_executor_retries_until_the_recovery_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let log = LogOnFailure(dir.path().join("executor.log"));
    let agent = FakeAgent::start().await;
    let env = [
        ("MESOS_CHECKPOINT", "1"),
        ("MESOS_RECOVERY_TIMEOUT", "1secs"),
        ("MESOS_SUBSCRIPTION_BACKOFF_MAX", "100ms"),
    ];
    let mut executor = ExecutorProcess::start(&agent, &env, &log.0);
    agent
        .wait_for("SUBSCRIBE", |c| subscribes(c).len() == 1)
        .await;
    agent.refuse_subscribe(true);
    let lost = Instant::now();
    agent.drop_stream();
    let status = executor.exit_within(Duration::from_secs(10)).await;
    let away = lost.elapsed();
    assert!(
        matches!(status.and_then(|s| s.code()), Some(code) if code != 0),
        "{status:?}"
    );
    assert!(away >= Duration::from_secs(1), "gave up after {away:?}");
    assert!(away < Duration::from_secs(4), "gave up only after {away:?}");
    // Waits of at most 100ms over one second: many attempts.
    let attempts = subscribes(&agent.calls()).len() - 1;
    assert!(attempts >= 5, "only {attempts} SUBSCRIBE attempts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_kills_tasks_and_exits_within_the_grace_period_without_acks() {
    let dir = tempfile::tempdir().unwrap();
    let log = LogOnFailure(dir.path().join("executor.log"));
    let server = DataServer::start(values(10, 2)).await;
    let agent = FakeAgent::start().await;
    let env = [
        ("MESOS_CHECKPOINT", "0"),
        // Unacknowledged, the executor leaves 1 s before the end (at
        // 4 s): that second is the room a loaded machine has to see it go.
        ("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", "5secs"),
    ];
    let mut executor = ExecutorProcess::start(&agent, &env, &log.0);
    agent
        .wait_for("SUBSCRIBE", |c| subscribes(c).len() == 1)
        .await;
    let stalled = rmesos_common::partition::PartitionSource::Served {
        url: server.url("stall"),
        rows: 0..1_000_000,
        ncols: 2,
    };
    let driver = FakeDriver::start(HEARTBEAT).await;
    agent.send(launch(task_info("l1", driver.grant(2))));
    agent.wait_for("RUNNING", |c| updates(c).len() == 1).await;
    driver.wait_for_stream(1).await;
    driver.assign(1, spec(3, stalled));
    server.wait_for_stall_request().await;

    let asked = Instant::now();
    agent.send(shutdown());
    let status = executor.exit_within(Duration::from_secs(10)).await;
    let took = asked.elapsed();
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{status:?}");
    assert!(
        took < Duration::from_secs(5),
        "exited after {took:?}, past the grace period"
    );
    assert!(
        took >= Duration::from_secs(3),
        "left after {took:?} without waiting for the acknowledgement"
    );
    let sent = updates(&agent.calls());
    assert_eq!(sent.len(), 2, "{sent:#?}");
    assert_eq!(sent[1].state, TaskState::TaskKilled as i32);
    let seen = driver.seen();
    assert_eq!(seen.reports_of(1), 0, "a killed attempt reports nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leases_of_a_launch_group_share_one_channel_and_unknown_events_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let log = LogOnFailure(dir.path().join("executor.log"));
    let csv = dir.path().join("g.csv");
    write_csv(&csv, &values(30, 3), 3);
    let agent = FakeAgent::start().await;
    let mut executor = ExecutorProcess::start(&agent, &[("MESOS_CHECKPOINT", "0")], &log.0);
    agent
        .wait_for("SUBSCRIBE", |c| subscribes(c).len() == 1)
        .await;
    // An event type from a newer agent, then MESSAGE and HEARTBEAT.
    for kind in [
        99,
        event::Type::Message as i32,
        event::Type::Heartbeat as i32,
    ] {
        agent.send(Event {
            r#type: Some(kind),
            ..Default::default()
        });
    }
    let driver = FakeDriver::start(HEARTBEAT).await;
    agent.send(Event {
        r#type: Some(event::Type::LaunchGroup as i32),
        launch_group: Some(event::LaunchGroup {
            task_group: TaskGroupInfo {
                tasks: vec![
                    task_info("g1", driver.grant(1)),
                    task_info("g2", driver.grant(2)),
                ],
            },
        }),
        ..Default::default()
    });
    let calls = agent
        .wait_for("two RUNNING", |c| updates(c).len() == 2)
        .await;
    let running: Vec<_> = updates(&calls)
        .into_iter()
        .map(|s| (s.task_id.value, s.state, s.message.unwrap_or_default()))
        .collect();
    let state = TaskState::TaskRunning as i32;
    assert!(
        running.contains(&("g1".into(), state, "lease of 1 slot".into())),
        "{running:?}"
    );
    assert!(
        running.contains(&("g2".into(), state, "lease of 2 slots".into())),
        "{running:?}"
    );
    driver.wait_for_stream(1).await;
    for attempt in 1..=3 {
        driver.assign(attempt, spec(attempt as u32, csv_source(&csv, 0..u64::MAX)));
    }
    let seen = driver
        .wait_for("three results", |s| s.results.len() == 3)
        .await;
    assert!((1..=3).all(|a| seen.results_of(a).len() == 1), "{seen:#?}");
    assert!(seen.results.iter().all(|(_, s)| s.count() == 30));
    assert_eq!(seen.event_requests, 1, "one channel for both leases");
    assert!(executor.is_running(), "still serving after unknown events");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_variable_is_named_and_exits_non_zero() {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_rmesos-executor"))
        .env_clear()
        .env("MESOS_FRAMEWORK_ID", "f")
        .env("MESOS_AGENT_ENDPOINT", "127.0.0.1:1")
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("MESOS_EXECUTOR_ID"), "{stderr}");
}
