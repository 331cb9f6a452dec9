//! `BlockingCluster`: a `Cluster` for callers without an async runtime (the
//! CLI, the Python module). It owns a small Tokio runtime; jobs block the
//! calling thread, which can poll for cancellation (Ctrl-C) meanwhile.

use std::sync::Arc;
use std::time::Duration;

use rmesos_common::stats::ColumnStats;
use tokio::runtime::Runtime;

use super::options::ClusterOptions;
use super::session::{Cluster, ClusterError};
use super::status::StatusBoard;
use crate::driver::DriverError;
use crate::engine::{JobError, JobPlan, ProgressSink};

/// How often a blocked `run` asks whether to cancel.
const CANCEL_POLL: Duration = Duration::from_millis(100);

pub struct BlockingCluster {
    runtime: Runtime,
    cluster: Option<Cluster>,
}

impl BlockingCluster {
    /// Connects (see `Cluster::connect`), blocking until subscribed.
    pub fn connect(options: ClusterOptions) -> Result<BlockingCluster, ClusterError> {
        let board = StatusBoard::for_options(&options);
        BlockingCluster::connect_with_board(options, board)
    }

    /// Connects recording on `board` (see `Cluster::connect_with_board`).
    pub fn connect_with_board(
        options: ClusterOptions,
        board: StatusBoard,
    ) -> Result<BlockingCluster, ClusterError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("rmesos-cluster")
            .enable_all()
            .build()
            .map_err(|source| ClusterError::DataServer {
                bind: "(runtime)".into(),
                source,
            })?;
        let cluster = runtime.block_on(Cluster::connect_with_board(options, board))?;
        Ok(BlockingCluster {
            runtime,
            cluster: Some(cluster),
        })
    }

    fn cluster(&self) -> Result<&Cluster, JobError> {
        self.cluster
            .as_ref()
            .ok_or_else(|| JobError::Cluster("the cluster session was shut down".into()))
    }

    pub fn framework_id(&self) -> Option<&str> {
        self.cluster.as_ref().map(Cluster::framework_id)
    }

    /// The host the agents reach this process at (see
    /// `Cluster::advertised_host`).
    pub fn advertised_host(&self) -> Option<String> {
        self.cluster.as_ref().map(Cluster::advertised_host)
    }

    pub fn status(&self) -> Option<StatusBoard> {
        self.cluster.as_ref().map(|c| c.status().clone())
    }

    /// Runs `plan`; `should_cancel` is asked every 100 ms, and a `true`
    /// cancels the job (its tasks are killed) and returns `Cancelled`.
    pub fn run(
        &self,
        plan: JobPlan,
        sink: Arc<dyn ProgressSink>,
        should_cancel: &dyn Fn() -> bool,
    ) -> Result<ColumnStats, JobError> {
        let job = self.cluster()?.submit(plan, sink);
        let cancel = job.canceller();
        self.runtime.block_on(async move {
            let wait = job.wait();
            tokio::pin!(wait);
            loop {
                tokio::select! {
                    result = &mut wait => return result,
                    _ = tokio::time::sleep(CANCEL_POLL) => {
                        if !cancel.is_cancelled() && should_cancel() {
                            cancel.cancel();
                        }
                    }
                }
            }
        })
    }

    /// Tears the framework down.
    pub fn shutdown(&mut self) -> Result<(), DriverError> {
        match self.cluster.take() {
            Some(cluster) => self.runtime.block_on(cluster.shutdown()),
            None => Ok(()),
        }
    }
}

impl Drop for BlockingCluster {
    fn drop(&mut self) {
        if let Err(error) = self.shutdown() {
            tracing::warn!(%error, "tearing the framework down failed");
        }
    }
}
