//! The masters' read-only operator endpoints, `GET /master/state` and
//! `GET /master/frameworks` (`?framework_id=` selects one), in the JSON
//! shape Mesos writes: subscribed and failed-over frameworks under
//! `frameworks` (`active`/`connected` say which), torn-down ones under
//! `completed_frameworks` (at most 50, as Mesos keeps by default),
//! registered agents under `slaves`. As in Mesos, a master that does not
//! lead redirects to the leader (307), and answers 503 without one.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use rmesos_common::wire::v1::TaskState;
use serde_json::{Value, json};

use super::calls::terminal;
use super::http::{MasterContext, not_leading};
use crate::cluster::SIMULATED_VERSION;
use crate::operator_json::{self, resources};
use crate::registry::{Framework, Registry};

/// Completed frameworks listed (Mesos's `--max_completed_frameworks` default).
const MAX_COMPLETED_FRAMEWORKS: usize = 50;

fn path_and_query(uri: &Uri) -> &str {
    uri.path_and_query().map_or(uri.path(), |p| p.as_str())
}

pub async fn state(State(master): State<MasterContext>, uri: Uri) -> Response {
    if let Some(elsewhere) = not_leading(&master, path_and_query(&uri)) {
        return elsewhere;
    }
    let info = master.shared.master_info(master.index);
    let pid = info.pid.clone().unwrap_or_default();
    let registry = master.shared.registry();
    let ports = master.shared.config.agent_ports;
    let slaves: Vec<Value> = (0..registry.agents.len())
        .filter(|&i| registry.agents[i].alive)
        .map(|i| agent(&registry, i, ports))
        .collect();
    Json(json!({
        "version": info.version,
        "id": info.id,
        "pid": pid,
        "hostname": info.hostname,
        "leader": pid,
        "activated_slaves": slaves.len(),
        "deactivated_slaves": 0,
        "slaves": slaves,
        "recovered_slaves": [],
        "frameworks": active_frameworks(&registry, None),
        "completed_frameworks": completed_frameworks(&registry, None),
        "orphan_tasks": [],
        "unregistered_frameworks": [],
    }))
    .into_response()
}

pub async fn frameworks(
    State(master): State<MasterContext>,
    Query(query): Query<HashMap<String, String>>,
    uri: Uri,
) -> Response {
    if let Some(elsewhere) = not_leading(&master, path_and_query(&uri)) {
        return elsewhere;
    }
    let only = query.get("framework_id").map(String::as_str);
    let registry = master.shared.registry();
    Json(json!({
        "frameworks": active_frameworks(&registry, only),
        "completed_frameworks": completed_frameworks(&registry, only),
        "unregistered_frameworks": [],
    }))
    .into_response()
}

/// Frameworks not torn down (connected or waiting for a failover), by id.
fn active_frameworks(registry: &Registry, only: Option<&str>) -> Vec<Value> {
    let mut list: Vec<&Framework> = registry
        .frameworks
        .values()
        .filter(|f| !f.removed && only.is_none_or(|id| id == f.id))
        .collect();
    list.sort_by(|a, b| a.id.cmp(&b.id));
    list.into_iter().map(|f| framework(registry, f)).collect()
}

/// The most recently torn-down frameworks, oldest first.
fn completed_frameworks(registry: &Registry, only: Option<&str>) -> Vec<Value> {
    let mut list: Vec<&Framework> = registry
        .frameworks
        .values()
        .filter(|f| f.removed && only.is_none_or(|id| id == f.id))
        .collect();
    list.sort_by(|a, b| {
        let time = |f: &Framework| f.unregistered_time.unwrap_or(0.0);
        time(a).total_cmp(&time(b))
    });
    let skip = list.len().saturating_sub(MAX_COMPLETED_FRAMEWORKS);
    list.into_iter()
        .skip(skip)
        .map(|f| framework(registry, f))
        .collect()
}

/// A framework's tasks split as Mesos lists them: `(tasks, unreachable,
/// completed)`, and the resources its unfinished tasks use. A task leaves
/// `tasks` once terminal and acknowledged; all of a removed framework's
/// tasks are completed.
fn tasks(registry: &Registry, f: &Framework) -> (Vec<Value>, Vec<Value>, Vec<Value>, (f64, f64)) {
    let (mut tasks, mut unreachable, mut completed) = (Vec::new(), Vec::new(), Vec::new());
    let mut used = (0.0, 0.0);
    let mut ids: Vec<&String> = f.tasks.keys().collect();
    ids.sort();
    for id in ids {
        let t = &f.tasks[id];
        let json = operator_json::task(id, t, &f.id, &registry.agents[t.agent].id);
        let unacknowledged = f
            .unacknowledged
            .iter()
            .any(|p| &p.status.task_id.value == id);
        if f.removed || (terminal(t.state) && !unacknowledged) {
            completed.push(json);
        } else if t.state == TaskState::TaskUnreachable as i32 {
            unreachable.push(json);
        } else {
            if !terminal(t.state) {
                used.0 += t.cpus;
                used.1 += t.mem;
            }
            tasks.push(json);
        }
    }
    (tasks, unreachable, completed, used)
}

