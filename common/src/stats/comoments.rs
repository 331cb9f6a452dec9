//! `CoMoments`: the mergeable partial result behind Pearson correlation.
//! Per column the mean, and for every pair of columns the centered
//! cross-product sum `C[i][j] = sum (x_i - mean_i)(x_j - mean_j)`.
//!
//! Rows are taken in runs of a few hundred: each run is shifted by its
//! first row (so deviations are of the order of the spread, even for
//! columns with a mean of 1e9), its cross-products are one small matrix
//! product (`matrixmultiply`'s SIMD dgemm, the run held in cache), and
//! the run is folded in with the pairwise update of Chan et al., as the
//! variance is in `summary.rs`.
//!
//! The mean is kept as a shift (a data value, exact) plus the mean
//! deviation from it: the mean difference of two parts, which the update
//! multiplies into every cross-product, is then the difference of two
//! nearby data values (exact) plus that of two small deviations, accurate
//! to the spread's precision rather than to the offset's (with a mean of
//! 1e9, a mean held whole is only good to about 1e-7).

use super::summary::combine_mean;

/// Bytes of shifted rows per run: the run and its packed copies stay in L2
/// (of 16, 32, 64 and 256 KiB, the smaller ones were fastest).
const RUN_BYTES: usize = 32 << 10;

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
    scratch: Scratch,
}

/// Per-run buffers, reused so that `add_rows` allocates only once.
#[derive(Debug, Clone, Default)]
struct Scratch {
    shifted: Vec<f64>,
    shift: Vec<f64>,
    sums: Vec<f64>,
    gram: Vec<f64>,
}

impl CoMoments {
    pub fn new(ncols: usize) -> CoMoments {
        CoMoments {
            count: 0,
            shift: vec![0.0; ncols],
            mean: vec![0.0; ncols],
            cross: vec![0.0; ncols * ncols],
            scratch: Scratch::default(),
        }
    }

    pub fn ncols(&self) -> usize {
        self.mean.len()
    }

    /// Adds whole row-major rows (the caller checked the length).
    pub(crate) fn add_rows(&mut self, rows: &[f64]) {
        let ncols = self.ncols();
        if ncols == 0 || rows.is_empty() {
            return;
        }
        let run_rows = (RUN_BYTES / (8 * ncols)).max(16);
        let mut scratch = std::mem::take(&mut self.scratch);
        for run in rows.chunks(run_rows * ncols) {
            scratch.reduce(run, ncols);
            self.merge_run(&scratch, (run.len() / ncols) as u64);
        }
        self.scratch = scratch;
    }

    /// Folds in a run whose shifted sums and Gram matrix are in `run`.
    fn merge_run(&mut self, run: &Scratch, rows: u64) {
        let ncols = self.ncols();
        let n = rows as f64;
        let mut other = CoMoments {
            count: rows,
            shift: run.shift.clone(),
            mean: run.sums.iter().map(|s| s / n).collect(),
            cross: Vec::with_capacity(ncols * ncols),
            scratch: Scratch::default(),
        };
        for i in 0..ncols {
            for j in 0..ncols {
                let c = run.gram[i * ncols + j] - run.sums[i] * run.sums[j] / n;
                other.cross.push(c);
            }
        }
        self.merge(&other);
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

impl Scratch {
    /// Shifts `run` (whole rows) by its first row and computes the shifted
    /// column sums and the Gram matrix `S^T S` of the shifted rows `S`.
    fn reduce(&mut self, run: &[f64], ncols: usize) {
        let rows = run.len() / ncols;
        self.shift.clear();
        // A non-finite shift would poison finite deviations; 0 keeps
        // inf/NaN propagating as they would unshifted.
        self.shift.extend(
            run[..ncols]
                .iter()
                .map(|&x| if x.is_finite() { x } else { 0.0 }),
        );
        self.shifted.clear();
        self.shifted.resize(run.len(), 0.0);
        self.sums.clear();
        self.sums.resize(ncols, 0.0);
        // Written as zips over whole rows so the compiler vectorises it.
        for (row, out) in run
            .chunks_exact(ncols)
            .zip(self.shifted.chunks_exact_mut(ncols))
        {
            for ((o, x), s) in out.iter_mut().zip(row).zip(&self.shift) {
                *o = x - s;
            }
            for (sum, o) in self.sums.iter_mut().zip(out.iter()) {
                *sum += o;
            }
        }
        self.gram.clear();
        self.gram.resize(ncols * ncols, 0.0);
        let stride = ncols as isize;
        // SAFETY: `shifted` holds `rows x ncols` values read as the
        // `ncols x rows` matrix S^T (row stride 1, column stride ncols) and
        // as the `rows x ncols` matrix S; `gram` holds `ncols x ncols`
        // values written row-major. The pointers are valid for those
        // extents and `gram` does not alias `shifted`.
        unsafe {
            matrixmultiply::dgemm(
                ncols,
                rows,
                ncols,
                1.0,
                self.shifted.as_ptr(),
                1,
                stride,
                self.shifted.as_ptr(),
                stride,
                1,
                0.0,
                self.gram.as_mut_ptr(),
                stride,
                1,
            );
        }
    }
}
