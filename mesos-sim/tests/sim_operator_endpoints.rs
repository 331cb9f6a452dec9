//! The operator endpoints, read over HTTP as an operator's tools read
//! them: `/master/state` and `/master/frameworks` (a non-leading master
//! redirects to the leader) list subscribed and failed-over frameworks
//! under `frameworks` and torn-down ones under `completed_frameworks`;
//! `/slave(1)/state` shows a torn-down framework's executors ending, also
//! one that was still being fetched when the teardown came. As in Mesos,
//! the master shows each executor's command with the fetcher's URIs, the
//! agent does not, and neither shows a task's data.

mod support;

use std::sync::Arc;

use rmesos_common::wire::codec::Encoding;
use rmesos_common::wire::scheduler::call;
use rmesos_common::wire::v1::TaskState;
use rmesos_mesos_sim::SimCluster;
use rmesos_mesos_sim::zookeeper::ZooKeeperServer;
use serde_json::Value;
use support::executor::*;
use support::*;

async fn get_json(url: &str) -> Value {
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    response.json().await.unwrap()
}

/// The entry of `list` (a JSON array of objects) whose `id` is `id`.
fn find<'a>(list: &'a Value, id: &str) -> Option<&'a Value> {
    list.as_array()?.iter().find(|entry| entry["id"] == id)
}

/// The agent's `/slave(1)/state`, found through the master's `slaves`
/// list as operator tools find it (its `pid` holds the address).
async fn agent_state(master_url: &str, index: usize) -> Value {
    let state = get_json(&format!("{master_url}/master/state")).await;
    let pid = state["slaves"][index]["pid"].as_str().unwrap().to_owned();
    let address = pid.split_once('@').unwrap().1;
    get_json(&format!("http://{address}/slave(1)/state")).await
}

