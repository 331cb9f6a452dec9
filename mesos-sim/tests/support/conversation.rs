//! One scripted conversation with a Mesos cluster, simulated or real:
//! refused requests (method, media type, bodies, a non-leader, stream
//! ids), SUBSCRIBE in JSON and protobuf, a custom executor fetched over
//! HTTP, executor UPDATEs with a bad and a good uuid, ACKNOWLEDGE,
//! RECONCILE, DECLINE with a filter, REVIVE, KILL and TEARDOWN. Each step
//! is written down (status code, event types, task states, texts) with
//! cluster-specific ids and ports replaced, so that two transcripts can
//! be compared line by line.

use base64::Engine;
use reqwest::Method;
use rmesos_common::wire::codec::Encoding;
use rmesos_common::wire::scheduler::{Call, call, event};
use rmesos_common::wire::v1::{self, TaskState, task_status};
use serde_json::json;

use super::executor::{next_update, task};
use super::raw::{post_json, request};
use super::*;

/// Where the cluster answers.
pub struct Endpoints {
    /// Every master's `http://host:port`.
    pub masters: Vec<String>,
    /// Index of the leading master.
    pub leader: usize,
    /// The one agent's `http://host:port`.
    pub agent: String,
    /// The URL of the test executor script.
    pub executor_uri: String,
    /// `FrameworkInfo.user`: an OS user that exists on the agent.
    pub user: String,
}

/// What one step saw.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub name: &'static str,
    pub status: u16,
    pub detail: String,
}

/// Runs the conversation; the transcript, one entry per step.
pub async fn converse(endpoints: &Endpoints) -> Vec<Step> {
    let mut steps = Vec::new();
    refusals(endpoints, &mut steps).await;
    let (mut stream, fid) = subscriptions(endpoints, &mut steps).await;
    task_life(endpoints, &mut stream, &fid, &mut steps).await;
    let normalize = |s: &str| s.replace(&fid, "FID");
    for step in &mut steps {
        step.detail = normalize(&step.detail);
    }
    steps
}

fn leader_url(e: &Endpoints) -> String {
    e.masters[e.leader].clone()
}

async fn refusals(e: &Endpoints, steps: &mut Vec<Step>) {
    let api = format!("{}/api/v1/scheduler", leader_url(e));
    let answer = request(Method::GET, &api, &[], vec![]).await;
    steps.push(Step {
        name: "GET",
        status: answer.status,
        detail: answer.text,
    });
    let plain = [("Content-Type", "text/plain")];
    let answer = request(Method::POST, &api, &plain, b"{}".to_vec()).await;
    steps.push(Step {
        name: "wrong Content-Type",
        status: answer.status,
        detail: answer.text,
    });
    let protobuf = [("Content-Type", "application/x-protobuf")];
    let answer = request(Method::POST, &api, &protobuf, vec![0xff, 0xff, 0xff]).await;
    steps.push(Step {
        name: "malformed protobuf",
        status: answer.status,
        detail: answer.text,
    });
    let json_type = [("Content-Type", "application/json")];
    let answer = request(Method::POST, &api, &json_type, b"{".to_vec()).await;
    // The JSON parsers' own words differ; Mesos' prefix does not.
    let prefix = answer.text.split(':').next().unwrap_or_default().to_owned();
    steps.push(Step {
        name: "malformed JSON",
        status: answer.status,
        detail: prefix,
    });
    let user = json!({"user": e.user, "name": "conformance"});
    let no_type = json!({"subscribe": {"framework_info": user}});
    let answer = post_json(&api, &no_type, &[]).await;
    steps.push(Step {
        name: "call without type",
        status: answer.status,
        detail: answer.text,
    });
    let other = (e.leader + 1) % e.masters.len();
    let subscribe = json!({"type": "SUBSCRIBE", "subscribe": {"framework_info": user}});
    let other_api = format!("{}/api/v1/scheduler", e.masters[other]);
    let answer = post_json(&other_api, &subscribe, &[]).await;
    let leader_host = leader_url(e).trim_start_matches("http:").to_owned();
    let location = answer
        .location
        .unwrap_or_default()
        .replace(&leader_host, "//LEADER");
    steps.push(Step {
        name: "SUBSCRIBE to a non-leader",
        status: answer.status,
        detail: location,
    });
}

fn subscribe_as(user: &str, id: Option<&str>) -> Call {
    let mut call = subscribe_call(id);
    if let Some(subscribe) = call.subscribe.as_mut() {
        subscribe.framework_info.user = user.into();
        subscribe.framework_info.principal = None;
    }
    call
}

