//! The store of status updates the agent has not acknowledged yet, in the
//! order they were sent: each stays until its ACKNOWLEDGED event arrives,
//! and all of them go into the next SUBSCRIBE after a reconnect.

use rmesos_common::wire::v1::TaskStatus;

/// Sent, unacknowledged updates, oldest first.
#[derive(Debug, Default)]
pub struct UpdateStore {
    pending: Vec<TaskStatus>,
}

impl UpdateStore {
    pub fn new() -> UpdateStore {
        UpdateStore::default()
    }

    /// Keeps `status` (which carries a uuid) until it is acknowledged. A
    /// status whose uuid is already kept is not kept twice.
    pub fn insert(&mut self, status: TaskStatus) {
        if !self.contains(status.uuid.as_deref().unwrap_or_default()) {
            self.pending.push(status);
        }
    }

    /// Forgets the update with `uuid`, returning it; `None` for a uuid that
    /// is not (or no longer) kept, such as a repeated acknowledgement.
    pub fn acknowledge(&mut self, uuid: &[u8]) -> Option<TaskStatus> {
        let index = self
            .pending
            .iter()
            .position(|status| status.uuid.as_deref() == Some(uuid))?;
        Some(self.pending.remove(index))
    }

    pub fn contains(&self, uuid: &[u8]) -> bool {
        self.pending
            .iter()
            .any(|status| status.uuid.as_deref() == Some(uuid))
    }

    /// Every kept update, oldest first.
    pub fn pending(&self) -> &[TaskStatus] {
        &self.pending
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use rmesos_common::wire::v1::{TaskId, TaskState};

    use super::*;

    fn status(task: &str, uuid: u8, state: TaskState) -> TaskStatus {
        TaskStatus {
            task_id: TaskId { value: task.into() },
            state: state as i32,
            uuid: Some(vec![uuid; 16]),
            ..Default::default()
        }
    }

    #[test]
    fn keeps_updates_in_order_until_each_is_acknowledged() {
        let mut store = UpdateStore::new();
        store.insert(status("a", 1, TaskState::TaskRunning));
        store.insert(status("b", 2, TaskState::TaskRunning));
        store.insert(status("a", 3, TaskState::TaskFinished));
        assert_eq!(store.len(), 3);

        let acked = store.acknowledge(&[2; 16]).unwrap();
        assert_eq!(acked.task_id.value, "b");
        let left: Vec<u8> = store
            .pending()
            .iter()
            .map(|s| s.uuid.as_ref().unwrap()[0])
            .collect();
        assert_eq!(left, [1, 3], "oldest first, the acknowledged one gone");

        assert!(
            store.acknowledge(&[2; 16]).is_none(),
            "a repeated ack is a no-op"
        );
        assert!(
            store.acknowledge(&[9; 16]).is_none(),
            "an unknown uuid is a no-op"
        );
        store.acknowledge(&[1; 16]).unwrap();
        store.acknowledge(&[3; 16]).unwrap();
        assert!(store.is_empty());
    }

    #[test]
    fn the_same_update_is_kept_once() {
        let mut store = UpdateStore::new();
        store.insert(status("a", 1, TaskState::TaskRunning));
        store.insert(status("a", 1, TaskState::TaskRunning));
        assert_eq!(store.len(), 1);
        assert!(store.contains(&[1; 16]));
    }
}
