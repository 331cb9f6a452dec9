//! Sends UPDATE calls to the agent one at a time, in the order they were
//! made (so a task's RUNNING never overtakes its FINISHED), each on a
//! request of its own. A failed call is only logged: the update stays in
//! the update store and goes into the next SUBSCRIBE.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rmesos_common::wire::v1::{TaskState, TaskStatus};
use tokio::sync::mpsc;

use crate::agent::AgentClient;

/// The queue of UPDATE calls to make.
pub struct UpdateSender {
    queue: mpsc::UnboundedSender<(u64, TaskStatus)>,
    /// Counts subscriptions: an update queued during an earlier one went
    /// into the SUBSCRIBE of the current one, and is not sent again.
    subscription: Arc<AtomicU64>,
}

impl UpdateSender {
    /// Starts the task that makes the calls.
    pub fn spawn(agent: AgentClient) -> UpdateSender {
        let (queue, mut queued) = mpsc::unbounded_channel::<(u64, TaskStatus)>();
        let subscription = Arc::new(AtomicU64::new(0));
        let current = Arc::clone(&subscription);
        tokio::spawn(async move {
            while let Some((sent_during, status)) = queued.recv().await {
                if sent_during != current.load(Ordering::SeqCst) {
                    continue;
                }
                let task = status.task_id.value.clone();
                let state =
                    TaskState::try_from(status.state).map_or("unknown state", |s| s.as_str_name());
                match agent.update(status).await {
                    Ok(()) => tracing::debug!(task, state, "update sent"),
                    Err(error) => tracing::warn!(
                        task,
                        state,
                        %error,
                        "update not taken by the agent; kept until the next subscription"
                    ),
                }
            }
        });
        UpdateSender {
            queue,
            subscription,
        }
    }

    /// Queues an UPDATE call for `status`.
    pub fn send(&self, status: TaskStatus) {
        let current = self.subscription.load(Ordering::SeqCst);
        let _ = self.queue.send((current, status));
    }

    /// A new subscription has begun: updates still queued from before
    /// went into its SUBSCRIBE and are dropped from the queue.
    pub fn new_subscription(&self) {
        self.subscription.fetch_add(1, Ordering::SeqCst);
    }
}
