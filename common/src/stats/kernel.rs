//! The one-pass kernel's driver: a *run* of row-major rows reduced to
//! per-column shifted sums, tile by tile, strip by strip.
//!
//! - A run (up to `RUN_ROWS` rows) shares one shift per column, so its
//!   sums accumulate across all its tiles and only the run as a whole is
//!   folded into the summary with the pairwise (Chan et al.) update in
//!   `summary.rs`: the per-run division-heavy merge is amortised over
//!   thousands of rows.
//! - A tile (about `TILE_BYTES`) is reduced strip by strip of four
//!   columns, each strip's accumulators in registers; the tile is read
//!   from memory once, by the first strip, and revisited from L1 by the
//!   others. While a tile is reduced, the next one is prefetched, so memory
//!   stays busy during the strips that run from cache.
//!
//! The strip reducers (AVX2 in `kernel_avx2.rs`, portable in
//! `kernel_portable.rs`) keep the sums updated by a multiply-add, min or
//! max twice, for even and odd rows, so each is a chain of one operation
//! per two rows: the kernel is then bound by the vector units' throughput,
//! not by their latency.

/// Rows per run: the per-run merge costs about as much as a few rows, so
/// it disappears at this length, while sums over a few thousand values
/// stay accurate.
pub(crate) const RUN_ROWS: usize = 4096;

/// Bytes per tile: a tile and the next one, prefetched while this one is
/// reduced, fit in a 32 KiB L1 together (of 8, 16 and 32 KiB, 16 was
/// fastest; 32 lost about 10%).
const TILE_BYTES: usize = 16 << 10;

/// How many tiles past the next one the tile after `reduce_run`'s hook
/// lies: the rows the hook (the co-moments' arithmetic-bound loops)
/// prefetches meanwhile.
const FAR_TILES: usize = 2;

/// Columns per strip: one 256-bit register of f64.
pub(crate) const LANES: usize = 4;

/// A run's per-column running sums, shared by the strip reducers. Every
/// vector is padded to a whole number of strips, so a strip of the last,
/// partial group of columns can load and store four lanes.
#[derive(Debug, Clone, Default)]
pub(crate) struct RunState {
    pub rows: usize,
    /// The run's first row (0 where that value is not finite).
    pub shift: Vec<f64>,
    /// Sum of `x - shift`.
    pub sd: Vec<f64>,
    /// Sum of `(x - shift)^2`.
    pub sd2: Vec<f64>,
    /// Values other than 0 (NaN included, as in Spark).
    pub nnz: Vec<u64>,
    /// Smallest and largest non-NaN value; +inf and -inf while none seen.
    pub min: Vec<f64>,
    pub max: Vec<f64>,
    /// Sum of `|x|` and of `x^2`.
    pub l1: Vec<f64>,
    pub sq: Vec<f64>,
}

/// One column's statistics over a run, ready to merge.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RunColumn {
    pub mean: f64,
    pub m2: f64,
    pub nnz: u64,
    pub min: f64,
    pub max: f64,
    pub l1: f64,
    pub sq: f64,
}

impl RunState {
    /// Empties the state for a run whose first row is `first`.
    fn start(&mut self, first: &[f64]) {
        let padded = first.len().next_multiple_of(LANES);
        for (v, init) in [
            (&mut self.sd, 0.0),
            (&mut self.sd2, 0.0),
            (&mut self.min, f64::INFINITY),
            (&mut self.max, f64::NEG_INFINITY),
            (&mut self.l1, 0.0),
            (&mut self.sq, 0.0),
        ] {
            v.clear();
            v.resize(padded, init);
        }
        self.nnz.clear();
        self.nnz.resize(padded, 0);
        // With the shift taken from the data, deviations are of the order of
        // the spread and M2 = sum d^2 - (sum d)^2 / n is accurate in one
        // pass. A non-finite shift would poison finite deviations; 0 keeps
        // inf/NaN propagating exactly as they would unshifted.
        self.shift.clear();
        self.shift
            .extend(first.iter().map(|&x| if x.is_finite() { x } else { 0.0 }));
        self.shift.resize(padded, 0.0);
        self.rows = 0;
    }

