//! `ActiveJob`: one job's life on the cluster, without any I/O. It knows
//! each partition's state (waiting, running as one or more attempts on
//! executors, done), turns attempts' outcomes into merges, retries or
//! failure, picks stragglers to run again (speculation), and merges each
//! partition's result exactly once whatever duplicates, retries, copies
//! or late reports arrive. The engine loop does the talking.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rmesos_common::partition::PartitionSpec;
use rmesos_common::stats::{ColumnStats, ColumnSummary};
use rmesos_common::task::{FailureKind, TaskFailure};

use super::options::{RetryPolicy, Speculation};
use crate::engine::{
    JobError, JobPlan, MergeOutcome, PartitionWork, ProgressTracker, ResultMerger,
};

/// Where one partition stands.
#[derive(Debug, Clone, PartialEq)]
enum PartitionState {
    /// To be handed out once `ready_at` has passed, preferably not to
    /// `avoid` (an agent).
    Waiting {
        ready_at: Instant,
        avoid: Option<String>,
    },
    /// Attempts running (more than one when a copy was started).
    Running {
        attempts: Vec<u64>,
    },
    Done,
}

/// An attempt handed to an executor.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub partition_id: u32,
    pub executor_id: String,
    pub agent_id: String,
    pub started: Instant,
}

/// What an attempt's outcome did to the job.
#[derive(Debug, PartialEq)]
pub enum UpdateOutcome {
    /// Nothing for the engine to do.
    Nothing,
    /// A partition waits again (retry).
    Retrying,
    /// Every partition is merged.
    Complete,
    /// The job cannot succeed.
    Failed,
    /// An attempt this job does not know: not ours.
    Unknown,
}

/// One job being run.
pub struct ActiveJob {
    plan: JobPlan,
    specs: Vec<PartitionSpec>,
    retry: RetryPolicy,
    speculation: Speculation,
    tracker: ProgressTracker<'static>,
    merger: ResultMerger,
    partitions: Vec<PartitionState>,
    attempts: HashMap<u64, AttemptRecord>,
    /// How long each finished partition's winning attempt took.
    durations: Vec<Duration>,
    failure: Option<JobError>,
    /// Attempts still running whose partition is done: to cancel.
    superseded: Vec<(u64, String)>,
    pub started: Instant,
    pub deadline: Option<Instant>,
}

