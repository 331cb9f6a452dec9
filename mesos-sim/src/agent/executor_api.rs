//! `/api/v1/executor` on an agent, per the Mesos executor HTTP API (calls
//! checked as Mesos checks them first: see `agent::validation`):
//! SUBSCRIBE (a RecordIO event stream: SUBSCRIBED, then the queued
//! LAUNCHes, or SHUTDOWN when its framework was shut down meanwhile;
//! unacknowledged updates listed by a re-subscribing executor are taken
//! again), UPDATE (forwarded to the framework; ACKNOWLEDGED back to the
//! executor once the agent has it), MESSAGE.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use rmesos_common::wire::codec::Encoding;
use rmesos_common::wire::executor::{Call, Event, call, event};
use rmesos_common::wire::v1::{AgentId, AgentInfo, TaskStatus};
use tokio_stream::wrappers::UnboundedReceiverStream;

use super::validation::validate_call;
use crate::call_body::{self, Refusal, text};
use crate::cluster::Shared;
use crate::events::deliver;
use crate::master::calls::terminal;
use crate::master::launch::executor_launch;
use crate::registry::{ExecutorStream, executor_key};
use crate::schema::EXECUTOR_CALL;

#[derive(Clone)]
pub struct AgentContext {
    pub index: usize,
    pub shared: Arc<Shared>,
}

pub async fn executor(
    State(agent): State<AgentContext>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refusal) = call_body::post_only(&method) {
        return refusal.into_response();
    }
    let call: Call = match call_body::decode(&headers, &body, &EXECUTOR_CALL) {
        Ok((call, _)) => call,
        Err(refusal) => return refusal.into_response(),
    };
    if let Err(error) = validate_call(&call) {
        return text(
            StatusCode::BAD_REQUEST,
            format!("Failed to validate Executor::Call: {error}"),
        );
    }
    let kind = call
        .r#type
        .and_then(|t| call::Type::try_from(t).ok())
        .unwrap_or(call::Type::Unknown);
    let mut encoding = Encoding::Json;
    match kind {
        call::Type::Subscribe => match call_body::stream_encoding(&headers) {
            Ok(accepted) => encoding = accepted,
            Err(refusal) => return refusal.into_response(),
        },
        call::Type::Heartbeat => return StatusCode::ACCEPTED.into_response(),
        _ => {}
    }
    let key = executor_key(&call.framework_id.value, &call.executor_id.value);
    if let Err(refusal) = known_executor(&agent, &call, &key, kind) {
        return refusal.into_response();
    }
    match kind {
        call::Type::Subscribe => subscribe(&agent, &key, call, encoding),
        call::Type::Update => {
            if let Some(update) = call.update {
                take_update(&agent.shared, agent.index, &key, update.status);
            }
            StatusCode::ACCEPTED.into_response()
        }
        call::Type::Message => StatusCode::ACCEPTED.into_response(),
        _ => text(StatusCode::NOT_IMPLEMENTED, "501 Not Implemented."),
    }
}

/// The framework and executor lookups of `Http::executor`, and its check
/// that only SUBSCRIBE comes from an executor that has not subscribed.
fn known_executor(
    agent: &AgentContext,
    call: &Call,
    key: &str,
    kind: call::Type,
) -> Result<(), Refusal> {
    let registry = agent.shared.registry();
    let executors = &registry.agents[agent.index].executors;
    let framework_known = executors
        .values()
        .any(|run| run.framework_id == call.framework_id.value);
    if !framework_known {
        return Err(Refusal(
            StatusCode::BAD_REQUEST,
            "Framework cannot be found".into(),
        ));
    }
    let Some(run) = executors.get(key) else {
        return Err(Refusal(
            StatusCode::BAD_REQUEST,
            "Executor cannot be found".into(),
        ));
    };
    if run.stream.is_none() && kind != call::Type::Subscribe {
        return Err(Refusal(
            StatusCode::FORBIDDEN,
            "Executor is not subscribed".into(),
        ));
    }
    Ok(())
}

