//! Offers come as Mesos' hierarchical allocator makes them: once per
//! allocation interval (1 s by default), at once on SUBSCRIBE and REVIVE,
//! and resources given back (a declined offer, a finished task) only at
//! the next interval.

mod support;

use std::time::{Duration, Instant};

use rmesos_common::wire::codec::Encoding;
use rmesos_common::wire::scheduler::{Call, call};
use rmesos_common::wire::v1::{self, TaskState};
use rmesos_mesos_sim::ClusterConfig;
use rmesos_mesos_sim::zookeeper::ZooKeeperServer;
use support::executor::*;
use support::*;

const INTERVAL: Duration = Duration::from_secs(2);

fn decline(fid: &str, offer: &v1::Offer, refuse_seconds: f64) -> Call {
    Call {
        decline: Some(call::Decline {
            offer_ids: vec![offer.id.clone()],
            filters: Some(v1::Filters {
                refuse_seconds: Some(refuse_seconds),
            }),
        }),
        ..simple_call(call::Type::Decline, fid)
    }
}

/// How far `at` is from the allocation ticks that `tick` is one of.
fn off_tick(at: Instant, tick: Instant) -> Duration {
    let phase = at.duration_since(tick).as_secs_f64() % INTERVAL.as_secs_f64();
    Duration::from_secs_f64(phase.min(INTERVAL.as_secs_f64() - phase))
}

#[test]
fn the_default_interval_is_mesos_one_second() {
    assert_eq!(
        ClusterConfig::default().allocation_interval,
        Duration::from_secs(1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offers_follow_the_allocation_interval() {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = cluster(&zk, "/alloc", |c| {
        c.masters = 1;
        c.agents = 1;
        c.allocation_interval = INTERVAL;
    })
    .await;
    let uri = serve_executor().await;
    let url = sim.leader_url().unwrap();
    let subscribed_at = Instant::now();
    let mut stream = subscribe(&url, None, Encoding::Protobuf).await;
    let fid = framework_id(&stream.next().await.unwrap());
    let first = stream.next_offer().await;
    assert!(
        subscribed_at.elapsed() < INTERVAL / 2,
        "a SUBSCRIBE is offered at once, not at the next interval"
    );

    // Declined resources come back at the next interval, one offer a tick.
    call_ok(&url, &stream, &decline(&fid, &first, 0.0)).await;
    let second = stream.next_offer().await;
    let tick = Instant::now();
    call_ok(&url, &stream, &decline(&fid, &second, 0.0)).await;
    let third = stream.next_offer().await;
    let gap = tick.elapsed();
    assert!(
        gap >= INTERVAL.mul_f64(0.8),
        "declined resources came back after {gap:?}, before the {INTERVAL:?} interval"
    );

    // REVIVE allocates at once (the next tick is a whole interval away).
    call_ok(&url, &stream, &decline(&fid, &third, 3600.0)).await;
    let revived_at = Instant::now();
    call_ok(&url, &stream, &simple_call(call::Type::Revive, &fid)).await;
    let offer = stream.next_offer().await;
    assert!(
        revived_at.elapsed() < INTERVAL / 2,
        "REVIVE was offered after {:?}",
        revived_at.elapsed()
    );

    // A finished task's resources come back at a tick, not when it ends.
    let mut accept = launch_call(&fid, &offer, vec![task("quick", &offer, &uri, b"x")]);
    if let Some(a) = accept.accept.as_mut() {
        a.filters = Some(v1::Filters {
            refuse_seconds: Some(0.0),
        });
    }
    call_ok(&url, &stream, &accept).await;
    // Until the task finished and everything but its executor's 0.1 cpus
    // was offered again (outstanding offers are kept, not declined).
    let (mut offers_at, mut finished, mut offered) = (Vec::new(), false, 0.0);
    while !(finished && offered > 3.9 - 1e-6) {
        let event = tokio::time::timeout(DEADLINE, stream.next())
            .await
            .expect("the task ends and its resources are offered")
            .expect("stream open");
        if let Some(offers) = event.offers {
            offers_at.push(Instant::now());
            offered += offers.offers.iter().map(cpus).sum::<f64>();
        }
        if let Some(update) = event.update {
            ack(&url, &stream, &fid, &update.status).await;
            finished |= update.status.state == TaskState::TaskFinished as i32;
        }
    }
    for at in offers_at {
        let off = off_tick(at, tick);
        assert!(
            off < Duration::from_millis(400),
            "an offer {off:?} away from the allocation ticks"
        );
    }
}

fn cpus(offer: &v1::Offer) -> f64 {
    offer
        .resources
        .iter()
        .filter(|r| r.name == "cpus")
        .filter_map(|r| r.scalar.as_ref())
        .map(|s| s.value)
        .sum()
}
