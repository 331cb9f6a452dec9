//! One run of rows reduced for the co-moments: the rows shifted by the
//! run's first row, the shifted column sums and the upper triangle of the
//! shifted rows' Gram matrix `S^T S`, ready for `CoMoments` to fold in.
//!
//! The run arrives in pieces (the eight statistics' tiles, while they are
//! still in L1) and is copied shifted into a block (16 KiB, so it stays in
//! L1 while it is read once per tile of the triangle) whose rows are
//! padded with zeros to a multiple of 8 columns; each full block is added
//! to the Gram triangle. The tile kernels (AVX-512 in
//! `comoments_avx512.rs`, AVX2 in `comoments_avx2.rs`, portable in
//! `comoments_portable.rs`) then work on whole tiles for any column
//! count. Tables wider than `TRIANGLE_MAX_COLS` use `matrixmultiply`'s
//! dgemm on the same scratch instead (computing the whole matrix, as
//! before the tile kernels): the tile kernels read the block once per
//! tile, which is cheap only while a block of rows is a few rows' worth
//! of cache lines per tile.

use super::kernel::Kernel;

/// Rows per tile of the Gram triangle.
pub(crate) const TILE_I: usize = 4;
/// Columns per tile: two 4-lane registers.
pub(crate) const TILE_J: usize = 8;

/// Bytes of shifted rows per block: the block is read once per tile of
/// the triangle, so it has to stay in L1 (with the piece it came from).
const BLOCK_BYTES: usize = 16 << 10;

/// Doubles per 64-byte cache line.
const LINE_VALUES: usize = 8;

/// The widest table (in columns) reduced by the tile kernels: a
/// conservative bound, the crossover with dgemm has not been measured.
const TRIANGLE_MAX_COLS: usize = 64;

/// A run's shift, sums and Gram triangle, with the buffers reused run
/// after run (allocation only when the column count first grows).
#[derive(Debug, Clone, Default)]
pub(crate) struct RunScratch {
    /// Columns of the table, and the padded row length of `shifted` and `gram`.
    pub ncols: usize,
    pub stride: usize,
    /// The run's first row (0 where that value is not finite).
    pub shift: Vec<f64>,
    /// Sum of `x - shift` per column.
    pub sums: Vec<f64>,
    /// `stride x stride`, row-major: entries `i <= j < ncols` hold
    /// `sum (x_i - shift_i)(x_j - shift_j)`; the rest is not meaningful.
    pub gram: Vec<f64>,
    /// One block of shifted rows, `stride` values each (padding 0), from
    /// `base` on: there it starts on a cache line, so no vector load of
    /// the tile kernels straddles two lines. Its first `filled` rows are
    /// the run's, not yet in `gram`.
    shifted: Vec<f64>,
    base: usize,
    filled: usize,
}

impl RunScratch {
    /// Reduces `run` (whole rows of `ncols` values, at least one), and
    /// meanwhile brings `ahead` (the rows read next) into cache.
    #[cfg(test)]
    pub fn reduce(&mut self, kernel: Kernel, run: &[f64], ncols: usize, ahead: &[f64]) {
        self.start(&run[..ncols]);
        self.push(kernel, run, ahead);
        self.finish(kernel);
    }

    /// Adds whole rows of the run; each block filled is added to the
    /// triangle at once (its rows still in L1), prefetching `ahead`.
    pub fn push(&mut self, kernel: Kernel, mut rows: &[f64], ahead: &[f64]) {
        let (ncols, block_rows) = (self.ncols, self.block_rows());
        while !rows.is_empty() {
            let take = (block_rows - self.filled).min(rows.len() / ncols);
            let (piece, rest) = rows.split_at(take * ncols);
            self.shift_rows(kernel, piece);
            rows = rest;
            if self.filled == block_rows {
                self.add_gram(kernel, ahead);
            }
        }
    }

    /// Adds the rows still in the block to the triangle: the run is whole.
    pub fn finish(&mut self, kernel: Kernel) {
        if self.filled > 0 {
            self.add_gram(kernel, &[]);
        }
    }

    /// Rows per block (a few for very wide tables, where one row is more
    /// than a block's bytes).
    fn block_rows(&self) -> usize {
        Self::block_rows_for(self.stride)
    }

    /// Rows per block for padded rows of `stride` values.
    pub(crate) fn block_rows_for(stride: usize) -> usize {
        (BLOCK_BYTES / (8 * stride)).max(16)
    }

    /// Empties the sums and the Gram matrix for a run whose first row is `first`.
    pub fn start(&mut self, first: &[f64]) {
        let ncols = first.len();
        if ncols != self.ncols {
            self.ncols = ncols;
            self.stride = ncols.next_multiple_of(TILE_J);
            // Padding must read 0: the buffer starts over, once per width.
            self.shifted = vec![0.0; self.block_rows() * self.stride + LINE_VALUES];
            self.base = self.shifted.as_ptr().align_offset(LINE_VALUES * 8);
        }
        // A non-finite shift would poison finite deviations; 0 keeps
        // inf/NaN propagating as they would unshifted.
        self.shift.clear();
        self.shift
            .extend(first.iter().map(|&x| if x.is_finite() { x } else { 0.0 }));
        self.sums.clear();
        self.sums.resize(ncols, 0.0);
        self.gram.clear();
        self.gram.resize(self.stride * self.stride, 0.0);
        self.filled = 0;
    }

