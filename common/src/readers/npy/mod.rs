//! `.npy` reader: versions 1.0/2.0/3.0, C and Fortran order, both
//! endiannesses, float/int/uint/bool dtypes, 1-D and 2-D, by row range.
//! Native `f64` rows of a local file are summarized straight from a
//! guarded memory map (`mapped`: a fault is an error, not SIGBUS). Other
//! data (other dtypes, Fortran order, objects) is read with positioned
//! reads (`positioned`) into a buffer of one block of rows per worker
//! thread, which the kernel consumes while it is still in cache: native
//! `f64` rows land in the buffer as they are, other types are decoded from
//! a byte buffer. Either way a file that shrinks or fails under a read
//! gives an error naming it, and the process's resident memory stays flat
//! however large the partition.

mod collect;
mod dtype;
mod header;
mod literal;
mod mapped;
mod positioned;
mod prefetch;
mod write;

use std::cell::RefCell;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{ByteSource, ReadError, open_source};
use crate::stats::{ColumnSummary, StatsRequest};
pub use dtype::{ElementKind, NpyDtype};
use header::NpyHeader;
use mapped::MappedRows;
use positioned::{f64_bytes_mut, more_header_to_read, read_data, read_prefix};
pub use write::{npy_header, write_npy_f64};

/// Values per block read and handed to the kernel: big enough to amortize
/// the read and the call, small enough to stay in cache between them.
const BLOCK_VALUES: usize = 1 << 15;

/// Values per chunk read ahead of the kernel (several blocks), when a
/// partition spans more than one chunk of native `f64` rows.
const CHUNK_VALUES: usize = 4 * BLOCK_VALUES;

/// Bytes read at a time when a whole file is loaded (`read_all`).
const WINDOW_BYTES: usize = 8 << 20;

/// Whether native rows of a local file may be read through its map (tests
/// also ask for the positioned reads, to check both paths).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadVia {
    MapWhenAble,
    #[cfg(test)]
    PositionedReads,
}

/// A worker thread's read buffers, reused by every partition it reads.
#[derive(Default)]
struct Buffers {
    values: Vec<f64>,
    bytes: Vec<u8>,
}

thread_local! {
    static BUFFERS: RefCell<Buffers> = RefCell::new(Buffers::default());
}

/// An opened, validated `.npy` file.
pub struct NpyFile {
    path: PathBuf,
    file: Arc<dyn ByteSource>,
    len: u64,
    header: NpyHeader,
}

impl NpyFile {
    /// Opens and validates `path`: header, dtype, shape, and that the data
    /// size matches the shape exactly.
    pub fn open(path: &Path) -> Result<Self, ReadError> {
        let file = open_source(path)?;
        let len = file.len();
        if len == 0 {
            return Err(ReadError::npy(path, "file", "empty file (0 bytes)"));
        }
        let prefix = read_prefix(path, file.as_ref(), len, false)?;
        let header = match header::parse(&prefix) {
            // A header longer than the first read: read up to the largest
            // accepted and let that decide.
            Err(_) if more_header_to_read(len, prefix.len()) => {
                header::parse(&read_prefix(path, file.as_ref(), len, true)?)
            }
            parsed => parsed,
        }
        .map_err(|e| ReadError::npy(path, e.field, e.detail))?;
        let npy = NpyFile {
            path: path.to_path_buf(),
            file,
            len,
            header,
        };
        npy.check_data_size()?;
        Ok(npy)
    }

    fn check_data_size(&self) -> Result<(), ReadError> {
        let h = &self.header;
        let found = self.len - h.data_offset as u64;
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
        self.summarize_rows_for(rows, &StatsRequest::default())
    }

    /// `summarize_rows`, also computing what `request` asks for.
    pub fn summarize_rows_for(
        &self,
        rows: Range<u64>,
        request: &StatsRequest,
    ) -> Result<ColumnSummary, ReadError> {
        self.summarize_rows_in_windows(rows, BLOCK_VALUES * 8, request, ReadVia::MapWhenAble)
    }

