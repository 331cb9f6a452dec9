//! The AVX-512 Gram-triangle kernel: the upper triangle of `S^T S` for a
//! block of shifted rows `S`, in tiles of 8 x 16 entries whose 16 running
//! sums (two 8-lane registers per tile row) stay in registers across all
//! rows. The same products as the 4 x 8 kernels (`comoments_avx2.rs`,
//! `comoments_portable.rs`), each fused into a multiply-add as in AVX2.
//!
//! Twice the lanes per multiply-add and twice the tile rows per pass over
//! the block: for 16 columns a row costs 24 multiply-adds of 8 lanes (the
//! two tiles of the triangle, the second one half) where AVX2 issues 40 of
//! 4 lanes, and every value of the block is read by 2 tiles instead of 6.
//! The 32 vector registers hold the 16 accumulators with room to spare.

use std::arch::x86_64::*;

use super::comoments_avx2::SpreadPrefetch;
use super::comoments_run::Shifted;

/// Rows per tile.
const TILE_ROWS: usize = 8;
/// Columns per half tile: one 8-lane register.
const HALF: usize = 8;

/// Adds the upper triangle (tiles touching `i <= j`) of `S^T S` into `gram`
/// (`stride x stride`, row-major), `S` being `shifted`: whole rows of
/// `stride` values, `stride` a multiple of 8. A tile's half that lies
/// wholly below the diagonal, or past the padded row, is skipped. `ahead`
/// is prefetched into L2 meanwhile, as in the AVX2 kernel.
///
/// # Safety
/// The CPU must support AVX-512F.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn add_triangle(shifted: &[f64], stride: usize, gram: &mut [f64], ahead: &[f64]) {
    assert!(
        stride.is_multiple_of(HALF)
            && shifted.len().is_multiple_of(stride)
            && gram.len() >= stride * stride
    );
    let mut parts = ahead.chunks(ahead.len().div_ceil(tiles(stride).count().max(1)).max(1));
    for (i0, j0) in tiles(stride) {
        let part = parts.next().unwrap_or(&[]);
        // The left half holds an entry with i <= j unless it ends at or
        // before row i0; the right half exists unless the row ends first.
        let left = j0 + HALF > i0;
        let right = j0 + 2 * HALF <= stride;
        // SAFETY: i0 + 8 <= stride and j0 + 8 <= stride (multiples of 8
        // below a multiple of 8), j0 + 16 <= stride where the right half
        // is read, so every access is inside `shifted`'s rows and `gram`;
        // AVX-512F enabled.
        unsafe {
            match (left, right) {
                (true, true) => add_tile::<true, true>(shifted, stride, i0, j0, gram, part),
                (true, false) => add_tile::<true, false>(shifted, stride, i0, j0, gram, part),
                _ => add_tile::<false, true>(shifted, stride, i0, j0, gram, part),
            }
        }
    }
}

/// The tiles' corners `(i0, j0)` that touch the upper triangle (tiles
/// wholly below the diagonal, every `j < i`, are left out).
fn tiles(stride: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..stride).step_by(TILE_ROWS).flat_map(move |i0| {
        let first = i0 / (2 * HALF) * (2 * HALF);
        (first..stride).step_by(2 * HALF).map(move |j0| (i0, j0))
    })
}

/// Entries `(i0..i0 + 8, j0..j0 + 8)` of `S^T S` when `LEFT` and `(i0..i0
/// + 8, j0 + 8..j0 + 16)` when `RIGHT`, added into `gram`.
///
/// # Safety
/// AVX-512F; `i0 + 8 <= stride`, `j0 + 8 <= stride` (`j0 + 16` when
/// `RIGHT`), `shifted` whole rows of `stride`, `gram` at least `stride x
/// stride`.
#[inline(always)]
unsafe fn add_tile<const LEFT: bool, const RIGHT: bool>(
    shifted: &[f64],
    stride: usize,
    i0: usize,
    j0: usize,
    gram: &mut [f64],
    ahead: &[f64],
) {
    unsafe {
        let zero = _mm512_setzero_pd();
        let mut acc = [[zero; 2]; TILE_ROWS];
        let mut p = shifted.as_ptr();
        let rows = shifted.len() / stride;
        let mut prefetch = SpreadPrefetch::new(ahead, rows);
        for _ in 0..rows {
            prefetch.tick();
            let lo = if LEFT {
                _mm512_loadu_pd(p.add(j0))
            } else {
                zero
            };
            let hi = if RIGHT {
                _mm512_loadu_pd(p.add(j0 + HALF))
            } else {
                zero
            };
            for (a, pair) in acc.iter_mut().enumerate() {
                let xi = _mm512_set1_pd(*p.add(i0 + a));
                if LEFT {
                    pair[0] = _mm512_fmadd_pd(xi, lo, pair[0]);
                }
                if RIGHT {
                    pair[1] = _mm512_fmadd_pd(xi, hi, pair[1]);
                }
            }
            p = p.add(stride);
        }
        for (a, pair) in acc.iter().enumerate() {
            let g = gram.as_mut_ptr().add((i0 + a) * stride + j0);
            if LEFT {
                _mm512_storeu_pd(g, _mm512_add_pd(_mm512_loadu_pd(g), pair[0]));
            }
            if RIGHT {
                let g = g.add(HALF);
                _mm512_storeu_pd(g, _mm512_add_pd(_mm512_loadu_pd(g), pair[1]));
            }
        }
    }
}

/// Writes the rows of `block` (whole rows of `out.shift.len()` values)
/// minus the shift into `out.shifted` and adds them to `out.sums`: the
/// AVX2 `shift_rows` with one 8-lane register per 8 columns and masked
/// loads at the edge, which cost nothing extra here. Sums kept twice (even
/// and odd rows) so consecutive rows do not wait on each other's additions.
///
/// # Safety
/// The CPU must support AVX-512F.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn shift_rows(block: &[f64], out: Shifted<'_>) {
    let nrows = out.rows_of(block);
    let (ncols, stride) = (out.shift.len(), out.stride);
    for c0 in (0..ncols).step_by(HALF) {
        let mask: __mmask8 = u8::MAX >> (HALF - (ncols - c0).min(HALF));
        // SAFETY: masked loads and stores touch only columns below ncols
        // of `block`, `shift` and `sums`; full stores into `shifted` stay
        // inside row r's `stride` values (c0 + 8 <= stride). AVX-512F
        // enabled.
        unsafe {
            let shift_v = _mm512_maskz_loadu_pd(mask, out.shift.as_ptr().add(c0));
            let mut add_row = |r: usize, sum: &mut __m512d| {
                let x = _mm512_maskz_loadu_pd(mask, block.as_ptr().add(r * ncols + c0));
                let d = _mm512_sub_pd(x, shift_v);
                _mm512_storeu_pd(out.shifted.as_mut_ptr().add(r * stride + c0), d);
                *sum = _mm512_add_pd(*sum, d);
            };
            let (mut even, mut odd) = (_mm512_setzero_pd(), _mm512_setzero_pd());
            for r in (0..nrows / 2 * 2).step_by(2) {
                add_row(r, &mut even);
                add_row(r + 1, &mut odd);
            }
            if nrows % 2 == 1 {
                add_row(nrows - 1, &mut even);
            }
            let p = out.sums.as_mut_ptr().add(c0);
            let old = _mm512_maskz_loadu_pd(mask, p);
            _mm512_mask_storeu_pd(p, mask, _mm512_add_pd(old, _mm512_add_pd(even, odd)));
        }
    }
}
