//! The engine task: one loop that owns the running job and the session's
//! executors and leases, and reacts to the driver's events (offers, lease
//! updates, failures, resubscriptions), to what executors say on their
//! channels (results, heartbeats), to job requests, to timers (retries,
//! job deadlines, silent executors, idle leases) and to cancellation.
//! Jobs run one after another; partitions go to executors' free slots
//! (`dispatch`), leases come from offers (`lease_events`).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use rmesos_common::deadline::sleep_until;
use rmesos_common::partition::{PartitionSource, PartitionSpec};
use rmesos_common::stats::ColumnStats;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::executors::executor_command;
use super::job::ActiveJob;
use super::leases::LeaseBook;
use super::options::ClusterOptions;
use super::status::StatusBoard;
use crate::dataserver::{ChannelEvent, DataServer, PublishedRows};
use crate::driver::{DriverEvent, DriverEvents, DriverHandle};
use crate::engine::{JobError, JobPlan, PartitionWork, ProgressSink, ProgressTracker};

/// A job handed to the engine task.
pub struct JobRequest {
    pub plan: JobPlan,
    pub sink: Arc<dyn ProgressSink>,
    pub cancel: CancellationToken,
    pub reply: oneshot::Sender<Result<ColumnStats, JobError>>,
}

/// The job being run, with what must live exactly as long as it.
pub(super) struct Current {
    pub(super) job: ActiveJob,
    cancel: CancellationToken,
    reply: oneshot::Sender<Result<ColumnStats, JobError>>,
    /// Keeps in-memory rows on the data server until the job ends.
    _rows: Option<PublishedRows>,
}

pub struct EngineLoop {
    pub(super) handle: DriverHandle,
    events: DriverEvents,
    channel: mpsc::UnboundedReceiver<ChannelEvent>,
    requests: mpsc::UnboundedReceiver<JobRequest>,
    pub(super) data: Arc<DataServer>,
    pub(super) options: ClusterOptions,
    pub(super) board: StatusBoard,
    pub(super) book: LeaseBook,
    queue: VecDeque<JobRequest>,
    pub(super) current: Option<Current>,
    /// Offers are suppressed (as far as we asked).
    pub(super) suppressed: bool,
    /// Offers were declined with a filter since the last REVIVE.
    pub(super) filtered: bool,
    /// Why the cluster cannot run jobs any more, once it cannot.
    dead: Option<String>,
    /// The number of the last attempt handed out (session-wide).
    pub(super) attempts: u64,
    /// Since when no job has been running or queued.
    idle_since: Option<Instant>,
    /// Leases that ended before running, in a row, and the last one's end.
    pub(super) lease_failures: (u32, String),
}

impl EngineLoop {
    pub fn new(
        handle: DriverHandle,
        events: DriverEvents,
        requests: mpsc::UnboundedReceiver<JobRequest>,
        data: Arc<DataServer>,
        options: ClusterOptions,
        board: StatusBoard,
    ) -> EngineLoop {
        let fetch = data.executor_fetch();
        let channel = data.channel_events().unwrap_or_else(|| {
            // The session takes the events once; a second engine would
            // hear nothing from the executors.
            tracing::error!("the data server's channel events were already taken");
            mpsc::unbounded_channel().1
        });
        EngineLoop {
            handle,
            events,
            channel,
            requests,
            book: LeaseBook::new(executor_command(&fetch, options.data_timeout)),
            data,
            options,
            board,
            queue: VecDeque::new(),
            current: None,
            suppressed: false,
            filtered: false,
            dead: None,
            attempts: 0,
            idle_since: None,
            lease_failures: (0, String::new()),
        }
    }

