//! The executor's event loop: subscribe to the agent, act on its events
//! (launch, kill, acknowledgements, shutdown), report each task's end,
//! and when the agent goes away either end (no checkpointing) or keep
//! re-subscribing with backoff until the recovery timeout.

use std::time::Duration;

use rmesos_common::backoff::{Backoff, BackoffPolicy};
use rmesos_common::deadline::sleep_until;
use rmesos_common::stats::ColumnSummary;
use rmesos_common::task::TaskFailure;
use rmesos_common::wire::executor::{Event, call, event};
use rmesos_common::wire::is_terminal;
use rmesos_common::wire::v1::{ExecutorId, TaskInfo, TaskState, TaskStatus};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::agent::{AgentClient, AgentError, EventStream};
use crate::compute;
use crate::config::{Config, Recovery};
use crate::sender::UpdateSender;
use crate::served::DataClient;
use crate::status::StatusSource;
use crate::tasks::TaskBook;
use crate::updates::UpdateStore;

/// Longest time kept back from the shutdown grace period, so that the
/// executor is gone before the agent kills it.
const SHUTDOWN_MARGIN: Duration = Duration::from_secs(1);

/// How the executor ended.
#[derive(Debug)]
pub enum Exit {
    /// SHUTDOWN was handled (or the agent left while shutting down).
    Shutdown,
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
            Exit::Shutdown => 0,
            _ => 1,
        }
    }
}

/// A task's computation has ended.
struct Outcome {
    task_id: String,
    serial: u64,
    result: Result<ColumnSummary, TaskFailure>,
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
    Reconnect,
    ShutdownDeadline,
}

pub struct Runner {
    config: Config,
    agent: AgentClient,
    data: DataClient,
    source: StatusSource,
    updates: UpdateStore,
    tasks: TaskBook,
    sender: UpdateSender,
    outcome_tx: mpsc::UnboundedSender<Outcome>,
    outcomes: mpsc::UnboundedReceiver<Outcome>,
    /// Set once SHUTDOWN arrived: exit when every update is acknowledged
    /// or then, whichever comes first.
    shutdown_deadline: Option<Instant>,
}

