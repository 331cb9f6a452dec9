//! The engine's dealings with Mesos about leases: offers turned into
//! leases, lease status updates, executors lost (their partitions back in
//! the queue, their leases killed) and leases given back; a lease an agent
//! ends for want of the framework's user fails the job at once.

use std::time::Duration;

use rmesos_common::wire::v1::offer::{Operation, operation};
use rmesos_common::wire::v1::task_status::Reason;
use rmesos_common::wire::v1::{AgentId, Offer, TaskId, TaskState, TaskStatus};

use super::acquire::{Want, acquire};
use super::engine_loop::EngineLoop;
use super::user_refused::refused_user;
use crate::driver::{current_os_user, is_terminal};
use crate::engine::JobError;

impl EngineLoop {
    pub(super) async fn on_offers(&mut self, offers: Vec<Offer>) {
        let more = self.wanted_slots().saturating_sub(self.book.held_slots());
        let data = &self.data;
        let want = Want {
            slots: more,
            heartbeat_ms: data.heartbeat().as_millis() as u64,
            server_sha256: data.certificate_sha256(),
        };
        let launches = acquire(
            &offers,
            &mut self.book,
            want,
            &self.options.resources,
            |executor_id| data.expect_executor(executor_id),
        );
        let used: Vec<_> = launches.iter().map(|l| l.offer_id.clone()).collect();
        for launch in launches {
            tracing::info!(
                lease = %launch.task.task_id.value,
                agent = %launch.agent_id,
                executor = %launch.executor_id,
                slots = launch.slots,
                "launching a lease"
            );
            self.board.lease_launched(
                &launch.task.task_id.value,
                &launch.agent_id,
                &launch.executor_id,
                launch.slots,
                launch.cpus,
            );
            let task_id = launch.task.task_id.value.clone();
            let operation = Operation {
                r#type: Some(operation::Type::Launch as i32),
                launch: Some(operation::Launch {
                    task_infos: vec![launch.task],
                }),
                ..Operation::default()
            };
            // While more slots are wanted, keep the rest of the offer coming.
            let refuse = if self.wanted_slots() > self.book.held_slots() {
                Duration::ZERO
            } else {
                self.options.decline_refuse
            };
            let result = self
                .handle
                .accept(
                    vec![launch.offer_id],
                    vec![operation],
                    Some(crate::driver::refuse_for(refuse)),
                )
                .await;
            if let Err(error) = result {
                tracing::warn!(%error, lease = %task_id, "launching a lease failed");
                self.lease_gone(&task_id, TaskState::TaskDropped, &error.to_string())
                    .await;
            }
        }
        let unused: Vec<_> = offers
            .into_iter()
            .map(|o| o.id)
            .filter(|id| !used.contains(id))
            .collect();
        if !unused.is_empty() {
            self.filtered = true;
            if let Err(error) = self
                .handle
                .decline(unused, Some(self.options.decline_refuse))
                .await
            {
                tracing::warn!(%error, "declining offers failed");
            }
        }
    }

    /// A status update, which is about a lease (partitions are not tasks).
    pub(super) async fn on_lease_update(&mut self, status: &TaskStatus) {
        let state = TaskState::try_from(status.state).unwrap_or(TaskState::TaskUnknown);
        let task_id = status.task_id.value.as_str();
        self.board.lease_state(task_id, state);
        let ours = self.book.owner(task_id).is_some() || self.book.was_released(task_id);
        if ours && is_terminal(state) {
            // Its executor may be gone already: Mesos tells of the executor
            // before the lease.
            self.check_refused_user(status);
        }
        if is_terminal(state) && self.book.take_lost_unstarted(task_id) {
            // Mesos told of the executor's exit first; this is why it never ran.
            let what = format!(
                "lease {task_id} ended: {} ({})",
                state.as_str_name(),
                describe(status)
            );
            self.count_lease_failure(what);
        }
        if self.book.owner(task_id).is_none() {
            if !self.book.was_released(task_id) && !is_terminal(state) {
                // A task of an earlier run of this framework: not wanted.
                tracing::info!(task = %task_id, "killing a task this session does not know");
                kill(&self.handle, task_id, status.agent_id.clone()).await;
            }
            return;
        }
        if state == TaskState::TaskRunning {
            if self.book.lease_running(task_id) {
                self.lease_failures = (0, String::new());
            }
            return;
        }
        if is_terminal(state) {
            self.lease_gone(task_id, state, &describe(status)).await;
        }
    }

