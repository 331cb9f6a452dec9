//! `ColumnSummary` (a mergeable partial summary of some rows) and
//! `ColumnStats` (the finished per-column statistics).

use thiserror::Error;

/// Errors from combining or finishing summaries.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum StatsError {
    #[error("the dataset is empty: no rows, so {0} is undefined")]
    Empty(&'static str),
    #[error("cannot merge summaries of {left} and {right} columns")]
    ColumnMismatch { left: usize, right: usize },
    #[error("row data of {len} values is not a whole number of rows of {ncols} columns")]
    RaggedRows { len: usize, ncols: usize },
}

/// A partial summary of some rows of an N x D table: everything needed to
/// merge with another partial summary and, at the end, to produce every
/// statistic. Per column: mean and M2 (sum of squared deviations) for a
/// numerically stable variance, plus nonzero count, min, max, sum |x| and
/// sum x^2.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSummary {
    pub(crate) count: u64,
    pub(crate) mean: Vec<f64>,
    pub(crate) m2: Vec<f64>,
    pub(crate) nnz: Vec<u64>,
    pub(crate) min: Vec<f64>,
    pub(crate) max: Vec<f64>,
    pub(crate) norm_l1: Vec<f64>,
    pub(crate) sum_sq: Vec<f64>,
}

impl ColumnSummary {
    /// An empty summary of `ncols` columns.
    pub fn new(ncols: usize) -> Self {
        ColumnSummary {
            count: 0,
            mean: vec![0.0; ncols],
            m2: vec![0.0; ncols],
            nnz: vec![0; ncols],
            min: vec![f64::NAN; ncols],
            max: vec![f64::NAN; ncols],
            norm_l1: vec![0.0; ncols],
            sum_sq: vec![0.0; ncols],
        }
    }

    pub fn ncols(&self) -> usize {
        self.mean.len()
    }

    /// Rows summarized so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Adds row-major rows (`rows.len()` a multiple of `ncols`).
    pub fn add_rows(&mut self, rows: &[f64]) -> Result<(), StatsError> {
        let ncols = self.ncols();
        if ncols == 0 || rows.len() % ncols != 0 {
            if rows.is_empty() {
                return Ok(());
            }
            return Err(StatsError::RaggedRows { len: rows.len(), ncols });
        }
        for row in rows.chunks_exact(ncols) {
            self.count += 1;
            let n = self.count as f64;
            for (j, &x) in row.iter().enumerate() {
                let delta = x - self.mean[j];
                self.mean[j] += delta / n;
                self.m2[j] += delta * (x - self.mean[j]);
                self.nnz[j] += (x != 0.0) as u64;
                self.min[j] = self.min[j].min(x);
                self.max[j] = self.max[j].max(x);
                self.norm_l1[j] += x.abs();
                self.sum_sq[j] += x * x;
            }
        }
        Ok(())
    }

    /// Merges `other` into `self` (Chan et al.'s pairwise update).
    pub fn merge(&mut self, other: &ColumnSummary) -> Result<(), StatsError> {
        if self.ncols() != other.ncols() {
            return Err(StatsError::ColumnMismatch { left: self.ncols(), right: other.ncols() });
        }
        if other.count == 0 {
            return Ok(());
        }
        if self.count == 0 {
            *self = other.clone();
            return Ok(());
        }
        let (na, nb) = (self.count as f64, other.count as f64);
        let n = na + nb;
        for j in 0..self.ncols() {
            let delta = other.mean[j] - self.mean[j];
            self.mean[j] += delta * nb / n;
            self.m2[j] += other.m2[j] + delta * delta * na * nb / n;
            self.nnz[j] += other.nnz[j];
            self.min[j] = self.min[j].min(other.min[j]);
            self.max[j] = self.max[j].max(other.max[j]);
            self.norm_l1[j] += other.norm_l1[j];
            self.sum_sq[j] += other.sum_sq[j];
        }
        self.count += other.count;
        Ok(())
    }

    /// The finished statistics.
    pub fn finish(&self) -> ColumnStats {
        ColumnStats { summary: self.clone() }
    }
}

/// Finished per-column statistics with the semantics of Spark's
/// `MultivariateStatisticalSummary`: every statistic but `count` is an
/// error on an empty dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnStats {
    summary: ColumnSummary,
}

impl ColumnStats {
    fn nonempty(&self, what: &'static str) -> Result<&ColumnSummary, StatsError> {
        if self.summary.count == 0 { Err(StatsError::Empty(what)) } else { Ok(&self.summary) }
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

    /// Sample variance (n - 1); 0 when n = 1, as Spark does.
    pub fn variance(&self) -> Result<Vec<f64>, StatsError> {
        let s = self.nonempty("variance")?;
        if s.count == 1 {
            // NaN input still yields NaN.
            return Ok(s.mean.iter().map(|m| if m.is_nan() { f64::NAN } else { 0.0 }).collect());
        }
        let d = (s.count - 1) as f64;
        Ok(s.m2.iter().map(|m2| m2 / d).collect())
    }

    pub fn num_nonzeros(&self) -> Result<Vec<f64>, StatsError> {
        Ok(self.nonempty("numNonzeros")?.nnz.iter().map(|&c| c as f64).collect())
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
        Ok(self.nonempty("normL2")?.sum_sq.iter().map(|s| s.sqrt()).collect())
    }
}
