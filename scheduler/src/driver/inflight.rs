//! Which tasks may still be running: those launched through the driver
//! and not yet seen in a terminal state, plus any the job engine reports.
//! These are what the driver reconciles after every (re)subscribe.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::time::Instant;

use mesos::offer::{Operation, operation};
use mesos::scheduler::call::reconcile;
use mesos::{AgentId, TaskId, TaskInfo, TaskState, TaskStatus};
use rmesos_common::wire::is_terminal;
use rmesos_common::wire::v1 as mesos;

/// Tasks the job engine knows of (e.g. from before a restart), as
/// `(task id, agent id if known)`.
pub trait InFlightSource: Send + Sync {
    fn in_flight(&self) -> Vec<(TaskId, Option<AgentId>)>;
}

/// What the driver knows of one in-flight task.
#[derive(Clone, Debug, Default)]
struct Entry {
    agent_id: Option<AgentId>,
    /// When the last status update for it arrived.
    last_update: Option<Instant>,
}

/// Non-terminal tasks by id, each with the agent it was placed on.
#[derive(Clone, Default)]
pub(crate) struct InFlight {
    tasks: Arc<Mutex<BTreeMap<String, Entry>>>,
}

impl InFlight {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Entry>> {
        self.tasks.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records the tasks of LAUNCH / LAUNCH_GROUP operations before they
    /// are sent, so a failover in between still reconciles them.
    pub(crate) fn launching(&self, operations: &[Operation]) {
        let mut tasks = self.lock();
        for task in operations.iter().flat_map(launched_tasks) {
            tasks.insert(
                task.task_id.value.clone(),
                Entry {
                    agent_id: Some(task.agent_id.clone()),
                    last_update: None,
                },
            );
        }
    }

    /// Takes in the tasks the job engine reports (keeping what is known).
    pub(crate) fn adopt(&self, source: Option<&dyn InFlightSource>) {
        let Some(source) = source else {
            return;
        };
        let reported = source.in_flight();
        let mut tasks = self.lock();
        for (task_id, agent_id) in reported {
            let entry = tasks.entry(task_id.value).or_default();
            if entry.agent_id.is_none() {
                entry.agent_id = agent_id;
            }
        }
    }

    /// Follows a status update: terminal tasks leave, others stay (with the
    /// agent the update names and the time it came).
    pub(crate) fn observe(&self, status: &TaskStatus) {
        let task_id = &status.task_id;
        let state = TaskState::try_from(status.state).unwrap_or(TaskState::TaskUnknown);
        let mut tasks = self.lock();
        if is_terminal(state) {
            tasks.remove(&task_id.value);
        } else if let Some(entry) = tasks.get_mut(&task_id.value) {
            entry.last_update = Some(Instant::now());
            if status.agent_id.is_some() {
                entry.agent_id = status.agent_id.clone();
            }
        }
    }

    /// Tasks with no status update since `since`: what an explicit
    /// RECONCILE still has to ask about.
    pub(crate) fn unanswered_since(&self, since: Instant) -> Vec<reconcile::Task> {
        self.lock()
            .iter()
            .filter(|(_, entry)| entry.last_update.is_none_or(|at| at < since))
            .map(|(value, entry)| reconcile::Task {
                task_id: TaskId {
                    value: value.clone(),
                },
                agent_id: entry.agent_id.clone(),
            })
            .collect()
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}

fn launched_tasks(op: &Operation) -> Vec<&TaskInfo> {
    let kind = op.r#type.and_then(|t| operation::Type::try_from(t).ok());
    match kind {
        Some(operation::Type::Launch) => op
            .launch
            .as_ref()
            .map(|l| l.task_infos.iter().collect())
            .unwrap_or_default(),
        Some(operation::Type::LaunchGroup) => op
            .launch_group
            .as_ref()
            .map(|g| g.task_group.tasks.iter().collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str, agent: &str) -> TaskInfo {
        TaskInfo {
            task_id: TaskId { value: id.into() },
            agent_id: AgentId {
                value: agent.into(),
            },
            ..TaskInfo::default()
        }
    }

    fn launch(tasks: Vec<TaskInfo>) -> Operation {
        Operation {
            r#type: Some(operation::Type::Launch as i32),
            launch: Some(mesos::offer::operation::Launch { task_infos: tasks }),
            ..Operation::default()
        }
    }

    fn status(id: &str, state: TaskState) -> TaskStatus {
        TaskStatus {
            task_id: TaskId { value: id.into() },
            state: state as i32,
            ..TaskStatus::default()
        }
    }

    fn ids(tasks: &[reconcile::Task]) -> Vec<&str> {
        tasks.iter().map(|t| t.task_id.value.as_str()).collect()
    }

    #[test]
    fn launched_tasks_stay_until_terminal() {
        let inflight = InFlight::default();
        inflight.launching(&[launch(vec![task("t1", "a1"), task("t2", "a2")])]);
        inflight.observe(&status("t1", TaskState::TaskRunning));
        inflight.observe(&status("t2", TaskState::TaskFinished));
        let tasks = inflight.unanswered_since(Instant::now());
        assert_eq!(ids(&tasks), vec!["t1"]);
        assert_eq!(
            tasks[0].agent_id.as_ref().map(|a| a.value.as_str()),
            Some("a1")
        );
    }

    #[test]
    fn updates_for_unknown_tasks_do_not_add_them() {
        let inflight = InFlight::default();
        inflight.observe(&status("stranger", TaskState::TaskRunning));
        assert!(inflight.unanswered_since(Instant::now()).is_empty());
    }

    struct Engine;
    impl InFlightSource for Engine {
        fn in_flight(&self) -> Vec<(TaskId, Option<AgentId>)> {
            vec![
                (TaskId { value: "e1".into() }, None),
                (TaskId { value: "t1".into() }, None),
            ]
        }
    }

    #[test]
    fn engine_tasks_are_merged_without_duplicates() {
        let inflight = InFlight::default();
        inflight.launching(&[launch(vec![task("t1", "a1")])]);
        inflight.adopt(Some(&Engine));
        let tasks = inflight.unanswered_since(Instant::now());
        assert_eq!(ids(&tasks), vec!["e1", "t1"]);
        assert!(tasks[1].agent_id.is_some(), "our agent id is kept");
    }

    #[test]
    fn tasks_answered_after_a_point_are_not_asked_again() {
        let inflight = InFlight::default();
        inflight.launching(&[launch(vec![task("t1", "a1"), task("t2", "a1")])]);
        let start = Instant::now();
        inflight.observe(&status("t2", TaskState::TaskRunning));
        assert_eq!(ids(&inflight.unanswered_since(start)), vec!["t1"]);
    }
}
