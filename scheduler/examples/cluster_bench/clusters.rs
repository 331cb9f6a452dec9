//! The two clusters the bench compares, one shape for both: 3 masters
//! (so that the leader can be killed) and 2 agents x 2 cpus, offers once a
//! second. The simulated cluster runs in this process with a real
//! ZooKeeper; real Mesos 1.12 runs as real daemons from the shared
//! harness. Both can kill the leading master and start it again.

use std::time::Duration;

use rmesos_mesos_sim::real_mesos::{RealMesos, RealMesosConfig, install, processes_under};
use rmesos_mesos_sim::zookeeper::ZooKeeperServer;
use rmesos_mesos_sim::{ClusterConfig, SimCluster};

pub const MASTERS: usize = 3;
pub const AGENTS: usize = 2;
pub const AGENT_CPUS: f64 = 2.0;
pub const AGENT_MEM_MB: u64 = 2048;
/// Mesos' default `--allocation_interval`, set on the simulator too.
pub const ALLOCATION_INTERVAL: Duration = Duration::from_secs(1);
/// The real masters' `--zk_session_timeout`: a dead leader's znode goes
/// after this long, and only then is another master elected.
pub const ZK_SESSION_TIMEOUT: Duration = Duration::from_secs(3);
/// Long enough for an -O0 Mesos on a busy 2-core machine.
const WAIT: Duration = Duration::from_secs(120);

/// A running cluster of either kind.
pub enum Target {
    Simulated {
        sim: SimCluster,
        _zk: ZooKeeperServer,
    },
    Real(RealMesos),
}

impl Target {
    /// The simulated cluster with its own ZooKeeper.
    pub async fn simulated() -> anyhow::Result<Target> {
        let zk = tokio::task::spawn_blocking(ZooKeeperServer::start).await??;
        let sim = SimCluster::start(ClusterConfig {
            masters: MASTERS,
            agents: AGENTS,
            agent_cpus: AGENT_CPUS,
            agent_mem_mb: AGENT_MEM_MB as f64,
            zk_connect: zk.connect_string(),
            allocation_interval: ALLOCATION_INTERVAL,
            ..ClusterConfig::default()
        })
        .await?;
        Ok(Target::Simulated { sim, _zk: zk })
    }

    /// Real Mesos, or `Ok(Err(why))` when it is not installed here.
    pub async fn real() -> anyhow::Result<Result<Target, String>> {
        if let Err(why) = install::mesos_home() {
            return Ok(Err(why));
        }
        let mesos = RealMesos::start(RealMesosConfig {
            masters: MASTERS,
            agents: AGENTS,
            agent_cpus: AGENT_CPUS,
            agent_mem_mb: AGENT_MEM_MB,
            zk_session_timeout: ZK_SESSION_TIMEOUT,
            allocation_interval: Some(ALLOCATION_INTERVAL),
            startup_timeout: WAIT,
            ..RealMesosConfig::default()
        })
        .await?;
        Ok(Ok(Target::Real(mesos)))
    }

    /// The masters' `zk://` URL.
    pub fn zk_url(&self) -> String {
        match self {
            Target::Simulated { sim, .. } => sim.zk_url(),
            Target::Real(mesos) => mesos.zk_url(),
        }
    }

    /// PIDs of the executors the agents run.
    pub fn executor_pids(&self) -> Vec<u32> {
        match self {
            Target::Simulated { sim, .. } => processes_under(sim.work_dir()),
            Target::Real(mesos) => mesos.executor_pids(),
        }
    }

    /// Kills the leading master; returns its index.
    pub async fn kill_leader(&mut self) -> anyhow::Result<usize> {
        match self {
            Target::Simulated { sim, .. } => sim.kill_leader().await,
            Target::Real(mesos) => mesos.kill_leader().await,
        }
    }

    /// Starts master `index` again and waits until it could take over:
    /// three contenders again before the next failover.
    pub async fn restart_master(&mut self, index: usize) -> anyhow::Result<()> {
        match self {
            Target::Simulated { sim, .. } => sim.restart_master(index).await,
            Target::Real(mesos) => {
                mesos.restart_master(index)?;
                mesos.wait_for_log_recovered(index, WAIT).await?;
                mesos.wait_until_ready(WAIT).await
            }
        }
    }

    /// Kills agent `index` with its executors (SIGKILL on real Mesos; the
    /// simulator removes the agent, which kills its executors).
    pub async fn kill_agent(&mut self, index: usize) -> anyhow::Result<()> {
        match self {
            Target::Simulated { sim, .. } => sim.remove_agent(index).await,
            Target::Real(mesos) => {
                mesos.kill_agent(index);
                Ok(())
            }
        }
    }

    /// Stops the cluster (real daemons and their executors are killed).
    pub async fn shutdown(self) {
        match self {
            Target::Simulated { sim, .. } => sim.shutdown().await,
            Target::Real(mesos) => drop(mesos),
        }
    }
}
