//! Table tests of the driver's state machine: each row is one transition,
//! (phase before, input) -> (phase after, actions), with no I/O and no
//! clock: every time is an offset from one instant. This file holds the
//! fixtures: the phases a row starts from (each reached through the
//! machine itself) and the actions rows expect.

mod before_subscribed;
mod sequences;
mod subscribed;

use std::time::Duration;

use mesos::scheduler::{Event, event};
use mesos::{AgentId, ExecutorId, FrameworkId, Offer, OfferId, TaskId, TaskState, TaskStatus};
use reqwest::Url;
use rmesos_common::backoff::BackoffPolicy;
use rmesos_common::wire::v1 as mesos;
use tokio::time::Instant;

use super::calls;
use super::events::{DisconnectReason, DriverEvent};
use super::machine::{
    Action, Connection, Ending, Input, Machine, Phase, StopAnswer, Timer, Timing,
};
use super::watchdog::HeartbeatWatchdog;

/// Stop requests are told apart by a label.
type Reply = &'static str;

const FIRST_EVENT: Duration = Duration::from_secs(1);
const TEARDOWN: Duration = Duration::from_secs(10);
const HEARTBEAT: Duration = Duration::from_secs(2);
/// Five missed two-second heartbeats.
const WINDOW: Duration = Duration::from_secs(10);
const FIRST_RETRY: Duration = Duration::from_millis(100);
/// How long after the setup each row's input arrives.
const LATER: Duration = Duration::from_secs(3);

fn master(n: u8) -> Url {
    Url::parse(&format!("http://10.0.0.{n}:5050")).unwrap()
}

fn endpoint(n: u8) -> Url {
    Url::parse(&format!("http://10.0.0.{n}:5050/api/v1/scheduler")).unwrap()
}

fn fw() -> FrameworkId {
    FrameworkId {
        value: "fw-1".into(),
    }
}

fn machine(framework_id: Option<FrameworkId>) -> Machine<Reply> {
    let reconnect = BackoffPolicy {
        initial: FIRST_RETRY,
        max: Duration::from_secs(1),
        multiplier: 2.0,
        jitter: 0.0,
    };
    let timing = Timing {
        first_event: FIRST_EVENT,
        missed_heartbeats: 5,
        teardown_timeout: TEARDOWN,
    };
    Machine::new(framework_id, reconnect, timing)
}

fn event(kind: event::Type) -> Event {
    Event {
        r#type: Some(kind as i32),
        ..Event::default()
    }
}

fn subscribed_event(heartbeat: Option<f64>) -> Event {
    Event {
        subscribed: Some(event::Subscribed {
            framework_id: fw(),
            heartbeat_interval_seconds: heartbeat,
            master_info: None,
        }),
        ..event(event::Type::Subscribed)
    }
}

fn error_event(message: &str) -> Event {
    Event {
        error: Some(event::Error {
            message: message.into(),
        }),
        ..event(event::Type::Error)
    }
}

fn status(uuid: Option<Vec<u8>>) -> TaskStatus {
    TaskStatus {
        task_id: TaskId { value: "t1".into() },
        state: TaskState::TaskRunning as i32,
        agent_id: Some(AgentId { value: "a1".into() }),
        uuid,
        ..TaskStatus::default()
    }
}

fn update_event(status: TaskStatus) -> Event {
    Event {
        update: Some(event::Update { status }),
        ..event(event::Type::Update)
    }
}

fn step(m: &mut Machine<Reply>, input: Input<Reply>, now: Instant) -> Vec<Action<Reply>> {
    m.step(input, now)
}

// The phases a row starts from, each reached through the machine itself.

fn no_leader(_: Instant) -> Machine<Reply> {
    machine(None)
}

fn no_leader_known_id(_: Instant) -> Machine<Reply> {
    machine(Some(fw()))
}

fn connecting(t: Instant) -> Machine<Reply> {
    let mut m = machine(None);
    step(&mut m, Input::LeaderChanged(Some(master(1))), t);
    m
}

fn awaiting(t: Instant) -> Machine<Reply> {
    let mut m = connecting(t);
    step(
        &mut m,
        Input::Opened {
            endpoint: endpoint(2),
        },
        t,
    );
    m
}

