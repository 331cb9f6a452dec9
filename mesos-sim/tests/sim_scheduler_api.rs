//! The simulated masters against what the Mesos scheduler HTTP API docs
//! say: leadership through ZooKeeper (307 with a protocol-relative
//! Location from non-leaders), stream ids, media types, authentication,
//! offers and declines, reliable status updates, failover.

mod support;

use std::time::Duration;

use rmesos_common::wire::codec::Encoding;
use rmesos_common::wire::scheduler::{Call, call, event};
use rmesos_common::wire::v1;
use rmesos_mesos_sim::Credential;
use rmesos_mesos_sim::zookeeper::ZooKeeperServer;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_leaders_redirect_and_stream_ids_are_checked() {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = cluster(&zk, "/mesos-a", |_| {}).await;
    let leader = sim.leader_index().await.unwrap();
    let urls = sim.master_urls();
    let other = (leader + 1) % urls.len();
    let response = post(
        &urls[other],
        &subscribe_call(None),
        Encoding::Protobuf,
        None,
        None,
    )
    .await;
    assert_eq!(response.status(), 307);
    let location = response.headers()["Location"].to_str().unwrap();
    let leader_port = urls[leader].rsplit(':').next().unwrap();
    assert_eq!(
        location,
        format!("//127.0.0.1:{leader_port}/master/api/v1/scheduler")
    );

    let mut stream = subscribe(&urls[leader], None, Encoding::Protobuf).await;
    let first = stream.next().await.unwrap();
    assert_eq!(
        first.r#type,
        Some(event::Type::Subscribed as i32),
        "SUBSCRIBED comes first"
    );
    let fid = framework_id(&first);
    assert!(
        first
            .subscribed
            .unwrap()
            .heartbeat_interval_seconds
            .unwrap()
            > 0.0
    );
    stream.next_of(event::Type::Heartbeat).await;

    let with_header = post(
        &urls[leader],
        &subscribe_call(None),
        Encoding::Protobuf,
        Some("x"),
        None,
    )
    .await;
    assert_eq!(with_header.status(), 400);
    let revive = simple_call(call::Type::Revive, &fid);
    assert_eq!(
        post(&urls[leader], &revive, Encoding::Protobuf, None, None)
            .await
            .status(),
        400
    );
    assert_eq!(
        post(
            &urls[leader],
            &revive,
            Encoding::Protobuf,
            Some("not-it"),
            None
        )
        .await
        .status(),
        400
    );
    assert_eq!(
        post(
            &urls[leader],
            &revive,
            Encoding::Protobuf,
            Some(&stream.stream_id),
            None
        )
        .await
        .status(),
        202
    );
    let bad_type = reqwest::Client::new()
        .post(format!("{}/api/v1/scheduler", urls[leader]))
        .header("Content-Type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_type.status(), 415);
    let unknown = simple_call(call::Type::Revive, "no-such-framework");
    assert_eq!(
        post(
            &urls[leader],
            &unknown,
            Encoding::Protobuf,
            Some(&stream.stream_id),
            None
        )
        .await
        .status(),
        400
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_subscriptions_offers_declines_and_revive() {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = cluster(&zk, "/mesos-b", |c| c.agents = 1).await;
    let url = sim.leader_url().unwrap();
    let mut stream = subscribe(&url, None, Encoding::Json).await;
    let fid = framework_id(&stream.next().await.unwrap());
    let offers = stream
        .next_of(event::Type::Offers)
        .await
        .offers
        .unwrap()
        .offers;
    assert_eq!(offers.len(), 1);
    let cpus: f64 = offers[0]
        .resources
        .iter()
        .filter(|r| r.name == "cpus")
        .map(|r| r.scalar.unwrap().value)
        .sum();
    assert_eq!(cpus, 4.0, "the agent's free cpus are offered");
    let ports = offers[0]
        .resources
        .iter()
        .find(|r| r.name == "ports")
        .and_then(|r| r.ranges.clone())
        .unwrap();
    assert_eq!((ports.range[0].begin, ports.range[0].end), (31000, 32000));

    let decline = Call {
        decline: Some(call::Decline {
            offer_ids: vec![offers[0].id.clone()],
            filters: Some(v1::Filters {
                refuse_seconds: Some(3600.0),
            }),
        }),
        ..simple_call(call::Type::Decline, &fid)
    };
    call_ok(&url, &stream, &decline).await;
    sim.wait_until("the offer withdrawn", DEADLINE, |s| {
        s.outstanding_offers == 0
    })
    .await
    .unwrap();
    // With the agent filtered for an hour, heartbeats come but no offers.
    for _ in 0..3 {
        let event = stream.next().await.unwrap();
        assert_ne!(
            event.r#type,
            Some(event::Type::Offers as i32),
            "declined agent offered again: {event:?}"
        );
    }
    let revive = simple_call(call::Type::Revive, &fid);
    call_ok(&url, &stream, &revive).await;
    let again = stream
        .next_of(event::Type::Offers)
        .await
        .offers
        .unwrap()
        .offers;
    assert_eq!(
        again[0].agent_id, offers[0].agent_id,
        "revive clears the filter"
    );
    assert_ne!(again[0].id, offers[0].id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_get_401() {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = cluster(&zk, "/mesos-c", |c| {
        c.authentication = Some(Credential {
            principal: "tester".into(),
            secret: "right".into(),
        })
    })
    .await;
    let url = sim.leader_url().unwrap();
    let wrong = post(
        &url,
        &subscribe_call(None),
        Encoding::Protobuf,
        None,
        Some(("tester", "wrong")),
    )
    .await;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().contains_key("WWW-Authenticate"));
    let none = post(&url, &subscribe_call(None), Encoding::Protobuf, None, None).await;
    assert_eq!(none.status(), 401);
    let right = post(
        &url,
        &subscribe_call(None),
        Encoding::Protobuf,
        None,
        Some(("tester", "right")),
    )
    .await;
    assert_eq!(right.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_are_resent_until_acknowledged() {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = cluster(&zk, "/mesos-d", |c| c.agents = 1).await;
    let url = sim.leader_url().unwrap();
    let mut stream = subscribe(&url, None, Encoding::Protobuf).await;
    let fid = framework_id(&stream.next().await.unwrap());
    let offer = stream.next_offer().await;
    let task = v1::TaskInfo {
        name: "t".into(),
        task_id: v1::TaskId {
            value: "task-1".into(),
        },
        agent_id: offer.agent_id.clone(),
        resources: offer
            .resources
            .iter()
            .filter(|r| r.name == "cpus")
            .cloned()
            .map(|mut r| {
                r.scalar = Some(v1::value::Scalar { value: 1.0 });
                r
            })
            .collect(),
        // A command task: valid for Mesos; the simulated agent fails it
        // (it runs custom executors only), with a reliable update.
        command: Some(shell("true")),
        ..Default::default()
    };
    let accept = launch_call(&fid, &offer, vec![task]);
    call_ok(&url, &stream, &accept).await;
    let first = stream.next_status().await;
    let uuid = first
        .uuid
        .clone()
        .expect("an agent's update carries a uuid");
    let again = stream.next_status().await;
    assert_eq!(
        again.uuid.as_ref(),
        Some(&uuid),
        "resent while unacknowledged"
    );
    let ack = Call {
        acknowledge: Some(call::Acknowledge {
            agent_id: offer.agent_id.clone(),
            task_id: first.task_id.clone(),
            uuid,
        }),
        ..simple_call(call::Type::Acknowledge, &fid)
    };
    call_ok(&url, &stream, &ack).await;
    sim.wait_until("the update acknowledged", DEADLINE, |s| {
        s.frameworks[0].unacknowledged_updates == 0
    })
    .await
    .unwrap();
    let reconcile = Call {
        reconcile: Some(call::Reconcile { tasks: vec![] }),
        ..simple_call(call::Type::Reconcile, &fid)
    };
    call_ok(&url, &stream, &reconcile).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_failover_keeps_the_framework_for_a_resubscription() {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = cluster(&zk, "/mesos-e", |_| {}).await;
    let url = sim.leader_url().unwrap();
    let mut stream = subscribe(&url, None, Encoding::Protobuf).await;
    let fid = framework_id(&stream.next().await.unwrap());
    let dead = sim.kill_leader().await.unwrap();
    // The old stream ends.
    while stream.next().await.is_some() {}
    let new_leader = sim.leader_index().await.unwrap();
    assert_ne!(new_leader, dead);
    let mut again = subscribe(&sim.leader_url().unwrap(), Some(&fid), Encoding::Protobuf).await;
    assert_eq!(
        framework_id(&again.next().await.unwrap()),
        fid,
        "same framework id after failover"
    );
    let snapshot = sim
        .wait_until("resubscribed", DEADLINE, |s| {
            s.frameworks.iter().any(|f| f.id == fid && f.connected)
        })
        .await
        .unwrap();
    assert_eq!(snapshot.frameworks[0].subscribe_count, 2);
    let teardown = simple_call(call::Type::Teardown, &fid);
    assert_eq!(
        post(
            &sim.leader_url().unwrap(),
            &teardown,
            Encoding::Protobuf,
            Some(&again.stream_id),
            None
        )
        .await
        .status(),
        202
    );
    sim.wait_until("removed", DEADLINE, |s| s.frameworks[0].removed)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_agent_rescinds_its_offers() {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = cluster(&zk, "/mesos-f", |c| c.agents = 1).await;
    let url = sim.leader_url().unwrap();
    let mut stream = subscribe(&url, None, Encoding::Protobuf).await;
    stream.next().await.unwrap();
    let offer = stream.next_offer().await;
    sim.remove_agent(0).await.unwrap();
    let rescind = stream.next_of(event::Type::Rescind).await.rescind.unwrap();
    assert_eq!(rescind.offer_id, offer.id);
    let snapshot = sim
        .wait_until("no offers", DEADLINE, |s| s.outstanding_offers == 0)
        .await
        .unwrap();
    assert!(!snapshot.agents[0].alive);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicated_updates_arrive_twice_with_the_same_uuid() {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = cluster(&zk, "/mesos-g", |c| {
        c.agents = 1;
        c.status_update_retry = Duration::from_secs(3600);
    })
    .await;
    sim.set_update_faults(rmesos_mesos_sim::UpdateFaults {
        duplicate: true,
        ..Default::default()
    });
    let url = sim.leader_url().unwrap();
    let mut stream = subscribe(&url, None, Encoding::Protobuf).await;
    let fid = framework_id(&stream.next().await.unwrap());
    let offer = stream.next_offer().await;
    let task = v1::TaskInfo {
        name: "t".into(),
        task_id: v1::TaskId {
            value: "dup-1".into(),
        },
        agent_id: offer.agent_id.clone(),
        resources: offer
            .resources
            .iter()
            .filter(|r| r.name == "mem")
            .cloned()
            .map(|mut r| {
                r.scalar = Some(v1::value::Scalar { value: 32.0 });
                r
            })
            .collect(),
        command: Some(shell("true")),
        ..Default::default()
    };
    let accept = launch_call(&fid, &offer, vec![task]);
    call_ok(&url, &stream, &accept).await;
    let a = stream.next_status().await;
    let b = stream.next_status().await;
    assert_eq!(a.uuid, b.uuid);
    assert_eq!(a.task_id, b.task_id);
}

fn shell(command: &str) -> v1::CommandInfo {
    v1::CommandInfo {
        value: Some(command.into()),
        ..Default::default()
    }
}
