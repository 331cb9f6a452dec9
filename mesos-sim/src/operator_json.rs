//! Mesos objects as the operator endpoints (`/master/state`,
//! `/slave(1)/state`) write them in JSON: resource totals, tasks, executor
//! and framework infos. A subset of the fields Mesos writes, with its
//! names and value forms (enum names as strings, times in Unix seconds).
//! What Mesos 1.12 shows of a framework's secrets is shown here too:
//! an `ExecutorInfo`'s whole command (value, arguments, environment, the
//! fetcher's URIs) on the master; never a task's `data`.

use rmesos_common::wire::v1::{
    CommandInfo, ExecutorInfo, FrameworkInfo, Labels, Resource, TaskInfo, TaskState, environment,
    framework_info,
};
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
        "role": task.role,
        "statuses": task
            .statuses
            .iter()
            .map(|(state, time)| json!({"state": task_state(*state), "timestamp": time}))
            .collect::<Vec<_>>(),
    })
}

/// An `ExecutorInfo` as the master writes it, its command included (the
/// agent writes `id` instead of `executor_id` and no command, see
/// `agent::state`).
pub fn executor_info(info: &ExecutorInfo, framework_id: &str) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("executor_id".into(), json!(info.executor_id.value));
    object.insert("name".into(), json!(info.name.clone().unwrap_or_default()));
    object.insert("framework_id".into(), json!(framework_id));
    let command = info.command.clone().unwrap_or_default();
    object.insert("command".into(), command_info(&command));
    object.insert(
        "resources".into(),
        resources(
            scalar(&info.resources, "cpus"),
            scalar(&info.resources, "mem"),
            None,
        ),
    );
    if let Some(role) = role_of(&info.resources) {
        object.insert("role".into(), json!(role));
    }
    if let Some(labels) = &info.labels {
        object.insert("labels".into(), labels_json(labels));
    }
    if let Some(kind) = info.r#type.and_then(|t| t.try_into().ok()) {
        let kind: rmesos_common::wire::v1::executor_info::Type = kind;
        object.insert("type".into(), json!(kind.as_str_name()));
    }
    object
}

/// A `CommandInfo` as Mesos writes it: `shell` and `value` when set,
/// `argv`, `environment` when set (each variable's set fields), and each
/// URI's `value` and `executable` (the fetcher's other options are not
/// shown).
pub fn command_info(command: &CommandInfo) -> Value {
    let mut object = Map::new();
    if let Some(shell) = command.shell {
        object.insert("shell".into(), json!(shell));
    }
    if let Some(value) = &command.value {
        object.insert("value".into(), json!(value));
    }
    object.insert("argv".into(), json!(command.arguments));
    if let Some(environment) = &command.environment {
        let variables: Vec<Value> = environment.variables.iter().map(variable).collect();
        object.insert("environment".into(), json!({"variables": variables}));
    }
    let uris: Vec<Value> = command
        .uris
        .iter()
        .map(|uri| json!({"value": uri.value, "executable": uri.executable.unwrap_or(false)}))
        .collect();
    object.insert("uris".into(), json!(uris));
    Value::Object(object)
}

/// An environment variable's set fields, as protobuf JSON.
fn variable(variable: &environment::Variable) -> Value {
    let mut object = Map::new();
    object.insert("name".into(), json!(variable.name));
    if let Some(kind) = variable
        .r#type
        .and_then(|t| environment::variable::Type::try_from(t).ok())
    {
        object.insert("type".into(), json!(kind.as_str_name()));
    }
    if let Some(value) = &variable.value {
        object.insert("value".into(), json!(value));
    }
    Value::Object(object)
}

/// Labels as Mesos writes them: `[{"key": .., "value": ..}]`.
pub fn labels_json(labels: &Labels) -> Value {
    let list: Vec<Value> = labels
        .labels
        .iter()
        .map(|label| match &label.value {
            Some(value) => json!({"key": label.key, "value": value}),
            None => json!({"key": label.key}),
        })
        .collect();
    Value::Array(list)
}

/// The role resources are allocated to (Mesos writes the first one's).
pub fn role_of(list: &[Resource]) -> Option<String> {
    list.first()
        .and_then(|r| r.allocation_info.as_ref())
        .and_then(|a| a.role.clone())
}

/// A task not yet given to its executor (an agent's `queued_tasks`), as
/// the agent writes a `TaskInfo`: never its `data`.
pub fn queued_task(task: &TaskInfo) -> Value {
    let mut object = Map::new();
    object.insert("id".into(), json!(task.task_id.value));
    object.insert("name".into(), json!(task.name));
    object.insert("slave_id".into(), json!(task.agent_id.value));
    let (cpus, mem) = (
        scalar(&task.resources, "cpus"),
        scalar(&task.resources, "mem"),
    );
    object.insert("resources".into(), resources(cpus, mem, None));
    object.insert("role".into(), json!(role_of(&task.resources)));
    if let Some(command) = &task.command {
        object.insert("command".into(), command_info(command));
    }
    if let Some(executor) = &task.executor {
        object.insert("executor_id".into(), json!(executor.executor_id.value));
    }
    Value::Object(object)
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
