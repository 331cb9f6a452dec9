//! What the driver does with each event of a live subscription: hand it
//! to the engine, acknowledge status updates, keep the in-flight set
//! current, reconcile after SUBSCRIBED, and stop on ERROR.

use std::time::Duration;

use mesos::scheduler::{Event, event};
use mesos::{FrameworkId, TaskStatus};
use reqwest::Url;
use rmesos_common::wire::v1 as mesos;

use super::calls;
use super::error::DriverError;
use super::events::DriverEvent;
use super::reconcile::Reconciliation;
use super::runner::{Outcome, Runner};

impl Runner {
    /// Records a completed SUBSCRIBED handshake and starts reconciliation.
    pub(crate) fn on_subscribed(
        &mut self,
        subscribed: event::Subscribed,
        endpoint: Url,
        interval: Duration,
    ) {
        let framework_id = subscribed.framework_id;
        let resubscribed = self.shared.state.borrow().subscriptions > 0
            || self.config.framework.framework_id.is_some();
        self.framework_id = Some(framework_id.clone());
        self.backoff.reset();
        self.shared.state.send_modify(|state| {
            state.framework_id = Some(framework_id.clone());
            state.subscribed_to = Some(endpoint.clone());
            state.subscriptions += 1;
        });
        tracing::info!(framework_id = %framework_id.value, %endpoint, resubscribed, "subscribed");
        self.emit(DriverEvent::Subscribed {
            framework_id: framework_id.clone(),
            master: subscribed.master_info,
            endpoint,
            heartbeat_interval: interval,
            resubscribed,
        });
        self.spawn_reconciliation(framework_id);
    }

    /// After every (re)subscribe: reconcile the in-flight tasks (ours and
    /// the engine's) until each is answered, plus every task once.
    fn spawn_reconciliation(&mut self, framework_id: FrameworkId) {
        self.shared
            .in_flight
            .adopt(self.config.in_flight_source.as_deref());
        self.reconciliation = Some(Reconciliation::start(
            self.shared.transport.clone(),
            self.shared.in_flight.clone(),
            framework_id,
            self.config.reconcile_backoff,
            self.config.implicit_reconciliation,
        ));
    }

    /// Handles one event after SUBSCRIBED; `Some` ends the driver.
    pub(crate) fn dispatch(&mut self, event: Event) -> Option<Outcome> {
        let kind = event.r#type.and_then(|t| event::Type::try_from(t).ok());
        match kind {
            Some(event::Type::Offers) => {
                let offers = event.offers.map(|o| o.offers).unwrap_or_default();
                self.emit(DriverEvent::Offers(offers));
            }
            Some(event::Type::Rescind) => {
                if let Some(rescind) = event.rescind {
                    self.emit(DriverEvent::Rescind(rescind.offer_id));
                }
            }
            Some(event::Type::Update) => {
                if let Some(update) = event.update {
                    self.on_update(update.status);
                }
            }
            Some(event::Type::Message) => {
                if let Some(message) = event.message {
                    self.emit(DriverEvent::Message {
                        agent_id: message.agent_id,
                        executor_id: message.executor_id,
                        data: message.data,
                    });
                }
            }
            Some(event::Type::Failure) => {
                let failure = event.failure.unwrap_or_default();
                self.emit(DriverEvent::Failure {
                    agent_id: failure.agent_id,
                    executor_id: failure.executor_id,
                    status: failure.status,
                });
            }
            Some(event::Type::Error) => {
                let message = event
                    .error
                    .map(|e| e.message)
                    .unwrap_or_else(|| "(the master gave no reason)".into());
                tracing::error!(%message, "the master sent ERROR");
                self.emit(DriverEvent::Error {
                    message: message.clone(),
                });
                return Some(Outcome::Fatal(DriverError::MasterError { message }));
            }
            Some(event::Type::Heartbeat) => {}
            other => tracing::debug!(kind = ?other, "ignoring event"),
        }
        None
    }

    /// Hands a status update over, then acknowledges it if it asks for it.
    fn on_update(&mut self, status: TaskStatus) {
        self.shared.in_flight.observe(&status);
        let ack = match (&self.framework_id, &status.uuid, &status.agent_id) {
            (Some(framework_id), Some(uuid), Some(agent_id)) if !uuid.is_empty() => {
                Some(calls::acknowledge(
                    framework_id,
                    agent_id.clone(),
                    status.task_id.clone(),
                    uuid.clone(),
                ))
            }
            (_, Some(uuid), None) if !uuid.is_empty() => {
                tracing::warn!(task = %status.task_id.value, "update with a uuid but no agent id cannot be acknowledged");
                None
            }
            _ => None,
        };
        self.emit(DriverEvent::Update(status));
        if let Some(ack) = ack {
            let transport = self.shared.transport.clone();
            tokio::spawn(async move {
                // A lost ACKNOWLEDGE only means the agent resends the update.
                if let Err(err) = transport.send_call(&ack).await {
                    tracing::warn!(error = %err, "acknowledging a status update failed");
                }
            });
        }
    }
}
