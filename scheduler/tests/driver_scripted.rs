//! The driver against a scripted master over loopback HTTP: the protocol
//! corners (first subscribe, acknowledgements, heartbeat loss, corrupt
//! records, ERROR, 401, teardown, re-subscribe state) one at a time.

mod driver_support;

use std::time::Duration;

use driver_support::scripted_master::{ScriptedMaster, SubscribeAnswer, event_of, record};
use driver_support::{init_tracing, next_matching, wait_until};
use rmesos_scheduler::driver::mesos::offer::{Operation, operation};
use rmesos_scheduler::driver::mesos::scheduler::{Call, Event, call, event};
use rmesos_scheduler::driver::mesos::{AgentId, TaskId, TaskInfo, TaskState, TaskStatus};
use rmesos_scheduler::driver::{
    DisconnectReason, Driver, DriverConfig, DriverError, DriverEvent, FrameworkConfig, fixed_leader,
};
use rmesos_scheduler::transport::{BackoffPolicy, Codec, Credentials, Secret, TransportConfig};

const WAIT: Duration = Duration::from_secs(10);
/// The scripted master's heartbeat. The tests count SUBSCRIBE calls
/// exactly, and a driver and master sharing one thread of a loaded machine
/// can stall past 5 missed heartbeats of 100 ms: at 1 s they would have
/// to stall 5 s to reconnect unasked.
const HEARTBEAT: Duration = Duration::from_secs(1);

fn config() -> DriverConfig {
    DriverConfig {
        framework: FrameworkConfig {
            name: "scripted-test".into(),
            ..FrameworkConfig::default()
        },
        reconnect_backoff: BackoffPolicy {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(200),
            multiplier: 2.0,
            jitter: 0.5,
        },
        ..DriverConfig::default()
    }
}

async fn start(master: &ScriptedMaster, config: DriverConfig) -> Driver {
    init_tracing();
    Driver::spawn(config, fixed_leader(master.url())).expect("driver starts")
}

fn is_subscribed(event: &DriverEvent) -> bool {
    matches!(event, DriverEvent::Subscribed { .. })
}

fn subscribe_of(call: &Call) -> &call::Subscribe {
    call.subscribe.as_ref().expect("SUBSCRIBE body")
}

#[tokio::test]
async fn first_subscribe_sends_a_durable_framework_info() {
    let master = ScriptedMaster::start(HEARTBEAT).await;
    let mut driver = start(&master, config()).await;
    let (event, _) = next_matching(&mut driver.events, WAIT, "SUBSCRIBED", is_subscribed).await;
    let DriverEvent::Subscribed {
        framework_id,
        heartbeat_interval,
        resubscribed,
        master: info,
        ..
    } = event
    else {
        unreachable!()
    };
    assert_eq!(
        framework_id.value,
        format!("scripted-fw-{}", master.url().port().unwrap())
    );
    assert_eq!(heartbeat_interval, HEARTBEAT);
    assert!(!resubscribed);
    assert_eq!(info.map(|i| i.id), Some("scripted".to_owned()));
    assert_eq!(driver.handle.framework_id(), Some(framework_id));

    let subscribes: Vec<_> = master
        .calls()
        .into_iter()
        .filter(|(c, _)| c.subscribe.is_some())
        .collect();
    assert_eq!(subscribes.len(), 1);
    let (call, stream_id) = &subscribes[0];
    assert_eq!(stream_id, &None, "SUBSCRIBE carries no Mesos-Stream-Id");
    assert_eq!(call.framework_id, None);
    let info = &subscribe_of(call).framework_info;
    assert_eq!(info.name, "scripted-test");
    assert_eq!(info.failover_timeout, Some(7.0 * 24.0 * 3600.0));
    assert_eq!(info.checkpoint, Some(true));
    assert!(!info.user.is_empty());
    assert_eq!(info.roles, vec!["*".to_owned()]);

    driver.handle.disconnect().await.expect("stop");
    driver.task.await.expect("clean stop");
}

fn update(task: &str, state: TaskState, uuid: Option<Vec<u8>>) -> Event {
    Event {
        update: Some(event::Update {
            status: TaskStatus {
                task_id: TaskId { value: task.into() },
                agent_id: Some(AgentId {
                    value: "agent-1".into(),
                }),
                state: state as i32,
                uuid,
                ..TaskStatus::default()
            },
        }),
        ..event_of(event::Type::Update)
    }
}

