//! `CoMoments`: the mergeable partial result behind Pearson correlation.
//! Per column the mean, and for every pair of columns the centered
//! cross-product sum `C[i][j] = sum (x_i - mean_i)(x_j - mean_j)`.
//!
//! Rows are taken in the runs of the eight statistics, piece by piece (the
//! kernel's tiles, still in L1): each run is shifted by its first row (so
//! deviations are of the order of the spread, even for columns with a
//! mean of 1e9), the upper triangle of its shifted cross-products is
//! computed by a register-tiled kernel (`comoments_run.rs`), and the run
//! is folded into the upper triangle with the pairwise update of Chan et
//! al., as the variance is in `summary.rs`. The lower triangle is mirrored
//! by `end_rows`, once per batch of runs, so between batches `cross` is
//! whole.
//!
//! The mean is kept as a shift (a data value, exact) plus the mean
//! deviation from it: the mean difference of two parts, which the update
//! multiplies into every cross-product, is then the difference of two
//! nearby data values (exact) plus that of two small deviations, accurate
//! to the spread's precision rather than to the offset's (with a mean of
//! 1e9, a mean held whole is only good to about 1e-7).

use super::comoments_run::RunScratch;
use super::kernel::Kernel;
#[cfg(test)]
use super::kernel::RUN_ROWS;
use super::summary::combine_mean;

/// Mean and centered cross-products of some rows.
#[derive(Debug, Clone)]
pub struct CoMoments {
    pub(crate) count: u64,
    /// Per column a reference value; the mean is `shift + mean`.
    pub(crate) shift: Vec<f64>,
    /// The mean deviation from `shift`.
    pub(crate) mean: Vec<f64>,
    /// `ncols x ncols`, row-major, symmetric.
    pub(crate) cross: Vec<f64>,
    /// Per-run buffers, reused so that `add_rows` allocates only once.
    scratch: RunScratch,
    /// The mean differences of a merge, kept to avoid an allocation per run.
    delta: Vec<f64>,
}

impl CoMoments {
    pub fn new(ncols: usize) -> CoMoments {
        CoMoments {
            count: 0,
            shift: vec![0.0; ncols],
            mean: vec![0.0; ncols],
            cross: vec![0.0; ncols * ncols],
            scratch: RunScratch::default(),
            delta: Vec::new(),
        }
    }

    pub fn ncols(&self) -> usize {
        self.mean.len()
    }

    /// Adds whole row-major rows (the caller checked the length) in runs
    /// of `RUN_ROWS`: what the eight statistics' pass does piece by piece.
    #[cfg(test)]
    pub(crate) fn add_rows(&mut self, kernel: Kernel, rows: &[f64]) {
        let ncols = self.ncols();
        if ncols == 0 || rows.is_empty() {
            return;
        }
        for run in rows.chunks(RUN_ROWS * ncols) {
            self.begin_run(&run[..ncols]);
            self.add_piece(kernel, run, &[]);
            self.end_run(kernel, (run.len() / ncols) as u64);
        }
        self.end_rows();
    }

    /// Starts a run whose first row is `first`.
    pub(crate) fn begin_run(&mut self, first: &[f64]) {
        self.scratch.start(first);
    }

    /// Adds whole rows of the run; `ahead` (the rows the caller reads
    /// next) is brought into cache meanwhile.
    pub(crate) fn add_piece(&mut self, kernel: Kernel, rows: &[f64], ahead: &[f64]) {
        self.scratch.push(kernel, rows, ahead);
    }

    /// Folds in the run, of `rows` rows in all.
    pub(crate) fn end_run(&mut self, kernel: Kernel, rows: u64) {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.finish(kernel);
        self.merge_run(&scratch, rows);
        self.scratch = scratch;
    }

    /// Makes `cross` whole again after a batch of runs.
    pub(crate) fn end_rows(&mut self) {
        self.mirror();
    }

