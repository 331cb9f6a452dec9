//! `.npy` reader: versions 1.0/2.0/3.0, C and Fortran order, both
//! endiannesses, float/int/uint/bool dtypes, 1-D and 2-D, by row range.
//! The file is memory-mapped; rows reach the kernel in blocks, straight
//! from the map when the data already is aligned native `f64` rows. The
//! map is read in windows of a few MiB, each released after use: mapped
//! pages count in the process's resident memory, which must stay flat
//! however large the partition.

mod collect;
mod dtype;
mod header;
mod literal;
mod write;

use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};

use memmap2::{Advice, Mmap, UncheckedAdvice};

use super::ReadError;
use crate::stats::ColumnSummary;
pub use dtype::{ElementKind, NpyDtype};
use header::NpyHeader;
pub use write::{npy_header, write_npy_f64};

/// Values per block handed to the kernel: big enough to amortize the call,
/// small enough to stay in cache.
const BLOCK_VALUES: usize = 1 << 15;

/// Bytes of the map read before they are released again: bounds the
/// mapped pages resident at once (per column region in Fortran order).
const WINDOW_BYTES: usize = 8 << 20;

/// Page size assumed when rounding released ranges inward. A larger real
/// page only means a page at a window edge is read in again, never wrong.
const PAGE_BYTES: usize = 4096;

/// An opened, validated `.npy` file (memory-mapped).
pub struct NpyFile {
    path: PathBuf,
    map: Mmap,
    header: NpyHeader,
}

impl NpyFile {
    /// Opens and validates `path`: header, dtype, shape, and that the data
    /// size matches the shape exactly.
    pub fn open(path: &Path) -> Result<Self, ReadError> {
        let file = File::open(path).map_err(|e| ReadError::io(path, e))?;
        let len = file.metadata().map_err(|e| ReadError::io(path, e))?.len();
        if len == 0 {
            return Err(ReadError::npy(path, "file", "empty file (0 bytes)"));
        }
        // SAFETY: the map is only ever read. Input files are treated as
        // immutable while a job reads them; a file truncated underneath us
        // is the one hazard memory maps cannot rule out.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| ReadError::io(path, e))?;
        // Only a hint for read-ahead; reading works the same without it.
        let _ = map.advise(Advice::Sequential);
        let header = header::parse(&map).map_err(|e| ReadError::npy(path, e.field, e.detail))?;
        let npy = NpyFile {
            path: path.to_path_buf(),
            map,
            header,
        };
        npy.check_data_size()?;
        Ok(npy)
    }