    /// Copies `rows` shifted into the block after its `filled` rows and
    /// adds them to the sums. Only the first `ncols` values of each padded
    /// row are ever written, so the padding keeps the 0 it was created
    /// with.
    fn shift_rows(&mut self, kernel: Kernel, rows: &[f64]) {
        let (ncols, stride) = (self.ncols, self.stride);
        let (from, count) = (self.base + self.filled * stride, rows.len() / ncols);
        self.filled += count;
        let out = Shifted {
            shift: &self.shift,
            sums: &mut self.sums,
            shifted: &mut self.shifted[from..from + count * stride],
            stride,
        };
        match kernel {
            Kernel::Portable => out.fill(rows),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Kernel::Avx2` is only chosen where the CPU has AVX2 and FMA.
            Kernel::Avx2 => unsafe { super::comoments_avx2::shift_rows(rows, out) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Kernel::Avx512` is only chosen where the CPU has AVX-512F.
            Kernel::Avx512 => unsafe { super::comoments_avx512::shift_rows(rows, out) },
        }
    }

    /// Adds the block's `S^T S` (at least its upper triangle) into `gram`
    /// and empties the block; the SIMD kernels prefetch `ahead` meanwhile.
    fn add_gram(&mut self, kernel: Kernel, ahead: &[f64]) {
        let (stride, rows) = (self.stride, self.filled);
        self.filled = 0;
        if self.ncols > TRIANGLE_MAX_COLS {
            self.add_gram_dgemm(rows);
            return;
        }
        let shifted = &self.shifted[self.base..self.base + rows * stride];
        match kernel {
            Kernel::Portable => {
                super::comoments_portable::add_triangle(shifted, stride, &mut self.gram)
            }
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Kernel::Avx2` is only chosen where the CPU has AVX2 and FMA.
            Kernel::Avx2 => unsafe {
                super::comoments_avx2::add_triangle(shifted, stride, &mut self.gram, ahead)
            },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Kernel::Avx512` is only chosen where the CPU has AVX-512F.
            Kernel::Avx512 => unsafe {
                super::comoments_avx512::add_triangle(shifted, stride, &mut self.gram, ahead)
            },
        }
    }

    /// The whole `S^T S` of the block's first `rows` rows over the first
    /// `ncols` columns, by dgemm.
    fn add_gram_dgemm(&mut self, rows: usize) {
        let (ncols, stride) = (self.ncols, self.stride);
        let s = stride as isize;
        // SAFETY: `shifted` holds `rows x stride` values from `base`, read as the
        // `ncols x rows` matrix S^T (row stride 1, column stride `stride`)
        // and as the `rows x ncols` matrix S; `gram` holds `stride x stride`
        // values, of which `ncols x ncols` are written with row stride
        // `stride`. The pointers are valid for those extents and `gram`
        // does not alias `shifted`.
        unsafe {
            matrixmultiply::dgemm(
                ncols,
                rows,
                ncols,
                1.0,
                self.shifted[self.base..].as_ptr(),
                1,
                s,
                self.shifted[self.base..].as_ptr(),
                s,
                1,
                1.0,
                self.gram.as_mut_ptr(),
                s,
                1,
            );
        }
    }
}

/// Where a block's shifted rows and sums go.
pub(crate) struct Shifted<'a> {
    /// Per column, the value taken away.
    pub shift: &'a [f64],
    /// Per column, the sum the shifted values are added to.
    pub sums: &'a mut [f64],
    /// Rows of `stride` values (the lanes past the columns stay 0).
    pub shifted: &'a mut [f64],
    pub stride: usize,
}

impl Shifted<'_> {
    /// The rows of `block`, once every size the SIMD writers index by is
    /// checked: whole rows, each fitting a padded row of `shifted`.
    pub(crate) fn rows_of(&self, block: &[f64]) -> usize {
        let ncols = self.shift.len();
        assert!(
            ncols > 0
                && ncols <= self.stride
                && self.stride.is_multiple_of(TILE_J)
                && self.sums.len() == ncols
                && block.len().is_multiple_of(ncols)
                && self.shifted.len() >= block.len() / ncols * self.stride
        );
        block.len() / ncols
    }

    /// Writes `block`'s rows minus the shift, adding them to the sums. One
    /// zip over each row, so the compiler vectorises it (the AVX2 version,
    /// `comoments_avx2::shift_rows`, keeps the sums in registers instead).
    fn fill(self, block: &[f64]) {
        let ncols = self.shift.len();
        for (row, out) in block
            .chunks_exact(ncols)
            .zip(self.shifted.chunks_exact_mut(self.stride))
        {
            for (((o, x), s), sum) in out
                .iter_mut()
                .zip(row)
                .zip(self.shift)
                .zip(self.sums.iter_mut())
            {
                *o = x - s;
                *sum += *o;
            }
        }
    }
}
