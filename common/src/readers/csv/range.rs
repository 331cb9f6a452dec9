//! Summarizing the data lines between two line starts of a `.csv` file:
//! the `csv` crate splits lines into cells, this module checks the cell
//! count, parses numbers, feeds the kernel in blocks, and turns problems
//! into errors with absolute line and column numbers.

use std::io::{Read, SeekFrom};
use std::ops::Range;
use std::path::PathBuf;

use super::cell;
use super::lines::{LineLimit, newlines_before};
use crate::readers::ReadError;
use crate::stats::{ColumnSummary, RowSink};

/// Values per block handed to the kernel.
const BLOCK_VALUES: usize = 1 << 15;

/// What range reading needs to know about the file.
#[derive(Debug, Clone)]
pub(crate) struct CsvLayout {
    pub path: PathBuf,
    pub delimiter: u8,
    pub cols: usize,
    pub len: u64,
    pub ends_with_newline: bool,
}

/// A cell-splitting reader: one record per physical line (no quoting, so
/// every newline ends a record, which keeps byte ranges independent).
pub(crate) fn line_reader<R: Read>(delimiter: u8, input: R) -> ::csv::Reader<R> {
    ::csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .quoting(false)
        .flexible(true)
        .terminator(::csv::Terminator::Any(b'\n'))
        .buffer_capacity(64 * 1024)
        .from_reader(input)
}

/// A problem found in the line that was read last.
enum LineProblem {
    Ragged { found: usize },
    NotANumber { column: usize, cell: String },
}

/// Adds the lines starting in `lines` (both ends are line starts) to `summary`.
pub(crate) fn summarize_lines(
    layout: &CsvLayout,
    lines: Range<u64>,
    mut summary: ColumnSummary,
) -> Result<ColumnSummary, ReadError> {
    visit_lines(layout, lines, &mut summary)?;
    Ok(summary)
}

/// Hands the rows of the lines starting in `lines` to `sink`, in blocks.
pub(crate) fn visit_lines(
    layout: &CsvLayout,
    lines: Range<u64>,
    summary: &mut impl RowSink,
) -> Result<(), ReadError> {
    let cols = layout.cols;
    if lines.start >= lines.end {
        return Ok(());
    }
    let (mut file, _) = crate::readers::open_reader(&layout.path)?;
    file.seek(SeekFrom::Start(lines.start))
        .map_err(|e| ReadError::io(&layout.path, e))?;
    let input_len = lines.end - lines.start;
    let input = LineLimit::new(
        (&mut file).take(input_len),
        crate::limits::max_csv_line_bytes(),
    );
    let mut reader = line_reader(layout.delimiter, input);
    let mut record = ::csv::ByteRecord::new();
    let block_rows = (BLOCK_VALUES / cols.max(1)).max(1);
    let mut block = Vec::with_capacity(block_rows * cols);
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| csv_error(layout, e))?
    {
        if cell::is_blank(&record, layout.delimiter) {
            continue;
        }
        if let Err(problem) = push_row(&record, cols, &mut block) {
            let end = reader.position();
            // A record that ends with its newline has moved the line count
            // past itself; only the file's unterminated last line has not.
            let unterminated =
                end.byte() == input_len && lines.end == layout.len && !layout.ends_with_newline;
            let line_in_range = if unterminated {
                end.line()
            } else {
                end.line().saturating_sub(1)
            };
            let before = newlines_before(&mut file, lines.start)
                .map_err(|e| ReadError::io(&layout.path, e))?;
            return Err(problem_error(layout, before + line_in_range, problem));
        }
        if block.len() >= block_rows * cols {
            summary
                .add_rows(&block)
                .map_err(|e| ReadError::summary(&layout.path, e))?;
            block.clear();
        }
    }
    summary
        .add_rows(&block)
        .map_err(|e| ReadError::summary(&layout.path, e))?;
    Ok(())
}

/// Appends the record's numbers to `block`, or says what is wrong with it
/// (leaving `block` as it was).
fn push_row(
    record: &::csv::ByteRecord,
    cols: usize,
    block: &mut Vec<f64>,
) -> Result<(), LineProblem> {
    if record.len() != cols {
        return Err(LineProblem::Ragged {
            found: record.len(),
        });
    }
    let row_start = block.len();
    for (index, raw) in record.iter().enumerate() {
        match cell::parse_number(raw) {
            Some(value) => block.push(value),
            None => {
                block.truncate(row_start);
                return Err(LineProblem::NotANumber {
                    column: index + 1,
                    cell: cell::shown(raw),
                });
            }
        }
    }
    Ok(())
}

fn problem_error(layout: &CsvLayout, line: u64, problem: LineProblem) -> ReadError {
    let (column, detail) = match problem {
        LineProblem::Ragged { found } => {
            // Point at the first missing or first extra cell.
            let column = found.min(layout.cols) + 1;
            (
                column,
                format!("ragged row: expected {} fields, found {found}", layout.cols),
            )
        }
        LineProblem::NotANumber { column, cell } => (column, format!("not a number: {cell}")),
    };
    ReadError::Csv {
        path: layout.path.clone(),
        line,
        column: column as u64,
        detail,
    }
}

fn csv_error(layout: &CsvLayout, error: ::csv::Error) -> ReadError {
    match error.into_kind() {
        ::csv::ErrorKind::Io(e) => ReadError::io(&layout.path, e),
        other => ReadError::CsvFile {
            path: layout.path.clone(),
            detail: format!("{other:?}"),
        },
    }
}
