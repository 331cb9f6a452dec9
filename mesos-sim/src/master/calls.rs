//! What each scheduler call does to the cluster, per the Mesos scheduler
//! HTTP API: SUBSCRIBE (new or failover), ACCEPT with LAUNCH, DECLINE,
//! REVIVE, SUPPRESS, KILL, RECONCILE, ACKNOWLEDGE, TEARDOWN; MESSAGE,
//! SHUTDOWN and REQUEST are taken and not simulated. The framework checks
//! (found, principal, subscribed, stream id) come in Mesos' order.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use rmesos_common::wire::codec::Encoding;
use rmesos_common::wire::scheduler::{Call, Event, call, event};
use rmesos_common::wire::v1::{FrameworkId, TaskState, task_status};
use tokio::sync::mpsc::UnboundedSender;

use super::validation::{principal_mismatch, validate_subscription, validate_update};
use crate::cluster::Shared;
use crate::events::{self, deliver, task_status};
use crate::registry::{Framework, Registry, Subscription, unix_now};
use rmesos_common::wire::executor::{Event as ExecutorEvent, event as executor_event};

pub type CallError = (StatusCode, String);

const DEFAULT_REFUSE: Duration = Duration::from_secs(5);

fn bad(message: impl Into<String>) -> CallError {
    (StatusCode::BAD_REQUEST, message.into())
}

/// The stream a SUBSCRIBE opened.
pub struct NewStream {
    pub encoding: Encoding,
    pub sender: UnboundedSender<bytes::Bytes>,
    pub stream_id: String,
}

/// SUBSCRIBE (the call passed `validate_call`): registers or fails over
/// the framework, replacing any older stream; answers the framework id.
/// The SUBSCRIBED event goes out first. `Err` is what Mesos refuses with
/// an ERROR event on the stream (`validation::validate_subscription`, a
/// removed framework, `validation::validate_update`).
pub fn subscribe(
    shared: &Shared,
    master: usize,
    call: Call,
    stream: NewStream,
    principal: Option<String>,
) -> Result<String, String> {
    let Some(subscribe) = call.subscribe else {
        return Err("Expecting 'subscribe' to be present".into());
    };
    let mut info = subscribe.framework_info;
    validate_subscription(&info, &subscribe.suppressed_roles)?;
    if info.principal.is_none() {
        // Mesos takes the authenticated principal for one left out.
        info.principal = principal;
    }
    let info_id = info
        .id
        .as_ref()
        .map(|id| id.value.clone())
        .filter(|id| !id.is_empty());
    let mut registry = shared.registry();
    if let Some(known) = info_id.as_ref().and_then(|id| registry.frameworks.get(id)) {
        if known.removed {
            return Err("Framework has been removed".into());
        }
        validate_update(&known.info, &info)?;
    }
    let id = match info_id {
        Some(id) => id,
        None => registry.fresh_id("framework"),
    };
    let update_faults = registry.update_faults;
    let framework = registry
        .frameworks
        .entry(id.clone())
        .or_insert_with(|| Framework {
            id: id.clone(),
            info: info.clone(),
            subscription: None,
            subscribe_count: 0,
            suppressed: false,
            filters: HashMap::new(),
            tasks: HashMap::new(),
            unacknowledged: Vec::new(),
            calls: HashMap::new(),
            removed: false,
            faults: update_faults,
            registered_time: unix_now(),
            reregistered_time: None,
            unregistered_time: None,
            failover_deadline: None,
        });
    if framework.subscribe_count > 0 {
        framework.reregistered_time = Some(unix_now());
    }
    framework.info = info;
    framework.faults = update_faults;
    framework.info.id = Some(FrameworkId { value: id.clone() });
    framework.subscribe_count += 1;
    // Subscribing again within the failover timeout cancels it.
    framework.failover_deadline = None;
    framework.suppressed = !subscribe.suppressed_roles.is_empty();
    *framework.calls.entry("SUBSCRIBE".into()).or_default() += 1;
    // A new subscription ends the old stream (failover).
    framework.subscription = Some(Subscription {
        stream_id: stream.stream_id,
        encoding: stream.encoding,
        sender: stream.sender,
    });
    let subscribed = Event {
        subscribed: Some(event::Subscribed {
            framework_id: FrameworkId { value: id.clone() },
            heartbeat_interval_seconds: Some(shared.config.heartbeat_interval.as_secs_f64()),
            master_info: Some(shared.master_info(master)),
        }),
        ..events::of_type(event::Type::Subscribed)
    };
    events::send(framework, &subscribed);
    // Offers made on the old stream are void.
    registry.offers.retain(|_, offer| offer.framework_id != id);
    tracing::info!(framework = %id, "framework subscribed");
    Ok(id)
}

