//! The simulated masters refuse scheduler calls as Mesos 1.12 does: the
//! status codes and texts of `Master::Http::scheduler`, the checks of
//! `validation::scheduler::call::validate`, the SUBSCRIBE refusals sent as
//! an ERROR event, and the status updates an invalid ACCEPT gets (see
//! `master::validation` and `master::task_validation` for the list).

mod support;

use base64::Engine;
use reqwest::Method;
use rmesos_common::wire::codec::Encoding;
use rmesos_common::wire::scheduler::event;
use rmesos_common::wire::v1::{self, TaskState, task_status};
use rmesos_mesos_sim::zookeeper::ZooKeeperServer;
use serde_json::{Value, json};
use support::executor::*;
use support::raw::{assert_refused, post_json, request};
use support::*;

const VALIDATE: &str = "Failed to validate scheduler::Call: ";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn framework_info() -> Value {
    json!({"user": "tester", "name": "validation", "failover_timeout": 3600.0})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_method_media_types_and_bodies_are_checked_in_mesos_order() {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = cluster(&zk, "/val-http", |c| c.masters = 2).await;
    let leader = sim.leader_index().await.unwrap();
    let urls = sim.master_urls();
    let api = |i: usize| format!("{}/api/v1/scheduler", urls[i]);
    let (leading, other) = (api(leader), api(1 - leader));

    // Leadership comes before the method: a GET to a non-leader is redirected.
    let get = request(Method::GET, &other, &[], vec![]).await;
    assert_eq!(get.status, 307, "{get:?}");
    let port = urls[leader].rsplit(':').next().unwrap();
    assert_eq!(
        get.location.unwrap(),
        format!("//127.0.0.1:{port}/master/api/v1/scheduler")
    );
    let get = request(Method::GET, &leading, &[], vec![]).await;
    assert_refused(
        &get,
        405,
        "405 Method Not Allowed. Expecting one of { 'POST' }, but received 'GET'.",
    );
    assert_eq!(get.allow.as_deref(), Some("POST"));

    let none = request(Method::POST, &leading, &[], b"{}".to_vec()).await;
    assert_refused(&none, 400, "Expecting 'Content-Type' to be present");
    let expecting = "Expecting 'Content-Type' of application/json or application/x-protobuf";
    for media in ["text/plain", "application/json; charset=utf-8"] {
        let answer = request(
            Method::POST,
            &leading,
            &[("Content-Type", media)],
            b"{}".into(),
        )
        .await;
        assert_refused(&answer, 415, expecting);
    }
    let protobuf = [("Content-Type", "application/x-protobuf")];
    let garbage = request(Method::POST, &leading, &protobuf, vec![0xff, 0xff, 0xff]).await;
    assert_refused(&garbage, 400, "Failed to parse body into Call protobuf");
    // SUBSCRIBE (type 1) whose framework_info lacks user and name.
    let partial = request(
        Method::POST,
        &leading,
        &protobuf,
        vec![0x10, 0x01, 0x1a, 0x02, 0x0a, 0x00],
    )
    .await;
    assert_refused(&partial, 400, "Failed to parse body into Call protobuf");

    let json_type = [("Content-Type", "application/json")];
    let bad_json = request(Method::POST, &leading, &json_type, b"{".to_vec()).await;
    assert_eq!(bad_json.status, 400);
    assert!(
        bad_json
            .text
            .starts_with("Failed to parse body into JSON: "),
        "{bad_json:?}"
    );
    let convert = "Failed to convert JSON into Call protobuf: ";
    let list = post_json(&leading, &json!([1]), &[]).await;
    assert_refused(&list, 400, &format!("{convert}Expecting a JSON object"));
    let unknown = post_json(&leading, &json!({"type": "NOPE"}), &[]).await;
    assert_refused(
        &unknown,
        400,
        &format!("{convert}Failed to find enum for 'NOPE'"),
    );
    let missing = json!({"type": "SUBSCRIBE", "subscribe": {"framework_info": {"name": "x"}}});
    assert_refused(
        &post_json(&leading, &missing, &[]).await,
        400,
        &format!("{convert}Missing required fields: subscribe.framework_info.user"),
    );
    let ack = json!({"type": "ACKNOWLEDGE", "framework_id": {"value": "f"}, "acknowledge": {}});
    assert_refused(
        &post_json(&leading, &ack, &[]).await,
        400,
        &format!(
            "{convert}Missing required fields: acknowledge.agent_id, acknowledge.task_id, acknowledge.uuid"
        ),
    );

    // Accept: JSON unless only protobuf is allowed; 406 when neither is.
    let subscribe = json!({"type": "SUBSCRIBE", "subscribe": {"framework_info": framework_info()}});
    let html = post_json(&leading, &subscribe, &[("Accept", "text/html")]).await;
    assert_refused(
        &html,
        406,
        "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'",
    );
    let with_id = post_json(&leading, &subscribe, &[("Mesos-Stream-Id", "x")]).await;
    assert_refused(
        &with_id,
        400,
        "Subscribe calls should not include the 'Mesos-Stream-Id' header",
    );
    let call = subscribe_call(None);
    let body = Encoding::Protobuf.encode(&call).unwrap();
    let no_accept = request(Method::POST, &leading, &protobuf, body.clone()).await;
    assert_eq!(no_accept.status, 200, "{no_accept:?}");
    assert_eq!(no_accept.content_type.as_deref(), Some("application/json"));
    let mut only_protobuf = protobuf.to_vec();
    only_protobuf.push(("Accept", "application/x-protobuf"));
    let answer = request(Method::POST, &leading, &only_protobuf, body).await;
    assert_eq!(
        answer.content_type.as_deref(),
        Some("application/x-protobuf")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_are_validated_then_matched_to_a_subscribed_framework() {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = cluster(&zk, "/val-calls", |c| c.masters = 1).await;
    let url = sim.leader_url().unwrap();
    let api = format!("{url}/api/v1/scheduler");
    let mut stream = subscribe(&url, None, Encoding::Json).await;
    let fid = framework_id(&stream.next().await.unwrap());
    let sid = stream.stream_id.clone();
    let with_sid = [("Mesos-Stream-Id", sid.as_str())];
    let refused = |call: Value, why: &str| {
        let api = api.clone();
        let why = format!("{VALIDATE}{why}");
        async move { assert_refused(&post_json(&api, &call, &with_sid).await, 400, &why) }
    };
    let id = json!({"value": fid});
    refused(
        json!({"framework_id": id}),
        "Expecting 'type' to be present",
    )
    .await;
    refused(
        json!({"type": "SUBSCRIBE"}),
        "Expecting 'subscribe' to be present",
    )
    .await;
    let mut info = framework_info();
    info["id"] = json!({"value": "other"});
    refused(
        json!({"type": "SUBSCRIBE", "framework_id": id, "subscribe": {"framework_info": info}}),
        "'framework_id' differs from 'subscribe.framework_info.id'",
    )
    .await;
    refused(
        json!({"type": "SUBSCRIBE", "framework_id": id, "subscribe": {"framework_info": framework_info()}}),
        "'framework_id' differs from 'subscribe.framework_info.id'",
    )
    .await;
    refused(
        json!({"type": "REVIVE"}),
        "Expecting 'framework_id' to be present",
    )
    .await;
    for (kind, field) in [
        ("ACCEPT", "accept"),
        ("DECLINE", "decline"),
        ("KILL", "kill"),
        ("SHUTDOWN", "shutdown"),
        ("ACKNOWLEDGE", "acknowledge"),
        ("RECONCILE", "reconcile"),
        ("MESSAGE", "message"),
        ("REQUEST", "request"),
    ] {
        let why = format!("Expecting '{field}' to be present");
        refused(json!({"type": kind, "framework_id": id}), &why).await;
    }
    let mut version_0 = *uuid::Uuid::new_v4().as_bytes();
    version_0[6] &= 0x0f;
    for uuid in [version_0.to_vec(), vec![0x40; 15]] {
        let ack = json!({"type": "ACKNOWLEDGE", "framework_id": id, "acknowledge": {
            "agent_id": {"value": "a"}, "task_id": {"value": "t"}, "uuid": b64(&uuid)}});
        refused(ack, "Not a valid UUID").await;
    }

    let revive = |fid: &str| json!({"type": "REVIVE", "framework_id": {"value": fid}});
    assert_refused(
        &post_json(&api, &revive("nobody"), &with_sid).await,
        400,
        "Framework cannot be found",
    );
    assert_refused(
        &post_json(&api, &revive(&fid), &[]).await,
        400,
        "All non-subscribe calls should include the 'Mesos-Stream-Id' header",
    );
    assert_refused(
        &post_json(&api, &revive(&fid), &[("Mesos-Stream-Id", "not-it")]).await,
        400,
        &format!(
            "The stream ID 'not-it' included in this request didn't match the stream ID currently associated with framework ID {fid}"
        ),
    );
    let unknown = json!({"type": "UNKNOWN", "framework_id": id});
    assert_refused(
        &post_json(&api, &unknown, &with_sid).await,
        501,
        "501 Not Implemented.",
    );
    assert_eq!(post_json(&api, &revive(&fid), &with_sid).await.status, 202);
    let good = json!({"type": "ACKNOWLEDGE", "framework_id": id, "acknowledge": {
        "agent_id": {"value": "a"}, "task_id": {"value": "t"},
        "uuid": b64(uuid::Uuid::new_v4().as_bytes())}});
    assert_eq!(post_json(&api, &good, &with_sid).await.status, 202);

    // A disconnected framework (within its failover timeout) is known but
    // not subscribed.
    stream.next_of(event::Type::Offers).await;
    drop(stream);
    sim.wait_until("the disconnection", DEADLINE, |s| {
        s.frameworks.iter().any(|f| f.id == fid && !f.connected)
    })
    .await
    .unwrap();
    assert_refused(
        &post_json(&api, &revive(&fid), &with_sid).await,
        403,
        "Framework is not subscribed",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_mesos_refuses_get_an_error_event() {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = cluster(&zk, "/val-sub", |c| c.masters = 1).await;
    let url = sim.leader_url().unwrap();
    let refusal = |tweak: fn(&mut v1::FrameworkInfo, &mut Vec<String>)| {
        let url = url.clone();
        async move {
            let mut call = subscribe_call(None);
            let subscribe = call.subscribe.as_mut().unwrap();
            tweak(
                &mut subscribe.framework_info,
                &mut subscribe.suppressed_roles,
            );
            call.framework_id = subscribe.framework_info.id.clone();
            refused_subscription(&url, &call, Encoding::Json).await
        }
    };
    assert_eq!(
        refusal(|info, _| info.roles = vec!["a".into()]).await,
        "'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable"
    );
    assert_eq!(
        refusal(|info, _| info.role = Some("/a".into())).await,
        "'FrameworkInfo.role' is not a valid role: Role '/a' cannot start with a slash"
    );
    assert_eq!(
        refusal(|_, suppressed| suppressed.push("other".into())).await,
        "Suppressed roles { other } are not contained in the set of roles"
    );
    assert_eq!(
        refusal(|info, _| info.id = Some(v1::FrameworkId {
            value: "a/b".into()
        }))
        .await,
        "'a/b' contains invalid characters"
    );

    let mut stream = subscribe(&url, None, Encoding::Json).await;
    let fid = framework_id(&stream.next().await.unwrap());
    let mut again = subscribe_call(Some(&fid));
    again.subscribe.as_mut().unwrap().framework_info.principal = Some("someone-else".into());
    assert_eq!(
        refused_subscription(&url, &again, Encoding::Json).await,
        "Changing framework's principal is not allowed."
    );
    let mut again = subscribe_call(Some(&fid));
    again.subscribe.as_mut().unwrap().framework_info.user = "tester".into();
    assert_eq!(
        refused_subscription(&url, &again, Encoding::Json).await,
        "Updating 'FrameworkInfo.user' is unsupported; attempted to update from 'root' to 'tester'"
    );
    // The refusals left the framework subscribed on its first stream.
    let offers = stream.next_of(event::Type::Offers).await;
    assert!(offers.offers.is_some());
}

/// The call with `refuse_seconds: 0`: what it leaves is offered again at
/// the next allocation.
fn unfiltered(
    mut call: rmesos_common::wire::scheduler::Call,
) -> rmesos_common::wire::scheduler::Call {
    if let Some(accept) = call.accept.as_mut() {
        accept.filters = Some(v1::Filters {
            refuse_seconds: Some(0.0),
        });
    }
    call
}

/// The next status update about `task`: (state, reason, source, message,
/// has uuid).
async fn outcome(stream: &mut Stream, task: &str) -> (i32, Option<i32>, Option<i32>, String, bool) {
    loop {
        let status = stream.next_status().await;
        if status.task_id.value == task {
            let message = status.message.clone().unwrap_or_default();
            return (
                status.state,
                status.reason,
                status.source,
                message,
                status.uuid.is_some(),
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_offers_and_tasks_get_updates_from_the_master() {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = cluster(&zk, "/val-accept", |c| {
        c.masters = 1;
        c.agents = 1;
    })
    .await;
    let uri = serve_executor().await;
    let url = sim.leader_url().unwrap();
    let mut stream = subscribe(&url, None, Encoding::Protobuf).await;
    let fid = framework_id(&stream.next().await.unwrap());
    let master = Some(task_status::Source::Master as i32);
    let lost = TaskState::TaskLost as i32;
    let error = TaskState::TaskError as i32;
    let invalid_offers = Some(task_status::Reason::InvalidOffers as i32);
    let task_invalid = Some(task_status::Reason::TaskInvalid as i32);

    let offer = stream.next_offer().await;
    let mut gone = offer.clone();
    gone.id.value = "no-such-offer".into();
    call_ok(
        &url,
        &stream,
        &launch_call(&fid, &gone, vec![task("l1", &offer, &uri, b"x")]),
    )
    .await;
    assert_eq!(
        outcome(&mut stream, "l1").await,
        (
            lost,
            invalid_offers,
            master,
            "Task launched with invalid offers: Offer no-such-offer is no longer valid".into(),
            false
        )
    );
    let mut twice = launch_call(&fid, &offer, vec![task("l2", &offer, &uri, b"x")]);
    twice
        .accept
        .as_mut()
        .unwrap()
        .offer_ids
        .push(offer.id.clone());
    call_ok(&url, &stream, &twice).await;
    let duplicate = format!(
        "Task launched with invalid offers: Duplicate offer {} in offer list",
        offer.id.value
    );
    assert_eq!(
        outcome(&mut stream, "l2").await,
        (lost, invalid_offers, master, duplicate, false)
    );

    // Each task on its own: the valid one runs, the others get TASK_ERROR.
    let offer = stream.next_offer().await;
    let mut no_resources = task("e1", &offer, &uri, b"x");
    no_resources.resources.clear();
    let mut both = task("e2", &offer, &uri, b"x");
    both.command = Some(v1::CommandInfo {
        value: Some("true".into()),
        ..Default::default()
    });
    let mut elsewhere = task("e3", &offer, &uri, b"x");
    elsewhere.agent_id.value = "another-agent".into();
    let mut huge = task("e4", &offer, &uri, b"x");
    huge.resources[0].scalar = Some(v1::value::Scalar { value: 1000.0 });
    let mut no_command = task("e5", &offer, &uri, b"x");
    no_command.executor.as_mut().unwrap().command = None;
    let mut foreign = task("e6", &offer, &uri, b"x");
    foreign.executor.as_mut().unwrap().framework_id = Some(v1::FrameworkId {
        value: "other".into(),
    });
    let good = task("ok", &offer, &uri, b"hang");
    let again = task("ok", &offer, &uri, b"x");
    let tasks = vec![
        no_resources,
        both,
        elsewhere,
        huge,
        no_command,
        foreign,
        good,
        again,
    ];
    call_ok(&url, &stream, &unfiltered(launch_call(&fid, &offer, tasks))).await;
    let agent = &offer.agent_id.value;
    let expected = [
        ("e1", "Task uses no resources".to_owned()),
        (
            "e2",
            "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present"
                .into(),
        ),
        (
            "e3",
            format!("Task uses invalid agent another-agent while agent {agent} is expected"),
        ),
        ("e4", String::new()),
        (
            "e5",
            "'ExecutorInfo.command' must be set for 'CUSTOM' executor".into(),
        ),
        (
            "e6",
            format!("ExecutorInfo has an invalid FrameworkID (Actual: other vs Expected: {fid})"),
        ),
    ];
    for (id, message) in expected {
        let (state, reason, source, text, uuid) = outcome(&mut stream, id).await;
        assert_eq!(
            (state, reason, source, uuid),
            (error, task_invalid, master, false),
            "{id}"
        );
        if id == "e4" {
            assert!(
                text.starts_with("Total resources cpus(allocated: *):1000")
                    && text.contains("required by task and its executor is more than available"),
                "{text}"
            );
        } else {
            assert_eq!(text, message, "{id}");
        }
    }
    // A second task with the id of one just launched.
    assert_eq!(
        outcome(&mut stream, "ok").await,
        (
            error,
            task_invalid,
            master,
            "Task has duplicate ID: ok".into(),
            false
        )
    );
    let running = next_update(&url, &mut stream, &fid, "ok").await;
    assert_eq!(running.state, TaskState::TaskRunning as i32);
}
