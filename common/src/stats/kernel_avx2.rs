//! The AVX2 strip reducer: four columns per 256-bit register, the running
//! sums of a strip held in registers across a tile's rows. The same
//! additions in the same order as the portable reducer in
//! `kernel_portable.rs`, except that squares are fused multiply-adds here.
//!
//! Per row and strip the loop issues ten vector operations, which is what
//! bounds it (three vector ports). The sums updated by an FMA, min or max
//! (4-cycle latency) are kept twice, for even and odd rows, so consecutive
//! rows do not wait on each other; the plain sums and the nonzero count
//! (shorter latency) are kept once, since a second copy would not fit in
//! the 16 registers and spilling costs more than the chain. min/max start
//! at +inf/-inf, so no separate "seen a non-NaN" mask is needed.

use std::arch::x86_64::*;

use super::kernel::{LANES, RunState};

/// Reduces every row of `tile` (whole rows of `ncols` values) into `state`,
/// prefetching `ahead` (the memory the next tile reads) meanwhile.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn reduce_tile(tile: &[f64], ahead: &[f64], ncols: usize, state: &mut RunState) {
    debug_assert!(tile.len().is_multiple_of(ncols) && state.sd.len() >= ncols);
    let mut prefetch = Prefetch::new(ahead);
    let wide = ncols / LANES * LANES;
    for c0 in (0..wide).step_by(LANES) {
        // SAFETY: c0 + 4 <= ncols, AVX2 and FMA enabled.
        unsafe { reduce_strip::<false>(tile, ncols, c0, state, &mut prefetch) };
    }
    if wide < ncols {
        // SAFETY: c0 < ncols; lanes past ncols are masked off.
        unsafe { reduce_strip::<true>(tile, ncols, wide, state, &mut prefetch) };
    }
}

/// Columns `c0..c0 + 4` of every row of `tile`; with `MASKED`, only the
/// columns below `ncols` are read and the other lanes see 0 (their sums go
/// to `state`'s padding and are never read).
///
/// # Safety
/// AVX2 and FMA; `c0 < ncols`, and `c0 + 4 <= ncols` unless `MASKED`.
#[inline(always)]
unsafe fn reduce_strip<const MASKED: bool>(
    tile: &[f64],
    ncols: usize,
    c0: usize,
    state: &mut RunState,
    prefetch: &mut Prefetch,
) {
    let mask = lane_mask(ncols - c0);
    // SAFETY (loads): `p` points at a row's column c0, inside the tile; the
    // four lanes lie inside the tile unless MASKED, and masked-off lanes
    // are not accessed.
    let load = |p: *const f64| unsafe {
        if MASKED {
            _mm256_maskload_pd(p, mask)
        } else {
            _mm256_loadu_pd(p)
        }
    };
    // SAFETY: state vectors are padded to whole strips, so c0 + 4 fits.
    let (shift, mut sums, mut even) = unsafe {
        (
            _mm256_loadu_pd(state.shift.as_ptr().add(c0)),
            Sums::load(state, c0),
            Paired::load(state, c0),
        )
    };
    let mut odd = Paired::empty();
    let nrows = tile.len() / ncols;
    let mut p = tile.as_ptr().wrapping_add(c0);
    for _ in 0..nrows / 2 {
        prefetch.next_line();
        add_row(load(p), shift, &mut sums, &mut even);
        add_row(load(p.wrapping_add(ncols)), shift, &mut sums, &mut odd);
        p = p.wrapping_add(2 * ncols);
    }
    if nrows % 2 == 1 {
        add_row(load(p), shift, &mut sums, &mut even);
    }
    even.absorb(&odd);
    // SAFETY: as for the loads from `state` above.
    unsafe {
        sums.store(state, c0);
        even.store(state, c0);
    }
}

/// Adds one row's strip `x` to the running sums.
#[inline(always)]
fn add_row(x: __m256d, shift: __m256d, sums: &mut Sums, paired: &mut Paired) {
    // SAFETY: arithmetic intrinsics; only called inside AVX2+FMA code.
    unsafe {
        let d = _mm256_sub_pd(x, shift);
        let abs = _mm256_and_pd(x, _mm256_castsi256_pd(_mm256_set1_epi64x(i64::MAX)));
        sums.sd = _mm256_add_pd(sums.sd, d);
        sums.l1 = _mm256_add_pd(sums.l1, abs);
        // |x|'s bits as an integer are > 0 exactly when x != 0 or x is NaN
        // (NaN counts as nonzero, as in Spark); those lanes are all ones,
        // i.e. -1, so subtracting counts them.
        let nz = _mm256_cmpgt_epi64(_mm256_castpd_si256(abs), _mm256_setzero_si256());
        sums.nnz = _mm256_sub_epi64(sums.nnz, nz);
        paired.sd2 = _mm256_fmadd_pd(d, d, paired.sd2);
        paired.sq = _mm256_fmadd_pd(x, x, paired.sq);
        // minpd/maxpd return the second operand when the first is NaN: NaN
        // is skipped.
        paired.min = _mm256_min_pd(x, paired.min);
        paired.max = _mm256_max_pd(x, paired.max);
    }
}

