//! Helpers for cluster-mode tests: a simulated Mesos cluster registered in
//! a real ZooKeeper, a `Cluster` session on it running the real
//! `rmesos-executor` binary, progress watching, and datasets with their
//! expected statistics computed in this process.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmesos_common::stats::{ColumnStats, ColumnSummary};
use rmesos_mesos_sim::zookeeper::ZooKeeperServer;
use rmesos_mesos_sim::{ClusterConfig, SimCluster};
use rmesos_scheduler::backoff::BackoffPolicy;
use rmesos_scheduler::cluster::{Cluster, ClusterStatus, JobHandle, StatusBoard};
use rmesos_scheduler::engine::{Dataset, ProgressEvent, ProgressSink, ProgressUpdate};
use rmesos_scheduler::settings::SessionSettings;
use rmesos_scheduler::ui::StatusPage;

pub const WAIT: Duration = Duration::from_secs(60);

pub struct Setup {
    pub zk: ZooKeeperServer,
    pub sim: SimCluster,
}

pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_test_writer()
        .try_init();
}

/// ZooKeeper and a simulated cluster of `agents` agents.
pub async fn start_sim(agents: usize, tweak: impl FnOnce(&mut ClusterConfig)) -> Setup {
    let zk = tokio::task::block_in_place(ZooKeeperServer::start).expect("ZooKeeper starts");
    let mut config = ClusterConfig {
        agents,
        agent_cpus: 4.0,
        agent_mem_mb: 4096.0,
        zk_connect: zk.connect_string(),
        zk_path: "/mesos".into(),
        heartbeat_interval: Duration::from_millis(300),
        status_update_retry: Duration::from_millis(300),
        allocation_interval: Duration::from_millis(20),
        ..ClusterConfig::default()
    };
    tweak(&mut config);
    let sim = SimCluster::start(config).await.expect("cluster starts");
    Setup { zk, sim }
}

/// The executor binary cargo built for this workspace.
pub fn executor_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let binary = dir.join("rmesos-executor");
    assert!(
        binary.is_file(),
        "{} is missing: build it first (cargo build -p rmesos-executor; cargo test --workspace does)",
        binary.display()
    );
    binary
}

/// Settings for a session on the simulated cluster: the real executor,
/// served from this process, on loopback, with quick retries; the status
/// page on a free loopback port. `connect` sets the master.
pub fn settings() -> SessionSettings {
    let executor = executor_binary();
    SessionSettings::from_keywords(&[
        ("master", "http://127.0.0.1:5050"),
        ("executor_file", executor.to_str().expect("a UTF-8 path")),
        ("data_bind", "127.0.0.1:0"),
        ("ui_bind", "127.0.0.1:0"),
        ("task_cpus", "1"),
        ("connect_timeout", "30s"),
    ])
    .expect("valid settings")
}

/// A session as a front runs it: the cluster session, and its status page
/// (at the settings' `ui_bind`) over its board.
pub struct Session {
    cluster: Cluster,
    page: Option<StatusPage>,
}

impl std::ops::Deref for Session {
    type Target = Cluster;

    fn deref(&self) -> &Cluster {
        &self.cluster
    }
}

impl Session {
    pub fn ui_addr(&self) -> Option<std::net::SocketAddr> {
        self.page.as_ref().and_then(StatusPage::local_addr)
    }

    pub fn ui_url(&self) -> Option<String> {
        let host = self.cluster.advertised_host();
        self.page.as_ref().and_then(|page| page.url(&host))
    }

    /// Tears the framework down, then stops the page.
    pub async fn shutdown(self) -> Result<(), rmesos_scheduler::driver::DriverError> {
        let result = self.cluster.shutdown().await;
        drop(self.page);
        result
    }
}

pub async fn connect(setup: &Setup, mut settings: SessionSettings) -> Session {
    settings.master = setup.sim.zk_url().parse().expect("a master URL");
    let mut options = settings.cluster_options().expect("valid settings");
    options.retry.backoff = BackoffPolicy {
        initial: Duration::from_millis(50),
        max: Duration::from_millis(500),
        multiplier: 2.0,
        jitter: 0.2,
    };
    // An executor is declared lost after 3 missed heartbeats: 6 s of
    // silence, which a loaded 2-core machine's stalls do not reach (1.5 s
    // did, and a lost executor's partitions run twice). No test here
    // measures how soon a silent executor is noticed: killed executors and
    // removed agents are heard of from Mesos (their leases end).
    options.data_server.heartbeat = Duration::from_secs(2);
    options.driver.reconnect_backoff = BackoffPolicy {
        initial: Duration::from_millis(20),
        max: Duration::from_millis(300),
        multiplier: 2.0,
        jitter: 0.5,
    };
    let board = StatusBoard::for_options(&options);
    let page = StatusPage::start_here(settings.ui_bind, board.clone()).await;
    let cluster = Cluster::connect_with_board(options, board)
        .await
        .expect("the session connects");
    Session { cluster, page }
}

/// Records every progress update; lets a test wait for a condition on them.
#[derive(Default, Clone)]
pub struct Recorder {
    updates: Arc<Mutex<Vec<ProgressUpdate>>>,
}

impl ProgressSink for Recorder {
    fn update(&self, update: &ProgressUpdate) {
        self.updates.lock().unwrap().push(update.clone());
    }
}

impl Recorder {
    pub fn sink(&self) -> Arc<dyn ProgressSink> {
        Arc::new(self.clone())
    }

    pub fn updates(&self) -> Vec<ProgressUpdate> {
        self.updates.lock().unwrap().clone()
    }

    pub fn partitions_done(&self) -> u32 {
        self.updates()
            .last()
            .map_or(0, |u| u.progress.partitions_done)
    }

