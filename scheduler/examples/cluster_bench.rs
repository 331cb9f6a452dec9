//! Cluster-mode figures on the simulated cluster (real ZooKeeper, the real
//! release-built executor): the seed job's latency cold (executors fetched
//! and started) and warm (executors up), a 1,000-partition job's tasks per
//! second, the executor's peak RSS on a 1 GiB partition (served from
//! memory, and read from a shared .npy), and the driver's memory overhead
//! while serving a 1 GiB in-memory dataset. Prints a table; not a test.
//!
//! Run: `bash benches/cluster.sh` (builds the executor in release first).

use std::num::{NonZeroU32, NonZeroUsize};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmesos_mesos_sim::zookeeper::ZooKeeperServer;
use rmesos_mesos_sim::{ClusterConfig, SimCluster};
use rmesos_scheduler::cluster::Cluster;
use rmesos_scheduler::engine::{Dataset, JobPlan, NoProgress};
use rmesos_scheduler::settings::SessionSettings;

const GIB: usize = 1 << 30;

fn plan(dataset: &Dataset, job: &str, partitions: u32) -> JobPlan {
    dataset
        .plan(job, NonZeroU32::new(partitions), NonZeroUsize::MIN)
        .expect("plan")
}

/// A `/proc/<pid>/status` field in KiB (VmRSS, VmHWM).
fn proc_kib(pid: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Pids of the executors running below `work_dir`.
fn executor_pids(work_dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|pid| pid.chars().all(|c| c.is_ascii_digit()))
        .filter(|pid| {
            let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
            let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap_or_default();
            exe.ends_with("rmesos-executor") && cwd.starts_with(work_dir)
        })
        .collect()
}

async fn start(agents: usize, cpus: f64, zk: &ZooKeeperServer) -> anyhow::Result<SimCluster> {
    SimCluster::start(ClusterConfig {
        agents,
        agent_cpus: cpus,
        agent_mem_mb: 64_000.0,
        zk_connect: zk.connect_string(),
        heartbeat_interval: Duration::from_secs(1),
        allocation_interval: Duration::from_millis(20),
        ..ClusterConfig::default()
    })
    .await
}

async fn connect(sim: &SimCluster, task_cpus: f64) -> anyhow::Result<Cluster> {
    let settings = SessionSettings::from_keywords(&[
        ("master", sim.zk_url()),
        ("data_bind", "127.0.0.1:0".to_owned()),
        ("task_cpus", task_cpus.to_string()),
    ])?;
    Ok(Cluster::connect(settings.cluster_options()?).await?)
}

fn seed() -> Dataset {
    let rows = vec![1.0, 20.0, 300.0, 3.0, 10.0, 200.0, 2.0, 30.0, 100.0];
    Dataset::in_memory(rows, 3).expect("seed")
}

type Table = Vec<(&'static str, String)>;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start)?;
    let mut table = Table::new();
    latency_and_throughput(&zk, &mut table).await?;
    memory(&zk, &mut table).await?;
    println!("| measurement | value |\n| --- | --- |");
    for (what, value) in table {
        println!("| {what} | {value} |");
    }
    Ok(())
}

/// Seed latency, cold then warm, and 1,000 partitions, on 3 agents.
async fn latency_and_throughput(zk: &ZooKeeperServer, table: &mut Table) -> anyhow::Result<()> {
    let sim = start(3, 8.0, zk).await?;
    let cluster = connect(&sim, 0.5).await?;
    let t = Instant::now();
    cluster
        .run(plan(&seed(), "cold", 2), Arc::new(NoProgress))
        .await?;
    table.push((
        "seed job, cold (fetch + start executors)",
        format!("{:.1} ms", ms(t.elapsed())),
    ));
    let mut warm: Vec<f64> = Vec::new();
    for i in 0..20 {
        let t = Instant::now();
        cluster
            .run(plan(&seed(), &format!("warm-{i}"), 2), Arc::new(NoProgress))
            .await?;
        warm.push(ms(t.elapsed()));
    }
    warm.sort_by(f64::total_cmp);
    table.push((
        "seed job, warm (median of 20)",
        format!("{:.1} ms", warm[10]),
    ));
    let values: Vec<f64> = (0..1_000_000).map(|i| (i as f64).sin()).collect();
    let many = Dataset::in_memory(values, 4)?;
    let t = Instant::now();
    cluster
        .run(plan(&many, "thousand", 1000), Arc::new(NoProgress))
        .await?;
    let secs = t.elapsed().as_secs_f64();
    table.push((
        "1,000-partition job (3 agents x 8 cpus, 0.5 cpu/task)",
        format!("{:.0} tasks/s ({secs:.2} s)", 1000.0 / secs),
    ));
    cluster.shutdown().await?;
    sim.shutdown().await;

    Ok(())
}

