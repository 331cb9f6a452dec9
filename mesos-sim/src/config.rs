//! How a simulated cluster is shaped: masters, agents and their resources,
//! intervals, and optional HTTP Basic authentication.

use std::time::Duration;

/// A framework principal and its secret, required on the scheduler API
/// when configured.
#[derive(Clone)]
pub struct Credential {
    pub principal: String,
    pub secret: String,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("principal", &self.principal)
            .finish_non_exhaustive()
    }
}

/// Faults applied to status updates on their way to frameworks.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct UpdateFaults {
    /// Every reliable update is sent twice.
    pub duplicate: bool,
    /// Reliable updates are held this long before their first send.
    pub delay: Option<std::time::Duration>,
    /// With `delay`: each update is held a random part of it, so updates of
    /// different tasks arrive out of order (one task's stay in order).
    pub reorder: bool,
}

/// Mesos' default `--allocation_interval`.
pub const DEFAULT_ALLOCATION_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Clone, Debug)]
pub struct ClusterConfig {
    pub masters: usize,
    pub agents: usize,
    pub agent_cpus: f64,
    pub agent_mem_mb: f64,
    /// The `ports` range each agent offers (inclusive).
    pub agent_ports: (u64, u64),
    /// `"127.0.0.1:PORT"` of a real ZooKeeper.
    pub zk_connect: String,
    pub zk_path: String,
    pub heartbeat_interval: Duration,
    /// Unacknowledged status updates are sent again after this long.
    pub status_update_retry: Duration,
    /// How often the allocator makes offers (Mesos' `--allocation_interval`,
    /// 1 s by default): resources given back wait for the next one. Tests
    /// that want fast offers shorten it.
    pub allocation_interval: Duration,
    pub authentication: Option<Credential>,
    /// Extra environment for the executors one agent starts, as
    /// `(agent index, name, value)`: added after the `CommandInfo`'s own,
    /// so that a test can give one agent's executors a fault (a straggler,
    /// say). Empty by default.
    pub executor_env: Vec<(usize, String, String)>,
    /// Agents run executors as their framework's user (Mesos'
    /// `--switch_user`, on by default): a user this machine has no account
    /// for ends them unstarted (see `agent::user`). Off: `--no-switch_user`.
    pub switch_user: bool,
    /// Masters serve https with a certificate from a CA made for the
    /// cluster (`SimCluster::master_ca_file`). Off by default.
    pub master_tls: bool,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            masters: 3,
            agents: 2,
            agent_cpus: 4.0,
            agent_mem_mb: 4096.0,
            agent_ports: (31000, 32000),
            zk_connect: "127.0.0.1:2181".into(),
            zk_path: "/mesos".into(),
            heartbeat_interval: Duration::from_secs(15),
            status_update_retry: Duration::from_secs(10),
            allocation_interval: DEFAULT_ALLOCATION_INTERVAL,
            authentication: None,
            executor_env: Vec::new(),
            switch_user: true,
            master_tls: false,
        }
    }
}
