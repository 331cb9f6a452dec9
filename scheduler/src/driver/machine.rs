//! The driver as a state machine: one enum of phases, and one step
//! function from (phase, input) to (next phase, actions). Nothing here
//! does I/O or reads the clock: the loop in `runner` feeds in leader
//! changes, stream news, commands and timers with the time they came, and
//! carries the actions out, so every transition can be checked as a row
//! of a table (`machine_tests`). The only chance is the reconnect
//! backoff's jitter (none in the tests).
//!
//! Stop requests carry a reply of type `R` that the machine only passes
//! back in actions: a oneshot sender in the driver, a label in tests.

use std::time::Duration;

use mesos::scheduler::{Call, Event, event};
use mesos::{FrameworkId, TaskStatus};
use reqwest::Url;
use rmesos_common::backoff::{Backoff, BackoffPolicy};
use rmesos_common::wire::v1 as mesos;
use tokio::time::Instant;

use super::dispatch::{self, MasterError};
use super::events::{DisconnectReason, DriverEvent};
use super::leader::Leader;
use super::watchdog::HeartbeatWatchdog;

/// The interval Mesos uses when SUBSCRIBED does not name one.
const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(15);

/// Where the driver is.
#[derive(Debug, PartialEq)]
pub(crate) enum Phase {
    /// No master is known to lead: wait for detection to name one.
    NoLeader,
    /// SUBSCRIBE is on its way to `leader`.
    Connecting { leader: Url },
    /// The event stream is open; SUBSCRIBED has not come yet.
    AwaitingSubscribed(Connection),
    /// SUBSCRIBED came, naming the framework: events flow to the engine.
    Subscribed {
        connection: Connection,
        framework_id: FrameworkId,
    },
    /// The last attempt or subscription failed: wait before the next.
    BackingOff { retry_at: Instant },
    /// For good: no input leaves this phase.
    Stopped,
}

/// An open event stream.
#[derive(Debug, PartialEq)]
pub(crate) struct Connection {
    /// The leader SUBSCRIBE was sent to.
    pub(crate) dialled: Url,
    /// The master that answered, after redirects.
    pub(crate) endpoint: Url,
    pub(crate) watchdog: HeartbeatWatchdog,
}

impl Connection {
    /// Why the stream counts as dead when its watchdog runs out.
    fn silence(&self) -> DisconnectReason {
        DisconnectReason::HeartbeatTimeout(self.watchdog.window())
    }

    /// Whether `leader` is a master other than the one this stream is
    /// with (a leader lost to nobody leaves a working stream alone).
    fn left_by(&self, leader: &Leader) -> bool {
        leader.as_ref().is_some_and(|url| {
            !same_master(url, &self.dialled) && !same_master(url, &self.endpoint)
        })
    }
}

/// Whether two URLs name the same master (scheme, host and port).
pub(crate) fn same_master(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// What happened.
#[derive(Debug)]
pub(crate) enum Input<R> {
    /// Detection names a new leader (`None`: nobody leads).
    LeaderChanged(Leader),
    /// A handle asks the driver to stop, tearing the framework down or not.
    Stop { teardown: bool, reply: R },
    /// Every handle is gone: nobody can use the framework any more.
    HandlesGone,
    /// SUBSCRIBE was answered with an event stream from `endpoint`.
    Opened { endpoint: Url },
    /// SUBSCRIBE failed in a way worth retrying.
    SubscribeFailed(String),
    /// SUBSCRIBE was refused for good (the loop keeps the error).
    SubscribeRefused,
    /// The stream delivered an event.
    Event(Box<Event>),
    /// The stream ended, broke, or carried garbage.
    StreamLost(DisconnectReason),
    /// A deadline from `Machine::next_timer` passed.
    Timer(Timer),
}

impl<R> Input<R> {
    /// What kind of input this is, for the log.
    fn kind(&self) -> &'static str {
        match self {
            Input::LeaderChanged(_) => "leader change",
            Input::Stop { .. } => "stop",
            Input::HandlesGone => "handles gone",
            Input::Opened { .. } => "stream opened",
            Input::SubscribeFailed(_) => "subscribe failed",
            Input::SubscribeRefused => "subscribe refused",
            Input::Event(_) => "event",
            Input::StreamLost(_) => "stream lost",
            Input::Timer(_) => "timer",
        }
    }
}

