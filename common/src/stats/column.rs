//! The column-wise kernel: the eight statistics of one column whose values
//! arrive contiguously (a Parquet page), for readers that decode a column
//! at a time when no optional part (which needs whole rows) is asked for.
//! Same semantics as the row kernel (`kernel.rs`): runs of `RUN_ROWS`
//! values share one shift (the run's first value when finite) and are
//! folded in with the pairwise update; NaN counts as nonzero and makes the
//! sums NaN, while min and max skip it.

use super::kernel::{Kernel, RUN_ROWS, RunColumn};
use super::summary::{ColumnSummary, StatsError, combine_mean};

/// Lanes per accumulator: two 256-bit registers of f64, so consecutive
/// values do not wait on each other's additions.
const WIDTH: usize = 8;

/// One column's running statistics.
#[derive(Debug, Clone)]
pub struct ColumnAccumulator {
    count: u64,
    mean: f64,
    m2: f64,
    nnz: u64,
    min: f64,
    max: f64,
    l1: f64,
    sq: f64,
    kernel: Kernel,
}

impl Default for ColumnAccumulator {
    fn default() -> Self {
        ColumnAccumulator {
            count: 0,
            mean: 0.0,
            m2: 0.0,
            nnz: 0,
            min: f64::NAN,
            max: f64::NAN,
            l1: 0.0,
            sq: 0.0,
            kernel: Kernel::detect(),
        }
    }
}

impl ColumnAccumulator {
    /// Values seen so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Adds `values`, a run of `RUN_ROWS` at a time.
    pub fn add(&mut self, values: &[f64]) {
        for run in values.chunks(RUN_ROWS) {
            let column = match self.kernel {
                Kernel::Portable => reduce_portable(run),
                // SAFETY: both are only chosen where the CPU has AVX2 and FMA.
                #[cfg(target_arch = "x86_64")]
                Kernel::Avx2 | Kernel::Avx512 => unsafe { reduce_avx2(run) },
            };
            self.merge_run(run.len() as u64, &column);
        }
    }

    /// Folds in one run's statistics (the update of `ColumnSummary::merge`).
    fn merge_run(&mut self, rows: u64, b: &RunColumn) {
        let (na, nb) = (self.count as f64, rows as f64);
        if self.count == 0 {
            self.mean = b.mean;
            self.m2 = b.m2;
        } else {
            let delta = b.mean - self.mean;
            self.m2 += b.m2 + delta * delta * na * nb / (na + nb);
            self.mean = combine_mean(self.mean, na, b.mean, nb);
        }
        self.nnz += b.nnz;
        self.min = self.min.min(b.min);
        self.max = self.max.max(b.max);
        self.l1 += b.l1;
        self.sq += b.sq;
        self.count += rows;
    }
}

impl ColumnSummary {
    /// Merges in the rows that `columns` (one accumulator per column, in
    /// order, each of the same count) summarize. Only for a summary with no
    /// optional parts: those need whole rows.
    pub fn merge_columns(&mut self, columns: &[ColumnAccumulator]) -> Result<(), StatsError> {
        if columns.len() != self.ncols() {
            return Err(StatsError::ColumnMismatch {
                left: self.ncols(),
                right: columns.len(),
            });
        }
        if !self.extras.is_empty() {
            return Err(StatsError::PartsMismatch {
                left: self.extras.describe(),
                right: "column-wise sums only".to_owned(),
            });
        }
        let Some(first) = columns.first() else {
            return Ok(());
        };
        if let Some(ragged) = columns.iter().find(|c| c.count != first.count) {
            return Err(StatsError::UnequalColumns {
                left: first.count,
                right: ragged.count,
            });
        }
        let mut part = ColumnSummary::try_new(columns.len())?;
        part.count = first.count;
        for (j, c) in columns.iter().enumerate() {
            part.mean[j] = c.mean;
            part.m2[j] = c.m2;
            part.nnz[j] = c.nnz;
            part.min[j] = c.min;
            part.max[j] = c.max;
            part.norm_l1[j] = c.l1;
            part.sum_sq[j] = c.sq;
        }
        self.merge(&part)
    }
}

fn reduce_portable(run: &[f64]) -> RunColumn {
    reduce_run(run)
}

/// `reduce_run` compiled for AVX2, which vectorises its lanes four wide.
///
/// # Safety
/// The CPU must have AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn reduce_avx2(run: &[f64]) -> RunColumn {
    reduce_run(run)
}

/// The lanes' running sums; min and max start at the sentinels +inf and
/// -inf, which a NaN never replaces.
struct Lanes {
    sd: [f64; WIDTH],
    sd2: [f64; WIDTH],
    nnz: [u64; WIDTH],
    min: [f64; WIDTH],
    max: [f64; WIDTH],
    l1: [f64; WIDTH],
    sq: [f64; WIDTH],
}

impl Lanes {
    #[inline(always)]
    fn add(&mut self, k: usize, x: f64, shift: f64) {
        let d = x - shift;
        self.sd[k] += d;
        self.sd2[k] += d * d;
        // NaN counts as nonzero, as in Spark.
        self.nnz[k] += u64::from(x != 0.0);
        // A NaN `x` compares false and is skipped (one minpd/maxpd).
        self.min[k] = if x < self.min[k] { x } else { self.min[k] };
        self.max[k] = if x > self.max[k] { x } else { self.max[k] };
        self.l1[k] += x.abs();
        self.sq[k] += x * x;
    }
}

/// The statistics of a run (`run` not empty), shifted by its first value.
#[inline(always)]
fn reduce_run(run: &[f64]) -> RunColumn {
    let first = run.first().copied().unwrap_or(0.0);
    // A non-finite shift would poison finite deviations; 0 keeps inf/NaN
    // propagating exactly as they would unshifted (as in `kernel.rs`).
    let shift = if first.is_finite() { first } else { 0.0 };
    let mut lanes = Lanes {
        sd: [0.0; WIDTH],
        sd2: [0.0; WIDTH],
        nnz: [0; WIDTH],
        min: [f64::INFINITY; WIDTH],
        max: [f64::NEG_INFINITY; WIDTH],
        l1: [0.0; WIDTH],
        sq: [0.0; WIDTH],
    };
    let mut chunks = run.chunks_exact(WIDTH);
    for chunk in &mut chunks {
        for (k, &x) in chunk.iter().enumerate() {
            lanes.add(k, x, shift);
        }
    }
    for (k, &x) in chunks.remainder().iter().enumerate() {
        lanes.add(k, x, shift);
    }
    let n = run.len() as f64;
    let sd: f64 = lanes.sd.iter().sum();
    let sd2: f64 = lanes.sd2.iter().sum();
    let min = lanes.min.iter().copied().fold(f64::INFINITY, f64::min);
    let max = lanes.max.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    // Rounding can leave a tiny negative for a constant column; NaN stays NaN.
    let m2 = sd2 - sd * sd / n;
    let none_seen = min == f64::INFINITY && max == f64::NEG_INFINITY;
    RunColumn {
        mean: shift + sd / n,
        m2: if m2 < 0.0 { 0.0 } else { m2 },
        nnz: lanes.nnz.iter().sum(),
        min: if none_seen { f64::NAN } else { min },
        max: if none_seen { f64::NAN } else { max },
        l1: lanes.l1.iter().sum(),
        sq: lanes.sq.iter().sum(),
    }
}
