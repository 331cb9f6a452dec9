//! What Mesos shows of a session gives nobody its data: everything a
//! reader of the operator endpoints (`/master/state`, `/master/frameworks`,
//! each agent's `/slave(1)/state`) sees during a served job holds no token,
//! and no URL or path in it, nor any prefix of one, gets rows or a channel
//! from the data server (only the executor binary, which is public). And
//! an executor binary that is not the one the driver hashed never runs:
//! its executor ends saying so and the job fails.

mod cluster_support;
mod exposure_support;

use std::time::Duration;

use cluster_support::*;
use exposure_support::*;
use rmesos_scheduler::dataserver::MISMATCH_MESSAGE;
use serde_json::Value;

async fn get_json(url: &str) -> Value {
    let response = reqwest::get(url).await.expect("operator endpoint answers");
    assert_eq!(response.status(), 200, "{url}");
    response.json().await.expect("JSON")
}

/// The bodies of the leader's `/master/state` and `/master/frameworks`
/// and of every agent's `/slave(1)/state`, as text.
async fn operator_bodies(setup: &Setup) -> Vec<(String, String)> {
    let leader = setup.sim.leader_url().expect("a leader");
    let mut urls = vec![
        format!("{leader}/master/state"),
        format!("{leader}/master/frameworks"),
    ];
    let state = get_json(&urls[0]).await;
    for agent in state["slaves"].as_array().expect("agents") {
        let pid = agent["pid"].as_str().expect("a pid");
        let address = pid.split_once('@').expect("slave(1)@host:port").1;
        urls.push(format!("http://{address}/slave(1)/state"));
    }
    let mut bodies = Vec::new();
    for url in urls {
        let body = get_json(&url).await.to_string();
        bodies.push((url, body));
    }
    bodies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nothing_mesos_shows_opens_rows_or_channels() {
    init_tracing();
    let setup = start_sim(2, |_| {}).await;
    let cluster = connect(&setup, settings()).await;
    let data = cluster.data_server();
    let fetch = data.executor_fetch();
    let sha256 = fetch.sha256.clone().expect("the executor is served");
    // The session token, as a channel URL shows it.
    let channel = data.expect_executor("probe");
    data.forget_executor("probe");
    let session_token = channel.expose().split('/').nth(3).unwrap().to_owned();
    assert_eq!(session_token.len(), 64);

    let values = rows(200_000, 4);
    let (job, _recorder) = submit_running(&cluster, values.clone(), 4, ("exposed", 400), 1).await;
    let bodies = operator_bodies(&setup).await;

    for (url, body) in &bodies {
        assert!(
            !body.contains(&session_token),
            "{url} shows the session token"
        );
    }
    let paths = paths_shown(&bodies, &sha256);
    let (host, port) = data.advertised();
    let tried = probe(&format!("http://{host}:{port}"), &paths, &sha256).await;
    assert!(tried > 20, "only {tried} requests");
    let stats = job.wait().await.expect("the job");
    assert_close(&stats, &expected(&values, 4));
    cluster.shutdown().await.expect("teardown");
}

/// Waits until one of the files `paths()` lists holds `needle`; its text.
async fn wait_for_text(paths: impl Fn() -> Vec<std::path::PathBuf>, needle: &str) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        for path in paths() {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if text.contains(needle) {
                return text;
            }
        }
        assert!(tokio::time::Instant::now() < deadline, "no {needle}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_swapped_executor_binary_never_runs_and_fails_the_job() {
    use std::os::unix::fs::PermissionsExt;
    init_tracing();
    let setup = start_sim(1, |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let served = dir.path().join("rmesos-executor");
    std::fs::copy(executor_binary(), &served).unwrap();
    let mut session = settings();
    session.executor_file = Some(served.clone());
    let cluster = connect(&setup, session).await;
    let expected_sha = cluster.data_server().executor_fetch().sha256.unwrap();

    // Someone swaps the file the driver serves (or the bytes on the way).
    let marker = dir.path().join("swapped-binary-ran");
    let script = format!("#!/bin/sh\ntouch {}\n", marker.display());
    std::fs::write(&served, script).unwrap();
    std::fs::set_permissions(&served, std::fs::Permissions::from_mode(0o755)).unwrap();
    let swapped_sha = rmesos_scheduler::dataserver::sha256_of_file(&served).unwrap();

    let values = rows(100, 2);
    let (job, _recorder) = {
        let plan = rmesos_scheduler::engine::Dataset::in_memory(values, 2)
            .unwrap()
            .plan(
                "swapped",
                std::num::NonZeroU32::new(2),
                std::num::NonZeroUsize::MIN,
            )
            .unwrap();
        let recorder = Recorder::default();
        (cluster.submit(plan, recorder.sink()), recorder)
    };
    let work = setup.sim.work_dir().to_path_buf();
    let stderr = wait_for_text(|| sandbox_logs(&work), MISMATCH_MESSAGE).await;
    assert!(
        stderr.contains(&format!("SHA-256 {swapped_sha}, expected {expected_sha}")),
        "{stderr}"
    );
    let error = tokio::time::timeout(WAIT, job.wait())
        .await
        .expect("the job ends")
        .expect_err("the job fails");
    assert!(
        error
            .to_string()
            .contains("leases in a row ended before they ran"),
        "{error}"
    );
    assert!(!marker.exists(), "the swapped binary ran");
    cluster.shutdown().await.expect("teardown");
}