/// The deadlines the machine keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Timer {
    /// The reconnect backoff is over.
    RetryDue,
    /// The stream was silent for too long.
    HeartbeatsMissed,
    /// No subscription came in time to send a requested TEARDOWN on.
    TeardownExpired,
}

/// What the loop must do, in order.
#[derive(Debug, PartialEq)]
pub(crate) enum Action<R> {
    /// Send SUBSCRIBE to `leader`, as `framework_id` when one is known.
    Subscribe {
        leader: Url,
        framework_id: Option<FrameworkId>,
    },
    /// Drop the SUBSCRIBE attempt or the event stream, and what lives
    /// with a stream: its reconciliation, stream id and "subscribed" state.
    Close,
    /// Record a SUBSCRIBED handshake where the handle sees it.
    Publish {
        framework_id: FrameworkId,
        endpoint: Url,
    },
    /// Start reconciling the tasks in flight (after every SUBSCRIBED).
    Reconcile { framework_id: FrameworkId },
    /// Hand an event to the engine.
    Emit(DriverEvent),
    /// Update the set of tasks in flight from a status update.
    Track(TaskStatus),
    /// Send this ACKNOWLEDGE, without waiting for it.
    Acknowledge(Box<Call>),
    /// Send TEARDOWN on the live subscription and answer `reply` with how
    /// it went.
    SendTeardown { framework_id: FrameworkId, reply: R },
    /// Answer a stop request.
    Answer { reply: R, answer: StopAnswer },
    /// The driver is done; always the last action.
    Finish(Ending),
}

/// How a stop request ended, when no TEARDOWN call tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StopAnswer {
    Done,
    /// No subscription came within the teardown timeout.
    TimedOut(Duration),
    /// The driver stopped for another reason first.
    NotSent,
}

/// Why the driver finished.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ending {
    /// Asked to stop (whatever became of a teardown).
    Requested,
    /// The master sent ERROR.
    MasterError(String),
    /// SUBSCRIBE was refused for good.
    Refused,
}

/// The timing the machine works with.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timing {
    /// Silence allowed on a new stream before SUBSCRIBED names the
    /// heartbeat interval.
    pub(crate) first_event: Duration,
    /// Heartbeat intervals of silence that mean the stream is dead.
    pub(crate) missed_heartbeats: u32,
    /// How long a teardown waits for a subscription to be sent on.
    pub(crate) teardown_timeout: Duration,
}

/// A TEARDOWN asked for while no subscription was live.
#[derive(Debug)]
struct PendingTeardown<R> {
    deadline: Instant,
    reply: R,
}

/// The phase plus what outlives phases.
#[derive(Debug)]
pub(crate) struct Machine<R> {
    phase: Phase,
    leader: Leader,
    /// Configured, or learnt from the first SUBSCRIBED; sent on every
    /// re-subscription so that the masters keep the framework's tasks.
    framework_id: Option<FrameworkId>,
    teardown: Option<PendingTeardown<R>>,
    backoff: Backoff,
    timing: Timing,
}

impl<R> Machine<R> {
    pub(crate) fn new(
        framework_id: Option<FrameworkId>,
        reconnect: BackoffPolicy,
        timing: Timing,
    ) -> Self {
        Machine {
            phase: Phase::NoLeader,
            leader: None,
            framework_id,
            teardown: None,
            backoff: Backoff::new(reconnect),
            timing,
        }
    }

    #[cfg(test)]
    pub(crate) fn phase(&self) -> &Phase {
        &self.phase
    }