    /// Runs until the session is dropped (every request sender gone) and
    /// no job is left, or the driver stops.
    pub async fn run(mut self) {
        let mut tick = tokio::time::interval(self.data.heartbeat());
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let now = Instant::now();
            let wakeup = self.current.as_ref().and_then(|c| c.job.next_wakeup(now));
            let cancel = self.current.as_ref().map(|c| c.cancel.clone());
            tokio::select! {
                request = self.requests.recv() => match request {
                    Some(request) => self.queue.push_back(request),
                    None if self.current.is_none() => break,
                    None => {}
                },
                event = self.events.recv() => match event {
                    Some(event) => self.on_event(event).await,
                    None => {
                        self.dead.get_or_insert_with(|| "the framework driver stopped".into());
                    }
                },
                Some(event) = self.channel.recv() => self.on_channel(event),
                _ = sleep_until(wakeup.map(Into::into)) => self.on_timer(),
                _ = tick.tick() => self.on_tick().await,
                _ = cancelled(cancel) => {
                    if let Some(current) = &mut self.current {
                        current.job.fail(JobError::Cancelled);
                    }
                }
            }
            self.settle().await;
            if self.dead.is_some() && self.current.is_none() && self.queue.is_empty() {
                // Answer requests that arrive later, then stop with the session.
                while let Some(request) = self.requests.recv().await {
                    self.queue.push_back(request);
                    self.settle().await;
                }
                break;
            }
        }
        self.release_all("the session ended").await;
    }

    async fn on_event(&mut self, event: DriverEvent) {
        match event {
            DriverEvent::Subscribed {
                endpoint,
                framework_id,
                resubscribed,
                ..
            } => {
                tracing::info!(framework = %framework_id.value, %endpoint, resubscribed, "subscribed");
                // A new master knows none of our decline filters.
                self.filtered = false;
                self.board
                    .subscribed(&framework_id.value, endpoint.as_str());
            }
            DriverEvent::Offers(offers) => self.on_offers(offers).await,
            DriverEvent::Update(status) => self.on_lease_update(&status).await,
            DriverEvent::Failure {
                agent_id,
                executor_id,
                status,
            } => {
                let agent = agent_id.map(|a| a.value).unwrap_or_default();
                let executor = executor_id.map(|e| e.value);
                tracing::warn!(%agent, ?executor, ?status, "an executor or agent is gone");
                let gone = match executor {
                    Some(id) => Some(id),
                    None => self.book.on_agent(&agent).map(|e| e.executor_id.clone()),
                };
                if let Some(id) = gone {
                    let reason = match status {
                        Some(code) => format!("Mesos reports it exited (status {code})"),
                        None => format!("Mesos reports its agent {agent} gone"),
                    };
                    self.lose_executor(&id, &reason).await;
                }
            }
            DriverEvent::Error { message } => {
                tracing::error!(%message, "the master refused the framework");
                self.dead = Some(format!("the master refused the framework: {message}"));
            }
            DriverEvent::Disconnected { reason } => {
                tracing::warn!(%reason, "disconnected from the master; reconnecting");
                self.board.disconnected(&reason.to_string());
            }
            DriverEvent::LeaderChanged { leader } => {
                tracing::info!(leader = ?leader.as_ref().map(|l| l.as_str()), "leading master changed");
                self.board
                    .leader_changed(leader.as_ref().map(|l| l.as_str()));
            }
            DriverEvent::Rescind(_) | DriverEvent::Message { .. } => {}
        }
    }

    /// Every heartbeat interval: executors silent too long are lost;
    /// leases of an idle session are given back.
    async fn on_tick(&mut self) {
        // What the executors said and is still queued counts: a busy loop
        // must not take its own backlog for their silence.
        while let Ok(event) = self.channel.try_recv() {
            self.on_channel(event);
        }
        let now = Instant::now();
        let limit = self.data.heartbeat() * rmesos_common::lease::MISSED_HEARTBEATS;
        let silent: Vec<String> = self
            .book
            .executors()
            .filter(|e| e.silent(now, limit))
            .map(|e| e.executor_id.clone())
            .collect();
        for id in silent {
            let reason = format!("no word from its executor for more than {limit:?}");
            self.lose_executor(&id, &reason).await;
        }
        if self.current.is_some() || !self.queue.is_empty() || self.book.is_empty() {
            self.idle_since = None;
            return;
        }
        let since = *self.idle_since.get_or_insert(now);
        if now.duration_since(since) >= self.options.idle_timeout {
            let reason = format!("the session was idle for {:?}", self.options.idle_timeout);
            self.release_all(&reason).await;
            self.idle_since = None;
        }
    }

    fn on_timer(&mut self) {
        let Some(current) = &mut self.current else {
            return;
        };
        if let Some(deadline) = current.job.deadline
            && Instant::now() >= deadline
        {
            let timeout = deadline - current.job.started;
            current.job.fail(JobError::TimedOut(timeout));
        }
    }

    /// After every step: end a finished job, start the next, cancel what
    /// is moot, hand out partitions, and ask for offers exactly when more
    /// slots are wanted.
    async fn settle(&mut self) {
        if let Some(dead) = self.dead.clone() {
            if let Some(current) = &mut self.current {
                current.job.fail(JobError::Cluster(dead.clone()));
            }
            for request in self.queue.drain(..) {
                let _ = request.reply.send(Err(JobError::Cluster(dead.clone())));
            }
        }
        if self.current.as_ref().is_some_and(|c| c.job.is_over()) {
            self.end_current().await;
        }
        if self.current.is_none()
            && let Some(request) = self.queue.pop_front()
        {
            self.start(request);
        }
        let superseded = self
            .current
            .as_mut()
            .map(|c| c.job.take_superseded())
            .unwrap_or_default();
        for (attempt, executor_id) in superseded {
            self.cancel_attempt(attempt, &executor_id);
        }
        self.check_lease_failures();
        self.dispatch();
        self.adjust_offers().await;
        if let Some(current) = &self.current {
            self.board
                .job_progress(current.job.job_id(), current.job.tracker().progress());
        }
    }

    fn start(&mut self, request: JobRequest) {
        let JobRequest {
            plan,
            sink,
            cancel,
            reply,
        } = request;
        let tracker = ProgressTracker::shared(&plan, sink);
        let (specs, rows) = match self.specs(&plan) {
            Ok(built) => built,
            Err(error) => {
                let _ = reply.send(Err(error));
                return;
            }
        };
        tracing::info!(job = plan.job_id(), partitions = plan.len(), "job started");
        self.board.job_started(plan.job_id(), plan.len());
        let job = ActiveJob::new(
            plan,
            specs,
            self.options.retry,
            self.options.speculation,
            tracker,
            self.options.job_timeout,
        );
        self.current = Some(Current {
            job,
            cancel,
            reply,
            _rows: rows,
        });
    }

    /// Each partition's spec; in-memory rows are published on the data
    /// server for the executors to stream.
    fn specs(
        &self,
        plan: &JobPlan,
    ) -> Result<(Vec<PartitionSpec>, Option<PublishedRows>), JobError> {
        let mut published: Option<PublishedRows> = None;
        let mut specs = Vec::with_capacity(plan.partitions().len());
        for partition in plan.partitions() {
            let source = match &partition.work {
                PartitionWork::File(source) => source.clone(),
                PartitionWork::InMemory { rows, ncols, range } => {
                    let rows_on_server = published.get_or_insert_with(|| {
                        self.data.publish(plan.job_id(), Arc::clone(rows), *ncols)
                    });
                    PartitionSource::Served {
                        url: rows_on_server.url(range.clone()),
                        rows: range.clone(),
                        ncols: *ncols,
                    }
                }
                PartitionWork::Borrowed { .. } => {
                    return Err(JobError::Cluster(
                        "rows borrowed from the caller cannot be sent to a cluster".into(),
                    ));
                }
            };
            specs.push(PartitionSpec {
                job_id: plan.job_id().to_owned(),
                partition_id: partition.id,
                source,
                request: *plan.request(),
            });
        }
        Ok((specs, published))
    }

    async fn end_current(&mut self) {
        let Some(current) = self.current.take() else {
            return;
        };
        for (attempt, executor_id) in current.job.running_attempts() {
            self.cancel_attempt(attempt, &executor_id);
        }
        let job_id = current.job.job_id().to_owned();
        let elapsed = current.job.started.elapsed();
        // The last merges happened after the previous settle's update.
        self.board
            .job_progress(&job_id, current.job.tracker().progress());
        let result = current.job.finish();
        match &result {
            Ok(_) => tracing::info!(job = %job_id, ?elapsed, "job finished"),
            Err(error) => tracing::warn!(job = %job_id, ?elapsed, %error, "job failed"),
        }
        self.board
            .job_ended(&job_id, result.as_ref().err().map(|e| e.to_string()));
        let _ = current.reply.send(result);
    }

    /// Asks for offers exactly while more slots are wanted than held.
    async fn adjust_offers(&mut self) {
        if self.dead.is_some() {
            return;
        }
        let wanted = self.wanted_slots() > self.book.held_slots();
        if wanted && (self.suppressed || self.filtered) {
            match self.handle.revive(Vec::new()).await {
                Ok(()) => (self.suppressed, self.filtered) = (false, false),
                Err(error) => tracing::debug!(%error, "revive failed; retried on the next event"),
            }
        } else if !wanted && !self.suppressed {
            match self.handle.suppress(Vec::new()).await {
                Ok(()) => self.suppressed = true,
                Err(error) => tracing::debug!(%error, "suppress failed; retried on the next event"),
            }
        }
    }

    /// Slots the session could use now: one per unfinished partition of
    /// the running job, up to `--max-cpus`.
    pub(super) fn wanted_slots(&self) -> u32 {
        let Some(current) = self.current.as_ref().filter(|c| !c.job.is_over()) else {
            return 0;
        };
        let unfinished = u32::try_from(current.job.unfinished()).unwrap_or(u32::MAX);
        let cap = self.options.max_cpus.map_or(u32::MAX, |cpus| {
            ((cpus + 1e-9) / self.options.resources.task_cpus)
                .floor()
                .max(1.0) as u32
        });
        unfinished.min(cap)
    }
}

async fn cancelled(token: Option<CancellationToken>) {
    match token {
        Some(token) => token.cancelled().await,
        None => std::future::pending().await,
    }
}
