//! rmesos on real Apache Mesos 1.12 (`../shared/mesos`, or
//! `RMESOS_TEST_MESOS_HOME`), started on loopback by the shared harness:
//! the README's CLI examples, a served and a `--shared` 1e6 x 16 job,
//! the leading master of three SIGKILLed mid-job, an agent and its
//! executors SIGKILLed mid-job, a SIGKILLed driver whose framework Mesos
//! removes after `--failover-timeout`, teardown at the end of a session,
//! a `--user` the agents have no account for failing the job at once with
//! the agent's message, and nothing the operator endpoints show during a
//! served job opening rows or channels, and a Parquet object in a real
//! S3-compatible server (moto) read by the executors themselves, with the
//! Pearson matrix and quantiles computed in the same job. Without real
//! Mesos each test says loudly that it skipped.

mod exposure_support;
mod objects_support;
mod real_mesos_support;

use std::time::Duration;

use exposure_support::*;
use real_mesos_support::*;
use rmesos_mesos_sim::real_mesos::RealMesosConfig;

fn seed() -> String {
    format!("{}/../examples/seed.csv", env!("CARGO_MANIFEST_DIR"))
}

/// A `nrows` x 16 `.npy` in `dir` and the statistics it must give.
fn dataset(dir: &tempfile::TempDir, nrows: usize) -> (String, serde_json::Value) {
    let values = rows(nrows, 16);
    let path = dir.path().join("data.npy");
    write_npy(&path, &values, 16);
    (path.display().to_string(), reference(&values, 16))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_examples_and_a_large_job_served_and_shared() {
    let Some(turn) = real_mesos("readme examples", RealMesosConfig::default()).await else {
        return;
    };
    let master = turn.mesos.zk_url();
    let seed_json = success_json(&submit(&master, &["--name", "seed", &seed()]).await);
    assert_eq!(seed_json["count"], 3);
    assert_eq!(seed_json["mean"], serde_json::json!([2.0, 20.0, 200.0]));
    assert_eq!(
        seed_json["variance"],
        serde_json::json!([1.0, 100.0, 10000.0])
    );
    assert_eq!(
        seed_json["num_nonzeros"],
        serde_json::json!([3.0, 3.0, 3.0])
    );

    let dir = tempfile::tempdir().unwrap();
    let (path, want) = dataset(&dir, 1_000_000);
    for extra in [&[][..], &["--shared"][..]] {
        let mut args = vec!["--partitions", "32", path.as_str()];
        args.splice(0..0, extra.iter().copied());
        let got = success_json(&submit(&master, &args).await);
        assert_matches(&got, &want);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn teardown_at_the_end_of_a_session_leaves_nothing_running() {
    let Some(turn) = real_mesos("teardown", RealMesosConfig::default()).await else {
        return;
    };
    let mesos = &turn.mesos;
    let output = submit(&mesos.zk_url(), &["--name", "teardown", &seed()]).await;
    assert_eq!(success_json(&output)["count"], 3);
    let frameworks = mesos.leader_json("/master/frameworks").await.unwrap();
    assert!(
        completed(&frameworks, "teardown"),
        "the framework is not among the completed ones: {frameworks:#}"
    );
    assert!(
        frameworks["frameworks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["name"] != "teardown"),
        "the framework is still active: {frameworks:#}"
    );
    wait_for_no_executors(mesos, WAIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_killed_mid_job_the_job_finishes_exactly_with_the_same_framework() {
    let config = RealMesosConfig {
        masters: 3,
        ..RealMesosConfig::default()
    };
    let Some(mut turn) = real_mesos("leader failover", config).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (path, want) = dataset(&dir, 200_000);
    let (child, state) =
        spawn_running(&turn.mesos, "failover", &["--partitions", "24", &path]).await;
    let id_before = framework(&state, "failover").unwrap()["id"].clone();
    let killed = turn.mesos.kill_leader().await.unwrap();

    let output = child.output().await;
    assert_matches(&success_json(&output), &want);
    let frameworks = turn.mesos.leader_json("/master/frameworks").await.unwrap();
    let known: Vec<_> = ["frameworks", "completed_frameworks"]
        .iter()
        .flat_map(|k| frameworks[*k].as_array().unwrap())
        .filter(|f| f["name"] == "failover")
        .map(|f| f["id"].clone())
        .collect();
    assert_eq!(
        known,
        vec![id_before],
        "the new leader (not master {killed}) knows the job's framework under its first id only"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_killed_mid_job_the_job_finishes_exactly_before_mesos_notices() {
    // Mesos removes a silent agent after 5 missed pings of 15 s (its
    // defaults, kept here); the job's executor is lost to the driver as
    // soon as its channel breaks, so the job must end well before that.
    // Every partition takes 300 ms more, so the job is still running at
    // the kill.
    let config = RealMesosConfig {
        executor_env: vec![("RMESOS_TEST_PARTITION_DELAY_MS".into(), "300".into())],
        ..RealMesosConfig::default()
    };
    let Some(mut turn) = real_mesos("agent loss", config).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (path, want) = dataset(&dir, 200_000);
    let (mut child, state) = spawn_running(
        &turn.mesos,
        "agent-loss",
        &[
            "--shared",
            "--partitions",
            "24",
            "--job-timeout",
            "40",
            &path,
        ],
    )
    .await;
    // The agent of a running task, with its executors.
    let tasks = framework(&state, "agent-loss").unwrap()["tasks"]
        .as_array()
        .unwrap();
    let running = tasks.iter().find(|t| t["state"] == "TASK_RUNNING").unwrap();
    let agent_id = running["slave_id"].as_str().unwrap();
    let agent_port = state["slaves"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == agent_id)
        .and_then(|a| a["pid"].as_str())
        .and_then(|pid| pid.rsplit(':').next())
        .unwrap()
        .to_owned();
    let index = turn
        .mesos
        .agent_urls()
        .iter()
        .position(|url| url.ends_with(&format!(":{agent_port}")))
        .unwrap();
    let executors = turn.mesos.kill_agent(index);
    assert!(executors > 0, "the agent ran the job's executor");
    assert!(
        child.child.try_wait().unwrap().is_none(),
        "the job ended before the kill"
    );

    let output = child.output().await;
    assert_matches(&success_json(&output), &want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_driver_is_removed_after_its_failover_timeout() {
    let Some(turn) = real_mesos("dead driver", RealMesosConfig::default()).await else {
        return;
    };
    let mesos = &turn.mesos;
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = dataset(&dir, 200_000);
    let args = ["--failover-timeout", "3", "--partitions", "64", &path];
    let (mut child, _) = spawn_running(mesos, "dead-driver", &args).await;
    child.child.kill().unwrap();
    child.child.wait().unwrap();

    let state = mesos
        .wait_for_state("the framework removed", WAIT, |s| {
            completed(s, "dead-driver")
        })
        .await
        .unwrap();
    let removed = framework(&state, "dead-driver").unwrap();
    let unregistered = removed["unregistered_time"].as_f64().unwrap_or(0.0);
    let registered = removed["registered_time"].as_f64().unwrap_or(0.0);
    assert!(unregistered > registered, "{removed:#}");
    wait_for_no_executors(mesos, WAIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_the_agents_do_not_know_fails_the_job_at_once_saying_so() {
    let config = RealMesosConfig {
        agents: 1,
        ..RealMesosConfig::default()
    };
    let Some(turn) = real_mesos("unknown user", config).await else {
        return;
    };
    let user = "rmesos-no-such-user";
    let started = std::time::Instant::now();
    // Without the check, leases would be tried for the whole timeout.
    let args = [
        "--name",
        "no-user",
        "--user",
        user,
        "--job-timeout",
        "60",
        &seed(),
    ];
    let output = submit(&turn.mesos.zk_url(), &args).await;
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_ne!(output.status.code(), Some(0), "{stderr}");
    for needle in [
        format!("cannot run tasks as user '{user}'"),
        format!("No such user '{user}'"),
        "RMESOS_USER".to_owned(),
    ] {
        assert!(stderr.contains(&needle), "no {needle:?} in: {stderr}");
    }
    let frameworks = turn.mesos.leader_json("/master/frameworks").await.unwrap();
    let framework = framework(&frameworks, "no-user").expect("the framework");
    assert_eq!(framework["user"], user, "{framework:#}");
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}: {stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_the_operator_endpoints_show_opens_rows_or_channels() {
    // Every partition takes 300 ms more: the job runs while we look.
    let config = RealMesosConfig {
        executor_env: vec![("RMESOS_TEST_PARTITION_DELAY_MS".into(), "300".into())],
        ..RealMesosConfig::default()
    };
    let Some(turn) = real_mesos("exposure", config).await else {
        return;
    };
    let mesos = &turn.mesos;
    let dir = tempfile::tempdir().unwrap();
    let (path, want) = dataset(&dir, 100_000);
    let (mut child, _) = spawn_running(mesos, "exposed", &["--partitions", "32", &path]).await;
    let mut bodies = Vec::new();
    for path in ["/master/state", "/master/frameworks"] {
        let body = mesos.leader_json(path).await.unwrap();
        bodies.push((path.to_owned(), body.to_string()));
    }
    for agent in mesos.agent_urls() {
        let url = format!("{agent}/slave(1)/state");
        let body = mesos.get_json(&url).await.unwrap();
        bodies.push((url, body.to_string()));
    }
    // The data server's address and the binary's digest, from the
    // executor's URI as the master shows it.
    let state: serde_json::Value = serde_json::from_str(&bodies[0].1).unwrap();
    let executor = &framework(&state, "exposed").unwrap()["executors"][0];
    let uri = executor["command"]["uris"][0]["value"].as_str().unwrap();
    let (base, rest) = uri.split_once("/executor/").expect("a served executor");
    let sha256 = rest.split('/').next().unwrap().to_owned();
    let paths = paths_shown(&bodies, &sha256);
    assert!(probe(base, &paths, &sha256).await > 20);
    assert!(
        child.child.try_wait().unwrap().is_none(),
        "the job ended too soon"
    );

    let output = child.output().await;
    assert_matches(&success_json(&output), &want);
}

/// Writes a Parquet table (four row groups, columns with offsets up to
/// 1e9) with pyarrow, uploads it to bucket `data` as `t.parquet`, and
/// prints numpy's statistics and Pearson matrix of it.
const PARQUET_OBJECT: &str = r#"
import io, json
import numpy as np, pyarrow as pa, pyarrow.parquet as pq
rng = np.random.default_rng(7)
x = rng.normal(size=(200_000, 5)) * [1, 2, 3, 4, 5] + [0, 1e3, -5, 1e9, 2]
x[:, 2] += 0.5 * x[:, 0]
table = pa.table({f"c{j}": x[:, j] for j in range(5)})
sink = io.BytesIO()
pq.write_table(table, sink, row_group_size=50_000, compression="snappy")
s3.create_bucket(Bucket="data")
s3.put_object(Bucket="data", Key="t.parquet", Body=sink.getvalue())
print(json.dumps({
    "count": len(x), "mean": x.mean(0).tolist(), "variance": x.var(0, ddof=1).tolist(),
    "num_nonzeros": np.count_nonzero(x, 0).astype(float).tolist(),
    "min": x.min(0).tolist(), "max": x.max(0).tolist(),
    "norm_l1": np.abs(x).sum(0).tolist(), "norm_l2": np.sqrt((x * x).sum(0)).tolist(),
    "corr": np.corrcoef(x, rowvar=False).tolist(),
}))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parquet_object_is_read_by_the_executors_with_corr_and_quantiles() {
    let Some(turn) = real_mesos("parquet object", RealMesosConfig::default()).await else {
        return;
    };
    let Some(moto) = objects_support::Moto::start() else {
        return;
    };
    let want: serde_json::Value =
        serde_json::from_slice(&moto.python(PARQUET_OBJECT, &[])).expect("numpy's JSON");
    let args = [
        "--partitions",
        "4",
        "--corr",
        "--quantiles",
        "0,0.1,0.5,0.9,1",
        "s3://data/t.parquet",
    ];
    let run = |master: String| {
        let mut command = submit_command(&master, &args);
        command.envs(moto.env());
        tokio::task::spawn_blocking(move || command.output().expect("rmesos-submit runs"))
    };
    let on_mesos = success_json(&run(turn.mesos.zk_url()).await.unwrap());
    let local = success_json(&run("local[2]".into()).await.unwrap());
    assert_matches(&on_mesos, &want);
    assert_eq!(
        on_mesos["columns"],
        serde_json::json!(["c0", "c1", "c2", "c3", "c4"])
    );
    let corr = on_mesos["corr"].as_array().expect("a corr matrix");
    let want_corr = want["corr"].as_array().unwrap();
    for (i, (row, want_row)) in corr.iter().zip(want_corr).enumerate() {
        for (j, (g, w)) in row
            .as_array()
            .unwrap()
            .iter()
            .zip(want_row.as_array().unwrap())
            .enumerate()
        {
            let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
            assert!((g - w).abs() <= 1e-9, "corr[{i}][{j}]: {g} vs numpy {w}");
        }
    }
    // The sketches merge along the same tree whatever ran them, so the
    // cluster gives local mode's quantiles exactly (0 and 1: min and max).
    assert_eq!(on_mesos["quantiles"], local["quantiles"]);
    let values = on_mesos["quantiles"]["values"].as_array().unwrap();
    assert_eq!(values[0], on_mesos["min"]);
    assert_eq!(values[4], on_mesos["max"]);
}
