//! `rmesos-submit`: parses the command line, builds the dataset from
//! INPUT, runs the job (in this process, or on a Mesos cluster), prints
//! the statistics and exits 0, 1 or 2.

pub mod args;
mod cluster;
pub mod error;
pub mod master;
pub mod output;
pub mod progress_bar;

use std::ffi::OsStr;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Parser;
use rmesos_common::readers::CsvOptions;
use rmesos_common::stats::ColumnStats;
use tracing_subscriber::EnvFilter;

use crate::engine::{Dataset, NoProgress, ProgressSink};
use crate::local::{LocalMaster, LocalRunner};
use args::{OutputFormat, SubmitArgs};
use error::CliError;
use master::MasterUrl;
use output::StatColumns;
use progress_bar::ProgressBarSink;

/// Runs `rmesos-submit` with the process's arguments.
pub fn main() -> ExitCode {
    let args = match SubmitArgs::try_parse() {
        Ok(args) => args,
        // Prints help/version (exit 0) or the usage error (exit 2).
        Err(error) => error.exit(),
    };
    init_logging();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("rmesos-submit: error: {error}");
            error.exit_code()
        }
    }
}

/// Logs to stderr, filtered by `RUST_LOG` (default: warnings only).
fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    // Fails only if a subscriber is already set, which then keeps logging.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}

/// Everything after argument parsing.
pub fn run(args: &SubmitArgs) -> Result<(), CliError> {
    let master = MasterUrl::parse(&args.master).map_err(|e| CliError::Usage(e.to_string()))?;
    let dataset = input_dataset(args)?;
    let show_bar = !args.no_progress && std::io::stderr().is_terminal();
    let sink: Arc<dyn ProgressSink> = if show_bar {
        Arc::new(ProgressBarSink::new())
    } else {
        Arc::new(NoProgress)
    };
    let stats = match master {
        MasterUrl::Local(local) => run_local(args, local, &dataset, sink.as_ref())?,
        _ => cluster::run(args, &args.master, dataset, &job_id(), sink)?,
    };
    print_stats(args, &stats)
}

fn run_local(
    args: &SubmitArgs,
    local: LocalMaster,
    dataset: &Dataset,
    sink: &dyn ProgressSink,
) -> Result<ColumnStats, CliError> {
    let runner = LocalRunner::new(local.threads);
    let plan = dataset
        .plan(&job_id(), args.partitions, runner.threads())
        .map_err(|error| CliError::BadInput(error.to_string()))?;
    tracing::info!(
        job = plan.job_id(),
        input = %args.input.display(),
        partitions = plan.len(),
        threads = runner.threads().get(),
        "running the job in local mode"
    );
    runner.run(&plan, sink).map_err(|error| {
        match error.read_error() {
            // The reader's message names the file and the place.
            Some(read) => CliError::BadInput(read.to_string()),
            None => CliError::JobFailed(error.to_string()),
        }
    })
}

fn print_stats(args: &SubmitArgs, stats: &ColumnStats) -> Result<(), CliError> {
    let columns = StatColumns::of(stats).map_err(|error| CliError::JobFailed(error.to_string()))?;
    if columns.is_none() {
        eprintln!(
            "rmesos-submit: warning: the dataset is empty (0 rows): \
             every statistic but the count is undefined"
        );
    }
    let text = match args.format {
        OutputFormat::Json => output::render_json(columns.as_ref()) + "\n",
        OutputFormat::Table => output::render_table(columns.as_ref()),
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|error| CliError::JobFailed(format!("cannot write the result: {error}")))
}

/// The dataset INPUT names, chosen by extension.
fn input_dataset(args: &SubmitArgs) -> Result<Dataset, CliError> {
    let path = args.input.as_path();
    let extension = path
        .extension()
        .and_then(OsStr::to_str)
        .map(str::to_ascii_lowercase);
    let csv_option_given = args.delimiter.is_some() || args.header.is_some();
    let dataset = match extension.as_deref() {
        Some("npy") if csv_option_given => {
            return Err(CliError::Usage(
                "--delimiter and --header apply to .csv input only".to_owned(),
            ));
        }
        Some("npy") => Dataset::Npy(path.to_owned()),
        Some("csv") => {
            let defaults = CsvOptions::default();
            Dataset::Csv(
                path.to_owned(),
                CsvOptions {
                    delimiter: args.delimiter.unwrap_or(defaults.delimiter),
                    header: args.header.map_or(defaults.header, Into::into),
                },
            )
        }
        _ => {
            return Err(CliError::Usage(format!(
                "INPUT must be a .npy or .csv file, got '{}'",
                path.display()
            )));
        }
    };
    check_readable(path)?;
    Ok(dataset)
}

/// A clear message for a missing input or a directory, before any reader
/// opens it.
fn check_readable(path: &Path) -> Result<(), CliError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => Ok(()),
        Ok(_) => Err(CliError::BadInput(format!(
            "{}: is not a regular file",
            path.display()
        ))),
        Err(error) => Err(CliError::BadInput(format!("{}: {error}", path.display()))),
    }
}

/// A job id unique enough to tell jobs apart in logs.
fn job_id() -> String {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis());
    format!("submit-{}-{millis}", std::process::id())
}
