//! Coarse-grained execution on the simulated cluster with the real
//! executor: partitions run on a few long-lived leases rather than one
//! Mesos task each, the work goes on with no master at all, idle leases
//! are given back, `--max-cpus` caps what the session holds, and a slow
//! agent's partitions get copies elsewhere.

mod cluster_support;

use std::collections::HashMap;

use cluster_support::*;
use rmesos_common::wire::v1::TaskState;
use rmesos_mesos_sim::ClusterSnapshot;
use rmesos_scheduler::cluster::Cluster;
use rmesos_scheduler::engine::{Dataset, JobError};
use rmesos_scheduler::settings::SessionSettings;

fn plan(
    values: &[f64],
    ncols: usize,
    job: &str,
    partitions: u32,
) -> rmesos_scheduler::engine::JobPlan {
    Dataset::in_memory(values.to_vec(), ncols)
        .unwrap()
        .plan(
            job,
            std::num::NonZeroU32::new(partitions),
            std::num::NonZeroUsize::MIN,
        )
        .unwrap()
}

/// The framework's Mesos tasks, by id, with their states.
fn tasks_of(snapshot: &ClusterSnapshot, framework_id: &str) -> HashMap<String, i32> {
    snapshot
        .frameworks
        .iter()
        .find(|f| f.id == framework_id)
        .map(|f| f.tasks.clone())
        .unwrap_or_default()
}

fn running(tasks: &HashMap<String, i32>) -> usize {
    tasks
        .values()
        .filter(|s| **s == TaskState::TaskRunning as i32)
        .count()
}

