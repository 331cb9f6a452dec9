//! The framework driver against the simulated Mesos cluster, found through
//! a real ZooKeeper: redirects, leader failover, dropped streams, lost
//! heartbeats, corrupt records, authentication, offers, both codecs.

mod driver_support;

use std::time::Duration;

use driver_support::{init_tracing, next_matching};
use rmesos_mesos_sim::zookeeper::ZooKeeperServer;
use rmesos_mesos_sim::{ClusterConfig, Credential, SimCluster};
use rmesos_scheduler::detection::{DetectorOptions, MasterUrl};
use rmesos_scheduler::driver::{
    DisconnectReason, Driver, DriverConfig, DriverError, DriverEvent, FrameworkConfig,
    LeaderStream, detected_leader, fixed_leader,
};
use rmesos_scheduler::transport::{BackoffPolicy, Codec, Credentials, Secret, TransportConfig};

const WAIT: Duration = Duration::from_secs(20);

fn driver_config(codec: Codec) -> DriverConfig {
    DriverConfig {
        framework: FrameworkConfig {
            name: "driver-sim-test".into(),
            ..FrameworkConfig::default()
        },
        transport: TransportConfig {
            codec,
            ..TransportConfig::default()
        },
        reconnect_backoff: BackoffPolicy {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(300),
            multiplier: 2.0,
            jitter: 0.5,
        },
        ..DriverConfig::default()
    }
}

struct Setup {
    _zk: ZooKeeperServer,
    sim: SimCluster,
}

async fn setup(path: &str, tweak: impl FnOnce(&mut ClusterConfig)) -> Setup {
    init_tracing();
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).expect("ZooKeeper starts");
    let mut config = ClusterConfig {
        zk_connect: zk.connect_string(),
        zk_path: path.into(),
        // 5 missed heartbeats (2.5 s) before the driver reconnects unasked:
        // tests count subscriptions exactly.
        heartbeat_interval: Duration::from_millis(500),
        status_update_retry: Duration::from_millis(300),
        // Faster offers than Mesos' 1 s default, to keep tests short.
        allocation_interval: Duration::from_millis(50),
        ..ClusterConfig::default()
    };
    tweak(&mut config);
    let sim = SimCluster::start(config).await.expect("cluster starts");
    Setup { _zk: zk, sim }
}

fn through_zookeeper(sim: &SimCluster) -> LeaderStream {
    let url = MasterUrl::parse(&sim.zk_url()).expect("zk url");
    detected_leader(url, DetectorOptions::default(), false)
}

fn subscribed(event: &DriverEvent) -> bool {
    matches!(event, DriverEvent::Subscribed { .. })
}

