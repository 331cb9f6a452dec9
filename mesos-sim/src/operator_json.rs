//! Mesos objects as the operator endpoints (`/master/state`,
//! `/slave(1)/state`) write them in JSON: resource totals, tasks, executor
//! and framework infos. A subset of the fields Mesos writes, with its
//! names and value forms (enum names as strings, times in Unix seconds).

use rmesos_common::wire::v1::{ExecutorInfo, FrameworkInfo, Resource, TaskState, framework_info};
use serde_json::{Map, Value, json};

use crate::registry::Task;

/// Resource totals as Mesos writes them: `cpus`, `gpus`, `mem` and `disk`
/// always, and a `ports` range as `"[begin-end]"` when there is one.
pub fn resources(cpus: f64, mem: f64, ports: Option<(u64, u64)>) -> Value {
    let mut totals = json!({"cpus": cpus, "gpus": 0.0, "mem": mem, "disk": 0.0});
    if let Some((begin, end)) = ports {
        totals["ports"] = json!(format!("[{begin}-{end}]"));
    }
    totals
}

/// The sum of the named scalar resource in `list`.
pub fn scalar(list: &[Resource], name: &str) -> f64 {
    list.iter()
        .filter(|r| r.name == name)
        .filter_map(|r| r.scalar.as_ref())
        .map(|s| s.value)
        .sum()
}

/// A task's state by its upstream name (`TASK_RUNNING`).
pub fn task_state(state: i32) -> &'static str {
    TaskState::try_from(state).map_or("TASK_UNKNOWN", |s| s.as_str_name())
}

/// One task as the master and agent write it.
pub fn task(id: &str, task: &Task, framework_id: &str, agent_id: &str) -> Value {
    let executor_id = task
        .executor
        .as_deref()
        .and_then(|key| key.strip_prefix(framework_id))
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or("");
    json!({
        "id": id,
        "name": task.name,
        "framework_id": framework_id,
        "executor_id": executor_id,
        "slave_id": agent_id,
        "state": task_state(task.state),
        "resources": resources(task.cpus, task.mem, None),
    })
}

/// An `ExecutorInfo` as the master writes it (the agent writes `id`
/// instead of `executor_id`, see `agent::state`).
pub fn executor_info(info: &ExecutorInfo, framework_id: &str) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("executor_id".into(), json!(info.executor_id.value));
    object.insert("name".into(), json!(info.name.clone().unwrap_or_default()));
    object.insert("framework_id".into(), json!(framework_id));
    object.insert(
        "resources".into(),
        resources(
            scalar(&info.resources, "cpus"),
            scalar(&info.resources, "mem"),
            None,
        ),
    );
    if let Some(kind) = info.r#type.and_then(|t| t.try_into().ok()) {
        let kind: rmesos_common::wire::v1::executor_info::Type = kind;
        object.insert("type".into(), json!(kind.as_str_name()));
    }
    object
}

/// The `FrameworkInfo` fields that master and agent both write: user,
/// failover timeout, checkpointing, hostname, principal, and `roles`
/// (MULTI_ROLE frameworks) or `role`.
pub fn framework_info(info: &FrameworkInfo) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("user".into(), json!(info.user));
    object.insert(
        "failover_timeout".into(),
        json!(info.failover_timeout.unwrap_or(0.0)),
    );
    object.insert("checkpoint".into(), json!(info.checkpoint.unwrap_or(false)));
    object.insert(
        "hostname".into(),
        json!(info.hostname.clone().unwrap_or_default()),
    );
    if let Some(principal) = &info.principal {
        object.insert("principal".into(), json!(principal));
    }
    let multi_role = framework_info::capability::Type::MultiRole as i32;
    if info
        .capabilities
        .iter()
        .any(|c| c.r#type == Some(multi_role))
    {
        object.insert("roles".into(), json!(info.roles));
    } else {
        object.insert(
            "role".into(),
            json!(info.role.clone().unwrap_or_else(|| "*".into())),
        );
    }
    object
}

/// A framework's capabilities as `[{"type": "MULTI_ROLE"}, ...]`.
pub fn capabilities(info: &FrameworkInfo) -> Value {
    let types: Vec<Value> = info
        .capabilities
        .iter()
        .filter_map(|c| c.r#type)
        .filter_map(|t| framework_info::capability::Type::try_from(t).ok())
        .map(|t| json!({"type": t.as_str_name()}))
        .collect();
    Value::Array(types)
}