/// All-ones in the first `lanes` (at most 4) 64-bit lanes.
#[inline(always)]
fn lane_mask(lanes: usize) -> __m256i {
    let on = |k: usize| if k < lanes { -1 } else { 0 };
    // SAFETY: register initialisation; only called inside AVX2 code.
    unsafe { _mm256_setr_epi64x(on(0), on(1), on(2), on(3)) }
}

/// Walks the next tile's memory one cache line per call, so the lines the
/// next tile's first strip reads are in L1 before it starts.
struct Prefetch {
    next: *const f64,
    last: *const f64,
}

impl Prefetch {
    fn new(ahead: &[f64]) -> Self {
        let next = ahead.as_ptr();
        Prefetch {
            next,
            last: next.wrapping_add(ahead.len().saturating_sub(1)),
        }
    }

    /// One call per two rows of a strip: a strip reads 2 x 32 bytes in that
    /// time, so the next tile (no larger than this one) is covered by the
    /// time this one is done. Past the end it repeats the last line rather
    /// than branch.
    #[inline(always)]
    fn next_line(&mut self) {
        // SAFETY: a prefetch is a hint that never faults.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(self.next.cast()) };
        self.next = self.next.wrapping_add(8).min(self.last);
    }
}

/// The running sums with a short update latency (adds, the integer count):
/// one set for all rows (see `RunState` for each field).
struct Sums {
    sd: __m256d,
    l1: __m256d,
    nnz: __m256i,
}

impl Sums {
    /// # Safety
    /// AVX2; `state`'s vectors hold at least `c0 + 4` lanes.
    #[inline(always)]
    unsafe fn load(state: &RunState, c0: usize) -> Self {
        unsafe {
            Sums {
                sd: _mm256_loadu_pd(state.sd.as_ptr().add(c0)),
                l1: _mm256_loadu_pd(state.l1.as_ptr().add(c0)),
                nnz: _mm256_loadu_si256(state.nnz.as_ptr().add(c0).cast()),
            }
        }
    }

    /// # Safety
    /// As for `load`.
    #[inline(always)]
    unsafe fn store(&self, state: &mut RunState, c0: usize) {
        unsafe {
            _mm256_storeu_pd(state.sd.as_mut_ptr().add(c0), self.sd);
            _mm256_storeu_pd(state.l1.as_mut_ptr().add(c0), self.l1);
            _mm256_storeu_si256(state.nnz.as_mut_ptr().add(c0).cast(), self.nnz);
        }
    }
}

/// The running sums updated by FMA, min and max: one set for even rows
/// and one for odd rows (see `RunState` for each field).
struct Paired {
    sd2: __m256d,
    sq: __m256d,
    min: __m256d,
    max: __m256d,
}

impl Paired {
    #[inline(always)]
    fn empty() -> Self {
        // SAFETY: register initialisation; only called inside AVX2 code.
        unsafe {
            Paired {
                sd2: _mm256_setzero_pd(),
                sq: _mm256_setzero_pd(),
                min: _mm256_set1_pd(f64::INFINITY),
                max: _mm256_set1_pd(f64::NEG_INFINITY),
            }
        }
    }

    /// # Safety
    /// AVX2; `state`'s vectors hold at least `c0 + 4` lanes.
    #[inline(always)]
    unsafe fn load(state: &RunState, c0: usize) -> Self {
        let at = |v: &Vec<f64>| unsafe { _mm256_loadu_pd(v.as_ptr().add(c0)) };
        Paired {
            sd2: at(&state.sd2),
            sq: at(&state.sq),
            min: at(&state.min),
            max: at(&state.max),
        }
    }

    /// # Safety
    /// As for `load`.
    #[inline(always)]
    unsafe fn store(&self, state: &mut RunState, c0: usize) {
        let at = |v: &mut Vec<f64>, x| unsafe { _mm256_storeu_pd(v.as_mut_ptr().add(c0), x) };
        at(&mut state.sd2, self.sd2);
        at(&mut state.sq, self.sq);
        at(&mut state.min, self.min);
        at(&mut state.max, self.max);
    }

    #[inline(always)]
    fn absorb(&mut self, other: &Self) {
        // SAFETY: arithmetic intrinsics; only called inside AVX2 code.
        unsafe {
            self.sd2 = _mm256_add_pd(self.sd2, other.sd2);
            self.sq = _mm256_add_pd(self.sq, other.sq);
            self.min = _mm256_min_pd(self.min, other.min);
            self.max = _mm256_max_pd(self.max, other.max);
        }
    }
}
