//! One run of rows reduced for the co-moments: the rows shifted by the
//! run's first row, the shifted column sums and the upper triangle of the
//! shifted rows' Gram matrix `S^T S`, ready for `CoMoments` to fold in.
//!
//! The run is copied block by block (each block a few tens of KiB, so it
//! stays in L1/L2 while it is read once per tile) into a scratch whose
//! rows are padded with zeros to a multiple of 8 columns: the tile kernels
//! (AVX2 in `comoments_avx2.rs`, portable in `comoments_portable.rs`) then
//! work on whole 4 x 8 tiles for any column count. Tables wider than
//! `TRIANGLE_MAX_COLS` use `matrixmultiply`'s dgemm on the same scratch
//! instead (computing the whole matrix, as before the tile kernels): the
//! tile kernels read the block once per tile, which is cheap only while a
//! block of rows is a few rows' worth of cache lines per tile.

use super::kernel::Kernel;

/// Rows per tile of the Gram triangle.
pub(crate) const TILE_I: usize = 4;
/// Columns per tile: two 4-lane registers.
pub(crate) const TILE_J: usize = 8;

/// Bytes of shifted rows per block: the block is read once per tile
/// column, so it has to stay in cache.
const BLOCK_BYTES: usize = 32 << 10;

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
    /// One block of shifted rows, `stride` values each (padding 0).
    shifted: Vec<f64>,
}

impl RunScratch {
    /// Reduces `run` (whole rows of `ncols` values, at least one), and
    /// meanwhile brings `ahead` (the rows read next) into cache.
    pub fn reduce(&mut self, kernel: Kernel, run: &[f64], ncols: usize, ahead: &[f64]) {
        self.start(&run[..ncols]);
        let block_rows = (BLOCK_BYTES / (8 * self.stride)).max(16);
        let blocks = run.len().div_ceil(block_rows * ncols);
        let mut parts = ahead.chunks(ahead.len().div_ceil(blocks).max(1));
        for block in run.chunks(block_rows * ncols) {
            self.shift_block(kernel, block);
            self.add_gram(kernel, parts.next().unwrap_or(&[]));
        }
    }

    /// Empties the sums and the Gram matrix for a run whose first row is `first`.
    fn start(&mut self, first: &[f64]) {
        let ncols = first.len();
        if ncols != self.ncols {
            self.ncols = ncols;
            self.stride = ncols.next_multiple_of(TILE_J);
            // Padding must read 0: the buffer starts over.
            self.shifted.clear();
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
    }

    /// Copies `block` shifted into `shifted` and adds it to the sums. Only
    /// the first `ncols` values of each padded row are ever written, so the
    /// padding keeps the 0 it was created with.
    fn shift_block(&mut self, kernel: Kernel, block: &[f64]) {
        let (ncols, stride) = (self.ncols, self.stride);
        self.shifted.resize(block.len() / ncols * stride, 0.0);
        let out = Shifted {
            shift: &self.shift,
            sums: &mut self.sums,
            shifted: &mut self.shifted,
            stride,
        };
        match kernel {
            Kernel::Portable => out.fill(block),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Kernel::Avx2` is only chosen where the CPU has AVX2 and FMA.
            Kernel::Avx2 => unsafe {
                super::comoments_avx2::shift_rows(block, out.shift, out.sums, out.shifted, stride)
            },
        }
    }

    /// Adds the block's `S^T S` (at least its upper triangle) into `gram`;
    /// the AVX2 kernel prefetches `ahead` meanwhile.
    fn add_gram(&mut self, kernel: Kernel, ahead: &[f64]) {
        let stride = self.stride;
        if self.ncols > TRIANGLE_MAX_COLS {
            self.add_gram_dgemm();
            return;
        }
        match kernel {
            Kernel::Portable => {
                super::comoments_portable::add_triangle(&self.shifted, stride, &mut self.gram)
            }
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Kernel::Avx2` is only chosen where the CPU has AVX2 and FMA.
            Kernel::Avx2 => unsafe {
                super::comoments_avx2::add_triangle(&self.shifted, stride, &mut self.gram, ahead)
            },
        }
    }

    /// The whole `S^T S` over the first `ncols` columns, by dgemm.
    fn add_gram_dgemm(&mut self) {
        let (ncols, stride) = (self.ncols, self.stride);
        let rows = self.shifted.len() / stride;
        let s = stride as isize;
        // SAFETY: `shifted` holds `rows x stride` values, read as the
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
                self.shifted.as_ptr(),
                1,
                s,
                self.shifted.as_ptr(),
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
    shift: &'a [f64],
    sums: &'a mut [f64],
    shifted: &'a mut [f64],
    stride: usize,
}

impl Shifted<'_> {
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