async fn run_exact(cluster: &Cluster, values: &[f64], ncols: usize, job: &str, partitions: u32) {
    let stats = tokio::time::timeout(
        WAIT,
        cluster.run(
            plan(values, ncols, job, partitions),
            Recorder::default().sink(),
        ),
    )
    .await
    .expect("the job ends")
    .expect("the job succeeds");
    assert_close(&stats, &expected(values, ncols));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn partitions_run_on_a_few_leases_that_the_next_job_reuses() {
    init_tracing();
    let setup = start_sim(2, |c| c.agent_cpus = 2.2).await;
    // Speculative copies would count twice in `partitions_run`.
    let exact = SessionSettings {
        speculation: "off".parse().unwrap(),
        ..settings()
    };
    let cluster = connect(&setup, exact).await;
    let framework_id = cluster.framework_id().to_owned();
    let values = rows(48_000, 4);
    run_exact(&cluster, &values, 4, "first", 48).await;
    // The job can end while a lease is still starting. The board lists a
    // lease from its launch on, and hears that it runs after Mesos does.
    let board = wait_for_board(&cluster, "every lease running on the board", |board| {
        !board.leases.is_empty() && board.leases.values().all(|l| l.state == "TASK_RUNNING")
    })
    .await;
    let id = framework_id.clone();
    let snapshot = setup
        .sim
        .wait_until("every lease running in Mesos", WAIT, move |s| {
            let tasks = tasks_of(s, &id);
            !tasks.is_empty() && running(&tasks) == tasks.len()
        })
        .await
        .unwrap();
    let after_first = tasks_of(&snapshot, &framework_id);
    assert!(
        after_first.len() <= 4,
        "48 partitions on at most 2 leases per agent: {after_first:?}"
    );
    let mut launched: Vec<&String> = board.leases.keys().collect();
    let mut in_mesos: Vec<&String> = after_first.keys().collect();
    launched.sort();
    in_mesos.sort();
    assert_eq!(launched, in_mesos, "the board's leases are Mesos' tasks");
    let run: u64 = board
        .leases
        .values()
        .map(|l| (l.executor.clone(), l.partitions_run))
        .collect::<HashMap<_, _>>()
        .values()
        .sum();
    assert_eq!(run, 48, "{:?}", board.leases);
    // The next job runs on the same leases: Mesos sees no new task.
    run_exact(&cluster, &values, 4, "second", 16).await;
    let after_second = tasks_of(&setup.sim.snapshot(), &framework_id);
    assert_eq!(after_second, after_first);
    cluster.shutdown().await.expect("teardown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_work_goes_on_while_no_master_runs() {
    init_tracing();
    let setup = start_sim(2, |c| {
        c.masters = 1;
        c.agent_cpus = 2.2;
    })
    .await;
    let cluster = connect(&setup, settings()).await;
    let values = rows(96_000, 4);
    let (job, recorder) = submit_running(&cluster, values.clone(), 4, ("masterless", 96), 4).await;
    assert!(
        recorder.partitions_done() < 96,
        "the job ended before the fault"
    );
    let killed = setup
        .sim
        .kill_leader()
        .await
        .expect("the only master killed");
    assert_eq!(setup.sim.snapshot().leader, None, "no master left");
    let stats = tokio::time::timeout(WAIT, job.wait())
        .await
        .expect("the job ends")
        .expect("the job succeeds without a master");
    assert_close(&stats, &expected(&values, 4));
    assert_eq!(setup.sim.snapshot().leader, None, "still no master");
    setup.sim.restart_master(killed).await.expect("master back");
    cluster.shutdown().await.expect("teardown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn idle_leases_are_given_back_and_taken_again_for_the_next_job() {
    init_tracing();
    let setup = start_sim(2, |c| c.agent_cpus = 2.2).await;
    let idle = SessionSettings {
        idle_timeout: "300ms".parse().unwrap(),
        ..settings()
    };
    let cluster = connect(&setup, idle).await;
    let framework_id = cluster.framework_id().to_owned();
    let values = rows(8_000, 3);
    run_exact(&cluster, &values, 3, "before", 8).await;
    let first = tasks_of(&setup.sim.snapshot(), &framework_id);
    assert!(running(&first) >= 1, "{first:?}");
    let id = framework_id.clone();
    setup
        .sim
        .wait_until("leases given back and executors gone", WAIT, move |s| {
            let tasks = tasks_of(s, &id);
            running(&tasks) == 0
                && s.agents
                    .iter()
                    .all(|a| a.executors.iter().all(|e| !e.starts_with(&id)))
        })
        .await
        .unwrap();
    wait_for_board(&cluster, "every lease killed on the board", |board| {
        !board.leases.is_empty() && board.leases.values().all(|l| l.state == "TASK_KILLED")
    })
    .await;
    run_exact(&cluster, &values, 3, "after", 8).await;
    let second = tasks_of(&setup.sim.snapshot(), &framework_id);
    assert!(second.len() > first.len(), "new leases: {second:?}");
    cluster.shutdown().await.expect("teardown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn max_cpus_caps_the_leases() {
    init_tracing();
    let setup = start_sim(2, |c| c.agent_cpus = 2.2).await;
    let capped = SessionSettings {
        max_cpus: Some("1".parse().unwrap()),
        ..settings()
    };
    let cluster = connect(&setup, capped).await;
    let framework_id = cluster.framework_id().to_owned();
    let values = rows(24_000, 2);
    run_exact(&cluster, &values, 2, "capped", 24).await;
    let tasks = tasks_of(&setup.sim.snapshot(), &framework_id);
    assert_eq!(tasks.len(), 1, "one lease of one cpu: {tasks:?}");
    let board = cluster.status().snapshot();
    let cpus: f64 = board.leases.values().map(|l| l.cpus).sum();
    assert!((cpus - 1.0).abs() < 1e-9, "{:?}", board.leases);
    let framework = setup
        .sim
        .snapshot()
        .frameworks
        .into_iter()
        .find(|f| f.id == framework_id)
        .unwrap();
    assert!(
        framework.suppressed,
        "a capped session wants no more offers"
    );
    cluster.shutdown().await.expect("teardown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slow_agents_partitions_get_copies_elsewhere() {
    init_tracing();
    // Every partition on agent 0 takes 60 s; the job must not. Those on
    // agent 1 take 300 ms, so that agent 0's executor is up and holds
    // partitions (32 take agent 1 alone about 5 s) however slowly it starts.
    let setup = start_sim(2, |c| {
        c.agent_cpus = 2.2;
        c.executor_env = vec![partition_delay(0, 60_000), partition_delay(1, 300)];
    })
    .await;
    let hurried = SessionSettings {
        job_timeout: Some("30s".parse().unwrap()),
        ..settings()
    };
    let cluster = connect(&setup, hurried).await;
    let values = rows(32_000, 2);
    run_exact(&cluster, &values, 2, "speculated", 32).await;
    let board = cluster.status().snapshot();
    let job = board.jobs.back().unwrap();
    assert!(job.attempts_started > 32, "copies were started: {job:?}");
    let cancelled = job
        .tasks
        .values()
        .filter(|t| t.state == "TASK_KILLED")
        .count();
    assert!(
        cancelled >= 1,
        "the slow originals were cancelled: {:?}",
        job.tasks
    );

    cluster.shutdown().await.expect("teardown");

    // Without speculation the same job waits for the slow agent.
    let plain = SessionSettings {
        speculation: "off".parse().unwrap(),
        // Agent 1 alone would be done in about 5 s.
        job_timeout: Some("12s".parse().unwrap()),
        ..settings()
    };
    let second = connect(&setup, plain).await;
    let error = second
        .run(
            plan(&values, 2, "unspeculated", 16),
            Recorder::default().sink(),
        )
        .await
        .expect_err("stuck behind the slow agent");
    assert!(matches!(error, JobError::TimedOut(_)), "{error}");
    second.shutdown().await.expect("teardown");
}