/// Any call but SUBSCRIBE: checks the framework and stream id, then acts.
/// Executors the caller must start (fetch and spawn) after the call.
#[derive(Debug)]
pub struct StartExecutor {
    pub agent: usize,
    pub key: String,
}

pub fn handle(
    shared: &Shared,
    call: Call,
    stream_id: Option<&str>,
    principal: Option<&str>,
) -> Result<Vec<StartExecutor>, CallError> {
    let Some(framework_id) = call.framework_id.as_ref().map(|id| id.value.clone()) else {
        return Err(bad("Expecting 'framework_id' to be present"));
    };
    let mut registry = shared.registry();
    let Some(framework) = registry
        .frameworks
        .get_mut(&framework_id)
        .filter(|f| !f.removed)
    else {
        return Err(bad("Framework cannot be found"));
    };
    if let Some(principal) = principal {
        let declared = framework.info.principal.as_deref().unwrap_or_default();
        if principal != declared {
            return Err(bad(principal_mismatch(principal, declared)));
        }
    }
    let Some(subscription) = &framework.subscription else {
        return Err((StatusCode::FORBIDDEN, "Framework is not subscribed".into()));
    };
    match stream_id {
        None => {
            return Err(bad(
                "All non-subscribe calls should include the 'Mesos-Stream-Id' header",
            ));
        }
        Some(given) if given != subscription.stream_id => {
            return Err(bad(format!(
                "The stream ID '{given}' included in this request didn't match the stream ID currently associated with framework ID {framework_id}"
            )));
        }
        Some(_) => {}
    }
    let kind = call
        .r#type
        .and_then(|t| call::Type::try_from(t).ok())
        .unwrap_or(call::Type::Unknown);
    *framework
        .calls
        .entry(kind.as_str_name().to_owned())
        .or_default() += 1;
    let starts = dispatch(&mut registry, &framework_id, kind, call)?;
    if kind == call::Type::Revive {
        shared.want_allocation();
    }
    Ok(starts)
}

fn dispatch(
    registry: &mut Registry,
    fid: &str,
    kind: call::Type,
    call: Call,
) -> Result<Vec<StartExecutor>, CallError> {
    if kind == call::Type::Accept {
        let accept_call = call
            .accept
            .ok_or_else(|| bad("Expecting 'accept' to be present"))?;
        return super::launch::accept(registry, fid, accept_call);
    }
    others(registry, fid, kind, call).map(|()| Vec::new())
}