    /// Folds in a run reduced into `run`, upper triangle only: the
    /// pairwise update of `merge`, with the run's cross-products
    /// `G[i][j] - s_i s_j / n` (`G` its shifted Gram matrix, `s` its
    /// shifted sums).
    fn merge_run(&mut self, run: &RunScratch, rows: u64) {
        let (ncols, stride) = (self.ncols(), run.stride);
        let nb = rows as f64;
        let run_cross =
            |i: usize, j: usize| run.gram[i * stride + j] - run.sums[i] * run.sums[j] / nb;
        if self.count == 0 {
            self.shift.copy_from_slice(&run.shift);
            for (m, s) in self.mean.iter_mut().zip(&run.sums) {
                *m = s / nb;
            }
            for i in 0..ncols {
                for j in i..ncols {
                    self.cross[i * ncols + j] = run_cross(i, j);
                }
            }
            self.count = rows;
            return;
        }
        let na = self.count as f64;
        let weight = na * nb / (na + nb);
        self.delta.clear();
        self.delta.extend(
            (0..ncols).map(|j| (run.shift[j] - self.shift[j]) + (run.sums[j] / nb - self.mean[j])),
        );
        for i in 0..ncols {
            let di = self.delta[i] * weight;
            let row = &mut self.cross[i * ncols + i..(i + 1) * ncols];
            for ((c, j), dj) in row.iter_mut().zip(i..).zip(&self.delta[i..]) {
                *c += run_cross(i, j) + di * dj;
            }
        }
        for (mean, d) in self.mean.iter_mut().zip(&self.delta) {
            *mean = combine_mean(*mean, na, *mean + d, nb);
        }
        self.count += rows;
    }

    /// Copies the upper triangle of `cross` onto the lower one.
    fn mirror(&mut self) {
        let ncols = self.ncols();
        for i in 1..ncols {
            for j in 0..i {
                self.cross[i * ncols + j] = self.cross[j * ncols + i];
            }
        }
    }

    /// Merges `other` (same column count) into `self`: the pairwise
    /// update `C = Ca + Cb + d d^T na nb / n` with `d` the mean difference.
    pub(crate) fn merge(&mut self, other: &CoMoments) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            self.count = other.count;
            self.shift.clone_from(&other.shift);
            self.mean.clone_from(&other.mean);
            self.cross.clone_from(&other.cross);
            return;
        }
        let ncols = self.ncols();
        let (na, nb) = (self.count as f64, other.count as f64);
        let weight = na * nb / (na + nb);
        let delta: Vec<f64> = (0..ncols)
            .map(|j| (other.shift[j] - self.shift[j]) + (other.mean[j] - self.mean[j]))
            .collect();
        for i in 0..ncols {
            let row = &mut self.cross[i * ncols..(i + 1) * ncols];
            let other_row = &other.cross[i * ncols..(i + 1) * ncols];
            let di = delta[i] * weight;
            for ((c, o), dj) in row.iter_mut().zip(other_row).zip(&delta) {
                *c += o + di * dj;
            }
        }
        // `self.shift` stays the reference; `other`'s mean re-expressed
        // from it is `self.mean + delta`.
        for (mean, d) in self.mean.iter_mut().zip(&delta) {
            *mean = combine_mean(*mean, na, *mean + d, nb);
        }
        self.count += other.count;
    }

    /// The Pearson correlation matrix (`ncols x ncols`, row-major), as
    /// Spark computes it: a column of zero variance has NaN in its row and
    /// column (`zero_variance` lists them), 1 on the diagonal; values are
    /// clipped to [-1, 1] against rounding. NaN data gives NaN.
    pub fn correlation(&self) -> Correlation {
        let ncols = self.ncols();
        let sigma: Vec<f64> = (0..ncols)
            .map(|j| self.cross[j * ncols + j].sqrt())
            .collect();
        let zero_variance: Vec<usize> = (0..ncols).filter(|&j| sigma[j] == 0.0).collect();
        let mut matrix = vec![0.0; ncols * ncols];
        for i in 0..ncols {
            for j in 0..ncols {
                matrix[i * ncols + j] = if i == j {
                    1.0
                } else if sigma[i] == 0.0 || sigma[j] == 0.0 {
                    f64::NAN
                } else {
                    (self.cross[i * ncols + j] / (sigma[i] * sigma[j])).clamp(-1.0, 1.0)
                };
            }
        }
        Correlation {
            ncols,
            matrix,
            zero_variance,
        }
    }
}

/// A finished Pearson matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Correlation {
    pub ncols: usize,
    /// Row-major, `ncols x ncols`.
    pub matrix: Vec<f64>,
    /// Columns of zero variance (their rows and columns are NaN).
    pub zero_variance: Vec<usize>,
}
