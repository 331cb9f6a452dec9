//! Simulated agents run real executors: the executor is fetched over HTTP
//! into a sandbox and started with the Mesos environment, subscribes to the
//! agent's v1 executor API, gets its tasks, and its updates reach the
//! framework reliably; killed executors fail their tasks with FAILURE.

mod support;

use rmesos_common::wire::codec::Encoding;
use rmesos_common::wire::scheduler::{Call, call, event};
use rmesos_common::wire::v1::{self, TaskState};
use rmesos_mesos_sim::SimCluster;
use rmesos_mesos_sim::zookeeper::ZooKeeperServer;
use support::executor::*;
use support::*;

async fn one_agent(zk: &ZooKeeperServer, path: &str) -> SimCluster {
    cluster(zk, path, |c| c.agents = 1).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fetched_executor_runs_tasks_with_the_mesos_environment() {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = one_agent(&zk, "/agents-a").await;
    let uri = serve_executor().await;
    let url = sim.leader_url().unwrap();
    let mut stream = subscribe(&url, None, Encoding::Protobuf).await;
    let fid = framework_id(&stream.next().await.unwrap());
    let offer = stream.next_offer().await;
    let call = launch_call(&fid, &offer, vec![task("t1", &offer, &uri, b"payload-1")]);
    call_ok(&url, &stream, &call).await;

    let running = next_update(&url, &mut stream, &fid, "t1").await;
    assert_eq!(running.state, TaskState::TaskRunning as i32, "{running:?}");
    let env: serde_json::Value = serde_json::from_str(running.message.as_deref().unwrap()).unwrap();
    assert_eq!(env["MESOS_FRAMEWORK_ID"], fid.as_str());
    assert_eq!(env["MESOS_EXECUTOR_ID"], "test-executor");
    assert!(
        env["MESOS_AGENT_ENDPOINT"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );
    assert!(
        std::path::Path::new(env["MESOS_SANDBOX"].as_str().unwrap())
            .join("test_executor.py")
            .exists()
    );
    let finished = next_update(&url, &mut stream, &fid, "t1").await;
    assert_eq!(finished.state, TaskState::TaskFinished as i32);
    assert_eq!(finished.data.as_deref(), Some(&b"payload-1"[..]));

    // A second task reuses the running executor (same ExecutorInfo).
    let offer = stream.next_offer().await;
    let call = launch_call(&fid, &offer, vec![task("t2", &offer, &uri, b"payload-2")]);
    call_ok(&url, &stream, &call).await;
    assert_eq!(
        next_update(&url, &mut stream, &fid, "t2").await.state,
        TaskState::TaskRunning as i32
    );
    assert_eq!(
        next_update(&url, &mut stream, &fid, "t2")
            .await
            .data
            .as_deref(),
        Some(&b"payload-2"[..])
    );
    let snapshot = sim.snapshot();
    assert_eq!(
        snapshot.agents[0].executors.len(),
        1,
        "one executor per framework on the agent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_reaches_the_executor_and_a_killed_executor_fails_its_tasks() {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = one_agent(&zk, "/agents-b").await;
    let uri = serve_executor().await;
    let url = sim.leader_url().unwrap();
    let mut stream = subscribe(&url, None, Encoding::Protobuf).await;
    let fid = framework_id(&stream.next().await.unwrap());
    let offer = stream.next_offer().await;
    let tasks = vec![
        task("hang-1", &offer, &uri, b"hang"),
        task("hang-2", &offer, &uri, b"hang"),
    ];
    let call = launch_call(&fid, &offer, tasks);
    call_ok(&url, &stream, &call).await;
    assert_eq!(
        next_update(&url, &mut stream, &fid, "hang-1").await.state,
        TaskState::TaskRunning as i32
    );

    let kill = Call {
        kill: Some(call::Kill {
            task_id: v1::TaskId {
                value: "hang-1".into(),
            },
            agent_id: Some(offer.agent_id.clone()),
            kill_policy: None,
        }),
        ..simple_call(call::Type::Kill, &fid)
    };
    call_ok(&url, &stream, &kill).await;
    assert_eq!(
        next_update(&url, &mut stream, &fid, "hang-1").await.state,
        TaskState::TaskKilled as i32
    );
    sim.wait_until("hang-2 running", DEADLINE, |s| {
        s.frameworks[0].tasks.get("hang-2") == Some(&(TaskState::TaskRunning as i32))
    })
    .await
    .unwrap();

    sim.kill_executor(0, "test-executor").await.unwrap();
    let failed = next_update(&url, &mut stream, &fid, "hang-2").await;
    assert_eq!(failed.state, TaskState::TaskFailed as i32);
    assert_eq!(
        failed.reason,
        Some(v1::task_status::Reason::ExecutorTerminated as i32)
    );
    let failure = stream.next_of(event::Type::Failure).await.failure.unwrap();
    assert_eq!(failure.executor_id.unwrap().value, "test-executor");
    let snapshot = sim
        .wait_until("resources back", DEADLINE, |s| {
            s.agents[0].executors.is_empty()
        })
        .await
        .unwrap();
    // Released: free, or already offered again (at the next allocation).
    let agent = &snapshot.agents[0];
    assert!(agent.free_cpus + agent.offered_cpus > 3.9, "{snapshot:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partitioned_agent_makes_tasks_unreachable_then_running_again() {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = one_agent(&zk, "/agents-c").await;
    let uri = serve_executor().await;
    let url = sim.leader_url().unwrap();
    let mut call = subscribe_call(None);
    if let Some(subscribe) = call.subscribe.as_mut() {
        subscribe.framework_info.capabilities = vec![v1::framework_info::Capability {
            r#type: Some(v1::framework_info::capability::Type::PartitionAware as i32),
        }];
    }
    let mut stream = subscribe_with(&url, &call, Encoding::Protobuf).await;
    let fid = framework_id(&stream.next().await.unwrap());
    let offer = stream.next_offer().await;
    let call = launch_call(&fid, &offer, vec![task("p1", &offer, &uri, b"hang")]);
    call_ok(&url, &stream, &call).await;
    assert_eq!(
        next_update(&url, &mut stream, &fid, "p1").await.state,
        TaskState::TaskRunning as i32
    );

    sim.partition_agent(0, true).await.unwrap();
    assert_eq!(
        next_update(&url, &mut stream, &fid, "p1").await.state,
        TaskState::TaskUnreachable as i32
    );
    sim.partition_agent(0, false).await.unwrap();
    let back = next_update(&url, &mut stream, &fid, "p1").await;
    assert_eq!(back.state, TaskState::TaskRunning as i32);
    assert_eq!(
        back.reason,
        Some(v1::task_status::Reason::AgentReregistered as i32)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delayed_updates_are_held_then_delivered_once() {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).unwrap();
    let sim = one_agent(&zk, "/agents-d").await;
    sim.set_update_faults(rmesos_mesos_sim::UpdateFaults {
        delay: Some(std::time::Duration::from_millis(500)),
        ..Default::default()
    });
    let uri = serve_executor().await;
    let url = sim.leader_url().unwrap();
    let mut stream = subscribe(&url, None, Encoding::Protobuf).await;
    let fid = framework_id(&stream.next().await.unwrap());
    let offer = stream.next_offer().await;
    let call = launch_call(&fid, &offer, vec![task("d1", &offer, &uri, b"x")]);
    call_ok(&url, &stream, &call).await;
    // The agent has the executor's update (acknowledged it) before the framework sees it.
    sim.wait_until("an update held", DEADLINE, |s| {
        s.frameworks[0].unacknowledged_updates >= 1
    })
    .await
    .unwrap();
    assert_eq!(
        next_update(&url, &mut stream, &fid, "d1").await.state,
        TaskState::TaskRunning as i32
    );
    assert_eq!(
        next_update(&url, &mut stream, &fid, "d1").await.state,
        TaskState::TaskFinished as i32
    );
    sim.wait_until("all acknowledged", DEADLINE, |s| {
        s.frameworks[0].unacknowledged_updates == 0
    })
    .await
    .unwrap();
}