#[tokio::test]
async fn updates_with_a_uuid_are_handed_over_then_acknowledged() {
    let master = ScriptedMaster::start(HEARTBEAT).await;
    let mut driver = start(&master, config()).await;
    next_matching(&mut driver.events, WAIT, "SUBSCRIBED", is_subscribed).await;

    master.push_event(&update("no-ack", TaskState::TaskLost, None));
    master.push_event(&update("t-1", TaskState::TaskRunning, Some(vec![7, 7, 7])));
    let (first, _) = next_matching(&mut driver.events, WAIT, "update", |e| {
        matches!(e, DriverEvent::Update(_))
    })
    .await;
    let (second, _) = next_matching(&mut driver.events, WAIT, "update", |e| {
        matches!(e, DriverEvent::Update(_))
    })
    .await;
    let DriverEvent::Update(status) = second else {
        unreachable!()
    };
    assert!(matches!(first, DriverEvent::Update(s) if s.task_id.value == "no-ack"));
    assert_eq!(status.task_id.value, "t-1");

    wait_until("ACKNOWLEDGE", WAIT, || {
        !master.calls_of(call::Type::Acknowledge).is_empty()
    })
    .await;
    let acks = master.calls_of(call::Type::Acknowledge);
    assert_eq!(acks.len(), 1, "only the update with a uuid is acknowledged");
    let ack = acks[0].acknowledge.as_ref().unwrap();
    assert_eq!(ack.uuid, vec![7, 7, 7]);
    assert_eq!(ack.task_id.value, "t-1");
    assert_eq!(ack.agent_id.value, "agent-1");
    let stream_ids: Vec<_> = master
        .calls()
        .into_iter()
        .skip(1)
        .map(|(_, id)| id)
        .collect();
    assert!(
        stream_ids
            .iter()
            .all(|id| id.as_deref() == Some("scripted-stream-1")),
        "{stream_ids:?}"
    );
    driver.handle.disconnect().await.expect("stop");
}

#[tokio::test]
async fn silence_beyond_the_missed_heartbeats_reconnects_with_the_same_id() {
    let master = ScriptedMaster::start(HEARTBEAT).await;
    let config = DriverConfig {
        missed_heartbeats: 3,
        ..config()
    };
    let mut driver = start(&master, config).await;
    let (first, _) = next_matching(&mut driver.events, WAIT, "SUBSCRIBED", is_subscribed).await;
    let DriverEvent::Subscribed { framework_id, .. } = first else {
        unreachable!()
    };

    master.pause_heartbeats(true);
    let (lost, _) = next_matching(&mut driver.events, WAIT, "disconnect", |e| {
        matches!(e, DriverEvent::Disconnected { .. })
    })
    .await;
    assert_eq!(
        lost,
        DriverEvent::Disconnected {
            reason: DisconnectReason::HeartbeatTimeout(HEARTBEAT * 3)
        }
    );
    master.pause_heartbeats(false);
    let (again, _) = next_matching(&mut driver.events, WAIT, "re-SUBSCRIBED", is_subscribed).await;
    assert!(
        matches!(&again, DriverEvent::Subscribed { resubscribed: true, framework_id: id, .. } if *id == framework_id)
    );

    let subscribes = master.calls_of(call::Type::Subscribe);
    assert_eq!(subscribes.len(), 2);
    assert_eq!(subscribes[1].framework_id.as_ref(), Some(&framework_id));
    assert_eq!(
        subscribe_of(&subscribes[1]).framework_info.id.as_ref(),
        Some(&framework_id)
    );
    driver.handle.disconnect().await.expect("stop");
}