fn others(
    registry: &mut Registry,
    fid: &str,
    kind: call::Type,
    call: Call,
) -> Result<(), CallError> {
    match kind {
        call::Type::Decline => {
            let decline = call
                .decline
                .ok_or_else(|| bad("Expecting 'decline' to be present"))?;
            let refuse = refuse_for(decline.filters.as_ref().and_then(|f| f.refuse_seconds));
            // Unknown offers are ignored, as Mesos does.
            for id in decline.offer_ids {
                if let Some(offer) = registry.offers.remove(&id.value) {
                    add_filter(registry, fid, offer.agent, refuse, (offer.cpus, offer.mem));
                }
            }
            Ok(())
        }
        call::Type::Revive => {
            let f = framework(registry, fid);
            f.filters.clear();
            f.suppressed = false;
            Ok(())
        }
        call::Type::Suppress => {
            framework(registry, fid).suppressed = true;
            Ok(())
        }
        call::Type::Acknowledge => {
            let ack = call
                .acknowledge
                .ok_or_else(|| bad("Expecting 'acknowledge' to be present"))?;
            acknowledge(framework(registry, fid), &ack.task_id.value, &ack.uuid);
            Ok(())
        }
        call::Type::Reconcile => {
            let tasks = call.reconcile.map(|r| r.tasks).unwrap_or_default();
            reconcile(
                registry,
                fid,
                tasks.into_iter().map(|t| t.task_id.value).collect(),
            );
            Ok(())
        }
        call::Type::Kill => {
            let kill = call
                .kill
                .ok_or_else(|| bad("Expecting 'kill' to be present"))?;
            kill_task(registry, fid, &kill.task_id.value);
            Ok(())
        }
        call::Type::Teardown => {
            teardown(registry, fid);
            Ok(())
        }
        call::Type::Unknown => Err((StatusCode::NOT_IMPLEMENTED, "501 Not Implemented.".into())),
        // MESSAGE, SHUTDOWN, REQUEST, inverse offers and operations: taken
        // (202) and not simulated.
        _ => Ok(()),
    }
}

pub(super) fn framework<'a>(registry: &'a mut Registry, fid: &str) -> &'a mut Framework {
    registry
        .frameworks
        .get_mut(fid)
        .expect("framework checked by handle()")
}

/// How long an offer filter lasts (`recoverResources` in Mesos'
/// hierarchical allocator): `refuse_seconds` (default 5), a negative or
/// unrepresentable one read as the default, at most 365 days; none for 0.
pub(super) fn refuse_for(seconds: Option<f64>) -> Option<Duration> {
    const YEAR: f64 = 365.0 * 86400.0;
    let seconds = seconds.unwrap_or(DEFAULT_REFUSE.as_secs_f64());
    let seconds = if seconds.is_nan() || seconds < 0.0 {
        DEFAULT_REFUSE.as_secs_f64()
    } else {
        seconds.min(YEAR)
    };
    (seconds > 0.0).then(|| Duration::from_secs_f64(seconds))
}

/// Refuses `refused` (cpus, mem) of `agent` to the framework for `refuse`,
/// but at least one allocation interval.
pub(super) fn add_filter(
    registry: &mut Registry,
    fid: &str,
    agent: usize,
    refuse: Option<Duration>,
    refused: (f64, f64),
) {
    let Some(refuse) = refuse else {
        return;
    };
    let until = Instant::now() + refuse.max(registry.allocation_interval);
    let filter = crate::registry::RefuseFilter {
        until,
        cpus: refused.0,
        mem: refused.1,
    };
    framework(registry, fid)
        .filters
        .entry(agent)
        .or_default()
        .push(filter);
}

fn acknowledge(framework: &mut Framework, task: &str, uuid: &[u8]) {
    let before = framework.unacknowledged.len();
    framework
        .unacknowledged
        .retain(|p| !(p.status.task_id.value == task && p.status.uuid.as_deref() == Some(uuid)));
    if framework.unacknowledged.len() == before {
        return;
    }
    // The next held-back update of this task goes out now.
    if let Some(next) = framework
        .unacknowledged
        .iter_mut()
        .find(|p| p.status.task_id.value == task)
    {
        // A held (delayed) update goes out when its time comes.
        if next.not_before.is_none() {
            next.last_sent = Instant::now();
            let status = next.status.clone();
            events::send(framework, &events::update(status));
        }
    }
}