    /// `summarize_rows`, reading at most about `window_bytes` (at least
    /// one row, at most a block) at a time when it reads by position.
    fn summarize_rows_in_windows(
        &self,
        rows: Range<u64>,
        window_bytes: usize,
        request: &StatsRequest,
        via: ReadVia,
    ) -> Result<ColumnSummary, ReadError> {
        let cols = self.cols();
        let mut summary = ColumnSummary::with_request(cols, request)
            .map_err(|e| ReadError::summary(&self.path, e))?;
        let end = rows.end.min(self.rows());
        let start = rows.start.min(end);
        // The data fits in the file's length, so every row index fits in usize.
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
        let row_bytes = cols * self.header.dtype.size;
        let block_rows = (BLOCK_VALUES / cols)
            .min(window_bytes / row_bytes.max(1))
            .max(1);
        let chunk_rows = (CHUNK_VALUES / cols).max(1);
        let c_order = !self.header.fortran_order || cols == 1;
        let native_rows = c_order && self.header.dtype.is_native_f64();
        if let Some(map) = self
            .file
            .map()
            .filter(|_| native_rows && via == ReadVia::MapWhenAble)
            && MappedRows::aligned(self.header.data_offset)
        {
            let mapped = MappedRows {
                path: &self.path,
                map,
                data_offset: self.header.data_offset,
                file_len: self.len,
                cols,
            };
            mapped.add_rows(&mut summary, start..end)?;
            return Ok(summary);
        }
        let running = prefetch::RunningPartition::start();
        let large = end - start > chunk_rows;
        if native_rows && large && running.read_ahead {
            self.add_prefetched_rows(&mut summary, start..end, block_rows, chunk_rows)?;
            return Ok(summary);
        }
        BUFFERS.with_borrow_mut(|buffers| {
            let values = block_rows * cols;
            if buffers.values.len() < values {
                buffers.values.resize(values, 0.0);
            }
            if buffers.bytes.len() < values * self.header.dtype.size {
                buffers.bytes.resize(values * self.header.dtype.size, 0);
            }
            if self.header.fortran_order && cols > 1 {
                self.add_fortran_rows(&mut summary, start..end, block_rows, buffers)
            } else {
                self.add_c_rows(&mut summary, start..end, block_rows, buffers)
            }
        })?;
        Ok(summary)
    }

    /// Fills `dst` with data bytes from `offset` (from the first data byte).
    fn read(&self, offset: usize, dst: &mut [u8]) -> Result<(), ReadError> {
        read_data(
            &self.path,
            self.file.as_ref(),
            self.header.data_offset,
            offset,
            dst,
        )
    }

    fn add(&self, summary: &mut ColumnSummary, values: &[f64]) -> Result<(), ReadError> {
        summary
            .add_rows(values)
            .map_err(|e| ReadError::summary(&self.path, e))
    }

    /// Rows are contiguous: read a block of rows at a time, straight into
    /// the value buffer when they are native `f64`, else decoded.
    fn add_c_rows(
        &self,
        summary: &mut ColumnSummary,
        rows: Range<usize>,
        block_rows: usize,
        buffers: &mut Buffers,
    ) -> Result<(), ReadError> {
        let cols = self.cols();
        let dtype = self.header.dtype;
        let row_bytes = cols * dtype.size;
        let mut first = rows.start;
        while first < rows.end {
            let last = (first + block_rows).min(rows.end);
            let count = (last - first) * cols;
            let values = &mut buffers.values[..count];
            if dtype.is_native_f64() {
                self.read(first * row_bytes, f64_bytes_mut(values))?;
            } else {
                let bytes = &mut buffers.bytes[..count * dtype.size];
                self.read(first * row_bytes, bytes)?;
                dtype.decode_strided(bytes, values, 1);
            }
            self.add(summary, values)?;
            first = last;
        }
        Ok(())
    }

