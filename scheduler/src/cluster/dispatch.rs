//! Handing partitions to executors and taking their results back, over
//! the executors' channels (no Mesos call on a partition's path): waiting
//! partitions go to the executor with the most free slots (away from the
//! agent a partition just failed on, while another agent has an
//! executor), stragglers get a copy on another agent, and each report is
//! passed to the job, which merges it exactly once.

use std::time::Instant;

use rmesos_common::lease::DriverMessage;
use rmesos_common::wire::v1::TaskState;

use super::engine_loop::EngineLoop;
use super::lease_events::attempt_key;
use crate::dataserver::{AttemptOutcome, ChannelEvent};

/// An executor with free slots, as seen when a round of hand-outs begins.
struct Free {
    executor_id: String,
    agent_id: String,
    slots: u32,
}

impl EngineLoop {
    /// What an executor said on its channel.
    pub(super) fn on_channel(&mut self, event: ChannelEvent) {
        let now = Instant::now();
        match event {
            ChannelEvent::Connected { executor_id, link } => {
                let Some(entry) = self.book.get_mut(&executor_id) else {
                    // Forgotten: dropping the link ends its stream.
                    return;
                };
                tracing::info!(executor = %executor_id, agent = %entry.agent_id, "executor connected");
                entry.link = Some(link);
                entry.last_heard = now;
                entry.disconnected_since = None;
            }
            ChannelEvent::Closed {
                executor_id,
                serial,
            } => {
                if let Some(entry) = self.book.get_mut(&executor_id)
                    && entry.link.as_ref().is_some_and(|l| l.serial == serial)
                {
                    tracing::info!(executor = %executor_id, "executor's channel closed");
                    entry.link = None;
                    entry.disconnected_since = Some(now);
                }
            }
            ChannelEvent::Heartbeat { executor_id } => {
                if let Some(entry) = self.book.get_mut(&executor_id) {
                    entry.last_heard = now;
                }
            }
            ChannelEvent::Report {
                executor_id,
                attempt,
                outcome,
            } => self.on_report(&executor_id, attempt, outcome),
        }
    }

    fn on_report(&mut self, executor_id: &str, attempt: u64, outcome: AttemptOutcome) {
        if let Some(entry) = self.book.get_mut(executor_id) {
            entry.running.remove(&attempt);
            entry.last_heard = Instant::now();
            if matches!(outcome, AttemptOutcome::Summary(_)) {
                entry.partitions_run += 1;
                self.board
                    .executor_partitions(executor_id, entry.partitions_run);
            }
        }
        let Some(current) = &mut self.current else {
            return;
        };
        let state = match outcome {
            AttemptOutcome::Summary(summary) => {
                current.job.on_result(attempt, *summary);
                TaskState::TaskFinished
            }
            AttemptOutcome::Failure(failure) => {
                tracing::warn!(executor = %executor_id, attempt, kind = ?failure.kind, cause = %failure.message, "a partition failed");
                current.job.on_failure(attempt, failure);
                TaskState::TaskFailed
            }
        };
        self.board.task_state(&attempt_key(attempt), state);
    }

    /// Hands waiting partitions, then copies of stragglers, to free slots.
    pub(super) fn dispatch(&mut self) {
        let Some(current) = self.current.as_ref().filter(|c| !c.job.is_over()) else {
            return;
        };
        let mut free: Vec<Free> = self
            .book
            .executors()
            .filter(|e| e.free_slots() > 0)
            .map(|e| Free {
                executor_id: e.executor_id.clone(),
                agent_id: e.agent_id.clone(),
                slots: e.free_slots(),
            })
            .collect();
        if free.is_empty() {
            return;
        }
        let agents: Vec<String> = self.book.executors().map(|e| e.agent_id.clone()).collect();
        let now = Instant::now();
        let runnable: Vec<(u32, Option<String>)> = current
            .job
            .runnable(now)
            .into_iter()
            .map(|(p, avoid)| (p, avoid.map(str::to_owned)))
            .collect();
        for (partition_id, avoid) in runnable {
            // Off the agent it just failed on, while another agent has an executor.
            let elsewhere = avoid
                .as_deref()
                .filter(|a| agents.iter().any(|agent| agent != a));
            if !self.hand_out(&mut free, partition_id, elsewhere, false) {
                if free.iter().all(|f| f.slots == 0) {
                    return;
                }
                continue;
            }
        }
        let stragglers = self
            .current
            .as_ref()
            .map(|c| c.job.stragglers(now))
            .unwrap_or_default();
        for (partition_id, agent) in stragglers {
            let elsewhere = agents.iter().any(|a| *a != agent).then_some(agent.as_str());
            if self.hand_out(&mut free, partition_id, elsewhere, true) {
                tracing::info!(partition_id, slow_on = %agent, "a straggler gets a copy");
            }
        }
    }

    /// Sends `partition_id` to the free executor with the most slots not
    /// on `avoid`; false when none could take it.
    fn hand_out(
        &mut self,
        free: &mut [Free],
        partition_id: u32,
        avoid: Option<&str>,
        copy: bool,
    ) -> bool {
        loop {
            let Some(pick) = free
                .iter_mut()
                .filter(|f| f.slots > 0 && Some(f.agent_id.as_str()) != avoid)
                .max_by_key(|f| f.slots)
            else {
                return false;
            };
            let Some(current) = &mut self.current else {
                return false;
            };
            let Some(spec) = current.job.spec(partition_id).cloned() else {
                return false;
            };
            let Some(entry) = self.book.get_mut(&pick.executor_id) else {
                pick.slots = 0;
                continue;
            };
            let attempt = self.attempts + 1;
            let access = super::object_access::for_spec(&spec);
            let sent = entry.link.as_ref().is_some_and(|link| {
                access.is_none_or(|access| link.send(DriverMessage::ObjectAccess { access }))
                    && link.send(DriverMessage::Assign { attempt, spec })
            });
            if !sent {
                // Its stream just ended; `Closed` follows.
                pick.slots = 0;
                continue;
            }
            self.attempts = attempt;
            pick.slots -= 1;
            entry.running.insert(attempt);
            current
                .job
                .launched(partition_id, attempt, &pick.executor_id, &pick.agent_id);
            self.board
                .task_launched(&attempt_key(attempt), partition_id, &pick.agent_id);
            tracing::debug!(partition_id, attempt, executor = %pick.executor_id, copy, "partition handed out");
            return true;
        }
    }

    /// Tells an executor to stop `attempt`, whose result is not wanted.
    pub(super) fn cancel_attempt(&mut self, attempt: u64, executor_id: &str) {
        if let Some(entry) = self.book.get_mut(executor_id) {
            entry.running.remove(&attempt);
            if let Some(link) = &entry.link {
                link.send(DriverMessage::Cancel { attempt });
            }
        }
        self.board
            .task_state(&attempt_key(attempt), TaskState::TaskKilled);
    }
}
