//! The executor against a scripted fake agent over loopback: reliable
//! updates across a re-subscription, the bearer token on every call,
//! exiting when the agent is lost (without checkpointing, or after the
//! recovery timeout), SHUTDOWN within the grace period, and a clear error
//! for a missing environment variable.

mod support;

use std::time::{Duration, Instant};

use rmesos_common::stats::ColumnSummary;
use rmesos_common::wire::executor::{Event, call, event};
use rmesos_common::wire::v1::{TaskGroupInfo, TaskState};
use support::data_server::DataServer;
use support::fake_agent::{
    ExecutorProcess, FakeAgent, RecordedCall, acknowledged, launch, shutdown, task_info, updates,
};
use support::{LogOnFailure, csv_source, spec, values, write_csv};

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

    let data = spec(0, csv_source(&csv, 0..u64::MAX)).to_bytes().unwrap();
    agent.send(launch(task_info("t1", data)));
    // The agent takes both updates (202) but acknowledges neither.
    let calls = agent
        .wait_for("RUNNING and FINISHED", |c| updates(c).len() == 2)
        .await;
    let sent = updates(&calls);
    assert_eq!(sent[0].state, TaskState::TaskRunning as i32);
    assert_eq!(sent[1].state, TaskState::TaskFinished as i32);
    let summary = ColumnSummary::from_bytes(sent[1].data.as_deref().unwrap()).unwrap();
    assert_eq!(summary.count(), 50);
    assert_eq!(sent[1].message.as_deref(), Some("50 rows"));
    assert_eq!(sent[1].agent_id.as_ref().unwrap().value, "fake-agent-S0");

    // The agent restarts: the stream ends, SUBSCRIBE is refused a while.
    agent.refuse_subscribe(true);
    agent.drop_stream();
    agent
        .wait_for("a refused SUBSCRIBE", |c| subscribes(c).len() >= 2)
        .await;
    agent.refuse_subscribe(false);
    let calls = agent
        .wait_for("a taken SUBSCRIBE", |c| {
            subscribes(c).len() >= 3 && updates(c).len() == 2
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
    assert_eq!(
        listed,
        vec![sent[0].uuid.clone(), sent[1].uuid.clone()],
        "both, in order"
    );
    let tasks: Vec<_> = resubscribe
        .unacknowledged_tasks
        .iter()
        .map(|t| t.task_id.value.as_str())
        .collect();
    assert_eq!(tasks, ["t1"], "its final update is unacknowledged");
    assert!(
        calls
            .iter()
            .all(|c| c.authorization.as_deref() == Some("Bearer agent-t0ken")),
        "every call carries the token: {calls:#?}"
    );

    // Acknowledged now: nothing is pending, so SHUTDOWN ends it at once.
    for status in &sent {
        agent.send(acknowledged("t1", status.uuid.as_deref().unwrap()));
    }
    agent.send(shutdown());
    let status = executor.exit_within(Duration::from_secs(3)).await;
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{status:?}");
    assert_eq!(
        updates(&agent.calls()).len(),
        2,
        "nothing sent twice as UPDATE"
    );
    let log = std::fs::read_to_string(&_log.0).unwrap();
    assert!(!log.contains("agent-t0ken"), "the token is never logged");
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
        ("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", "2secs"),
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
    agent.send(launch(task_info(
        "s1",
        spec(3, stalled).to_bytes().unwrap(),
    )));
    agent.wait_for("RUNNING", |c| updates(c).len() == 1).await;
    server.wait_for_stall_request().await;

    let asked = Instant::now();
    agent.send(shutdown());
    let status = executor.exit_within(Duration::from_secs(5)).await;
    let took = asked.elapsed();
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{status:?}");
    assert!(
        took < Duration::from_secs(2),
        "exited after {took:?}, past the grace period"
    );
    assert!(
        took >= Duration::from_millis(1000),
        "left after {took:?} without waiting for the acknowledgement"
    );
    let sent = updates(&agent.calls());
    assert_eq!(sent.len(), 2, "{sent:#?}");
    assert_eq!(sent[1].state, TaskState::TaskKilled as i32);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_task_of_a_launch_group_runs_and_unknown_events_are_ignored() {
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
    let data = |id| spec(id, csv_source(&csv, 0..u64::MAX)).to_bytes().unwrap();
    agent.send(Event {
        r#type: Some(event::Type::LaunchGroup as i32),
        launch_group: Some(event::LaunchGroup {
            task_group: TaskGroupInfo {
                tasks: vec![task_info("g1", data(0)), task_info("g2", data(1))],
            },
        }),
        ..Default::default()
    });
    let calls = agent
        .wait_for("four updates", |c| updates(c).len() == 4)
        .await;
    let finished: Vec<_> = updates(&calls)
        .into_iter()
        .filter(|s| s.state == TaskState::TaskFinished as i32)
        .map(|s| s.task_id.value)
        .collect();
    assert_eq!(finished.len(), 2, "{finished:?}");
    assert!(finished.contains(&"g1".to_owned()) && finished.contains(&"g2".to_owned()));
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
