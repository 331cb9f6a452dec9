//! Memory on the simulated cluster, after its other figures and on the
//! same session: the executors' peak RSS on a 1 GiB partition served from
//! memory and on one read from a shared .npy, the driver's RSS overhead
//! while serving a 1 GiB in-memory dataset, and its peak while loading a
//! 1 GiB .npy to serve it (what `rmesos-submit` without `--shared` does).

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use rmesos_scheduler::cluster::Cluster;
use rmesos_scheduler::engine::{Dataset, NoProgress};

use crate::clusters::Target;
use crate::measure::plan;

const GIB: usize = 1 << 30;

/// `(measurement, value)` rows.
pub type Rows = Vec<(&'static str, String)>;

/// The memory rows; needs about 2 GiB of free memory and 1 GiB in /tmp.
pub async fn memory(target: &Target, cluster: &Cluster) -> anyhow::Result<Rows> {
    let mut rows = Rows::new();
    let me = std::process::id();
    let before = proc_kib(me, "VmRSS");
    let values: Arc<[f64]> = (0..GIB / 8).map(|i| (i % 1000) as f64 * 0.5).collect();
    let big = Dataset::in_memory(Arc::clone(&values), 16)?;
    let loaded = proc_kib(me, "VmRSS");
    // Peaks (VmHWM) from here on are the job's own.
    reset_peak(me);
    target.executor_pids().into_iter().for_each(reset_peak);
    let secs = run(cluster, &big, "gib-served").await?;
    let driver_peak = proc_kib(me, "VmHWM");
    rows.push((
        "executor peak RSS, 1 GiB partition served from the driver",
        format!(
            "{:.1} MiB ({:.2} GB/s)",
            executor_peak_mib(target),
            gbps(secs)
        ),
    ));
    rows.push((
        "driver RSS: the 1 GiB dataset / overhead at peak while serving it",
        format!(
            "{:.0} MiB / {:.1} MiB",
            mib(loaded.saturating_sub(before)),
            mib(driver_peak.saturating_sub(loaded))
        ),
    ));
    drop(big);

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("gib.npy");
    rmesos_common::readers::write_npy_f64(&path, &values, 16)?;
    drop(values);
    let secs = run(cluster, &Dataset::Npy(path.clone()), "gib-shared").await?;
    rows.push((
        "executor peak RSS, after also a 1 GiB partition of a shared .npy",
        format!(
            "{:.1} MiB ({:.2} GB/s)",
            executor_peak_mib(target),
            gbps(secs)
        ),
    ));
    rows.push(load_for_serving(&path)?);
    Ok(rows)
}

async fn run(cluster: &Cluster, dataset: &Dataset, job: &str) -> anyhow::Result<f64> {
    let started = Instant::now();
    cluster
        .run(plan(dataset, job, 1)?, Arc::new(NoProgress))
        .await?;
    Ok(started.elapsed().as_secs_f64())
}

/// What `rmesos-submit` without `--shared` does first: the whole .npy read
/// into memory to be served. The peak should be the data once, not twice.
fn load_for_serving(path: &Path) -> anyhow::Result<(&'static str, String)> {
    let me = std::process::id();
    reset_peak(me);
    let before = proc_kib(me, "VmRSS");
    let started = Instant::now();
    let loaded = Dataset::Npy(path.to_path_buf()).into_memory()?;
    let secs = started.elapsed().as_secs_f64();
    let peak = proc_kib(me, "VmHWM");
    drop(loaded);
    Ok((
        "driver: loading a 1 GiB .npy to serve it, peak RSS increase",
        format!(
            "{:.0} MiB ({:.2} GB/s)",
            mib(peak.saturating_sub(before)),
            gbps(secs)
        ),
    ))
}

/// The largest peak RSS among the executors, in MiB.
fn executor_peak_mib(target: &Target) -> f64 {
    let peak = target
        .executor_pids()
        .into_iter()
        .map(|pid| proc_kib(pid, "VmHWM"))
        .max()
        .unwrap_or(0);
    mib(peak)
}

/// A `/proc/<pid>/status` field in KiB (VmRSS, VmHWM); 0 when unreadable.
fn proc_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|line| line.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// Starts a process's peak RSS (VmHWM) afresh from its current RSS.
fn reset_peak(pid: u32) {
    // A process that ended meanwhile has no peak to reset.
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn gbps(secs: f64) -> f64 {
    GIB as f64 / secs / 1e9
}