async fn subscribed_id(driver: &mut Driver) -> String {
    match next_matching(&mut driver.events, WAIT, "SUBSCRIBED", subscribed)
        .await
        .0
    {
        DriverEvent::Subscribed { framework_id, .. } => framework_id.value,
        _ => unreachable!(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribes_through_a_non_leader_by_following_its_redirect() {
    let s = setup("/d-redirect", |_| {}).await;
    let leader = s.sim.leader_index().await.unwrap();
    let urls = s.sim.master_urls();
    let other = urls[(leader + 1) % urls.len()].parse().unwrap();
    let mut driver = Driver::spawn(driver_config(Codec::Protobuf), fixed_leader(other)).unwrap();
    let (event, _) = next_matching(&mut driver.events, WAIT, "SUBSCRIBED", subscribed).await;
    let DriverEvent::Subscribed { endpoint, .. } = event else {
        unreachable!()
    };
    assert_eq!(
        endpoint.as_str(),
        // Mesos redirects to the master process's path.
        format!("{}/master/api/v1/scheduler", urls[leader])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_killed_resubscribes_with_the_same_framework_id_and_reconciles() {
    let s = setup("/d-failover", |_| {}).await;
    let mut driver =
        Driver::spawn(driver_config(Codec::Protobuf), through_zookeeper(&s.sim)).unwrap();
    let id = subscribed_id(&mut driver).await;
    let reconciles = |snap: &rmesos_mesos_sim::ClusterSnapshot| {
        snap.frameworks
            .iter()
            .find(|f| f.id == id)
            .and_then(|f| f.calls.get("RECONCILE").copied())
            .unwrap_or(0)
    };
    s.sim
        .wait_until("the first RECONCILE", WAIT, |snap| reconciles(snap) == 1)
        .await
        .unwrap();
    let dead = s.sim.kill_leader().await.unwrap();
    let (event, _) = next_matching(&mut driver.events, WAIT, "re-SUBSCRIBED", subscribed).await;
    let DriverEvent::Subscribed {
        framework_id,
        resubscribed,
        endpoint,
        ..
    } = event
    else {
        unreachable!()
    };
    assert_eq!(
        framework_id.value, id,
        "same framework id on the new leader"
    );
    assert!(resubscribed);
    assert_ne!(
        endpoint.as_str(),
        format!("{}/api/v1/scheduler", s.sim.master_urls()[dead])
    );
    assert_eq!(
        endpoint.as_str(),
        format!("{}/api/v1/scheduler", s.sim.leader_url().unwrap())
    );
    let snapshot = s
        .sim
        .wait_until("a RECONCILE after the re-subscription", WAIT, |snap| {
            snap.frameworks
                .iter()
                .any(|f| f.id == id && f.calls.get("RECONCILE").copied().unwrap_or(0) >= 2)
        })
        .await
        .unwrap();
    assert_eq!(snapshot.frameworks[0].subscribe_count, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_stream_is_resubscribed() {
    let s = setup("/d-drop", |_| {}).await;
    let mut driver =
        Driver::spawn(driver_config(Codec::Protobuf), through_zookeeper(&s.sim)).unwrap();
    let id = subscribed_id(&mut driver).await;
    s.sim.drop_subscription(&id).await;
    let (_, before) = next_matching(&mut driver.events, WAIT, "re-SUBSCRIBED", subscribed).await;
    assert!(
        before.iter().any(|e| matches!(
            e,
            DriverEvent::Disconnected {
                reason: DisconnectReason::StreamEnded
            }
        )),
        "{before:#?}"
    );
    assert_eq!(driver.handle.framework_id().unwrap().value, id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_heartbeats_are_detected_and_the_driver_reconnects() {
    let s = setup("/d-heartbeat", |_| {}).await;
    let mut driver =
        Driver::spawn(driver_config(Codec::Protobuf), through_zookeeper(&s.sim)).unwrap();
    let id = subscribed_id(&mut driver).await;
    s.sim.set_heartbeats_paused(true);
    let started = std::time::Instant::now();
    let (event, _) = next_matching(&mut driver.events, WAIT, "heartbeat timeout", |e| {
        matches!(
            e,
            DriverEvent::Disconnected {
                reason: DisconnectReason::HeartbeatTimeout(_)
            }
        )
    })
    .await;
    let DriverEvent::Disconnected {
        reason: DisconnectReason::HeartbeatTimeout(silence),
    } = event
    else {
        unreachable!()
    };
    // 5 missed intervals of 500 ms (the limit, not a timing assertion).
    assert_eq!(silence, Duration::from_millis(2500));
    // The last event may precede the pause by up to one heartbeat interval
    // (offers now come at SUBSCRIBE, before it, as in Mesos).
    assert!(started.elapsed() + Duration::from_millis(500) >= silence);
    s.sim.set_heartbeats_paused(false);
    assert_eq!(subscribed_id(&mut driver).await, id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_and_oversized_records_are_errors_then_reconnect() {
    let s = setup("/d-garbage", |_| {}).await;
    let mut driver =
        Driver::spawn(driver_config(Codec::Protobuf), through_zookeeper(&s.sim)).unwrap();
    let id = subscribed_id(&mut driver).await;
    for bytes in [b"12x\nnot a record".to_vec(), b"99999999999\n".to_vec()] {
        s.sim.inject_stream_bytes(&id, bytes);
        let (_, before) =
            next_matching(&mut driver.events, WAIT, "re-SUBSCRIBED", subscribed).await;
        assert!(
            before.iter().any(|e| matches!(
                e,
                DriverEvent::Disconnected {
                    reason: DisconnectReason::Corrupt(_)
                }
            )),
            "{before:#?}"
        );
    }
    assert_eq!(driver.handle.framework_id().unwrap().value, id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_a_clear_error_without_the_secret() {
    let s = setup("/d-auth", |c| {
        c.authentication = Some(Credential {
            principal: "rmesos".into(),
            secret: "right-secret".into(),
        })
    })
    .await;
    let mut config = driver_config(Codec::Protobuf);
    config.framework.principal = Some("rmesos".into());
    config.transport.credentials = Some(Credentials {
        principal: "rmesos".into(),
        secret: Secret::new("wrong-secret-9931"),
    });
    let driver = Driver::spawn(config, through_zookeeper(&s.sim)).unwrap();
    let err = tokio::time::timeout(WAIT, driver.task)
        .await
        .expect("driver ends")
        .expect_err("401");
    assert!(matches!(err, DriverError::Unauthorized(_)), "{err:?}");
    let (shown, debug) = (err.to_string(), format!("{err:?}"));
    assert!(
        !shown.contains("wrong-secret-9931") && !debug.contains("wrong-secret-9931"),
        "{shown}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offers_declined_stay_away_until_revived_over_json() {
    let s = setup("/d-offers", |c| c.agents = 1).await;
    let mut driver = Driver::spawn(driver_config(Codec::Json), through_zookeeper(&s.sim)).unwrap();
    let id = subscribed_id(&mut driver).await;
    let offers = |e: &DriverEvent| matches!(e, DriverEvent::Offers(_));
    let (DriverEvent::Offers(first), _) =
        next_matching(&mut driver.events, WAIT, "OFFERS", offers).await
    else {
        unreachable!()
    };
    let ids = first.iter().map(|o| o.id.clone()).collect();
    driver
        .handle
        .decline(ids, Some(Duration::from_secs(3600)))
        .await
        .unwrap();
    s.sim
        .wait_until("the decline", WAIT, |snap| {
            snap.outstanding_offers == 0 && snap.frameworks[0].calls.get("DECLINE") == Some(&1)
        })
        .await
        .unwrap();
    driver.handle.suppress(vec![]).await.unwrap();
    s.sim
        .wait_until("suppressed", WAIT, |snap| snap.frameworks[0].suppressed)
        .await
        .unwrap();
    driver.handle.revive(vec![]).await.unwrap();
    let (DriverEvent::Offers(again), _) =
        next_matching(&mut driver.events, WAIT, "OFFERS after REVIVE", offers).await
    else {
        unreachable!()
    };
    assert_eq!(again[0].agent_id, first[0].agent_id);
    assert_ne!(again[0].id, first[0].id);
    driver.handle.teardown().await.unwrap();
    s.sim
        .wait_until("torn down", WAIT, |snap| {
            snap.frameworks.iter().any(|f| f.id == id && f.removed)
        })
        .await
        .unwrap();
}

mod in_flight {
    //! A running task survives a leader failover and is reconciled on the
    //! new leader (the executor process keeps running on its agent).

    use super::*;
    use axum::Router;
    use axum::routing::get;
    use rmesos_scheduler::driver::mesos::offer::{Operation, operation};
    use rmesos_scheduler::driver::mesos::{
        CommandInfo, ExecutorId, ExecutorInfo, Offer, Resource, TaskId, TaskInfo, TaskState,
        command_info, executor_info, task_status, value,
    };

    const SCRIPT: &str = include_str!("../../mesos-sim/tests/support/test_executor.py");

    async fn serve_executor() -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = Router::new().route("/test_executor.py", get(|| async { SCRIPT }));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://127.0.0.1:{port}/test_executor.py")
    }

    fn scalar(name: &str, amount: f64) -> Resource {
        Resource {
            name: name.into(),
            r#type: value::Type::Scalar as i32,
            scalar: Some(value::Scalar { value: amount }),
            role: Some("*".into()),
            ..Default::default()
        }
    }

    /// A task that runs until killed ("hang"), on the test executor.
    fn hanging_task(offer: &Offer, uri: &str) -> Operation {
        let task = TaskInfo {
            name: "hang".into(),
            task_id: TaskId {
                value: "hang-1".into(),
            },
            agent_id: offer.agent_id.clone(),
            resources: vec![scalar("cpus", 0.5), scalar("mem", 64.0)],
            executor: Some(ExecutorInfo {
                r#type: Some(executor_info::Type::Custom as i32),
                executor_id: ExecutorId {
                    value: "test-executor".into(),
                },
                command: Some(CommandInfo {
                    uris: vec![command_info::Uri {
                        value: uri.into(),
                        executable: Some(true),
                        ..Default::default()
                    }],
                    value: Some("python3 test_executor.py".into()),
                    ..Default::default()
                }),
                resources: vec![scalar("cpus", 0.1), scalar("mem", 32.0)],
                ..Default::default()
            }),
            data: Some(b"hang".to_vec()),
            ..Default::default()
        };
        Operation {
            r#type: Some(operation::Type::Launch as i32),
            launch: Some(operation::Launch {
                task_infos: vec![task],
            }),
            ..Default::default()
        }
    }

    fn update_of(state: TaskState) -> impl Fn(&DriverEvent) -> bool {
        move |e| matches!(e, DriverEvent::Update(s) if s.task_id.value == "hang-1" && s.state == state as i32)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_running_task_survives_failover_and_is_reconciled() {
        let s = setup("/d-inflight", |c| c.agents = 1).await;
        let uri = serve_executor().await;
        let mut driver =
            Driver::spawn(driver_config(Codec::Protobuf), through_zookeeper(&s.sim)).unwrap();
        let id = subscribed_id(&mut driver).await;
        let offers = |e: &DriverEvent| matches!(e, DriverEvent::Offers(_));
        let (DriverEvent::Offers(offers), _) =
            next_matching(&mut driver.events, WAIT, "OFFERS", offers).await
        else {
            unreachable!()
        };
        let offer = &offers[0];
        driver
            .handle
            .accept(
                vec![offer.id.clone()],
                vec![hanging_task(offer, &uri)],
                None,
            )
            .await
            .unwrap();
        next_matching(
            &mut driver.events,
            WAIT,
            "TASK_RUNNING",
            update_of(TaskState::TaskRunning),
        )
        .await;

        s.sim.kill_leader().await.unwrap();
        let (event, _) = next_matching(&mut driver.events, WAIT, "re-SUBSCRIBED", subscribed).await;
        assert!(matches!(
            event,
            DriverEvent::Subscribed {
                resubscribed: true,
                ..
            }
        ));
        let (DriverEvent::Update(status), _) = next_matching(
            &mut driver.events,
            WAIT,
            "the reconciled task",
            update_of(TaskState::TaskRunning),
        )
        .await
        else {
            unreachable!()
        };
        assert_eq!(
            status.reason,
            Some(task_status::Reason::Reconciliation as i32),
            "{status:?}"
        );
        let snapshot = s.sim.snapshot();
        let framework = snapshot.frameworks.iter().find(|f| f.id == id).unwrap();
        assert_eq!(
            framework.tasks.get("hang-1"),
            Some(&(TaskState::TaskRunning as i32)),
            "the task survived"
        );
        assert_eq!(
            snapshot.agents[0].executors.len(),
            1,
            "its executor still runs"
        );
    }
}
