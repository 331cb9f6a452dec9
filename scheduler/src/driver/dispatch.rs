//! What a live subscription's events mean for the driver: which
//! `DriverEvent` the engine gets, which status updates are tracked and
//! acknowledged, and which event (ERROR) ends the driver. Pure: the
//! answers are `Action`s that the driver loop carries out.

use mesos::scheduler::{Event, event};
use mesos::{FrameworkId, TaskStatus};
use rmesos_common::wire::v1 as mesos;

use super::calls;
use super::events::DriverEvent;
use super::machine::Action;

/// The master refused the framework for good, with this message.
pub(crate) struct MasterError(pub(crate) String);

/// Appends the actions for one event after SUBSCRIBED; `Err` when the
/// event is ERROR, which ends the driver.
pub(crate) fn subscribed_event<R>(
    event: Event,
    framework_id: &FrameworkId,
    out: &mut Vec<Action<R>>,
) -> Result<(), MasterError> {
    let kind = event.r#type.and_then(|t| event::Type::try_from(t).ok());
    match kind {
        Some(event::Type::Offers) => {
            let offers = event.offers.map(|o| o.offers).unwrap_or_default();
            out.push(Action::Emit(DriverEvent::Offers(offers)));
        }
        Some(event::Type::Rescind) => {
            if let Some(rescind) = event.rescind {
                out.push(Action::Emit(DriverEvent::Rescind(rescind.offer_id)));
            }
        }
        Some(event::Type::Update) => {
            if let Some(update) = event.update {
                status_update(update.status, framework_id, out);
            }
        }
        Some(event::Type::Message) => {
            if let Some(message) = event.message {
                out.push(Action::Emit(DriverEvent::Message {
                    agent_id: message.agent_id,
                    executor_id: message.executor_id,
                    data: message.data,
                }));
            }
        }
        Some(event::Type::Failure) => {
            let failure = event.failure.unwrap_or_default();
            out.push(Action::Emit(DriverEvent::Failure {
                agent_id: failure.agent_id,
                executor_id: failure.executor_id,
                status: failure.status,
            }));
        }
        Some(event::Type::Error) => return Err(master_error(event.error, out)),
        Some(event::Type::Heartbeat) => {}
        other => tracing::debug!(kind = ?other, "ignoring event"),
    }
    Ok(())
}

/// ERROR, before or after SUBSCRIBED: tells the engine and names the
/// reason the driver stops.
pub(crate) fn master_error<R>(
    error: Option<event::Error>,
    out: &mut Vec<Action<R>>,
) -> MasterError {
    let message = error
        .map(|e| e.message)
        .unwrap_or_else(|| "(the master gave no reason)".into());
    tracing::error!(%message, "the master sent ERROR");
    out.push(Action::Emit(DriverEvent::Error {
        message: message.clone(),
    }));
    MasterError(message)
}

/// Tracks a status update, hands it over, then acknowledges it if it asks
/// for it (has a uuid): unacknowledged, the agent resends it and holds
/// back later ones.
fn status_update<R>(status: TaskStatus, framework_id: &FrameworkId, out: &mut Vec<Action<R>>) {
    out.push(Action::Track(status.clone()));
    let ack = match (&status.uuid, &status.agent_id) {
        (Some(uuid), Some(agent_id)) if !uuid.is_empty() => Some(calls::acknowledge(
            framework_id,
            agent_id.clone(),
            status.task_id.clone(),
            uuid.clone(),
        )),
        (Some(uuid), None) if !uuid.is_empty() => {
            tracing::warn!(task = %status.task_id.value, "update with a uuid but no agent id cannot be acknowledged");
            None
        }
        _ => None,
    };
    out.push(Action::Emit(DriverEvent::Update(status)));
    if let Some(ack) = ack {
        out.push(Action::Acknowledge(Box::new(ack)));
    }
}
