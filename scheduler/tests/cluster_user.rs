//! The framework's user (`--user` / `RMESOS_USER` / `Context(user=)`) on
//! the simulated cluster, whose agents switch to it as Mesos' do by
//! default: it reaches `FrameworkInfo.user`; a user the agents have no
//! account for fails the job at once, saying which user and what to set;
//! a user they know, or agents with `--no-switch_user`, run it exactly.

mod cluster_support;

use std::time::{Duration, Instant};

use cluster_support::*;
use rmesos_scheduler::driver::current_os_user;
use rmesos_scheduler::engine::{Dataset, JobError, JobPlan};
use rmesos_scheduler::settings::{SessionSettings, UserName};
use serde_json::Value;

const NO_SUCH_USER: &str = "rmesos-no-such-user";

fn seed_plan(job: &str) -> JobPlan {
    let seed = vec![1.0, 20.0, 300.0, 3.0, 10.0, 200.0, 2.0, 30.0, 100.0];
    Dataset::in_memory(seed, 3)
        .unwrap()
        .plan(
            job,
            std::num::NonZeroU32::new(2),
            std::num::NonZeroUsize::MIN,
        )
        .unwrap()
}

fn as_user(name: &str, user: &str) -> SessionSettings {
    SessionSettings {
        app_name: name.into(),
        user: Some(UserName(user.into())),
        ..settings()
    }
}

/// The framework named `name` in the leader's `/master/frameworks`.
async fn framework(setup: &Setup, name: &str) -> Value {
    let leader = setup.sim.leader_url().expect("a leader");
    let body: Value = reqwest::get(format!("{leader}/master/frameworks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    ["frameworks", "completed_frameworks"]
        .iter()
        .filter_map(|key| body[*key].as_array())
        .flatten()
        .find(|f| f["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no framework {name}: {body:#}"))
}

/// How many leases (tasks) the framework launched, ended or not.
fn leases(framework: &Value) -> usize {
    ["tasks", "completed_tasks"]
        .iter()
        .filter_map(|key| framework[*key].as_array())
        .map(Vec::len)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unknown_user_fails_the_job_at_once_naming_the_user_and_the_setting() {
    init_tracing();
    let setup = start_sim(2, |_| {}).await;
    let cluster = connect(&setup, as_user("no-user", NO_SUCH_USER)).await;
    for job in ["first", "second"] {
        let started = Instant::now();
        let error = cluster
            .run(seed_plan(job), Recorder::default().sink())
            .await
            .expect_err("no agent can run the user's executor");
        let elapsed = started.elapsed();
        let JobError::Cluster(message) = &error else {
            panic!("{job}: not a cluster error: {error:?}");
        };
        for needle in [
            format!("the agents cannot run tasks as user '{NO_SUCH_USER}'"),
            format!("No such user '{NO_SUCH_USER}'"),
            "--user / RMESOS_USER / Context(user=...)".to_owned(),
            "--no-switch_user".to_owned(),
        ] {
            assert!(
                message.contains(&needle),
                "{job}: no {needle:?} in {message}"
            );
        }
        assert!(elapsed < Duration::from_secs(5), "{job}: {elapsed:?}");
    }
    let entry = framework(&setup, "no-user").await;
    assert_eq!(entry["user"], NO_SUCH_USER, "{entry:#}");
    // One round of leases per job at most (one per agent): no retries.
    assert!(leases(&entry) <= 4, "{entry:#}");
    cluster.shutdown().await.expect("teardown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_user_the_agents_know_or_agents_without_switch_user_run_the_job_exactly() {
    init_tracing();
    let known = current_os_user();
    let cases = [
        ("known-user", known.as_str(), true),
        ("no-switch-user", NO_SUCH_USER, false),
    ];
    for (name, user, switch_user) in cases {
        let setup = start_sim(1, |config| config.switch_user = switch_user).await;
        let cluster = connect(&setup, as_user(name, user)).await;
        let stats = cluster
            .run(seed_plan(name), Recorder::default().sink())
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(stats.count(), 3, "{name}");
        assert_eq!(stats.mean().unwrap(), vec![2.0, 20.0, 200.0], "{name}");
        assert_eq!(
            stats.variance().unwrap(),
            vec![1.0, 100.0, 10000.0],
            "{name}"
        );
        assert_eq!(framework(&setup, name).await["user"], user, "{name}");
        cluster.shutdown().await.expect("teardown");
    }
}