/// A protobuf framework that subscribes and tears down; then the JSON
/// framework the rest of the conversation uses, and its stream-id checks.
async fn subscriptions(e: &Endpoints, steps: &mut Vec<Step>) -> (Stream, String) {
    let url = leader_url(e);
    let mut proto = subscribe_with(&url, &subscribe_as(&e.user, None), Encoding::Protobuf).await;
    let first = proto.next().await.expect("an event");
    steps.push(Step {
        name: "SUBSCRIBE in protobuf",
        status: 200,
        detail: event_name(&first),
    });
    let teardown = simple_call(call::Type::Teardown, &framework_id(&first));
    let answer = post(
        &url,
        &teardown,
        Encoding::Protobuf,
        Some(&proto.stream_id),
        None,
    )
    .await;
    steps.push(Step {
        name: "TEARDOWN (protobuf framework)",
        status: answer.status().as_u16(),
        detail: String::new(),
    });

    let mut stream = subscribe_with(&url, &subscribe_as(&e.user, None), Encoding::Json).await;
    let first = stream.next().await.expect("an event");
    steps.push(Step {
        name: "SUBSCRIBE in JSON",
        status: 200,
        detail: event_name(&first),
    });
    let fid = framework_id(&first);
    let revive = json!({"type": "REVIVE", "framework_id": {"value": fid}});
    let api = format!("{url}/api/v1/scheduler");
    let answer = post_json(&api, &revive, &[]).await;
    steps.push(Step {
        name: "REVIVE without a stream id",
        status: answer.status,
        detail: answer.text,
    });
    let answer = post_json(&api, &revive, &[("Mesos-Stream-Id", "not-it")]).await;
    steps.push(Step {
        name: "REVIVE with a wrong stream id",
        status: answer.status,
        detail: answer.text,
    });
    (stream, fid)
}

fn event_name(event: &rmesos_common::wire::scheduler::Event) -> String {
    event
        .r#type
        .and_then(|t| event::Type::try_from(t).ok())
        .map_or("?".into(), |t| t.as_str_name().to_owned())
}

fn state_name(state: i32) -> String {
    TaskState::try_from(state).map_or("?".into(), |s| s.as_str_name().to_owned())
}

