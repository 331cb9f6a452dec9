//! The status page and its JSON API on the simulated cluster, read over
//! real HTTP while a job runs (real executors, each partition made to take
//! half a second so that the job outlasts the reading): what they show
//! during and after the job, that
//! they are read-only, that they leak no data-server token, that the bind
//! address is honoured, and that the page can be off or fail to start
//! without failing the session.

mod cluster_support;

use std::net::SocketAddr;
use std::num::{NonZeroU32, NonZeroUsize};
use std::time::Duration;

use cluster_support::*;
use reqwest::{Method, StatusCode};
use rmesos_scheduler::cluster::Cluster;
use rmesos_scheduler::engine::Dataset;
use rmesos_scheduler::settings::SessionSettings;
use rmesos_scheduler::ui::UiBind;
use serde_json::Value;

const PARTITIONS: u32 = 48;
const JOB: &str = "ui-job";

/// Agents with room for two partition slots each, whose executors make
/// every partition wait 500 ms (the test fault
/// `RMESOS_TEST_PARTITION_DELAY_MS`): a job of `PARTITIONS` partitions
/// takes at least 6 s, while reading the page takes a few milliseconds.
async fn slow_partitions_sim(agents: usize) -> Setup {
    start_sim(agents, |c| {
        c.agent_cpus = 2.2;
        c.executor_env = partition_delays(agents, 500);
    })
    .await
}

fn base(cluster: &Session) -> String {
    let addr = cluster.ui_addr().expect("the status page runs");
    format!("http://{addr}")
}

async fn get(client: &reqwest::Client, url: &str) -> (StatusCode, String) {
    let response = client.get(url).send().await.expect("GET answered");
    let status = response.status();
    (status, response.text().await.expect("a body"))
}

async fn get_json(client: &reqwest::Client, url: &str) -> Value {
    let (status, body) = get(client, url).await;
    assert_eq!(status, StatusCode::OK, "{url}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{url}: not JSON ({e}): {body}"))
}

/// The data server's session token: the first path segment of an
/// executor's channel URL (the executor binary's URL carries none).
fn data_token(cluster: &Cluster) -> String {
    let channel = cluster.data_server().expect_executor("token-probe");
    cluster.data_server().forget_executor("token-probe");
    let url = reqwest::Url::parse(channel.expose()).unwrap();
    url.path_segments().unwrap().next().unwrap().to_owned()
}

