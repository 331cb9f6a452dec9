//! Real Apache Mesos for tests: a ZooKeeper, `masters` real `mesos-master`
//! processes (one: in-memory registry; more: replicated log with a
//! majority quorum) and `agents` real `mesos-agent` processes, all on
//! loopback with free ports and one temporary directory, started from the
//! binaries [`install::mesos_home`] finds. Faults: SIGKILL of a master (the
//! leader, which can be started again) or an agent together with the
//! executors it ran. Everything,
//! executors left behind by the posix launcher included, is killed by PID
//! when the harness is dropped.
//!
//! The Rust tests use it directly; `rmesos-mesos-sim --real` runs it for
//! the Python tests, so both share this one start-up.

pub mod install;
mod process;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;
use tempfile::TempDir;

use crate::zookeeper::ZooKeeperServer;
use process::Daemon;
pub use process::{kill_processes_under, processes_under};

const POLL: Duration = Duration::from_millis(100);

/// The shape of a real cluster.
#[derive(Clone, Debug)]
pub struct RealMesosConfig {
    pub masters: usize,
    pub agents: usize,
    pub agent_cpus: f64,
    pub agent_mem_mb: u64,
    /// Masters' `--zk_session_timeout`: how soon a dead leader's znode goes.
    pub zk_session_timeout: Duration,
    /// Masters' `--allocation_interval`; `None` keeps Mesos' default (1 s).
    pub allocation_interval: Option<Duration>,
    /// Masters' `--agent_ping_timeout` and `--max_agent_ping_timeouts`:
    /// how soon a silent agent is removed (Mesos' default, 15 s x 5, when
    /// `None`).
    pub agent_ping: Option<(Duration, u32)>,
    /// How long to wait for a leader and every agent registered.
    pub startup_timeout: Duration,
    /// Variables the agents give their executors (the agents'
    /// `--executor_environment_variables`, with this process's `PATH`),
    /// for test-only executor faults; empty: executors inherit the
    /// agent's environment, as by default.
    pub executor_env: Vec<(String, String)>,
}

impl Default for RealMesosConfig {
    fn default() -> Self {
        RealMesosConfig {
            masters: 1,
            agents: 2,
            agent_cpus: 2.0,
            agent_mem_mb: 2048,
            zk_session_timeout: Duration::from_secs(3),
            allocation_interval: None,
            agent_ping: None,
            startup_timeout: Duration::from_secs(60),
            executor_env: Vec::new(),
        }
    }
}

/// A running real Mesos cluster.
pub struct RealMesos {
    masters: Vec<Daemon>,
    agents: Vec<Daemon>,
    zk: ZooKeeperServer,
    http: reqwest::Client,
    // Last: removed after every process in it is gone.
    root: TempDir,
}

impl RealMesos {
    /// Starts ZooKeeper, the masters and the agents, and waits until a
    /// leader is elected and every agent is registered with it.
    pub async fn start(config: RealMesosConfig) -> anyhow::Result<RealMesos> {
        let home = install::mesos_home().map_err(anyhow::Error::msg)?;
        let zk = tokio::task::spawn_blocking(ZooKeeperServer::start).await??;
        let root = tempfile::Builder::new().prefix("rmesos-mesos-").tempdir()?;
        let zk_url = format!("zk://{}/mesos", zk.connect_string());
        let mut cluster = RealMesos {
            masters: (0..config.masters)
                .map(|i| master(&home, root.path(), i, &config, &zk_url))
                .collect::<anyhow::Result<_>>()?,
            agents: (0..config.agents)
                .map(|i| agent(&home, root.path(), i, &config, &zk_url))
                .collect::<anyhow::Result<_>>()?,
            zk,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()?,
            root,
        };
        for daemon in cluster.masters.iter_mut().chain(cluster.agents.iter_mut()) {
            daemon
                .spawn()
                .with_context(|| format!("starting {}", daemon.name))?;
        }
        cluster.wait_until_ready(config.startup_timeout).await?;
        Ok(cluster)
    }

    /// The masters' `zk://` URL, what rmesos is given.
    pub fn zk_url(&self) -> String {
        format!("zk://{}/mesos", self.zk.connect_string())
    }

    /// Each master's `http://127.0.0.1:PORT`, dead or alive.
    pub fn master_urls(&self) -> Vec<String> {
        self.masters.iter().map(Daemon::url).collect()
    }

    /// Each agent's `http://127.0.0.1:PORT`, dead or alive.
    pub fn agent_urls(&self) -> Vec<String> {
        self.agents.iter().map(Daemon::url).collect()
    }

