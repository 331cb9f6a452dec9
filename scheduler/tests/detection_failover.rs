//! Leader detection against a real ZooKeeper while things fail: leaders
//! dying one after another, ZooKeeper restarting, the detector's session
//! expiring, and digest-protected znodes.

mod detection_support;

use std::time::{Duration, Instant};

use detection_support::{
    DEADLINE, MasterSpec, assert_is, connect, detector, ensure_path, next_change, next_event,
    next_leader, quick_options, register, register_master,
};
use rmesos_mesos_sim::zookeeper::ZooKeeperServer;
use rmesos_scheduler::detection::{DetectionError, DetectorOptions, LeaderEvent, NoLeaderReason};
use zookeeper_client::Acls;

const PATH: &str = "/mesos";

/// Waits until `client` talks to the (restarted) server again.
async fn wait_until_connected(client: &zookeeper_client::Client) {
    let started = Instant::now();
    while client.check_stat("/").await.is_err() {
        assert!(started.elapsed() < DEADLINE, "client did not reconnect");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_the_leader_through_two_deaths_in_a_row() {
    let server = ZooKeeperServer::start().unwrap();
    let zk = server.connect_string();
    // The second master reaches ZooKeeper through a link the test can cut,
    // with a short session so that a partition expires it quickly.
    let link = server.partitionable_link().await.unwrap();
    let first = register_master(&zk, PATH, "master-a", 5050).await;
    let second = register(MasterSpec {
        session_timeout: Duration::from_secs(1),
        ..MasterSpec::new(&link.connect_string(), PATH, "master-b", 5051)
    })
    .await;
    let third = register_master(&zk, PATH, "master-c", 5052).await;

    let mut detector = detector(&format!("zk://{zk}{PATH}"), quick_options());
    assert_is(&next_leader(&mut detector).await, &first);

    // The leader's process dies: its session closes and its znode goes.
    let killed = Instant::now();
    drop(first.client);
    let leader = next_leader(&mut detector).await;
    println!(
        "closed session -> new leader reported: {:?}",
        killed.elapsed()
    );
    assert_is(&leader, &second);

    // The next leader is cut off; ZooKeeper expires its session.
    let cut = Instant::now();
    link.cut();
    let leader = next_leader(&mut detector).await;
    println!(
        "partition -> session expiry -> new leader reported: {:?} (session timeout {:?})",
        cut.elapsed(),
        second.client.session_timeout()
    );
    assert_is(&leader, &third);

    drop(third.client);
    let (change, _) = next_change(&mut detector).await;
    assert_eq!(
        change,
        LeaderEvent::NoLeader {
            path: PATH.into(),
            reason: NoLeaderReason::NoMasters
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detection_continues_after_zookeeper_restarts() {
    let mut server = ZooKeeperServer::start().unwrap();
    let zk = server.connect_string();
    let first = register_master(&zk, PATH, "master-a", 5050).await;
    let second = register_master(&zk, PATH, "master-b", 5051).await;
    let mut detector = detector(&format!("zk://{zk}{PATH}"), quick_options());
    assert_is(&next_leader(&mut detector).await, &first);

    tokio::task::block_in_place(|| server.restart()).unwrap();
    // The leader dies after the restart; the detector must still be watching.
    // Its client first has to be back, or its close would not reach the server.
    wait_until_connected(&first.client).await;
    drop(first.client);
    let (change, errors) = next_change(&mut detector).await;
    let LeaderEvent::Leader(leader) = change else {
        panic!("expected the second master, got {change:?}")
    };
    assert_is(&leader, &second);
    for error in &errors {
        assert!(
            matches!(
                error,
                LeaderEvent::Error(DetectionError::Disconnected { .. })
            ),
            "{error:?}"
        );
    }

    // And once more, a full stop and start with the same data.
    tokio::task::block_in_place(|| server.stop()).unwrap();
    tokio::task::block_in_place(|| server.restart()).unwrap();
    let third = register_master(&zk, PATH, "master-c", 5052).await;
    wait_until_connected(&second.client).await;
    drop(second.client);
    assert_is(&next_leader(&mut detector).await, &third);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_expiry_starts_over_and_keeps_publishing() {
    let mut server = ZooKeeperServer::start().unwrap();
    let zk = server.connect_string();
    let first = register_master(&zk, PATH, "master-a", 5050).await;
    let second = register_master(&zk, PATH, "master-b", 5051).await;
    let options = DetectorOptions {
        session_timeout: Duration::from_secs(1),
        ..quick_options()
    };
    let mut detector = detector(&format!("zk://{zk}{PATH}"), options);
    assert_is(&next_leader(&mut detector).await, &first);

    // ZooKeeper goes away for longer than the detector's (short) session;
    // the masters' longer sessions survive.
    tokio::task::block_in_place(|| server.stop()).unwrap();
    let started = Instant::now();
    loop {
        match next_event(&mut detector).await {
            LeaderEvent::Error(DetectionError::SessionExpired { servers }) => {
                assert_eq!(servers, zk);
                break;
            }
            LeaderEvent::Error(_) => {}
            other => panic!("no leader change expected while ZooKeeper is down: {other:?}"),
        }
        assert!(started.elapsed() < DEADLINE);
    }
    tokio::task::block_in_place(|| server.restart()).unwrap();

    // A fresh session finds the same leader (no event), then follows changes.
    wait_until_connected(&first.client).await;
    drop(first.client);
    let (change, errors) = next_change(&mut detector).await;
    let LeaderEvent::Leader(leader) = change else {
        panic!("expected the second master, got {change:?}")
    };
    assert_is(&leader, &second);
    assert!(
        errors.iter().all(|error| matches!(
            error,
            LeaderEvent::Error(DetectionError::Unreachable { .. })
        )),
        "{errors:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digest_protected_masters_need_the_right_credentials() {
    const AUTH: &str = "mesos:Wonder-land42";
    let server = ZooKeeperServer::start().unwrap();
    let zk = server.connect_string();
    let admin = connect(&zk, Some(AUTH), Duration::from_secs(30)).await;
    ensure_path(&admin, "/secure/mesos", Acls::creator_all()).await;
    let master = register(MasterSpec {
        digest: Some(AUTH),
        ..MasterSpec::new(&zk, "/secure/mesos", "m1", 5050)
    })
    .await;

    let mut authorized = detector(&format!("zk://{AUTH}@{zk}/secure/mesos"), quick_options());
    assert_is(&next_leader(&mut authorized).await, &master);

    for url in [
        format!("zk://{zk}/secure/mesos"),
        format!("zk://mesos:not-the-password@{zk}/secure/mesos"),
    ] {
        let mut refused = detector(&url, quick_options());
        let event = next_event(&mut refused).await;
        let LeaderEvent::Error(error @ DetectionError::NotAuthorized { .. }) = &event else {
            panic!("expected NotAuthorized for {url}, got {event:?}")
        };
        let text = error.to_string();
        assert!(text.contains("/secure/mesos"), "{text}");
        assert!(!text.contains("Wonder") && !text.contains("not-the-password"));
    }
}
