//! The executor's event loop: subscribe to the agent, act on its events
//! (launch and kill of leases, acknowledgements, shutdown: `leasing`),
//! act on what the driver says over the channel and report each attempt's
//! end (`work`), and when the agent goes away either end (no
//! checkpointing) or keep re-subscribing with backoff until the recovery
//! timeout.

use std::time::Duration;

use rmesos_common::backoff::{Backoff, BackoffPolicy};
use rmesos_common::deadline::sleep_until;
use rmesos_common::wire::executor::{Event, call, event};
use rmesos_common::wire::is_terminal;
use rmesos_common::wire::v1::{ExecutorId, TaskState, TaskStatus};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::agent::{AgentClient, AgentError, EventStream};
use crate::attempts::{AttemptBook, Outcome, Work};
use crate::channel::{Channel, FromDriver};
use crate::config::{Config, Recovery};
use crate::leases::LeaseBook;
use crate::sender::UpdateSender;
use crate::served::DataClient;
use crate::status::StatusSource;
use crate::updates::UpdateStore;

/// How the executor ended.
#[derive(Debug, Clone)]
pub enum Exit {
    /// SHUTDOWN was handled (or the agent left while shutting down).
    Shutdown,
    /// The last lease ended (killed, or refused).
    NoLeaseLeft,
    /// The driver went away: every lease failed.
    DriverGone(String),
    /// The agent went away and checkpointing is off.
    AgentLost(String),
    /// The agent stayed away longer than the recovery timeout.
    RecoveryTimedOut(Duration),
    /// The executor could not even start talking to the agent.
    Setup(String),
}

impl Exit {
    /// The process exit code.
    pub fn code(&self) -> i32 {
        match self {
            Exit::Shutdown | Exit::NoLeaseLeft => 0,
            _ => 1,
        }
    }
}

/// Subscribed, or waiting to subscribe again.
enum Link {
    Up(EventStream),
    Down {
        since: Instant,
        next_attempt: Instant,
        backoff: Backoff,
    },
}

/// What woke the loop.
enum Step {
    Event(Result<Option<Box<Event>>, AgentError>),
    Outcome(Box<Outcome>),
    Driver(FromDriver),
    Reconnect,
    ClosingDeadline,
}

/// The executor is on its way out: it exits with `exit` when every update
/// is acknowledged, or at `deadline`, whichever comes first.
pub(crate) struct Closing {
    pub deadline: Instant,
    pub exit: Exit,
}

/// The driver's channel, once the first lease named it.
pub(crate) struct DriverLink {
    pub channel: Channel,
    pub messages: mpsc::UnboundedReceiver<FromDriver>,
}

pub struct Runner {
    pub(crate) config: Config,
    agent: AgentClient,
    pub(crate) source: StatusSource,
    pub(crate) updates: UpdateStore,
    pub(crate) leases: LeaseBook,
    pub(crate) attempts: AttemptBook,
    pub(crate) work: Work,
    pub(crate) driver: Option<DriverLink>,
    sender: UpdateSender,
    outcomes: mpsc::UnboundedReceiver<Outcome>,
    /// Whether the agent takes UPDATE calls now (otherwise updates wait
    /// for the next SUBSCRIBE).
    connected: bool,
    pub(crate) closing: Option<Closing>,
}

/// Runs the executor until it exits.
pub async fn run(config: Config) -> Exit {
    let agent = match AgentClient::new(&config) {
        Ok(agent) => agent,
        Err(error) => return Exit::Setup(format!("cannot build an HTTP client: {error}")),
    };
    // Replaced, with the data server's certificate pin, by the first
    // lease's grant: no partition can arrive before it.
    let data = DataClient::new(reqwest::Client::new(), config.data_timeout);
    if let Some(delay) = config.partition_delay {
        tracing::warn!(
            ?delay,
            "test fault: every partition waits before it is computed"
        );
    }
    let (outcome_tx, outcomes) = mpsc::unbounded_channel();
    let mut runner = Runner {
        source: StatusSource {
            executor_id: ExecutorId {
                value: config.executor_id.clone(),
            },
            agent_id: None,
        },
        sender: UpdateSender::spawn(agent.clone()),
        work: Work {
            data,
            delay: config.partition_delay,
            outcomes: outcome_tx,
        },
        config,
        agent,
        updates: UpdateStore::new(),
        leases: LeaseBook::new(),
        attempts: AttemptBook::new(),
        driver: None,
        outcomes,
        connected: false,
        closing: None,
    };
    runner.run().await
}

