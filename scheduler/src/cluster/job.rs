//! `ActiveJob`: one job's life on the cluster, without any I/O. It knows
//! each partition's state (waiting, running as a task, done), turns status
//! updates into merges, retries or failure, and merges each partition's
//! result exactly once whatever duplicates, retries or late updates arrive.
//! The engine loop does the talking to Mesos.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rmesos_common::partition::PartitionSpec;
use rmesos_common::stats::{ColumnStats, ColumnSummary};
use rmesos_common::task::{FailureKind, TaskFailure};
use rmesos_common::wire::v1::task_status::{Reason, Source};
use rmesos_common::wire::v1::{TaskState, TaskStatus};

use super::options::RetryPolicy;
use crate::engine::{
    JobError, JobPlan, MergeOutcome, PartitionWork, ProgressTracker, ResultMerger,
};

/// Where one partition stands.
#[derive(Debug, Clone, PartialEq)]
enum PartitionState {
    /// To be launched once `ready_at` has passed, preferably not on `avoid`.
    Waiting {
        ready_at: Instant,
        avoid: Option<String>,
    },
    Running {
        task_id: String,
    },
    Done,
}

/// A launched task of this job.
#[derive(Debug, Clone)]
pub struct TaskRecord {
    pub partition_id: u32,
    pub agent_id: String,
    /// Its last reported state.
    pub state: TaskState,
}

/// What a status update did to the job.
#[derive(Debug, PartialEq)]
pub enum UpdateOutcome {
    /// Nothing for the engine to do.
    Nothing,
    /// A partition waits again (retry); the engine should ask for offers.
    Retrying,
    /// Every partition is merged.
    Complete,
    /// The job cannot succeed.
    Failed,
    /// An update for a task this job does not know: not ours.
    Unknown,
}

/// One job being run.
pub struct ActiveJob {
    plan: JobPlan,
    specs: Vec<PartitionSpec>,
    retry: RetryPolicy,
    tracker: ProgressTracker<'static>,
    merger: ResultMerger,
    partitions: Vec<PartitionState>,
    tasks: HashMap<String, TaskRecord>,
    failure: Option<JobError>,
    /// Running tasks whose partition another attempt has finished.
    superseded: Vec<(String, String)>,
    pub started: Instant,
    pub deadline: Option<Instant>,
}

impl ActiveJob {
    /// A job whose partition `i` is computed from `specs[i]`.
    pub fn new(
        plan: JobPlan,
        specs: Vec<PartitionSpec>,
        retry: RetryPolicy,
        mut tracker: ProgressTracker<'static>,
        timeout: Option<Duration>,
    ) -> ActiveJob {
        let now = Instant::now();
        tracker.job_started();
        let waiting = PartitionState::Waiting {
            ready_at: now,
            avoid: None,
        };
        ActiveJob {
            merger: ResultMerger::new(plan.ncols(), plan.len()),
            partitions: vec![waiting; specs.len()],
            specs,
            plan,
            retry,
            tracker,
            tasks: HashMap::new(),
            failure: None,
            superseded: Vec::new(),
            started: now,
            deadline: timeout.map(|t| now + t),
        }
    }

    pub fn job_id(&self) -> &str {
        self.plan.job_id()
    }

