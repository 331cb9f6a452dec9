//! Reading ahead: a reader thread fills the next chunks of native `f64`
//! rows with positioned reads while the calling thread summarizes the
//! current one, so the copy out of the page cache and the kernel overlap
//! (a positioned read copies, where a memory map did not). That takes a
//! second core, so a partition reads ahead only when the process leaves
//! one free for it: with as many partitions running as cores (`local[*]`,
//! or an executor's full slots), each reads on its own thread.

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::sync_channel;

use crate::readers::ReadError;

/// Chunks in flight: one being summarized, the others being read.
const DEPTH: usize = 3;

/// Partitions of this process being read now.
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// One partition being read, counted while it lives; `read_ahead` says
/// whether a core is free for a reader thread (two per partition reading
/// ahead, counting this one).
pub(super) struct RunningPartition {
    pub(super) read_ahead: bool,
}

impl RunningPartition {
    pub(super) fn start() -> RunningPartition {
        let running = RUNNING.fetch_add(1, Ordering::Relaxed) + 1;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        RunningPartition {
            read_ahead: 2 * running <= cores,
        }
    }
}

impl Drop for RunningPartition {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Reads rows from a first row into a destination of whole rows.
pub(super) type ReadRows<'a> = dyn Fn(usize, &mut [f64]) -> Result<(), ReadError> + Sync + 'a;

/// Rows `rows`, `cols` wide, read `chunk_rows` at a time by `read` (first
/// row, destination) on a reader thread and handed to `consume` in order.
/// An error from either side stops both; the first one is returned.
pub(super) fn prefetched(
    rows: Range<usize>,
    cols: usize,
    chunk_rows: usize,
    read: &ReadRows<'_>,
    consume: &mut dyn FnMut(&[f64]) -> Result<(), ReadError>,
    io_error: impl Fn(std::io::Error) -> ReadError,
) -> Result<(), ReadError> {
    type Chunk = (Vec<f64>, usize, Result<(), ReadError>);
    let (full_tx, full_rx) = sync_channel::<Chunk>(DEPTH);
    let (empty_tx, empty_rx) = sync_channel::<Vec<f64>>(DEPTH);
    for _ in 0..DEPTH {
        // Cannot fail: the receiver is alive and there is room for DEPTH.
        let _ = empty_tx.send(vec![0.0; chunk_rows * cols]);
    }
    std::thread::scope(|scope| {
        let reader = move || {
            let mut first = rows.start;
            while first < rows.end {
                // The consumer hung up: it stopped on an error.
                let Ok(mut buffer) = empty_rx.recv() else {
                    return;
                };
                let last = (first + chunk_rows).min(rows.end);
                let values = (last - first) * cols;
                let result = read(first, &mut buffer[..values]);
                let failed = result.is_err();
                if full_tx.send((buffer, values, result)).is_err() || failed {
                    return;
                }
                first = last;
            }
        };
        std::thread::Builder::new()
            .name("rmesos-npy-read".into())
            .spawn_scoped(scope, reader)
            .map_err(&io_error)?;
        let mut outcome = Ok(());
        for (buffer, values, result) in &full_rx {
            outcome = result.and_then(|()| consume(&buffer[..values]));
            if outcome.is_err() {
                break;
            }
            // The reader may have finished and dropped its receiver.
            let _ = empty_tx.send(buffer);
        }
        // Hanging up ends a reader still waiting for a buffer or a slot.
        drop(empty_tx);
        drop(full_rx);
        outcome
    })
}