    /// The OS process ids of the running masters, then of the running agents.
    pub fn daemon_pids(&self) -> (Vec<u32>, Vec<u32>) {
        let pids = |daemons: &[Daemon]| daemons.iter().filter_map(Daemon::pid).collect();
        (pids(&self.masters), pids(&self.agents))
    }

    /// The directory holding every work dir (agents' sandboxes included).
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// An agent's work dir: its sandboxes are under it.
    pub fn agent_dir(&self, index: usize) -> &Path {
        &self.agents[index].dir
    }

    /// PIDs of every process running in an agent's sandbox: the executors.
    pub fn executor_pids(&self) -> Vec<u32> {
        self.agents
            .iter()
            .flat_map(|a| processes_under(&a.dir.join("slaves")))
            .collect()
    }

    /// The index of the master that says it leads, if one does. A master
    /// that does not lead answers `/state` with a redirect to the leader,
    /// so the answer must also be this master's own (its `pid` ends with
    /// its port).
    pub async fn leader_index(&self) -> Option<usize> {
        for (index, master) in self.masters.iter().enumerate() {
            let own_pid = format!("@127.0.0.1:{}", master.port);
            if let Ok(state) = self.get_json(&format!("{}/state", master.url())).await
                && state["leader"].is_string()
                && state["leader"] == state["pid"]
                && state["pid"]
                    .as_str()
                    .is_some_and(|pid| pid.ends_with(&own_pid))
            {
                return Some(index);
            }
        }
        None
    }

    /// GETs `path` (such as `/master/frameworks`) from the leading master.
    pub async fn leader_json(&self, path: &str) -> anyhow::Result<Value> {
        let Some(leader) = self.leader_index().await else {
            bail!("no leading master");
        };
        self.get_json(&format!("{}{path}", self.masters[leader].url()))
            .await
    }

    /// GETs a URL and parses its JSON.
    pub async fn get_json(&self, url: &str) -> anyhow::Result<Value> {
        let response = self.http.get(url).send().await?.error_for_status()?;
        Ok(response.json().await?)
    }

