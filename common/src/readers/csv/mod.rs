//! `.csv` reader: numbers separated by a delimiter, optional header,
//! summarized by byte ranges that begin at the next line start so that
//! partitions read a file in parallel without overlap or loss.
//!
//! A range `a..b` covers exactly the data lines whose first byte lies in
//! it; since every line has one first byte, any split of the file into
//! contiguous ranges reads every line once. That only holds if every
//! newline ends a record, so quoting is not interpreted: a cell may be
//! wrapped in double quotes (`"1.5"`), but a quoted newline or delimiter is
//! not supported. Blank (whitespace-only) lines are skipped anywhere.

mod cell;
mod lines;
mod range;

use std::ops::Range;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ReadError;
use crate::stats::{ColumnSummary, RowCollector, StatsRequest};
use lines::{LineScanner, line_start_at_or_after};
use range::{CsvLayout, line_reader, summarize_lines};

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
        CsvOptions {
            delimiter: b',',
            header: HeaderMode::Auto,
        }
    }
}

/// An opened `.csv` file whose column count and header are known.
pub struct CsvFile {
    layout: CsvLayout,
    /// Offset of the first byte that may start a data line (past the
    /// header line and any byte order mark).
    data_start: u64,
    header: Option<Vec<String>>,
}

impl CsvFile {
    /// Opens `path`, reading only its first non-blank lines: they give the
    /// column count and decide whether a header is present.
    pub fn open(path: &Path, options: CsvOptions) -> Result<Self, ReadError> {
        let file_error = |detail: &str| ReadError::CsvFile {
            path: path.to_path_buf(),
            detail: detail.to_string(),
        };
        if matches!(options.delimiter, b'\n' | b'\r' | b'"') {
            return Err(file_error(&format!(
                "the delimiter {:?} cannot be a line end or a double quote",
                char::from(options.delimiter)
            )));
        }
        let io = |e| ReadError::io(path, e);
        let (mut file, len) = super::open_reader(path)?;
        let mut scanner = LineScanner::new(&mut file).map_err(io)?;
        let Some(first) = scanner.next_content_line().map_err(io)? else {
            return Err(file_error(if len == 0 {
                "empty file: no data rows"
            } else {
                "empty file: only blank lines, no data rows"
            }));
        };
        // Counted before splitting, so the cap bounds what splitting holds.
        let cols = memchr::memchr_iter(options.delimiter, &first.bytes).count() + 1;
        crate::limits::check_columns("the first line", cols as u128)
            .map_err(|detail| file_error(&detail))?;
        let fields =
            split_line(options.delimiter, &first.bytes).map_err(|e| ReadError::io(path, e))?;
        let has_header = match options.header {
            HeaderMode::Present => true,
            HeaderMode::Absent => false,
            HeaderMode::Auto => fields.iter().any(|f| cell::parse_number(f).is_none()),
        };
        let (data_start, header) = if has_header {
            if scanner.next_content_line().map_err(io)?.is_none() {
                return Err(file_error("the file has only a header line, no data rows"));
            }
            let names = fields
                .iter()
                .map(|f| String::from_utf8_lossy(f.trim_ascii()).into_owned())
                .collect();
            (first.end, Some(names))
        } else {
            // Lines before the first content line are blank (or a byte order mark).
            (first.start, None)
        };
        let ends_with_newline = lines::ends_with_newline(&mut file, len).map_err(io)?;
        let layout = CsvLayout {
            path: path.to_path_buf(),
            delimiter: options.delimiter,
            cols: fields.len(),
            len,
            ends_with_newline,
        };
        Ok(CsvFile {
            layout,
            data_start,
            header,
        })
    }

    pub fn path(&self) -> &Path {
        &self.layout.path
    }

    pub fn cols(&self) -> usize {
        self.layout.cols
    }

    /// File size in bytes.
    pub fn len_bytes(&self) -> u64 {
        self.layout.len
    }

    /// The header's cell texts, trimmed, when the file has a header line.
    pub fn header(&self) -> Option<&[String]> {
        self.header.as_deref()
    }

    /// `parts` nominal byte ranges covering the whole file (ends are not
    /// aligned; `summarize_range` aligns them to line starts). `parts` of 0
    /// is taken as 1.
    pub fn split(&self, parts: usize) -> Vec<Range<u64>> {
        let parts = parts.max(1) as u128;
        let len = u128::from(self.layout.len);
        // Each bound is at most `len`, so it fits back in u64.
        let bound = |i: u128| (len * i / parts) as u64;
        (0..parts).map(|i| bound(i)..bound(i + 1)).collect()
    }

    /// Summarizes every data line whose first byte lies in `bytes`.
    pub fn summarize_range(&self, bytes: Range<u64>) -> Result<ColumnSummary, ReadError> {
        self.summarize_range_for(bytes, &StatsRequest::default())
    }

    /// `summarize_range`, also computing what `request` asks for.
    pub fn summarize_range_for(
        &self,
        bytes: Range<u64>,
        request: &StatsRequest,
    ) -> Result<ColumnSummary, ReadError> {
        let len = self.layout.len;
        let (start, end) = (bytes.start.min(len), bytes.end.min(len));
        let summary = ColumnSummary::with_request(self.cols(), request)
            .map_err(|e| ReadError::summary(&self.layout.path, e))?;
        if start >= end {
            return Ok(summary);
        }
        let io = |e| ReadError::io(&self.layout.path, e);
        let (mut file, _) = super::open_reader(&self.layout.path)?;
        let first_line = line_start_at_or_after(&mut file, start, len)
            .map_err(io)?
            .max(self.data_start);
        let past_last_line = line_start_at_or_after(&mut file, end, len).map_err(io)?;
        summarize_lines(&self.layout, first_line..past_last_line, summary)
    }

    /// Every data row, row-major (to hold a whole file in memory).
    pub fn read_all(&self) -> Result<Vec<f64>, ReadError> {
        let mut rows = RowCollector::default();
        range::visit_lines(&self.layout, self.data_start..self.layout.len, &mut rows)?;
        Ok(rows.values)
    }
}

/// The cells of one line, split exactly as range reading splits them.
fn split_line(delimiter: u8, line: &[u8]) -> std::io::Result<::csv::ByteRecord> {
    let mut record = ::csv::ByteRecord::new();
    line_reader(delimiter, line)
        .read_byte_record(&mut record)
        .map_err(std::io::Error::other)?;
    Ok(record)
}
