//! Local mode (`local`, `local[N]`, `local[*]`): a job's partitions run on
//! N worker threads in this process, through the same partition, merge and
//! progress code a cluster job uses. The first failure stops the job: no
//! worker starts another partition after it.

use std::any::Any;
use std::num::NonZeroUsize;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;

use rmesos_common::stats::{ColumnStats, ColumnSummary};
use thiserror::Error;

use crate::engine::{
    JobError, JobPlan, MergeOutcome, Partition, PartitionError, ProgressSink, ProgressTracker,
    ResultMerger,
};

/// A `local...` master URL that is not one of the three forms.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("'{0}' is not a local master: use local, local[N] with N >= 1, or local[*]")]
pub struct BadLocalMaster(pub String);

/// Local mode with a number of worker threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalMaster {
    pub threads: NonZeroUsize,
}

impl LocalMaster {
    /// Parses `local` (1 thread), `local[N]` or `local[*]` (one thread
    /// per available core).
    pub fn parse(url: &str) -> Result<LocalMaster, BadLocalMaster> {
        let bad = || BadLocalMaster(url.to_owned());
        if url == "local" {
            return Ok(LocalMaster {
                threads: NonZeroUsize::MIN,
            });
        }
        let inner = url
            .strip_prefix("local[")
            .and_then(|rest| rest.strip_suffix(']'))
            .ok_or_else(bad)?;
        let threads = if inner == "*" {
            thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)
        } else if inner.bytes().all(|b| b.is_ascii_digit()) {
            inner.parse().map_err(|_| bad())?
        } else {
            return Err(bad());
        };
        Ok(LocalMaster { threads })
    }
}

/// What a worker thread tells the thread that merges.
enum WorkerMessage {
    Started(u32),
    Finished(u32, Box<ColumnSummary>),
    Failed(JobError),
}

/// Runs job plans on worker threads in this process.
#[derive(Debug, Clone, Copy)]
pub struct LocalRunner {
    threads: NonZeroUsize,
}

impl LocalRunner {
    pub fn new(threads: NonZeroUsize) -> LocalRunner {
        LocalRunner { threads }
    }

    pub fn threads(&self) -> NonZeroUsize {
        self.threads
    }

    /// Runs `plan`, summarizing each partition where it lies (in memory or
    /// in its file), and returns the job's statistics.
    pub fn run(&self, plan: &JobPlan, sink: &dyn ProgressSink) -> Result<ColumnStats, JobError> {
        self.run_with(plan, sink, |partition| {
            partition.work.compute_for(plan.request())
        })
    }

    /// Runs `plan` with `compute` summarizing each partition. Results are
    /// merged, and progress reported, on the calling thread.
    pub fn run_with<F>(
        &self,
        plan: &JobPlan,
        sink: &dyn ProgressSink,
        compute: F,
    ) -> Result<ColumnStats, JobError>
    where
        F: Fn(&Partition) -> Result<ColumnSummary, PartitionError> + Sync,
    {
        let mut tracker = ProgressTracker::for_plan(plan, sink);
        let mut merger = ResultMerger::new(plan.ncols(), plan.len());
        tracker.job_started();
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let workers = self.threads.get().min(plan.partitions().len()).max(1);
        let (sender, receiver) = mpsc::channel();
        let failure = thread::scope(|scope| {
            for _ in 0..workers {
                let sender = sender.clone();
                let (next, stop, compute) = (&next, &stop, &compute);
                scope.spawn(move || work(plan, compute, next, stop, sender));
            }
            drop(sender);
            collect(receiver, plan, &stop, &mut tracker, &mut merger)
        });
        if let Some(error) = failure {
            tracker.job_failed(error.to_string());
            return Err(error);
        }
        match merger.finish() {
            Ok(stats) => {
                tracker.job_finished();
                Ok(stats)
            }
            Err(error) => {
                tracker.job_failed(error.to_string());
                Err(error.into())
            }
        }
    }
}

