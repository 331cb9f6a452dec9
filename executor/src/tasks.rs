//! The executor's book of tasks: those running (with the means to stop
//! their work), and those that ended but whose final update the agent has
//! not acknowledged yet; together they are the `unacknowledged_tasks` of
//! a re-subscription.

use std::collections::HashMap;
use std::time::Instant;

use rmesos_common::wire::v1::TaskInfo;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A task whose partition is being computed.
#[derive(Debug)]
pub struct LiveTask {
    pub info: TaskInfo,
    /// Tells the partition what it is (job, partition, source), for logs.
    pub description: String,
    pub started: Instant,
    /// Tells this launch's outcome from that of an earlier task that had
    /// the same id.
    pub serial: u64,
    cancel: CancellationToken,
    work: JoinHandle<()>,
}

impl LiveTask {
    /// Stops the task's work: the async part is aborted, a served stream
    /// is ended; a blocking file read may finish in the background, but
    /// its result has nowhere to go.
    fn stop(&self) {
        self.cancel.cancel();
        self.work.abort();
    }
}

#[derive(Debug, Default)]
pub struct TaskBook {
    live: HashMap<String, LiveTask>,
    /// Ended tasks whose final update is not acknowledged yet.
    ended: HashMap<String, TaskInfo>,
    next_serial: u64,
}

impl TaskBook {
    pub fn new() -> TaskBook {
        TaskBook::default()
    }

    /// Whether a task with this id is running or awaits its final ack.
    pub fn knows(&self, task_id: &str) -> bool {
        self.live.contains_key(task_id) || self.ended.contains_key(task_id)
    }

    /// The serial the next `insert` must use (given to the work first, so
    /// that its outcome can name it).
    pub fn next_serial(&mut self) -> u64 {
        self.next_serial += 1;
        self.next_serial
    }

    pub fn insert(
        &mut self,
        info: TaskInfo,
        description: String,
        serial: u64,
        cancel: CancellationToken,
        work: JoinHandle<()>,
    ) {
        let id = info.task_id.value.clone();
        self.ended.remove(&id);
        self.live.insert(
            id,
            LiveTask {
                info,
                description,
                started: Instant::now(),
                serial,
                cancel,
                work,
            },
        );
    }

    /// The running task `task_id` of launch `serial` has ended by itself:
    /// it moves to the ended tasks. `None` when it is no longer running
    /// (killed meanwhile), so its outcome must be dropped.
    pub fn finish(&mut self, task_id: &str, serial: u64) -> Option<LiveTask> {
        if self.live.get(task_id)?.serial != serial {
            return None;
        }
        let task = self.live.remove(task_id)?;
        self.ended.insert(task_id.to_owned(), task.info.clone());
        Some(task)
    }

    /// Stops the running task `task_id` and moves it to the ended tasks;
    /// `None` when no such task runs.
    pub fn kill(&mut self, task_id: &str) -> Option<LiveTask> {
        let task = self.live.remove(task_id)?;
        task.stop();
        self.ended.insert(task_id.to_owned(), task.info.clone());
        Some(task)
    }

    /// Stops every running task (SHUTDOWN).
    pub fn kill_all(&mut self) -> Vec<LiveTask> {
        let ids: Vec<String> = self.live.keys().cloned().collect();
        ids.iter().filter_map(|id| self.kill(id)).collect()
    }

    /// The agent acknowledged the final update of `task_id`.
    pub fn final_update_acknowledged(&mut self, task_id: &str) {
        self.ended.remove(task_id);
    }

    /// Tasks the agent may not know the end of: running ones, and ended
    /// ones whose final update is unacknowledged.
    pub fn unacknowledged(&self) -> Vec<TaskInfo> {
        let live = self.live.values().map(|task| &task.info);
        live.chain(self.ended.values()).cloned().collect()
    }

    pub fn running(&self) -> usize {
        self.live.len()
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

    fn start(book: &mut TaskBook, id: &str) -> (u64, CancellationToken) {
        let serial = book.next_serial();
        let cancel = CancellationToken::new();
        let work = tokio::spawn(std::future::pending::<()>());
        book.insert(info(id), id.into(), serial, cancel.clone(), work);
        (serial, cancel)
    }

    #[tokio::test]
    async fn a_task_is_unacknowledged_until_its_final_update_is() {
        let mut book = TaskBook::new();
        let (serial, _) = start(&mut book, "a");
        assert_eq!(book.unacknowledged().len(), 1);
        assert!(
            book.finish("a", serial + 1).is_none(),
            "another launch's outcome"
        );
        assert!(book.finish("a", serial).is_some());
        assert_eq!(book.running(), 0);
        assert!(book.knows("a"));
        assert_eq!(book.unacknowledged()[0].task_id.value, "a");
        book.final_update_acknowledged("a");
        assert!(book.unacknowledged().is_empty());
        assert!(!book.knows("a"));
    }

    #[tokio::test]
    async fn killing_stops_the_work_and_drops_a_late_outcome() {
        let mut book = TaskBook::new();
        let (serial, cancel) = start(&mut book, "a");
        start(&mut book, "b");
        assert!(book.kill("a").is_some());
        assert!(cancel.is_cancelled());
        assert!(
            book.finish("a", serial).is_none(),
            "killed: the outcome is dropped"
        );
        assert!(book.kill("a").is_none(), "already killed");
        assert_eq!(book.kill_all().len(), 1);
        assert_eq!(book.running(), 0);
        assert_eq!(book.unacknowledged().len(), 2);
    }
}
