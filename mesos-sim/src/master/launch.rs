//! ACCEPT with LAUNCH: offer and task validation (`task_validation`),
//! and staging valid tasks on the agent's executors (starting new ones).

use rmesos_common::wire::executor::{Event as ExecutorEvent, event as executor_event};
use rmesos_common::wire::scheduler::call;
use rmesos_common::wire::v1::{TaskInfo, TaskState, framework_info, offer, task_status};

use super::calls::{CallError, StartExecutor, add_filter, framework, refuse_for};
use super::task_validation::{scalar, validate_offers, validate_task};
use crate::events::{deliver, task_status};
use crate::operator_json::role_of;
use crate::registry::{ExecutorRun, Registry, Task, executor_key, unix_now};

/// ACCEPT: the offers are validated as a whole (on failure every task is
/// lost or dropped), then each LAUNCH task on its own (an invalid one gets
/// TASK_ERROR); see `task_validation`. Valid tasks are staged on their
/// executors (see `launch`); unused resources return to the pool behind
/// the call's filter.
pub fn accept(
    registry: &mut Registry,
    fid: &str,
    accept: call::Accept,
) -> Result<Vec<StartExecutor>, CallError> {
    let ids: Vec<String> = accept.offer_ids.iter().map(|o| o.value.clone()).collect();
    let agent = match validate_offers(registry, fid, &ids) {
        Ok(agent) => agent,
        Err(error) => {
            // Mesos discards whichever offers of the call were valid.
            for id in &ids {
                if registry
                    .offers
                    .get(id)
                    .is_some_and(|o| o.framework_id == fid)
                {
                    registry.offers.remove(id);
                }
            }
            drop_tasks(registry, fid, &accept.operations, &error);
            return Ok(Vec::new());
        }
    };
    let mut available = (0.0, 0.0);
    for id in &ids {
        if let Some(offer) = registry.offers.remove(id) {
            available.0 += offer.cpus;
            available.1 += offer.mem;
        }
    }
    let mut starts = Vec::new();
    for operation in accept.operations {
        if operation.r#type != Some(offer::operation::Type::Launch as i32) {
            continue;
        }
        let tasks = operation.launch.map(|l| l.task_infos).unwrap_or_default();
        for mut task in tasks {
            let checked = if operation.id.is_some() {
                Err("The `id` field cannot be set on LAUNCH operations".to_owned())
            } else {
                validate_task(registry, fid, agent, &mut task, available)
            };
            if let Err(error) = checked {
                let status = master_status(
                    &task,
                    TaskState::TaskError,
                    task_status::Reason::TaskInvalid,
                    &error,
                );
                deliver(framework(registry, fid), status);
                continue;
            }
            let (cpus, mem) = consumed(registry, fid, agent, &task);
            available = (available.0 - cpus, available.1 - mem);
            if let Some(start) = launch(registry, fid, agent, task) {
                starts.push(start);
            }
        }
    }
    // What the tasks left (ports at least, in Mesos) is declined with the
    // call's filter.
    let refuse = refuse_for(accept.filters.as_ref().and_then(|f| f.refuse_seconds));
    let left = (available.0.max(0.0), available.1.max(0.0));
    add_filter(registry, fid, agent, refuse, left);
    Ok(starts)
}

/// Resources a valid task takes on `agent`: its own, plus its executor's
/// when that executor is new.
fn consumed(registry: &Registry, fid: &str, agent: usize, task: &TaskInfo) -> (f64, f64) {
    let mut cpus = scalar(&task.resources, "cpus");
    let mut mem = scalar(&task.resources, "mem");
    if let Some(executor) = &task.executor {
        let key = executor_key(fid, &executor.executor_id.value);
        if !registry.agents[agent].executors.contains_key(&key) {
            cpus += scalar(&executor.resources, "cpus");
            mem += scalar(&executor.resources, "mem");
        }
    }
    (cpus, mem)
}

/// A status update the master itself sends about a task it did not
/// launch: source MASTER, no uuid (nothing to acknowledge).
fn master_status(
    task: &TaskInfo,
    state: TaskState,
    reason: task_status::Reason,
    message: &str,
) -> rmesos_common::wire::v1::TaskStatus {
    let mut status = task_status(
        &task.task_id.value,
        &task.agent_id.value,
        state,
        Some(reason),
        message,
        false,
    );
    status.source = Some(task_status::Source::Master as i32);
    status
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
                role: role_of(&task.resources).unwrap_or_default(),
                statuses: vec![(TaskState::TaskFailed as i32, unix_now())],
            },
        );
        deliver(f, status);
        return None;
    };
    let key = executor_key(fid, &executor.executor_id.value);
    let name = task.name.clone();
    let role = role_of(&task.resources).unwrap_or_default();
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
            role,
            statuses: Vec::new(),
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

/// Invalid offers: every LAUNCH task of the call is TASK_LOST, or
/// TASK_DROPPED for a PARTITION_AWARE framework.
fn drop_tasks(
    registry: &mut Registry,
    fid: &str,
    operations: &[rmesos_common::wire::v1::offer::Operation],
    error: &str,
) {
    let f = framework(registry, fid);
    let partition_aware = f
        .info
        .capabilities
        .iter()
        .any(|c| c.r#type == Some(framework_info::capability::Type::PartitionAware as i32));
    let state = if partition_aware {
        TaskState::TaskDropped
    } else {
        TaskState::TaskLost
    };
    let message = format!("Task launched with invalid offers: {error}");
    for launch in operations.iter().filter_map(|op| op.launch.as_ref()) {
        for task in &launch.task_infos {
            let status = master_status(task, state, task_status::Reason::InvalidOffers, &message);
            deliver(f, status);
        }
    }
}
