//! `StatusBoard`: what the engine has seen, kept for people to look at
//! (the status page and its JSON API): the framework, its subscription and
//! leader history, recent jobs with their progress, their tasks, and the
//! agents in use. Written only by the engine task; read by anyone.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use rmesos_common::wire::v1::TaskState;
use serde::Serialize;

use crate::engine::JobProgress;

/// Jobs (and their tasks) kept after they end.
const JOBS_KEPT: usize = 20;
/// Leader changes and disconnections kept.
const HISTORY_KEPT: usize = 50;

#[derive(Debug, Clone, Default, Serialize)]
pub struct FrameworkStatus {
    pub name: String,
    pub id: Option<String>,
    /// The master URL as given (credentials masked).
    pub master: String,
    pub leader: Option<String>,
    /// `subscribed`, `disconnected: <reason>`, or `connecting`.
    pub subscription: String,
    pub subscriptions: u64,
    pub history: VecDeque<HistoryEntry>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
    pub what: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobStatus {
    pub id: String,
    /// `running`, `finished` or `failed`.
    pub state: String,
    pub error: Option<String>,
    pub partitions_total: u32,
    pub partitions_done: u32,
    pub attempts_started: u32,
    pub attempts_failed: u32,
    pub rows_done: u64,
    pub bytes_done: u64,
    pub started_ms: u64,
    pub ended_ms: Option<u64>,
    pub tasks: BTreeMap<String, TaskStatusRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TaskStatusRow {
    pub partition: u32,
    pub agent: String,
    pub state: String,
    pub launched_ms: u64,
    pub updated_ms: u64,
}

/// Everything on the board at one moment.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ClusterStatus {
    pub framework: FrameworkStatus,
    /// Most recent last.
    pub jobs: VecDeque<JobStatus>,
    /// Agent id -> tasks launched there (all jobs kept).
    pub agents: BTreeMap<String, u64>,
}

/// The shared board. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct StatusBoard {
    inner: Arc<Mutex<ClusterStatus>>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl StatusBoard {
    pub fn new(name: &str, master: &str) -> StatusBoard {
        let board = StatusBoard::default();
        board.edit(|s| {
            s.framework.name = name.to_owned();
            s.framework.master = master.to_owned();
            s.framework.subscription = "connecting".into();
        });
        board
    }

    /// A copy of the whole board.
    pub fn snapshot(&self) -> ClusterStatus {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn edit(&self, change: impl FnOnce(&mut ClusterStatus)) {
        change(&mut self.inner.lock().unwrap_or_else(PoisonError::into_inner));
    }

    fn remember(status: &mut ClusterStatus, what: String) {
        let history = &mut status.framework.history;
        history.push_back(HistoryEntry {
            at_ms: now_ms(),
            what,
        });
        while history.len() > HISTORY_KEPT {
            history.pop_front();
        }
    }

    pub fn subscribed(&self, framework_id: &str, endpoint: &str) {
        self.edit(|s| {
            s.framework.id = Some(framework_id.to_owned());
            s.framework.leader = Some(endpoint.to_owned());
            s.framework.subscription = "subscribed".into();
            s.framework.subscriptions += 1;
            Self::remember(s, format!("subscribed to {endpoint}"));
        });
    }

    pub fn disconnected(&self, reason: &str) {
        self.edit(|s| {
            s.framework.subscription = format!("disconnected: {reason}");
            Self::remember(s, format!("disconnected: {reason}"));
        });
    }

    pub fn leader_changed(&self, leader: Option<&str>) {
        self.edit(|s| {
            s.framework.leader = leader.map(str::to_owned);
            Self::remember(s, format!("leader: {}", leader.unwrap_or("none")));
        });
    }

    pub fn job_started(&self, job_id: &str, partitions: u32) {
        self.edit(|s| {
            s.jobs.push_back(JobStatus {
                id: job_id.to_owned(),
                state: "running".into(),
                error: None,
                partitions_total: partitions,
                partitions_done: 0,
                attempts_started: 0,
                attempts_failed: 0,
                rows_done: 0,
                bytes_done: 0,
                started_ms: now_ms(),
                ended_ms: None,
                tasks: BTreeMap::new(),
            });
            while s.jobs.len() > JOBS_KEPT {
                s.jobs.pop_front();
            }
        });
    }

    pub fn job_progress(&self, job_id: &str, progress: &JobProgress) {
        self.edit(|s| {
            if let Some(job) = s.jobs.iter_mut().rev().find(|j| j.id == job_id) {
                job.partitions_done = progress.partitions_done;
                job.attempts_started = progress.attempts_started;
                job.attempts_failed = progress.attempts_failed;
                job.rows_done = progress.rows_done;
                job.bytes_done = progress.bytes_done;
            }
        });
    }

    pub fn job_ended(&self, job_id: &str, error: Option<String>) {
        self.edit(|s| {
            if let Some(job) = s.jobs.iter_mut().rev().find(|j| j.id == job_id) {
                job.state = if error.is_some() {
                    "failed"
                } else {
                    "finished"
                }
                .into();
                job.error = error;
                job.ended_ms = Some(now_ms());
            }
        });
    }

    pub fn task_launched(&self, task_id: &str, partition: u32, agent: &str) {
        self.edit(|s| {
            *s.agents.entry(agent.to_owned()).or_default() += 1;
            if let Some(job) = s.jobs.back_mut() {
                let now = now_ms();
                job.tasks.insert(
                    task_id.to_owned(),
                    TaskStatusRow {
                        partition,
                        agent: agent.to_owned(),
                        state: TaskState::TaskStaging.as_str_name().to_owned(),
                        launched_ms: now,
                        updated_ms: now,
                    },
                );
            }
        });
    }

    pub fn task_state(&self, task_id: &str, state: TaskState) {
        self.edit(|s| {
            for job in s.jobs.iter_mut().rev() {
                if let Some(task) = job.tasks.get_mut(task_id) {
                    task.state = state.as_str_name().to_owned();
                    task.updated_ms = now_ms();
                    return;
                }
            }
        });
    }
}