/// Runs the executor until it exits.
pub async fn run(config: Config) -> Exit {
    let clients =
        AgentClient::new(&config).and_then(|a| Ok((a, DataClient::new(config.data_timeout)?)));
    let (agent, data) = match clients {
        Ok(clients) => clients,
        Err(error) => return Exit::Setup(format!("cannot build an HTTP client: {error}")),
    };
    let (outcome_tx, outcomes) = mpsc::unbounded_channel();
    let mut runner = Runner {
        source: StatusSource {
            executor_id: ExecutorId {
                value: config.executor_id.clone(),
            },
            agent_id: None,
        },
        sender: UpdateSender::spawn(agent.clone()),
        config,
        agent,
        data,
        updates: UpdateStore::new(),
        tasks: TaskBook::new(),
        outcome_tx,
        outcomes,
        shutdown_deadline: None,
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
            if self.shutdown_deadline.is_some() && self.updates.is_empty() {
                tracing::info!("every update acknowledged after SHUTDOWN; exiting");
                return Exit::Shutdown;
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
                    self.task_ended(*outcome, matches!(link, Link::Up(_)));
                    Ok(())
                }
                Step::Reconnect => self.reconnect(&mut link).await,
                Step::ShutdownDeadline => {
                    tracing::warn!(
                        unacknowledged = self.updates.len(),
                        "shutdown grace period nearly over; exiting with updates unacknowledged"
                    );
                    Err(Exit::Shutdown)
                }
            };
            if let Err(exit) = result {
                return exit;
            }
        }
    }

    async fn next_step(&mut self, link: &mut Link) -> Step {
        let shutdown = sleep_until(self.shutdown_deadline);
        let outcomes = &mut self.outcomes;
        match link {
            // Every branch is cancel-safe: `EventStream::next` keeps its
            // partial record in the stream, `recv` loses nothing.
            Link::Up(stream) => tokio::select! {
                event = stream.next() => Step::Event(event.map(|e| e.map(Box::new))),
                Some(outcome) = outcomes.recv() => Step::Outcome(Box::new(outcome)),
                () = shutdown => Step::ShutdownDeadline,
            },
            Link::Down { next_attempt, .. } => tokio::select! {
                () = tokio::time::sleep_until(*next_attempt) => Step::Reconnect,
                Some(outcome) = outcomes.recv() => Step::Outcome(Box::new(outcome)),
                () = shutdown => Step::ShutdownDeadline,
            },
        }
    }

    /// SUBSCRIBE, listing what the agent may have missed.
    async fn subscribe(&mut self) -> Result<EventStream, AgentError> {
        let subscribe = call::Subscribe {
            unacknowledged_tasks: self.tasks.unacknowledged(),
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
        if self.shutdown_deadline.is_some() {
            tracing::info!(%reason, "agent gone while shutting down; exiting");
            return Err(Exit::Shutdown);
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
                    self.launch(launch.task);
                }
            }
            event::Type::LaunchGroup => {
                let tasks = event.launch_group.map(|g| g.task_group.tasks);
                for task in tasks.into_iter().flatten() {
                    self.launch(task);
                }
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

    fn launch(&mut self, task: TaskInfo) {
        let task_id = task.task_id.value.clone();
        if self.tasks.knows(&task_id) {
            tracing::warn!(task = %task_id, "LAUNCH of a task already known; ignored");
            return;
        }
        if self.shutdown_deadline.is_some() {
            tracing::warn!(task = %task_id, "LAUNCH while shutting down; ignored");
            return;
        }
        let spec = compute::decode_spec(task.data.as_deref());
        let description = spec.as_ref().map_or_else(
            |_| "an undecodable partition spec".into(),
            compute::describe,
        );
        tracing::info!(task = %task_id, partition = %description, "launching");
        let running = self.source.status(
            &task.task_id,
            TaskState::TaskRunning,
            format!("computing {description}"),
            None,
        );
        self.send(running, true);
        let serial = self.tasks.next_serial();
        let cancel = CancellationToken::new();
        let (data, outcome_tx, stop) = (self.data.clone(), self.outcome_tx.clone(), cancel.clone());
        let id = task_id.clone();
        let work = tokio::spawn(async move {
            let result = match spec {
                Ok(spec) => compute::compute(&spec, &data, stop).await,
                Err(failure) => Err(failure),
            };
            let _ = outcome_tx.send(Outcome {
                task_id: id,
                serial,
                result,
            });
        });
        self.tasks.insert(task, description, serial, cancel, work);
    }

    fn task_ended(&mut self, outcome: Outcome, connected: bool) {
        let Some(task) = self.tasks.finish(&outcome.task_id, outcome.serial) else {
            tracing::debug!(task = %outcome.task_id, "outcome of a killed task dropped");
            return;
        };
        let elapsed = task.started.elapsed();
        let status = match outcome.result {
            Ok(summary) => {
                let rows = summary.count();
                tracing::info!(
                    task = %outcome.task_id,
                    partition = %task.description,
                    rows,
                    ?elapsed,
                    "partition computed"
                );
                self.source.status(
                    &task.info.task_id,
                    TaskState::TaskFinished,
                    format!("{rows} rows"),
                    Some(summary.to_bytes()),
                )
            }
            Err(failure) => {
                tracing::warn!(
                    task = %outcome.task_id,
                    partition = %task.description,
                    kind = ?failure.kind,
                    cause = %failure.message,
                    ?elapsed,
                    "partition failed"
                );
                self.source.status(
                    &task.info.task_id,
                    TaskState::TaskFailed,
                    failure.message.clone(),
                    Some(failure.to_bytes()),
                )
            }
        };
        self.send(status, connected);
    }

    fn kill(&mut self, task_id: &str) {
        match self.tasks.kill(task_id) {
            Some(task) => {
                tracing::info!(
                    task = %task_id,
                    partition = %task.description,
                    after = ?task.started.elapsed(),
                    "task killed"
                );
                let status = self.source.status(
                    &task.info.task_id,
                    TaskState::TaskKilled,
                    "killed by the framework",
                    None,
                );
                self.send(status, true);
            }
            None if self.tasks.knows(task_id) => {
                tracing::debug!(task = %task_id, "KILL of a task that already ended");
            }
            None => tracing::warn!(task = %task_id, "KILL of an unknown task; ignored"),
        }
    }

    fn acknowledged(&mut self, task_id: &str, uuid: &[u8]) {
        match self.updates.acknowledge(uuid) {
            Some(status) => {
                tracing::debug!(task = %task_id, "update acknowledged");
                if TaskState::try_from(status.state).is_ok_and(is_terminal) {
                    self.tasks.final_update_acknowledged(&status.task_id.value);
                }
            }
            None => tracing::debug!(task = %task_id, "acknowledgement of an unknown update"),
        }
    }

    fn shutdown(&mut self) {
        if self.shutdown_deadline.is_some() {
            return;
        }
        let grace = self.config.shutdown_grace_period;
        let margin = SHUTDOWN_MARGIN.min(grace / 5);
        self.shutdown_deadline = Some(Instant::now() + grace - margin);
        let killed = self.tasks.kill_all();
        tracing::info!(tasks = killed.len(), ?grace, "SHUTDOWN: killing every task");
        for task in killed {
            let status = self.source.status(
                &task.info.task_id,
                TaskState::TaskKilled,
                "the executor is shutting down",
                None,
            );
            self.send(status, true);
        }
    }

    /// Keeps `status` until acknowledged, and sends it now if subscribed
    /// (otherwise it goes into the next SUBSCRIBE).
    fn send(&mut self, status: TaskStatus, connected: bool) {
        self.updates.insert(status.clone());
        if connected {
            self.sender.send(status);
        }
    }
}