#[tokio::test]
async fn corrupt_and_oversized_records_are_reported_then_reconnected() {
    let master = ScriptedMaster::start(HEARTBEAT).await;
    let config = DriverConfig {
        transport: TransportConfig {
            max_record_size: 4096,
            ..TransportConfig::default()
        },
        ..config()
    };
    let mut driver = start(&master, config).await;
    next_matching(&mut driver.events, WAIT, "SUBSCRIBED", is_subscribed).await;

    master.push_bytes(record(b"\xff\xff\xff\xff not protobuf"));
    let (lost, _) = next_matching(&mut driver.events, WAIT, "disconnect", |e| {
        matches!(e, DriverEvent::Disconnected { .. })
    })
    .await;
    assert!(
        matches!(
            &lost,
            DriverEvent::Disconnected {
                reason: DisconnectReason::Corrupt(_)
            }
        ),
        "{lost:?}"
    );
    next_matching(&mut driver.events, WAIT, "re-SUBSCRIBED", is_subscribed).await;

    master.push_bytes("999999999\n".into());
    let (lost, _) = next_matching(&mut driver.events, WAIT, "disconnect", |e| {
        matches!(e, DriverEvent::Disconnected { .. })
    })
    .await;
    let DriverEvent::Disconnected {
        reason: DisconnectReason::Corrupt(why),
    } = &lost
    else {
        panic!("{lost:?}")
    };
    assert!(why.contains("999999999"), "the error names the size: {why}");
    next_matching(&mut driver.events, WAIT, "re-SUBSCRIBED", is_subscribed).await;
    assert_eq!(master.subscriptions(), 3);
    driver.handle.disconnect().await.expect("stop");
}

#[tokio::test]
async fn an_error_event_stops_the_driver_with_the_master_text() {
    let master = ScriptedMaster::start(HEARTBEAT).await;
    let mut driver = start(&master, config()).await;
    next_matching(&mut driver.events, WAIT, "SUBSCRIBED", is_subscribed).await;
    master.push_event(&Event {
        error: Some(event::Error {
            message: "Framework has been removed".into(),
        }),
        ..event_of(event::Type::Error)
    });
    let (error, _) = next_matching(&mut driver.events, WAIT, "ERROR", |e| {
        matches!(e, DriverEvent::Error { .. })
    })
    .await;
    assert_eq!(
        error,
        DriverEvent::Error {
            message: "Framework has been removed".into()
        }
    );
    let result = tokio::time::timeout(WAIT, driver.task)
        .await
        .expect("driver ends");
    let err = result.expect_err("fatal");
    assert!(matches!(err, DriverError::MasterError { .. }));
    assert!(err.to_string().contains("Framework has been removed"));
    assert!(
        driver.events.recv().await.is_none(),
        "the event stream ends"
    );
    assert!(driver.handle.state().stopped);
}

