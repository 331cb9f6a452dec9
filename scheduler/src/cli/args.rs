//! The `rmesos-submit` command line (clap derive): every option, its help
//! text, and the parsers for option values.

use std::num::NonZeroU32;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use rmesos_common::readers::HeaderMode;

const AFTER_HELP: &str = "\
Output:
  table (default): the row count, then one line per data column with mean,
  variance (sample, n-1), num_nonzeros, min, max, norm_l1 and norm_l2.
  json: one JSON object {\"count\": N, \"mean\": [...], \"variance\": [...],
  \"num_nonzeros\": [...], \"min\": [...], \"max\": [...], \"norm_l1\": [...],
  \"norm_l2\": [...]}; NaN and infinities are the strings \"NaN\",
  \"Infinity\" and \"-Infinity\".
  An empty dataset (no rows) prints count 0 only (json: {\"count\": 0}),
  warns on stderr that the other statistics are undefined, and exits 0.

Exit status:
  0  success
  1  the job failed
  2  bad usage or bad input (unreadable or malformed file)

Environment:
  RMESOS_MASTER  default for --master
  RMESOS_*       defaults for the cluster options (each option names its variable)
  RUST_LOG       log filter for messages on stderr (default: warn)";

/// Computes column statistics (count, mean, variance, numNonzeros, min,
/// max, normL1, normL2) of a .npy or .csv file.
#[derive(Debug, Parser)]
#[command(name = "rmesos-submit", version, after_help = AFTER_HELP)]
pub struct SubmitArgs {
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
    pub master: String,

    /// Number of partitions the input is split into [default: 2 per worker
    /// thread locally, 8 on a cluster]; never more than the input has rows.
    #[arg(long, value_name = "N")]
    pub partitions: Option<NonZeroU32>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,

    /// INPUT is on storage every cluster node reads at the same path, so
    /// executors read it directly instead of receiving rows from this
    /// process. Local mode always reads INPUT in place.
    #[arg(long)]
    pub shared: bool,

    /// .csv field delimiter: one ASCII character, or "tab" [default: ,]
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,

    /// Whether the first .csv line is a header; auto: it is when any of its
    /// fields is not a number [default: auto]
    #[arg(long, value_enum, value_name = "WHEN")]
    pub header: Option<HeaderArg>,

    /// Never show the progress bar (it is shown only when stderr is a
    /// terminal).
    #[arg(long)]
    pub no_progress: bool,

    #[command(flatten)]
    pub cluster: ClusterArgs,

    /// The input: a .npy file (1-D or 2-D) or a .csv file of numbers,
    /// chosen by extension.
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,
}

/// Options for cluster masters (ignored in local mode).
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Cluster options")]
pub struct ClusterArgs {
    /// Framework name shown by Mesos [default: rmesos]
    #[arg(long, value_name = "NAME", env = "RMESOS_APP_NAME")]
    pub name: Option<String>,
    /// Role to receive offers for [default: *]
    #[arg(long, value_name = "ROLE", env = "RMESOS_ROLE")]
    pub role: Option<String>,
    /// Framework principal (for authentication and authorization)
    #[arg(long, value_name = "PRINCIPAL", env = "RMESOS_PRINCIPAL")]
    pub principal: Option<String>,
    /// File holding the framework secret (HTTP Basic authentication)
    #[arg(long, value_name = "FILE", env = "RMESOS_SECRET_FILE")]
    pub secret_file: Option<PathBuf>,
    /// CPUs per task [default: 1]
    #[arg(long, value_name = "CPUS", env = "RMESOS_TASK_CPUS")]
    pub task_cpus: Option<f64>,
    /// Memory per task, in MB [default: 64]
    #[arg(long, value_name = "MB", env = "RMESOS_TASK_MEM_MB")]
    pub task_mem: Option<f64>,
    /// CPUs of the executor, taken once per agent [default: 0.1]
    #[arg(long, value_name = "CPUS", env = "RMESOS_EXECUTOR_CPUS")]
    pub executor_cpus: Option<f64>,
    /// Memory of the executor in MB, taken once per agent [default: 32]
    #[arg(long, value_name = "MB", env = "RMESOS_EXECUTOR_MEM_MB")]
    pub executor_mem: Option<f64>,
    /// Attempts per partition before the job fails [default: 4]
    #[arg(long, value_name = "N", env = "RMESOS_MAX_ATTEMPTS")]
    pub max_attempts: Option<u32>,
    /// Fail the job (killing its tasks) after this many seconds
    #[arg(
        long,
        value_name = "SECS",
        env = "RMESOS_JOB_TIMEOUT_SECS",
        value_parser = seconds("RMESOS_JOB_TIMEOUT_SECS")
    )]
    pub job_timeout: Option<f64>,
    /// Give up when no master accepts the framework within this many
    /// seconds [default: 30]
    #[arg(
        long,
        value_name = "SECS",
        env = "RMESOS_CONNECT_TIMEOUT_SECS",
        value_parser = seconds("RMESOS_CONNECT_TIMEOUT_SECS")
    )]
    pub connect_timeout: Option<f64>,
    /// Fail a partition (retried) when the driver's data server sends an
    /// executor nothing for this many seconds [default: 60]
    #[arg(
        long,
        value_name = "SECS",
        env = "RMESOS_DATA_TIMEOUT_SECS",
        value_parser = seconds("RMESOS_DATA_TIMEOUT_SECS")
    )]
    pub data_timeout: Option<f64>,
    /// Mesos removes the framework, killing its tasks and executors, when
    /// this process has been gone (killed, disconnected) this many seconds
    /// [default: 300]
    #[arg(
        long,
        value_name = "SECS",
        env = "RMESOS_FAILOVER_TIMEOUT_SECS",
        value_parser = seconds("RMESOS_FAILOVER_TIMEOUT_SECS")
    )]
    pub failover_timeout: Option<f64>,
    /// Address the data server (executor binary, in-memory rows) listens
    /// on [default: 0.0.0.0:0, any free port]
    #[arg(long, value_name = "ADDR", env = "RMESOS_DATA_BIND")]
    pub data_bind: Option<std::net::SocketAddr>,
    /// Host name or IP agents reach this process at [default: the local
    /// address of the connection to the master]
    #[arg(long, value_name = "HOST", env = "RMESOS_ADVERTISE_HOST")]
    pub advertise_host: Option<String>,
    /// Port agents reach the data server at [default: the bound port]
    #[arg(long, value_name = "PORT", env = "RMESOS_ADVERTISE_PORT")]
    pub advertise_port: Option<u16>,
    /// Agents fetch the executor from this URI instead of from this process
    #[arg(long, value_name = "URI", env = "RMESOS_EXECUTOR_URI")]
    pub executor_uri: Option<String>,
    /// The executor is already installed on every agent at this path
    #[arg(long, value_name = "PATH", env = "RMESOS_EXECUTOR_PATH")]
    pub executor_path: Option<String>,
    /// Address of the status page (HTML and /api/... JSON), or "off"; a
    /// port in use moves it to one of the next 20 [default: 0.0.0.0:4040]
    #[arg(long, value_name = "ADDR|off", env = "RMESOS_UI_BIND")]
    pub ui_bind: Option<crate::ui::UiBind>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A readable table
    Table,
    /// One JSON object
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HeaderArg {
    Auto,
    Yes,
    No,
}

