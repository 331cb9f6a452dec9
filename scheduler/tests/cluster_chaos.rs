//! What users' clusters do to a running job, each on the simulated cluster
//! with the real executor, each ending with the exact statistics: the
//! leading master killed, an agent removed, an executor killed, lease
//! status updates duplicated and delayed, the subscription dropped, a partition
//! file unreadable for a while.

mod cluster_support;

use std::num::{NonZeroU32, NonZeroUsize};
use std::time::Duration;

use cluster_support::*;
use rmesos_mesos_sim::UpdateFaults;
use rmesos_scheduler::cluster::Cluster;
use rmesos_scheduler::engine::Dataset;

const PARTITIONS: u32 = 48;

/// Agents with room for two partition slots each, offered every 60 ms,
/// whose executors take at least 50 ms per partition: leases are
/// long-lived, so without the delay a job of small partitions could end
/// before a fault lands, however early it is applied. `survives` still
/// checks the job ran when the fault came, and what a fault sets off (a
/// new subscription) is waited for, not assumed done when the job ends.
async fn slow_sim(agents: usize) -> Setup {
    start_sim(agents, |c| {
        c.agent_cpus = 2.2;
        c.allocation_interval = Duration::from_millis(60);
        c.executor_env = partition_delays(agents, 50);
    })
    .await
}

/// Runs a job, applies `fault` once a few partitions are done (checking
/// the job is still running then), and checks the exact result.
async fn survives<F, Fut>(setup: &Setup, cluster: &Cluster, fault: F) -> Recorder
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let values = rows(96_000, 4);
    let want = expected(&values, 4);
    let (job, recorder) = submit_running(cluster, values, 4, ("chaos", PARTITIONS), 4).await;
    assert!(
        recorder.partitions_done() < PARTITIONS,
        "the job ended before the fault"
    );
    fault().await;
    let stats = tokio::time::timeout(WAIT, job.wait())
        .await
        .expect("the job ends")
        .expect("the job succeeds");
    assert_close(&stats, &want);
    assert_eq!(recorder.partitions_done(), PARTITIONS);
    let _ = setup;
    recorder
}

