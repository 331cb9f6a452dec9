//! `.npy` reader: versions 1.0/2.0/3.0, C and Fortran order, both
//! endiannesses, float/int/uint/bool dtypes, 1-D and 2-D, by row range.
//! The file is memory-mapped; rows reach the kernel in blocks, straight
//! from the map when the data already is aligned native `f64` rows.

mod dtype;
mod header;
mod literal;

use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use super::ReadError;
use crate::stats::ColumnSummary;
pub use dtype::{ElementKind, NpyDtype};
use header::NpyHeader;

/// Values per block handed to the kernel: big enough to amortize the call,
/// small enough to stay in cache.
const BLOCK_VALUES: usize = 1 << 15;

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
        if self.header.fortran_order && cols > 1 {
            self.add_fortran_rows(&mut summary, start..end, block_rows)?;
        } else {
            self.add_c_rows(&mut summary, start..end, block_rows)?;
        }
        Ok(summary)
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
