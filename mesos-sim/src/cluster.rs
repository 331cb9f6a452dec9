//! `SimCluster`: starts the masters (HTTP servers registered in a real
//! ZooKeeper as Mesos masters are) and the allocator, exposes state for
//! assertions, and injects faults.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::routing::{any, get};
use bytes::Bytes;
use rmesos_common::wire::master_info::{JSON_LABEL, master_info_to_json};
use rmesos_common::wire::v1::{Address, MasterInfo};
use tokio::task::JoinHandle;
use zookeeper_client::{Acls, Client, CreateMode};

use crate::config::{ClusterConfig, UpdateFaults};
use crate::master::http::{MasterContext, scheduler};
use crate::registry::{Agent, ClusterSnapshot, Registry};
use crate::tls::TlsListener;

/// What every master and the allocator share.
pub struct Shared {
    pub config: ClusterConfig,
    registry: Mutex<Registry>,
    ports: Mutex<Vec<u16>>,
    /// Agents' sandboxes live below it; removed with the cluster.
    work_dir: tempfile::TempDir,
    /// Asks the allocator for an allocation now (see `master::allocator`).
    pub allocation_wanted: tokio::sync::Notify,
    /// With `config.master_tls`: the masters' certificate and CA.
    master_tls: Option<crate::tls::MasterTls>,
}

impl Shared {
    pub fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Mesos allocates at once when a framework subscribes or revives and
    /// when an agent (re-)registers, not only once per interval.
    pub fn want_allocation(&self) {
        self.allocation_wanted.notify_one();
    }

    pub fn work_dir(&self) -> &std::path::Path {
        self.work_dir.path()
    }

    /// An executor's sandbox: `<work dir>/<agent>/<framework>/<executor>`.
    pub fn sandbox(
        &self,
        agent_id: &str,
        framework_id: &str,
        executor_id: &str,
    ) -> std::path::PathBuf {
        self.work_dir
            .path()
            .join(agent_id)
            .join(framework_id)
            .join(executor_id)
    }

    pub fn master_port(&self, index: usize) -> u16 {
        self.ports
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(index)
            .copied()
            .unwrap_or(0)
    }

    pub fn master_info(&self, index: usize) -> MasterInfo {
        master_info(index, self.master_port(index))
    }
}

/// The Mesos version the simulated masters and agents report.
pub const SIMULATED_VERSION: &str = "1.11.0";

fn master_info(index: usize, port: u16) -> MasterInfo {
    MasterInfo {
        id: format!("sim-master-{index}"),
        ip: u32::from_le_bytes([127, 0, 0, 1]),
        port: u32::from(port),
        pid: Some(format!("master@127.0.0.1:{port}")),
        hostname: Some("127.0.0.1".into()),
        version: Some(SIMULATED_VERSION.into()),
        address: Some(Address {
            hostname: Some("127.0.0.1".into()),
            ip: Some("127.0.0.1".into()),
            port: i32::from(port),
        }),
        ..Default::default()
    }
}

struct MasterProcess {
    server: JoinHandle<()>,
    /// The contender's session: dropping it removes the znode.
    zk: Option<Client>,
    sequence: i64,
}

pub struct SimCluster {
    shared: Arc<Shared>,
    masters: Mutex<Vec<Option<MasterProcess>>>,
    agents: Vec<JoinHandle<()>>,
    allocator: JoinHandle<()>,
}