/// A worker: takes the next partition until none is left or the job stops.
fn work<F>(
    plan: &JobPlan,
    compute: &F,
    next: &AtomicUsize,
    stop: &AtomicBool,
    sender: mpsc::Sender<WorkerMessage>,
) where
    F: Fn(&Partition) -> Result<ColumnSummary, PartitionError>,
{
    while !stop.load(Ordering::SeqCst) {
        let Some(partition) = plan.partitions().get(next.fetch_add(1, Ordering::SeqCst)) else {
            return;
        };
        let partition_id = partition.id;
        if sender.send(WorkerMessage::Started(partition_id)).is_err() {
            return;
        }
        let message = match catch_unwind(AssertUnwindSafe(|| compute(partition))) {
            Ok(Ok(summary)) => WorkerMessage::Finished(partition_id, Box::new(summary)),
            Ok(Err(source)) => WorkerMessage::Failed(JobError::Partition {
                partition_id,
                source,
            }),
            Err(payload) => WorkerMessage::Failed(JobError::Panicked {
                partition_id,
                message: panic_message(payload.as_ref()),
            }),
        };
        if matches!(message, WorkerMessage::Failed(_)) {
            // Set here, not by the merging thread, so that this worker
            // and the others start nothing more.
            stop.store(true, Ordering::SeqCst);
        }
        if sender.send(message).is_err() {
            return;
        }
    }
}

/// Merges results and reports progress until every worker has ended;
/// returns the first failure (after telling the workers to stop).
fn collect(
    receiver: mpsc::Receiver<WorkerMessage>,
    plan: &JobPlan,
    stop: &AtomicBool,
    tracker: &mut ProgressTracker<'_>,
    merger: &mut ResultMerger,
) -> Option<JobError> {
    let mut failure = None;
    for message in receiver {
        match message {
            WorkerMessage::Started(partition_id) => {
                tracker.partition_started(partition_id);
            }
            WorkerMessage::Finished(partition_id, summary) => {
                let rows = summary.count();
                match merger.accept(partition_id, *summary) {
                    Ok(MergeOutcome::Merged) => {
                        let bytes = plan
                            .partitions()
                            .get(partition_id as usize)
                            .and_then(|partition| partition.work.bytes());
                        tracker.partition_finished(partition_id, rows, bytes);
                    }
                    Ok(MergeOutcome::Duplicate) => tracker.duplicate_result(partition_id),
                    Err(error) => {
                        stop.store(true, Ordering::SeqCst);
                        tracker.partition_failed(partition_id, error.to_string());
                        failure.get_or_insert(error.into());
                    }
                }
            }
            WorkerMessage::Failed(error) => {
                let partition_id = match &error {
                    JobError::Partition { partition_id, .. }
                    | JobError::Panicked { partition_id, .. } => *partition_id,
                    // Only workers' own failures come through this channel.
                    _ => continue,
                };
                tracker.partition_failed(partition_id, error.to_string());
                failure.get_or_insert(error);
            }
        }
    }
    failure
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "unknown panic".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_local_forms() {
        assert_eq!(LocalMaster::parse("local").unwrap().threads.get(), 1);
        assert_eq!(LocalMaster::parse("local[3]").unwrap().threads.get(), 3);
        let cores = thread::available_parallelism().unwrap();
        assert_eq!(LocalMaster::parse("local[*]").unwrap().threads, cores);
    }

    #[test]
    fn rejects_malformed_local_forms() {
        for url in [
            "local[0]",
            "local[]",
            "local[-1]",
            "local[+2]",
            "local[x]",
            "local[2",
            "locals",
            "local[ 2]",
            "LOCAL",
        ] {
            assert_eq!(
                LocalMaster::parse(url),
                Err(BadLocalMaster(url.to_owned())),
                "{url}"
            );
        }
    }
}