    /// Waits until `check` holds of the leader's `/master/state`.
    pub async fn wait_for_state(
        &self,
        what: &str,
        timeout: Duration,
        check: impl Fn(&Value) -> bool,
    ) -> anyhow::Result<Value> {
        let started = Instant::now();
        loop {
            if let Ok(state) = self.leader_json("/master/state").await
                && check(&state)
            {
                return Ok(state);
            }
            if started.elapsed() > timeout {
                bail!("{what}: not within {timeout:?}\n{}", self.log_tails());
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits for a leader with every running agent registered.
    pub async fn wait_until_ready(&mut self, timeout: Duration) -> anyhow::Result<()> {
        let agents = self
            .agents
            .iter_mut()
            .map(Daemon::is_running)
            .filter(|r| *r)
            .count() as f64;
        self.wait_for_state("a leader with every agent registered", timeout, |state| {
            state["activated_slaves"].as_f64() == Some(agents)
        })
        .await
        .map(drop)
    }

    /// SIGKILLs the leading master; returns its index.
    pub async fn kill_leader(&mut self) -> anyhow::Result<usize> {
        let leader = self.leader_index().await.context("no leading master")?;
        self.masters[leader].kill();
        Ok(leader)
    }

    /// SIGKILLs master `index`.
    pub fn kill_master(&mut self, index: usize) {
        self.masters[index].kill();
    }

    /// Starts master `index` again after it was killed, on its port and
    /// work dir: it rejoins the replicated log and contends behind the
    /// leader. See [`RealMesos::wait_for_log_recovered`].
    pub fn restart_master(&mut self, index: usize) -> anyhow::Result<()> {
        let master = &mut self.masters[index];
        master
            .spawn()
            .with_context(|| format!("restarting {}", master.name))
    }

    /// Waits until master `index` says its copy of the replicated log has
    /// caught up (`registrar/log/recovered` in its metrics): from then on
    /// it counts towards the quorum that elects the next leader.
    pub async fn wait_for_log_recovered(
        &self,
        index: usize,
        timeout: Duration,
    ) -> anyhow::Result<()> {
        let url = format!("{}/metrics/snapshot", self.masters[index].url());
        let started = Instant::now();
        loop {
            if let Ok(metrics) = self.get_json(&url).await
                && metrics["registrar/log/recovered"].as_f64() == Some(1.0)
            {
                return Ok(());
            }
            if started.elapsed() > timeout {
                bail!(
                    "master {index}: log not recovered within {timeout:?}\n{}",
                    self.log_tails()
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// SIGKILLs agent `index` and every executor it started (the posix
    /// launcher leaves them running); returns how many executor processes
    /// there were.
    pub fn kill_agent(&mut self, index: usize) -> usize {
        self.agents[index].kill();
        kill_processes_under(&self.agents[index].dir)
    }

    /// The end of every daemon's output, for failure messages.
    pub fn log_tails(&self) -> String {
        self.masters
            .iter()
            .chain(&self.agents)
            .map(Daemon::log_tail)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for RealMesos {
    fn drop(&mut self) {
        // Agents first, so none relaunches anything; then what they left.
        for agent in &mut self.agents {
            agent.kill();
        }
        for master in &mut self.masters {
            master.kill();
        }
        kill_processes_under(self.root.path());
    }
}

/// A free port, the work dir `root/name`, and the flags every daemon
/// takes: loopback address and name, port, work and log dirs.
fn loopback_daemon(root: &Path, name: &str) -> anyhow::Result<(u16, PathBuf, Vec<String>)> {
    let port = process::free_port()?;
    let dir = root.join(name);
    let args = vec![
        "--ip=127.0.0.1".to_string(),
        "--hostname=127.0.0.1".into(),
        format!("--port={port}"),
        format!("--work_dir={}", dir.display()),
        format!("--log_dir={}", dir.join("log").display()),
    ];
    Ok((port, dir, args))
}

fn master(
    home: &Path,
    root: &Path,
    index: usize,
    config: &RealMesosConfig,
    zk_url: &str,
) -> anyhow::Result<Daemon> {
    let (port, dir, mut args) = loopback_daemon(root, &format!("master-{index}"))?;
    let quorum = config.masters / 2 + 1;
    let registry = if config.masters == 1 {
        "in_memory"
    } else {
        "replicated_log"
    };
    args.extend([
        format!("--zk={zk_url}"),
        format!("--quorum={quorum}"),
        format!("--registry={registry}"),
        format!(
            "--zk_session_timeout={}ms",
            config.zk_session_timeout.as_millis()
        ),
    ]);
    if let Some(interval) = config.allocation_interval {
        args.push(format!("--allocation_interval={}ms", interval.as_millis()));
    }
    if let Some((timeout, times)) = config.agent_ping {
        args.push(format!("--agent_ping_timeout={}ms", timeout.as_millis()));
        args.push(format!("--max_agent_ping_timeouts={times}"));
    }
    let program = home.join("bin/mesos-master");
    Ok(Daemon::new(
        format!("master-{index}"),
        port,
        dir,
        program,
        args,
    ))
}

fn agent(
    home: &Path,
    root: &Path,
    index: usize,
    config: &RealMesosConfig,
    zk_url: &str,
) -> anyhow::Result<Daemon> {
    let (port, dir, mut args) = loopback_daemon(root, &format!("agent-{index}"))?;
    // Each agent its own port range, as on separate hosts.
    let first_port = 31000 + 1000 * index;
    let resources = format!(
        "cpus:{};mem:{};disk:4096;ports:[{first_port}-{}]",
        config.agent_cpus,
        config.agent_mem_mb,
        first_port + 999
    );
    args.extend([
        format!("--master={zk_url}"),
        // Agents on one host must not share these (their defaults are
        // machine-wide paths).
        format!("--runtime_dir={}", dir.join("run").display()),
        format!("--fetcher_cache_dir={}", dir.join("fetch").display()),
        "--launcher=posix".into(),
        "--isolation=posix/cpu,posix/mem".into(),
        "--no-systemd_enable_support".into(),
        format!("--launcher_dir={}", home.join("libexec").display()),
        format!("--resources={resources}"),
    ]);
    if !config.executor_env.is_empty() {
        let mut env = serde_json::Map::new();
        env.insert(
            "PATH".into(),
            std::env::var("PATH").unwrap_or_default().into(),
        );
        for (name, value) in &config.executor_env {
            env.insert(name.clone(), value.clone().into());
        }
        let env = serde_json::Value::Object(env);
        args.push(format!("--executor_environment_variables={env}"));
    }
    let program: PathBuf = home.join("bin/mesos-agent");
    Ok(Daemon::new(
        format!("agent-{index}"),
        port,
        dir,
        program,
        args,
    ))
}
