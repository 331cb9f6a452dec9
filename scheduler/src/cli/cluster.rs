//! Running `rmesos-submit`'s job on a Mesos cluster: the cluster options
//! become `ClusterSettings`, INPUT becomes a shared-file dataset
//! (`--shared`: executors read it) or rows this process loads and serves,
//! and Ctrl-C cancels the job (its tasks are killed, the framework torn down).

use std::num::{NonZeroU32, NonZeroUsize};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rmesos_common::stats::ColumnStats;

use super::args::{ClusterArgs, SubmitArgs};
use super::error::CliError;
use crate::cluster::{BlockingCluster, ClusterSettings};
use crate::engine::{Dataset, JobError, ProgressSink};

/// Partitions of a cluster job when `--partitions` is not given.
const DEFAULT_CLUSTER_PARTITIONS: u32 = 8;

/// Runs the job on the cluster at `master`.
pub fn run(
    args: &SubmitArgs,
    master: &str,
    dataset: Dataset,
    job_id: &str,
    sink: Arc<dyn ProgressSink>,
) -> Result<ColumnStats, CliError> {
    let options = settings(&args.cluster)
        .with_env()
        .and_then(|s| s.into_options(master))
        .map_err(|error| CliError::Usage(error.to_string()))?;
    let dataset = if args.shared {
        dataset
    } else {
        dataset
            .into_memory()
            .map_err(|e| CliError::BadInput(e.to_string()))?
    };
    let partitions = args
        .partitions
        .unwrap_or(NonZeroU32::new(DEFAULT_CLUSTER_PARTITIONS).unwrap_or(NonZeroU32::MIN));
    let plan = dataset
        .plan(job_id, Some(partitions), NonZeroUsize::MIN)
        .map_err(|error| CliError::BadInput(error.to_string()))?;
    tracing::info!(
        job = job_id,
        partitions = plan.len(),
        shared = args.shared,
        "running the job on the cluster"
    );
    let interrupted = ctrl_c_flag();
    let cluster =
        BlockingCluster::connect(options).map_err(|error| CliError::Cluster(error.to_string()))?;
    let result = cluster.run(plan, sink, &|| interrupted.load(Ordering::SeqCst));
    drop(cluster); // tears the framework down
    result.map_err(|error| match error {
        JobError::BadInput { message, .. } => CliError::BadInput(message),
        other => CliError::JobFailed(other.to_string()),
    })
}

fn settings(args: &ClusterArgs) -> ClusterSettings {
    ClusterSettings {
        app_name: args.name.clone(),
        role: args.role.clone(),
        principal: args.principal.clone(),
        secret_file: args.secret_file.clone(),
        task_cpus: args.task_cpus,
        task_mem_mb: args.task_mem,
        executor_cpus: args.executor_cpus,
        executor_mem_mb: args.executor_mem,
        max_attempts: args.max_attempts,
        job_timeout: seconds(args.job_timeout),
        connect_timeout: seconds(args.connect_timeout),
        data_timeout: seconds(args.data_timeout),
        failover_timeout: seconds(args.failover_timeout),
        data_bind: args.data_bind,
        advertise_host: args.advertise_host.clone(),
        advertise_port: args.advertise_port,
        executor_uri: args.executor_uri.clone(),
        executor_path: args.executor_path.clone(),
        executor_file: None,
        ui_bind: args.ui_bind,
    }
}

fn seconds(value: Option<f64>) -> Option<Duration> {
    value
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(Duration::from_secs_f64)
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