fn the_job(status: &Value) -> &Value {
    status["jobs"]
        .as_array()
        .and_then(|jobs| jobs.iter().rev().find(|j| j["id"] == JOB))
        .unwrap_or_else(|| panic!("{JOB} is not on the board: {status}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_page_and_the_api_follow_a_job_and_change_nothing() {
    init_tracing();
    let setup = slow_partitions_sim(2).await;
    // Speculative copies would be attempts beyond one per partition.
    let exact = SessionSettings {
        speculation: "off".parse().unwrap(),
        ..settings()
    };
    let cluster = connect(&setup, exact).await;
    let addr = cluster.ui_addr().expect("the status page runs");
    assert!(addr.ip().is_loopback() && addr.port() != 0, "{addr}");
    let base = base(&cluster);
    let client = reqwest::Client::new();
    let framework_id = cluster.framework_id().to_owned();

    let before = get_json(&client, &format!("{base}/api/status")).await;
    assert_eq!(before["framework"]["id"], framework_id.as_str());
    assert_eq!(before["framework"]["subscription"], "subscribed");
    assert_eq!(before["jobs"], Value::Array(Vec::new()));

    let values = rows(96_000, 4);
    let want = expected(&values, 4);
    let (job, recorder) = submit_running(&cluster, values, 4, (JOB, PARTITIONS), 4).await;

    // The board takes up merged partitions after the progress sink does.
    let during = wait_for_api(&client, &base, "a partition done on the board", |status| {
        the_job(status)["partitions_done"]
            .as_u64()
            .is_some_and(|done| done > 0)
    })
    .await;
    assert!(
        recorder.partitions_done() < PARTITIONS,
        "the job ended before the page was read"
    );
    check_running(&setup, &during, &framework_id);
    check_page(&client, &base, &framework_id, &data_token(&cluster)).await;
    check_parts(&client, &base, &framework_id).await;
    check_read_only(&client, &base).await;

    let stats = tokio::time::timeout(WAIT, job.wait())
        .await
        .expect("the job ends")
        .expect("the job succeeds");
    assert_close(&stats, &want);
    let after = get_json(&client, &format!("{base}/api/jobs/{JOB}")).await;
    check_finished(&after);
    // Nothing above changed the job: every partition ran once.
    assert_eq!(after["attempts_started"], PARTITIONS);

    cluster.shutdown().await.expect("teardown");
    wait_closed(addr).await;
}

/// Polls `/api/status` until `cond` holds on it, and returns it.
async fn wait_for_api(
    client: &reqwest::Client,
    base: &str,
    what: &str,
    cond: impl Fn(&Value) -> bool,
) -> Value {
    let url = format!("{base}/api/status");
    eventually(what, || async {
        let status = get_json(client, &url).await;
        if cond(&status) {
            Ok(status)
        } else {
            Err(status.to_string())
        }
    })
    .await
}

fn check_running(setup: &Setup, status: &Value, framework_id: &str) {
    assert_eq!(status["framework"]["id"], framework_id);
    assert!(status["framework"]["leader"].is_string(), "{status}");
    let job = the_job(status);
    assert_eq!(job["state"], "running", "{job}");
    assert_eq!(job["partitions_total"], PARTITIONS);
    let done = job["partitions_done"].as_u64().unwrap();
    assert!(done > 0 && done < u64::from(PARTITIONS), "{job}");
    assert!(job["duration_ms"].as_u64().unwrap() > 0, "{job}");
    let agent_ids: Vec<String> = setup
        .sim
        .snapshot()
        .agents
        .iter()
        .map(|a| a.id.clone())
        .collect();
    let tasks = job["tasks"].as_object().expect("tasks by id");
    assert!(tasks.len() as u64 >= done, "{job}");
    for (task_id, task) in tasks {
        let agent = task["agent"].as_str().unwrap();
        assert!(agent_ids.iter().any(|a| a == agent), "{task_id} on {agent}");
        assert!(task["attempt"].as_u64().unwrap() >= 1);
        assert!(task["state"].as_str().unwrap().starts_with("TASK_"));
    }
    let agents = status["agents"].as_object().expect("agents by id");
    assert!(!agents.is_empty(), "{status}");
    for (agent, counts) in agents {
        assert!(agent_ids.contains(agent), "{agent}");
        assert!(counts["tasks_launched"].as_u64().unwrap() >= 1);
    }
}

async fn check_page(client: &reqwest::Client, base: &str, framework_id: &str, token: &str) {
    let response = client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let page = response.text().await.unwrap();
    assert!(page.contains("<meta http-equiv=\"refresh\" content=\"2\">"));
    assert!(
        page.contains(&format!("<td id=\"framework-id\">{framework_id}</td>")),
        "{page}"
    );
    assert!(page.contains(JOB), "{page}");
    assert!(page.contains("job-state running\">running</td>"), "{page}");
    assert!(page.contains(&format!(" / {PARTITIONS}</td>")), "{page}");
    assert!(page.contains("<section id=\"agents\">"), "{page}");
    assert!(!page.contains("<script"), "{page}");
    let (_, status) = get(client, &format!("{base}/api/status")).await;
    for body in [&page, &status] {
        assert!(!body.contains(token), "the data server's token leaked");
    }
    // HEAD answers the headers only.
    let head = client.head(format!("{base}/")).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert!(head.text().await.unwrap().is_empty());
}

async fn check_parts(client: &reqwest::Client, base: &str, framework_id: &str) {
    let framework = get_json(client, &format!("{base}/api/framework")).await;
    assert_eq!(framework["id"], framework_id);
    let jobs = get_json(client, &format!("{base}/api/jobs")).await;
    assert_eq!(jobs.as_array().unwrap().last().unwrap()["id"], JOB);
    let job = get_json(client, &format!("{base}/api/jobs/{JOB}")).await;
    assert_eq!(job["id"], JOB);
    let agents = get_json(client, &format!("{base}/api/agents")).await;
    assert!(!agents.as_object().unwrap().is_empty());
    for missing in ["/api/jobs/no-such-job", "/api/nothing", "/index.html"] {
        let (status, body) = get(client, &format!("{base}{missing}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}: {body}");
    }
}

async fn check_read_only(client: &reqwest::Client, base: &str) {
    let methods = [Method::POST, Method::PUT, Method::DELETE, Method::PATCH];
    for path in ["/", "/api/status", &format!("/api/jobs/{JOB}"), "/api/kill"] {
        for method in methods.clone() {
            let response = client
                .request(method.clone(), format!("{base}{path}"))
                .body("{}")
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
            assert_eq!(response.headers()["allow"], "GET, HEAD");
        }
    }
}

fn check_finished(job: &Value) {
    assert_eq!(job["state"], "finished", "{job}");
    assert_eq!(job["error"], Value::Null);
    assert_eq!(job["partitions_done"], PARTITIONS);
    assert!(job["ended_ms"].is_u64(), "{job}");
    assert_eq!(
        job["duration_ms"].as_u64(),
        Some(job["ended_ms"].as_u64().unwrap() - job["started_ms"].as_u64().unwrap())
    );
    let tasks = job["tasks"].as_object().unwrap();
    for partition in 0..PARTITIONS {
        assert!(
            tasks
                .values()
                .any(|t| t["partition"] == partition && t["state"] == "TASK_FINISHED"),
            "partition {partition} has no finished task: {job}"
        );
    }
}

/// The page stops with the session.
async fn wait_closed(addr: SocketAddr) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the status page still listens after shutdown"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_page_moves_off_a_taken_port_and_can_be_off_or_fail() {
    init_tracing();
    let setup = start_sim(1, |_| {}).await;
    let with_ui = |ui_bind| SessionSettings {
        ui_bind,
        ..settings()
    };

    // A taken port: the page takes one of the next ones.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_addr = taken.local_addr().unwrap();
    if taken_addr.port() < u16::MAX - 20 {
        let cluster = connect(&setup, with_ui(UiBind::At(taken_addr))).await;
        let addr = cluster.ui_addr().expect("a later port is free");
        assert_eq!(addr.ip(), taken_addr.ip());
        assert!(
            addr.port() > taken_addr.port() && addr.port() <= taken_addr.port() + 20,
            "{addr} after {taken_addr}"
        );
        assert_eq!(
            cluster.ui_url(),
            Some(format!("http://127.0.0.1:{}/", addr.port()))
        );
        cluster.shutdown().await.expect("teardown");
    }

    let off = connect(&setup, with_ui(UiBind::Off)).await;
    assert_eq!(off.ui_addr(), None);
    assert_eq!(off.ui_url(), None);
    off.shutdown().await.expect("teardown");

    // An address of no local interface: the session runs without a page.
    let unbindable = connect(
        &setup,
        with_ui(UiBind::At("203.0.113.7:4040".parse().unwrap())),
    )
    .await;
    assert_eq!(unbindable.ui_addr(), None);
    let values = rows(1_000, 2);
    let stats = unbindable
        .run(
            Dataset::in_memory(values.clone(), 2)
                .unwrap()
                .plan("no-page", NonZeroU32::new(2), NonZeroUsize::MIN)
                .unwrap(),
            Recorder::default().sink(),
        )
        .await
        .expect("the job runs without a page");
    assert_close(&stats, &expected(&values, 2));
    unbindable.shutdown().await.expect("teardown");
}
