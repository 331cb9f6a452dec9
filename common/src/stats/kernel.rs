//! The hot loop: one block of row-major rows reduced to per-column block
//! statistics, written so the compiler vectorises across columns.
//!
//! A block is small enough to stay in cache (`BLOCK_ROWS` rows), so the
//! second pass for the block's M2 costs no memory traffic: the data is read
//! from memory once. Blocks are then folded into the running summary with
//! the pairwise (Chan et al.) update in `summary.rs`.

/// Rows per block: 256 rows of 16 columns is 32 KiB, which stays in L1/L2.
pub(crate) const BLOCK_ROWS: usize = 256;

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
    fn reset(&mut self, ncols: usize) {
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
/// rows) into `out`. `out.sum` holds the block's mean afterwards.
pub(crate) fn reduce_block(block: &[f64], ncols: usize, out: &mut BlockStats) {
    out.reset(ncols);
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { reduce_block_avx2(block, ncols, out) };
            return;
        }
    }
    reduce_block_portable(block, ncols, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn reduce_block_avx2(block: &[f64], ncols: usize, out: &mut BlockStats) {
    reduce_block_generic(block, ncols, out);
}

fn reduce_block_portable(block: &[f64], ncols: usize, out: &mut BlockStats) {
    reduce_block_generic(block, ncols, out);
}

#[inline(always)]
fn reduce_block_generic(block: &[f64], ncols: usize, out: &mut BlockStats) {
    let BlockStats {
        rows,
        sum,
        m2,
        nnz,
        min,
        max,
        abs,
        sq,
    } = out;
    // Equal-length slices let the compiler drop bounds checks and vectorise.
    let (sum, m2, nnz) = (&mut sum[..ncols], &mut m2[..ncols], &mut nnz[..ncols]);
    let (min, max) = (&mut min[..ncols], &mut max[..ncols]);
    let (abs, sq) = (&mut abs[..ncols], &mut sq[..ncols]);
    let mut n = 0usize;
    for row in block.chunks_exact(ncols) {
        let row = &row[..ncols];
        n += 1;
        for j in 0..ncols {
            let x = row[j];
            sum[j] += x;
            // NaN counts as nonzero, as in Spark.
            nnz[j] += if x != 0.0 { 1.0 } else { 0.0 };
            // `min`/`max` skip NaN: an all-NaN column keeps the NaN start.
            min[j] = min[j].min(x);
            max[j] = max[j].max(x);
            abs[j] += x.abs();
            sq[j] += x * x;
        }
    }
    *rows = n;
    if n == 0 {
        return;
    }
    let inv = 1.0 / n as f64;
    for s in sum.iter_mut() {
        *s *= inv;
    }
    let mean = &*sum;
    // Second pass over the cached block: M2 around the block mean.
    for row in block.chunks_exact(ncols) {
        let row = &row[..ncols];
        for j in 0..ncols {
            let d = row[j] - mean[j];
            m2[j] += d * d;
        }
    }
}
