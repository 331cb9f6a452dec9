//! An agent's read-only operator endpoint, `GET /slave(1)/state`, in the
//! JSON shape Mesos writes: frameworks with executors running here under
//! `frameworks` (each with its `executors` and `completed_executors`), and
//! frameworks whose last executor here ended under `completed_frameworks`
//! (a Mesos agent moves a framework there once it has no executors left,
//! as after a teardown's shutdown).

use std::collections::HashSet;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::executor_api::AgentContext;
use crate::cluster::{SIMULATED_VERSION, Shared};
use crate::master::calls::terminal;
use crate::operator_json::{self, resources};
use crate::registry::{Agent, CompletedExecutor, ExecutorRun, Registry};

pub async fn state(State(agent): State<AgentContext>) -> Response {
    let shared = &agent.shared;
    let registry = shared.registry();
    let a = &registry.agents[agent.index];
    let mut running: Vec<&str> = a
        .executors
        .values()
        .map(|run| run.framework_id.as_str())
        .collect();
    running.sort_unstable();
    running.dedup();
    let frameworks: Vec<Value> = running
        .into_iter()
        .map(|fid| framework(shared, &registry, a, fid))
        .collect();
    let completed: Vec<Value> = a
        .completed_frameworks
        .iter()
        .map(|done| {
            let mut object = framework_fields(&registry, &done.id);
            object.insert("executors".into(), json!([]));
            object.insert(
                "completed_executors".into(),
                completed_executors(shared, &registry, a, &done.id, &done.executors),
            );
            Value::Object(object)
        })
        .collect();
    Json(json!({
        "version": SIMULATED_VERSION,
        "id": a.id,
        "pid": format!("slave(1)@127.0.0.1:{}", a.port),
        "hostname": a.hostname,
        "resources": resources(a.cpus, a.mem, Some(shared.config.agent_ports)),
        "frameworks": frameworks,
        "completed_frameworks": completed,
    }))
    .into_response()
}

/// A framework with executors running on this agent.
fn framework(shared: &Shared, registry: &Registry, a: &Agent, fid: &str) -> Value {
    let mut runs: Vec<&ExecutorRun> = a
        .executors
        .values()
        .filter(|run| run.framework_id == fid)
        .collect();
    runs.sort_by(|x, y| x.info.executor_id.value.cmp(&y.info.executor_id.value));
    let executors: Vec<Value> = runs
        .into_iter()
        .map(|run| running_executor(shared, registry, a, run))
        .collect();
    let ended = a
        .completed_executors
        .get(fid)
        .map_or(&[][..], Vec::as_slice);
    let mut object = framework_fields(registry, fid);
    object.insert("executors".into(), json!(executors));
    object.insert(
        "completed_executors".into(),
        completed_executors(shared, registry, a, fid, ended),
    );
    Value::Object(object)
}

/// `id`, `name` and the `FrameworkInfo` fields of a framework.
fn framework_fields(registry: &Registry, fid: &str) -> Map<String, Value> {
    let info = registry
        .frameworks
        .get(fid)
        .map(|f| f.info.clone())
        .unwrap_or_default();
    let mut object = operator_json::framework_info(&info);
    object.insert("id".into(), json!(fid));
    object.insert("name".into(), json!(info.name));
    object
}

/// An executor's common fields: id, name, sandbox, resources, role,
/// labels, type (not its command: an agent does not show it), and
/// its tasks as `(tasks, queued_tasks, completed_tasks)` arrays.
fn executor_fields(
    shared: &Shared,
    a: &Agent,
    fid: &str,
    info: &rmesos_common::wire::v1::ExecutorInfo,
    tasks: [Vec<Value>; 3],
) -> Map<String, Value> {
    let mut object = operator_json::executor_info(info, fid);
    let id = object.remove("executor_id").unwrap_or_default();
    object.remove("framework_id");
    object.remove("command");
    object.insert("id".into(), id);
    object.insert("source".into(), json!(""));
    let directory = shared.sandbox(&a.id, fid, &info.executor_id.value);
    object.insert("directory".into(), json!(directory.display().to_string()));
    let [running, queued, completed] = tasks;
    object.insert("tasks".into(), json!(running));
    object.insert("queued_tasks".into(), json!(queued));
    object.insert("completed_tasks".into(), json!(completed));
    object
}

/// A running executor: its unfinished tasks (`queued_tasks` while it has
/// not subscribed yet, else `tasks`), its finished ones, and the resources
/// it and its unfinished tasks hold.
fn running_executor(shared: &Shared, registry: &Registry, a: &Agent, run: &ExecutorRun) -> Value {
    let fid = run.framework_id.as_str();
    let key = crate::registry::executor_key(fid, &run.info.executor_id.value);
    let queued: HashSet<&str> = run
        .queued
        .iter()
        .map(|task| task.task_id.value.as_str())
        .collect();
    let (mut running, mut completed) = (Vec::new(), Vec::new());
    let (mut cpus, mut mem) = (run.cpus, run.mem);
    if let Some(f) = registry.frameworks.get(fid) {
        let mut ids: Vec<&String> = f
            .tasks
            .iter()
            .filter(|(_, t)| t.executor.as_deref() == Some(key.as_str()))
            .map(|(id, _)| id)
            .collect();
        ids.sort();
        for id in ids {
            let t = &f.tasks[id];
            if terminal(t.state) {
                completed.push(operator_json::task(id, t, fid, &a.id));
                continue;
            }
            cpus += t.cpus;
            mem += t.mem;
            if !queued.contains(id.as_str()) {
                running.push(operator_json::task(id, t, fid, &a.id));
            }
        }
    }
    let queued: Vec<Value> = run.queued.iter().map(operator_json::queued_task).collect();
    let mut object = executor_fields(shared, a, fid, &run.info, [running, queued, completed]);
    object.insert("resources".into(), resources(cpus, mem, None));
    Value::Object(object)
}

fn completed_executors(
    shared: &Shared,
    registry: &Registry,
    a: &Agent,
    fid: &str,
    ended: &[CompletedExecutor],
) -> Value {
    let tasks = registry.frameworks.get(fid).map(|f| &f.tasks);
    let list: Vec<Value> = ended
        .iter()
        .map(|done| {
            let completed: Vec<Value> = done
                .tasks
                .iter()
                .filter_map(|id| Some((id, tasks?.get(id)?)))
                .map(|(id, t)| operator_json::task(id, t, fid, &a.id))
                .collect();
            Value::Object(executor_fields(
                shared,
                a,
                fid,
                &done.info,
                [Vec::new(), Vec::new(), completed],
            ))
        })
        .collect();
    Value::Array(list)
}