async fn task_life(e: &Endpoints, stream: &mut Stream, fid: &str, steps: &mut Vec<Step>) {
    let url = leader_url(e);
    let offer = stream.next_offer().await;
    steps.push(Step {
        name: "first OFFERS",
        status: 200,
        detail: "OFFERS".into(),
    });
    let mut accept = launch_call(
        fid,
        &offer,
        vec![task("hold", &offer, &e.executor_uri, b"hang")],
    );
    if let Some(a) = accept.accept.as_mut() {
        a.filters = Some(v1::Filters {
            refuse_seconds: Some(0.0),
        });
    }
    let answer = post(&url, &accept, Encoding::Json, Some(&stream.stream_id), None).await;
    steps.push(Step {
        name: "ACCEPT with LAUNCH",
        status: answer.status().as_u16(),
        detail: String::new(),
    });
    let running = next_update(&url, stream, fid, "hold").await;
    steps.push(Step {
        name: "the executor's first update",
        status: 200,
        detail: state_name(running.state),
    });
    executor_calls(e, stream, fid, steps).await;
    acknowledge_and_reconcile(e, stream, fid, &offer, steps).await;
    offers_and_teardown(e, stream, fid, steps).await;
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn executor_calls(e: &Endpoints, stream: &mut Stream, fid: &str, steps: &mut Vec<Step>) {
    let api = format!("{}/api/v1/executor", e.agent);
    let update = |uuid: &[u8]| {
        json!({"type": "UPDATE", "framework_id": {"value": fid},
               "executor_id": {"value": "test-executor"}, "update": {"status": {
                   "task_id": {"value": "hold"}, "state": "TASK_RUNNING",
                   "source": "SOURCE_EXECUTOR", "message": "by hand", "uuid": b64(uuid)}}})
    };
    let mut random = *uuid::Uuid::new_v4().as_bytes();
    random[6] &= 0x0f;
    let answer = post_json(&api, &update(&random), &[]).await;
    steps.push(Step {
        name: "executor UPDATE, bad uuid",
        status: answer.status,
        detail: answer.text,
    });
    let answer = post_json(&api, &update(uuid::Uuid::new_v4().as_bytes()), &[]).await;
    steps.push(Step {
        name: "executor UPDATE, good uuid",
        status: answer.status,
        detail: answer.text,
    });
    let status = next_update(&leader_url(e), stream, fid, "hold").await;
    let detail = format!(
        "{} {}",
        state_name(status.state),
        status.message.unwrap_or_default()
    );
    steps.push(Step {
        name: "its update reaches the framework",
        status: 200,
        detail,
    });
}

async fn acknowledge_and_reconcile(
    e: &Endpoints,
    stream: &mut Stream,
    fid: &str,
    offer: &v1::Offer,
    steps: &mut Vec<Step>,
) {
    let url = leader_url(e);
    let bad_ack = Call {
        acknowledge: Some(call::Acknowledge {
            agent_id: offer.agent_id.clone(),
            task_id: v1::TaskId {
                value: "hold".into(),
            },
            uuid: vec![7; 16],
        }),
        ..simple_call(call::Type::Acknowledge, fid)
    };
    let answer = post(
        &url,
        &bad_ack,
        Encoding::Json,
        Some(&stream.stream_id),
        None,
    )
    .await;
    let status = answer.status().as_u16();
    steps.push(Step {
        name: "ACKNOWLEDGE, bad uuid",
        status,
        detail: answer.text().await.unwrap_or_default(),
    });
    let reconcile = Call {
        reconcile: Some(call::Reconcile {
            tasks: vec![call::reconcile::Task {
                task_id: v1::TaskId {
                    value: "hold".into(),
                },
                agent_id: None,
            }],
        }),
        ..simple_call(call::Type::Reconcile, fid)
    };
    let answer = post(
        &url,
        &reconcile,
        Encoding::Json,
        Some(&stream.stream_id),
        None,
    )
    .await;
    steps.push(Step {
        name: "RECONCILE",
        status: answer.status().as_u16(),
        detail: String::new(),
    });
    let status = next_update(&url, stream, fid, "hold").await;
    let reason = status
        .reason
        .and_then(|r| task_status::Reason::try_from(r).ok())
        .map_or("-", |r| r.as_str_name());
    let detail = format!(
        "{} {reason} uuid:{}",
        state_name(status.state),
        status.uuid.is_some()
    );
    steps.push(Step {
        name: "its reconciliation update",
        status: 200,
        detail,
    });
}

async fn offers_and_teardown(e: &Endpoints, stream: &mut Stream, fid: &str, steps: &mut Vec<Step>) {
    let url = leader_url(e);
    let sid = stream.stream_id.clone();
    let offer = stream.next_offer().await;
    let decline = Call {
        decline: Some(call::Decline {
            offer_ids: vec![offer.id.clone()],
            filters: Some(v1::Filters {
                refuse_seconds: Some(3600.0),
            }),
        }),
        ..simple_call(call::Type::Decline, fid)
    };
    let answer = post(&url, &decline, Encoding::Json, Some(&sid), None).await;
    steps.push(Step {
        name: "DECLINE with a filter",
        status: answer.status().as_u16(),
        detail: String::new(),
    });
    let answer = post(
        &url,
        &simple_call(call::Type::Revive, fid),
        Encoding::Json,
        Some(&sid),
        None,
    )
    .await;
    steps.push(Step {
        name: "REVIVE",
        status: answer.status().as_u16(),
        detail: String::new(),
    });
    stream.next_of(event::Type::Offers).await;
    steps.push(Step {
        name: "offers again after REVIVE",
        status: 200,
        detail: "OFFERS".into(),
    });
    let kill = Call {
        kill: Some(call::Kill {
            task_id: v1::TaskId {
                value: "hold".into(),
            },
            agent_id: None,
            kill_policy: None,
        }),
        ..simple_call(call::Type::Kill, fid)
    };
    let answer = post(&url, &kill, Encoding::Json, Some(&sid), None).await;
    steps.push(Step {
        name: "KILL",
        status: answer.status().as_u16(),
        detail: String::new(),
    });
    let killed = next_update(&url, stream, fid, "hold").await;
    steps.push(Step {
        name: "its kill update",
        status: 200,
        detail: state_name(killed.state),
    });
    let answer = post(
        &url,
        &simple_call(call::Type::Teardown, fid),
        Encoding::Json,
        Some(&sid),
        None,
    )
    .await;
    steps.push(Step {
        name: "TEARDOWN",
        status: answer.status().as_u16(),
        detail: String::new(),
    });
    let revive = simple_call(call::Type::Revive, fid);
    let answer = post(&url, &revive, Encoding::Json, Some(&sid), None).await;
    let status = answer.status().as_u16();
    steps.push(Step {
        name: "a call after TEARDOWN",
        status,
        detail: answer.text().await.unwrap_or_default(),
    });
}
