//! The leases' side of the runner, toward Mesos: a LAUNCH's lease grant
//! (TASK_RUNNING, and the driver channel started with the first lease),
//! KILL (TASK_KILLED), SHUTDOWN, the driver gone (every live lease
//! TASK_FAILED), and the way out once no lease remains: attempts
//! cancelled, channel stopped, exit when the updates are acknowledged or
//! the grace period nearly ran out.

use std::time::Duration;

use rmesos_common::lease::LeaseGrant;
use rmesos_common::task::{FailureKind, TaskFailure};
use rmesos_common::wire::v1::{TaskInfo, TaskState};
use tokio::time::Instant;

use crate::channel::Channel;
use crate::driver_http::driver_client;
use crate::runner::{Closing, DriverLink, Exit, Runner};
use crate::served::DataClient;

/// Longest time kept back from the shutdown grace period, so that the
/// executor is gone before the agent kills it.
const SHUTDOWN_MARGIN: Duration = Duration::from_secs(1);

impl Runner {
    /// Takes the leases of a LAUNCH or LAUNCH_GROUP; when none of them
    /// (nor any earlier one) is live, the executor has nothing to do and
    /// exits.
    pub(crate) fn launch_all(&mut self, tasks: impl IntoIterator<Item = TaskInfo>) {
        for task in tasks {
            self.launch(task);
        }
        self.close_if_no_lease_left();
    }

    fn launch(&mut self, task: TaskInfo) {
        let task_id = task.task_id.value.clone();
        if self.leases.knows(&task_id) {
            tracing::warn!(lease = %task_id, "LAUNCH of a lease already known; ignored");
            return;
        }
        if let Some(closing) = &self.closing {
            tracing::warn!(lease = %task_id, exit = ?closing.exit, "LAUNCH while exiting");
            let failure = TaskFailure::new(
                FailureKind::Unavailable,
                "the executor is exiting; the lease was not taken",
            );
            return self.refuse(task, failure);
        }
        let grant = match LeaseGrant::from_bytes(task.data.as_deref().unwrap_or_default()) {
            Ok(grant) => grant,
            Err(message) => {
                tracing::error!(lease = %task_id, %message, "a bad lease grant");
                return self.refuse(task, TaskFailure::new(FailureKind::BadInput, message));
            }
        };
        if let Err(message) = self.connect_driver(&grant) {
            tracing::error!(lease = %task_id, %message, "cannot start the driver channel");
            return self.refuse(task, TaskFailure::new(FailureKind::Internal, message));
        }
        let slots = grant.slots;
        let message = format!("lease of {slots} slot{}", if slots == 1 { "" } else { "s" });
        let running = self
            .source
            .status(&task.task_id, TaskState::TaskRunning, message, None);
        self.send(running);
        self.leases.insert(task, slots);
        tracing::info!(
            lease = %task_id,
            slots,
            leases = self.leases.live(),
            total_slots = self.leases.slots(),
            "lease taken"
        );
    }

    /// Starts the channel of `grant` unless one runs already (every lease
    /// of an executor names the same channel; the first one is kept).
    fn connect_driver(&mut self, grant: &LeaseGrant) -> Result<(), String> {
        if let Some(driver) = &self.driver {
            if driver.channel.url() != &grant.channel {
                tracing::warn!(
                    kept = %driver.channel.url(),
                    named = %grant.channel,
                    "a lease names another channel; keeping the first"
                );
            }
            return Ok(());
        }
        let timeout = self.config.data_timeout;
        let http = driver_client(grant.server_sha256.as_deref(), timeout)?;
        let (channel, messages) = Channel::start(grant, http.clone(), timeout);
        self.work.data = DataClient::new(http, timeout);
        self.driver = Some(DriverLink { channel, messages });
        Ok(())
    }

    /// Ends a lease that never went live with TASK_FAILED and `failure`.
    fn refuse(&mut self, task: TaskInfo, failure: TaskFailure) {
        let status = self.source.status(
            &task.task_id,
            TaskState::TaskFailed,
            failure.message.clone(),
            Some(failure.to_bytes()),
        );
        self.send(status);
        self.leases.insert_ended(task);
    }

    pub(crate) fn kill(&mut self, task_id: &str) {
        match self.leases.end(task_id) {
            Some(lease) => {
                tracing::info!(
                    lease = %task_id,
                    slots = lease.slots,
                    after = ?lease.started.elapsed(),
                    leases_left = self.leases.live(),
                    "lease killed"
                );
                let status = self.source.status(
                    &lease.info.task_id,
                    TaskState::TaskKilled,
                    "killed by the framework",
                    None,
                );
                self.send(status);
                self.close_if_no_lease_left();
            }
            None if self.leases.knows(task_id) => {
                tracing::debug!(lease = %task_id, "KILL of a lease that already ended");
            }
            None => tracing::warn!(lease = %task_id, "KILL of an unknown task; ignored"),
        }
    }

    pub(crate) fn shutdown(&mut self) {
        if self.closing.is_some() {
            return;
        }
        let leases = self.leases.end_all();
        tracing::info!(leases = leases.len(), "SHUTDOWN: killing every lease");
        for lease in leases {
            let status = self.source.status(
                &lease.info.task_id,
                TaskState::TaskKilled,
                "the executor is shutting down",
                None,
            );
            self.send(status);
        }
        self.close(Exit::Shutdown);
    }

    /// The driver is gone: every live lease fails, naming why.
    pub(crate) fn driver_gone(&mut self, why: String) {
        if self.closing.is_some() {
            return;
        }
        let leases = self.leases.end_all();
        tracing::error!(leases = leases.len(), %why, "the driver is gone: failing every lease");
        let failure = TaskFailure::new(FailureKind::Unavailable, why.clone());
        for lease in leases {
            let status = self.source.status(
                &lease.info.task_id,
                TaskState::TaskFailed,
                why.clone(),
                Some(failure.to_bytes()),
            );
            self.send(status);
        }
        self.close(Exit::DriverGone(why));
    }

    fn close_if_no_lease_left(&mut self) {
        if self.leases.live() == 0 && self.closing.is_none() {
            tracing::info!("no lease left");
            self.close(Exit::NoLeaseLeft);
        }
    }

    /// Stops every attempt and the channel; the loop exits with `exit`
    /// once the updates are acknowledged, or nearly at the end of the
    /// grace period (after which a SHUTDOWN's agent kills the process).
    fn close(&mut self, exit: Exit) {
        let grace = self.config.shutdown_grace_period;
        let margin = SHUTDOWN_MARGIN.min(grace / 5);
        let cancelled = self.attempts.cancel_all();
        if let Some(driver) = &self.driver {
            driver.channel.stop();
        }
        tracing::info!(
            ?exit,
            cancelled,
            ?grace,
            "closing: waiting for acknowledgements"
        );
        self.closing = Some(Closing {
            deadline: Instant::now() + grace - margin,
            exit,
        });
    }
}
