//! The driver task: one long-lived loop that finds the leader, subscribes,
//! serves the subscription, and on any loss reconnects with backoff (cut
//! short by a leader change), until told to stop or refused for good.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use rmesos_common::wire::v1::FrameworkId;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::calls;
use super::config::DriverConfig;
use super::error::DriverError;
use super::events::{DisconnectReason, DriverEvent};
use super::handle::{Command, Shared};
use super::leader::{Leader, LeaderTracker};
use super::reconcile::Reconciliation;
use crate::transport::{Backoff, Subscription};

/// How one connection attempt or subscription ended.
pub(crate) enum Outcome {
    /// Stop requested (and teardown, if asked, done or reported).
    Stopped,
    /// Refused for good.
    Fatal(DriverError),
    /// Lost; reconnect (at once when the leader changed, else after backoff).
    Lost {
        reason: DisconnectReason,
        was_subscribed: bool,
    },
}

/// A TEARDOWN asked for while no subscription was live.
pub(crate) struct PendingTeardown {
    pub(crate) deadline: Instant,
    pub(crate) done: oneshot::Sender<Result<(), DriverError>>,
}

/// What woke a waiting driver up.
enum Wake {
    Command(Option<Command>),
    Leader(Leader),
    Elapsed,
    TeardownExpired,
}

pub(crate) struct Runner {
    pub(crate) config: DriverConfig,
    pub(crate) shared: Arc<Shared>,
    pub(crate) leaders: LeaderTracker,
    pub(crate) commands: mpsc::UnboundedReceiver<Command>,
    pub(crate) events: mpsc::UnboundedSender<DriverEvent>,
    pub(crate) backoff: Backoff,
    pub(crate) framework_id: Option<FrameworkId>,
    pub(crate) teardown: Option<PendingTeardown>,
    /// Reconciliation of the live subscription, stopped when it ends.
    pub(crate) reconciliation: Option<Reconciliation>,
}

/// Sleeps until `deadline`, or forever without one.
pub(crate) async fn until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => futures::future::pending().await,
    }
}

impl Runner {
    pub(crate) async fn run(mut self) -> Result<(), DriverError> {
        let result = self.run_until_done().await;
        if let Some(pending) = self.teardown.take() {
            let _ = pending.done.send(Err(DriverError::Crashed(
                "the driver stopped before the teardown could be sent".into(),
            )));
        }
        self.shared.state.send_modify(|state| {
            state.subscribed_to = None;
            state.stopped = true;
        });
        if let Err(err) = &result {
            tracing::error!(error = %err, "framework driver stopped");
        }
        result
    }

    async fn run_until_done(&mut self) -> Result<(), DriverError> {
        loop {
            let outcome = match self.leaders.current().cloned() {
                None => match self.pause(None).await {
                    Some(outcome) => outcome,
                    None => continue,
                },
                Some(leader) => match self.connect(&leader).await {
                    Ok(subscription) => self.serve(subscription, &leader).await,
                    Err(outcome) => outcome,
                },
            };
            match outcome {
                Outcome::Stopped => return Ok(()),
                Outcome::Fatal(err) => return Err(err),
                Outcome::Lost {
                    reason,
                    was_subscribed,
                } => {
                    let switch = reason == DisconnectReason::LeaderChanged;
                    self.on_lost(reason, was_subscribed);
                    if switch {
                        continue;
                    }
                    let delay = self.backoff.next_delay();
                    match self.pause(Some(delay)).await {
                        Some(Outcome::Lost { .. }) | None => {}
                        Some(Outcome::Stopped) => return Ok(()),
                        Some(Outcome::Fatal(err)) => return Err(err),
                    }
                }
            }
        }
    }

    fn on_lost(&mut self, reason: DisconnectReason, was_subscribed: bool) {
        if was_subscribed {
            tracing::warn!(%reason, "lost the subscription; reconnecting");
            self.emit(DriverEvent::Disconnected { reason });
        } else if reason != DisconnectReason::LeaderChanged {
            tracing::info!(%reason, "could not subscribe; will retry");
        }
    }

