//! Serving one subscription: wait for SUBSCRIBED, then hand events on
//! while watching heartbeats, the leader and stop requests, until the
//! stream ends or must be abandoned.

use std::time::Duration;

use reqwest::Url;
use rmesos_common::wire::v1::scheduler::{Event, event};

use super::events::{DisconnectReason, DriverEvent};
use super::leader::Leader;
use super::runner::{Outcome, Runner, until};
use super::watchdog::HeartbeatWatchdog;
use crate::transport::{Subscription, TransportError};

/// The interval Mesos uses when SUBSCRIBED does not name one.
const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(15);

enum Step {
    Command(Option<super::handle::Command>),
    Event(Option<Result<Box<Event>, TransportError>>),
    Leader(Leader),
    Silent,
    TeardownExpired,
}

impl Runner {
    /// Runs `subscription` (opened by dialling `dialled`) to its end.
    pub(crate) async fn serve(&mut self, mut subscription: Subscription, dialled: &Url) -> Outcome {
        let mut subscribed = false;
        let outcome = self
            .serve_events(&mut subscription, dialled, &mut subscribed)
            .await;
        self.reconciliation = None;
        self.shared.transport.end_session(subscription.stream_id());
        self.shared
            .state
            .send_modify(|state| state.subscribed_to = None);
        outcome
    }

    async fn serve_events(
        &mut self,
        subscription: &mut Subscription,
        dialled: &Url,
        subscribed: &mut bool,
    ) -> Outcome {
        // Until SUBSCRIBED names the heartbeat interval, allow one call timeout.
        let mut watchdog = HeartbeatWatchdog::new(self.config.transport.call_timeout);
        loop {
            let teardown_deadline = self.teardown.as_ref().map(|t| t.deadline);
            let step = tokio::select! {
                biased;
                command = self.commands.recv() => Step::Command(command),
                event = subscription.next_event() => Step::Event(event.map(|e| e.map(Box::new))),
                leader = self.leaders.changed() => Step::Leader(leader),
                () = watchdog.expired() => Step::Silent,
                () = until(teardown_deadline) => Step::TeardownExpired,
            };
            let was_subscribed = *subscribed;
            let lost = |reason| Outcome::Lost {
                reason,
                was_subscribed,
            };
            match step {
                Step::Command(command) => {
                    if let Some(outcome) = self.on_command(command) {
                        return outcome;
                    }
                    if *subscribed && self.teardown.is_some() {
                        return self.finish_teardown().await;
                    }
                }
                Step::Event(None) => return lost(DisconnectReason::StreamEnded),
                Step::Event(Some(Err(err @ TransportError::Decode { .. }))) => {
                    return lost(DisconnectReason::Corrupt(err.to_string()));
                }
                Step::Event(Some(Err(err))) => {
                    return lost(DisconnectReason::StreamError(err.to_string()));
                }
                Step::Event(Some(Ok(event))) => {
                    watchdog.feed();
                    if *subscribed {
                        if let Some(outcome) = self.dispatch(*event) {
                            return outcome;
                        }
                    } else {
                        match self.await_subscribed(*event, subscription, &mut watchdog) {
                            FirstEvent::Ignored => {}
                            FirstEvent::End(outcome) => return outcome,
                            FirstEvent::Subscribed => {
                                *subscribed = true;
                                if self.teardown.is_some() {
                                    return self.finish_teardown().await;
                                }
                            }
                        }
                    }
                }
                Step::Leader(leader) => {
                    let moved = leader.as_ref().is_some_and(|url| {
                        !same_master(url, dialled) && !same_master(url, subscription.endpoint())
                    });
                    self.emit(DriverEvent::LeaderChanged { leader });
                    if moved {
                        return lost(DisconnectReason::LeaderChanged);
                    }
                }
                Step::Silent => return lost(DisconnectReason::HeartbeatTimeout(watchdog.window())),
                Step::TeardownExpired => return self.teardown_expired(),
            }
        }
    }

    /// Handles an event that arrives before SUBSCRIBED: SUBSCRIBED itself,
    /// ERROR (fatal), or anything else (ignored).
    fn await_subscribed(
        &mut self,
        event: Event,
        subscription: &Subscription,
        watchdog: &mut HeartbeatWatchdog,
    ) -> FirstEvent {
        let kind = event.r#type.and_then(|t| event::Type::try_from(t).ok());
        match (kind, event.subscribed.clone()) {
            (Some(event::Type::Subscribed), Some(subscribed)) => {
                let interval = subscribed
                    .heartbeat_interval_seconds
                    .filter(|secs| secs.is_finite() && *secs > 0.0)
                    .map(Duration::from_secs_f64)
                    .unwrap_or(DEFAULT_HEARTBEAT);
                let window = HeartbeatWatchdog::window_for(interval, self.config.missed_heartbeats);
                watchdog.rearm(window);
                self.on_subscribed(subscribed, subscription.endpoint().clone(), interval);
                FirstEvent::Subscribed
            }
            (Some(event::Type::Error), _) => match self.dispatch(event) {
                Some(outcome) => FirstEvent::End(outcome),
                None => FirstEvent::Ignored,
            },
            _ => {
                tracing::debug!(?kind, "ignoring an event that came before SUBSCRIBED");
                FirstEvent::Ignored
            }
        }
    }
}

enum FirstEvent {
    Subscribed,
    Ignored,
    End(Outcome),
}

/// Whether two URLs name the same master (scheme, host and port).
pub(crate) fn same_master(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masters_are_compared_by_scheme_host_and_port() {
        let a = Url::parse("http://10.0.0.1:5050").unwrap();
        let endpoint = Url::parse("http://10.0.0.1:5050/api/v1/scheduler").unwrap();
        let other_port = Url::parse("http://10.0.0.1:5051").unwrap();
        let tls = Url::parse("https://10.0.0.1:5050").unwrap();
        assert!(same_master(&a, &endpoint));
        assert!(!same_master(&a, &other_port));
        assert!(!same_master(&a, &tls));
    }
}
