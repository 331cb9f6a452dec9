//! `rmesos-submit`'s options for statistics beyond the eight: `--corr`,
//! `--quantiles` and `--relative-error`, and the job request they make.

use clap::Args;
use rmesos_common::stats::StatsRequest;

/// Spark's default relative error for `approxQuantile` in rmesos.
pub const DEFAULT_RELATIVE_ERROR: f64 = 0.001;

#[derive(Debug, Clone, Args)]
pub struct ExtraStatsArgs {
    /// Also compute the Pearson correlation matrix (D x D), in the same
    /// pass over the data.
    #[arg(long)]
    pub corr: bool,

    /// Also compute approximate quantiles at these probabilities (comma
    /// separated, each in [0, 1]): the value returned for p has a rank
    /// within E * N of p * N (E: --relative-error); 0 and 1 give the exact
    /// min and max.
    #[arg(long, value_name = "P1,P2,...", value_delimiter = ',', value_parser = parse_probability)]
    pub quantiles: Option<Vec<f64>>,

    /// The relative rank error E of --quantiles, in [0, 1]; 0 is exact
    /// (and keeps every value in memory).
    #[arg(long, value_name = "E", default_value_t = DEFAULT_RELATIVE_ERROR,
          value_parser = parse_relative_error, requires = "quantiles")]
    pub relative_error: f64,
}

impl ExtraStatsArgs {
    /// What the job computes besides the eight statistics.
    pub fn request(&self) -> StatsRequest {
        StatsRequest {
            corr: self.corr,
            quantile_error: self.quantiles.as_ref().map(|_| self.relative_error),
        }
    }
}

/// A probability: a number in [0, 1].
pub fn parse_probability(text: &str) -> Result<f64, String> {
    parse_unit_interval(text, "a probability")
}

fn parse_relative_error(text: &str) -> Result<f64, String> {
    parse_unit_interval(text, "a relative error")
}

fn parse_unit_interval(text: &str, what: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err(format!("'{text}' is not {what}: a number between 0 and 1")),
    }
}