    /// Lease `task_id` ended (`state`, `why`): a lease that never ran
    /// counts towards giving up; an executor left without leases is gone.
    async fn lease_gone(&mut self, task_id: &str, state: TaskState, why: &str) {
        let Some((executor_id, lease)) = self.book.lease_ended(task_id) else {
            return;
        };
        let what = format!("its lease {task_id} ended: {} ({why})", state.as_str_name());
        tracing::warn!(executor = %executor_id, "{what}");
        if !lease.running {
            self.count_lease_failure(what.clone());
        }
        let empty = self
            .book
            .get_mut(&executor_id)
            .is_some_and(|e| e.leases.is_empty());
        if empty {
            self.lose_executor(&executor_id, &what).await;
        }
    }

    /// Fails the running job at once when an agent says it cannot run
    /// tasks as the framework's user: no retry could succeed.
    fn check_refused_user(&mut self, status: &TaskStatus) {
        let framework = &self.options.driver.framework;
        let user = framework.user.clone().unwrap_or_else(current_os_user);
        let Some(error) = refused_user(status, &user) else {
            return;
        };
        tracing::error!(lease = %status.task_id.value, "{error}");
        if let Some(current) = &mut self.current {
            current.job.fail(JobError::Cluster(error));
        }
    }

    fn count_lease_failure(&mut self, what: String) {
        self.lease_failures.0 += 1;
        self.lease_failures.1 = what;
    }

    /// Fails the running job when leases keep ending before they run
    /// (agents that cannot start the executor, a user they do not know).
    pub(super) fn check_lease_failures(&mut self) {
        let (count, last) = &self.lease_failures;
        if *count < self.options.retry.max_attempts {
            return;
        }
        if let Some(current) = &mut self.current {
            current.job.fail(JobError::Cluster(format!(
                "{count} leases in a row ended before they ran; the last one: {last}"
            )));
        }
        self.lease_failures = (0, String::new());
    }

    /// The executor is gone (or must be treated so): its attempts run
    /// again elsewhere, its channel is closed and its leases killed.
    pub(super) async fn lose_executor(&mut self, executor_id: &str, reason: &str) {
        self.drop_executor(executor_id, reason, true).await;
    }

    /// Forgets an executor: closes its channel, kills its leases, and puts
    /// its attempts back in the queue; `lost` says whether that is news.
    async fn drop_executor(&mut self, executor_id: &str, reason: &str, lost: bool) {
        let Some(entry) = self.book.remove_executor(executor_id, lost) else {
            return;
        };
        self.data.forget_executor(executor_id);
        if lost {
            tracing::warn!(
                executor = %executor_id,
                agent = %entry.agent_id,
                attempts = entry.running.len(),
                %reason,
                "executor lost; its partitions run again"
            );
        } else {
            tracing::info!(executor = %executor_id, agent = %entry.agent_id, %reason, "giving an executor's leases back");
        }
        let message = format!("executor {executor_id} lost: {reason}");
        for attempt in &entry.running {
            self.board
                .task_state(&attempt_key(*attempt), TaskState::TaskLost);
            if let Some(current) = &mut self.current {
                current.job.attempt_lost(*attempt, &message);
            }
        }
        let agent = AgentId {
            value: entry.agent_id.clone(),
        };
        for task_id in entry.leases.keys() {
            kill(&self.handle, task_id, Some(agent.clone())).await;
        }
    }

    /// Gives every lease back (the executors exit once theirs are gone).
    pub(super) async fn release_all(&mut self, reason: &str) {
        let ids: Vec<String> = self
            .book
            .executors()
            .map(|e| e.executor_id.clone())
            .collect();
        for id in ids {
            self.drop_executor(&id, reason, false).await;
        }
    }
}

/// The status board's key of an attempt.
pub(super) fn attempt_key(attempt: u64) -> String {
    format!("attempt-{attempt}")
}

async fn kill(handle: &crate::driver::DriverHandle, task_id: &str, agent: Option<AgentId>) {
    let task = TaskId {
        value: task_id.to_owned(),
    };
    if let Err(error) = handle.kill(task, agent).await {
        tracing::warn!(task = %task_id, %error, "killing a task failed");
    }
}

/// A status update's cause in words: its message, else its reason.
fn describe(status: &TaskStatus) -> String {
    let reason = status
        .reason
        .and_then(|r| Reason::try_from(r).ok())
        .map(|r| r.as_str_name().to_owned());
    match (status.message.as_deref().filter(|m| !m.is_empty()), reason) {
        (Some(message), Some(reason)) => format!("{message} ({reason})"),
        (Some(message), None) => message.to_owned(),
        (None, Some(reason)) => reason,
        (None, None) => "no message".to_owned(),
    }
}