    pub fn tracker(&self) -> &ProgressTracker<'static> {
        &self.tracker
    }

    /// Partitions ready to launch now, with the agent each would rather avoid.
    pub fn runnable(&self, now: Instant) -> Vec<(u32, Option<&str>)> {
        self.partitions
            .iter()
            .enumerate()
            .filter_map(|(id, state)| match state {
                PartitionState::Waiting { ready_at, avoid } if *ready_at <= now => {
                    Some((id as u32, avoid.as_deref()))
                }
                _ => None,
            })
            .collect()
    }

    /// Whether the job has succeeded or failed (nothing more to do but `finish`).
    pub fn is_over(&self) -> bool {
        self.failure.is_some() || self.merger.is_complete()
    }

    /// Whether any partition waits (now or after a retry delay).
    pub fn has_waiting(&self) -> bool {
        self.partitions
            .iter()
            .any(|s| matches!(s, PartitionState::Waiting { .. }))
    }

    /// The next moment something is due: a retry delay ending, or the deadline.
    pub fn next_wakeup(&self, now: Instant) -> Option<Instant> {
        let retries = self.partitions.iter().filter_map(|s| match s {
            PartitionState::Waiting { ready_at, .. } if *ready_at > now => Some(*ready_at),
            _ => None,
        });
        retries.chain(self.deadline).min()
    }

    pub fn spec(&self, partition_id: u32) -> Option<&PartitionSpec> {
        self.specs.get(partition_id as usize)
    }

    /// The id of the next task for `partition_id`.
    pub fn next_task_id(&self, partition_id: u32) -> String {
        let attempt = self.tracker.attempts(partition_id) + 1;
        format!("{}.p{partition_id}.a{attempt}", self.job_id())
    }

    /// Records that `task_id` was sent to `agent_id` for `partition_id`.
    pub fn launched(&mut self, partition_id: u32, task_id: String, agent_id: String) {
        self.tracker.partition_started(partition_id);
        if let Some(state) = self.partitions.get_mut(partition_id as usize) {
            *state = PartitionState::Running {
                task_id: task_id.clone(),
            };
        }
        self.tasks.insert(
            task_id,
            TaskRecord {
                partition_id,
                agent_id,
                state: TaskState::TaskStaging,
            },
        );
    }

    /// The launch of `task_id` never reached Mesos: its partition waits again.
    pub fn launch_failed(&mut self, task_id: &str, message: &str) {
        self.failed_attempt(task_id, message, None);
    }

    /// Takes one status update.
    pub fn on_update(&mut self, status: &TaskStatus) -> UpdateOutcome {
        let task_id = status.task_id.value.as_str();
        let Some(record) = self.tasks.get_mut(task_id) else {
            return UpdateOutcome::Unknown;
        };
        let state = TaskState::try_from(status.state).unwrap_or(TaskState::TaskUnknown);
        record.state = state;
        let partition_id = record.partition_id;
        let message = describe(status);
        match state {
            TaskState::TaskStaging
            | TaskState::TaskStarting
            | TaskState::TaskRunning
            | TaskState::TaskKilling => UpdateOutcome::Nothing,
            TaskState::TaskFinished => self.finished(partition_id, task_id, status),
            TaskState::TaskFailed => {
                let failure = status
                    .data
                    .as_deref()
                    .and_then(TaskFailure::from_bytes)
                    .filter(|_| status.source == Some(Source::Executor as i32));
                match failure {
                    Some(f) if f.kind == FailureKind::BadInput => {
                        self.tracker
                            .partition_failed(partition_id, f.message.clone());
                        self.fail(JobError::BadInput {
                            partition_id,
                            message: f.message,
                        })
                    }
                    Some(f) => self.failed_attempt(task_id, &f.message, Some(status)),
                    None => self.failed_attempt(task_id, &message, Some(status)),
                }
            }
            TaskState::TaskError => {
                // Mesos refused the task description: retrying the same one
                // cannot help.
                self.tracker.partition_failed(partition_id, message.clone());
                self.fail(JobError::Cluster(format!(
                    "Mesos refused the task for partition {partition_id}: {message}"
                )))
            }
            // Killed without our asking (we forget tasks we kill), lost,
            // dropped, gone, unreachable, unknown: run it again.
            _ => self.failed_attempt(task_id, &message, Some(status)),
        }
    }

    fn finished(&mut self, partition_id: u32, task_id: &str, status: &TaskStatus) -> UpdateOutcome {
        let bytes = status.data.as_deref().unwrap_or_default();
        if bytes.is_empty() && status.reason == Some(Reason::Reconciliation as i32) {
            // The master's answer to reconciliation carries no data; the
            // agent keeps sending the executor's own update until acknowledged.
            return UpdateOutcome::Nothing;
        }
        let summary = match ColumnSummary::from_bytes(bytes) {
            Ok(summary) => summary,
            Err(error) => {
                let message = format!("the executor's result could not be decoded: {error}");
                return self.failed_attempt(task_id, &message, Some(status));
            }
        };
        let rows = summary.count();
        let work = self
            .plan
            .partitions()
            .get(partition_id as usize)
            .map(|p| &p.work);
        if let Some(problem) = work.and_then(|work| count_problem(work, rows)) {
            let message = format!("the executor's result for partition {partition_id} {problem}");
            return self.failed_attempt(task_id, &message, Some(status));
        }
        match self.merger.accept(partition_id, summary) {
            Ok(MergeOutcome::Merged) => {
                let bytes = self
                    .plan
                    .partitions()
                    .get(partition_id as usize)
                    .and_then(|p| p.work.bytes());
                self.tracker.partition_finished(partition_id, rows, bytes);
                let previous = std::mem::replace(
                    &mut self.partitions[partition_id as usize],
                    PartitionState::Done,
                );
                // An earlier attempt finished after all: the newer one is moot.
                if let PartitionState::Running { task_id: newer } = previous
                    && newer != task_id
                    && let Some(record) = self.tasks.get(&newer)
                {
                    self.superseded
                        .push((newer.clone(), record.agent_id.clone()));
                }
                if self.merger.is_complete() {
                    UpdateOutcome::Complete
                } else {
                    UpdateOutcome::Nothing
                }
            }
            Ok(MergeOutcome::Duplicate) => {
                self.tracker.duplicate_result(partition_id);
                UpdateOutcome::Nothing
            }
            Err(error) => self.fail(error.into()),
        }
    }

    /// An attempt failed in a way another attempt may fix: the partition
    /// waits again (after a backoff, away from this agent), unless its
    /// attempts are spent. Failures of superseded attempts change nothing.
    fn failed_attempt(
        &mut self,
        task_id: &str,
        message: &str,
        status: Option<&TaskStatus>,
    ) -> UpdateOutcome {
        let Some(record) = self.tasks.get(task_id) else {
            return UpdateOutcome::Unknown;
        };
        let partition_id = record.partition_id;
        let agent = record.agent_id.clone();
        let current = matches!(
            &self.partitions[partition_id as usize],
            PartitionState::Running { task_id: running } if running == task_id
        );
        if !current {
            return UpdateOutcome::Nothing;
        }
        let state = status
            .and_then(|s| TaskState::try_from(s.state).ok())
            .map_or("not launched".to_owned(), |s| s.as_str_name().to_owned());
        let message = format!("{state} on agent {agent}: {message}");
        self.tracker.partition_failed(partition_id, message.clone());
        let attempts = self.tracker.attempts(partition_id);
        if attempts >= self.retry.max_attempts {
            return self.fail(JobError::AttemptsExhausted {
                partition_id,
                attempts,
                message,
            });
        }
        let delay = self
            .retry
            .backoff
            .delay(attempts.saturating_sub(1), rand::random::<f64>());
        tracing::info!(job = self.job_id(), partition_id, attempts, ?delay, %message, "retrying a partition");
        self.partitions[partition_id as usize] = PartitionState::Waiting {
            ready_at: Instant::now() + delay,
            avoid: Some(agent),
        };
        UpdateOutcome::Retrying
    }

    /// Fails the job (the first failure is the one reported).
    pub fn fail(&mut self, error: JobError) -> UpdateOutcome {
        if self.failure.is_none() {
            self.failure = Some(error);
        }
        UpdateOutcome::Failed
    }

    /// Tasks to kill because another attempt finished their partition.
    pub fn take_superseded(&mut self) -> Vec<(String, String)> {
        std::mem::take(&mut self.superseded)
    }

    /// Tasks of this job not known to have ended (to kill when it stops).
    pub fn unfinished_tasks(&self) -> Vec<(String, String)> {
        self.tasks
            .iter()
            .filter(|(_, r)| !crate::driver::is_terminal(r.state))
            .map(|(id, r)| (id.clone(), r.agent_id.clone()))
            .collect()
    }

    /// Ends the job: its statistics, or why it failed.
    pub fn finish(mut self) -> Result<ColumnStats, JobError> {
        let result = match self.failure.take() {
            Some(error) => Err(error),
            None => self.merger.finish().map_err(JobError::from),
        };
        match &result {
            Ok(_) => self.tracker.job_finished(),
            Err(error) => self.tracker.job_failed(error.to_string()),
        }
        result
    }
}

