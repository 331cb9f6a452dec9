//! Jobs on the simulated Mesos cluster (real ZooKeeper, real executor
//! processes fetched from the driver's data server): the seed's rows (with
//! and without the Pearson matrix), a 1e6 x 16 dataset in memory and on
//! shared storage (with the Pearson matrix and quantiles), several jobs on
//! one subscription, bad input, and cancellation; objects in a real
//! S3-compatible server (moto) read by the executors themselves, the
//! credentials sent over the driver's channel and never through Mesos.

mod cluster_support;
mod objects_support;

use std::sync::Arc;

use cluster_support::*;
use rmesos_common::readers::{CsvOptions, HeaderMode};
use rmesos_common::stats::StatsRequest;
use rmesos_scheduler::engine::{Dataset, JobError};
use rmesos_scheduler::settings::SessionSettings;

fn plan(dataset: &Dataset, job: &str, partitions: u32) -> rmesos_scheduler::engine::JobPlan {
    dataset
        .plan(
            job,
            std::num::NonZeroU32::new(partitions),
            std::num::NonZeroUsize::MIN,
        )
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_seed_rows_in_two_partitions() {
    init_tracing();
    let setup = start_sim(2, |_| {}).await;
    let data_timeout = SessionSettings {
        data_timeout: "45".parse().unwrap(),
        ..settings()
    };
    let cluster = connect(&setup, data_timeout).await;
    let seed = vec![1.0, 20.0, 300.0, 3.0, 10.0, 200.0, 2.0, 30.0, 100.0];
    let dataset = Dataset::in_memory(seed, 3).unwrap();
    let recorder = Recorder::default();
    let stats = cluster
        .run(plan(&dataset, "seed", 2), recorder.sink())
        .await
        .expect("the job succeeds");
    assert_eq!(stats.count(), 3);
    assert_eq!(stats.mean().unwrap(), vec![2.0, 20.0, 200.0]);
    assert_eq!(stats.variance().unwrap(), vec![1.0, 100.0, 10000.0]);
    assert_eq!(stats.num_nonzeros().unwrap(), vec![3.0, 3.0, 3.0]);
    assert_eq!(recorder.partitions_done(), 2);
    // The same rows with the Pearson matrix, computed by the executors
    // from served rows in the same pass.
    let corr_request = StatsRequest {
        corr: true,
        quantile_error: None,
    };
    let with_corr = cluster
        .run(
            plan(&dataset, "seed-corr", 2).with_request(corr_request),
            Recorder::default().sink(),
        )
        .await
        .expect("the correlation job succeeds");
    let corr = with_corr.correlation().expect("the matrix came back");
    let seed = [1.0, 20.0, 300.0, 3.0, 10.0, 200.0, 2.0, 30.0, 100.0];
    for i in 0..3 {
        for j in 0..3 {
            let want = two_pass_corr(&seed, 3, i, j);
            let got = corr.matrix[i * 3 + j];
            assert!((got - want).abs() < 1e-12, "({i},{j}): {got} vs {want}");
        }
    }
    // The executor binary and both partitions came from the data server.
    let served = cluster.data_server().stats();
    assert!(served.served >= 3, "{served:?}");
    // The session's data timeout reached the running executors through
    // their ExecutorInfo's environment.
    let environments = executor_environments(setup.sim.work_dir());
    assert!(!environments.is_empty(), "no executor process found");
    for environment in &environments {
        // Only ours are shown: the rest may hold anybody's secrets.
        let ours: Vec<&String> = environment
            .iter()
            .filter(|v| v.starts_with("RMESOS_"))
            .collect();
        assert!(
            ours.contains(&&"RMESOS_DATA_TIMEOUT_SECS=45".to_owned()),
            "{ours:?}"
        );
    }
    cluster.shutdown().await.expect("teardown");
}

/// Pearson correlation of columns `i` and `j`, means first.
fn two_pass_corr(rows: &[f64], ncols: usize, i: usize, j: usize) -> f64 {
    let n = (rows.len() / ncols) as f64;
    let col = |k: usize| rows.iter().skip(k).step_by(ncols).copied();
    let (mi, mj) = (col(i).sum::<f64>() / n, col(j).sum::<f64>() / n);
    let sum = |a: usize, ma: f64, b: usize, mb: f64| -> f64 {
        col(a).zip(col(b)).map(|(x, y)| (x - ma) * (y - mb)).sum()
    };
    sum(i, mi, j, mj) / (sum(i, mi, i, mi) * sum(j, mj, j, mj)).sqrt()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_million_rows_in_32_partitions_in_memory_and_shared() {
    init_tracing();
    let setup = start_sim(3, |_| {}).await;
    let cluster = connect(&setup, settings()).await;
    let values = rows(1_000_000, 16);
    let want = expected(&values, 16);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.npy");
    write_npy(&path, &values, 16);

    let in_memory = Dataset::in_memory(values, 16).unwrap();
    let stats = cluster
        .run(plan(&in_memory, "big-mem", 32), Recorder::default().sink())
        .await
        .expect("the in-memory job succeeds");
    assert_close(&stats, &want);

    let recorder = Recorder::default();
    let corr_request = StatsRequest {
        corr: true,
        quantile_error: Some(0.01),
    };
    let shared_plan = plan(&Dataset::Npy(path), "big-shared", 32).with_request(corr_request);
    let stats = cluster
        .run(shared_plan.clone(), recorder.sink())
        .await
        .expect("the shared job succeeds");
    assert_close(&stats, &want);
    assert_eq!(recorder.partitions_done(), 32);
    // Spread over the agents, one executor per agent, reused by both jobs
    // (counted now: the slow local run below may outlast the idle timeout,
    // which gives the leases back).
    let board = cluster.status().snapshot();
    assert_eq!(board.agents.len(), 3, "agents used: {:?}", board.agents);
    let snapshot = setup.sim.snapshot();
    let executors: usize = snapshot.agents.iter().map(|a| a.executors.len()).sum();
    assert_eq!(executors, 3, "{snapshot:#?}");
    // The executors read the file and computed the co-moments and the
    // quantile sketches: the same partitions merged along the same tree
    // give the local answer exactly.
    let local = rmesos_scheduler::local::LocalRunner::new(std::num::NonZeroUsize::MIN)
        .run(&shared_plan, &rmesos_scheduler::engine::NoProgress)
        .unwrap();
    assert_eq!(
        stats.correlation().unwrap(),
        local.correlation().unwrap(),
        "cluster and local Pearson matrices differ"
    );
    let probabilities = [0.0, 0.1, 0.5, 0.9, 1.0];
    assert_eq!(
        stats.quantiles(&probabilities).unwrap(),
        local.quantiles(&probabilities).unwrap(),
        "cluster and local quantiles differ"
    );

    cluster.shutdown().await.expect("teardown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_input_fails_the_job_by_name_and_the_next_job_runs() {
    init_tracing();
    let setup = start_sim(2, |_| {}).await;
    let cluster = connect(&setup, settings()).await;
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    let mut text = String::from("a,b\n");
    for i in 0..200 {
        text.push_str(&format!("{i},{}\n", i * 2));
    }
    text.push_str("7,oops\n");
    std::fs::write(&bad, text).unwrap();
    let options = CsvOptions {
        header: HeaderMode::Present,
        ..CsvOptions::default()
    };
    let error = cluster
        .run(
            plan(&Dataset::Csv(bad.clone(), options), "bad", 4),
            Recorder::default().sink(),
        )
        .await
        .expect_err("bad input fails the job");
    let message = error.to_string();
    assert!(matches!(error, JobError::BadInput { .. }), "{error:?}");
    assert!(
        message.contains("bad.csv") && message.contains("line 202"),
        "{message}"
    );

    let dataset = Dataset::in_memory(rows(100, 2), 2).unwrap();
    let stats = cluster
        .run(plan(&dataset, "after-bad", 3), Recorder::default().sink())
        .await
        .expect("the next job succeeds");
    assert_close(&stats, &expected(&rows(100, 2), 2));
    cluster.shutdown().await.expect("teardown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancelling_kills_the_tasks_and_the_session_goes_on() {
    init_tracing();
    // One cpu: one partition at a time, each at least 20 ms, so the job
    // (200 partitions, at least 4 s) is still running when it is cancelled.
    let setup = start_sim(1, |c| {
        c.agent_cpus = 1.2;
        c.executor_env = vec![partition_delay(0, 20)];
    })
    .await;
    let cluster = connect(&setup, settings()).await;
    let values = Arc::new(rows(20_000, 4));
    let dataset = Dataset::in_memory(values.to_vec(), 4).unwrap();
    let (job, recorder) = submit_running(&cluster, values.to_vec(), 4, ("to-cancel", 200), 1).await;
    job.canceller().cancel();
    let error = job.wait().await.expect_err("cancelled");
    assert!(matches!(error, JobError::Cancelled), "{error:?}");
    assert!(recorder.partitions_done() < 200);
    let stats = cluster
        .run(
            plan(&dataset, "after-cancel", 4),
            Recorder::default().sink(),
        )
        .await
        .expect("the next job succeeds");
    assert_close(&stats, &expected(&values, 4));
    cluster.shutdown().await.expect("teardown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn offers_are_suppressed_when_idle_and_revived_for_work() {
    init_tracing();
    let setup = start_sim(2, |_| {}).await;
    let cluster = connect(&setup, settings()).await;
    let framework_id = cluster.framework_id().to_owned();
    let suppressed = |want: bool| {
        let id = framework_id.clone();
        move |s: &rmesos_mesos_sim::ClusterSnapshot| {
            s.frameworks
                .iter()
                .any(|f| f.id == id && f.suppressed == want)
        }
    };
    setup
        .sim
        .wait_until("suppressed while idle", WAIT, suppressed(true))
        .await
        .unwrap();
    let dataset = Dataset::in_memory(rows(1000, 2), 2).unwrap();
    cluster
        .run(plan(&dataset, "wake", 4), Recorder::default().sink())
        .await
        .expect("the job succeeds");
    let snapshot = setup
        .sim
        .wait_until("suppressed again after the job", WAIT, suppressed(true))
        .await
        .unwrap();
    let calls = &snapshot
        .frameworks
        .iter()
        .find(|f| f.id == framework_id)
        .unwrap()
        .calls;
    assert!(calls.get("REVIVE").copied().unwrap_or(0) >= 1, "{calls:?}");
    assert!(
        calls.get("SUPPRESS").copied().unwrap_or(0) >= 2,
        "{calls:?}"
    );
    cluster.shutdown().await.expect("teardown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_that_cannot_be_placed_times_out() {
    init_tracing();
    let setup = start_sim(1, |c| c.agent_cpus = 2.0).await;
    let too_big = SessionSettings {
        task_cpus: "16".parse().unwrap(),
        job_timeout: Some("800ms".parse().unwrap()),
        ..settings()
    };
    let cluster = connect(&setup, too_big).await;
    let dataset = Dataset::in_memory(rows(10, 2), 2).unwrap();
    let error = cluster
        .run(plan(&dataset, "stuck", 2), Recorder::default().sink())
        .await
        .expect_err("no offer fits");
    assert!(matches!(error, JobError::TimedOut(_)), "{error:?}");
    cluster.shutdown().await.expect("teardown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn objects_are_read_by_the_executors_and_never_served() {
    init_tracing();
    let Some(moto) = objects_support::Moto::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let values = rows(50_000, 4);
    let want = expected(&values, 4);
    let (first, second) = values.split_at(30_000 * 4);
    write_npy(&dir.path().join("a.npy"), first, 4);
    write_npy(&dir.path().join("b.npy"), second, 4);
    moto.python(
        "s3.create_bucket(Bucket='lake')\n\
         s3.upload_file(sys.argv[1], 'lake', 't/part-0.npy')\n\
         s3.upload_file(sys.argv[2], 'lake', 't/part-1.npy')\n",
        &[
            dir.path().join("a.npy").to_str().unwrap(),
            dir.path().join("b.npy").to_str().unwrap(),
        ],
    );
    // The driver's access (its environment, in a real session).
    rmesos_common::objects::set_access(moto.access());
    let setup = start_sim(2, |_| {}).await;
    let cluster = connect(&setup, settings()).await;
    let dataset = Dataset::open(std::path::Path::new("s3://lake/t/"), Default::default()).unwrap();
    let placement = rmesos_scheduler::engine::Placement::Cluster { shared: false };
    let plan = dataset
        .plan_for(placement, "objects", std::num::NonZeroU32::new(6))
        .unwrap();
    let stats = cluster
        .run(plan, Recorder::default().sink())
        .await
        .expect("the object job succeeds");
    assert_close(&stats, &want);
    // The data server sent the executor binary (once per executor) and no rows.
    let executors: usize = setup
        .sim
        .snapshot()
        .agents
        .iter()
        .map(|a| a.executors.len())
        .sum();
    let served = cluster.data_server().stats();
    assert_eq!(served.served, executors as u64, "{served:?}");
    // The secret reached the executors, but not through Mesos: not in
    // their environment, not in the master's state.
    let secret = moto.access().secret_access_key.unwrap();
    for environment in executor_environments(setup.sim.work_dir()) {
        assert!(
            environment.iter().all(|v| !v.contains(&secret)),
            "{environment:?}"
        );
    }
    let state = format!("{:?}", setup.sim.snapshot());
    assert!(!state.contains(&secret));
    cluster.shutdown().await.expect("teardown");
}
