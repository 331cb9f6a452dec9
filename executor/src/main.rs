//! `rmesos-executor`: the Mesos v1 executor that computes partitions.
//! Started by the Mesos agent with the `MESOS_*` environment; logs to
//! stderr (filter from `RUST_LOG`, default `info`); exits 0 after a
//! SHUTDOWN or once its last lease ended, non-zero when it lost its agent
//! or its driver, or was misconfigured.

use rmesos_executor::config::Config;
use rmesos_executor::runner::{self, Exit};
use tracing_subscriber::EnvFilter;

/// Exit code for a missing or malformed environment variable.
const EXIT_CONFIG: i32 = 2;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            tracing::error!(%error, "rmesos-executor cannot start");
            eprintln!("rmesos-executor: {error}");
            std::process::exit(EXIT_CONFIG);
        }
    };
    tracing::info!(
        framework = %config.framework_id,
        executor = %config.executor_id,
        agent = %config.agent_endpoint,
        checkpoint = config.recovery.is_some(),
        data_timeout = ?config.data_timeout,
        "rmesos-executor starting"
    );
    let exit = runner::run(config).await;
    match &exit {
        Exit::Shutdown => tracing::info!("rmesos-executor shut down"),
        Exit::NoLeaseLeft => tracing::info!("rmesos-executor holds no lease; exiting"),
        other => tracing::error!(reason = ?other, "rmesos-executor exiting"),
    }
    // Exit at once: a killed task's file read may still be running on a
    // blocking thread, which a runtime shutdown would wait for.
    std::process::exit(exit.code());
}
