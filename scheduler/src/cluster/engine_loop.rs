//! The engine task: one loop that owns the running job and the executor
//! registry, and reacts to the driver's events (offers, status updates,
//! failures, resubscriptions), to job requests, to retry timers, job
//! deadlines and cancellation. Jobs run one after another on the one
//! subscription; offers are suppressed while no partition waits.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmesos_common::deadline::sleep_until;
use rmesos_common::partition::{PartitionSource, PartitionSpec};
use rmesos_common::stats::ColumnStats;
use rmesos_common::wire::v1::offer::{Operation, operation};
use rmesos_common::wire::v1::{AgentId, Offer, TaskId, TaskState, TaskStatus};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::executors::{ExecutorRegistry, executor_command};
use super::job::{ActiveJob, UpdateOutcome};
use super::options::ClusterOptions;
use super::placement::{OfferUse, place};
use super::status::StatusBoard;
use crate::dataserver::ExecutorFetch;
use crate::dataserver::{DataServer, PublishedRows};
use crate::driver::{DriverEvent, DriverEvents, DriverHandle, is_terminal};
use crate::engine::{JobError, JobPlan, PartitionWork, ProgressSink, ProgressTracker};

/// A job handed to the engine task.
pub struct JobRequest {
    pub plan: JobPlan,
    pub sink: Arc<dyn ProgressSink>,
    pub cancel: CancellationToken,
    pub reply: oneshot::Sender<Result<ColumnStats, JobError>>,
}

/// The job being run, with what must live exactly as long as it.
struct Current {
    job: ActiveJob,
    cancel: CancellationToken,
    reply: oneshot::Sender<Result<ColumnStats, JobError>>,
    /// Keeps in-memory rows on the data server until the job ends.
    _rows: Option<PublishedRows>,
}

pub struct EngineLoop {
    pub handle: DriverHandle,
    pub events: DriverEvents,
    pub requests: mpsc::UnboundedReceiver<JobRequest>,
    pub data: Arc<DataServer>,
    pub options: ClusterOptions,
    pub board: StatusBoard,
    pub executors: ExecutorRegistry,
    queue: VecDeque<JobRequest>,
    current: Option<Current>,
    /// Offers are suppressed (as far as we asked).
    suppressed: bool,
    /// Offers were declined with a filter since the last REVIVE.
    filtered: bool,
    /// Why the cluster cannot run jobs any more, once it cannot.
    dead: Option<String>,
}

impl EngineLoop {
    pub fn new(
        handle: DriverHandle,
        events: DriverEvents,
        requests: mpsc::UnboundedReceiver<JobRequest>,
        data: Arc<DataServer>,
        options: ClusterOptions,
        fetch: ExecutorFetch,
        board: StatusBoard,
    ) -> EngineLoop {
        EngineLoop {
            handle,
            events,
            requests,
            data,
            executors: ExecutorRegistry::new(executor_command(&fetch, options.data_timeout)),
            options,
            board,
            queue: VecDeque::new(),
            current: None,
            suppressed: false,
            filtered: false,
            dead: None,
        }
    }

