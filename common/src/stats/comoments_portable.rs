//! The portable Gram-triangle kernel: plain Rust over 4 x 8 tiles, which
//! the compiler vectorises for whatever target it builds (SSE2, NEON). The
//! same products in the same order as the AVX2 kernel in
//! `comoments_avx2.rs` (which fuses each multiply-add), so the two agree
//! to rounding.

use super::comoments_run::{TILE_I, TILE_J};

/// Adds the upper triangle (tiles touching `i <= j`) of `S^T S` into `gram`
/// (`stride x stride`, row-major), `S` being `shifted`: whole rows of
/// `stride` values, `stride` a multiple of 8.
pub(crate) fn add_triangle(shifted: &[f64], stride: usize, gram: &mut [f64]) {
    debug_assert!(stride.is_multiple_of(TILE_J) && shifted.len().is_multiple_of(stride));
    for i0 in (0..stride).step_by(TILE_I) {
        for j0 in (i0 / TILE_J * TILE_J..stride).step_by(TILE_J) {
            add_tile(shifted, stride, i0, j0, gram);
        }
    }
}

/// Entries `(i0..i0 + 4, j0..j0 + 8)` of `S^T S`, added into `gram`.
#[inline(always)]
fn add_tile(shifted: &[f64], stride: usize, i0: usize, j0: usize, gram: &mut [f64]) {
    let mut acc = [[0.0f64; TILE_J]; TILE_I];
    for row in shifted.chunks_exact(stride) {
        let xj = &row[j0..j0 + TILE_J];
        let xi = &row[i0..i0 + TILE_I];
        for (sums, &x) in acc.iter_mut().zip(xi) {
            for (s, &y) in sums.iter_mut().zip(xj) {
                *s += x * y;
            }
        }
    }
    for (a, sums) in acc.iter().enumerate() {
        let at = (i0 + a) * stride + j0;
        for (g, s) in gram[at..at + TILE_J].iter_mut().zip(sums) {
            *g += s;
        }
    }
}
