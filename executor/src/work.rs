//! The driver's side of the runner: what arrives over the channel
//! (assignments, cancellations, the driver gone) and each attempt's
//! outcome, reported back over the channel under its attempt number. The
//! driver never assigns more partitions than the leases' slots, so no
//! limit is kept here.

use rmesos_common::partition::PartitionSpec;

use crate::attempts::Outcome;
use crate::channel::{FromDriver, Report};
use crate::compute;
use crate::runner::Runner;

impl Runner {
    pub(crate) fn driver_said(&mut self, message: FromDriver) {
        match message {
            FromDriver::Assign { attempt, spec } => self.assign(attempt, *spec),
            FromDriver::Cancel { attempt } => self.cancel(attempt),
            FromDriver::Gone(why) => self.driver_gone(why),
        }
    }

    fn assign(&mut self, attempt: u64, spec: PartitionSpec) {
        if self.closing.is_some() {
            tracing::debug!(attempt, "assignment while exiting; ignored");
            return;
        }
        if self.attempts.knows(attempt) {
            tracing::warn!(attempt, "attempt assigned again; ignored");
            return;
        }
        tracing::info!(
            attempt,
            partition = %compute::describe(&spec),
            running = self.attempts.running() + 1,
            slots = self.leases.slots(),
            "computing"
        );
        self.attempts.start(attempt, spec, &self.work);
    }

    fn cancel(&mut self, attempt: u64) {
        match self.attempts.cancel(attempt) {
            Some(cancelled) => tracing::info!(
                attempt,
                partition = %cancelled.description,
                after = ?cancelled.started.elapsed(),
                "attempt cancelled"
            ),
            None => tracing::debug!(attempt, "cancel of an attempt not running; ignored"),
        }
    }

    pub(crate) fn attempt_ended(&mut self, outcome: Outcome) {
        let Some(ended) = self.attempts.finish(&outcome) else {
            tracing::debug!(
                attempt = outcome.attempt,
                "outcome of a cancelled attempt dropped"
            );
            return;
        };
        let Some(driver) = &self.driver else {
            return;
        };
        let (attempt, elapsed) = (outcome.attempt, ended.started.elapsed());
        let report = match outcome.result {
            Ok(summary) => {
                let rows = summary.count();
                tracing::info!(
                    attempt,
                    partition = %ended.description,
                    rows,
                    ?elapsed,
                    "partition computed"
                );
                Report::Result(Box::new(summary))
            }
            Err(failure) => {
                tracing::warn!(
                    attempt,
                    partition = %ended.description,
                    kind = ?failure.kind,
                    cause = %failure.message,
                    ?elapsed,
                    "partition failed"
                );
                Report::Failure(failure)
            }
        };
        driver.channel.report(attempt, report);
    }
}