impl From<HeaderArg> for HeaderMode {
    fn from(header: HeaderArg) -> HeaderMode {
        match header {
            HeaderArg::Auto => HeaderMode::Auto,
            HeaderArg::Yes => HeaderMode::Present,
            HeaderArg::No => HeaderMode::Absent,
        }
    }
}

/// A number of seconds (zero or less: the option's default). Clap does
/// not say whether a bad value came from the flag or from `variable`, so
/// the message names the variable too.
fn seconds(variable: &'static str) -> impl Fn(&str) -> Result<f64, String> + Clone {
    move |text| {
        text.trim()
            .parse()
            .map_err(|_| format!("not a number of seconds (given by the option or by {variable})"))
    }
}

/// One ASCII character other than a line break or a double quote, or
/// `tab` / `\t` for a tab.
fn parse_delimiter(text: &str) -> Result<u8, String> {
    if text == "tab" || text == "\\t" {
        return Ok(b'\t');
    }
    match text.as_bytes() {
        [byte] if byte.is_ascii() && !matches!(byte, b'\n' | b'\r' | b'"') => Ok(*byte),
        _ => Err(format!(
            "'{text}' is not one ASCII character (other than a line break or '\"'), nor \"tab\""
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters() {
        assert_eq!(parse_delimiter(";"), Ok(b';'));
        assert_eq!(parse_delimiter("tab"), Ok(b'\t'));
        assert_eq!(parse_delimiter("\t"), Ok(b'\t'));
        assert!(parse_delimiter(",,").is_err());
        assert!(parse_delimiter("").is_err());
        assert!(parse_delimiter("é").is_err());
        assert!(parse_delimiter("\n").is_err());
    }

    #[test]
    fn the_status_page_can_be_moved_or_turned_off() {
        use crate::ui::UiBind;
        let parse = |extra: &[&str]| {
            let mut argv = vec!["rmesos-submit"];
            argv.extend_from_slice(extra);
            argv.push("in.npy");
            SubmitArgs::try_parse_from(argv)
        };
        let moved = parse(&["--ui-bind", "127.0.0.1:4050"]).unwrap();
        assert_eq!(
            moved.cluster.ui_bind,
            Some(UiBind::At("127.0.0.1:4050".parse().unwrap()))
        );
        let off = parse(&["--ui-bind", "off"]).unwrap();
        assert_eq!(off.cluster.ui_bind, Some(UiBind::Off));
        let error = parse(&["--ui-bind", "4040"]).unwrap_err().to_string();
        assert!(error.contains("neither \"off\" nor an address"), "{error}");
    }

    #[test]
    fn timeouts_are_seconds_and_a_bad_one_names_its_variable() {
        let parse = |extra: &[&str]| {
            let mut argv = vec!["rmesos-submit"];
            argv.extend_from_slice(extra);
            argv.push("in.npy");
            SubmitArgs::try_parse_from(argv)
        };
        let args = parse(&[
            "--data-timeout",
            "2.5",
            "--job-timeout",
            "600",
            "--failover-timeout",
            "120",
        ])
        .unwrap();
        assert_eq!(args.cluster.data_timeout, Some(2.5));
        assert_eq!(args.cluster.job_timeout, Some(600.0));
        assert_eq!(args.cluster.failover_timeout, Some(120.0));
        let error = parse(&["--failover-timeout", "5m"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("RMESOS_FAILOVER_TIMEOUT_SECS"), "{error}");
        let error = parse(&["--data-timeout", "30s"]).unwrap_err().to_string();
        assert!(error.contains("'30s'"), "{error}");
        assert!(error.contains("RMESOS_DATA_TIMEOUT_SECS"), "{error}");
        let error = parse(&["--connect-timeout", "soon"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("RMESOS_CONNECT_TIMEOUT_SECS"), "{error}");
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        SubmitArgs::command().debug_assert();
    }
}