fn subscribe(agent: &AgentContext, key: &str, call: Call, encoding: Encoding) -> Response {
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel::<bytes::Bytes>();
    let stream = ExecutorStream { sender, encoding };
    let replay = call
        .subscribe
        .map(|s| s.unacknowledged_updates)
        .unwrap_or_default();
    {
        let mut registry = agent.shared.registry();
        let a = &registry.agents[agent.index];
        let agent_info = AgentInfo {
            hostname: a.hostname.clone(),
            port: Some(i32::from(a.port)),
            id: Some(AgentId {
                value: a.id.clone(),
            }),
            ..Default::default()
        };
        let Some(run) = registry.agents[agent.index].executors.get(key) else {
            return text(
                StatusCode::BAD_REQUEST,
                format!("Executor {key} is not known to this agent"),
            );
        };
        let framework_id = run.framework_id.clone();
        let framework_info = registry
            .frameworks
            .get(&framework_id)
            .map(|f| f.info.clone())
            .unwrap_or_default();
        let Some(run) = registry.agents[agent.index].executors.get_mut(key) else {
            unreachable!()
        };
        let subscribed = Event {
            r#type: Some(event::Type::Subscribed as i32),
            subscribed: Some(event::Subscribed {
                executor_info: run.info.clone(),
                framework_info,
                agent_info,
                container_id: None,
            }),
            ..Default::default()
        };
        stream.send(&subscribed);
        if run.shutting_down {
            // Its framework was shut down while it started.
            stream.send(&crate::agent::launcher::shutdown_event());
        }
        for task in run.queued.drain(..) {
            stream.send(&executor_launch(&task));
        }
        run.stream = Some(stream);
    }
    // Listed updates are handled as if sent again by UPDATE: forwarded
    // unless already known, and acknowledged on the new stream.
    for update in replay {
        take_update(&agent.shared, agent.index, key, update.status);
    }
    let mut response = Response::new(Body::from_stream(
        UnboundedReceiverStream::new(receiver).map(Ok::<_, std::convert::Infallible>),
    ));
    if let Ok(value) = HeaderValue::from_str(encoding.media_type()) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

/// An executor's status update: recorded, forwarded reliably to the
/// framework, and acknowledged to the executor.
fn take_update(shared: &Shared, agent: usize, key: &str, mut status: TaskStatus) {
    let mut registry = shared.registry();
    if !registry.agents[agent].alive {
        // Cut off from the master: nothing is forwarded or acknowledged, so
        // the executor keeps the update and sends it again on re-subscribing.
        return;
    }
    let agent_id = registry.agents[agent].id.clone();
    let Some(run) = registry.agents[agent].executors.get(key) else {
        return;
    };
    let (framework_id, stream) = (run.framework_id.clone(), run.stream.clone());
    status.agent_id = Some(AgentId { value: agent_id });
    let mut released = (0.0, 0.0);
    if let Some(framework) = registry.frameworks.get_mut(&framework_id) {
        if let Some(task) = framework.tasks.get_mut(&status.task_id.value) {
            if !terminal(task.state) && terminal(status.state) {
                released = (task.cpus, task.mem);
            }
            task.set_state(status.state);
        }
        let already = status.uuid.is_some()
            && framework
                .unacknowledged
                .iter()
                .any(|p| p.status.uuid == status.uuid);
        if !already {
            deliver(framework, status.clone());
        }
    }
    let a = &mut registry.agents[agent];
    a.used_cpus -= released.0;
    a.used_mem -= released.1;
    if let (Some(stream), Some(uuid)) = (stream, status.uuid) {
        let ack = Event {
            r#type: Some(event::Type::Acknowledged as i32),
            acknowledged: Some(event::Acknowledged {
                task_id: status.task_id,
                uuid,
            }),
            ..Default::default()
        };
        stream.send(&ack);
    }
}
