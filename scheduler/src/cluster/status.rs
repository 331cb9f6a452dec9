//! `StatusBoard`: what the engine has seen, kept for people to look at
//! (a front's status page shows it): the framework, its
//! subscription and leader history, recent jobs with their progress, their
//! tasks, and the agents in use. Written by the session (until the first
//! subscription) and then only by the engine task; read by anyone. Every
//! write is a few field updates under one mutex.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use rmesos_common::wire::v1::TaskState;
use serde::Serialize;

use crate::driver::is_terminal;
use crate::engine::JobProgress;

/// Ended leases kept on the board.
const ENDED_LEASES_KEPT: usize = 50;
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
    /// Rows of the whole job, when known before it runs.
    pub rows_total: Option<u64>,
    pub bytes_done: u64,
    /// Bytes of input of the whole job, when known before it runs.
    pub bytes_total: Option<u64>,
    pub started_ms: u64,
    pub ended_ms: Option<u64>,
    /// Run time so far (running jobs: up to the snapshot).
    pub duration_ms: u64,
    /// Task id -> its row.
    pub tasks: BTreeMap<String, TaskStatusRow>,
    /// Partition -> attempts launched, to number each task's attempt.
    #[serde(skip)]
    attempts: HashMap<u32, u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TaskStatusRow {
    pub partition: u32,
    /// Which attempt at its partition this task is, from 1.
    pub attempt: u32,
    pub agent: String,
    pub state: String,
    pub launched_ms: u64,
    pub updated_ms: u64,
}

/// One lease of the session: a long-lived Mesos task through which an
/// executor holds cpus.
#[derive(Debug, Clone, Serialize)]
pub struct LeaseStatusRow {
    pub agent: String,
    pub executor: String,
    pub cpus: f64,
    pub slots: u32,
    /// The lease's Mesos task state (`TASK_RUNNING`, `TASK_KILLED`, ...).
    pub state: String,
    /// Partitions its executor has computed for this session.
    pub partitions_run: u64,
    pub launched_ms: u64,
    pub updated_ms: u64,
}

