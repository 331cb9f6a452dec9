//! ACCEPT with LAUNCH: offer validation, resource checks, and staging
//! tasks on the agent's executors (starting new ones).

use std::time::Instant;

use rmesos_common::wire::executor::{Event as ExecutorEvent, event as executor_event};
use rmesos_common::wire::scheduler::call;
use rmesos_common::wire::v1::{TaskInfo, TaskState, offer, task_status};

use super::calls::{CallError, StartExecutor, framework, refuse_for};
use crate::events::{deliver, task_status};
use crate::registry::{ExecutorRun, Registry, Task, executor_key};

fn scalar(resources: &[rmesos_common::wire::v1::Resource], name: &str) -> f64 {
    resources
        .iter()
        .filter(|r| r.name == name)
        .filter_map(|r| r.scalar.as_ref())
        .map(|s| s.value)
        .sum()
}

/// ACCEPT: the offers must be outstanding, this framework's and on one
/// agent; LAUNCH tasks must fit (invalid offers: TASK_DROPPED; too large:
/// TASK_ERROR). Each task is staged on its executor (see `launch`); unused
/// resources return to the pool behind the call's filter.
pub fn accept(
    registry: &mut Registry,
    fid: &str,
    accept: call::Accept,
) -> Result<Vec<StartExecutor>, CallError> {
    let mut offers = Vec::new();
    for id in &accept.offer_ids {
        match registry.offers.get(&id.value) {
            Some(offer) if offer.framework_id == fid => offers.push(id.value.clone()),
            _ => {
                // Mesos answers invalid offers with TASK_DROPPED updates.
                drop_tasks(
                    registry,
                    fid,
                    &accept.operations,
                    "Offer is no longer valid",
                );
                return Ok(Vec::new());
            }
        }
    }
    let agents: Vec<usize> = offers
        .iter()
        .filter_map(|id| registry.offers.get(id))
        .map(|o| o.agent)
        .collect();
    if agents.windows(2).any(|w| w[0] != w[1]) {
        drop_tasks(
            registry,
            fid,
            &accept.operations,
            "Offers must all be on one agent",
        );
        return Ok(Vec::new());
    }
    let (mut cpus, mut mem) = (0.0, 0.0);
    for id in &offers {
        if let Some(offer) = registry.offers.remove(id) {
            cpus += offer.cpus;
            mem += offer.mem;
        }
    }
    let Some(&agent) = agents.first() else {
        return Ok(Vec::new());
    };
    let tasks: Vec<TaskInfo> = accept
        .operations
        .into_iter()
        .filter(|op| op.r#type == Some(offer::operation::Type::Launch as i32))
        .filter_map(|op| op.launch)
        .flat_map(|launch| launch.task_infos)
        .collect();
    let refuse = refuse_for(accept.filters.as_ref().and_then(|f| f.refuse_seconds));
    framework(registry, fid)
        .filters
        .insert(agent, Instant::now() + refuse);
    let agent_id = registry.agents[agent].id.clone();
    let (need_cpus, need_mem) = needs(registry, fid, agent, &tasks);
    if need_cpus > cpus + 1e-9 || need_mem > mem + 1e-9 {
        for task in &tasks {
            let status = task_status(
                &task.task_id.value,
                &agent_id,
                TaskState::TaskError,
                Some(task_status::Reason::TaskInvalid),
                "Task uses more resources than offered",
                false,
            );
            deliver(framework(registry, fid), status);
        }
        return Ok(Vec::new());
    }
    let mut starts = Vec::new();
    for task in tasks {
        if let Some(start) = launch(registry, fid, agent, task) {
            starts.push(start);
        }
    }
    Ok(starts)
}

/// Resources `tasks` need on `agent`, counting each new executor once.
fn needs(registry: &Registry, fid: &str, agent: usize, tasks: &[TaskInfo]) -> (f64, f64) {
    let mut new_executors = std::collections::HashSet::new();
    let (mut cpus, mut mem) = (0.0, 0.0);
    for task in tasks {
        cpus += scalar(&task.resources, "cpus");
        mem += scalar(&task.resources, "mem");
        if let Some(executor) = &task.executor {
            let key = executor_key(fid, &executor.executor_id.value);
            if !registry.agents[agent].executors.contains_key(&key) && new_executors.insert(key) {
                cpus += scalar(&executor.resources, "cpus");
                mem += scalar(&executor.resources, "mem");
            }
        }
    }
    (cpus, mem)
}

/// Stages one task on the agent: handed to its running executor, queued
/// for one that is starting, or queued for a new one (returned, for the
/// caller to start). A task without an executor fails: this simulator's
/// agents run custom executors only.
fn launch(
    registry: &mut Registry,
    fid: &str,
    agent: usize,
    task: TaskInfo,
) -> Option<StartExecutor> {
    let id = task.task_id.value.clone();
    let agent_id = registry.agents[agent].id.clone();
    let Some(executor) = task.executor.clone() else {
        let status = task_status(
            &id,
            &agent_id,
            TaskState::TaskFailed,
            Some(task_status::Reason::ContainerLaunchFailed),
            "the simulated agent runs custom executors only (TaskInfo.executor is required)",
            true,
        );
        let f = framework(registry, fid);
        f.tasks.insert(
            id,
            Task {
                name: task.name.clone(),
                agent,
                state: TaskState::TaskFailed as i32,
                cpus: 0.0,
                mem: 0.0,
                executor: None,
            },
        );
        deliver(f, status);
        return None;
    };
    let key = executor_key(fid, &executor.executor_id.value);
    let name = task.name.clone();
    let (cpus, mem) = (
        scalar(&task.resources, "cpus"),
        scalar(&task.resources, "mem"),
    );
    let a = &mut registry.agents[agent];
    a.used_cpus += cpus;
    a.used_mem += mem;
    let start = match a.executors.get_mut(&key) {
        Some(run) => {
            match &run.stream {
                Some(stream) => stream.send(&executor_launch(&task)),
                None => run.queued.push(task),
            }
            None
        }
        None => {
            let (ecpus, emem) = (
                scalar(&executor.resources, "cpus"),
                scalar(&executor.resources, "mem"),
            );
            a.used_cpus += ecpus;
            a.used_mem += emem;
            a.executors.insert(
                key.clone(),
                ExecutorRun {
                    framework_id: fid.into(),
                    info: executor,
                    stream: None,
                    queued: vec![task],
                    cpus: ecpus,
                    mem: emem,
                    kill: None,
                    shutting_down: false,
                },
            );
            Some(StartExecutor {
                agent,
                key: key.clone(),
            })
        }
    };
    framework(registry, fid).tasks.insert(
        id,
        Task {
            name,
            agent,
            state: TaskState::TaskStaging as i32,
            cpus,
            mem,
            executor: Some(key),
        },
    );
    start
}

pub fn executor_launch(task: &TaskInfo) -> ExecutorEvent {
    ExecutorEvent {
        r#type: Some(executor_event::Type::Launch as i32),
        launch: Some(executor_event::Launch { task: task.clone() }),
        ..Default::default()
    }
}

fn drop_tasks(
    registry: &mut Registry,
    fid: &str,
    operations: &[rmesos_common::wire::v1::offer::Operation],
    why: &str,
) {
    let f = framework(registry, fid);
    for launch in operations.iter().filter_map(|op| op.launch.as_ref()) {
        for task in &launch.task_infos {
            let status = task_status(
                &task.task_id.value,
                &task.agent_id.value,
                TaskState::TaskDropped,
                Some(task_status::Reason::InvalidOffers),
                why,
                false,
            );
            deliver(f, status);
        }
    }
}
