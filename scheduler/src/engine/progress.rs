//! Job progress: what happened (`ProgressEvent`), how far the job is
//! (`JobProgress`), and where updates go (`ProgressSink`: a callback, a
//! channel, or nothing). `ProgressTracker` keeps the counts and emits one
//! `ProgressUpdate` per event; runners call it from one thread.

use std::sync::{Arc, mpsc};

use super::plan::JobPlan;

/// How far a job is. Totals the plan cannot know ahead are `None`
/// (`.csv` row counts; byte counts of non-`.csv` sources).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobProgress {
    pub partitions_total: u32,
    pub partitions_done: u32,
    pub rows_total: Option<u64>,
    /// Rows summarized by the partitions merged so far.
    pub rows_done: u64,
    pub bytes_total: Option<u64>,
    pub bytes_done: u64,
    /// Partition attempts started, retries included.
    pub attempts_started: u32,
    pub attempts_failed: u32,
    /// Results ignored because their partition was already merged.
    pub duplicate_results: u64,
}

/// One thing that happened to a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgressEvent {
    JobStarted,
    /// `attempt` counts from 1 for each partition.
    PartitionStarted {
        partition_id: u32,
        attempt: u32,
    },
    PartitionFinished {
        partition_id: u32,
        rows: u64,
    },
    PartitionFailed {
        partition_id: u32,
        attempt: u32,
        message: String,
    },
    DuplicateResult {
        partition_id: u32,
    },
    JobFinished,
    JobFailed {
        message: String,
    },
}

/// An event and the job's progress right after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressUpdate {
    pub job_id: String,
    pub event: ProgressEvent,
    pub progress: JobProgress,
}

/// Receives progress updates. Implemented for closures and for
/// `mpsc::Sender<ProgressUpdate>` (a closed channel is ignored: nobody is
/// watching any more).
pub trait ProgressSink: Send + Sync {
    fn update(&self, update: &ProgressUpdate);
}

impl<F: Fn(&ProgressUpdate) + Send + Sync> ProgressSink for F {
    fn update(&self, update: &ProgressUpdate) {
        self(update)
    }
}

impl ProgressSink for mpsc::Sender<ProgressUpdate> {
    fn update(&self, update: &ProgressUpdate) {
        // An error only means the receiver is gone.
        let _ = self.send(update.clone());
    }
}

/// Discards every update.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn update(&self, _update: &ProgressUpdate) {}
}

/// Where a tracker sends updates: a sink the caller keeps (local runs on
/// the caller's thread) or one it shares (cluster jobs outlive the call
/// that started them on the engine's task).
enum SinkRef<'a> {
    Borrowed(&'a dyn ProgressSink),
    Shared(Arc<dyn ProgressSink>),
}

/// Keeps a job's progress counts and sends an update per event.
pub struct ProgressTracker<'a> {
    job_id: String,
    progress: JobProgress,
    attempts: Vec<u32>,
    sink: SinkRef<'a>,
}

impl ProgressTracker<'static> {
    /// A tracker that owns a share of its sink.
    pub fn shared(plan: &JobPlan, sink: Arc<dyn ProgressSink>) -> ProgressTracker<'static> {
        ProgressTracker::with_sink(plan, SinkRef::Shared(sink))
    }
}

impl<'a> ProgressTracker<'a> {
    /// A tracker whose totals come from `plan`.
    pub fn for_plan(plan: &JobPlan, sink: &'a dyn ProgressSink) -> ProgressTracker<'a> {
        ProgressTracker::with_sink(plan, SinkRef::Borrowed(sink))
    }

    fn with_sink(plan: &JobPlan, sink: SinkRef<'a>) -> ProgressTracker<'a> {
        let shape = plan.shape();
        ProgressTracker {
            job_id: plan.job_id().to_owned(),
            progress: JobProgress {
                partitions_total: plan.len(),
                rows_total: shape.rows,
                bytes_total: shape.bytes,
                ..JobProgress::default()
            },
            attempts: vec![0; plan.partitions().len()],
            sink,
        }
    }

    /// Attempts started so far at `partition_id`.
    pub fn attempts(&self, partition_id: u32) -> u32 {
        self.attempts
            .get(partition_id as usize)
            .copied()
            .unwrap_or(0)
    }

    pub fn progress(&self) -> &JobProgress {
        &self.progress
    }

    pub fn job_started(&mut self) {
        self.emit(ProgressEvent::JobStarted);
    }

    /// Records a new attempt at `partition_id` and returns its number.
    pub fn partition_started(&mut self, partition_id: u32) -> u32 {
        let attempt = match self.attempts.get_mut(partition_id as usize) {
            Some(count) => {
                *count += 1;
                *count
            }
            None => 1,
        };
        self.progress.attempts_started += 1;
        self.emit(ProgressEvent::PartitionStarted {
            partition_id,
            attempt,
        });
        attempt
    }

    /// Records a merged result of `rows` rows covering `bytes` of file.
    pub fn partition_finished(&mut self, partition_id: u32, rows: u64, bytes: Option<u64>) {
        self.progress.partitions_done += 1;
        self.progress.rows_done += rows;
        self.progress.bytes_done += bytes.unwrap_or(0);
        self.emit(ProgressEvent::PartitionFinished { partition_id, rows });
    }

    pub fn partition_failed(&mut self, partition_id: u32, message: String) {
        let attempt = self
            .attempts
            .get(partition_id as usize)
            .copied()
            .unwrap_or(1);
        self.progress.attempts_failed += 1;
        self.emit(ProgressEvent::PartitionFailed {
            partition_id,
            attempt,
            message,
        });
    }

    pub fn duplicate_result(&mut self, partition_id: u32) {
        self.progress.duplicate_results += 1;
        self.emit(ProgressEvent::DuplicateResult { partition_id });
    }

    pub fn job_finished(&mut self) {
        self.emit(ProgressEvent::JobFinished);
    }

    pub fn job_failed(&mut self, message: String) {
        self.emit(ProgressEvent::JobFailed { message });
    }

    fn emit(&self, event: ProgressEvent) {
        let sink: &dyn ProgressSink = match &self.sink {
            SinkRef::Borrowed(sink) => *sink,
            SinkRef::Shared(sink) => sink.as_ref(),
        };
        sink.update(&ProgressUpdate {
            job_id: self.job_id.clone(),
            event,
            progress: self.progress.clone(),
        });
    }
}
