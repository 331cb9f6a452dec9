//! The same conversation (`support::conversation`) with the simulated
//! cluster and with real Apache Mesos 1.12 (three masters, as two cannot
//! reach the replicated log's quorum of two from empty replicas, and one
//! agent, on loopback), compared step by step: status codes, refusal texts, event
//! types and task states. The simulated half also has to match what the
//! Mesos sources say (`EXPECTED`), so the test checks something when real
//! Mesos is not available; then it says loudly that the real half was
//! skipped and why.

mod support;

use std::time::Duration;

use rmesos_mesos_sim::real_mesos::{RealMesos, RealMesosConfig, install};
use rmesos_mesos_sim::zookeeper::ZooKeeperServer;
use support::conversation::{Endpoints, Step, converse};
use support::executor::serve_executor;
use support::*;

/// Status code and detail of each step, as Mesos 1.12's sources answer.
const EXPECTED: &[(&str, u16, &str)] = &[
    (
        "GET",
        405,
        "405 Method Not Allowed. Expecting one of { 'POST' }, but received 'GET'.",
    ),
    (
        "wrong Content-Type",
        415,
        "Expecting 'Content-Type' of application/json or application/x-protobuf",
    ),
    (
        "malformed protobuf",
        400,
        "Failed to parse body into Call protobuf",
    ),
    ("malformed JSON", 400, "Failed to parse body into JSON"),
    (
        "call without type",
        400,
        "Failed to validate scheduler::Call: Expecting 'type' to be present",
    ),
    (
        "SUBSCRIBE to a non-leader",
        307,
        "//LEADER/master/api/v1/scheduler",
    ),
    ("SUBSCRIBE in protobuf", 200, "SUBSCRIBED"),
    ("TEARDOWN (protobuf framework)", 202, ""),
    ("SUBSCRIBE in JSON", 200, "SUBSCRIBED"),
    (
        "REVIVE without a stream id",
        400,
        "All non-subscribe calls should include the 'Mesos-Stream-Id' header",
    ),
    (
        "REVIVE with a wrong stream id",
        400,
        "The stream ID 'not-it' included in this request didn't match the stream ID currently associated with framework ID FID",
    ),
    ("first OFFERS", 200, "OFFERS"),
    ("ACCEPT with LAUNCH", 202, ""),
    ("the executor's first update", 200, "TASK_RUNNING"),
    (
        "executor UPDATE, bad uuid",
        400,
        "Failed to validate Executor::Call: Not a valid UUID",
    ),
    ("executor UPDATE, good uuid", 202, ""),
    (
        "its update reaches the framework",
        200,
        "TASK_RUNNING by hand",
    ),
    (
        "ACKNOWLEDGE, bad uuid",
        400,
        "Failed to validate scheduler::Call: Not a valid UUID",
    ),
    ("RECONCILE", 202, ""),
    (
        "its reconciliation update",
        200,
        "TASK_RUNNING REASON_RECONCILIATION uuid:false",
    ),
    ("DECLINE with a filter", 202, ""),
    ("REVIVE", 202, ""),
    ("offers again after REVIVE", 200, "OFFERS"),
    ("KILL", 202, ""),
    ("its kill update", 200, "TASK_KILLED"),
    ("TEARDOWN", 202, ""),
    ("a call after TEARDOWN", 400, "Framework cannot be found"),
];

fn user() -> String {
    std::env::var("USER").unwrap_or_else(|_| "root".into())
}

async fn simulated(executor_uri: &str) -> Vec<Step> {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    // Mesos' own allocation interval (1 s), as the real cluster has.
    let sim = cluster(&zk, "/conformance", |c| {
        c.masters = 3;
        c.agents = 1;
        c.allocation_interval = rmesos_mesos_sim::config::DEFAULT_ALLOCATION_INTERVAL;
    })
    .await;
    let endpoints = Endpoints {
        masters: sim.master_urls(),
        leader: sim.leader_index().await.unwrap(),
        agent: sim.agent_urls()[0].clone(),
        executor_uri: executor_uri.into(),
        user: user(),
    };
    converse_in_time(&endpoints).await
}

/// The conversation, or a failure naming the deadline (a step that waits
/// for an event that never comes would otherwise wait forever: heartbeats
/// keep the stream alive).
async fn converse_in_time(endpoints: &Endpoints) -> Vec<Step> {
    tokio::time::timeout(Duration::from_secs(180), converse(endpoints))
        .await
        .expect("the conversation ends within 3 minutes")
}

/// The real half, or why it cannot run.
async fn real(executor_uri: &str) -> Result<Vec<Step>, String> {
    install::mesos_home()?;
    let config = RealMesosConfig {
        masters: 3,
        agents: 1,
        ..RealMesosConfig::default()
    };
    let cluster = RealMesos::start(config)
        .await
        .map_err(|e| format!("real Mesos did not start: {e:#}"))?;
    let endpoints = Endpoints {
        masters: cluster.master_urls(),
        leader: real_leader(&cluster).await?,
        agent: cluster.agent_urls()[0].clone(),
        executor_uri: executor_uri.into(),
        user: user(),
    };
    let steps = converse_in_time(&endpoints).await;
    drop(cluster);
    Ok(steps)
}

/// The leading master, from the `leader` pid (`master@host:port`) in
/// `/master/state`. (`RealMesos::leader_index` follows a non-leader's
/// redirect to the leader's `/state`, so it takes the first master for the
/// leader.)
async fn real_leader(cluster: &RealMesos) -> Result<usize, String> {
    let state = cluster
        .leader_json("/master/state")
        .await
        .map_err(|e| format!("no /master/state: {e:#}"))?;
    let pid = state["leader"].as_str().unwrap_or_default();
    let address = pid.rsplit('@').next().unwrap_or_default();
    cluster
        .master_urls()
        .iter()
        .position(|url| !address.is_empty() && url.ends_with(address))
        .ok_or_else(|| format!("no master at the leader's address {pid:?}"))
}

fn check_against_expected(steps: &[Step]) {
    let seen: Vec<(&str, u16, &str)> = steps
        .iter()
        .map(|s| (s.name, s.status, s.detail.as_str()))
        .collect();
    assert_eq!(seen, EXPECTED, "the simulator differs from Mesos' sources");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_answers_the_conversation_as_real_mesos_does() {
    let executor_uri = serve_executor().await;
    let sim = simulated(&executor_uri).await;
    check_against_expected(&sim);
    match real(&executor_uri).await {
        Err(why) => eprintln!(
            "\n********************************************************************\n\
             REAL MESOS SKIPPED: the conformance conversation ran against the\n\
             simulator only. Why: {why}\n\
             ********************************************************************\n"
        ),
        Ok(real) => {
            let mut differences = Vec::new();
            for (s, r) in sim.iter().zip(&real) {
                if s != r {
                    differences.push(format!(
                        "  {}:\n    sim:  {} {:?}\n    real: {} {:?}",
                        s.name, s.status, s.detail, r.status, r.detail
                    ));
                }
            }
            assert_eq!(sim.len(), real.len(), "{real:#?}");
            eprintln!("conformance: {} steps compared with real Mesos", real.len());
            assert!(
                differences.is_empty(),
                "simulator and real Mesos differ:\n{}",
                differences.join("\n")
            );
        }
    }
}
