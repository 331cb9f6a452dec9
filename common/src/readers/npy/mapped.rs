//! Native `f64` rows of a local `.npy` summarized straight from a guarded
//! memory map (`GuardedMap`): no copy out of the page cache. The rows are
//! taken a window at a time; after each window the map is checked for a
//! fault (the file shrank, or could not be read) before going on, and the
//! window's pages are released so resident memory stays flat.

use std::ops::Range;
use std::path::Path;

use crate::readers::{GuardedMap, ReadError};
use crate::stats::ColumnSummary;

/// Bytes of rows summarized between two checks of the map.
const WINDOW_BYTES: usize = 4 << 20;

/// The data of a mapped `.npy`: where it starts in the file, how long the
/// file was when opened, and its row width.
pub(super) struct MappedRows<'a> {
    pub path: &'a Path,
    pub map: &'a GuardedMap,
    pub data_offset: usize,
    pub file_len: u64,
    pub cols: usize,
}

impl MappedRows<'_> {
    /// Whether rows at `data_offset` of a map can be read as `f64` in
    /// place (a map starts on a page, so the offset decides alignment).
    pub fn aligned(data_offset: usize) -> bool {
        data_offset.is_multiple_of(std::mem::align_of::<f64>())
    }

    /// Adds rows `rows` to `summary`, a window at a time.
    pub fn add_rows(
        &self,
        summary: &mut ColumnSummary,
        rows: Range<usize>,
    ) -> Result<(), ReadError> {
        let row_bytes = self.cols * 8;
        let window_rows = (WINDOW_BYTES / row_bytes).max(1);
        let mut first = rows.start;
        while first < rows.end {
            let last = (first + window_rows).min(rows.end);
            let bytes = self.data_offset + first * row_bytes..self.data_offset + last * row_bytes;
            let Some(values) = as_f64(&self.map.bytes()[bytes.clone()]) else {
                return Err(ReadError::npy(
                    self.path,
                    "data",
                    "rows not 8-byte aligned in the map",
                ));
            };
            summary
                .add_rows(values)
                .map_err(|e| ReadError::summary(self.path, e))?;
            self.map.check().map_err(|_| self.fault())?;
            self.map.release(bytes);
            first = last;
        }
        Ok(())
    }

    /// The error for a faulted map: the file shrank (as a positioned read
    /// would have found), or else an I/O error under the map.
    fn fault(&self) -> ReadError {
        match std::fs::metadata(self.path) {
            Ok(meta) if meta.len() < self.file_len => ReadError::npy(
                self.path,
                "data",
                format!(
                    "file is shorter than its header says: it shrank from {} to {} bytes while it was read, found EOF",
                    self.file_len,
                    meta.len()
                ),
            ),
            _ => ReadError::io(
                self.path,
                std::io::Error::other(
                    "an I/O error while reading the file (its memory map faulted)",
                ),
            ),
        }
    }
}

/// `bytes` as native `f64`s, if they are 8-byte aligned whole values.
fn as_f64(bytes: &[u8]) -> Option<&[f64]> {
    // SAFETY: every bit pattern is a valid f64; `align_to` puts any
    // misaligned head or tail aside, and then the bytes are not used.
    let (head, values, tail) = unsafe { bytes.align_to::<f64>() };
    (head.is_empty() && tail.is_empty()).then_some(values)
}
