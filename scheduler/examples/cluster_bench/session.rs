//! The one place the bench says how its sessions are configured: the
//! `ClusterSettings` every session of every cluster uses, and connecting
//! a session with them.

use rmesos_scheduler::cluster::{Cluster, ClusterSettings};

/// CPUs per task: 7 tasks beside the executor (0.1 cpu) on a 2-cpu agent.
pub const TASK_CPUS: f64 = 0.25;

/// The settings of every session: the data server on loopback, the status
/// page off, [`TASK_CPUS`] per task, the rest as a user gets them.
pub fn settings() -> ClusterSettings {
    ClusterSettings {
        data_bind: Some(([127, 0, 0, 1], 0).into()),
        ui_bind: Some(rmesos_scheduler::ui::UiBind::Off),
        task_cpus: Some(TASK_CPUS),
        ..ClusterSettings::default()
    }
}

/// A session on the masters at `zk_url`, subscribed.
pub async fn connect(zk_url: &str) -> anyhow::Result<Cluster> {
    Ok(Cluster::connect(settings().into_options(zk_url)?).await?)
}