/// Polls the agent's state until `done` holds of it, or fails after
/// `DEADLINE` showing the last state.
async fn wait_for_agent(
    master_url: &str,
    index: usize,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let state = agent_state(master_url, index).await;
        if done(&state) {
            return state;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}; agent state: {state:#}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Whether `state` holds the tasks' data (`hang`, raw or base64).
fn shows_data(state: &Value) -> bool {
    let text = state.to_string();
    text.contains("hang") || text.contains("aGFuZw")
}

async fn one_agent(zk: &ZooKeeperServer, path: &str) -> SimCluster {
    cluster(zk, path, |c| c.agents = 1).await
}

async fn teardown(url: &str, stream: &Stream, fid: &str) {
    call_ok(url, stream, &simple_call(call::Type::Teardown, fid)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_down_framework_moves_to_completed_and_its_executor_ends() {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = one_agent(&zk, "/ops-a").await;
    let uri = serve_executor().await;
    let url = sim.leader_url().unwrap();
    let mut stream = subscribe(&url, None, Encoding::Protobuf).await;
    let fid = framework_id(&stream.next().await.unwrap());
    let offer = stream.next_offer().await;
    let call = launch_call(&fid, &offer, vec![task("t1", &offer, &uri, b"hang")]);
    call_ok(&url, &stream, &call).await;
    let running = next_update(&url, &mut stream, &fid, "t1").await;
    assert_eq!(running.state, TaskState::TaskRunning as i32);

    let state = get_json(&format!("{url}/master/state")).await;
    let active = find(&state["frameworks"], &fid).expect("listed as a framework");
    assert_eq!(active["active"], true);
    assert_eq!(active["connected"], true);
    assert_eq!(active["name"], "sim-test");
    assert_eq!(active["user"], "root");
    assert_eq!(active["principal"], "tester");
    assert_eq!(active["failover_timeout"], 3600.0);
    assert_eq!(active["tasks"][0]["id"], "t1");
    assert_eq!(active["tasks"][0]["state"], "TASK_RUNNING");
    let statuses = active["tasks"][0]["statuses"].as_array().unwrap();
    assert_eq!(statuses.last().unwrap()["state"], "TASK_RUNNING");
    assert!(statuses.last().unwrap()["timestamp"].as_f64().unwrap() > 0.0);
    assert!(active["tasks"][0]["role"].is_string());
    assert_eq!(active["executors"][0]["executor_id"], "test-executor");
    assert_eq!(active["executors"][0]["slave_id"], "sim-agent-S0");
    let command = &active["executors"][0]["command"];
    assert_eq!(command["uris"][0]["value"], uri.as_str(), "{command:#}");
    assert!(command["uris"][0]["executable"].is_boolean(), "{command:#}");
    assert!(command["value"].is_string() && command["argv"].is_array());
    assert!(!shows_data(&state), "a task's data is shown");
    assert_eq!(state["completed_frameworks"], Value::Array(vec![]));
    let agent = agent_state(&url, 0).await;
    let on_agent = find(&agent["frameworks"], &fid).expect("the agent runs it");
    assert_eq!(on_agent["executors"][0]["id"], "test-executor");
    assert_eq!(on_agent["executors"][0]["tasks"][0]["id"], "t1");
    assert!(on_agent["executors"][0].get("command").is_none());
    assert!(!shows_data(&agent), "a task's data is shown");

    teardown(&url, &stream, &fid).await;
    let state = get_json(&format!("{url}/master/state")).await;
    assert!(find(&state["frameworks"], &fid).is_none(), "{state:#}");
    let completed = find(&state["completed_frameworks"], &fid).expect("completed");
    assert_eq!(completed["active"], false);
    assert_eq!(completed["connected"], false);
    assert!(completed["unregistered_time"].as_f64().unwrap() > 0.0);
    assert_eq!(completed["executors"], Value::Array(vec![]));
    assert_eq!(completed["tasks"], Value::Array(vec![]));
    assert_eq!(completed["completed_tasks"][0]["state"], "TASK_KILLED");
    let used_cpus = state["slaves"][0]["used_resources"]["cpus"]
        .as_f64()
        .unwrap();
    // The executor's share (until it has exited, which may already be
    // done), never the killed task's.
    assert!(
        (used_cpus - 0.1).abs() < 1e-9 || used_cpus.abs() < 1e-9,
        "the executor's share only, not the killed task's: {used_cpus}"
    );

    // The executor gets SHUTDOWN and exits; the agent then lists the framework as completed.
    let agent = wait_for_agent(&url, 0, "the executor to end", |agent| {
        find(&agent["frameworks"], &fid).is_none()
            && find(&agent["completed_frameworks"], &fid).is_some()
    })
    .await;
    let ended = find(&agent["completed_frameworks"], &fid).unwrap();
    assert_eq!(ended["executors"], Value::Array(vec![]));
    assert_eq!(ended["completed_executors"][0]["id"], "test-executor");
    assert_eq!(
        ended["completed_executors"][0]["completed_tasks"][0]["id"],
        "t1"
    );
    let state = get_json(&format!("{url}/master/state")).await;
    let used_cpus = state["slaves"][0]["used_resources"]["cpus"]
        .as_f64()
        .unwrap();
    assert!(used_cpus.abs() < 1e-9, "all returned: {used_cpus}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_leading_masters_redirect_and_frameworks_can_be_selected() {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = cluster(&zk, "/ops-b", |_| {}).await;
    let leader = sim.leader_url().unwrap();
    let mut first = subscribe(&leader, None, Encoding::Protobuf).await;
    let first_id = framework_id(&first.next().await.unwrap());
    let mut second = subscribe(&leader, None, Encoding::Protobuf).await;
    let second_id = framework_id(&second.next().await.unwrap());

    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let leader_port = leader.rsplit(':').next().unwrap();
    for url in sim.master_urls().into_iter().filter(|u| *u != leader) {
        let response = no_redirects
            .get(format!("{url}/master/frameworks?framework_id={first_id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 307, "{url}");
        assert_eq!(
            response.headers()["Location"],
            format!("//127.0.0.1:{leader_port}/master/frameworks?framework_id={first_id}").as_str()
        );
        // Followed, it reaches the leader's answer.
        let selected = get_json(&format!("{url}/master/frameworks?framework_id={first_id}")).await;
        let ids: Vec<&Value> = selected["frameworks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| &f["id"])
            .collect();
        assert_eq!(ids, [&Value::from(first_id.as_str())]);
    }
    let all = get_json(&format!("{leader}/master/frameworks")).await;
    assert!(find(&all["frameworks"], &first_id).is_some());
    assert!(find(&all["frameworks"], &second_id).is_some());
    assert_eq!(all["unregistered_frameworks"], Value::Array(vec![]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disconnected_framework_stays_listed_inactive() {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = one_agent(&zk, "/ops-c").await;
    let url = sim.leader_url().unwrap();
    let mut stream = subscribe(&url, None, Encoding::Protobuf).await;
    let fid = framework_id(&stream.next().await.unwrap());
    sim.drop_subscription(&fid).await;

    // Within its failover timeout it is not completed, only inactive.
    let state = get_json(&format!("{url}/master/state")).await;
    let listed = find(&state["frameworks"], &fid).expect("still a framework");
    assert_eq!(listed["active"], false);
    assert_eq!(listed["connected"], false);
    assert!(find(&state["completed_frameworks"], &fid).is_none());

    let mut again = subscribe(&url, Some(&fid), Encoding::Protobuf).await;
    assert_eq!(framework_id(&again.next().await.unwrap()), fid);
    let state = get_json(&format!("{url}/master/state")).await;
    let listed = find(&state["frameworks"], &fid).unwrap();
    assert_eq!(listed["active"], true);
    assert!(
        listed["reregistered_time"].as_f64().unwrap()
            >= listed["registered_time"].as_f64().unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_executor_still_being_fetched_at_teardown_is_shut_down() {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = one_agent(&zk, "/ops-d").await;
    let gate = Arc::new(tokio::sync::Notify::new());
    let uri = serve_executor_after(Some(Arc::clone(&gate))).await;
    let url = sim.leader_url().unwrap();
    let mut stream = subscribe(&url, None, Encoding::Protobuf).await;
    let fid = framework_id(&stream.next().await.unwrap());
    let offer = stream.next_offer().await;
    let call = launch_call(&fid, &offer, vec![task("t1", &offer, &uri, b"hang")]);
    call_ok(&url, &stream, &call).await;
    let agent = agent_state(&url, 0).await;
    let starting = find(&agent["frameworks"], &fid).expect("its executor is starting");
    assert_eq!(starting["executors"][0]["queued_tasks"][0]["id"], "t1");

    teardown(&url, &stream, &fid).await;
    // The download completes only now: the executor starts after the
    // teardown, and must not be left running.
    gate.notify_one();
    let agent = wait_for_agent(&url, 0, "the late executor to end", |agent| {
        find(&agent["completed_frameworks"], &fid).is_some()
    })
    .await;
    assert!(find(&agent["frameworks"], &fid).is_none(), "{agent:#}");
    let ended = find(&agent["completed_frameworks"], &fid).unwrap();
    assert_eq!(ended["completed_executors"][0]["id"], "test-executor");
    let snapshot = sim.snapshot();
    assert!(snapshot.agents[0].executors.is_empty(), "{snapshot:?}");
    assert!(snapshot.agents[0].free_cpus > 3.9, "{snapshot:?}");
}