#[tokio::test]
async fn a_master_answering_404_while_it_starts_is_tried_again() {
    let master = ScriptedMaster::start(HEARTBEAT).await;
    // A real master's HTTP server answers 404 before its routes exist.
    master.set_answer(SubscribeAnswer::Refuse(404, "404 Not Found.".into()));
    let mut driver = start(&master, config()).await;
    tokio::time::timeout(WAIT, async {
        while master.calls_of(call::Type::Subscribe).len() < 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("SUBSCRIBE is sent again after a 404");
    assert!(
        !driver.handle.state().stopped,
        "a 404 does not stop the driver"
    );
    master.set_answer(SubscribeAnswer::Accept);
    next_matching(&mut driver.events, WAIT, "SUBSCRIBED", is_subscribed).await;
}

#[tokio::test]
async fn a_refused_secret_stops_the_driver_without_showing_it() {
    let master = ScriptedMaster::start(HEARTBEAT).await;
    master.set_answer(SubscribeAnswer::Refuse(401, "Authentication failed".into()));
    let config = DriverConfig {
        transport: TransportConfig {
            credentials: Some(Credentials {
                principal: "fw".into(),
                secret: Secret::new("not-the-secret-4417"),
            }),
            ..TransportConfig::default()
        },
        ..config()
    };
    let driver = start(&master, config).await;
    let err = tokio::time::timeout(WAIT, driver.task)
        .await
        .expect("ends")
        .expect_err("401");
    assert!(matches!(err, DriverError::Unauthorized(_)), "{err:?}");
    let (shown, debug) = (err.to_string(), format!("{err:?}"));
    assert!(shown.contains("Authentication failed"), "{shown}");
    assert!(!shown.contains("not-the-secret-4417") && !debug.contains("not-the-secret-4417"));
    assert_eq!(master.subscriptions(), 0);
}

fn launch(task: &str) -> Operation {
    Operation {
        r#type: Some(operation::Type::Launch as i32),
        launch: Some(operation::Launch {
            task_infos: vec![TaskInfo {
                name: task.into(),
                task_id: TaskId { value: task.into() },
                agent_id: AgentId {
                    value: "agent-1".into(),
                },
                ..TaskInfo::default()
            }],
        }),
        ..Operation::default()
    }
}

#[tokio::test]
async fn resubscribing_reconciles_in_flight_tasks_and_keeps_suppression() {
    let master = ScriptedMaster::start(HEARTBEAT).await;
    let mut driver = start(&master, config()).await;
    next_matching(&mut driver.events, WAIT, "SUBSCRIBED", is_subscribed).await;
    let handle = driver.handle.clone();
    handle
        .accept(vec![], vec![launch("running"), launch("done")], None)
        .await
        .expect("accept");
    handle.suppress(vec![]).await.expect("suppress");
    master.push_event(&update("done", TaskState::TaskFinished, None));
    next_matching(&mut driver.events, WAIT, "update", |e| {
        matches!(e, DriverEvent::Update(_))
    })
    .await;

    master.close_stream();
    next_matching(&mut driver.events, WAIT, "disconnect", |e| {
        *e == DriverEvent::Disconnected {
            reason: DisconnectReason::StreamEnded,
        }
    })
    .await;
    next_matching(&mut driver.events, WAIT, "re-SUBSCRIBED", is_subscribed).await;

    let subscribes = master.calls_of(call::Type::Subscribe);
    assert_eq!(
        subscribe_of(&subscribes[1]).suppressed_roles,
        vec!["*".to_owned()]
    );
    wait_until("RECONCILE calls after re-subscribing", WAIT, || {
        master.calls_of(call::Type::Reconcile).len() >= 3
    })
    .await;
    let reconciled: Vec<Vec<String>> = master
        .calls_of(call::Type::Reconcile)
        .iter()
        .map(|c| {
            c.reconcile
                .as_ref()
                .unwrap()
                .tasks
                .iter()
                .map(|t| t.task_id.value.clone())
                .collect()
        })
        .collect();
    // First subscription: implicit only. Second: the live task explicitly
    // (the finished one is no longer in flight), then implicit.
    assert_eq!(reconciled, vec![vec![], vec!["running".to_owned()], vec![]]);
    driver.handle.disconnect().await.expect("stop");
}

#[tokio::test]
async fn teardown_sends_teardown_and_ends_the_driver() {
    let master = ScriptedMaster::start(HEARTBEAT).await;
    let mut driver = start(&master, config()).await;
    next_matching(&mut driver.events, WAIT, "SUBSCRIBED", is_subscribed).await;
    driver.handle.teardown().await.expect("teardown");
    tokio::time::timeout(WAIT, driver.task)
        .await
        .expect("ends")
        .expect("clean");
    let teardowns = master.calls_of(call::Type::Teardown);
    assert_eq!(teardowns.len(), 1);
    assert!(teardowns[0].framework_id.is_some());
    let err = driver.handle.revive(vec![]).await.expect_err("stopped");
    assert!(err.to_string().contains("stopped"), "{err}");
}

#[tokio::test]
async fn the_json_codec_carries_calls_and_events() {
    let master = ScriptedMaster::start(HEARTBEAT).await;
    let config = DriverConfig {
        transport: TransportConfig {
            codec: Codec::Json,
            ..TransportConfig::default()
        },
        ..config()
    };
    let mut driver = start(&master, config).await;
    next_matching(&mut driver.events, WAIT, "SUBSCRIBED", is_subscribed).await;
    master.push_event(&update(
        "json-task",
        TaskState::TaskRunning,
        Some(b"uuid-bytes".to_vec()),
    ));
    let (event, _) = next_matching(&mut driver.events, WAIT, "update", |e| {
        matches!(e, DriverEvent::Update(_))
    })
    .await;
    assert!(matches!(&event, DriverEvent::Update(s) if s.task_id.value == "json-task"));
    wait_until("ACKNOWLEDGE", WAIT, || {
        !master.calls_of(call::Type::Acknowledge).is_empty()
    })
    .await;
    let ack = master.calls_of(call::Type::Acknowledge).remove(0);
    assert_eq!(
        ack.acknowledge.unwrap().uuid,
        b"uuid-bytes".to_vec(),
        "bytes survive base64"
    );
    assert!(
        master
            .content_types()
            .iter()
            .all(|t| t == "application/json")
    );
    driver.handle.disconnect().await.expect("stop");
}