/// Everything on the board at one moment.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ClusterStatus {
    pub framework: FrameworkStatus,
    /// Most recent last.
    pub jobs: VecDeque<JobStatus>,
    /// Agent id -> the attempts this session sent there.
    pub agents: BTreeMap<String, AgentStatus>,
    /// Lease task id -> its row (ended leases kept a while).
    pub leases: BTreeMap<String, LeaseStatusRow>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AgentStatus {
    /// Tasks launched there since the session started.
    pub tasks_launched: u64,
    /// Of those, the ones not known to have ended.
    pub tasks_active: u64,
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

    /// The board of a session with `options`, before it connects.
    pub fn for_options(options: &super::options::ClusterOptions) -> StatusBoard {
        StatusBoard::new(&options.driver.framework.name, &options.master.to_string())
    }

    /// A copy of the whole board, running jobs' durations up to now.
    pub fn snapshot(&self) -> ClusterStatus {
        let mut status = self
            .inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let now = now_ms();
        for job in status.jobs.iter_mut().filter(|j| j.ended_ms.is_none()) {
            job.duration_ms = now.saturating_sub(job.started_ms);
        }
        status
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
                rows_total: None,
                bytes_done: 0,
                bytes_total: None,
                started_ms: now_ms(),
                ended_ms: None,
                duration_ms: 0,
                tasks: BTreeMap::new(),
                attempts: HashMap::new(),
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
                job.rows_total = progress.rows_total;
                job.bytes_done = progress.bytes_done;
                job.bytes_total = progress.bytes_total;
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
                let now = now_ms();
                job.ended_ms = Some(now);
                job.duration_ms = now.saturating_sub(job.started_ms);
            }
        });
    }

    pub fn task_launched(&self, task_id: &str, partition: u32, agent: &str) {
        self.edit(|s| {
            let agent_status = s.agents.entry(agent.to_owned()).or_default();
            agent_status.tasks_launched += 1;
            agent_status.tasks_active += 1;
            if let Some(job) = s.jobs.back_mut() {
                let attempt = job.attempts.entry(partition).or_default();
                *attempt += 1;
                let now = now_ms();
                job.tasks.insert(
                    task_id.to_owned(),
                    TaskStatusRow {
                        partition,
                        attempt: *attempt,
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
            let Some(task) = s
                .jobs
                .iter_mut()
                .rev()
                .find_map(|job| job.tasks.get_mut(task_id))
            else {
                return;
            };
            let was_active = TaskState::from_str_name(&task.state).is_none_or(|t| !is_terminal(t));
            let active = !is_terminal(state);
            task.state = state.as_str_name().to_owned();
            task.updated_ms = now_ms();
            if let Some(agent) = s.agents.get_mut(&task.agent) {
                match (was_active, active) {
                    (true, false) => agent.tasks_active = agent.tasks_active.saturating_sub(1),
                    (false, true) => agent.tasks_active += 1,
                    _ => {}
                }
            }
        });
    }
}

impl StatusBoard {
    pub fn lease_launched(
        &self,
        task_id: &str,
        agent: &str,
        executor: &str,
        slots: u32,
        cpus: f64,
    ) {
        self.edit(|s| {
            let now = now_ms();
            let row = LeaseStatusRow {
                agent: agent.to_owned(),
                executor: executor.to_owned(),
                cpus,
                slots,
                state: TaskState::TaskStaging.as_str_name().to_owned(),
                partitions_run: 0,
                launched_ms: now,
                updated_ms: now,
            };
            s.leases.insert(task_id.to_owned(), row);
        });
    }

    pub fn lease_state(&self, task_id: &str, state: TaskState) {
        self.edit(|s| {
            if let Some(lease) = s.leases.get_mut(task_id) {
                lease.state = state.as_str_name().to_owned();
                lease.updated_ms = now_ms();
            }
            let ended =
                |l: &LeaseStatusRow| TaskState::from_str_name(&l.state).is_some_and(is_terminal);
            let mut ended_ids: Vec<(u64, String)> = s
                .leases
                .iter()
                .filter(|(_, l)| ended(l))
                .map(|(id, l)| (l.updated_ms, id.clone()))
                .collect();
            if ended_ids.len() > ENDED_LEASES_KEPT {
                ended_ids.sort();
                for (_, id) in &ended_ids[..ended_ids.len() - ENDED_LEASES_KEPT] {
                    s.leases.remove(id);
                }
            }
        });
    }

    /// `executor` has computed `partitions_run` partitions so far.
    pub fn executor_partitions(&self, executor: &str, partitions_run: u64) {
        self.edit(|s| {
            for lease in s.leases.values_mut().filter(|l| l.executor == executor) {
                lease.partitions_run = partitions_run;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_are_numbered_per_partition_and_agents_count_active_tasks() {
        let board = StatusBoard::new("app", "http://m:5050");
        board.job_started("j", 2);
        board.task_launched("j.p0.a1", 0, "agent-a");
        board.task_launched("j.p1.a1", 1, "agent-b");
        board.task_state("j.p0.a1", TaskState::TaskFailed);
        board.task_launched("j.p0.a2", 0, "agent-b");
        board.task_state("j.p0.a2", TaskState::TaskRunning);
        let status = board.snapshot();
        let job = &status.jobs[0];
        assert_eq!(job.tasks["j.p0.a1"].attempt, 1);
        assert_eq!(job.tasks["j.p0.a2"].attempt, 2);
        assert_eq!(job.tasks["j.p1.a1"].attempt, 1);
        assert_eq!(job.tasks["j.p0.a1"].state, "TASK_FAILED");
        let a = status.agents["agent-a"];
        let b = status.agents["agent-b"];
        assert_eq!((a.tasks_launched, a.tasks_active), (1, 0));
        assert_eq!((b.tasks_launched, b.tasks_active), (2, 2));
    }

    #[test]
    fn leases_show_their_state_and_their_executors_partitions() {
        let board = StatusBoard::new("app", "http://m:5050");
        board.lease_launched("l1", "agent-a", "e1", 2, 2.0);
        board.lease_launched("l2", "agent-a", "e1", 1, 1.0);
        board.lease_state("l1", TaskState::TaskRunning);
        board.executor_partitions("e1", 7);
        board.lease_state("l2", TaskState::TaskKilled);
        let leases = board.snapshot().leases;
        assert_eq!(leases["l1"].state, "TASK_RUNNING");
        assert_eq!(leases["l2"].state, "TASK_KILLED");
        assert_eq!(
            (leases["l1"].partitions_run, leases["l2"].partitions_run),
            (7, 7)
        );
        assert_eq!(leases["l1"].slots, 2);
    }

    #[test]
    fn durations_run_until_the_job_ends() {
        let board = StatusBoard::new("app", "http://m:5050");
        board.job_started("j", 1);
        board.edit(|s| s.jobs[0].started_ms -= 5_000);
        assert!(board.snapshot().jobs[0].duration_ms >= 5_000);
        board.job_ended("j", None);
        let ended = board.snapshot().jobs[0].clone();
        assert_eq!(ended.state, "finished");
        assert_eq!(
            Some(ended.duration_ms),
            ended.ended_ms.map(|e| e - ended.started_ms)
        );
    }
}