fn awaiting_known_id(t: Instant) -> Machine<Reply> {
    let mut m = machine(Some(fw()));
    step(&mut m, Input::LeaderChanged(Some(master(1))), t);
    step(
        &mut m,
        Input::Opened {
            endpoint: endpoint(2),
        },
        t,
    );
    m
}

fn awaiting_with_teardown(t: Instant) -> Machine<Reply> {
    let mut m = awaiting_known_id(t);
    let stop = Input::Stop {
        teardown: true,
        reply: "td",
    };
    assert!(step(&mut m, stop, t).is_empty());
    m
}

fn connecting_with_teardown(t: Instant) -> Machine<Reply> {
    let mut m = machine(Some(fw()));
    step(&mut m, Input::LeaderChanged(Some(master(1))), t);
    step(
        &mut m,
        Input::Stop {
            teardown: true,
            reply: "td",
        },
        t,
    );
    m
}

fn subscribed(t: Instant) -> Machine<Reply> {
    let mut m = awaiting(t);
    let input = Input::Event(Box::new(subscribed_event(Some(2.0))));
    step(&mut m, input, t);
    m
}

fn backing_off(t: Instant) -> Machine<Reply> {
    let mut m = connecting(t);
    step(&mut m, Input::SubscribeFailed("503".into()), t);
    m
}

fn stopped(t: Instant) -> Machine<Reply> {
    let mut m = subscribed(t);
    step(&mut m, Input::HandlesGone, t);
    m
}

fn connection(watchdog: HeartbeatWatchdog) -> Connection {
    Connection {
        dialled: master(1),
        endpoint: endpoint(2),
        watchdog,
    }
}

/// The stream of `subscribed`, its silence allowance running from `at`.
fn subscribed_phase(at: Instant) -> Phase {
    Phase::Subscribed {
        connection: connection(HeartbeatWatchdog::new(WINDOW, at)),
        framework_id: fw(),
    }
}

fn awaiting_phase(at: Instant) -> Phase {
    Phase::AwaitingSubscribed(connection(HeartbeatWatchdog::new(FIRST_EVENT, at)))
}

fn emit_leader(n: Option<u8>) -> Action<Reply> {
    Action::Emit(DriverEvent::LeaderChanged {
        leader: n.map(master),
    })
}

fn subscribe(n: u8, framework_id: Option<FrameworkId>) -> Action<Reply> {
    Action::Subscribe {
        leader: master(n),
        framework_id,
    }
}

fn answer(reply: Reply, answer: StopAnswer) -> Action<Reply> {
    Action::Answer { reply, answer }
}

fn disconnected(reason: DisconnectReason) -> Action<Reply> {
    Action::Emit(DriverEvent::Disconnected { reason })
}

/// The three actions of every completed SUBSCRIBED handshake.
fn handshake(resubscribed: bool, heartbeat: Duration) -> Vec<Action<Reply>> {
    vec![
        Action::Publish {
            framework_id: fw(),
            endpoint: endpoint(2),
        },
        Action::Emit(DriverEvent::Subscribed {
            framework_id: fw(),
            master: None,
            endpoint: endpoint(2),
            heartbeat_interval: heartbeat,
            resubscribed,
        }),
        Action::Reconcile { framework_id: fw() },
    ]
}

struct Row {
    name: &'static str,
    from: fn(Instant) -> Machine<Reply>,
    input: Input<Reply>,
    phase: Phase,
    actions: Vec<Action<Reply>>,
}

fn row(
    name: &'static str,
    from: fn(Instant) -> Machine<Reply>,
    input: Input<Reply>,
    phase: Phase,
    actions: Vec<Action<Reply>>,
) -> Row {
    Row {
        name,
        from,
        input,
        phase,
        actions,
    }
}

fn check(rows: Vec<Row>, t: Instant) {
    let now = t + LATER;
    for row in rows {
        let mut m = (row.from)(t);
        let actions = m.step(row.input, now);
        assert_eq!(m.phase(), &row.phase, "phase after: {}", row.name);
        assert_eq!(actions, row.actions, "actions of: {}", row.name);
    }
}

fn stop(teardown: bool, reply: Reply) -> Input<Reply> {
    Input::Stop { teardown, reply }
}