    pub fn failures(&self) -> Vec<String> {
        self.updates()
            .into_iter()
            .filter_map(|u| match u.event {
                ProgressEvent::PartitionFailed { message, .. } => Some(message),
                _ => None,
            })
            .collect()
    }

    /// Waits until `cond` holds on the updates so far.
    pub async fn wait_for(&self, what: &str, cond: impl Fn(&[ProgressUpdate]) -> bool) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if cond(&self.updates()) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Polls `probe` every 10 ms until it gives `Ok`, and returns that; after
/// `WAIT`, fails naming `what` and the last thing seen (`probe`'s `Err`).
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let seen = match probe().await {
            Ok(value) => return value,
            Err(seen) => seen,
        };
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}: {seen}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until `cond` holds on the session's status board and returns that
/// board. Mesos' state runs ahead of the board: a status update reaches the
/// scheduler some time after the simulator records it.
pub async fn wait_for_board(
    cluster: &Cluster,
    what: &str,
    cond: impl Fn(&ClusterStatus) -> bool,
) -> ClusterStatus {
    eventually(what, || {
        let board = cluster.status().snapshot();
        let answer = if cond(&board) {
            Ok(board)
        } else {
            Err(format!("{board:?}"))
        };
        std::future::ready(answer)
    })
    .await
}

/// The executor's straggler fault (read by debug builds only) for a
/// simulated cluster's `executor_env`: on `agent`, every partition waits
/// `millis` before its result.
pub fn partition_delay(agent: usize, millis: u64) -> (usize, String, String) {
    (
        agent,
        "RMESOS_TEST_PARTITION_DELAY_MS".into(),
        millis.to_string(),
    )
}

/// `partition_delay` on each of `agents` agents.
pub fn partition_delays(agents: usize, millis: u64) -> Vec<(usize, String, String)> {
    (0..agents).map(|a| partition_delay(a, millis)).collect()
}

/// `nrows` x `ncols` well-conditioned values, row-major.
pub fn rows(nrows: usize, ncols: usize) -> Vec<f64> {
    (0..nrows * ncols)
        .map(|i| {
            let (r, c) = ((i / ncols) as f64, (i % ncols) as f64);
            (r * 0.618 + c).sin() * 100.0 + c * 10.0
        })
        .collect()
}

/// The statistics computed directly in this process.
pub fn expected(values: &[f64], ncols: usize) -> ColumnStats {
    let mut summary = ColumnSummary::new(ncols);
    summary.add_rows(values).unwrap();
    summary.finish()
}

/// Every statistic equal to 1e-9 relative.
pub fn assert_close(got: &ColumnStats, want: &ColumnStats) {
    assert_eq!(got.count(), want.count(), "count");
    let pairs = [
        ("mean", got.mean(), want.mean()),
        ("variance", got.variance(), want.variance()),
        ("num_nonzeros", got.num_nonzeros(), want.num_nonzeros()),
        ("min", got.min(), want.min()),
        ("max", got.max(), want.max()),
        ("norm_l1", got.norm_l1(), want.norm_l1()),
        ("norm_l2", got.norm_l2(), want.norm_l2()),
    ];
    for (name, got, want) in pairs {
        let (got, want) = (got.unwrap(), want.unwrap());
        assert_eq!(got.len(), want.len(), "{name} length");
        for (i, (g, w)) in got.iter().zip(want.iter()).enumerate() {
            let tolerance = 1e-9 * w.abs().max(1e-300);
            assert!((g - w).abs() <= tolerance, "{name}[{i}]: got {g}, want {w}");
        }
    }
}

/// Writes a C-order float64 `.npy` file.
pub fn write_npy(path: &std::path::Path, values: &[f64], ncols: usize) {
    rmesos_common::readers::write_npy_f64(path, values, ncols).expect("write .npy");
}

/// Submits `values` (`ncols` wide) as job `job_id` in `partitions`
/// partitions, and returns once `done` of them are merged: the job is
/// then running, for a test to look at or to disturb.
pub async fn submit_running(
    cluster: &Cluster,
    values: Vec<f64>,
    ncols: usize,
    (job_id, partitions): (&str, u32),
    done: u32,
) -> (JobHandle, Recorder) {
    let plan = Dataset::in_memory(values, ncols)
        .unwrap()
        .plan(
            job_id,
            std::num::NonZeroU32::new(partitions),
            std::num::NonZeroUsize::MIN,
        )
        .unwrap();
    let recorder = Recorder::default();
    let job = cluster.submit(plan, recorder.sink());
    recorder
        .wait_for("partitions done", |u| {
            u.last().is_some_and(|u| u.progress.partitions_done >= done)
        })
        .await;
    (job, recorder)
}

/// The executors' logs: every sandbox's `stderr` and `stdout` under the
/// simulated agents' work directory `root`.
pub fn sandbox_logs(root: &std::path::Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path
                .file_name()
                .is_some_and(|n| n == "stderr" || n == "stdout")
            {
                found.push(path);
            }
        }
    }
    found
}

/// The environments (`NAME=value` entries) of the executor processes
/// running in a sandbox under the simulated agents' work directory `root`
/// (found by their working directory, as Linux's `/proc` shows it).
pub fn executor_environments(root: &std::path::Path) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(cwd) = std::fs::read_link(entry.path().join("cwd")) else {
            continue;
        };
        if !cwd.starts_with(root) {
            continue;
        }
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        let variables = environ
            .split(|&b| b == 0)
            .filter(|v| !v.is_empty())
            .map(|v| String::from_utf8_lossy(v).into_owned());
        found.push(variables.collect());
    }
    found
}