/// A status update's cause in words: its message, else its reason.
fn describe(status: &TaskStatus) -> String {
    let reason = status
        .reason
        .and_then(|r| rmesos_common::wire::v1::task_status::Reason::try_from(r).ok())
        .map(|r| r.as_str_name().to_owned());
    match (status.message.as_deref().filter(|m| !m.is_empty()), reason) {
        (Some(message), Some(reason)) => format!("{message} ({reason})"),
        (Some(message), None) => message.to_owned(),
        (None, Some(reason)) => reason,
        (None, None) => "no message".to_owned(),
    }
}

/// What is wrong with a returned summary's row count, when it cannot be
/// the partition's: a known row count must match exactly, and a `.csv`
/// byte range holds at most one line per byte.
pub(crate) fn count_problem(work: &PartitionWork, count: u64) -> Option<String> {
    if let Some(rows) = work.rows() {
        return (count != rows)
            .then(|| format!("counts {count} rows, but the partition has {rows}"));
    }
    let bytes = work.bytes()?;
    (count > bytes)
        .then(|| format!("counts {count} rows, more than the {bytes} bytes of its range can hold"))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use rmesos_common::partition::PartitionSource;

    use super::*;

    #[test]
    fn a_returned_count_must_be_the_partitions_rows() {
        let npy = PartitionWork::File(PartitionSource::NpyRows {
            path: PathBuf::from("x.npy"),
            rows: 10..25,
        });
        assert_eq!(count_problem(&npy, 15), None);
        let wrong = count_problem(&npy, u64::MAX).expect("a wrong count is refused");
        assert!(wrong.contains("has 15"), "{wrong}");
        assert!(count_problem(&npy, 14).is_some());
        let borrowed = PartitionWork::Borrowed {
            ncols: 2,
            range: 0..4,
        };
        assert!(count_problem(&borrowed, 5).is_some());
    }

    #[test]
    fn a_csv_range_holds_at_most_one_row_per_byte() {
        let csv = PartitionWork::File(PartitionSource::CsvBytes {
            path: PathBuf::from("x.csv"),
            bytes: 100..200,
            options: Default::default(),
        });
        assert_eq!(count_problem(&csv, 0), None);
        assert_eq!(count_problem(&csv, 100), None);
        let wrong = count_problem(&csv, 101).expect("too many rows are refused");
        assert!(wrong.contains("100 bytes"), "{wrong}");
    }
}