/// 1 GiB partitions on one agent: executor RSS, driver overhead.
async fn memory(zk: &ZooKeeperServer, table: &mut Table) -> anyhow::Result<()> {
    let sim = start(1, 4.0, zk).await?;
    let cluster = connect(&sim, 1.0).await?;
    let me = std::process::id().to_string();
    let before = proc_kib(&me, "VmRSS").unwrap_or(0);
    let values: Arc<[f64]> = (0..GIB / 8).map(|i| (i % 1000) as f64 * 0.5).collect();
    let big = Dataset::in_memory(values, 16)?;
    let loaded = proc_kib(&me, "VmRSS").unwrap_or(0);
    // Start the peak (VmHWM) afresh: from here on it is the job's own.
    std::fs::write("/proc/self/clear_refs", "5")?;
    let t = Instant::now();
    cluster
        .run(plan(&big, "gib-served", 1), Arc::new(NoProgress))
        .await?;
    let served_secs = t.elapsed().as_secs_f64();
    let peak = proc_kib(&me, "VmHWM").unwrap_or(0);
    let executors = executor_pids(sim.work_dir());
    let executor_hwm = executors
        .iter()
        .filter_map(|p| proc_kib(p, "VmHWM"))
        .max()
        .unwrap_or(0);
    table.push((
        "executor peak RSS, 1 GiB served partition",
        format!(
            "{:.1} MiB ({:.2} GB/s)",
            executor_hwm as f64 / 1024.0,
            GIB as f64 / served_secs / 1e9
        ),
    ));
    table.push((
        "driver RSS: dataset (1 GiB) / overhead at peak while serving",
        format!(
            "{:.0} MiB / {:.1} MiB",
            (loaded - before) as f64 / 1024.0,
            peak.saturating_sub(loaded) as f64 / 1024.0
        ),
    ));

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("gib.npy");
    rmesos_common::readers::write_npy_f64(&path, big_values(&big), 16)?;
    drop(big);
    let t = Instant::now();
    cluster
        .run(
            plan(&Dataset::Npy(path.clone()), "gib-shared", 1),
            Arc::new(NoProgress),
        )
        .await?;
    let shared_secs = t.elapsed().as_secs_f64();
    let executor_hwm = executor_pids(sim.work_dir())
        .iter()
        .filter_map(|p| proc_kib(p, "VmHWM"))
        .max()
        .unwrap_or(0);
    table.push((
        "executor peak RSS after also a 1 GiB shared .npy partition",
        format!(
            "{:.1} MiB ({:.2} GB/s)",
            executor_hwm as f64 / 1024.0,
            GIB as f64 / shared_secs / 1e9
        ),
    ));
    load_for_serving(&path, table)?;
    cluster.shutdown().await?;
    sim.shutdown().await;
    Ok(())
}

/// What `rmesos-submit` without `--shared` does first: the whole .npy read
/// into memory to be served. The peak should be the data once, not twice.
fn load_for_serving(path: &Path, table: &mut Table) -> anyhow::Result<()> {
    let me = std::process::id().to_string();
    std::fs::write("/proc/self/clear_refs", "5")?;
    let before = proc_kib(&me, "VmRSS").unwrap_or(0);
    let t = Instant::now();
    let loaded = Dataset::Npy(path.to_path_buf()).into_memory()?;
    let secs = t.elapsed().as_secs_f64();
    let peak = proc_kib(&me, "VmHWM").unwrap_or(0);
    drop(loaded);
    table.push((
        "driver: loading a 1 GiB .npy to serve it, peak RSS increase",
        format!(
            "{:.0} MiB ({:.2} GB/s)",
            peak.saturating_sub(before) as f64 / 1024.0,
            GIB as f64 / secs / 1e9
        ),
    ));
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn big_values(dataset: &Dataset) -> &[f64] {
    match dataset {
        Dataset::InMemory { rows, .. } => rows,
        _ => &[],
    }
}
