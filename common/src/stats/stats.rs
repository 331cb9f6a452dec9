//! `ColumnStats`: the finished per-column statistics, with the semantics of
//! Spark's `MultivariateStatisticalSummary`.

use super::{ColumnSummary, Correlation, QuantileSketches, StatsError};

/// Finished per-column statistics: every statistic but `count` is an error
/// on an empty dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnStats {
    summary: ColumnSummary,
}

impl ColumnStats {
    pub(crate) fn from_summary(summary: ColumnSummary) -> Self {
        ColumnStats { summary }
    }

    fn nonempty(&self, what: &'static str) -> Result<&ColumnSummary, StatsError> {
        if self.summary.count == 0 {
            Err(StatsError::Empty(what))
        } else {
            Ok(&self.summary)
        }
    }

    pub fn count(&self) -> u64 {
        self.summary.count
    }

    pub fn ncols(&self) -> usize {
        self.summary.ncols()
    }

    pub fn mean(&self) -> Result<Vec<f64>, StatsError> {
        Ok(self.nonempty("mean")?.mean.clone())
    }

    /// Sample variance (n - 1); 0 when n = 1, as Spark does (NaN stays NaN).
    pub fn variance(&self) -> Result<Vec<f64>, StatsError> {
        let s = self.nonempty("variance")?;
        if s.count == 1 {
            // A NaN value stays NaN; anything else (infinities too) is 0.
            return Ok(s
                .mean
                .iter()
                .map(|m| if m.is_nan() { f64::NAN } else { 0.0 })
                .collect());
        }
        let d = (s.count - 1) as f64;
        Ok(s.m2.iter().map(|m2| m2 / d).collect())
    }

    pub fn num_nonzeros(&self) -> Result<Vec<f64>, StatsError> {
        Ok(self
            .nonempty("numNonzeros")?
            .nnz
            .iter()
            .map(|&c| c as f64)
            .collect())
    }

    pub fn min(&self) -> Result<Vec<f64>, StatsError> {
        Ok(self.nonempty("min")?.min.clone())
    }

    pub fn max(&self) -> Result<Vec<f64>, StatsError> {
        Ok(self.nonempty("max")?.max.clone())
    }

    pub fn norm_l1(&self) -> Result<Vec<f64>, StatsError> {
        Ok(self.nonempty("normL1")?.norm_l1.clone())
    }

    pub fn norm_l2(&self) -> Result<Vec<f64>, StatsError> {
        Ok(self
            .nonempty("normL2")?
            .sum_sq
            .iter()
            .map(|s| s.sqrt())
            .collect())
    }

    /// The Pearson correlation matrix, when the job asked for it.
    pub fn correlation(&self) -> Result<Correlation, StatsError> {
        let summary = self.nonempty("correlation")?;
        summary
            .extras
            .comoments
            .as_ref()
            .map(|c| c.correlation())
            .ok_or(StatsError::NotComputed("correlation"))
    }

    /// The approximate quantiles at `probabilities` (P x D: one row per
    /// probability), when the job asked for quantile sketches.
    pub fn quantiles(&self, probabilities: &[f64]) -> Result<Vec<Vec<f64>>, StatsError> {
        self.sketches().map(|q| q.query(probabilities))
    }

    /// The merged per-column quantile sketches, when the job asked for them.
    pub fn sketches(&self) -> Result<&QuantileSketches, StatsError> {
        let summary = self.nonempty("quantiles")?;
        summary
            .extras
            .quantiles
            .as_ref()
            .ok_or(StatsError::NotComputed("quantiles"))
    }
}