    /// Column `j`'s statistics over the run (`rows` > 0).
    pub(crate) fn column(&self, j: usize) -> RunColumn {
        let n = self.rows as f64;
        let sd = self.sd[j];
        // Rounding can leave a tiny negative for a constant column; NaN stays NaN.
        let m2 = self.sd2[j] - sd * sd / n;
        // Every non-NaN value lies in [min, max], so the sentinels still in
        // place mean the column held only NaN: then min and max are NaN.
        let none_seen = self.min[j] == f64::INFINITY && self.max[j] == f64::NEG_INFINITY;
        let (min, max) = if none_seen {
            (f64::NAN, f64::NAN)
        } else {
            (self.min[j], self.max[j])
        };
        RunColumn {
            mean: self.shift[j] + sd / n,
            m2: if m2 < 0.0 { 0.0 } else { m2 },
            nnz: self.nnz[j],
            min,
            max,
            l1: self.l1[j],
            sq: self.sq[j],
        }
    }
}

/// Rows per run for tables of `ncols` columns: a whole number of tiles.
pub(crate) fn run_rows(ncols: usize) -> usize {
    let tile = tile_rows(ncols);
    tile * (RUN_ROWS / tile).max(1)
}

/// Rows per tile for tables of `ncols` columns.
pub(crate) fn tile_rows(ncols: usize) -> usize {
    (TILE_BYTES / (ncols * 8)).max(1)
}

/// Which strip reducer runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kernel {
    /// Plain Rust the compiler vectorises for whatever target it builds.
    Portable,
    /// AVX2 and FMA intrinsics; only chosen where the CPU has both.
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// The AVX2 reducers, and AVX-512F for the co-moments' Gram triangle
    /// (arithmetic-bound, where twice the lanes pay; the eight statistics
    /// are bound by memory and keep AVX2). Only chosen where the CPU has
    /// all three.
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Kernel {
    /// The fastest reducer this CPU runs (the feature check is cached by
    /// the standard library, so this is cheap per call).
    pub(crate) fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            if std::is_x86_feature_detected!("avx512f") {
                return Kernel::Avx512;
            }
            return Kernel::Avx2;
        }
        Kernel::Portable
    }

    /// Every reducer this CPU runs, slowest first (the tests run them all).
    #[cfg(test)]
    pub(crate) fn available() -> Vec<Kernel> {
        match Self::detect() {
            Kernel::Portable => vec![Kernel::Portable],
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => vec![Kernel::Portable, Kernel::Avx2],
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => vec![Kernel::Portable, Kernel::Avx2, Kernel::Avx512],
        }
    }
}

/// Reduces rows `rows[start..end]` (whole rows of `ncols` values, `start <
/// end`) into `state`. The rest of `rows` is only prefetched. After each
/// tile, `then(tile, far)` gets the tile while it is still in L1, with the
/// rows `FAR_TILES` tiles past the next one, to prefetch (empty past the
/// end of `rows`).
pub(crate) fn reduce_run(
    kernel: Kernel,
    rows: &[f64],
    (start, end): (usize, usize),
    ncols: usize,
    state: &mut RunState,
    mut then: impl FnMut(&[f64], &[f64]),
) {
    debug_assert!(start < end && end <= rows.len() && (end - start) % ncols == 0);
    state.start(&rows[start..start + ncols]);
    state.rows = (end - start) / ncols;
    let tile_len = tile_rows(ncols) * ncols;
    for at in (start..end).step_by(tile_len) {
        let stop = (at + tile_len).min(end);
        let tile = &rows[at..stop];
        let ahead = &rows[stop..(stop + tile_len).min(rows.len())];
        match kernel {
            Kernel::Portable => super::kernel_portable::reduce_tile(tile, ncols, state),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: both are only chosen where the CPU has AVX2 and FMA.
            Kernel::Avx2 | Kernel::Avx512 => unsafe {
                super::kernel_avx2::reduce_tile(tile, ahead, ncols, state)
            },
        }
        // The reducer above brought in the next tile; the far one gets two
        // tiles' time to arrive (1 to 4 measured within noise on one
        // thread; 2 was the steadiest with two).
        let far = (stop + FAR_TILES * tile_len).min(rows.len());
        then(tile, &rows[far..(far + tile_len).min(rows.len())]);
    }
}
