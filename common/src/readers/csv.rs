//! `.csv` reader: numbers separated by a delimiter, optional header,
//! summarized by byte ranges that begin at the next line start so that
//! partitions read a file in parallel without overlap or loss.

use std::ops::Range;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ReadError;
use crate::stats::ColumnSummary;

/// Whether the first line is a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum HeaderMode {
    /// A first line with any non-numeric cell is a header.
    #[default]
    Auto,
    Present,
    Absent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvOptions {
    pub delimiter: u8,
    pub header: HeaderMode,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions { delimiter: b',', header: HeaderMode::Auto }
    }
}

/// An opened `.csv` file whose column count and header are known.
pub struct CsvFile {
    cols: usize,
    len: u64,
}

impl CsvFile {
    pub fn open(path: &Path, options: CsvOptions) -> Result<Self, ReadError> {
        let _ = (path, options);
        todo!("csv reader")
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    /// File size in bytes.
    pub fn len_bytes(&self) -> u64 {
        self.len
    }

    /// `parts` nominal byte ranges covering the data (ends are not aligned;
    /// `summarize_range` aligns them to line starts).
    pub fn split(&self, parts: usize) -> Vec<Range<u64>> {
        let _ = parts;
        todo!("csv reader")
    }

    /// Summarizes every data line whose first byte lies in `bytes`.
    pub fn summarize_range(&self, bytes: Range<u64>) -> Result<ColumnSummary, ReadError> {
        let _ = bytes;
        todo!("csv reader")
    }
}
