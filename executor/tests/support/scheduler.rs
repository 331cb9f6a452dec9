//! A bare v1 scheduler over reqwest (adapted from the simulator's own test
//! helpers): a simulated cluster on a real ZooKeeper, subscribing, reading
//! offers and updates, launching tasks on the real `rmesos-executor`, and
//! acknowledging, killing and tearing down.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::BytesMut;
use futures::StreamExt;
use rmesos_common::wire::codec::Encoding;
use rmesos_common::wire::recordio::RecordIoDecoder;
use rmesos_common::wire::scheduler::{Call, Event, call, event};
use rmesos_common::wire::v1::{self, FrameworkId, FrameworkInfo};
use rmesos_mesos_sim::zookeeper::ZooKeeperServer;
use rmesos_mesos_sim::{ClusterConfig, SimCluster};

pub const DEADLINE: Duration = Duration::from_secs(30);
pub const EXECUTOR_ID: &str = "rmesos-executor";

/// A one-agent cluster on `zk` under `path`.
pub async fn cluster(zk: &ZooKeeperServer, path: &str) -> SimCluster {
    cluster_with(zk, path, |_| {}).await
}

/// [`cluster`], its configuration changed by `tweak` first.
pub async fn cluster_with(
    zk: &ZooKeeperServer,
    path: &str,
    tweak: impl FnOnce(&mut ClusterConfig),
) -> SimCluster {
    let mut config = ClusterConfig {
        masters: 1,
        agents: 1,
        zk_connect: zk.connect_string(),
        zk_path: path.into(),
        heartbeat_interval: Duration::from_millis(500),
        status_update_retry: Duration::from_millis(500),
        // Faster offers than Mesos' 1 s default, to keep tests short.
        allocation_interval: Duration::from_millis(50),
        ..Default::default()
    };
    tweak(&mut config);
    SimCluster::start(config).await.unwrap()
}

/// An open scheduler subscription.
pub struct Scheduler {
    pub url: String,
    pub framework_id: String,
    stream_id: String,
    body: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buffer: BytesMut,
    decoder: RecordIoDecoder,
    http: reqwest::Client,
    /// Updates read while waiting for another task's, by task id.
    held: HashMap<String, VecDeque<v1::TaskStatus>>,
    /// Offers read while waiting for something else, oldest first.
    held_offers: VecDeque<v1::Offer>,
}

