//! The one place the bench says how its sessions are configured: the
//! settings every session of every cluster uses, and connecting a session
//! with them.

use rmesos_scheduler::cluster::Cluster;
use rmesos_scheduler::settings::SessionSettings;

/// CPUs per task: 7 tasks beside the executor (0.1 cpu) on a 2-cpu agent.
pub const TASK_CPUS: f64 = 0.25;

/// A session on the masters at `zk_url`, subscribed: the data server on
/// loopback, no status page, [`TASK_CPUS`] per task, then the `extra`
/// settings, the rest as a user gets them.
pub async fn connect(zk_url: &str, extra: &[(&str, &str)]) -> anyhow::Result<Cluster> {
    let mut pairs = vec![
        ("master", zk_url.to_owned()),
        ("data_bind", "127.0.0.1:0".to_owned()),
        ("task_cpus", TASK_CPUS.to_string()),
    ];
    pairs.extend(extra.iter().map(|&(name, value)| (name, value.to_owned())));
    let settings = SessionSettings::from_keywords(&pairs)?;
    Ok(Cluster::connect(settings.cluster_options()?).await?)
}