/// Waits until the framework is connected in Mesos and the session has
/// subscribed a second time, as the same framework: the driver subscribes
/// again apart from the job, which may end first.
async fn subscribed_again(setup: &Setup, cluster: &Cluster, framework_id: &str) {
    let id = framework_id.to_owned();
    setup
        .sim
        .wait_until("the framework connected again", WAIT, move |s| {
            s.frameworks.iter().any(|f| f.id == id && f.connected)
        })
        .await
        .unwrap();
    let board = wait_for_board(cluster, "a second subscription", |board| {
        board.framework.subscriptions >= 2
    })
    .await;
    assert_eq!(board.framework.id.as_deref(), Some(framework_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_leading_master_is_killed_mid_job() {
    init_tracing();
    let setup = slow_sim(3).await;
    let cluster = connect(&setup, settings()).await;
    let framework_id = cluster.framework_id().to_owned();
    survives(&setup, &cluster, || async {
        setup.sim.kill_leader().await.expect("leader killed");
    })
    .await;
    // The same framework, subscribed again to the new leader.
    subscribed_again(&setup, &cluster, &framework_id).await;
    cluster.shutdown().await.expect("teardown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_agent_is_removed_mid_job() {
    init_tracing();
    let setup = slow_sim(3).await;
    let cluster = connect(&setup, settings()).await;
    survives(&setup, &cluster, || async {
        setup.sim.remove_agent(0).await.expect("agent removed");
    })
    .await;
    cluster.shutdown().await.expect("teardown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_executor_is_killed_mid_job() {
    init_tracing();
    let setup = slow_sim(2).await;
    let cluster = connect(&setup, settings()).await;
    let framework_id = cluster.framework_id().to_owned();
    survives(&setup, &cluster, || async {
        // An executor is listed as soon as its task is launched, but its
        // process may still be starting: kill the first one that runs.
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let snapshot = setup.sim.snapshot();
            let mut killed = false;
            for (agent, a) in snapshot.agents.iter().enumerate() {
                for executor in &a.executors {
                    let executor_id = executor.rsplit('/').next().unwrap();
                    if setup.sim.kill_executor(agent, executor_id).await.is_ok() {
                        killed = true;
                        break;
                    }
                }
                if killed {
                    break;
                }
            }
            if killed {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no executor process started"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    // The engine started fresh executors where it needed them: every
    // executor still running belongs to this framework and is alive.
    let snapshot = setup.sim.snapshot();
    for agent in &snapshot.agents {
        for executor in &agent.executors {
            assert!(executor.starts_with(&framework_id), "{executor}");
        }
    }
    cluster.shutdown().await.expect("teardown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn status_updates_are_duplicated_and_delayed() {
    init_tracing();
    let setup = slow_sim(2).await;
    setup.sim.set_update_faults(UpdateFaults {
        duplicate: true,
        delay: Some(Duration::from_millis(40)),
        reorder: true,
    });
    let cluster = connect(&setup, settings()).await;
    let framework_id = cluster.framework_id().to_owned();
    survives(&setup, &cluster, || async {}).await;
    // Duplicated, late and reordered lease updates leave the board with
    // the very states Mesos has, each lease once.
    let id = framework_id.clone();
    let snapshot = setup
        .sim
        .wait_until("every update acknowledged", WAIT, move |s| {
            s.frameworks
                .iter()
                .any(|f| f.id == id && f.unacknowledged_updates == 0)
        })
        .await
        .unwrap();
    let tasks = snapshot
        .frameworks
        .into_iter()
        .find(|f| f.id == framework_id)
        .unwrap()
        .tasks;
    // The engine hears of an update after the driver acknowledges it.
    wait_for_board(&cluster, "the board to show Mesos' lease states", |board| {
        board.leases.len() == tasks.len()
            && tasks.iter().all(|(task_id, state)| {
                let state = rmesos_common::wire::v1::TaskState::try_from(*state).unwrap();
                board
                    .leases
                    .get(task_id)
                    .is_some_and(|l| l.state == state.as_str_name())
            })
    })
    .await;
    cluster.shutdown().await.expect("teardown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_subscription_is_dropped_mid_job() {
    init_tracing();
    let setup = slow_sim(2).await;
    let cluster = connect(&setup, settings()).await;
    let framework_id = cluster.framework_id().to_owned();
    survives(&setup, &cluster, || async {
        setup.sim.drop_subscription(&framework_id).await;
    })
    .await;
    subscribed_again(&setup, &cluster, &framework_id).await;
    cluster.shutdown().await.expect("teardown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_partition_file_unreadable_for_a_while_is_retried() {
    init_tracing();
    let setup = slow_sim(2).await;
    let generous = rmesos_scheduler::settings::SessionSettings {
        max_attempts: "10".parse().unwrap(),
        ..settings()
    };
    let cluster = connect(&setup, generous).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.npy");
    let hidden = dir.path().join("hidden.npy");
    let values = rows(12_000, 3);
    write_npy(&path, &values, 3);
    let job_plan = Dataset::Npy(path.clone())
        .plan("unreadable", NonZeroU32::new(6), NonZeroUsize::MIN)
        .unwrap();
    // The storage goes away under the executors after planning...
    std::fs::rename(&path, &hidden).unwrap();
    let recorder = Recorder::default();
    let job = cluster.submit(job_plan, recorder.sink());
    recorder
        .wait_for("a failed attempt", |u| {
            u.iter().any(|u| u.progress.attempts_failed >= 1)
        })
        .await;
    // ...and comes back: the retries read it.
    std::fs::rename(&hidden, &path).unwrap();
    let stats = job.wait().await.expect("the job succeeds after retries");
    assert_close(&stats, &expected(&values, 3));
    let failures = recorder.failures();
    assert!(
        failures.iter().any(|m| m.contains("shared.npy")),
        "failures name the file: {failures:?}"
    );
    cluster.shutdown().await.expect("teardown");
}
