//! The figures measured on each cluster through one session: the seed job
//! cold (the session's first job: executors fetched and started) and warm,
//! a 1e6 x 16 in-memory dataset served from the driver in 32 partitions, a
//! many-partition job, and leader failovers (the leading master killed →
//! the session subscribed again on the new leader).

use std::num::{NonZeroU32, NonZeroUsize};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use rmesos_scheduler::cluster::Cluster;
use rmesos_scheduler::engine::{Dataset, JobPlan, NoProgress};

use crate::clusters::Target;
use crate::mid_job::{Fault, tiny, with_fault};

/// How much to measure.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Warm seed jobs (the median is reported).
    pub warm: usize,
    /// Rows (x 16 columns) of the many-partition job.
    pub many_rows: usize,
    /// Partitions of the many-partition job.
    pub many_partitions: u32,
    /// Leader failovers (the median is reported).
    pub failovers: usize,
    /// Partitions of the tiny job.
    pub tiny_partitions: u32,
}

/// Rows x 16 columns of the served job, and its partitions.
pub const SERVED_ROWS: usize = 1_000_000;
pub const SERVED_PARTITIONS: u32 = 32;
const COLUMNS: usize = 16;
/// Longest wait for the session to subscribe again after a failover.
const RESUBSCRIBE_WAIT: Duration = Duration::from_secs(120);

/// What one cluster gave; a figure is `None` when a step before it failed.
#[derive(Debug, Default)]
pub struct Figures {
    pub seed_cold: Option<Duration>,
    pub seed_warm: Option<Duration>,
    pub served: Option<Duration>,
    pub many: Option<Duration>,
    /// The many-partition job with the leader killed at 30%: the whole
    /// job, and from the kill to its end.
    pub many_failover: Option<(Duration, Duration)>,
    pub tiny: Option<Duration>,
    /// A job whose agent is killed at 10%: the whole job, and from the
    /// kill to its end.
    pub agent_loss: Option<(Duration, Duration)>,
    /// One per failover, sorted.
    pub failovers: Vec<Duration>,
    /// Why the figures stop early.
    pub error: Option<String>,
}

/// Runs every job of `plan` and the failovers on one session.
pub async fn measure(target: &mut Target, cluster: &Cluster, plan: Plan, figures: &mut Figures) {
    if let Err(error) = jobs(cluster, plan, figures).await {
        figures.error = Some(format!("{error:#}"));
        return;
    }
    if let Err(error) = leader_killed_mid_job(target, cluster, plan, figures).await {
        figures.error = Some(format!("leader killed mid-job: {error:#}"));
        return;
    }
    if let Err(error) = failovers(target, cluster, plan.failovers, figures).await {
        figures.error = Some(format!("failover: {error:#}"));
    }
}

/// The many-partition job, its leading master killed at 30%.
async fn leader_killed_mid_job(
    target: &mut Target,
    cluster: &Cluster,
    plan: Plan,
    figures: &mut Figures,
) -> anyhow::Result<()> {
    let many = table(plan.many_rows)?;
    let job = (&many, plan.many_partitions);
    let (total, after, dead) = with_fault(target, cluster, job, Fault::KillLeader, 0.3).await?;
    figures.many_failover = Some((total, after));
    if let Some(dead) = dead {
        target
            .restart_master(dead)
            .await
            .with_context(|| format!("restarting master {dead}"))?;
    }
    Ok(())
}

/// The many-partition job, agent 0 and its executors killed at 10%.
/// Last: the cluster has one agent fewer afterwards.
pub async fn agent_killed_mid_job(
    target: &mut Target,
    cluster: &Cluster,
    plan: Plan,
    figures: &mut Figures,
) {
    let result = async {
        let many = table(plan.many_rows)?;
        let job = (&many, plan.many_partitions);
        let (total, after, _) = with_fault(target, cluster, job, Fault::KillAgent, 0.1).await?;
        anyhow::Ok((total, after))
    }
    .await;
    match result {
        Ok(figure) => figures.agent_loss = Some(figure),
        Err(error) => figures.error = Some(format!("agent killed mid-job: {error:#}")),
    }
}

async fn jobs(cluster: &Cluster, plan: Plan, figures: &mut Figures) -> anyhow::Result<()> {
    figures.seed_cold = Some(timed(cluster, &seed(), "cold", 2).await?);
    let mut warm = Vec::with_capacity(plan.warm);
    for i in 0..plan.warm {
        warm.push(timed(cluster, &seed(), &format!("warm-{i}"), 2).await?);
    }
    warm.sort();
    figures.seed_warm = warm.get(warm.len() / 2).copied();
    let served = table(SERVED_ROWS)?;
    figures.served = Some(timed(cluster, &served, "served", SERVED_PARTITIONS).await?);
    drop(served);
    let many = table(plan.many_rows)?;
    figures.many = Some(timed(cluster, &many, "many", plan.many_partitions).await?);
    drop(many);
    figures.tiny = Some(tiny(cluster, plan.tiny_partitions).await?);
    Ok(())
}

/// Kills the leading master `rounds` times, each time timing until the
/// session's status board counts one more subscription, then starting the
/// dead master again.
async fn failovers(
    target: &mut Target,
    cluster: &Cluster,
    rounds: usize,
    figures: &mut Figures,
) -> anyhow::Result<()> {
    for _ in 0..rounds {
        let before = subscriptions(cluster);
        let started = Instant::now();
        let dead = target.kill_leader().await?;
        while subscriptions(cluster) == before {
            if started.elapsed() > RESUBSCRIBE_WAIT {
                let framework = cluster.status().snapshot().framework;
                anyhow::bail!(
                    "not subscribed again within {RESUBSCRIBE_WAIT:?} after master {dead} died: \
                     {}; last: {:?}",
                    framework.subscription,
                    framework.history.back().map(|h| &h.what)
                );
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        figures.failovers.push(started.elapsed());
        figures.failovers.sort();
        target
            .restart_master(dead)
            .await
            .with_context(|| format!("restarting master {dead}"))?;
    }
    Ok(())
}

fn subscriptions(cluster: &Cluster) -> u64 {
    cluster.status().snapshot().framework.subscriptions
}

/// Runs `dataset` in `partitions` and returns how long it took.
async fn timed(
    cluster: &Cluster,
    dataset: &Dataset,
    job: &str,
    partitions: u32,
) -> anyhow::Result<Duration> {
    let plan = plan(dataset, job, partitions)?;
    let started = Instant::now();
    cluster
        .run(plan, Arc::new(NoProgress))
        .await
        .with_context(|| format!("job {job}"))?;
    Ok(started.elapsed())
}

pub fn plan(dataset: &Dataset, job: &str, partitions: u32) -> anyhow::Result<JobPlan> {
    Ok(dataset.plan(job, NonZeroU32::new(partitions), NonZeroUsize::MIN)?)
}

/// The README's seed: 3 x 3.
fn seed() -> Dataset {
    let rows = vec![1.0, 20.0, 300.0, 3.0, 10.0, 200.0, 2.0, 30.0, 100.0];
    Dataset::in_memory(rows, 3).expect("3 x 3")
}

/// `rows` x 16 in memory, served from the driver.
fn table(rows: usize) -> anyhow::Result<Dataset> {
    let values: Vec<f64> = (0..rows * COLUMNS).map(|i| (i as f64).sin()).collect();
    Ok(Dataset::in_memory(values, COLUMNS)?)
}
