//! What the simulated masters check in an ACCEPT before launching, as
//! Mesos 1.12 does (`Master::accept`/`_accept` in `src/master/master.cpp`,
//! `validation::offer` and `validation::task`/`validation::executor` in
//! `src/master/validation.cpp`). None of these is an HTTP error: the call
//! is answered 202 and the framework learns through status updates from
//! the master (source MASTER, no uuid, so nothing to acknowledge).
//!
//! Offers (`validation::offer::validate`), on failure every task of the
//! call gets TASK_LOST (TASK_DROPPED for a PARTITION_AWARE framework),
//! reason INVALID_OFFERS, message "Task launched with invalid offers:
//! <error>", and the valid offers among them are discarded:
//! - no offer ids: "No offers specified";
//! - an id twice: "Duplicate offer <id> in offer list";
//! - an unknown or used offer: "Offer <id> is no longer valid";
//! - another framework's offer: "Offer <id> has invalid framework <f>
//!   while framework <g> is expected";
//! - offers of several agents: "Aggregated offers must belong to one
//!   single agent. Offer <id> uses agent <a> and agent <b>".
//!
//! Tasks (`validation::task::validate`), each on its own, in this order;
//! a failing task gets TASK_ERROR, reason TASK_INVALID, with the message:
//! - the task id fails `validateID` (see `mesos_ids`);
//! - "Task has duplicate ID: <id>" (a task of that id is not finished);
//! - "Task uses invalid agent <a> while agent <b> is expected";
//! - "Task's 'kill_policy.grace_period' must be non-negative";
//! - "Task's `max_completion_time` must be non-negative";
//! - "Task uses no resources";
//! - "Task should have at least one (but not both) of CommandInfo or
//!   ExecutorInfo present";
//! - executor (`validation::executor`): "'ExecutorInfo.command' must be
//!   set for 'CUSTOM' executor", "'ExecutorInfo.command' must not be set
//!   for 'DEFAULT' executor", its id fails `validateID`,
//!   "ExecutorInfo's 'shutdown_grace_period' must be non-negative",
//!   "ExecutorInfo has an invalid FrameworkID (Actual: <f> vs Expected:
//!   <g>)" (a missing one is filled in), "ExecutorInfo is not compatible
//!   with existing ExecutorInfo with same ExecutorID." (followed by both
//!   infos), "'ExecutorInfo.type' must be 'CUSTOM'";
//! - "Total resources <r> required by task and its executor is more than
//!   available <o>" (a new executor's resources count; earlier tasks of the
//!   same ACCEPT have used part of the offers).

use rmesos_common::wire::v1::{ExecutorInfo, FrameworkId, Resource, TaskInfo, executor_info};

use crate::mesos_ids::validate_id;
use crate::registry::{Registry, executor_key};

/// `validation::offer::validate`: the agent the offers are on.
pub fn validate_offers(registry: &Registry, fid: &str, ids: &[String]) -> Result<usize, String> {
    if ids.is_empty() {
        return Err("No offers specified".into());
    }
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            return Err(format!("Duplicate offer {id} in offer list"));
        }
    }
    let mut agent: Option<usize> = None;
    for id in ids {
        let Some(offer) = registry.offers.get(id) else {
            return Err(format!("Offer {id} is no longer valid"));
        };
        if offer.framework_id != fid {
            return Err(format!(
                "Offer {id} has invalid framework {} while framework {fid} is expected",
                offer.framework_id
            ));
        }
        match agent {
            Some(first) if first != offer.agent => {
                return Err(format!(
                    "Aggregated offers must belong to one single agent. Offer {id} uses agent {} and agent {}",
                    registry.agents[offer.agent].id, registry.agents[first].id
                ));
            }
            _ => agent = Some(offer.agent),
        }
    }
    agent.ok_or_else(|| "No offers specified".into())
}

/// cpus and mem (MB) of some resources.
pub fn scalar(resources: &[Resource], name: &str) -> f64 {
    resources
        .iter()
        .filter(|r| r.name == name)
        .filter_map(|r| r.scalar.as_ref())
        .map(|s| s.value)
        .sum()
}

/// Mesos' `stringify(Resources)` of cpus and mem (allocated to role `*`).
fn resources_text(cpus: f64, mem: f64) -> String {
    let mut parts = Vec::new();
    if cpus > 0.0 {
        parts.push(format!("cpus(allocated: *):{cpus}"));
    }
    if mem > 0.0 {
        parts.push(format!("mem(allocated: *):{mem}"));
    }
    if parts.is_empty() {
        "{}".into()
    } else {
        parts.join("; ")
    }
}

