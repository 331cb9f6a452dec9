//! `ColumnSummary`: a mergeable partial summary of some rows of a table.

use thiserror::Error;

use super::ColumnStats;
use super::extras::{Extras, same_floats};
use super::kernel::{Kernel, RunState, reduce_run, run_rows};
use super::request::StatsRequest;

/// Errors from combining or finishing summaries.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum StatsError {
    #[error("the dataset is empty: no rows, so {0} is undefined")]
    Empty(&'static str),
    #[error("cannot merge summaries of {left} and {right} columns")]
    ColumnMismatch { left: usize, right: usize },
    #[error("row data of {len} values is not a whole number of rows of {ncols} columns")]
    RaggedRows { len: usize, ncols: usize },
    #[error("a summary of {ncols} columns does not fit in this machine's memory")]
    TooManyColumns { ncols: usize },
    #[error("{what} of {ncols} columns is too large: at most {max} columns")]
    TooWide {
        what: &'static str,
        ncols: usize,
        max: usize,
    },
    #[error("cannot merge a partial result holding {right} into one holding {left}")]
    PartsMismatch { left: String, right: String },
    #[error("the {0} was not asked for in this job")]
    NotComputed(&'static str),
    #[error("merged summaries would count more than {} rows", u64::MAX)]
    CountOverflow,
    #[error("columns summarized one by one hold unequal counts ({left} and {right} values)")]
    UnequalColumns { left: u64, right: u64 },
}

/// A partial summary of some rows of an N x D table: everything needed to
/// merge with another partial summary and, at the end, to produce every
/// statistic. Per column: mean and M2 (sum of squared deviations) for a
/// numerically stable variance, plus nonzero count, min, max, sum |x| and
/// sum x^2.
#[derive(Debug, Clone)]
pub struct ColumnSummary {
    pub(crate) count: u64,
    pub(crate) mean: Vec<f64>,
    pub(crate) m2: Vec<f64>,
    pub(crate) nnz: Vec<u64>,
    pub(crate) min: Vec<f64>,
    pub(crate) max: Vec<f64>,
    pub(crate) norm_l1: Vec<f64>,
    pub(crate) sum_sq: Vec<f64>,
    /// The optional parts the job asked for.
    pub(crate) extras: Extras,
    /// Reused per-run sums, so `add_rows` never allocates after the first call.
    scratch: RunState,
}

impl PartialEq for ColumnSummary {
    fn eq(&self, other: &Self) -> bool {
        // NaN-aware: two summaries of the same NaN data are equal.
        let same = same_floats;
        self.count == other.count
            && self.nnz == other.nnz
            && same(&self.mean, &other.mean)
            && same(&self.m2, &other.m2)
            && same(&self.min, &other.min)
            && same(&self.max, &other.max)
            && same(&self.norm_l1, &other.norm_l1)
            && same(&self.sum_sq, &other.sum_sq)
            && self.extras.same(&other.extras)
    }
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
            extras: Extras::default(),
            scratch: RunState::default(),
        }
    }

    /// `new` for a column count that comes from input: memory that
    /// cannot be had is an error, not an abort of the process.
    pub fn try_new(ncols: usize) -> Result<Self, StatsError> {
        fn filled<T: Clone>(n: usize, value: T) -> Result<Vec<T>, StatsError> {
            let mut values = Vec::new();
            values
                .try_reserve_exact(n)
                .map_err(|_| StatsError::TooManyColumns { ncols: n })?;
            values.resize(n, value);
            Ok(values)
        }
        Ok(ColumnSummary {
            count: 0,
            mean: filled(ncols, 0.0)?,
            m2: filled(ncols, 0.0)?,
            nnz: filled(ncols, 0)?,
            min: filled(ncols, f64::NAN)?,
            max: filled(ncols, f64::NAN)?,
            norm_l1: filled(ncols, 0.0)?,
            sum_sq: filled(ncols, 0.0)?,
            extras: Extras::default(),
            scratch: RunState::default(),
        })
    }

    /// An empty summary of `ncols` columns that also computes what
    /// `request` asks for (fails for a matrix too large to hold).
    pub fn with_request(ncols: usize, request: &StatsRequest) -> Result<Self, StatsError> {
        let mut summary = ColumnSummary::try_new(ncols)?;
        summary.extras = Extras::for_request(ncols, request)?;
        Ok(summary)
    }

    pub fn ncols(&self) -> usize {
        self.mean.len()
    }

    /// `Ok` when this summary holds exactly the optional parts `request`
    /// asks for; else what is wrong ("holds co-moments, the job asked for
    /// no optional parts"), to check a result from elsewhere.
    pub fn answers(&self, request: &StatsRequest) -> Result<(), String> {
        let expected = Extras::for_request(0, request).map_err(|e| e.to_string())?;
        if self.extras.matches(&expected) {
            Ok(())
        } else {
            Err(format!(
                "holds {}, the job asked for {}",
                self.extras.describe(),
                expected.describe()
            ))
        }
    }

    /// Rows summarized so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Adds row-major rows (`rows.len()` a multiple of `ncols`).
    pub fn add_rows(&mut self, rows: &[f64]) -> Result<(), StatsError> {
        self.add_rows_with(Kernel::detect(), rows)
    }

    /// `add_rows` with a chosen strip reducer (tests compare them).
    pub(crate) fn add_rows_with(&mut self, kernel: Kernel, rows: &[f64]) -> Result<(), StatsError> {
        let ncols = self.ncols();
        if rows.is_empty() {
            return Ok(());
        }
        if ncols == 0 || !rows.len().is_multiple_of(ncols) {
            return Err(StatsError::RaggedRows {
                len: rows.len(),
                ncols,
            });
        }
        let run_len = run_rows(ncols) * ncols;
        let mut scratch = std::mem::take(&mut self.scratch);
        for start in (0..rows.len()).step_by(run_len) {
            let end = (start + run_len).min(rows.len());
            // The optional parts read each tile while it is still in L1,
            // and the co-moments' arithmetic-bound loops bring rows a few
            // tiles ahead into cache meanwhile, so the eight statistics do
            // not wait on memory.
            let extras = &mut self.extras;
            extras.begin_run(&rows[start..start + ncols]);
            reduce_run(
                kernel,
                rows,
                (start, end),
                ncols,
                &mut scratch,
                |tile, ahead| extras.add_piece(kernel, tile, ahead),
            );
            self.merge_run(&scratch);
            self.extras.end_run(kernel, scratch.rows as u64);
        }
        self.extras.end_rows();
        self.scratch = scratch;
        Ok(())
    }

    /// Folds one run's statistics in (the same pairwise update as `merge`).
    fn merge_run(&mut self, run: &RunState) {
        let (na, nb) = (self.count as f64, run.rows as f64);
        let n = na + nb;
        let first = self.count == 0;
        for j in 0..self.ncols() {
            let b = run.column(j);
            if first {
                self.mean[j] = b.mean;
                self.m2[j] = b.m2;
            } else {
                let delta = b.mean - self.mean[j];
                self.m2[j] += b.m2 + delta * delta * na * nb / n;
                self.mean[j] = combine_mean(self.mean[j], na, b.mean, nb);
            }
            self.nnz[j] += b.nnz;
            self.min[j] = self.min[j].min(b.min);
            self.max[j] = self.max[j].max(b.max);
            self.norm_l1[j] += b.l1;
            self.sum_sq[j] += b.sq;
        }
        self.count += run.rows as u64;
    }

    /// Merges `other` into `self` (Chan et al.'s pairwise update).
    pub fn merge(&mut self, other: &ColumnSummary) -> Result<(), StatsError> {
        if self.ncols() != other.ncols() {
            return Err(StatsError::ColumnMismatch {
                left: self.ncols(),
                right: other.ncols(),
            });
        }
        self.extras.check_compatible(&other.extras)?;
        // Counts come from elsewhere (decoded results): their sum is checked
        // (nonzero counts are at most their count, so they cannot overflow).
        let total = self
            .count
            .checked_add(other.count)
            .ok_or(StatsError::CountOverflow)?;
        if other.count == 0 {
            return Ok(());
        }
        if self.count == 0 {
            *self = other.clone();
            return Ok(());
        }
        self.extras.merge(&other.extras);
        let (na, nb) = (self.count as f64, other.count as f64);
        let n = na + nb;
        for j in 0..self.ncols() {
            let delta = other.mean[j] - self.mean[j];
            self.m2[j] += other.m2[j] + delta * delta * na * nb / n;
            self.mean[j] = combine_mean(self.mean[j], na, other.mean[j], nb);
            self.nnz[j] += other.nnz[j];
            self.min[j] = self.min[j].min(other.min[j]);
            self.max[j] = self.max[j].max(other.max[j]);
            self.norm_l1[j] += other.norm_l1[j];
            self.sum_sq[j] += other.sum_sq[j];
        }
        self.count = total;
        Ok(())
    }

    /// The finished statistics.
    pub fn finish(&self) -> ColumnStats {
        ColumnStats::from_summary(self.clone())
    }
}

/// The mean of two parts with means `ma`, `mb` and sizes `na`, `nb`.
/// The update `ma + delta * nb / n` is the stable one; when `delta` is not
/// finite (an infinite part mean) it would turn `inf` and `inf + finite`
/// into NaN, so the weighted form gives numpy's answer instead.
pub(crate) fn combine_mean(ma: f64, na: f64, mb: f64, nb: f64) -> f64 {
    let n = na + nb;
    let delta = mb - ma;
    if delta.is_finite() {
        ma + delta * nb / n
    } else {
        (ma * na + mb * nb) / n
    }
}
