//! The driver task: one loop that feeds the state machine (`machine`)
//! leader changes, connection news, commands and timers, and carries out
//! the actions it answers with: the only place the driver does I/O.

use std::sync::Arc;

use futures::FutureExt;
use rmesos_common::deadline::due;
use rmesos_common::wire::v1::FrameworkId;
use rmesos_common::wire::v1::scheduler::Call;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::calls;
use super::config::DriverConfig;
use super::error::DriverError;
use super::events::{DisconnectReason, DriverEvent};
use super::handle::{Command, Shared};
use super::leader::LeaderTracker;
use super::link::{Link, LinkNews};
use super::machine::{Action, Ending, Input, Machine, StopAnswer, Timing};
use super::reconcile::Reconciliation;
use crate::transport::TransportError;

/// Where the answer to a stop request goes.
pub(crate) type StopReply = oneshot::Sender<Result<(), DriverError>>;

pub(crate) struct Runner {
    config: DriverConfig,
    shared: Arc<Shared>,
    leaders: LeaderTracker,
    commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<DriverEvent>,
    machine: Machine<StopReply>,
    link: Link,
    /// Reconciliation of the live subscription, stopped when it ends.
    reconciliation: Option<Reconciliation>,
    /// Why SUBSCRIBE was refused for good, for `Ending::Refused`.
    refusal: Option<DriverError>,
}

impl Runner {
    pub(crate) fn new(
        config: DriverConfig,
        shared: Arc<Shared>,
        leaders: LeaderTracker,
        commands: mpsc::UnboundedReceiver<Command>,
        events: mpsc::UnboundedSender<DriverEvent>,
        framework_id: Option<FrameworkId>,
    ) -> Self {
        let timing = Timing {
            // Until SUBSCRIBED names the heartbeat interval, allow one call timeout.
            first_event: config.transport.call_timeout,
            missed_heartbeats: config.missed_heartbeats,
            teardown_timeout: config.teardown_timeout,
        };
        Runner {
            machine: Machine::new(framework_id, config.reconnect_backoff, timing),
            config,
            shared,
            leaders,
            commands,
            events,
            link: Link::Idle,
            reconciliation: None,
            refusal: None,
        }
    }

    pub(crate) async fn run(mut self) -> Result<(), DriverError> {
        let ending = loop {
            let input = self.next_input().await;
            let actions = self.machine.step(input, Instant::now());
            if let Some(ending) = self.perform(actions).await {
                break ending;
            }
        };
        let result = match ending {
            Ending::Requested => Ok(()),
            Ending::MasterError(message) => Err(DriverError::MasterError { message }),
            Ending::Refused => Err(self.refusal.take().unwrap_or_else(|| {
                DriverError::Crashed("the subscription was refused for an unknown reason".into())
            })),
        };
        self.shared.state.send_modify(|state| {
            state.subscribed_to = None;
            state.stopped = true;
        });
        if let Err(err) = &result {
            tracing::error!(error = %err, "framework driver stopped");
        }
        result
    }

    /// Waits for whatever happens next. Commands come first, so that a
    /// stop is never starved by a busy stream.
    async fn next_input(&mut self) -> Input<StopReply> {
        let timer = self.machine.next_timer();
        tokio::select! {
            biased;
            command = self.commands.recv() => match command {
                Some(Command::Stop { teardown, done }) => Input::Stop { teardown, reply: done },
                None => Input::HandlesGone,
            },
            news = self.link.next() => self.link_input(news),
            leader = self.leaders.changed() => Input::LeaderChanged(leader),
            timer = due(timer) => Input::Timer(timer),
        }
    }

