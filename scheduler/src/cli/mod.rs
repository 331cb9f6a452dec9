//! `rmesos-submit`: parses the command line, builds the dataset from
//! INPUT, runs the job (in this process, or on a Mesos cluster), prints
//! the statistics and exits 0, 1 or 2.

pub mod args;
mod cluster;
pub mod error;
pub mod extra_args;
pub mod output;
mod output_extras;
pub mod progress_bar;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Parser;
use rmesos_common::stats::ColumnStats;
use tracing_subscriber::EnvFilter;

use crate::engine::{
    CsvChoices, Dataset, JobError, NoProgress, OpenError, Placement, ProgressSink,
};
use crate::local::{LocalMaster, LocalRunner};
use crate::settings::{MasterUrl, variable_at_fault};
use args::{OutputFormat, SubmitArgs};
use error::CliError;
use output::StatColumns;
use output_extras::ExtraResults;
use progress_bar::ProgressBarSink;

/// Runs `rmesos-submit` with the process's arguments.
pub fn main() -> ExitCode {
    let args = match SubmitArgs::try_parse() {
        Ok(args) => args,
        Err(error) => usage_error(error),
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

/// Prints help/version (exit 0) or the usage error (exit 2), naming the
/// `RMESOS_*` variable when a bad value came from the environment.
fn usage_error(error: clap::Error) -> ! {
    use clap::CommandFactory;
    let argv: Vec<_> = std::env::args_os().skip(1).collect();
    let variable = variable_at_fault(&SubmitArgs::command(), &error, &argv);
    if let Some(variable) = variable {
        let _ = error.print();
        eprintln!(
            "rmesos-submit: the refused value is that of the environment variable {variable}"
        );
        std::process::exit(2);
    }
    error.exit()
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
    let master = args
        .settings
        .master
        .url()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let csv = CsvChoices {
        delimiter: args.delimiter,
        header: args.header,
    };
    let dataset = Dataset::open_columns(&args.input, csv, args.columns.clone()).map_err(
        |error| match error {
            OpenError::UnknownFormat(_)
            | OpenError::CsvOptionsForNpy(_)
            | OpenError::ColumnsForUnnamed(_)
            | OpenError::NoColumnsChosen => CliError::Usage(error.to_string()),
            _ => CliError::BadInput(error.to_string()),
        },
    )?;
    let names = dataset
        .column_names()
        .map_err(|error| CliError::BadInput(error.to_string()))?;
    let show_bar = !args.no_progress && std::io::stderr().is_terminal();
    let sink: Arc<dyn ProgressSink> = if show_bar {
        Arc::new(ProgressBarSink::new())
    } else {
        Arc::new(NoProgress)
    };
    let stats = match master {
        MasterUrl::Local(local) => run_local(args, local, dataset, sink.as_ref())?,
        _ => cluster::run(args, dataset, &job_id(), sink)?,
    };
    print_stats(args, &stats, names)
}

fn run_local(
    args: &SubmitArgs,
    local: LocalMaster,
    dataset: Dataset,
    sink: &dyn ProgressSink,
) -> Result<ColumnStats, CliError> {
    let runner = LocalRunner::new(local.threads);
    let placement = Placement::Local {
        threads: runner.threads(),
    };
    let plan = dataset
        .plan_for(placement, &job_id(), args.partitions)
        .map_err(|error| CliError::BadInput(error.to_string()))?
        .with_request(args.extra.request());
    tracing::info!(
        job = plan.job_id(),
        input = %args.input.display(),
        partitions = plan.len(),
        threads = runner.threads().get(),
        "running the job in local mode"
    );
    runner.run(&plan, sink).map_err(job_failed)
}

fn print_stats(
    args: &SubmitArgs,
    stats: &ColumnStats,
    names: Option<Vec<String>>,
) -> Result<(), CliError> {
    let mut columns =
        StatColumns::of(stats).map_err(|error| CliError::JobFailed(error.to_string()))?;
    if let Some(columns) = columns.as_mut() {
        columns.names = names;
    }
    if columns.is_none() {
        eprintln!(
            "rmesos-submit: warning: the dataset is empty (0 rows): \
             every statistic but the count is undefined"
        );
    }
    let extras = ExtraResults::of(stats, &args.extra)
        .map_err(|error| CliError::JobFailed(error.to_string()))?;
    for warning in extras.warnings() {
        eprintln!("rmesos-submit: warning: {warning}");
    }
    let text = match args.format {
        OutputFormat::Json => output::render_json(columns.as_ref(), &extras) + "\n",
        OutputFormat::Table => output::render_table(columns.as_ref()) + &extras.render_table(),
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|error| CliError::JobFailed(format!("cannot write the result: {error}")))
}

/// A failed job: bad input (exit 2, the message names the file and the
/// place) or any other failure (exit 1).
fn job_failed(error: JobError) -> CliError {
    match error.bad_input() {
        Some(message) => CliError::BadInput(message),
        None => CliError::JobFailed(error.to_string()),
    }
}

/// A job id unique enough to tell jobs apart in logs.
fn job_id() -> String {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis());
    format!("submit-{}-{millis}", std::process::id())
}