/// The framework's running executors (none once it is removed: Mesos
/// forgets them then; the agents' `/slave(1)/state` shows them ending),
/// and the resources they hold.
fn executors(registry: &Registry, f: &Framework) -> (Vec<Value>, (f64, f64)) {
    let (mut list, mut used) = (Vec::new(), (0.0, 0.0));
    if f.removed {
        return (list, used);
    }
    for agent in registry.agents.iter().filter(|a| a.alive) {
        let mut runs: Vec<_> = agent
            .executors
            .values()
            .filter(|run| run.framework_id == f.id)
            .collect();
        runs.sort_by(|a, b| a.info.executor_id.value.cmp(&b.info.executor_id.value));
        for run in runs {
            used.0 += run.cpus;
            used.1 += run.mem;
            let mut json = operator_json::executor_info(&run.info, &f.id);
            json.insert("slave_id".into(), json!(agent.id));
            list.push(Value::Object(json));
        }
    }
    (list, used)
}

/// The framework's outstanding offers and the resources they hold.
fn offers(registry: &Registry, f: &Framework) -> (Vec<Value>, (f64, f64)) {
    let mut ids: Vec<&String> = registry
        .offers
        .iter()
        .filter(|(_, o)| o.framework_id == f.id)
        .map(|(id, _)| id)
        .collect();
    ids.sort();
    let (mut list, mut offered) = (Vec::new(), (0.0, 0.0));
    for id in ids {
        let offer = &registry.offers[id];
        offered.0 += offer.cpus;
        offered.1 += offer.mem;
        list.push(json!({
            "id": id,
            "framework_id": f.id,
            "slave_id": registry.agents[offer.agent].id,
            "resources": resources(offer.cpus, offer.mem, None),
        }));
    }
    (list, offered)
}

/// One framework as the master writes it. `active` and `connected`: it
/// has a subscription (a framework waiting for a failover has neither).
fn framework(registry: &Registry, f: &Framework) -> Value {
    let (tasks, unreachable, completed, task_use) = tasks(registry, f);
    let (executors, executor_use) = executors(registry, f);
    let (offers, offered) = offers(registry, f);
    let used = (task_use.0 + executor_use.0, task_use.1 + executor_use.1);
    let connected = f.subscription.is_some() && !f.removed;
    let mut object = operator_json::framework_info(&f.info);
    let fields = [
        ("id", json!(f.id)),
        ("name", json!(f.info.name)),
        ("used_resources", resources(used.0, used.1, None)),
        ("offered_resources", resources(offered.0, offered.1, None)),
        (
            "resources",
            resources(used.0 + offered.0, used.1 + offered.1, None),
        ),
        ("capabilities", operator_json::capabilities(&f.info)),
        (
            "webui_url",
            json!(f.info.webui_url.clone().unwrap_or_default()),
        ),
        ("active", json!(connected)),
        ("connected", json!(connected)),
        ("recovered", json!(false)),
        ("registered_time", json!(f.registered_time)),
        (
            "unregistered_time",
            json!(f.unregistered_time.unwrap_or(0.0)),
        ),
        ("tasks", json!(tasks)),
        ("unreachable_tasks", json!(unreachable)),
        ("completed_tasks", json!(completed)),
        ("offers", json!(offers)),
        ("executors", json!(executors)),
    ];
    for (name, value) in fields {
        object.insert(name.into(), value);
    }
    if let Some(time) = f.reregistered_time {
        object.insert("reregistered_time".into(), json!(time));
    }
    Value::Object(object)
}

/// One registered agent as the master writes it under `slaves`.
fn agent(registry: &Registry, index: usize, ports: (u64, u64)) -> Value {
    let a = &registry.agents[index];
    let offered = registry.offers.values().filter(|o| o.agent == index);
    let (offered_cpus, offered_mem) = offered.fold((0.0, 0.0), |(c, m), o| (c + o.cpus, m + o.mem));
    json!({
        "id": a.id,
        "hostname": a.hostname,
        "port": a.port,
        "attributes": {},
        "pid": format!("slave(1)@127.0.0.1:{}", a.port),
        "resources": resources(a.cpus, a.mem, Some(ports)),
        "used_resources": resources(a.used_cpus, a.used_mem, None),
        "offered_resources": resources(offered_cpus, offered_mem, None),
        "unreserved_resources": resources(a.cpus, a.mem, Some(ports)),
        "reserved_resources": {},
        "active": true,
        "deactivated": false,
        "version": SIMULATED_VERSION,
    })
}