    fn link_input(&mut self, news: LinkNews) -> Input<StopReply> {
        match news {
            LinkNews::Opened(endpoint) => Input::Opened { endpoint },
            LinkNews::Failed(err) if err.is_transient() => Input::SubscribeFailed(err.to_string()),
            LinkNews::Failed(err) => {
                self.refusal = Some(DriverError::from_subscribe(err));
                Input::SubscribeRefused
            }
            LinkNews::Event(Some(Ok(event))) => Input::Event(event),
            LinkNews::Event(None) => Input::StreamLost(DisconnectReason::StreamEnded),
            LinkNews::Event(Some(Err(err @ TransportError::Decode { .. }))) => {
                Input::StreamLost(DisconnectReason::Corrupt(err.to_string()))
            }
            LinkNews::Event(Some(Err(err))) => {
                Input::StreamLost(DisconnectReason::StreamError(err.to_string()))
            }
        }
    }

    /// Carries `actions` out in order; `Some` once the driver is done.
    async fn perform(&mut self, actions: Vec<Action<StopReply>>) -> Option<Ending> {
        for action in actions {
            match action {
                Action::Subscribe {
                    leader,
                    framework_id,
                } => self.subscribe(leader, framework_id.as_ref()),
                Action::Close => self.close(),
                Action::Publish {
                    framework_id,
                    endpoint,
                } => self.shared.state.send_modify(|state| {
                    state.framework_id = Some(framework_id);
                    state.subscribed_to = Some(endpoint);
                    state.subscriptions += 1;
                }),
                Action::Reconcile { framework_id } => self.reconcile(framework_id),
                // Nobody listening is fine: the engine may only use the handle.
                Action::Emit(event) => drop(self.events.send(event)),
                Action::Track(status) => self.shared.in_flight.observe(&status),
                Action::Acknowledge(call) => self.acknowledge(call),
                Action::SendTeardown {
                    framework_id,
                    reply,
                } => self.send_teardown(&framework_id, reply).await,
                Action::Answer { reply, answer } => drop(reply.send(stop_result(answer))),
                Action::Finish(ending) => return Some(ending),
            }
        }
        None
    }

    fn subscribe(&mut self, leader: reqwest::Url, framework_id: Option<&FrameworkId>) {
        let info = self.config.framework.framework_info(framework_id);
        let call = calls::subscribe(info, self.shared.suppressed_roles());
        let transport = self.shared.transport.clone();
        self.link
            .subscribe(async move { transport.subscribe_call(&leader, &call).await }.boxed());
    }

    fn close(&mut self) {
        self.reconciliation = None;
        if self.link.close(&self.shared.transport) {
            self.shared
                .state
                .send_modify(|state| state.subscribed_to = None);
        }
    }

    /// After every (re)subscribe: reconcile the in-flight tasks (ours and
    /// the engine's) until each is answered, plus every task once.
    fn reconcile(&mut self, framework_id: FrameworkId) {
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

    fn acknowledge(&self, call: Box<Call>) {
        let transport = self.shared.transport.clone();
        tokio::spawn(async move {
            // A lost ACKNOWLEDGE only means the agent resends the update.
            if let Err(err) = transport.send_call(&call).await {
                tracing::warn!(error = %err, "acknowledging a status update failed");
            }
        });
    }

    /// Sends TEARDOWN on the live subscription (before it is closed: the
    /// call needs its stream id).
    async fn send_teardown(&mut self, framework_id: &FrameworkId, reply: StopReply) {
        let result = self
            .shared
            .transport
            .send_call(&calls::teardown(framework_id))
            .await
            .map(|_| ())
            .map_err(DriverError::TeardownFailed);
        if result.is_ok() {
            tracing::info!("framework torn down");
            self.shared.in_flight.clear();
        }
        let _ = reply.send(result);
    }
}

fn stop_result(answer: StopAnswer) -> Result<(), DriverError> {
    match answer {
        StopAnswer::Done => Ok(()),
        StopAnswer::TimedOut(timeout) => Err(DriverError::TeardownTimedOut(timeout)),
        StopAnswer::NotSent => Err(DriverError::Crashed(
            "the driver stopped before the teardown could be sent".into(),
        )),
    }
}
