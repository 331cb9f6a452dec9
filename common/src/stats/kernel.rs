//! The hot loop: one block of row-major rows reduced to per-column block
//! statistics, written so the compiler vectorises across columns.
//!
//! A block (`BLOCK_ROWS` rows) is reduced strip by strip of columns, so
//! each strip's accumulators live in registers and the block, read from
//! memory once, is revisited from cache. Blocks are then folded into the running summary with
//! the pairwise (Chan et al.) update in `summary.rs`.

/// Rows per block: small enough that a block (64 rows of 16 columns is 8 KiB)
/// stays in L1 while its strips revisit it (measured best of 16..1024).
pub(crate) const BLOCK_ROWS: usize = 64;

/// Per-column statistics of one block, reused from block to block so the
/// hot path never allocates.
#[derive(Debug, Clone, Default)]
pub(crate) struct BlockStats {
    pub rows: usize,
    pub sum: Vec<f64>,
    pub m2: Vec<f64>,
    pub nnz: Vec<f64>,
    pub min: Vec<f64>,
    pub max: Vec<f64>,
    pub abs: Vec<f64>,
    pub sq: Vec<f64>,
}

impl BlockStats {
    /// Stores column `j`'s block statistics from a strip's accumulators:
    /// `[shift, sum d, sum d^2, nonzeros, min, max, sum |x|, sum x^2]`.
    #[inline(always)]
    pub(crate) fn finish_column(&mut self, j: usize, n: f64, acc: [f64; 8]) {
        let [shift, sd, sd2, nnz, min, max, abs, sq] = acc;
        self.sum[j] = shift + sd / n;
        // Rounding can leave a tiny negative for a constant column; NaN stays NaN.
        let m2 = sd2 - sd * sd / n;
        self.m2[j] = if m2 < 0.0 { 0.0 } else { m2 };
        self.nnz[j] = nnz;
        self.min[j] = min;
        self.max[j] = max;
        self.abs[j] = abs;
        self.sq[j] = sq;
    }

    pub(crate) fn reset(&mut self, ncols: usize) {
        for (v, init) in [
            (&mut self.sum, 0.0),
            (&mut self.m2, 0.0),
            (&mut self.nnz, 0.0),
            (&mut self.min, f64::NAN),
            (&mut self.max, f64::NAN),
            (&mut self.abs, 0.0),
            (&mut self.sq, 0.0),
        ] {
            v.clear();
            v.resize(ncols, init);
        }
        self.rows = 0;
    }
}

/// Reduces `block` (whole rows of `ncols` values, at most `BLOCK_ROWS`
/// rows) into `out`. `out.sum` holds the block's mean afterwards and
/// `out.m2` the block's sum of squared deviations from it.
pub(crate) fn reduce_block(block: &[f64], ncols: usize, out: &mut BlockStats) {
    out.reset(ncols);
    let nrows = block.len() / ncols;
    out.rows = nrows;
    if nrows == 0 {
        return;
    }
    let wide = ncols / STRIP * STRIP;
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            for c0 in (0..wide).step_by(STRIP) {
                // SAFETY: AVX2 and FMA checked just above; c0 + 4 <= ncols.
                unsafe { super::kernel_avx2::reduce_strip4(block, ncols, nrows, c0, out) };
            }
            for c0 in wide..ncols {
                reduce_strip::<1>(block, ncols, nrows, c0, out);
            }
            return;
        }
    }
    for c0 in (0..wide).step_by(STRIP) {
        reduce_strip::<STRIP>(block, ncols, nrows, c0, out);
    }
    for c0 in wide..ncols {
        reduce_strip::<1>(block, ncols, nrows, c0, out);
    }
}

/// Columns per strip: the strip's seven accumulators stay in registers.
const STRIP: usize = 4;

/// One strip of `W` columns over every row of the block, in one pass.
///
/// M2 comes from sums of deviations from a shift (the strip's first finite
/// value in row 0): `M2 = sum d^2 - (sum d)^2 / n` with `d = x - shift`. With
/// the shift taken from the data, the deviations are of the order of the
/// spread, so this is accurate without a second pass over the block.
#[inline(always)]
fn reduce_strip<const W: usize>(
    block: &[f64],
    ncols: usize,
    nrows: usize,
    c0: usize,
    out: &mut BlockStats,
) {
    let mut shift = [0.0; W];
    for (s, &x) in shift.iter_mut().zip(&block[c0..c0 + W]) {
        // A non-finite shift would poison finite deviations; 0 keeps
        // inf/NaN propagating exactly as they would unshifted.
        *s = if x.is_finite() { x } else { 0.0 };
    }
    let (mut sd, mut sd2, mut nnz) = ([0.0; W], [0.0; W], [0.0; W]);
    let (mut min, mut max) = ([f64::NAN; W], [f64::NAN; W]);
    let (mut abs, mut sq) = ([0.0; W], [0.0; W]);
    for r in 0..nrows {
        let start = r * ncols + c0;
        let Some(row) = block.get(start..start + W) else {
            break;
        };
        for k in 0..W {
            let x = row[k];
            let d = x - shift[k];
            sd[k] += d;
            sd2[k] += d * d;
            // NaN counts as nonzero, as in Spark.
            nnz[k] += if x != 0.0 { 1.0 } else { 0.0 };
            // `min`/`max` skip NaN: an all-NaN column keeps the NaN start.
            min[k] = min[k].min(x);
            max[k] = max[k].max(x);
            abs[k] += x.abs();
            sq[k] += x * x;
        }
    }
    let n = nrows as f64;
    for k in 0..W {
        out.finish_column(
            c0 + k,
            n,
            [
                shift[k], sd[k], sd2[k], nnz[k], min[k], max[k], abs[k], sq[k],
            ],
        );
    }
}
