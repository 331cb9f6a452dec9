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

/// Rows per tile.
const TILE_ROWS: usize = 8;
/// Columns per half tile: one 8-lane register.
const HALF: usize = 8;
/// Doubles per 64-byte cache line.
const LINE_VALUES: usize = 8;

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
        // One line of `ahead` every `every` rows, spread over the loop.
        let lines = ahead.len().div_ceil(LINE_VALUES);
        let every = (rows / lines.max(1)).max(1);
        let (mut line, mut countdown) = (0, 0);
        for _ in 0..rows {
            if countdown == 0 {
                if line < lines {
                    _mm_prefetch::<_MM_HINT_T1>(ahead.as_ptr().add(line * LINE_VALUES).cast());
                    line += 1;
                }
                countdown = every;
            }
            countdown -= 1;
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
