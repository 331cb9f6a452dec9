//! The AVX2 strip reducer: four columns per 256-bit register, eight
//! accumulators held in registers across a block's rows. Same results as
//! the portable `reduce_strip` in `kernel.rs` (same shift, same order of
//! additions per column).

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

use super::kernel::BlockStats;

/// Reduces columns `c0..c0 + 4` of every row of `block` into `out`.
///
/// # Safety
/// The CPU must support AVX2 and FMA, and `c0 + 4 <= ncols`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn reduce_strip4(
    block: &[f64],
    ncols: usize,
    nrows: usize,
    c0: usize,
    out: &mut BlockStats,
) {
    debug_assert!(c0 + 4 <= ncols && nrows * ncols <= block.len());
    let base = block.as_ptr();
    // SAFETY (all loads): row r's strip lies at r * ncols + c0 .. + 4, inside
    // `block` because r < nrows, c0 + 4 <= ncols and nrows * ncols <= len.
    let first = unsafe { _mm256_loadu_pd(base.add(c0)) };
    // A non-finite shift would poison finite deviations; 0 instead.
    let finite = _mm256_cmp_pd::<_CMP_LT_OQ>(
        _mm256_and_pd(first, abs_mask()),
        _mm256_set1_pd(f64::INFINITY),
    );
    let shift = _mm256_and_pd(first, finite);
    let mut acc = Acc::new();
    for r in 0..nrows {
        acc.add(unsafe { _mm256_loadu_pd(base.add(r * ncols + c0)) }, shift);
    }
    let Acc {
        sd,
        sd2,
        nnz,
        min,
        max,
        seen,
        l1,
        sq,
    } = acc;
    // All-NaN columns report NaN for min and max.
    let nan = _mm256_set1_pd(f64::NAN);
    let min = _mm256_blendv_pd(nan, min, seen);
    let max = _mm256_blendv_pd(nan, max, seen);
    let lanes = |v: __m256d| {
        let mut a = [0.0; 4];
        // SAFETY: `a` holds exactly four f64.
        unsafe { _mm256_storeu_pd(a.as_mut_ptr(), v) };
        a
    };
    let (shift, sd, sd2) = (lanes(shift), lanes(sd), lanes(sd2));
    let (nnz, min, max, l1, sq) = (lanes(nnz), lanes(min), lanes(max), lanes(l1), lanes(sq));
    let n = nrows as f64;
    for k in 0..4 {
        out.finish_column(
            c0 + k,
            n,
            [
                shift[k], sd[k], sd2[k], nnz[k], min[k], max[k], l1[k], sq[k],
            ],
        );
    }
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn abs_mask() -> __m256d {
    // SAFETY: a bit-pattern cast; only called inside AVX2 code.
    unsafe { _mm256_castsi256_pd(_mm256_set1_epi64x(i64::MAX)) }
}

/// One set of a strip's running sums.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct Acc {
    sd: __m256d,
    sd2: __m256d,
    nnz: __m256d,
    min: __m256d,
    max: __m256d,
    seen: __m256d,
    l1: __m256d,
    sq: __m256d,
}

#[cfg(target_arch = "x86_64")]
impl Acc {
    #[inline(always)]
    fn new() -> Self {
        // SAFETY: plain register initialisation; only called inside AVX2 code.
        unsafe {
            let zero = _mm256_setzero_pd();
            Acc {
                sd: zero,
                sd2: zero,
                nnz: zero,
                min: _mm256_set1_pd(f64::INFINITY),
                max: _mm256_set1_pd(f64::NEG_INFINITY),
                seen: zero,
                l1: zero,
                sq: zero,
            }
        }
    }

    #[inline(always)]
    fn add(&mut self, x: __m256d, shift: __m256d) {
        // SAFETY: arithmetic intrinsics; only called inside AVX2+FMA code.
        unsafe {
            let d = _mm256_sub_pd(x, shift);
            self.sd = _mm256_add_pd(self.sd, d);
            self.sd2 = _mm256_fmadd_pd(d, d, self.sd2);
            // Unordered not-equal: NaN counts as nonzero, as in Spark.
            let nz = _mm256_cmp_pd::<_CMP_NEQ_UQ>(x, _mm256_setzero_pd());
            self.nnz = _mm256_add_pd(self.nnz, _mm256_and_pd(nz, _mm256_set1_pd(1.0)));
            // minpd/maxpd return the second operand when the first is NaN: NaN skipped.
            self.min = _mm256_min_pd(x, self.min);
            self.max = _mm256_max_pd(x, self.max);
            self.seen = _mm256_or_pd(self.seen, _mm256_cmp_pd::<_CMP_ORD_Q>(x, x));
            self.l1 = _mm256_add_pd(self.l1, _mm256_and_pd(x, abs_mask()));
            self.sq = _mm256_fmadd_pd(x, x, self.sq);
        }
    }
}