impl ActiveJob {
    /// A job whose partition `i` is computed from `specs[i]`.
    pub fn new(
        plan: JobPlan,
        specs: Vec<PartitionSpec>,
        retry: RetryPolicy,
        speculation: Speculation,
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
            speculation,
            tracker,
            attempts: HashMap::new(),
            durations: Vec::new(),
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

    /// Partitions ready to hand out now, with the agent each would rather avoid.
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

    /// Partitions not done: what the job could use slots for.
    pub fn unfinished(&self) -> usize {
        self.partitions
            .iter()
            .filter(|s| !matches!(s, PartitionState::Done))
            .count()
    }

    /// Whether the job has succeeded or failed (nothing more to do but `finish`).
    pub fn is_over(&self) -> bool {
        self.failure.is_some() || self.merger.is_complete()
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

    /// Records that `attempt` of `partition_id` went to an executor.
    pub fn launched(&mut self, partition_id: u32, attempt: u64, executor_id: &str, agent_id: &str) {
        self.tracker.partition_started(partition_id);
        if let Some(state) = self.partitions.get_mut(partition_id as usize) {
            match state {
                PartitionState::Running { attempts } => attempts.push(attempt),
                _ => {
                    *state = PartitionState::Running {
                        attempts: vec![attempt],
                    }
                }
            }
        }
        self.attempts.insert(
            attempt,
            AttemptRecord {
                partition_id,
                executor_id: executor_id.to_owned(),
                agent_id: agent_id.to_owned(),
                started: Instant::now(),
            },
        );
    }

    /// Running partitions that took longer than the speculation factor
    /// times the median of the finished ones, once enough have finished,
    /// with the agent of their attempt; only partitions with one attempt.
    pub fn stragglers(&self, now: Instant) -> Vec<(u32, String)> {
        let Speculation::On {
            quantile,
            multiplier,
        } = self.speculation
        else {
            return Vec::new();
        };
        let total = self.partitions.len();
        let done = total - self.unfinished();
        if total < 2 || (done as f64) < quantile * total as f64 || self.durations.is_empty() {
            return Vec::new();
        }
        let mut durations = self.durations.clone();
        durations.sort_unstable();
        let median = durations[durations.len() / 2];
        let limit = median.mul_f64(multiplier);
        self.partitions
            .iter()
            .enumerate()
            .filter_map(|(id, state)| match state {
                PartitionState::Running { attempts } if attempts.len() == 1 => {
                    let record = self.attempts.get(&attempts[0])?;
                    (now.duration_since(record.started) > limit)
                        .then(|| (id as u32, record.agent_id.clone()))
                }
                _ => None,
            })
            .collect()
    }

    /// Takes an attempt's summary.
    pub fn on_result(&mut self, attempt: u64, summary: ColumnSummary) -> UpdateOutcome {
        let Some(record) = self.attempts.get(&attempt).cloned() else {
            return UpdateOutcome::Unknown;
        };
        let partition_id = record.partition_id;
        let rows = summary.count();
        let work = self
            .plan
            .partitions()
            .get(partition_id as usize)
            .map(|p| &p.work);
        if let Some(problem) = work.and_then(|work| count_problem(work, rows)) {
            let message = format!("the executor's result for partition {partition_id} {problem}");
            return self.failed_attempt(attempt, &message);
        }
        if let Err(problem) = summary.answers(self.plan.request()) {
            let message = format!("the executor's result for partition {partition_id} {problem}");
            return self.failed_attempt(attempt, &message);
        }
        match self.merger.accept(partition_id, summary) {
            Ok(MergeOutcome::Merged) => {
                let bytes = work.and_then(|w| w.bytes());
                self.tracker.partition_finished(partition_id, rows, bytes);
                self.durations.push(record.started.elapsed());
                let previous = std::mem::replace(
                    &mut self.partitions[partition_id as usize],
                    PartitionState::Done,
                );
                // Other attempts of this partition are moot now.
                if let PartitionState::Running { attempts } = previous {
                    for other in attempts.into_iter().filter(|a| *a != attempt) {
                        if let Some(r) = self.attempts.get(&other) {
                            self.superseded.push((other, r.executor_id.clone()));
                        }
                    }
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

    /// Takes an attempt's failure report: bad input fails the job at once,
    /// anything else is retried.
    pub fn on_failure(&mut self, attempt: u64, failure: TaskFailure) -> UpdateOutcome {
        let Some(record) = self.attempts.get(&attempt) else {
            return UpdateOutcome::Unknown;
        };
        let partition_id = record.partition_id;
        if failure.kind == FailureKind::BadInput {
            self.tracker
                .partition_failed(partition_id, failure.message.clone());
            return self.fail(JobError::BadInput {
                partition_id,
                message: failure.message,
            });
        }
        self.failed_attempt(attempt, &failure.message)
    }

    /// An attempt's executor is gone: the partition runs again.
    pub fn attempt_lost(&mut self, attempt: u64, message: &str) -> UpdateOutcome {
        self.failed_attempt(attempt, message)
    }

    /// An attempt failed in a way another attempt may fix: unless another
    /// copy still runs, the partition waits again (after a backoff, away
    /// from this agent), unless its attempts are spent.
    fn failed_attempt(&mut self, attempt: u64, message: &str) -> UpdateOutcome {
        let Some(record) = self.attempts.get(&attempt) else {
            return UpdateOutcome::Unknown;
        };
        let partition_id = record.partition_id;
        let agent = record.agent_id.clone();
        let state = &mut self.partitions[partition_id as usize];
        let PartitionState::Running { attempts } = state else {
            return UpdateOutcome::Nothing;
        };
        if !attempts.contains(&attempt) {
            return UpdateOutcome::Nothing;
        }
        attempts.retain(|a| *a != attempt);
        let message = format!("attempt on agent {agent}: {message}");
        self.tracker.partition_failed(partition_id, message.clone());
        if !attempts.is_empty() {
            // A copy still runs; it may yet finish the partition.
            return UpdateOutcome::Nothing;
        }
        let tries = self.tracker.attempts(partition_id);
        if tries >= self.retry.max_attempts {
            return self.fail(JobError::AttemptsExhausted {
                partition_id,
                attempts: tries,
                message,
            });
        }
        let delay = self
            .retry
            .backoff
            .delay(tries.saturating_sub(1), rand::random::<f64>());
        tracing::info!(job = self.job_id(), partition_id, attempts = tries, ?delay, %message, "retrying a partition");
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

    /// Attempts to cancel because their partition is done, with their executors.
    pub fn take_superseded(&mut self) -> Vec<(u64, String)> {
        std::mem::take(&mut self.superseded)
    }

    /// Attempts still running (to cancel when the job stops).
    pub fn running_attempts(&self) -> Vec<(u64, String)> {
        self.partitions
            .iter()
            .filter_map(|s| match s {
                PartitionState::Running { attempts } => Some(attempts),
                _ => None,
            })
            .flatten()
            .filter_map(|a| Some((*a, self.attempts.get(a)?.executor_id.clone())))
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

    use std::num::{NonZeroU32, NonZeroUsize};
    use std::sync::Arc;

    use crate::engine::{Dataset, NoProgress};

    /// A job of `partitions` partitions of 2 rows x 1 column each.
    fn job(partitions: u32, speculation: Speculation) -> ActiveJob {
        let values: Vec<f64> = (0..partitions * 2).map(f64::from).collect();
        let dataset = Dataset::in_memory(values, 1).unwrap();
        let plan = dataset
            .plan("j", NonZeroU32::new(partitions), NonZeroUsize::MIN)
            .unwrap();
        let specs = (0..partitions)
            .map(|id| PartitionSpec {
                job_id: "j".into(),
                partition_id: id,
                source: rmesos_common::partition::PartitionSource::NpyRows {
                    path: "x".into(),
                    rows: 0..2,
                },
                request: Default::default(),
            })
            .collect();
        let tracker = ProgressTracker::shared(&plan, Arc::new(NoProgress));
        let retry = RetryPolicy {
            max_attempts: 2,
            ..RetryPolicy::default()
        };
        ActiveJob::new(plan, specs, retry, speculation, tracker, None)
    }

    fn two_rows(first: f64) -> ColumnSummary {
        let mut summary = ColumnSummary::new(1);
        summary.add_rows(&[first, first + 1.0]).unwrap();
        summary
    }

    #[test]
    fn a_copy_and_its_original_merge_once_and_the_loser_is_cancelled() {
        let mut job = job(2, Speculation::Off);
        job.launched(0, 1, "e1", "a1");
        job.launched(0, 2, "e2", "a2");
        job.launched(1, 3, "e2", "a2");
        assert_eq!(job.on_result(2, two_rows(0.0)), UpdateOutcome::Nothing);
        assert_eq!(job.take_superseded(), vec![(1, "e1".to_owned())]);
        // The original's late result is a duplicate, not a second merge.
        assert_eq!(job.on_result(1, two_rows(0.0)), UpdateOutcome::Nothing);
        assert_eq!(job.on_result(3, two_rows(2.0)), UpdateOutcome::Complete);
        let stats = job.finish().unwrap();
        assert_eq!(stats.count(), 4);
        assert_eq!(stats.mean().unwrap().to_vec(), vec![1.5]);
    }

    #[test]
    fn a_failed_copy_leaves_the_other_attempt_running_and_bad_input_fails_at_once() {
        let mut job = job(2, Speculation::Off);
        job.launched(0, 1, "e1", "a1");
        job.launched(0, 2, "e2", "a2");
        let unavailable = TaskFailure::new(FailureKind::Unavailable, "gone");
        assert_eq!(job.on_failure(2, unavailable), UpdateOutcome::Nothing);
        assert!(job.runnable(Instant::now()).iter().all(|(p, _)| *p != 0));
        // The executor of the remaining attempt is lost: it waits again,
        // away from that agent.
        assert_eq!(job.attempt_lost(1, "executor lost"), UpdateOutcome::Failed);
        assert!(job.is_over(), "two attempts were allowed");

        let mut job = self::job(2, Speculation::Off);
        job.launched(1, 1, "e1", "a1");
        let bad = TaskFailure::new(FailureKind::BadInput, "x.csv line 4: 'abc'");
        assert_eq!(job.on_failure(1, bad), UpdateOutcome::Failed);
        let error = job.finish().unwrap_err().to_string();
        assert!(error.contains("x.csv line 4"), "{error}");
    }

    #[test]
    fn a_lost_attempt_waits_again_away_from_its_agent() {
        let mut job = job(1, Speculation::Off);
        job.launched(0, 1, "e1", "a1");
        assert_eq!(
            job.attempt_lost(1, "executor lost"),
            UpdateOutcome::Retrying
        );
        let later = Instant::now() + Duration::from_secs(60);
        assert_eq!(job.runnable(later), vec![(0, Some("a1"))]);
        assert_eq!(job.on_result(1, two_rows(0.0)), UpdateOutcome::Complete);
    }

    #[test]
    fn stragglers_are_picked_after_most_partitions_finish() {
        let mut job = job(4, Speculation::default());
        for (partition, attempt) in [(0, 1), (1, 2), (2, 3), (3, 4)] {
            job.launched(partition, attempt, "e1", "a1");
        }
        let now = Instant::now();
        let later = now + Duration::from_secs(3600);
        job.on_result(1, two_rows(0.0));
        job.on_result(2, two_rows(0.0));
        assert!(job.stragglers(later).is_empty(), "only half are done");
        job.on_result(3, two_rows(0.0));
        assert!(job.stragglers(now).is_empty(), "not slow yet");
        assert_eq!(job.stragglers(later), vec![(3, "a1".to_owned())]);
        job.launched(3, 5, "e2", "a2");
        assert!(job.stragglers(later).is_empty(), "one copy is enough");
        let mut off = self::job(4, Speculation::Off);
        for partition in 0..4 {
            off.launched(partition, u64::from(partition) + 1, "e1", "a1");
        }
        for attempt in 1..=3 {
            off.on_result(attempt, two_rows(0.0));
        }
        assert!(off.stragglers(later).is_empty());
    }

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
