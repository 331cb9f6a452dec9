//! Figures with a fault in the middle of a job: the many-partition job
//! with the leading master killed once 30% of its partitions are done,
//! and a job whose agent (with its executors) is killed at 10%, timed
//! from the kill to the job's end; and the rate of a job of many tiny
//! partitions.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use rmesos_scheduler::cluster::Cluster;
use rmesos_scheduler::engine::{Dataset, ProgressSink, ProgressUpdate};

use crate::clusters::Target;
use crate::measure::plan;

/// Longest wait for a job to reach the point of the fault.
const FAULT_WAIT: Duration = Duration::from_secs(300);

/// Counts the partitions merged so far.
#[derive(Default)]
struct DoneCounter(AtomicU32);

impl ProgressSink for DoneCounter {
    fn update(&self, update: &ProgressUpdate) {
        self.0
            .fetch_max(update.progress.partitions_done, Ordering::Relaxed);
    }
}

/// What to do once a job has `at` of its partitions done.
pub enum Fault {
    KillLeader,
    KillAgent,
}

/// Runs `dataset` in `partitions`, applies `fault` once `at` (a fraction)
/// of them are done; returns (whole job, fault → end) and the master to
/// start again, if one was killed.
pub async fn with_fault(
    target: &mut Target,
    cluster: &Cluster,
    (dataset, partitions): (&Dataset, u32),
    fault: Fault,
    at: f64,
) -> anyhow::Result<(Duration, Duration, Option<usize>)> {
    let counter = Arc::new(DoneCounter::default());
    let started = Instant::now();
    let job = cluster.submit(plan(dataset, "faulted", partitions)?, counter.clone());
    let wanted = (f64::from(partitions) * at).ceil() as u32;
    while counter.0.load(Ordering::Relaxed) < wanted {
        anyhow::ensure!(
            started.elapsed() < FAULT_WAIT,
            "the job did not get to {wanted} partitions"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let fault_at = Instant::now();
    let dead_master = match fault {
        Fault::KillLeader => Some(target.kill_leader().await?),
        Fault::KillAgent => {
            target.kill_agent(0).await?;
            None
        }
    };
    job.wait().await.context("the faulted job")?;
    Ok((started.elapsed(), fault_at.elapsed(), dead_master))
}

/// `partitions` partitions of 2 rows x 2 columns each: the cost of
/// handing out a partition and taking its result back.
pub async fn tiny(cluster: &Cluster, partitions: u32) -> anyhow::Result<Duration> {
    let values: Vec<f64> = (0..partitions as usize * 4).map(|i| i as f64).collect();
    let dataset = Dataset::in_memory(values, 2)?;
    let started = Instant::now();
    cluster
        .run(
            plan(&dataset, "tiny", partitions)?,
            Arc::new(rmesos_scheduler::engine::NoProgress),
        )
        .await
        .context("the tiny job")?;
    Ok(started.elapsed())
}