    fn check_data_size(&self) -> Result<(), ReadError> {
        let h = &self.header;
        let found = (self.map.len() - h.data_offset) as u64;
        let expected = h
            .rows
            .checked_mul(h.cols as u64)
            .and_then(|n| n.checked_mul(h.dtype.size as u64));
        let Some(expected) = expected else {
            return Err(ReadError::npy(
                &self.path,
                "shape",
                format!("{} of {} is too large", h.shape_text, h.dtype),
            ));
        };
        if expected != found {
            let what = if found < expected {
                "truncated data"
            } else {
                "extra bytes after the data"
            };
            return Err(ReadError::npy(
                &self.path,
                "data",
                format!(
                    "{what}: shape {} of '{}' needs {expected} bytes after the {}-byte header, found {found}",
                    h.shape_text, h.dtype, h.data_offset
                ),
            ));
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn rows(&self) -> u64 {
        self.header.rows
    }

    pub fn cols(&self) -> usize {
        self.header.cols
    }

    pub fn dtype(&self) -> NpyDtype {
        self.header.dtype
    }

    pub fn fortran_order(&self) -> bool {
        self.header.fortran_order
    }

    /// The format version, e.g. `(1, 0)`.
    pub fn version(&self) -> (u8, u8) {
        self.header.version
    }

    /// Summarizes rows `rows` (clamped to the file's rows).
    pub fn summarize_rows(&self, rows: Range<u64>) -> Result<ColumnSummary, ReadError> {
        self.summarize_rows_in_windows(rows, WINDOW_BYTES)
    }

    /// `summarize_rows`, reading at most about `window_bytes` of the map
    /// (at least one row) before releasing it.
    fn summarize_rows_in_windows(
        &self,
        rows: Range<u64>,
        window_bytes: usize,
    ) -> Result<ColumnSummary, ReadError> {
        let cols = self.cols();
        let mut summary = ColumnSummary::new(cols);
        let end = rows.end.min(self.rows());
        let start = rows.start.min(end);
        // The data fits in the map, so every row index fits in usize.
        let (Ok(start), Ok(end)) = (usize::try_from(start), usize::try_from(end)) else {
            return Err(ReadError::npy(
                &self.path,
                "shape",
                "row index does not fit in memory",
            ));
        };
        if start == end {
            return Ok(summary);
        }
        let block_rows = (BLOCK_VALUES / cols).max(1);
        let row_bytes = cols * self.header.dtype.size;
        let window_rows = (window_bytes / row_bytes.max(1)).max(1);
        let mut first = start;
        while first < end {
            let last = first.saturating_add(window_rows).min(end);
            if self.header.fortran_order && cols > 1 {
                self.add_fortran_rows(&mut summary, first..last, block_rows)?;
                for col in 0..cols {
                    self.release_rows_of_column(col, first..last);
                }
            } else {
                self.add_c_rows(&mut summary, first..last, block_rows)?;
                let offset = self.header.data_offset + first * row_bytes;
                self.release(offset..offset + (last - first) * row_bytes);
            }
            first = last;
        }
        Ok(summary)
    }

    /// Releases rows `rows` of column `col` of Fortran-ordered data.
    fn release_rows_of_column(&self, col: usize, rows: Range<usize>) {
        let size = self.header.dtype.size;
        // Fits: the whole data lies in the map.
        let column_start = self.header.data_offset + col * self.header.rows as usize * size;
        self.release(column_start + rows.start * size..column_start + rows.end * size);
    }

    /// Drops the map's pages that lie wholly inside `bytes` from this
    /// process's resident memory (they stay in the page cache).
    fn release(&self, bytes: Range<usize>) {
        let start = bytes.start.next_multiple_of(PAGE_BYTES);
        let end = bytes.end.min(self.map.len()) / PAGE_BYTES * PAGE_BYTES;
        if start >= end {
            return;
        }
        // SAFETY: the map is a read-only mapping of a file that is not
        // written while a job reads it (see `open`), and no slice of these
        // pages is alive across this call. After MADV_DONTNEED the next
        // access faults the same file contents back in, so every later
        // read sees exactly what it would have seen: the advice can only
        // cost time, never change data. A failure only leaves the pages
        // resident.
        let _ = unsafe {
            self.map
                .unchecked_advise_range(UncheckedAdvice::DontNeed, start, end - start)
        };
    }

    fn data(&self) -> &[u8] {
        &self.map[self.header.data_offset..]
    }

    fn add(&self, summary: &mut ColumnSummary, values: &[f64]) -> Result<(), ReadError> {
        summary
            .add_rows(values)
            .map_err(|e| ReadError::summary(&self.path, e))
    }

    /// Rows are contiguous: hand the mapped `f64`s over directly when
    /// possible, otherwise decode a block at a time.
    fn add_c_rows(
        &self,
        summary: &mut ColumnSummary,
        rows: Range<usize>,
        block_rows: usize,
    ) -> Result<(), ReadError> {
        let cols = self.cols();
        let dtype = self.header.dtype;
        let row_bytes = cols * dtype.size;
        let bytes = &self.data()[rows.start * row_bytes..rows.end * row_bytes];
        if dtype.is_native_f64() {
            // SAFETY: every bit pattern is a valid f64; `align_to` only
            // yields the middle part at f64 alignment.
            let (prefix, values, suffix) = unsafe { bytes.align_to::<f64>() };
            if prefix.is_empty() && suffix.is_empty() {
                for block in values.chunks(block_rows * cols) {
                    self.add(summary, block)?;
                }
                return Ok(());
            }
        }
        let mut buffer = vec![0.0; block_rows * cols];
        for block in bytes.chunks(block_rows * row_bytes) {
            let values = block.len() / dtype.size;
            dtype.decode_strided(block, &mut buffer[..values], 1);
            self.add(summary, &buffer[..values])?;
        }
        Ok(())
    }

    /// Each column is contiguous: gather a block of rows from every column
    /// into a row-major buffer.
    fn add_fortran_rows(
        &self,
        summary: &mut ColumnSummary,
        rows: Range<usize>,
        block_rows: usize,
    ) -> Result<(), ReadError> {
        let cols = self.cols();
        let dtype = self.header.dtype;
        // Fits: the whole data lies in the map.
        let total_rows = self.header.rows as usize;
        let data = self.data();
        let mut buffer = vec![0.0; block_rows * cols];
        let mut first = rows.start;
        while first < rows.end {
            let last = (first + block_rows).min(rows.end);
            let values = (last - first) * cols;
            for col in 0..cols {
                let column_start = col * total_rows;
                let src =
                    &data[(column_start + first) * dtype.size..(column_start + last) * dtype.size];
                dtype.decode_strided(src, &mut buffer[col..values], cols);
            }
            self.add(summary, &buffer[..values])?;
            first = last;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::ColumnStats;

    /// A version 1.0 `.npy` file of `values` (already laid out in the
    /// file's order) with the given dtype code and order.
    fn write_npy(
        dir: &Path,
        name: &str,
        descr: &str,
        fortran: bool,
        shape: (usize, usize),
        data: &[u8],
    ) -> PathBuf {
        let mut bytes = npy_header(descr, fortran, &[shape.0, shape.1]);
        bytes.extend_from_slice(data);
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn assert_close(a: &ColumnStats, b: &ColumnStats, what: &str) {
        assert_eq!(a.count(), b.count(), "{what}: count");
        let pairs = [
            (a.mean().unwrap(), b.mean().unwrap()),
            (a.variance().unwrap(), b.variance().unwrap()),
            (a.num_nonzeros().unwrap(), b.num_nonzeros().unwrap()),
            (a.min().unwrap(), b.min().unwrap()),
            (a.max().unwrap(), b.max().unwrap()),
            (a.norm_l1().unwrap(), b.norm_l1().unwrap()),
            (a.norm_l2().unwrap(), b.norm_l2().unwrap()),
        ];
        for (x, y) in pairs {
            for (x, y) in x.iter().zip(&y) {
                assert!(
                    (x - y).abs() <= 1e-9 * x.abs().max(1.0),
                    "{what}: {x} vs {y}"
                );
            }
        }
    }

    #[test]
    fn windows_of_any_size_give_the_same_statistics_in_every_read_path() {
        let dir = tempfile::tempdir().unwrap();
        let (rows, cols) = (5003, 3);
        let values: Vec<f64> = (0..rows * cols)
            .map(|i| ((i * 37 % 101) as f64) - 50.0)
            .collect();
        let mut expected = ColumnSummary::new(cols);
        expected.add_rows(&values[300 * cols..4700 * cols]).unwrap();
        let expected = expected.finish();

        let c_f8: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let column_major: Vec<f64> = (0..cols)
            .flat_map(|c| (0..rows).map(move |r| (r, c)))
            .map(|(r, c)| values[r * cols + c])
            .collect();
        let f_f8: Vec<u8> = column_major.iter().flat_map(|v| v.to_le_bytes()).collect();
        let c_i2: Vec<u8> = values
            .iter()
            .flat_map(|v| (*v as i16).to_le_bytes())
            .collect();
        let files = [
            write_npy(dir.path(), "c.npy", "<f8", false, (rows, cols), &c_f8),
            write_npy(dir.path(), "f.npy", "<f8", true, (rows, cols), &f_f8),
            write_npy(dir.path(), "i2.npy", "<i2", false, (rows, cols), &c_i2),
        ];
        for path in &files {
            let npy = NpyFile::open(path).unwrap();
            for window in [1, 24, 4096, 10_000, 1 << 20] {
                let got = npy.summarize_rows_in_windows(300..4700, window).unwrap();
                assert_close(
                    &got.finish(),
                    &expected,
                    &format!("{path:?} window {window}"),
                );
            }
        }
    }
}
