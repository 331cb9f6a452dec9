//! Scheduler events: building them and writing them, RecordIO-framed in
//! the subscriber's encoding, to a framework's stream.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use rmesos_common::wire::recordio::encode_record;
use rmesos_common::wire::scheduler::{Event, event};
use rmesos_common::wire::v1::{AgentId, TaskId, TaskState, TaskStatus, task_status};

use crate::registry::{Framework, PendingUpdate};

/// Sends `event` on the framework's stream, if it has one. Returns whether
/// it was handed to a live stream.
pub fn send(framework: &mut Framework, event: &Event) -> bool {
    let Some(subscription) = &framework.subscription else {
        return false;
    };
    let Ok(body) = subscription.encoding.encode(event) else {
        tracing::error!("cannot encode an event");
        return false;
    };
    let mut framed = BytesMut::new();
    encode_record(&body, &mut framed);
    if subscription.sender.send(framed.freeze()).is_err() {
        // The client went away; the stream's guard (master::failover)
        // disconnects the framework as its body is dropped.
        return false;
    }
    true
}

/// Raw bytes into the stream (fault injection: garbage records).
pub fn send_raw(framework: &mut Framework, bytes: Bytes) {
    if let Some(subscription) = &framework.subscription {
        let _ = subscription.sender.send(bytes);
    }
}

pub fn of_type(kind: event::Type) -> Event {
    Event {
        r#type: Some(kind as i32),
        ..Default::default()
    }
}

pub fn heartbeat() -> Event {
    of_type(event::Type::Heartbeat)
}

/// A status update as an agent reports it. With `reliable`, it carries a
/// fresh uuid and is resent until the framework acknowledges it.
pub fn task_status(
    task: &str,
    agent: &str,
    state: TaskState,
    reason: Option<task_status::Reason>,
    message: &str,
    reliable: bool,
) -> TaskStatus {
    TaskStatus {
        task_id: TaskId { value: task.into() },
        state: state as i32,
        message: Some(message.into()),
        source: Some(task_status::Source::Agent as i32),
        reason: reason.map(|r| r as i32),
        agent_id: Some(AgentId {
            value: agent.into(),
        }),
        timestamp: Some(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0),
        ),
        uuid: reliable.then(|| uuid::Uuid::new_v4().as_bytes().to_vec()),
        ..Default::default()
    }
}

pub fn update(status: TaskStatus) -> Event {
    Event {
        update: Some(event::Update { status }),
        ..of_type(event::Type::Update)
    }
}

/// Delivers a status update: reliable ones (with a uuid) are queued until
/// acknowledged, and only the oldest unacknowledged update of a task is
/// sent, as the agent's status update manager holds later ones back.
pub fn deliver(framework: &mut Framework, status: TaskStatus) {
    if status.uuid.is_none() {
        send(framework, &update(status));
        return;
    }
    let faults = framework.faults;
    if faults.duplicate {
        // Two copies at once, ahead of the reliable one: the framework sees
        // the update at least twice whatever the timing of its
        // acknowledgements (as when an agent retries and the first
        // acknowledgement was lost).
        send(framework, &update(status.clone()));
        send(framework, &update(status.clone()));
    }
    let task = status.task_id.value.clone();
    let held_back = framework
        .unacknowledged
        .iter()
        .any(|p| p.status.task_id.value == task);
    let not_before = faults.delay.map(|delay| {
        let hold = if faults.reorder {
            delay.mul_f64(rand::random::<f64>())
        } else {
            delay
        };
        Instant::now() + hold
    });
    framework.unacknowledged.push(PendingUpdate {
        status: status.clone(),
        last_sent: Instant::now(),
        not_before,
    });
    if !held_back && not_before.is_none() {
        send(framework, &update(status));
    }
}