impl Scheduler {
    /// Subscribes a new framework at the leading master.
    pub async fn subscribe(sim: &SimCluster) -> Scheduler {
        let url = sim.leader_url().unwrap();
        let http = reqwest::Client::new();
        let subscribe = Call {
            r#type: Some(call::Type::Subscribe as i32),
            subscribe: Some(call::Subscribe {
                framework_info: FrameworkInfo {
                    // The simulated agents know only this machine's users.
                    user: "root".into(),
                    name: "executor-test".into(),
                    failover_timeout: Some(3600.0),
                    ..Default::default()
                },
                suppressed_roles: vec![],
            }),
            ..Default::default()
        };
        let response = http
            .post(format!("{url}/api/v1/scheduler"))
            .header("Content-Type", Encoding::Protobuf.media_type())
            .header("Accept", Encoding::Protobuf.media_type())
            .body(Encoding::Protobuf.encode(&subscribe).unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let stream_id = response.headers()["Mesos-Stream-Id"]
            .to_str()
            .unwrap()
            .to_owned();
        let mut scheduler = Scheduler {
            url,
            framework_id: String::new(),
            stream_id,
            body: response.bytes_stream().boxed(),
            buffer: BytesMut::new(),
            decoder: RecordIoDecoder::new(),
            http,
            held: HashMap::new(),
            held_offers: VecDeque::new(),
        };
        let subscribed = scheduler.next_of(event::Type::Subscribed).await;
        scheduler.framework_id = subscribed.subscribed.unwrap().framework_id.value;
        scheduler
    }

    pub async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(record) = self.decoder.decode_next(&mut self.buffer).unwrap() {
                return Some(Encoding::Protobuf.decode(&record).unwrap());
            }
            let chunk = tokio::time::timeout(DEADLINE, self.body.next())
                .await
                .expect("an event in time")?
                .ok()?;
            self.buffer.extend_from_slice(&chunk);
        }
    }

    /// The next event of `kind`, skipping others (offers are kept for
    /// [`Scheduler::next_offer`]).
    pub async fn next_of(&mut self, kind: event::Type) -> Event {
        loop {
            let event = self.next().await.expect("stream open");
            if event.r#type == Some(kind as i32) {
                return event;
            }
            if let Some(offers) = event.offers {
                self.held_offers.extend(offers.offers);
            }
        }
    }

    /// The oldest offer not used yet.
    pub async fn next_offer(&mut self) -> v1::Offer {
        if let Some(offer) = self.held_offers.pop_front() {
            return offer;
        }
        let next = async {
            let offers = self.next_of(event::Type::Offers).await.offers;
            offers
                .and_then(|o| o.offers.into_iter().next())
                .expect("an offer")
        };
        tokio::time::timeout(DEADLINE, next)
            .await
            .unwrap_or_else(|_| panic!("no offer within {DEADLINE:?}"))
    }

    /// Sends a call on this subscription; the master must take it.
    pub async fn call(&self, call: Call) {
        let response = self
            .http
            .post(format!("{}/api/v1/scheduler", self.url))
            .header("Content-Type", Encoding::Protobuf.media_type())
            .header("Mesos-Stream-Id", &self.stream_id)
            .body(Encoding::Protobuf.encode(&call).unwrap())
            .send()
            .await
            .unwrap();
        let status = response.status();
        assert_eq!(status, 202, "{}", response.text().await.unwrap_or_default());
    }

    fn simple(&self, kind: call::Type) -> Call {
        Call {
            framework_id: Some(FrameworkId {
                value: self.framework_id.clone(),
            }),
            r#type: Some(kind as i32),
            ..Default::default()
        }
    }

    /// Waits for an offer and launches `tasks` (built for it) on it.
    pub async fn launch(&mut self, tasks: impl FnOnce(&v1::Offer) -> Vec<v1::TaskInfo>) {
        let offer = self.next_offer().await;
        let accept = Call {
            accept: Some(call::Accept {
                offer_ids: vec![offer.id.clone()],
                operations: vec![v1::offer::Operation {
                    r#type: Some(v1::offer::operation::Type::Launch as i32),
                    launch: Some(v1::offer::operation::Launch {
                        task_infos: tasks(&offer),
                    }),
                    ..Default::default()
                }],
                // Offered again at once: later launches need not wait.
                filters: Some(v1::Filters {
                    refuse_seconds: Some(0.0),
                }),
            }),
            ..self.simple(call::Type::Accept)
        };
        self.call(accept).await;
    }

    /// The next update of `task` (acknowledging every update on the way,
    /// and keeping those of other tasks for later).
    pub async fn next_update(&mut self, task: &str) -> v1::TaskStatus {
        tokio::time::timeout(DEADLINE, self.next_update_unbounded(task))
            .await
            .unwrap_or_else(|_| panic!("no update of {task} within {DEADLINE:?}"))
    }

    async fn next_update_unbounded(&mut self, task: &str) -> v1::TaskStatus {
        if let Some(status) = self.held.get_mut(task).and_then(VecDeque::pop_front) {
            return status;
        }
        loop {
            let update = self.next_of(event::Type::Update).await.update.unwrap();
            let status = update.status;
            if let (Some(uuid), Some(agent_id)) = (&status.uuid, &status.agent_id) {
                let ack = Call {
                    acknowledge: Some(call::Acknowledge {
                        agent_id: agent_id.clone(),
                        task_id: status.task_id.clone(),
                        uuid: uuid.clone(),
                    }),
                    ..self.simple(call::Type::Acknowledge)
                };
                self.call(ack).await;
            }
            if status.task_id.value == task {
                return status;
            }
            self.held
                .entry(status.task_id.value.clone())
                .or_default()
                .push_back(status);
        }
    }

    /// The next update of `task` that is not TASK_RUNNING.
    pub async fn next_end(&mut self, task: &str) -> v1::TaskStatus {
        loop {
            let status = self.next_update(task).await;
            if status.state != v1::TaskState::TaskRunning as i32 {
                return status;
            }
        }
    }

    pub async fn kill(&self, task: &str) {
        let kill = Call {
            kill: Some(call::Kill {
                task_id: v1::TaskId { value: task.into() },
                agent_id: None,
                kill_policy: None,
            }),
            ..self.simple(call::Type::Kill)
        };
        self.call(kill).await;
    }

    pub async fn teardown(&self) {
        self.call(self.simple(call::Type::Teardown)).await;
    }
}

/// Where the executor of a test writes its log (stderr), so that a failing
/// test can show it.
pub fn executor_log(dir: &Path) -> PathBuf {
    dir.join("executor.log")
}

/// A lease task running the real executor binary; `data` is its grant.
pub fn task(id: &str, offer: &v1::Offer, data: Vec<u8>, log_dir: &Path) -> v1::TaskInfo {
    task_with_env(id, offer, data, log_dir, &[])
}

/// [`task`], its executor started with `env` added to its environment
/// (every task of one executor must give the same `env`).
pub fn task_with_env(
    id: &str,
    offer: &v1::Offer,
    data: Vec<u8>,
    log_dir: &Path,
    env: &[(&str, &str)],
) -> v1::TaskInfo {
    let scalar = |name: &str, value: f64| v1::Resource {
        name: name.into(),
        r#type: v1::value::Type::Scalar as i32,
        scalar: Some(v1::value::Scalar { value }),
        role: Some("*".into()),
        ..Default::default()
    };
    let log_filter = ("RUST_LOG", "debug,hyper=info,reqwest=info");
    let variables = std::iter::once(&log_filter)
        .chain(env)
        .map(|(name, value)| v1::environment::Variable {
            name: (*name).into(),
            value: Some((*value).into()),
            ..Default::default()
        })
        .collect();
    let command = format!(
        "exec '{}' 2>>'{}'",
        env!("CARGO_BIN_EXE_rmesos-executor"),
        executor_log(log_dir).display()
    );
    v1::TaskInfo {
        name: id.into(),
        task_id: v1::TaskId { value: id.into() },
        agent_id: offer.agent_id.clone(),
        resources: vec![scalar("cpus", 0.5), scalar("mem", 64.0)],
        executor: Some(v1::ExecutorInfo {
            r#type: Some(v1::executor_info::Type::Custom as i32),
            executor_id: v1::ExecutorId {
                value: EXECUTOR_ID.into(),
            },
            command: Some(v1::CommandInfo {
                value: Some(command),
                environment: Some(v1::Environment { variables }),
                ..Default::default()
            }),
            resources: vec![scalar("cpus", 0.1), scalar("mem", 32.0)],
            ..Default::default()
        }),
        data: Some(data),
        ..Default::default()
    }
}
