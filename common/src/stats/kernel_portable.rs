//! The portable strip reducer: plain Rust over fixed-width lanes, which the
//! compiler vectorises for whatever target it builds (SSE2, NEON). It does
//! the same additions in the same order as the AVX2 reducer in
//! `kernel_avx2.rs` (the two differ only where that one fuses a
//! multiply-add), so the two agree to rounding.

use super::kernel::{LANES, RunState};

/// Reduces every row of `tile` (whole rows of `ncols` values) into `state`:
/// strips of four columns, then the remaining columns one by one.
pub(crate) fn reduce_tile(tile: &[f64], ncols: usize, state: &mut RunState) {
    let wide = ncols / LANES * LANES;
    for c0 in (0..wide).step_by(LANES) {
        reduce_strip::<LANES>(tile, ncols, c0, state);
    }
    for c0 in wide..ncols {
        reduce_strip::<1>(tile, ncols, c0, state);
    }
}

/// Columns `c0..c0 + W` of every row of `tile`. As in the AVX2 reducer,
/// the sums updated by a multiply-add, min or max are kept twice (even and
/// odd rows, added together at the end) so consecutive rows do not wait on
/// each other; the plain sums and the count are kept once.
#[inline(always)]
fn reduce_strip<const W: usize>(tile: &[f64], ncols: usize, c0: usize, state: &mut RunState) {
    let mut shift = [0.0; W];
    shift.copy_from_slice(&state.shift[c0..c0 + W]);
    let mut sums = Sums::<W>::load(state, c0);
    let mut even = Paired::<W>::load(state, c0);
    let mut odd = Paired::<W>::empty();
    let mut pairs = tile.chunks_exact(2 * ncols);
    for pair in &mut pairs {
        add_row(&pair[c0..c0 + W], &shift, &mut sums, &mut even);
        add_row(
            &pair[ncols + c0..ncols + c0 + W],
            &shift,
            &mut sums,
            &mut odd,
        );
    }
    if let Some(last) = pairs.remainder().get(c0..c0 + W) {
        add_row(last, &shift, &mut sums, &mut even);
    }
    even.absorb(&odd);
    sums.store(state, c0);
    even.store(state, c0);
}

/// Adds one row's `W` values to the running sums.
#[inline(always)]
fn add_row<const W: usize>(
    row: &[f64],
    shift: &[f64; W],
    sums: &mut Sums<W>,
    paired: &mut Paired<W>,
) {
    for k in 0..W {
        let x = row[k];
        let d = x - shift[k];
        sums.sd[k] += d;
        sums.l1[k] += x.abs();
        // NaN counts as nonzero, as in Spark.
        sums.nnz[k] += u64::from(x != 0.0);
        paired.sd2[k] += d * d;
        paired.sq[k] += x * x;
        // A NaN `x` compares false and is skipped, so the sentinels survive
        // all-NaN columns; the running min/max are never NaN, so this is one
        // minpd/maxpd (`f64::min` would add NaN checks on `x` and on them).
        paired.min[k] = if x < paired.min[k] { x } else { paired.min[k] };
        paired.max[k] = if x > paired.max[k] { x } else { paired.max[k] };
    }
}

/// `W` lanes of `v` from column `c0` on.
fn lanes<T: Copy, const W: usize>(v: &[T], c0: usize) -> [T; W] {
    std::array::from_fn(|k| v[c0 + k])
}

/// The plain running sums and the nonzero count: one set for all rows.
struct Sums<const W: usize> {
    sd: [f64; W],
    l1: [f64; W],
    nnz: [u64; W],
}

impl<const W: usize> Sums<W> {
    fn load(state: &RunState, c0: usize) -> Self {
        Sums {
            sd: lanes(&state.sd, c0),
            l1: lanes(&state.l1, c0),
            nnz: lanes(&state.nnz, c0),
        }
    }

    fn store(&self, state: &mut RunState, c0: usize) {
        state.sd[c0..c0 + W].copy_from_slice(&self.sd);
        state.l1[c0..c0 + W].copy_from_slice(&self.l1);
        state.nnz[c0..c0 + W].copy_from_slice(&self.nnz);
    }
}

/// The running sums of squares, min and max: one set for even rows and
/// one for odd rows.
struct Paired<const W: usize> {
    sd2: [f64; W],
    sq: [f64; W],
    min: [f64; W],
    max: [f64; W],
}

impl<const W: usize> Paired<W> {
    fn empty() -> Self {
        Paired {
            sd2: [0.0; W],
            sq: [0.0; W],
            min: [f64::INFINITY; W],
            max: [f64::NEG_INFINITY; W],
        }
    }

    fn load(state: &RunState, c0: usize) -> Self {
        Paired {
            sd2: lanes(&state.sd2, c0),
            sq: lanes(&state.sq, c0),
            min: lanes(&state.min, c0),
            max: lanes(&state.max, c0),
        }
    }

    fn store(&self, state: &mut RunState, c0: usize) {
        state.sd2[c0..c0 + W].copy_from_slice(&self.sd2);
        state.sq[c0..c0 + W].copy_from_slice(&self.sq);
        state.min[c0..c0 + W].copy_from_slice(&self.min);
        state.max[c0..c0 + W].copy_from_slice(&self.max);
    }

    fn absorb(&mut self, other: &Self) {
        for k in 0..W {
            self.sd2[k] += other.sd2[k];
            self.sq[k] += other.sq[k];
            self.min[k] = self.min[k].min(other.min[k]);
            self.max[k] = self.max[k].max(other.max[k]);
        }
    }
}