    /// Waits out `delay` (forever with `None`), waking early for a leader
    /// change (`Some(Lost)`, meaning "retry now"), a stop, or an expired
    /// teardown. `None`: the delay passed.
    async fn pause(&mut self, delay: Option<Duration>) -> Option<Outcome> {
        let wake_at = delay.map(|d| Instant::now() + d);
        loop {
            let teardown_deadline = self.teardown.as_ref().map(|t| t.deadline);
            let wake = tokio::select! {
                biased;
                command = self.commands.recv() => Wake::Command(command),
                leader = self.leaders.changed() => Wake::Leader(leader),
                () = until(wake_at) => Wake::Elapsed,
                () = until(teardown_deadline) => Wake::TeardownExpired,
            };
            match wake {
                Wake::Command(command) => {
                    if let Some(outcome) = self.on_command(command) {
                        return Some(outcome);
                    }
                }
                Wake::Leader(leader) => {
                    self.emit(DriverEvent::LeaderChanged { leader });
                    return Some(Outcome::Lost {
                        reason: DisconnectReason::LeaderChanged,
                        was_subscribed: false,
                    });
                }
                Wake::Elapsed => return None,
                Wake::TeardownExpired => return Some(self.teardown_expired()),
            }
        }
    }

    /// Sends SUBSCRIBE to `leader`, giving up early if the leader changes.
    async fn connect(&mut self, leader: &Url) -> Result<Subscription, Outcome> {
        let info = self
            .config
            .framework
            .framework_info(self.framework_id.as_ref());
        let call = calls::subscribe(info, self.shared.suppressed_roles());
        let transport = self.shared.transport.clone();
        let subscribing = transport.subscribe_call(leader, &call);
        tokio::pin!(subscribing);
        tracing::debug!(%leader, "subscribing");
        loop {
            let teardown_deadline = self.teardown.as_ref().map(|t| t.deadline);
            let step = tokio::select! {
                biased;
                command = self.commands.recv() => Err(Wake::Command(command)),
                leader = self.leaders.changed() => Err(Wake::Leader(leader)),
                () = until(teardown_deadline) => Err(Wake::TeardownExpired),
                result = &mut subscribing => Ok(result),
            };
            match step {
                Ok(Ok(subscription)) => return Ok(subscription),
                Ok(Err(err)) if err.is_transient() => {
                    return Err(Outcome::Lost {
                        reason: DisconnectReason::SubscribeFailed(err.to_string()),
                        was_subscribed: false,
                    });
                }
                Ok(Err(err)) => return Err(Outcome::Fatal(DriverError::from_subscribe(err))),
                Err(Wake::Command(command)) => {
                    if let Some(outcome) = self.on_command(command) {
                        return Err(outcome);
                    }
                }
                Err(Wake::Leader(leader)) => {
                    self.emit(DriverEvent::LeaderChanged { leader });
                    return Err(Outcome::Lost {
                        reason: DisconnectReason::LeaderChanged,
                        was_subscribed: false,
                    });
                }
                Err(_) => return Err(self.teardown_expired()),
            }
        }
    }

    /// Reacts to a handle request; `Some` when the driver must stop now.
    pub(crate) fn on_command(&mut self, command: Option<Command>) -> Option<Outcome> {
        match command {
            // Every handle is gone: nobody can use the framework any more.
            None => Some(Outcome::Stopped),
            Some(Command::Stop {
                teardown: false,
                done,
            }) => {
                let _ = done.send(Ok(()));
                Some(Outcome::Stopped)
            }
            Some(Command::Stop {
                teardown: true,
                done,
            }) => {
                if self.framework_id.is_none() {
                    // Never subscribed: there is nothing to tear down.
                    let _ = done.send(Ok(()));
                    return Some(Outcome::Stopped);
                }
                self.teardown = Some(PendingTeardown {
                    deadline: Instant::now() + self.config.teardown_timeout,
                    done,
                });
                None
            }
        }
    }

    /// Sends the pending TEARDOWN on the live subscription.
    pub(crate) async fn finish_teardown(&mut self) -> Outcome {
        let Some(pending) = self.teardown.take() else {
            return Outcome::Stopped;
        };
        let result = match &self.framework_id {
            Some(id) => self
                .shared
                .transport
                .send_call(&calls::teardown(id))
                .await
                .map(|_| ())
                .map_err(DriverError::TeardownFailed),
            None => Ok(()),
        };
        if result.is_ok() {
            tracing::info!("framework torn down");
            self.shared.in_flight.clear();
        }
        let _ = pending.done.send(result);
        Outcome::Stopped
    }

    pub(crate) fn teardown_expired(&mut self) -> Outcome {
        if let Some(pending) = self.teardown.take() {
            let timeout = self.config.teardown_timeout;
            let _ = pending
                .done
                .send(Err(DriverError::TeardownTimedOut(timeout)));
        }
        Outcome::Stopped
    }

    pub(crate) fn emit(&self, event: DriverEvent) {
        // Nobody listening is fine: the engine may only use the handle.
        let _ = self.events.send(event);
    }
}
