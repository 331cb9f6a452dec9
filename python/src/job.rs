//! Runs one local job for Python: the work runs on worker threads while
//! the calling thread, without the GIL, waits for progress; every 50 ms it
//! takes the GIL to report progress and to check for Ctrl-C, which cancels
//! the job (remaining partitions are skipped) and raises KeyboardInterrupt.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use pyo3::exceptions::PyKeyboardInterrupt;
use pyo3::prelude::*;
use rmesos_common::stats::{ColumnStats, ColumnSummary, StatsRequest};
use rmesos_scheduler::engine::{
    Dataset, JobError, Partition, PartitionError, PartitionWork, Placement, ProgressUpdate,
};
use rmesos_scheduler::local::{LocalMaster, LocalRunner};

use crate::JobFailed;
use crate::extras::JobExtras;

/// Rows per cancellation check inside a partition.
const CANCEL_CHECK_ROWS: usize = 1 << 16;
const POLL: Duration = Duration::from_millis(50);

/// Runs `dataset` locally; `borrowed` holds the rows of a `Dataset::Borrowed`.
pub fn run(
    py: Python<'_>,
    dataset: &Dataset,
    borrowed: Option<&[f64]>,
    local: LocalMaster,
    partitions: Option<u32>,
    progress: Option<Bound<'_, PyAny>>,
    extras: &JobExtras,
) -> PyResult<ColumnStats> {
    let requested = crate::partitions(partitions)?;
    let placement = Placement::Local {
        threads: local.threads,
    };
    let plan = dataset
        .clone()
        .plan_for(placement, "python", requested)
        .map_err(crate::plan_failed)?
        .with_request(extras.request);
    let runner = LocalRunner::new(local.threads);
    let cancel = AtomicBool::new(false);
    let (sender, receiver) = mpsc::channel::<ProgressUpdate>();
    std::thread::scope(|scope| {
        let handle = scope.spawn(|| {
            runner.run_with(&plan, &sender, |p| {
                compute(p, plan.request(), borrowed, &cancel)
            })
        });
        let mut receiver = Some(receiver);
        loop {
            let (rx, next) = wait(py, receiver.take());
            receiver = rx;
            let reported = next.map_or(Ok(()), |update| report(progress.as_ref(), &update));
            if let Err(interrupt) = reported.and_then(|()| py.check_signals()) {
                cancel.store(true, Ordering::Relaxed);
                let _ = py.detach(move || handle.join());
                return Err(interrupt);
            }
            if handle.is_finished() {
                break;
            }
        }
        if let Some(rx) = receiver {
            for update in rx.try_iter() {
                // The job is over: a late Ctrl-C is left for Python to raise.
                let _ = report(progress.as_ref(), &update);
            }
        }
        let outcome = py.detach(move || handle.join());
        match outcome {
            Ok(result) => result.map_err(job_failed),
            Err(_) => Err(JobFailed::new_err("a worker thread panicked")),
        }
    })
}

/// Waits up to `POLL` for one update without holding the GIL.
fn wait(
    py: Python<'_>,
    receiver: Option<Receiver<ProgressUpdate>>,
) -> (Option<Receiver<ProgressUpdate>>, Option<ProgressUpdate>) {
    let Some(receiver) = receiver else {
        py.detach(|| std::thread::sleep(POLL));
        return (None, None);
    };
    py.detach(move || match receiver.recv_timeout(POLL) {
        Ok(update) => (Some(receiver), Some(update)),
        Err(RecvTimeoutError::Timeout) => (Some(receiver), None),
        Err(RecvTimeoutError::Disconnected) => (None, None),
    })
}

/// Calls the Python progress callback as `callback(done, total)`. Its own
/// errors are printed, never allowed to fail the job; a KeyboardInterrupt
/// raised while it ran (Ctrl-C lands wherever Python code runs) cancels.
fn report(progress: Option<&Bound<'_, PyAny>>, update: &ProgressUpdate) -> PyResult<()> {
    if let Some(callback) = progress {
        let p = &update.progress;
        if let Err(error) = callback.call1((p.partitions_done, p.partitions_total)) {
            if error.is_instance_of::<PyKeyboardInterrupt>(callback.py()) {
                return Err(error);
            }
            error.print(callback.py());
        }
    }
    Ok(())
}

fn compute(
    partition: &Partition,
    request: &StatsRequest,
    borrowed: Option<&[f64]>,
    cancel: &AtomicBool,
) -> Result<ColumnSummary, PartitionError> {
    if cancel.load(Ordering::Relaxed) {
        return Err(PartitionError::Cancelled);
    }
    let (PartitionWork::Borrowed { ncols, range }, Some(values)) = (&partition.work, borrowed)
    else {
        return partition.work.compute_for(request);
    };
    let available = (values.len() / ncols.max(&1)) as u64;
    let rows = usize::try_from(range.start)
        .ok()
        .zip(usize::try_from(range.end).ok())
        .and_then(|(start, end)| values.get(start * ncols..end * ncols))
        .ok_or(PartitionError::RowsOutOfRange {
            start: range.start,
            end: range.end,
            available,
        })?;
    let mut summary = ColumnSummary::with_request(*ncols, request)?;
    for chunk in rows.chunks(CANCEL_CHECK_ROWS * ncols) {
        if cancel.load(Ordering::Relaxed) {
            return Err(PartitionError::Cancelled);
        }
        summary.add_rows(chunk)?;
    }
    Ok(summary)
}

fn job_failed(error: JobError) -> PyErr {
    crate::job_failed(error)
}