    /// The next deadline to wake up for, and which one it is.
    pub(crate) fn next_timer(&self) -> Option<(Instant, Timer)> {
        let phase_timer = match &self.phase {
            Phase::BackingOff { retry_at } => Some((*retry_at, Timer::RetryDue)),
            Phase::AwaitingSubscribed(connection) | Phase::Subscribed { connection, .. } => {
                Some((connection.watchdog.deadline(), Timer::HeartbeatsMissed))
            }
            _ => None,
        };
        let teardown = self
            .teardown
            .as_ref()
            .map(|pending| (pending.deadline, Timer::TeardownExpired));
        match (phase_timer, teardown) {
            (Some(phase), Some(teardown)) if teardown.0 < phase.0 => Some(teardown),
            (Some(phase), _) => Some(phase),
            (None, teardown) => teardown,
        }
    }

    /// The transition table: moves to the next phase and says what to do.
    pub(crate) fn step(&mut self, input: Input<R>, now: Instant) -> Vec<Action<R>> {
        let mut out = Vec::new();
        let phase = std::mem::replace(&mut self.phase, Phase::Stopped);
        self.phase = match (phase, input) {
            (Phase::Stopped, _) => Phase::Stopped,
            (phase, Input::HandlesGone) => self.finish(phase, Ending::Requested, &mut out),
            (phase, Input::Stop { teardown, reply }) => {
                self.stop(phase, teardown, reply, now, &mut out)
            }
            (phase, Input::LeaderChanged(leader)) => {
                self.leader_changed(phase, leader, now, &mut out)
            }
            (phase, Input::Timer(Timer::TeardownExpired)) => self.teardown_expired(phase, &mut out),
            (Phase::Connecting { leader }, Input::Opened { endpoint }) => {
                let window = self.timing.first_event;
                Phase::AwaitingSubscribed(Connection {
                    dialled: leader,
                    endpoint,
                    watchdog: HeartbeatWatchdog::new(window, now),
                })
            }
            (Phase::Connecting { .. }, Input::SubscribeFailed(reason)) => self.lost(
                false,
                DisconnectReason::SubscribeFailed(reason),
                now,
                &mut out,
            ),
            (phase @ Phase::Connecting { .. }, Input::SubscribeRefused) => {
                self.finish(phase, Ending::Refused, &mut out)
            }
            (Phase::AwaitingSubscribed(connection), Input::Event(event)) => {
                self.first_event(connection, *event, now, &mut out)
            }
            (
                Phase::Subscribed {
                    connection,
                    framework_id,
                },
                Input::Event(event),
            ) => self.subscribed_event(connection, framework_id, *event, now, &mut out),
            (Phase::AwaitingSubscribed(_), Input::StreamLost(reason)) => {
                self.stream_lost(false, reason, now, &mut out)
            }
            (Phase::Subscribed { .. }, Input::StreamLost(reason)) => {
                self.stream_lost(true, reason, now, &mut out)
            }
            (Phase::AwaitingSubscribed(connection), Input::Timer(Timer::HeartbeatsMissed)) => {
                self.stream_lost(false, connection.silence(), now, &mut out)
            }
            (Phase::Subscribed { connection, .. }, Input::Timer(Timer::HeartbeatsMissed)) => {
                self.stream_lost(true, connection.silence(), now, &mut out)
            }
            (Phase::BackingOff { .. }, Input::Timer(Timer::RetryDue)) => self.connect(&mut out),
            (phase, input) => {
                // News of a connection or timer this phase no longer has.
                let input = input.kind();
                tracing::debug!(input, "driver input does not apply now; ignored");
                phase
            }
        };
        out
    }

    /// Subscribes to the current leader, or waits for one.
    fn connect(&mut self, out: &mut Vec<Action<R>>) -> Phase {
        match self.leader.clone() {
            Some(leader) => {
                tracing::debug!(%leader, "subscribing");
                out.push(Action::Subscribe {
                    leader: leader.clone(),
                    framework_id: self.framework_id.clone(),
                });
                Phase::Connecting { leader }
            }
            None => Phase::NoLeader,
        }
    }