impl Runner {
    async fn run(&mut self) -> Exit {
        let mut link = match self.subscribe().await {
            Ok(stream) => Link::Up(stream),
            Err(error) => match self.agent_lost(format!("subscribing failed: {error}")) {
                Ok(down) => down,
                Err(exit) => return exit,
            },
        };
        loop {
            self.connected = matches!(link, Link::Up(_));
            if let Some(closing) = &self.closing
                && self.updates.is_empty()
            {
                tracing::info!(exit = ?closing.exit, "every update acknowledged; exiting");
                return closing.exit.clone();
            }
            let result = match self.next_step(&mut link).await {
                Step::Event(Ok(Some(event))) => {
                    self.handle_event(*event);
                    Ok(())
                }
                Step::Event(Ok(None)) => self
                    .agent_lost("the agent ended the event stream".into())
                    .map(|down| link = down),
                Step::Event(Err(error)) => {
                    self.agent_lost(error.to_string()).map(|down| link = down)
                }
                Step::Outcome(outcome) => {
                    self.attempt_ended(*outcome);
                    Ok(())
                }
                Step::Driver(message) => {
                    self.driver_said(message);
                    Ok(())
                }
                Step::Reconnect => self.reconnect(&mut link).await,
                Step::ClosingDeadline => Err(self.closing_deadline()),
            };
            if let Err(exit) = result {
                return exit;
            }
        }
    }

    async fn next_step(&mut self, link: &mut Link) -> Step {
        let closing = sleep_until(self.closing.as_ref().map(|c| c.deadline));
        let outcomes = &mut self.outcomes;
        let driver_link = &mut self.driver;
        let driver = async {
            match driver_link {
                Some(driver) => driver.messages.recv().await,
                None => std::future::pending().await,
            }
        };
        match link {
            // Every branch is cancel-safe: `EventStream::next` keeps its
            // partial record in the stream, `recv` loses nothing.
            Link::Up(stream) => tokio::select! {
                event = stream.next() => Step::Event(event.map(|e| e.map(Box::new))),
                Some(outcome) = outcomes.recv() => Step::Outcome(Box::new(outcome)),
                Some(message) = driver => Step::Driver(message),
                () = closing => Step::ClosingDeadline,
            },
            Link::Down { next_attempt, .. } => tokio::select! {
                () = tokio::time::sleep_until(*next_attempt) => Step::Reconnect,
                Some(outcome) = outcomes.recv() => Step::Outcome(Box::new(outcome)),
                Some(message) = driver => Step::Driver(message),
                () = closing => Step::ClosingDeadline,
            },
        }
    }

    /// The closing deadline passed with updates unacknowledged.
    fn closing_deadline(&mut self) -> Exit {
        let exit = self
            .closing
            .as_ref()
            .map_or(Exit::Shutdown, |c| c.exit.clone());
        tracing::warn!(
            unacknowledged = self.updates.len(),
            ?exit,
            "grace period nearly over; exiting with updates unacknowledged"
        );
        exit
    }

    /// SUBSCRIBE, listing what the agent may have missed.
    async fn subscribe(&mut self) -> Result<EventStream, AgentError> {
        let subscribe = call::Subscribe {
            unacknowledged_tasks: self.leases.unacknowledged(),
            unacknowledged_updates: self
                .updates
                .pending()
                .iter()
                .map(|status| call::Update {
                    status: status.clone(),
                })
                .collect(),
        };
        let (tasks, updates) = (
            subscribe.unacknowledged_tasks.len(),
            subscribe.unacknowledged_updates.len(),
        );
        let (subscribed, stream) = self.agent.subscribe(subscribe).await?;
        self.sender.new_subscription();
        self.source.agent_id = subscribed.agent_info.id.clone();
        tracing::info!(
            agent = self.source.agent_id.as_ref().map_or("", |a| a.value.as_str()),
            framework = %self.config.framework_id,
            executor = %self.config.executor_id,
            unacknowledged_tasks = tasks,
            unacknowledged_updates = updates,
            "subscribed to the agent"
        );
        Ok(stream)
    }