/// RECONCILE: explicit (listed tasks; unknown ones are TASK_LOST) or
/// implicit (every non-terminal task). Answers carry no uuid.
fn reconcile(registry: &mut Registry, fid: &str, listed: Vec<String>) {
    let agent_ids: Vec<String> = registry.agents.iter().map(|a| a.id.clone()).collect();
    let f = framework(registry, fid);
    let answers: Vec<(String, String, i32)> = if listed.is_empty() {
        f.tasks
            .iter()
            .filter(|(_, t)| !terminal(t.state))
            .map(|(id, t)| (id.clone(), agent_ids[t.agent].clone(), t.state))
            .collect()
    } else {
        listed
            .into_iter()
            .map(|id| match f.tasks.get(&id) {
                Some(t) => (id, agent_ids[t.agent].clone(), t.state),
                None => (id, String::new(), TaskState::TaskLost as i32),
            })
            .collect()
    };
    for (task, agent, state) in answers {
        let state = TaskState::try_from(state).unwrap_or(TaskState::TaskLost);
        let mut status = task_status(
            &task,
            &agent,
            state,
            Some(task_status::Reason::Reconciliation),
            "Reconciliation",
            false,
        );
        status.source = Some(task_status::Source::Master as i32);
        if agent.is_empty() {
            status.agent_id = None;
        }
        events::send(f, &events::update(status));
    }
}

/// KILL: a task on a subscribed executor gets a KILL event (the executor
/// answers TASK_KILLED); a task still queued for its executor is killed by
/// the agent; an unknown task is TASK_LOST.
fn kill_task(registry: &mut Registry, fid: &str, task: &str) {
    let Some(t) = registry
        .frameworks
        .get(fid)
        .and_then(|f| f.tasks.get(task))
        .cloned()
    else {
        deliver(
            framework(registry, fid),
            task_status(task, "", TaskState::TaskLost, None, "Unknown task", false),
        );
        return;
    };
    if terminal(t.state) {
        return;
    }
    let agent = &mut registry.agents[t.agent];
    let agent_id = agent.id.clone();
    if let Some(run) = t
        .executor
        .as_ref()
        .and_then(|key| agent.executors.get_mut(key))
    {
        if let Some(stream) = &run.stream {
            let kill = ExecutorEvent {
                r#type: Some(executor_event::Type::Kill as i32),
                kill: Some(executor_event::Kill {
                    task_id: rmesos_common::wire::v1::TaskId { value: task.into() },
                    kill_policy: None,
                }),
                ..Default::default()
            };
            stream.send(&kill);
            return;
        }
        run.queued.retain(|queued| queued.task_id.value != task);
    }
    agent.used_cpus -= t.cpus;
    agent.used_mem -= t.mem;
    let f = framework(registry, fid);
    if let Some(t) = f.tasks.get_mut(task) {
        t.set_state(TaskState::TaskKilled as i32);
    }
    deliver(
        f,
        task_status(
            task,
            &agent_id,
            TaskState::TaskKilled,
            None,
            "Killed before it started",
            true,
        ),
    );
}

/// TEARDOWN (and an expired failover timeout): the framework is removed
/// (it becomes a completed framework); its offers go, its executors are
/// shut down, its tasks are killed.
pub(super) fn teardown(registry: &mut Registry, fid: &str) {
    registry.offers.retain(|_, o| o.framework_id != fid);
    for agent in registry.agents.iter_mut() {
        for run in agent
            .executors
            .values_mut()
            .filter(|run| run.framework_id == fid)
        {
            crate::agent::launcher::shut_down(run);
        }
    }
    // Its unfinished tasks are implicitly killed (as Mesos marks them,
    // without an update) and their resources return.
    let f = framework(registry, fid);
    let mut released = Vec::new();
    for task in f.tasks.values_mut().filter(|t| !terminal(t.state)) {
        task.set_state(TaskState::TaskKilled as i32);
        released.push((task.agent, task.cpus, task.mem));
    }
    f.removed = true;
    f.subscription = None;
    f.unacknowledged.clear();
    f.unregistered_time = Some(unix_now());
    f.failover_deadline = None;
    for (agent, cpus, mem) in released {
        registry.agents[agent].used_cpus -= cpus;
        registry.agents[agent].used_mem -= mem;
    }
    tracing::info!(framework = %fid, "framework torn down");
}

pub fn terminal(state: i32) -> bool {
    matches!(
        TaskState::try_from(state),
        Ok(TaskState::TaskFinished
            | TaskState::TaskFailed
            | TaskState::TaskKilled
            | TaskState::TaskError
            | TaskState::TaskLost
            | TaskState::TaskDropped
            | TaskState::TaskGone
            | TaskState::TaskGoneByOperator)
    )
}
