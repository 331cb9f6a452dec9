//! What the master does when an agent is removed, cut off by a network
//! partition, or comes back: rescind its offers, move its tasks to the
//! state Mesos reports (LOST, or GONE/UNREACHABLE for PARTITION_AWARE
//! frameworks), and tell frameworks with tasks there.

use rmesos_common::wire::scheduler::{Event, event};
use rmesos_common::wire::v1::{AgentId, OfferId, TaskState, framework_info, task_status};

use super::calls::terminal;
use crate::events::{self, deliver, task_status};
use crate::registry::{Framework, Registry};

fn partition_aware(framework: &Framework) -> bool {
    let aware = framework_info::capability::Type::PartitionAware as i32;
    framework
        .info
        .capabilities
        .iter()
        .any(|c| c.r#type == Some(aware))
}

fn rescind_offers(registry: &mut Registry, agent: usize) {
    let rescinded: Vec<(String, String)> = registry
        .offers
        .iter()
        .filter(|(_, o)| o.agent == agent)
        .map(|(id, o)| (id.clone(), o.framework_id.clone()))
        .collect();
    for (offer_id, fid) in rescinded {
        registry.offers.remove(&offer_id);
        if let Some(f) = registry.frameworks.get_mut(&fid) {
            let rescind = Event {
                rescind: Some(event::Rescind {
                    offer_id: OfferId { value: offer_id },
                }),
                ..events::of_type(event::Type::Rescind)
            };
            events::send(f, &rescind);
        }
    }
}

/// Moves every unfinished task on `agent` to `aware` (partition-aware
/// frameworks) or TASK_LOST, from the master, and returns the frameworks
/// that had tasks there.
fn lose_tasks(
    registry: &mut Registry,
    agent: usize,
    aware: TaskState,
    reason: task_status::Reason,
    message: &str,
) -> Vec<String> {
    let agent_id = registry.agents[agent].id.clone();
    let mut touched = Vec::new();
    for f in registry.frameworks.values_mut() {
        let state = if partition_aware(f) {
            aware
        } else {
            TaskState::TaskLost
        };
        let lost: Vec<String> = f
            .tasks
            .iter()
            .filter(|(_, t)| t.agent == agent && !terminal(t.state))
            .map(|(id, _)| id.clone())
            .collect();
        for task in &lost {
            if let Some(t) = f.tasks.get_mut(task) {
                t.set_state(state as i32);
            }
            let mut status = task_status(task, &agent_id, state, Some(reason), message, false);
            status.source = Some(task_status::Source::Master as i32);
            deliver(f, status);
        }
        if !lost.is_empty() {
            touched.push(f.id.clone());
        }
    }
    touched
}

/// The agent is removed: offers rescinded, tasks LOST/GONE, its executor
/// processes killed, FAILURE for frameworks with tasks there.
pub fn agent_removed(registry: &mut Registry, agent: usize) {
    rescind_offers(registry, agent);
    let touched = lose_tasks(
        registry,
        agent,
        TaskState::TaskGone,
        task_status::Reason::AgentRemoved,
        "Agent removed",
    );
    for (_, mut run) in registry.agents[agent].executors.drain() {
        if let Some(kill) = run.kill.take() {
            let _ = kill.send(());
        }
    }
    let agent_id = registry.agents[agent].id.clone();
    for fid in touched {
        if let Some(f) = registry.frameworks.get_mut(&fid) {
            let failure = Event {
                failure: Some(event::Failure {
                    agent_id: Some(AgentId {
                        value: agent_id.clone(),
                    }),
                    executor_id: None,
                    status: None,
                }),
                ..events::of_type(event::Type::Failure)
            };
            events::send(f, &failure);
        }
    }
}

/// The agent is cut off: offers rescinded, tasks UNREACHABLE/LOST; its
/// executors keep running behind the partition.
pub fn agent_unreachable(registry: &mut Registry, agent: usize) {
    rescind_offers(registry, agent);
    lose_tasks(
        registry,
        agent,
        TaskState::TaskUnreachable,
        task_status::Reason::AgentDisconnected,
        "Agent unreachable",
    );
}

/// The agent is back: tasks its executors still run are RUNNING again for
/// partition-aware frameworks; other frameworks' executors there are shut
/// down (their tasks were already reported lost).
pub fn agent_reregistered(registry: &mut Registry, agent: usize) {
    let agent_id = registry.agents[agent].id.clone();
    let aware: Vec<String> = registry
        .frameworks
        .values()
        .filter(|f| partition_aware(f))
        .map(|f| f.id.clone())
        .collect();
    let running: Vec<String> = registry.agents[agent].executors.keys().cloned().collect();
    for f in registry.frameworks.values_mut() {
        let is_aware = aware.contains(&f.id);
        let back: Vec<String> = f
            .tasks
            .iter()
            .filter(|(_, t)| {
                t.agent == agent
                    && t.state == TaskState::TaskUnreachable as i32
                    && t.executor.as_ref().is_some_and(|k| running.contains(k))
            })
            .map(|(id, _)| id.clone())
            .collect();
        for task in back.into_iter().filter(|_| is_aware) {
            if let Some(t) = f.tasks.get_mut(&task) {
                t.set_state(TaskState::TaskRunning as i32);
            }
            let mut status = task_status(
                &task,
                &agent_id,
                TaskState::TaskRunning,
                Some(task_status::Reason::AgentReregistered),
                "Agent reregistered",
                false,
            );
            status.source = Some(task_status::Source::Master as i32);
            deliver(f, status);
        }
    }
    for run in registry.agents[agent]
        .executors
        .values_mut()
        .filter(|run| !aware.contains(&run.framework_id))
    {
        if let Some(kill) = run.kill.take() {
            let _ = kill.send(());
        }
    }
}
