//! Running `rmesos-submit`'s job on a Mesos cluster: the session settings
//! become `ClusterOptions`, INPUT becomes a shared-file dataset
//! (`--shared`: executors read it) or rows this process loads and serves,
//! the status page shows the session while it lives, and Ctrl-C cancels
//! the job (its tasks are killed, the framework torn down).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rmesos_common::stats::ColumnStats;

use super::args::SubmitArgs;
use super::error::CliError;
use crate::cluster::{BlockingCluster, StatusBoard};
use crate::engine::{Dataset, Placement, ProgressSink};
use crate::ui::StatusPage;

/// Runs the job on the cluster the settings' master names.
pub fn run(
    args: &SubmitArgs,
    dataset: Dataset,
    job_id: &str,
    sink: Arc<dyn ProgressSink>,
) -> Result<ColumnStats, CliError> {
    let options = args
        .settings
        .cluster_options()
        .map_err(|error| CliError::Usage(error.to_string()))?;
    let placement = Placement::Cluster {
        shared: args.shared,
    };
    let plan = dataset
        .plan_for(placement, job_id, args.partitions)
        .map_err(|error| CliError::BadInput(error.to_string()))?
        .with_request(args.extra.request());
    tracing::info!(
        job = job_id,
        partitions = plan.len(),
        shared = args.shared,
        "running the job on the cluster"
    );
    let interrupted = ctrl_c_flag();
    let board = StatusBoard::for_options(&options);
    let page = StatusPage::start(args.settings.ui_bind, board.clone());
    let cluster = BlockingCluster::connect_with_board(options, board)
        .map_err(|error| CliError::Cluster(error.to_string()))?;
    let result = cluster.run(plan, sink, &|| interrupted.load(Ordering::SeqCst));
    drop(cluster); // tears the framework down
    drop(page);
    result.map_err(super::job_failed)
}

/// A flag raised by Ctrl-C (SIGINT), watched from a small thread of its own.
fn ctrl_c_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let raised = Arc::clone(&flag);
    let watcher = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    if let Ok(runtime) = watcher {
        std::thread::spawn(move || {
            if runtime.block_on(tokio::signal::ctrl_c()).is_ok() {
                eprintln!("rmesos-submit: interrupted: cancelling the job");
                raised.store(true, Ordering::SeqCst);
            }
        });
    }
    flag
}
