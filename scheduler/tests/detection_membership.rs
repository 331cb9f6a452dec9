//! Leader detection against a real ZooKeeper: which children count as
//! masters, old binary `info_` members, missing paths and empty ones, an
//! ensemble that is down at first, duplicate hosts, a fixed http master,
//! and how long a new leader takes to be reported.

mod detection_support;

use std::time::{Duration, Instant};

use detection_support::{
    DEADLINE, Encoding, MasterSpec, assert_is, connect, detector, ensure_path, next_change,
    next_event, next_leader, quick_options, register, register_master,
};
use futures::FutureExt;
use rmesos_mesos_sim::zookeeper::ZooKeeperServer;
use rmesos_scheduler::detection::{DetectionError, DetectorOptions, LeaderEvent, NoLeaderReason};
use zookeeper_client::{Acls, CreateMode};

const PATH: &str = "/mesos";

fn no_leader(path: &str, reason: NoLeaderReason) -> LeaderEvent {
    LeaderEvent::NoLeader {
        path: path.to_owned(),
        reason,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unrelated_children_are_ignored() {
    let server = ZooKeeperServer::start().unwrap();
    let zk = server.connect_string();
    let admin = connect(&zk, None, Duration::from_secs(30)).await;
    ensure_path(&admin, "/mesos/log_replicas", Acls::anyone_all()).await;
    let persistent = CreateMode::Persistent.with_acls(Acls::anyone_all());
    // Created before the master, so any sequence they seem to carry is lower.
    for name in ["json.info_notanumber", "leader_0000000000", "0000000000"] {
        admin
            .create(&format!("{PATH}/{name}"), b"{}", &persistent)
            .await
            .unwrap();
    }
    let master = register_master(&zk, PATH, "only-master", 5050).await;

    let mut detector = detector(&format!("zk://{zk}{PATH}"), quick_options());
    assert_is(&next_leader(&mut detector).await, &master);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_binary_info_members_count_and_lowest_sequence_leads() {
    let server = ZooKeeperServer::start().unwrap();
    let zk = server.connect_string();
    let old = register(MasterSpec {
        encoding: Encoding::Protobuf,
        ..MasterSpec::new(&zk, PATH, "old-master", 5050)
    })
    .await;
    assert!(old.member.starts_with("info_"), "{}", old.member);
    let new = register_master(&zk, PATH, "new-master", 5051).await;

    let mut detector = detector(&format!("zk://{zk}{PATH}"), quick_options());
    assert_is(&next_leader(&mut detector).await, &old);
    drop(old.client);
    assert_is(&next_leader(&mut detector).await, &new);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_path_then_empty_path_then_a_master() {
    let server = ZooKeeperServer::start().unwrap();
    let zk = server.connect_string();
    let mut detector = detector(&format!("zk://{zk}/team/mesos"), quick_options());
    assert_eq!(
        next_event(&mut detector).await,
        no_leader("/team/mesos", NoLeaderReason::PathMissing)
    );

    let admin = connect(&zk, None, Duration::from_secs(30)).await;
    ensure_path(&admin, "/team/mesos", Acls::anyone_all()).await;
    assert_eq!(
        next_event(&mut detector).await,
        no_leader("/team/mesos", NoLeaderReason::NoMasters)
    );

    let master = register_master(&zk, "/team/mesos", "m1", 5050).await;
    assert_is(&next_leader(&mut detector).await, &master);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_leader_data_is_reported() {
    let server = ZooKeeperServer::start().unwrap();
    let zk = server.connect_string();
    let admin = connect(&zk, None, Duration::from_secs(30)).await;
    ensure_path(&admin, PATH, Acls::anyone_all()).await;
    let ephemeral = CreateMode::EphemeralSequential.with_acls(Acls::anyone_all());
    let (_, sequence) = admin
        .create(&format!("{PATH}/json.info_"), b"{not json", &ephemeral)
        .await
        .unwrap();
    let member = format!("json.info_{sequence}");

    let mut detector = detector(&format!("zk://{zk}{PATH}"), quick_options());
    let LeaderEvent::Error(DetectionError::BadMasterInfo { znode, .. }) =
        next_event(&mut detector).await
    else {
        panic!("expected a BadMasterInfo error")
    };
    assert_eq!(znode, format!("{PATH}/{member}"));
    assert_eq!(
        next_event(&mut detector).await,
        no_leader(PATH, NoLeaderReason::LeaderUnreadable { member })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ensemble_that_is_down_at_first_is_reported_then_followed() {
    let mut server = ZooKeeperServer::start().unwrap();
    let zk = server.connect_string();
    tokio::task::block_in_place(|| server.stop()).unwrap();

    let mut detector = detector(&format!("zk://{zk}{PATH}"), quick_options());
    match next_event(&mut detector).await {
        LeaderEvent::Error(error @ DetectionError::Unreachable { .. }) => {
            assert!(error.to_string().contains(&zk), "{error}");
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }

    tokio::task::block_in_place(|| server.restart()).unwrap();
    let master = register_master(&zk, PATH, "late-master", 5050).await;
    let (change, errors) = next_change(&mut detector).await;
    // Retries while the server was down repeat the same error only once.
    assert!(errors.is_empty(), "{errors:?}");
    let LeaderEvent::Leader(leader) = change else {
        panic!("expected the late master, got {change:?}")
    };
    assert_is(&leader, &master);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_host_listed_twice_works() {
    let server = ZooKeeperServer::start().unwrap();
    let zk = server.connect_string();
    let master = register_master(&zk, PATH, "m1", 5050).await;
    let mut detector = detector(&format!("zk://{zk},{zk},{zk}{PATH}"), quick_options());
    assert_is(&next_leader(&mut detector).await, &master);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detector_session_expiry_behind_a_partition_starts_over() {
    let server = ZooKeeperServer::start().unwrap();
    let zk = server.connect_string();
    let link = server.partitionable_link().await.unwrap();
    let first = register_master(&zk, PATH, "master-a", 5050).await;
    let second = register_master(&zk, PATH, "master-b", 5051).await;
    let options = DetectorOptions {
        session_timeout: Duration::from_secs(1),
        ..quick_options()
    };
    let mut detector = detector(&format!("zk://{}{PATH}", link.connect_string()), options);
    assert_is(&next_leader(&mut detector).await, &first);

    link.cut();
    let started = Instant::now();
    loop {
        match next_event(&mut detector).await {
            LeaderEvent::Error(DetectionError::SessionExpired { .. }) => break,
            LeaderEvent::Error(_) => {}
            other => panic!("no leader change expected during the partition: {other:?}"),
        }
        assert!(started.elapsed() < DEADLINE);
    }
    // The leader changes while the detector is cut off.
    drop(first.client);
    link.restore();
    let (change, _) = next_change(&mut detector).await;
    let LeaderEvent::Leader(leader) = change else {
        panic!("expected the second master, got {change:?}")
    };
    assert_is(&leader, &second);
}

#[tokio::test]
async fn a_fixed_master_is_the_one_leader() {
    let mut detector = detector("https://master.example:5443", quick_options());
    let leader = next_leader(&mut detector).await;
    assert_eq!(leader.endpoint.to_string(), "master.example:5443");
    assert!(leader.info.is_none() && leader.member.is_none());
    use futures::StreamExt;
    assert!(detector.next().now_or_never().is_none(), "nothing more");
}

/// Prints how long a new leader's znode takes to be reported (not a timed
/// assertion: speed is for benchmarks; this shows the order of magnitude).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn measure_time_from_znode_to_reported_leader() {
    const ROUNDS: usize = 20;
    let server = ZooKeeperServer::start().unwrap();
    let zk = server.connect_string();
    let admin = connect(&zk, None, Duration::from_secs(30)).await;
    ensure_path(&admin, PATH, Acls::anyone_all()).await;
    let mut detector = detector(&format!("zk://{zk}{PATH}"), quick_options());
    assert_eq!(
        next_event(&mut detector).await,
        no_leader(PATH, NoLeaderReason::NoMasters)
    );

    let mut latencies = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        let client = connect(&zk, None, Duration::from_secs(30)).await;
        let info = detection_support::master_info(&format!("m{round}"), 5050);
        let data = rmesos_common::wire::master_info::master_info_to_json(&info).unwrap();
        let ephemeral = CreateMode::EphemeralSequential.with_acls(Acls::anyone_all());
        let created = Instant::now();
        client
            .create(&format!("{PATH}/json.info_"), &data, &ephemeral)
            .await
            .unwrap();
        let leader = next_leader(&mut detector).await;
        latencies.push(created.elapsed());
        assert_eq!(leader.info.as_deref(), Some(&info));
        drop(client);
        assert_eq!(
            next_change(&mut detector).await.0,
            no_leader(PATH, NoLeaderReason::NoMasters)
        );
    }
    latencies.sort();
    println!(
        "znode created -> leader reported over {ROUNDS} rounds: min {:?}, median {:?}, max {:?}",
        latencies[0],
        latencies[ROUNDS / 2],
        latencies[ROUNDS - 1]
    );
}