impl SimCluster {
    pub async fn start(config: ClusterConfig) -> anyhow::Result<SimCluster> {
        let mut registry = Registry {
            allocation_interval: config.allocation_interval,
            ..Registry::default()
        };
        let mut agent_listeners = Vec::new();
        for i in 0..config.agents {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let port = listener.local_addr()?.port();
            agent_listeners.push(listener);
            registry.agents.push(Agent {
                id: format!("sim-agent-S{i}"),
                hostname: format!("agent{i}.sim"),
                port,
                executors: std::collections::HashMap::new(),
                cpus: config.agent_cpus,
                mem: config.agent_mem_mb,
                used_cpus: 0.0,
                used_mem: 0.0,
                alive: true,
                completed_executors: std::collections::HashMap::new(),
                completed_frameworks: std::collections::VecDeque::new(),
            });
        }
        let work_dir = tempfile::tempdir()?;
        let master_tls = match config.master_tls {
            true => Some(crate::tls::MasterTls::generate(work_dir.path())?),
            false => None,
        };
        let shared = Arc::new(Shared {
            config,
            registry: Mutex::new(registry),
            ports: Mutex::new(Vec::new()),
            master_tls,
            work_dir,
            allocation_wanted: tokio::sync::Notify::new(),
        });
        let agents = agent_listeners
            .into_iter()
            .enumerate()
            .map(|(index, listener)| {
                let app = Router::new()
                    .route(
                        "/api/v1/executor",
                        any(crate::agent::executor_api::executor),
                    )
                    .route("/slave(1)/state", get(crate::agent::state::state))
                    .with_state(crate::agent::executor_api::AgentContext {
                        index,
                        shared: Arc::clone(&shared),
                    });
                tokio::spawn(async move {
                    if let Err(error) = axum::serve(listener, app).await {
                        tracing::warn!(%error, "simulated agent stopped");
                    }
                })
            })
            .collect();
        ensure_path(&shared.config).await?;
        let cluster = SimCluster {
            allocator: tokio::spawn(crate::master::allocator::run(Arc::clone(&shared))),
            shared,
            masters: Mutex::new(Vec::new()),
            agents,
        };
        for index in 0..cluster.shared.config.masters {
            let process = cluster.launch_master(index).await?;
            cluster.masters().push(Some(process));
        }
        cluster.elect();
        Ok(cluster)
    }