    /// The stream is over or must be abandoned: close it, then as `lost`.
    fn stream_lost(
        &mut self,
        was_subscribed: bool,
        reason: DisconnectReason,
        now: Instant,
        out: &mut Vec<Action<R>>,
    ) -> Phase {
        out.push(Action::Close);
        self.lost(was_subscribed, reason, now, out)
    }

    /// An attempt or subscription is over (nothing left open): tell the
    /// engine if it was subscribed, then follow a new leader at once or
    /// back off.
    fn lost(
        &mut self,
        was_subscribed: bool,
        reason: DisconnectReason,
        now: Instant,
        out: &mut Vec<Action<R>>,
    ) -> Phase {
        let switch = reason == DisconnectReason::LeaderChanged;
        if was_subscribed {
            tracing::warn!(%reason, "lost the subscription; reconnecting");
            out.push(Action::Emit(DriverEvent::Disconnected { reason }));
        } else if !switch {
            tracing::info!(%reason, "could not subscribe; will retry");
        }
        if switch {
            return self.connect(out);
        }
        Phase::BackingOff {
            retry_at: now + self.backoff.next_delay(),
        }
    }

    fn leader_changed(
        &mut self,
        phase: Phase,
        leader: Leader,
        now: Instant,
        out: &mut Vec<Action<R>>,
    ) -> Phase {
        out.push(Action::Emit(DriverEvent::LeaderChanged {
            leader: leader.clone(),
        }));
        self.leader = leader;
        match phase {
            Phase::NoLeader | Phase::BackingOff { .. } => self.connect(out),
            Phase::Connecting { .. } => {
                out.push(Action::Close);
                self.connect(out)
            }
            Phase::AwaitingSubscribed(connection) if connection.left_by(&self.leader) => {
                self.stream_lost(false, DisconnectReason::LeaderChanged, now, out)
            }
            Phase::Subscribed { connection, .. } if connection.left_by(&self.leader) => {
                self.stream_lost(true, DisconnectReason::LeaderChanged, now, out)
            }
            unchanged => unchanged,
        }
    }

    /// A stop request: without teardown (or with nothing to tear down) at
    /// once; with teardown, on the live subscription or the next one.
    fn stop(
        &mut self,
        phase: Phase,
        teardown: bool,
        reply: R,
        now: Instant,
        out: &mut Vec<Action<R>>,
    ) -> Phase {
        let framework_id = match &self.framework_id {
            Some(id) if teardown => id.clone(),
            // Never subscribed, or not asked: there is nothing to tear down.
            _ => {
                out.push(Action::Answer {
                    reply,
                    answer: StopAnswer::Done,
                });
                return self.finish(phase, Ending::Requested, out);
            }
        };
        if let Phase::Subscribed { .. } = phase {
            out.push(Action::SendTeardown {
                framework_id,
                reply,
            });
            return self.finish(phase, Ending::Requested, out);
        }
        // A newer request replaces an older one, whose reply is dropped:
        // the handle reads a dropped reply as "done".
        self.teardown = Some(PendingTeardown {
            deadline: now + self.timing.teardown_timeout,
            reply,
        });
        phase
    }

    fn teardown_expired(&mut self, phase: Phase, out: &mut Vec<Action<R>>) -> Phase {
        let Some(pending) = self.teardown.take() else {
            return phase;
        };
        out.push(Action::Answer {
            reply: pending.reply,
            answer: StopAnswer::TimedOut(self.timing.teardown_timeout),
        });
        self.finish(phase, Ending::Requested, out)
    }

