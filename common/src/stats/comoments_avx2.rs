//! The AVX2 Gram-triangle kernel: the upper triangle of `S^T S` for a block
//! of shifted rows `S`, in tiles of 4 x 8 entries whose 8 running sums
//! (two 4-lane registers per tile row) stay in registers across all rows.
//! The same products in the same order as the portable kernel in
//! `comoments_portable.rs`, fused into multiply-adds here.
//!
//! Per row a tile loads 2 vectors of `x[j0..j0 + 8]`, broadcasts 4 values
//! `x[i0 + a]` and issues 8 FMAs: the 8 independent accumulators cover the
//! FMA latency (4 cycles x 2 ports), so the loop runs at the FMA ports'
//! throughput.

use std::arch::x86_64::*;

use super::comoments_run::{Shifted, TILE_I, TILE_J};

/// Adds the upper triangle (tiles touching `i <= j`) of `S^T S` into `gram`
/// (`stride x stride`, row-major), `S` being `shifted`: whole rows of
/// `stride` values, `stride` a multiple of 8. Meanwhile `ahead` (the rows
/// the caller reads next) is prefetched into L2 a line at a time, spread
/// over the tiles' loops: the tiles are arithmetic-bound on cached data,
/// so the memory transfer of the next rows overlaps them instead of
/// stalling the next pass.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn add_triangle(shifted: &[f64], stride: usize, gram: &mut [f64], ahead: &[f64]) {
    assert!(
        stride.is_multiple_of(TILE_J)
            && shifted.len().is_multiple_of(stride)
            && gram.len() >= stride * stride
    );
    let tiles: usize = (0..stride)
        .step_by(TILE_I)
        .map(|i0| (stride - i0 / TILE_J * TILE_J) / TILE_J)
        .sum();
    let mut parts = ahead.chunks(ahead.len().div_ceil(tiles.max(1)).max(1));
    for i0 in (0..stride).step_by(TILE_I) {
        // Tiles wholly below the diagonal (every j < i) are skipped.
        for j0 in (i0 / TILE_J * TILE_J..stride).step_by(TILE_J) {
            let part = parts.next().unwrap_or(&[]);
            // SAFETY: i0 + 4 <= stride and j0 + 8 <= stride (both multiples
            // of their tile size), so every access is inside `shifted`'s
            // rows and `gram`; AVX2 and FMA enabled.
            unsafe {
                if j0 + 4 <= i0 {
                    // Its left half lies wholly below the diagonal: only
                    // the right half is needed, at half the multiply-adds.
                    add_tile::<false>(shifted, stride, i0, j0, gram, part)
                } else {
                    add_tile::<true>(shifted, stride, i0, j0, gram, part)
                }
            };
        }
    }
}

/// Doubles per 64-byte cache line.
const LINE_VALUES: usize = 8;

/// Entries `(i0..i0 + 4, j0..j0 + 8)` of `S^T S` (only `j0 + 4..j0 + 8`
/// unless `LEFT`), added into `gram`.
///
/// # Safety
/// AVX2 and FMA; `i0 + 4 <= stride`, `j0 + 8 <= stride`, `shifted` whole
/// rows of `stride`, `gram` at least `stride x stride`.
#[inline(always)]
unsafe fn add_tile<const LEFT: bool>(
    shifted: &[f64],
    stride: usize,
    i0: usize,
    j0: usize,
    gram: &mut [f64],
    ahead: &[f64],
) {
    unsafe {
        let zero = _mm256_setzero_pd();
        let mut acc = [[zero; 2]; TILE_I];
        let mut p = shifted.as_ptr();
        let rows = shifted.len() / stride;
        let mut prefetch = SpreadPrefetch::new(ahead, rows);
        for _ in 0..rows {
            prefetch.tick();
            let hi = _mm256_loadu_pd(p.add(j0 + 4));
            if LEFT {
                let lo = _mm256_loadu_pd(p.add(j0));
                for (a, pair) in acc.iter_mut().enumerate() {
                    let xi = _mm256_broadcast_sd(&*p.add(i0 + a));
                    pair[0] = _mm256_fmadd_pd(xi, lo, pair[0]);
                    pair[1] = _mm256_fmadd_pd(xi, hi, pair[1]);
                }
            } else {
                for (a, pair) in acc.iter_mut().enumerate() {
                    let xi = _mm256_broadcast_sd(&*p.add(i0 + a));
                    pair[1] = _mm256_fmadd_pd(xi, hi, pair[1]);
                }
            }
            p = p.add(stride);
        }
        for (a, pair) in acc.iter().enumerate() {
            let g = gram.as_mut_ptr().add((i0 + a) * stride + j0);
            if LEFT {
                _mm256_storeu_pd(g, _mm256_add_pd(_mm256_loadu_pd(g), pair[0]));
            }
            _mm256_storeu_pd(g.add(4), _mm256_add_pd(_mm256_loadu_pd(g.add(4)), pair[1]));
        }
    }
}

