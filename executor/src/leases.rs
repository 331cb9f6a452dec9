//! The executor's book of leases (its Mesos tasks): those live, and those
//! that ended but whose final update the agent has not acknowledged yet;
//! together they are the `unacknowledged_tasks` of a re-subscription.

use std::collections::HashMap;
use std::time::Instant;

use rmesos_common::wire::v1::TaskInfo;

/// A lease the executor holds.
#[derive(Debug)]
pub struct Lease {
    pub info: TaskInfo,
    /// Partitions the lease lets the executor run at once.
    pub slots: u32,
    pub started: Instant,
}

#[derive(Debug, Default)]
pub struct LeaseBook {
    live: HashMap<String, Lease>,
    /// Ended leases whose final update is not acknowledged yet.
    ended: HashMap<String, TaskInfo>,
}

impl LeaseBook {
    pub fn new() -> LeaseBook {
        LeaseBook::default()
    }

    /// Whether a lease with this id is live or awaits its final ack.
    pub fn knows(&self, task_id: &str) -> bool {
        self.live.contains_key(task_id) || self.ended.contains_key(task_id)
    }

    pub fn insert(&mut self, info: TaskInfo, slots: u32) {
        let id = info.task_id.value.clone();
        self.ended.remove(&id);
        let started = Instant::now();
        self.live.insert(
            id,
            Lease {
                info,
                slots,
                started,
            },
        );
    }

    /// A lease that never went live (its grant was bad): it awaits the
    /// acknowledgement of its final update.
    pub fn insert_ended(&mut self, info: TaskInfo) {
        self.ended.insert(info.task_id.value.clone(), info);
    }

    /// Ends the live lease `task_id`; `None` when no such lease is live.
    pub fn end(&mut self, task_id: &str) -> Option<Lease> {
        let lease = self.live.remove(task_id)?;
        self.ended.insert(task_id.to_owned(), lease.info.clone());
        Some(lease)
    }

    /// Ends every live lease.
    pub fn end_all(&mut self) -> Vec<Lease> {
        let ids: Vec<String> = self.live.keys().cloned().collect();
        ids.iter().filter_map(|id| self.end(id)).collect()
    }

    /// The agent acknowledged the final update of `task_id`.
    pub fn final_update_acknowledged(&mut self, task_id: &str) {
        self.ended.remove(task_id);
    }

    /// Leases the agent may not know the end of: live ones, and ended ones
    /// whose final update is unacknowledged.
    pub fn unacknowledged(&self) -> Vec<TaskInfo> {
        let live = self.live.values().map(|lease| &lease.info);
        live.chain(self.ended.values()).cloned().collect()
    }

    /// Live leases.
    pub fn live(&self) -> usize {
        self.live.len()
    }

    /// The slots of every live lease together.
    pub fn slots(&self) -> u64 {
        self.live.values().map(|lease| u64::from(lease.slots)).sum()
    }
}

#[cfg(test)]
mod tests {
    use rmesos_common::wire::v1::TaskId;

    use super::*;

    fn info(id: &str) -> TaskInfo {
        TaskInfo {
            task_id: TaskId { value: id.into() },
            ..Default::default()
        }
    }

    #[test]
    fn a_lease_is_unacknowledged_until_its_final_update_is() {
        let mut book = LeaseBook::new();
        book.insert(info("a"), 2);
        book.insert(info("b"), 3);
        assert_eq!((book.live(), book.slots()), (2, 5));
        assert_eq!(book.unacknowledged().len(), 2);
        assert_eq!(book.end("a").unwrap().slots, 2);
        assert!(book.end("a").is_none(), "already ended");
        assert_eq!((book.live(), book.slots()), (1, 3));
        assert!(book.knows("a"));
        assert_eq!(book.unacknowledged().len(), 2);
        book.final_update_acknowledged("a");
        assert!(!book.knows("a"));
        assert_eq!(book.end_all().len(), 1);
        assert_eq!(book.live(), 0);
        book.insert_ended(info("bad"));
        assert!(book.knows("bad"));
        assert_eq!(book.unacknowledged().len(), 2, "b and bad");
    }
}