    /// Closes what `phase` has open, answers a teardown that can no longer
    /// be sent, and ends.
    fn finish(&mut self, phase: Phase, ending: Ending, out: &mut Vec<Action<R>>) -> Phase {
        if matches!(
            phase,
            Phase::Connecting { .. } | Phase::AwaitingSubscribed(_) | Phase::Subscribed { .. }
        ) {
            out.push(Action::Close);
        }
        if let Some(pending) = self.teardown.take() {
            out.push(Action::Answer {
                reply: pending.reply,
                answer: StopAnswer::NotSent,
            });
        }
        out.push(Action::Finish(ending));
        Phase::Stopped
    }

    /// An event before SUBSCRIBED: SUBSCRIBED itself, ERROR (the end), or
    /// anything else (ignored).
    fn first_event(
        &mut self,
        mut connection: Connection,
        event: Event,
        now: Instant,
        out: &mut Vec<Action<R>>,
    ) -> Phase {
        connection.watchdog.feed(now);
        let kind = event.r#type.and_then(|t| event::Type::try_from(t).ok());
        match (kind, event.subscribed) {
            (Some(event::Type::Subscribed), Some(subscribed)) => {
                self.subscribed(connection, subscribed, now, out)
            }
            (Some(event::Type::Error), _) => {
                let MasterError(message) = dispatch::master_error(event.error, out);
                let phase = Phase::AwaitingSubscribed(connection);
                self.finish(phase, Ending::MasterError(message), out)
            }
            _ => {
                tracing::debug!(?kind, "ignoring an event that came before SUBSCRIBED");
                Phase::AwaitingSubscribed(connection)
            }
        }
    }

    /// The SUBSCRIBED handshake: learn the framework id and heartbeat
    /// interval, tell the handle and engine, reconcile, and send a
    /// teardown that was waiting for a subscription.
    fn subscribed(
        &mut self,
        mut connection: Connection,
        subscribed: event::Subscribed,
        now: Instant,
        out: &mut Vec<Action<R>>,
    ) -> Phase {
        let interval = subscribed
            .heartbeat_interval_seconds
            .filter(|secs| secs.is_finite() && *secs > 0.0)
            .map(Duration::from_secs_f64)
            .unwrap_or(DEFAULT_HEARTBEAT);
        let window = HeartbeatWatchdog::window_for(interval, self.timing.missed_heartbeats);
        connection.watchdog.rearm(window, now);
        let framework_id = subscribed.framework_id;
        // Known before: configured to fail over, or learnt from an
        // earlier SUBSCRIBED.
        let resubscribed = self.framework_id.is_some();
        self.framework_id = Some(framework_id.clone());
        self.backoff.reset();
        let endpoint = connection.endpoint.clone();
        tracing::info!(framework_id = %framework_id.value, %endpoint, resubscribed, "subscribed");
        out.push(Action::Publish {
            framework_id: framework_id.clone(),
            endpoint: endpoint.clone(),
        });
        out.push(Action::Emit(DriverEvent::Subscribed {
            framework_id: framework_id.clone(),
            master: subscribed.master_info,
            endpoint,
            heartbeat_interval: interval,
            resubscribed,
        }));
        out.push(Action::Reconcile {
            framework_id: framework_id.clone(),
        });
        let phase = Phase::Subscribed {
            connection,
            framework_id: framework_id.clone(),
        };
        match self.teardown.take() {
            Some(pending) => {
                out.push(Action::SendTeardown {
                    framework_id,
                    reply: pending.reply,
                });
                self.finish(phase, Ending::Requested, out)
            }
            None => phase,
        }
    }

    fn subscribed_event(
        &mut self,
        mut connection: Connection,
        framework_id: FrameworkId,
        event: Event,
        now: Instant,
        out: &mut Vec<Action<R>>,
    ) -> Phase {
        connection.watchdog.feed(now);
        let outcome = dispatch::subscribed_event(event, &framework_id, out);
        let phase = Phase::Subscribed {
            connection,
            framework_id,
        };
        match outcome {
            Ok(()) => phase,
            Err(MasterError(message)) => self.finish(phase, Ending::MasterError(message), out),
        }
    }
}