    fn masters(&self) -> MutexGuard<'_, Vec<Option<MasterProcess>>> {
        self.masters.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn launch_master(&self, index: usize) -> anyhow::Result<MasterProcess> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        {
            let mut ports = self.shared.ports.lock().unwrap_or_else(|p| p.into_inner());
            if ports.len() <= index {
                ports.resize(index + 1, 0);
            }
            ports[index] = port;
        }
        let app = Router::new()
            .route("/api/v1/scheduler", any(scheduler))
            .route("/master/api/v1/scheduler", any(scheduler))
            .route("/master/state", get(crate::master::state::state))
            .route("/master/frameworks", get(crate::master::state::frameworks))
            .with_state(MasterContext {
                index,
                shared: Arc::clone(&self.shared),
            });
        let tls = self.shared.master_tls.as_ref().map(|tls| tls.acceptor());
        let server = tokio::spawn(async move {
            let served = match tls {
                Some(acceptor) => axum::serve(TlsListener::new(listener, acceptor), app).await,
                None => axum::serve(listener, app).await,
            };
            if let Err(error) = served {
                tracing::warn!(%error, "simulated master stopped");
            }
        });
        let config = &self.shared.config;
        let zk = Client::connector()
            .with_session_timeout(Duration::from_secs(10))
            .connect(&config.zk_connect)
            .await
            .with_context(|| format!("connecting to ZooKeeper at {}", config.zk_connect))?;
        let data = master_info_to_json(&master_info(index, port))?;
        let options = CreateMode::EphemeralSequential.with_acls(Acls::anyone_all());
        let (_, sequence) = zk
            .create(
                &format!("{}/{JSON_LABEL}_", config.zk_path),
                &data,
                &options,
            )
            .await
            .context("registering the master in ZooKeeper")?;
        tracing::info!(index, port, %sequence, "simulated master contending");
        Ok(MasterProcess {
            server,
            zk: Some(zk),
            sequence: sequence.into_i64(),
        })
    }

    /// The live master with the lowest sequence leads, as in Mesos.
    fn elect(&self) {
        let leader = self
            .masters()
            .iter()
            .enumerate()
            .filter_map(|(i, m)| m.as_ref().map(|m| (m.sequence, i)))
            .min()
            .map(|(_, i)| i);
        self.shared.registry().leader = leader;
    }

    pub fn zk_url(&self) -> String {
        format!(
            "zk://{}{}",
            self.shared.config.zk_connect, self.shared.config.zk_path
        )
    }

    /// With `master_tls`: the PEM file of the CA the masters' certificate
    /// comes from.
    pub fn master_ca_file(&self) -> Option<&std::path::Path> {
        self.shared
            .master_tls
            .as_ref()
            .map(|tls| tls.ca_file.as_path())
    }

    /// The masters' base URLs.
    pub fn master_urls(&self) -> Vec<String> {
        let ports = self
            .shared
            .ports
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let scheme = if self.shared.master_tls.is_some() {
            "https"
        } else {
            "http"
        };
        ports
            .iter()
            .map(|p| format!("{scheme}://127.0.0.1:{p}"))
            .collect()
    }

    /// Each agent's `http://127.0.0.1:PORT` (its `/api/v1/executor`).
    pub fn agent_urls(&self) -> Vec<String> {
        self.shared
            .registry()
            .agents
            .iter()
            .map(|a| format!("http://127.0.0.1:{}", a.port))
            .collect()
    }

    pub async fn leader_index(&self) -> Option<usize> {
        self.shared.registry().leader
    }

    pub fn leader_url(&self) -> Option<String> {
        let leader = self.shared.registry().leader?;
        Some(format!(
            "http://127.0.0.1:{}",
            self.shared.master_port(leader)
        ))
    }

    pub fn snapshot(&self) -> ClusterSnapshot {
        self.shared.registry().snapshot()
    }

    /// Where the agents keep executor sandboxes (`<agent>/<framework>/<executor>`).
    pub fn work_dir(&self) -> &std::path::Path {
        self.shared.work_dir()
    }

    /// Polls the state until `cond` holds, or fails after `timeout`
    /// naming `what`.
    pub async fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        cond: impl Fn(&ClusterSnapshot) -> bool,
    ) -> anyhow::Result<ClusterSnapshot> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let snapshot = self.snapshot();
            if cond(&snapshot) {
                return Ok(snapshot);
            }
            if tokio::time::Instant::now() >= deadline {
                anyhow::bail!(
                    "timed out after {timeout:?} waiting for {what}; state: {snapshot:#?}"
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The leader dies: its server stops, its ZooKeeper session closes (its
    /// znode goes), its streams end, its offers are gone; the next master
    /// by sequence leads. Returns the index of the master that died.
    pub async fn kill_leader(&self) -> anyhow::Result<usize> {
        let leader = self.shared.registry().leader.context("no master leads")?;
        let process = self
            .masters()
            .get_mut(leader)
            .and_then(Option::take)
            .context("leader already dead")?;
        process.server.abort();
        drop(process.zk);
        {
            let mut registry = self.shared.registry();
            registry.leader = None;
            registry.offers.clear();
            for framework in registry.frameworks.values_mut() {
                framework.subscription = None;
                // Failover timers die with the leader (MESOS-4659).
                framework.failover_deadline = None;
            }
        }
        self.elect();
        tracing::info!(leader, "simulated leading master killed");
        Ok(leader)
    }

    /// Starts master `index` again (new port, new znode: it rejoins as a
    /// contender behind the current leader).
    pub async fn restart_master(&self, index: usize) -> anyhow::Result<()> {
        let process = self.launch_master(index).await?;
        let mut masters = self.masters();
        if masters.len() <= index {
            masters.resize_with(index + 1, || None);
        }
        masters[index] = Some(process);
        drop(masters);
        self.elect();
        Ok(())
    }

    /// Ends the framework's event stream as a broken connection would: the
    /// framework is disconnected and its failover timeout starts.
    pub async fn drop_subscription(&self, framework_id: &str) {
        crate::master::failover::disconnect(&mut self.shared.registry(), framework_id);
    }

    pub fn set_heartbeats_paused(&self, paused: bool) {
        self.shared.registry().heartbeats_paused = paused;
    }

    /// Writes raw bytes into the framework's RecordIO stream.
    pub fn inject_stream_bytes(&self, framework_id: &str, bytes: Vec<u8>) {
        if let Some(framework) = self.shared.registry().frameworks.get_mut(framework_id) {
            crate::events::send_raw(framework, Bytes::from(bytes));
        }
    }

    /// The agent is removed (as after failing health checks): its offers
    /// are rescinded, its non-terminal tasks become TASK_LOST (TASK_GONE
    /// for PARTITION_AWARE frameworks), and frameworks with tasks there get
    /// a FAILURE event for the agent.
    pub async fn remove_agent(&self, agent_index: usize) -> anyhow::Result<()> {
        let mut registry = self.shared.registry();
        let agent = registry
            .agents
            .get_mut(agent_index)
            .context("no such agent")?;
        agent.alive = false;
        crate::master::agents::agent_removed(&mut registry, agent_index);
        Ok(())
    }

    /// Faults for status updates from now on (duplicate, delay, reorder).
    pub fn set_update_faults(&self, faults: UpdateFaults) {
        let mut registry = self.shared.registry();
        registry.update_faults = faults;
        for framework in registry.frameworks.values_mut() {
            framework.faults = faults;
        }
    }

    /// Cuts the agent off (`true`) or heals it (`false`). While cut off its
    /// offers are rescinded and its tasks become TASK_UNREACHABLE for
    /// PARTITION_AWARE frameworks (TASK_LOST otherwise); its executors keep
    /// running. When it comes back, partition-aware frameworks hear their
    /// still-running tasks as TASK_RUNNING again; for the others the agent
    /// shuts those executors down, as Mesos does on re-registration.
    pub async fn partition_agent(
        &self,
        agent_index: usize,
        partitioned: bool,
    ) -> anyhow::Result<()> {
        let mut registry = self.shared.registry();
        let agent = registry
            .agents
            .get_mut(agent_index)
            .context("no such agent")?;
        agent.alive = !partitioned;
        if partitioned {
            crate::master::agents::agent_unreachable(&mut registry, agent_index);
        } else {
            crate::master::agents::agent_reregistered(&mut registry, agent_index);
            self.shared.want_allocation();
        }
        Ok(())
    }

    /// Kills the executor process (SIGKILL): its unfinished tasks fail and
    /// the framework gets FAILURE.
    pub async fn kill_executor(&self, agent_index: usize, executor_id: &str) -> anyhow::Result<()> {
        let mut registry = self.shared.registry();
        let agent = registry
            .agents
            .get_mut(agent_index)
            .context("no such agent")?;
        let run = agent
            .executors
            .values_mut()
            .find(|run| run.info.executor_id.value == executor_id)
            .context("no such executor on that agent")?;
        let kill = run
            .kill
            .take()
            .context("the executor process has not started")?;
        let _ = kill.send(());
        Ok(())
    }

    pub async fn shutdown(self) {
        self.allocator.abort();
        for process in self.masters().drain(..).flatten() {
            process.server.abort();
        }
    }
}

impl Drop for SimCluster {
    fn drop(&mut self) {
        self.allocator.abort();
        for agent in &self.agents {
            agent.abort();
        }
        for agent in self.shared.registry().agents.iter_mut() {
            for run in agent.executors.values_mut() {
                if let Some(kill) = run.kill.take() {
                    let _ = kill.send(());
                }
            }
        }
        for process in self.masters().iter().flatten() {
            process.server.abort();
        }
    }
}

async fn ensure_path(config: &ClusterConfig) -> anyhow::Result<()> {
    let zk = Client::connector()
        .connect(&config.zk_connect)
        .await
        .with_context(|| format!("connecting to ZooKeeper at {}", config.zk_connect))?;
    let mut prefix = String::new();
    for segment in config.zk_path.trim_start_matches('/').split('/') {
        prefix.push('/');
        prefix.push_str(segment);
        match zk
            .create(
                &prefix,
                b"",
                &CreateMode::Persistent.with_acls(Acls::anyone_all()),
            )
            .await
        {
            Ok(_) | Err(zookeeper_client::Error::NodeExists) => {}
            Err(error) => {
                return Err(error).with_context(|| format!("creating {prefix} in ZooKeeper"));
            }
        }
    }
    Ok(())
}