    /// Native `f64` rows, read a chunk ahead on another thread and
    /// summarized a block at a time.
    fn add_prefetched_rows(
        &self,
        summary: &mut ColumnSummary,
        rows: Range<usize>,
        block_rows: usize,
        chunk_rows: usize,
    ) -> Result<(), ReadError> {
        let cols = self.cols();
        let row_bytes = cols * self.header.dtype.size;
        let read = |first: usize, dst: &mut [f64]| self.read(first * row_bytes, f64_bytes_mut(dst));
        let mut consume = |values: &[f64]| {
            values
                .chunks(block_rows * cols)
                .try_for_each(|block| self.add(summary, block))
        };
        let io_error = |e| ReadError::io(&self.path, e);
        prefetch::prefetched(rows, cols, chunk_rows, &read, &mut consume, io_error)
    }

    /// Each column is contiguous: gather a block of rows from every column
    /// into a row-major buffer.
    fn add_fortran_rows(
        &self,
        summary: &mut ColumnSummary,
        rows: Range<usize>,
        block_rows: usize,
        buffers: &mut Buffers,
    ) -> Result<(), ReadError> {
        let cols = self.cols();
        let size = self.header.dtype.size;
        // Fits: the whole data lies in the file, whose length was checked.
        let total_rows = self.header.rows as usize;
        let mut first = rows.start;
        while first < rows.end {
            let last = (first + block_rows).min(rows.end);
            let count = (last - first) * cols;
            for col in 0..cols {
                let bytes = &mut buffers.bytes[..(last - first) * size];
                self.read((col * total_rows + first) * size, bytes)?;
                let column = &mut buffers.values[col..count];
                self.header.dtype.decode_strided(bytes, column, cols);
            }
            self.add(summary, &buffers.values[..count])?;
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
        let request = StatsRequest::default();
        for path in &files {
            let npy = NpyFile::open(path).unwrap();
            for window in [1, 24, 4096, 10_000, 1 << 20] {
                for via in [ReadVia::MapWhenAble, ReadVia::PositionedReads] {
                    let got = npy
                        .summarize_rows_in_windows(300..4700, window, &request, via)
                        .unwrap();
                    assert_close(
                        &got.finish(),
                        &expected,
                        &format!("{path:?} window {window} {via:?}"),
                    );
                }
            }
        }
    }

    #[test]
    fn rows_read_ahead_give_the_same_statistics_as_one_block_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let (rows, cols) = (100_003, 3);
        let values: Vec<f64> = (0..rows * cols)
            .map(|i| ((i * 7 % 89) as f64) - 40.0)
            .collect();
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let path = write_npy(dir.path(), "big.npy", "<f8", false, (rows, cols), &bytes);
        let npy = NpyFile::open(&path).unwrap();
        for range in [0..rows as u64, 17..99_000, 50_000..rows as u64] {
            let mut expected = ColumnSummary::new(cols);
            let (a, b) = (range.start as usize, range.end as usize);
            expected.add_rows(&values[a * cols..b * cols]).unwrap();
            // More rows than a chunk: read ahead on another thread (when a
            // core is free), or straight from the map.
            assert!(b - a > CHUNK_VALUES / cols);
            let request = StatsRequest::default();
            let window = BLOCK_VALUES * 8;
            let read = npy
                .summarize_rows_in_windows(
                    range.clone(),
                    window,
                    &request,
                    ReadVia::PositionedReads,
                )
                .unwrap();
            let mapped = npy.summarize_rows(range.clone()).unwrap();
            assert_eq!(mapped.count(), (b - a) as u64);
            assert_close(
                &mapped.finish(),
                &expected.clone().finish(),
                &format!("mapped {range:?}"),
            );
            let got = read;
            assert_eq!(got.count(), (b - a) as u64);
            assert_close(&got.finish(), &expected.finish(), &format!("{range:?}"));
        }
    }
}