/// Brings `ahead` into L2 a cache line every few ticks, spread evenly over
/// a loop of `ticks` iterations (the tile loops of both SIMD kernels).
pub(crate) struct SpreadPrefetch<'a> {
    ahead: &'a [f64],
    line: usize,
    lines: usize,
    every: usize,
    countdown: usize,
}

impl<'a> SpreadPrefetch<'a> {
    pub(crate) fn new(ahead: &'a [f64], ticks: usize) -> Self {
        let lines = ahead.len().div_ceil(LINE_VALUES);
        SpreadPrefetch {
            ahead,
            line: 0,
            lines,
            every: (ticks / lines.max(1)).max(1),
            countdown: 0,
        }
    }

    /// One iteration of the loop: every `every`-th call prefetches the next line.
    #[inline(always)]
    pub(crate) fn tick(&mut self) {
        if self.countdown == 0 {
            if self.line < self.lines {
                // SAFETY: the address lies inside `ahead`; a prefetch is a
                // hint that never faults.
                unsafe {
                    _mm_prefetch::<_MM_HINT_T1>(
                        self.ahead.as_ptr().add(self.line * LINE_VALUES).cast(),
                    )
                };
                self.line += 1;
            }
            self.countdown = self.every;
        }
        self.countdown -= 1;
    }
}

/// Writes the rows of `block` (whole rows of `out.shift.len()` values)
/// minus the shift into `out.shifted` and adds them to `out.sums`. Eight
/// columns at a time, with their sums in registers, kept twice (even and
/// odd rows) so consecutive rows do not wait on each other's additions.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn shift_rows(block: &[f64], out: Shifted<'_>) {
    let nrows = out.rows_of(block);
    let (ncols, stride) = (out.shift.len(), out.stride);
    for c0 in (0..ncols).step_by(TILE_J) {
        let masks = [
            lane_mask(ncols - c0),
            lane_mask((ncols - c0).saturating_sub(4)),
        ];
        // SAFETY: masked loads and stores touch only columns below ncols
        // of `block`, `shift` and `sums`; full stores into `shifted` stay
        // inside row r's `stride` values (c0 + 8 <= stride). AVX2 enabled.
        unsafe {
            // Whole blocks of 8 columns load plainly (a masked load costs more).
            let whole = c0 + TILE_J <= ncols;
            let load = |p: *const f64, half: usize| {
                if whole {
                    _mm256_loadu_pd(p.add(4 * half))
                } else {
                    _mm256_maskload_pd(p.add(4 * half), masks[half])
                }
            };
            let shift_v = [
                load(out.shift.as_ptr().add(c0), 0),
                load(out.shift.as_ptr().add(c0), 1),
            ];
            let zero = _mm256_setzero_pd();
            let mut add_row = |r: usize, acc: &mut [__m256d; 2]| {
                let from = block.as_ptr().add(r * ncols + c0);
                let to = out.shifted.as_mut_ptr().add(r * stride + c0);
                for (half, sum) in acc.iter_mut().enumerate() {
                    let d = _mm256_sub_pd(load(from, half), shift_v[half]);
                    _mm256_storeu_pd(to.add(4 * half), d);
                    *sum = _mm256_add_pd(*sum, d);
                }
            };
            let (mut even, mut odd) = ([zero; 2], [zero; 2]);
            for r in (0..nrows / 2 * 2).step_by(2) {
                add_row(r, &mut even);
                add_row(r + 1, &mut odd);
            }
            if nrows % 2 == 1 {
                add_row(nrows - 1, &mut even);
            }
            let acc = [even, odd];
            for half in 0..2 {
                let p = out.sums.as_mut_ptr().add(c0 + 4 * half);
                let total = _mm256_add_pd(acc[0][half], acc[1][half]);
                let old = _mm256_maskload_pd(p, masks[half]);
                _mm256_maskstore_pd(p, masks[half], _mm256_add_pd(old, total));
            }
        }
    }
}

/// All-ones in the first `lanes` (capped at 4) 64-bit lanes.
#[inline(always)]
fn lane_mask(lanes: usize) -> __m256i {
    let on = |k: usize| if k < lanes { -1 } else { 0 };
    // SAFETY: register initialisation; only called inside AVX2 code.
    unsafe { _mm256_setr_epi64x(on(0), on(1), on(2), on(3)) }
}
