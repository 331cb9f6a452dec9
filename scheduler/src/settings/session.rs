//! `SessionSettings`: every setting a user gives a session, one field
//! each, with its doc (the help text, and the README's option table),
//! its default, its unit and its parser. The command line (`#[command(
//! flatten)]` in `rmesos-submit`), the `RMESOS_*` environment (clap's
//! `env`) and the keywords of Python's `rmesos.Context(...)` (passed
//! through `keywords`) all read this one definition.
//!
//! Naming: a field's clap id is its Python keyword (`appName` for the
//! framework name, as in PySpark; the field name otherwise), its `long`
//! the command-line flag, its `env` the variable.
//!
//! Timeouts are `Timeout`s: seconds (`30`, `2.5`) or a length with its
//! unit (`500ms`, `30s`, `2m`, `1h`); `0` is refused on every front.

use std::path::PathBuf;

use rmesos_common::duration::Timeout;

use super::values::{AtLeastOne, BindAddr, Master, Port, Positive, Scheme, Switch, UserName};
use crate::ui::UiBind;

/// A session's settings (defaults filled in).
#[derive(Debug, Clone, PartialEq, clap::Args)]
#[command(next_help_heading = "Session options (each also read from the variable named)")]
pub struct SessionSettings {
    /// Where to run: local (1 thread), local[N] (N threads) or local[*]
    /// (one thread per core) run in this process; a Mesos cluster is
    /// zk://[user:pass@]host:port[,host:port...]/path (the masters'
    /// ZooKeeper) or http(s)://host:port (one master).
    #[arg(
        long,
        value_name = "URL",
        env = "RMESOS_MASTER",
        // It may hold ZooKeeper credentials.
        hide_env_values = true,
        default_value = "local[*]"
    )]
    pub master: Master,

    /// Framework name shown by Mesos.
    #[arg(
        id = "appName",
        long = "name",
        value_name = "NAME",
        env = "RMESOS_APP_NAME",
        default_value = "rmesos"
    )]
    pub app_name: String,

    /// Role to receive offers for.
    #[arg(long, value_name = "ROLE", env = "RMESOS_ROLE", default_value = "*")]
    pub role: String,

    /// OS user the agents run the executors as (FrameworkInfo.user). An
    /// agent with --switch_user (Mesos' default) fails every task of a user
    /// it has no account for: then give one it has (often root) [default:
    /// the user running this process].
    #[arg(long, value_name = "USER", env = "RMESOS_USER")]
    pub user: Option<UserName>,

    /// Scheme of the masters found in ZooKeeper: http or https (an
    /// http(s)://host:port master says its own). A redirect from https to
    /// http is refused.
    #[arg(
        long,
        value_name = "http|https",
        env = "RMESOS_MASTER_SCHEME",
        default_value = "http"
    )]
    pub master_scheme: Scheme,

    /// PEM file of CA certificates trusted for https masters, besides the
    /// system's.
    #[arg(long, value_name = "FILE", env = "RMESOS_MASTER_CA_FILE")]
    pub master_ca_file: Option<PathBuf>,

    /// Framework principal (for authentication and authorization).
    #[arg(long, value_name = "P", env = "RMESOS_PRINCIPAL")]
    pub principal: Option<String>,

    /// File holding the framework secret (HTTP Basic authentication; never
    /// logged); needs a principal.
    #[arg(long, value_name = "FILE", env = "RMESOS_SECRET_FILE")]
    pub secret_file: Option<PathBuf>,

    /// Send the framework secret to masters over plain http: off refuses
    /// (it would cross the network in clear); on allows it, with a warning.
    #[arg(
        long,
        value_name = "on|off",
        env = "RMESOS_SECRET_OVER_HTTP",
        default_value = "off"
    )]
    pub secret_over_http: Switch,

    /// CPUs per partition slot: a lease of k slots holds k times this.
    #[arg(
        long,
        value_name = "CPUS",
        env = "RMESOS_TASK_CPUS",
        default_value = "1"
    )]
    pub task_cpus: Positive,

    /// Memory per partition slot, in MB.
    #[arg(
        long = "task-mem",
        value_name = "MB",
        env = "RMESOS_TASK_MEM_MB",
        default_value = "64"
    )]
    pub task_mem_mb: Positive,

    /// CPUs of the executor, taken once per agent.
    #[arg(
        long,
        value_name = "CPUS",
        env = "RMESOS_EXECUTOR_CPUS",
        default_value = "0.1"
    )]
    pub executor_cpus: Positive,

    /// Memory of the executor in MB, taken once per agent.
    #[arg(
        long = "executor-mem",
        value_name = "MB",
        env = "RMESOS_EXECUTOR_MEM_MB",
        default_value = "32"
    )]
    pub executor_mem_mb: Positive,

    /// The most cpus the session's leases hold at once across the
    /// cluster, at least --task-cpus (Spark's spark.cores.max) [default:
    /// as many as its jobs can use].
    #[arg(long, value_name = "CPUS", env = "RMESOS_MAX_CPUS")]
    pub max_cpus: Option<Positive>,

    /// Give the leases back (freeing their cpus) after the session has had
    /// no job for this long; the next job then waits one offer cycle.
    #[arg(
        long,
        value_name = "SECS",
        env = "RMESOS_IDLE_TIMEOUT_SECS",
        default_value = "30s"
    )]
    pub idle_timeout: Timeout,

    /// Run a copy of a partition that takes more than 4x the median of its
    /// job's finished partitions, once 75% have finished, on another agent;
    /// the first result wins (Spark's spark.speculation): on or off.
    #[arg(
        long,
        value_name = "on|off",
        env = "RMESOS_SPECULATION",
        default_value = "on"
    )]
    pub speculation: Switch,

    /// Attempts per partition (the first included) before the job fails.
    #[arg(
        long,
        value_name = "N",
        env = "RMESOS_MAX_ATTEMPTS",
        default_value = "4"
    )]
    pub max_attempts: AtLeastOne,

    /// Fail a job (cancelling its partitions) after this long; seconds, or 500ms,
    /// 30s, 2m, 1h [default: none].
    #[arg(long, value_name = "SECS", env = "RMESOS_JOB_TIMEOUT_SECS")]
    pub job_timeout: Option<Timeout>,

    /// Give up when no master accepts the framework within this long.
    #[arg(
        long,
        value_name = "SECS",
        env = "RMESOS_CONNECT_TIMEOUT_SECS",
        default_value = "30s"
    )]
    pub connect_timeout: Timeout,

    /// An executor gives a partition up (retried like any unavailable
    /// one) when the driver's data server sends it nothing for this long,
    /// connecting, before the response or mid-body; Spark's
    /// spark.network.timeout.
    #[arg(
        long,
        value_name = "SECS",
        env = "RMESOS_DATA_TIMEOUT_SECS",
        default_value = "60s"
    )]
    pub data_timeout: Timeout,

    /// The framework's failover_timeout: when the driver dies or loses the
    /// masters without a clean stop, Mesos keeps the framework, its tasks
    /// and executors this long for it to re-subscribe, then removes them
    /// all (see docs/operations.md).
    #[arg(
        long,
        value_name = "SECS",
        env = "RMESOS_FAILOVER_TIMEOUT_SECS",
        default_value = "300s"
    )]
    pub failover_timeout: Timeout,

    /// Address the data server (executor binary, in-memory rows) listens
    /// on; port 0: any free port.
    #[arg(
        long,
        value_name = "ADDR",
        env = "RMESOS_DATA_BIND",
        default_value = "0.0.0.0:0"
    )]
    pub data_bind: BindAddr,

    /// Serve rows and the executors' channels over TLS, with a
    /// certificate made for the session that executors pin (its SHA-256
    /// travels in the lease grants): on, or off (for benchmarks and
    /// debugging).
    #[arg(
        long,
        value_name = "on|off",
        env = "RMESOS_DATA_TLS",
        default_value = "on"
    )]
    pub data_tls: Switch,

    /// Host name or IP agents reach this process at [default: the local
    /// address of the connection to the master].
    #[arg(long, value_name = "HOST", env = "RMESOS_ADVERTISE_HOST")]
    pub advertise_host: Option<String>,

    /// Port agents reach the data server at [default: the bound port].
    #[arg(long, value_name = "PORT", env = "RMESOS_ADVERTISE_PORT")]
    pub advertise_port: Option<Port>,

    /// Agents fetch the executor from this URI instead of from this
    /// process.
    #[arg(long, value_name = "URI", env = "RMESOS_EXECUTOR_URI")]
    pub executor_uri: Option<String>,

    /// The executor is already installed on every agent at this path.
    #[arg(long, value_name = "PATH", env = "RMESOS_EXECUTOR_PATH")]
    pub executor_path: Option<String>,

    /// The executor binary this process serves to the agents [default:
    /// the one beside this program; the Python package gives its bundled
    /// one]. For packaging and tests.
    #[arg(long, value_name = "FILE", env = "RMESOS_EXECUTOR_FILE", hide = true)]
    pub executor_file: Option<PathBuf>,

    /// Address of the status page (HTML and /api/... JSON), or off; a
    /// port in use moves it to the next free one of the 20 after.
    #[arg(
        long,
        value_name = "ADDR|off",
        env = "RMESOS_UI_BIND",
        default_value = "0.0.0.0:4040"
    )]
    pub ui_bind: UiBind,
}