    /// The agent is gone: the link to wait on, or the reason to exit.
    fn agent_lost(&mut self, reason: String) -> Result<Link, Exit> {
        if let Some(closing) = &self.closing {
            tracing::info!(%reason, "agent gone while closing; exiting");
            return Err(closing.exit.clone());
        }
        let Some(Recovery { backoff_max, .. }) = self.config.recovery else {
            tracing::error!(%reason, "lost the agent and checkpointing is off; exiting");
            return Err(Exit::AgentLost(reason));
        };
        let mut backoff = Backoff::new(BackoffPolicy::random_start(backoff_max));
        let wait = backoff.next_delay();
        tracing::warn!(%reason, ?wait, "lost the agent; subscribing again");
        Ok(Link::Down {
            since: Instant::now(),
            next_attempt: Instant::now() + wait,
            backoff,
        })
    }

    /// One more SUBSCRIBE attempt while the agent is away.
    async fn reconnect(&mut self, link: &mut Link) -> Result<(), Exit> {
        let Some(Recovery { timeout, .. }) = self.config.recovery else {
            return Err(Exit::AgentLost("no recovery configured".into()));
        };
        let Link::Down { since, .. } = *link else {
            return Ok(());
        };
        if since.elapsed() >= timeout {
            tracing::error!(
                ?timeout,
                "the agent did not come back within the recovery timeout; exiting"
            );
            return Err(Exit::RecoveryTimedOut(timeout));
        }
        match self.subscribe().await {
            Ok(stream) => {
                tracing::info!(away = ?since.elapsed(), "re-subscribed to the agent");
                *link = Link::Up(stream);
            }
            Err(error) => {
                if let Link::Down {
                    next_attempt,
                    backoff,
                    ..
                } = link
                {
                    let wait = backoff.next_delay();
                    tracing::info!(%error, ?wait, "agent still away");
                    // Wake up in time to notice the recovery timeout.
                    *next_attempt = (Instant::now() + wait).min(since + timeout);
                }
            }
        }
        Ok(())
    }

    fn handle_event(&mut self, event: Event) {
        match event.r#type() {
            event::Type::Launch => {
                if let Some(launch) = event.launch {
                    self.launch_all([launch.task]);
                }
            }
            event::Type::LaunchGroup => {
                let tasks = event.launch_group.map(|g| g.task_group.tasks);
                self.launch_all(tasks.into_iter().flatten());
            }
            event::Type::Kill => {
                if let Some(kill) = event.kill {
                    self.kill(&kill.task_id.value);
                }
            }
            event::Type::Acknowledged => {
                if let Some(ack) = event.acknowledged {
                    self.acknowledged(&ack.task_id.value, &ack.uuid);
                }
            }
            event::Type::Shutdown => self.shutdown(),
            event::Type::Subscribed => {
                if let Some(subscribed) = event.subscribed {
                    self.source.agent_id = subscribed.agent_info.id;
                }
            }
            event::Type::Error => {
                let message = event.error.map(|e| e.message).unwrap_or_default();
                tracing::error!(%message, "the agent reported an error");
            }
            event::Type::Message => tracing::debug!("framework message ignored"),
            event::Type::Heartbeat => tracing::trace!("heartbeat"),
            event::Type::Unknown => tracing::debug!(kind = ?event.r#type, "unknown event ignored"),
        }
    }

    fn acknowledged(&mut self, task_id: &str, uuid: &[u8]) {
        match self.updates.acknowledge(uuid) {
            Some(status) => {
                tracing::debug!(task = %task_id, "update acknowledged");
                if TaskState::try_from(status.state).is_ok_and(is_terminal) {
                    self.leases.final_update_acknowledged(&status.task_id.value);
                }
            }
            None => tracing::debug!(task = %task_id, "acknowledgement of an unknown update"),
        }
    }

    /// Keeps `status` until acknowledged, and sends it now if subscribed
    /// (otherwise it goes into the next SUBSCRIBE).
    pub(crate) fn send(&mut self, status: TaskStatus) {
        self.updates.insert(status.clone());
        if self.connected {
            self.sender.send(status);
        }
    }
}