    /// Runs until the session is dropped (every request sender gone) and
    /// no job is left, or the driver stops.
    pub async fn run(mut self) {
        loop {
            let now = Instant::now();
            let wakeup = self.current.as_ref().and_then(|c| c.job.next_wakeup(now));
            let cancel = self.current.as_ref().map(|c| c.cancel.clone());
            tokio::select! {
                request = self.requests.recv() => match request {
                    Some(request) => self.queue.push_back(request),
                    None if self.current.is_none() => return,
                    None => {}
                },
                event = self.events.recv() => match event {
                    Some(event) => self.on_event(event).await,
                    None => {
                        self.dead.get_or_insert_with(|| "the framework driver stopped".into());
                    }
                },
                _ = sleep_until(wakeup.map(Into::into)) => self.on_timer(),
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
                return;
            }
        }
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
            DriverEvent::Update(status) => self.on_update(&status).await,
            DriverEvent::Failure {
                agent_id,
                executor_id,
                status,
            } => {
                let agent = agent_id.map(|a| a.value).unwrap_or_default();
                let executor = executor_id.map(|e| e.value);
                tracing::warn!(%agent, ?executor, ?status, "an executor or agent is gone");
                self.executors.forget(&agent, executor.as_deref());
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

    async fn on_offers(&mut self, offers: Vec<Offer>) {
        let uses = match &self.current {
            Some(current) if !current.job.is_over() => place(
                &offers,
                &current.job,
                &mut self.executors,
                &self.options.resources,
            ),
            _ => offers
                .iter()
                .map(|offer| OfferUse {
                    offer_id: offer.id.clone(),
                    agent_id: offer.agent_id.value.clone(),
                    tasks: Vec::new(),
                })
                .collect(),
        };
        let mut unused = Vec::new();
        for offer_use in uses {
            if offer_use.tasks.is_empty() {
                unused.push(offer_use.offer_id);
            } else {
                self.launch_on(offer_use).await;
            }
        }
        if !unused.is_empty() {
            self.filtered = true;
            if let Err(error) = self
                .handle
                .decline(unused, Some(self.options.decline_refuse))
                .await
            {
                tracing::warn!(%error, "declining offers failed");
            }
        }
    }

    async fn launch_on(&mut self, offer_use: OfferUse) {
        let Some(current) = &mut self.current else {
            return;
        };
        let more_waiting = current.job.runnable(Instant::now()).len() > offer_use.tasks.len();
        let mut tasks = Vec::new();
        for (partition_id, task) in offer_use.tasks {
            current.job.launched(
                partition_id,
                task.task_id.value.clone(),
                offer_use.agent_id.clone(),
            );
            self.board
                .task_launched(&task.task_id.value, partition_id, &offer_use.agent_id);
            tasks.push(task);
        }
        let ids: Vec<String> = tasks.iter().map(|t| t.task_id.value.clone()).collect();
        let operation = Operation {
            r#type: Some(operation::Type::Launch as i32),
            launch: Some(operation::Launch { task_infos: tasks }),
            ..Operation::default()
        };
        // While partitions still wait, keep the rest of the offer coming.
        let refuse = if more_waiting {
            Duration::ZERO
        } else {
            self.options.decline_refuse
        };
        let result = self
            .handle
            .accept(
                vec![offer_use.offer_id],
                vec![operation],
                Some(crate::driver::refuse_for(refuse)),
            )
            .await;
        if let Err(error) = result {
            tracing::warn!(%error, "launching tasks failed; their partitions wait again");
            let message = format!("the launch did not reach the master: {error}");
            for id in ids {
                current.job.launch_failed(&id, &message);
            }
        }
    }

    async fn on_update(&mut self, status: &TaskStatus) {
        let state = TaskState::try_from(status.state).unwrap_or(TaskState::TaskUnknown);
        self.board.task_state(&status.task_id.value, state);
        let outcome = match &mut self.current {
            Some(current) => current.job.on_update(status),
            None => UpdateOutcome::Unknown,
        };
        if outcome == UpdateOutcome::Unknown && !is_terminal(state) {
            // A task of an earlier job (or of an earlier run of this
            // framework) still running: its result is not wanted.
            tracing::info!(task = %status.task_id.value, "killing a task of no current job");
            let agent = status.agent_id.clone();
            if let Err(error) = self.handle.kill(status.task_id.clone(), agent).await {
                tracing::warn!(%error, "killing a stray task failed");
            }
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

    /// After every step: end a finished job, start the next, kill what is
    /// moot, and ask for offers exactly when partitions wait.
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
        if let Some(current) = &mut self.current {
            for (task_id, agent_id) in current.job.take_superseded() {
                kill(&self.handle, task_id, agent_id).await;
            }
        }
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
            });
        }
        Ok((specs, published))
    }

    async fn end_current(&mut self) {
        let Some(current) = self.current.take() else {
            return;
        };
        for (task_id, agent_id) in current.job.unfinished_tasks() {
            kill(&self.handle, task_id, agent_id).await;
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

    async fn adjust_offers(&mut self) {
        if self.dead.is_some() {
            return;
        }
        let now = Instant::now();
        let runnable = self
            .current
            .as_ref()
            .is_some_and(|c| !c.job.is_over() && !c.job.runnable(now).is_empty());
        let waiting = self
            .current
            .as_ref()
            .is_some_and(|c| !c.job.is_over() && c.job.has_waiting());
        if runnable && (self.suppressed || self.filtered) {
            match self.handle.revive(Vec::new()).await {
                Ok(()) => (self.suppressed, self.filtered) = (false, false),
                Err(error) => tracing::debug!(%error, "revive failed; retried on the next event"),
            }
        } else if !waiting && !self.suppressed {
            match self.handle.suppress(Vec::new()).await {
                Ok(()) => self.suppressed = true,
                Err(error) => tracing::debug!(%error, "suppress failed; retried on the next event"),
            }
        }
    }
}

async fn kill(handle: &DriverHandle, task_id: String, agent_id: String) {
    let agent = Some(AgentId { value: agent_id });
    if let Err(error) = handle
        .kill(
            TaskId {
                value: task_id.clone(),
            },
            agent,
        )
        .await
    {
        tracing::warn!(task = %task_id, %error, "killing a task failed");
    }
}

async fn cancelled(token: Option<CancellationToken>) {
    match token {
        Some(token) => token.cancelled().await,
        None => std::future::pending().await,
    }
}
