//! A terminal progress bar (indicatif, on stderr) fed by job progress
//! updates: partitions done of total, and rows summarized so far.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::engine::{ProgressEvent, ProgressSink, ProgressUpdate};

/// Draws job progress on stderr; create it only when stderr is a terminal.
pub struct ProgressBarSink {
    bar: ProgressBar,
}

impl ProgressBarSink {
    pub fn new() -> ProgressBarSink {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        // The template is a constant known to be valid; fall back to the
        // default style rather than fail if indicatif ever disagrees.
        if let Ok(style) =
            ProgressStyle::with_template("{bar:40} {pos}/{len} partitions  {msg}  [{elapsed}]")
        {
            bar.set_style(style);
        }
        ProgressBarSink { bar }
    }
}

impl Default for ProgressBarSink {
    fn default() -> Self {
        ProgressBarSink::new()
    }
}

impl ProgressSink for ProgressBarSink {
    fn update(&self, update: &ProgressUpdate) {
        let progress = &update.progress;
        match update.event {
            ProgressEvent::JobStarted => {
                self.bar.set_length(u64::from(progress.partitions_total));
            }
            ProgressEvent::JobFinished | ProgressEvent::JobFailed { .. } => {
                self.bar.finish_and_clear();
            }
            _ => {
                self.bar.set_position(u64::from(progress.partitions_done));
                self.bar.set_message(format!("{} rows", progress.rows_done));
            }
        }
    }
}
