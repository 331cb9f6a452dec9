//! `StatsRequest`: what a job computes besides the eight statistics (the
//! Pearson co-moment matrix, quantile sketches). It travels with each
//! partition's work, so every worker builds the same kind of partial result.

use serde::{Deserialize, Serialize};

/// The optional parts of a job's result. The default asks for none: the
/// eight statistics only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct StatsRequest {
    /// The co-moment matrix, for Pearson correlation.
    #[serde(default)]
    pub corr: bool,
    /// Per-column quantile sketches with this relative rank error
    /// (`0.0`: exact, every value kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantile_error: Option<f64>,
}

impl StatsRequest {
    /// True when nothing but the eight statistics is asked for.
    pub fn is_plain(&self) -> bool {
        !self.corr && self.quantile_error.is_none()
    }

    /// Checks the request: a relative error must be a number in [0, 1].
    pub fn validate(&self) -> Result<(), String> {
        match self.quantile_error {
            Some(e) if !(0.0..=1.0).contains(&e) => Err(format!(
                "the relative error must be between 0 and 1, not {e}"
            )),
            _ => Ok(()),
        }
    }
}
