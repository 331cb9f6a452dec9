//! The `rmesos-submit` command line (clap derive): every option, its help
//! text, and the parsers for option values.

use std::num::NonZeroU32;
use std::path::PathBuf;

use clap::builder::{PossibleValue, TypedValueParser};
use clap::{Parser, ValueEnum};
use rmesos_common::readers::HeaderMode;

use crate::engine::{HEADER_CHOICES, parse_delimiter, parse_header};

use super::extra_args::ExtraStatsArgs;
use crate::settings::SessionSettings;

const AFTER_HELP: &str = "\
Output:
  table (default): the row count, then one line per data column with mean,
  variance (sample, n-1), num_nonzeros, min, max, norm_l1 and norm_l2.
  json: one JSON object {\"count\": N, \"mean\": [...], \"variance\": [...],
  \"num_nonzeros\": [...], \"min\": [...], \"max\": [...], \"norm_l1\": [...],
  \"norm_l2\": [...]}, plus \"columns\": [...] when the input names its
  columns (Parquet); NaN and infinities are the strings \"NaN\",
  \"Infinity\" and \"-Infinity\".
  Parquet: numeric columns only (float, int, uint, bool, decimal); nulls
  read as NaN.
  An empty dataset (no rows) prints count 0 only (json: {\"count\": 0}),
  warns on stderr that the other statistics are undefined, and exits 0.

Exit status:
  0  success
  1  the job failed
  2  bad usage or bad input (unreadable or malformed file)

Environment:
  RMESOS_MASTER  default for --master
  RMESOS_*       defaults for the session options (each option names its
                 variable); a flag beats its variable
  RUST_LOG       log filter for messages on stderr (default: warn)

Timeouts (SECS) are seconds (30, 2.5) or a length with its unit (500ms, 30s,
2m, 1h); 0 is refused.";

/// Computes column statistics (count, mean, variance, numNonzeros, min,
/// max, normL1, normL2) of a .npy, .csv or Parquet file.
#[derive(Debug, Parser)]
#[command(name = "rmesos-submit", version, after_help = AFTER_HELP)]
pub struct SubmitArgs {
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
    #[arg(long, value_name = "WHEN", value_parser = HeaderParser)]
    pub header: Option<HeaderMode>,

    /// Statistics beyond the eight: --corr, --quantiles, --relative-error.
    #[command(flatten)]
    pub extra: ExtraStatsArgs,

    /// Parquet columns to summarize, in this order (comma-separated); each
    /// must be numeric [default: every numeric column, others skipped]
    #[arg(long, value_name = "A,B,...", value_delimiter = ',')]
    pub columns: Option<Vec<String>>,

    /// Never show the progress bar (it is shown only when stderr is a
    /// terminal).
    #[arg(long)]
    pub no_progress: bool,

    /// The session: master, framework, resources, timeouts, data server,
    /// status page.
    #[command(flatten)]
    pub settings: SessionSettings,

    /// The input: a .npy file (1-D or 2-D), a .csv file of numbers or a
    /// Parquet file (.parquet, .pq), chosen by extension.
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A readable table
    Table,
    /// One JSON object
    Json,
}

/// `--header`: parsed by `parse_header` (so its message is Python's
/// too), its choices listed in the help, the synonyms hidden.
#[derive(Debug, Clone, Copy)]
struct HeaderParser;

impl TypedValueParser for HeaderParser {
    type Value = HeaderMode;

    fn parse_ref(
        &self,
        command: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<HeaderMode, clap::Error> {
        let parse: fn(&str) -> Result<HeaderMode, String> = parse_header;
        parse.parse_ref(command, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        let choices = HEADER_CHOICES
            .iter()
            .map(|(name, _, shown)| PossibleValue::new(*name).hide(!shown));
        Some(Box::new(choices))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            moved.settings.ui_bind,
            UiBind::At("127.0.0.1:4050".parse().unwrap())
        );
        let off = parse(&["--ui-bind", "off"]).unwrap();
        assert_eq!(off.settings.ui_bind, UiBind::Off);
        let error = parse(&["--ui-bind", "4040"]).unwrap_err().to_string();
        assert!(error.contains("neither \"off\" nor an address"), "{error}");
    }

    #[test]
    fn timeouts_are_durations_and_zero_is_refused() {
        use std::time::Duration;
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
            "10m",
            "--failover-timeout",
            "120s",
        ])
        .unwrap();
        let settings = args.settings;
        assert_eq!(settings.data_timeout.get(), Duration::from_millis(2500));
        assert_eq!(
            settings.job_timeout.map(|t| t.get()),
            Some(Duration::from_secs(600))
        );
        assert_eq!(settings.failover_timeout.get(), Duration::from_secs(120));
        for value in ["0", "5 minutes", "soon"] {
            let error = parse(&["--job-timeout", value]).unwrap_err().to_string();
            assert!(
                error.contains("is not a positive number of seconds"),
                "{error}"
            );
        }
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        SubmitArgs::command().debug_assert();
    }
}