/// `validation::task::validate` of one task of an ACCEPT on `agent`, with
/// `available` (cpus, mem) left of the accepted offers. The task's
/// executor gets its framework id filled in, as the master does.
pub fn validate_task(
    registry: &Registry,
    fid: &str,
    agent: usize,
    task: &mut TaskInfo,
    available: (f64, f64),
) -> Result<(), String> {
    let id = &task.task_id.value;
    validate_id(id)?;
    let live = registry
        .frameworks
        .get(fid)
        .and_then(|f| f.tasks.get(id))
        .is_some_and(|t| !super::calls::terminal(t.state));
    if live {
        return Err(format!("Task has duplicate ID: {id}"));
    }
    let agent_id = &registry.agents[agent].id;
    if &task.agent_id.value != agent_id {
        return Err(format!(
            "Task uses invalid agent {} while agent {agent_id} is expected",
            task.agent_id.value
        ));
    }
    let negative =
        |d: Option<&rmesos_common::wire::v1::DurationInfo>| d.is_some_and(|d| d.nanoseconds < 0);
    if negative(
        task.kill_policy
            .as_ref()
            .and_then(|k| k.grace_period.as_ref()),
    ) {
        return Err("Task's 'kill_policy.grace_period' must be non-negative".into());
    }
    if negative(task.max_completion_time.as_ref()) {
        return Err("Task's `max_completion_time` must be non-negative".into());
    }
    if task.resources.is_empty() {
        return Err("Task uses no resources".into());
    }
    if task.executor.is_some() == task.command.is_some() {
        return Err(
            "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present"
                .into(),
        );
    }
    let mut cpus = scalar(&task.resources, "cpus");
    let mut mem = scalar(&task.resources, "mem");
    if let Some(executor) = task.executor.as_mut() {
        executor
            .framework_id
            .get_or_insert_with(|| FrameworkId { value: fid.into() });
        validate_executor(registry, fid, agent, executor)?;
        if !registry.agents[agent]
            .executors
            .contains_key(&executor_key(fid, &executor.executor_id.value))
        {
            cpus += scalar(&executor.resources, "cpus");
            mem += scalar(&executor.resources, "mem");
        }
    }
    if cpus > available.0 + 1e-9 || mem > available.1 + 1e-9 {
        return Err(format!(
            "Total resources {} required by task and its executor is more than available {}",
            resources_text(cpus, mem),
            resources_text(available.0, available.1)
        ));
    }
    Ok(())
}

/// `validation::executor::internal::validate` and the LAUNCH-specific
/// executor checks of `validateExecutor`.
fn validate_executor(
    registry: &Registry,
    fid: &str,
    agent: usize,
    executor: &ExecutorInfo,
) -> Result<(), String> {
    let kind = executor
        .r#type
        .and_then(|t| executor_info::Type::try_from(t).ok());
    match kind {
        Some(executor_info::Type::Default) if executor.command.is_some() => {
            return Err("'ExecutorInfo.command' must not be set for 'DEFAULT' executor".into());
        }
        Some(executor_info::Type::Custom) if executor.command.is_none() => {
            return Err("'ExecutorInfo.command' must be set for 'CUSTOM' executor".into());
        }
        _ => {}
    }
    validate_id(&executor.executor_id.value)?;
    if executor
        .shutdown_grace_period
        .as_ref()
        .is_some_and(|d| d.nanoseconds < 0)
    {
        return Err("ExecutorInfo's 'shutdown_grace_period' must be non-negative".into());
    }
    let given = executor.framework_id.as_ref().map_or("", |f| &f.value);
    if given != fid {
        return Err(format!(
            "ExecutorInfo has an invalid FrameworkID (Actual: {given} vs Expected: {fid})"
        ));
    }
    let key = executor_key(fid, &executor.executor_id.value);
    if let Some(run) = registry.agents[agent].executors.get(&key)
        && &run.info != executor
    {
        return Err(format!(
            "ExecutorInfo is not compatible with existing ExecutorInfo with same ExecutorID.\n\
             ------------------------------------------------------------\n\
             Existing ExecutorInfo:\n{:?}\n\
             ------------------------------------------------------------\n\
             ExecutorInfo:\n{executor:?}\n\
             ------------------------------------------------------------\n",
            run.info
        ));
    }
    if kind.is_some_and(|k| k != executor_info::Type::Custom) {
        return Err("'ExecutorInfo.type' must be 'CUSTOM'".into());
    }
    if executor.command.is_none() {
        return Err("'ExecutorInfo.command' must be set".into());
    }
    Ok(())
}
