//! Parquet reader: the footer once, then whole row groups, each selected
//! column chunk fetched with one ranged read of its `ByteSource` (a local
//! file or an object) and decoded a batch of rows at a time into a
//! row-major block the kernel consumes while it is in cache. Only numeric
//! columns are read (`columns`); nulls read as NaN (`decode`).
//!
//! Memory per reading thread: the selected, still compressed, column
//! chunks of one row group plus one batch of rows.

mod chunks;
mod columns;
mod columnwise;
mod decode;
mod pages;
mod rle;
mod staged;

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use parquet::column::page::PageReader;
use parquet::errors::ParquetError;
use parquet::file::metadata::{ColumnChunkMetaData, ParquetMetaData, ParquetMetaDataReader};
use parquet::file::serialized_reader::SerializedPageReader;

use super::ReadError;
use super::source::{ByteSource, open_source};
use crate::stats::{ColumnSummary, RowCollector, RowSink, StatsRequest};
use chunks::{ColumnChunk, SourceChunks};
use columns::Chosen;
use decode::ColumnDecoder;

/// Rows decoded per batch: big enough to amortize the per-column calls,
/// small enough for a block of a few columns to stay in cache.
const BATCH_ROWS: usize = 4096;

/// Bytes of the file's end read first: most footers fit, so opening a
/// file (or an object) costs one read.
const FOOTER_PREFETCH: usize = 64 << 10;

/// How a Parquet error starts, so the cause reads as the file's fault.
const CORRUPT: &str = "not a valid Parquet file";

/// An opened Parquet file with its columns chosen.
pub struct ParquetFile {
    source: Arc<dyn ByteSource>,
    metadata: Arc<ParquetMetaData>,
    chosen: Vec<Chosen>,
    skipped: Vec<String>,
}

impl ParquetFile {
    /// Opens the local file or object URL `path` (see `open_source`).
    pub fn open(path: &Path, columns: Option<&[String]>) -> Result<ParquetFile, ReadError> {
        ParquetFile::open_source(open_source(path)?, columns)
    }

    /// Reads `source`'s footer and chooses its columns: those named in
    /// `columns`, in that order (each must be numeric), or every numeric
    /// column when `None` (the others are listed by `skipped_columns`).
    pub fn open_source(
        source: Arc<dyn ByteSource>,
        columns: Option<&[String]>,
    ) -> Result<ParquetFile, ReadError> {
        let name = source.name().to_path_buf();
        let metadata = without_panics(&name, "its footer", || {
            ParquetMetaDataReader::new()
                .with_prefetch_hint(Some(FOOTER_PREFETCH))
                .parse_and_finish(&SourceChunks(Arc::clone(&source)))
                .map_err(|e| parquet_error(&name, e))
        })?;
        let schema = metadata.file_metadata().schema_descr();
        let (chosen, skipped) =
            columns::choose(schema, columns).map_err(|detail| ReadError::parquet(&name, detail))?;
        if chosen.is_empty() {
            return Err(ReadError::parquet(
                &name,
                format!(
                    "no numeric columns (skipped: {})",
                    if skipped.is_empty() {
                        "none".to_owned()
                    } else {
                        skipped.join(", ")
                    }
                ),
            ));
        }
        crate::limits::check_columns("a Parquet selection", chosen.len() as u128)
            .map_err(|detail| ReadError::parquet(&name, detail))?;
        for group in metadata.row_groups() {
            if group.num_rows() < 0 {
                return Err(ReadError::parquet(
                    &name,
                    "a row group has a negative row count",
                ));
            }
        }
        Ok(ParquetFile {
            source,
            metadata: Arc::new(metadata),
            chosen,
            skipped,
        })
    }

    pub fn path(&self) -> &Path {
        self.source.name()
    }

    /// Columns read (the selection).
    pub fn cols(&self) -> usize {
        self.chosen.len()
    }

    /// Names of the columns read, in order.
    pub fn column_names(&self) -> Vec<String> {
        self.chosen.iter().map(|c| c.name.clone()).collect()
    }

    /// Non-numeric columns left out because no selection was given.
    pub fn skipped_columns(&self) -> &[String] {
        &self.skipped
    }

    /// Rows of each row group, in file order.
    pub fn row_group_rows(&self) -> Vec<u64> {
        self.metadata
            .row_groups()
            .iter()
            .map(|group| u64::try_from(group.num_rows()).unwrap_or(0))
            .collect()
    }

    /// Rows of the whole file.
    pub fn rows(&self) -> u64 {
        self.row_group_rows().iter().sum()
    }

    /// Summarizes the rows of row groups `groups`.
    pub fn summarize_row_groups(&self, groups: Range<usize>) -> Result<ColumnSummary, ReadError> {
        self.summarize_row_groups_for(groups, &StatsRequest::default())
    }

    /// `summarize_row_groups`, also computing what `request` asks for.
    pub fn summarize_row_groups_for(
        &self,
        groups: Range<usize>,
        request: &StatsRequest,
    ) -> Result<ColumnSummary, ReadError> {
        let mut summary = ColumnSummary::with_request(self.cols(), request)
            .map_err(|e| ReadError::summary(self.path(), e))?;
        if request.is_plain() {
            // Nothing needs whole rows: column by column is faster.
            self.summarize_columns(groups, &mut summary)?;
        } else {
            self.read_row_groups(groups, &mut summary)?;
        }
        Ok(summary)
    }

    /// Summarizes row groups `groups` as a partition planned to hold
    /// `rows` rows: a file that changed since (other row groups) is an
    /// error rather than a silently different answer.
    pub fn summarize_planned(
        &self,
        groups: &Range<u64>,
        rows: u64,
        request: &StatsRequest,
    ) -> Result<ColumnSummary, ReadError> {
        let sizes = self.row_group_rows();
        let index = |at: u64| usize::try_from(at).ok().filter(|&at| at <= sizes.len());
        let (Some(start), Some(end)) = (index(groups.start), index(groups.end)) else {
            return Err(ReadError::parquet(
                self.path(),
                format!(
                    "row groups {groups:?} asked for, the file has {} (did it change?)",
                    sizes.len()
                ),
            ));
        };
        let found: u64 = sizes.get(start..end).map_or(0, |s| s.iter().sum());
        if found != rows {
            return Err(ReadError::parquet(
                self.path(),
                format!(
                    "row groups {groups:?} hold {found} rows, {rows} were planned (did the file change?)"
                ),
            ));
        }
        self.summarize_row_groups_for(start..end, request)
    }

    /// Every row, row-major (for a driver that serves the rows).
    pub fn read_all(&self) -> Result<Vec<f64>, ReadError> {
        let mut collector = RowCollector::default();
        self.read_row_groups(0..self.metadata.num_row_groups(), &mut collector)?;
        Ok(collector.values)
    }

    /// Feeds the rows of row groups `groups` to `sink`, in order.
    pub fn read_row_groups<S: RowSink>(
        &self,
        groups: Range<usize>,
        sink: &mut S,
    ) -> Result<(), ReadError> {
        self.check_groups(&groups)?;
        let mut block = Vec::new();
        for group in groups {
            let what = format!("row group {group}");
            without_panics(self.path(), &what, || {
                self.read_row_group(group, &mut block, sink)
            })?;
        }
        Ok(())
    }

    fn check_groups(&self, groups: &Range<usize>) -> Result<(), ReadError> {
        let count = self.metadata.num_row_groups();
        if groups.start > groups.end || groups.end > count {
            return Err(ReadError::parquet(
                self.path(),
                format!("row groups {groups:?} asked for, the file has {count}"),
            ));
        }
        Ok(())
    }

    fn read_row_group<S: RowSink>(
        &self,
        group: usize,
        block: &mut Vec<f64>,
        sink: &mut S,
    ) -> Result<(), ReadError> {
        let path = self.path();
        let at = |e: ParquetError| group_error(path, group, e);
        let rows = self.row_group_rows()[group];
        let total = usize::try_from(rows)
            .map_err(|_| ReadError::parquet(path, format!("row group {group} is too large")))?;
        let mut decoders = self
            .chosen
            .iter()
            .map(|chosen| {
                let pages = self.pages(group, chosen, total)?;
                ColumnDecoder::new(chosen, pages).map_err(at)
            })
            .collect::<Result<Vec<_>, ReadError>>()?;
        let ncols = self.cols();
        let mut done = 0;
        while done < total {
            let batch = BATCH_ROWS.min(total - done);
            block.clear();
            block.resize(batch * ncols, 0.0);
            for (col, decoder) in decoders.iter_mut().enumerate() {
                decoder.read_into(batch, block, ncols, col).map_err(at)?;
            }
            sink.add_rows(block)
                .map_err(|e| ReadError::summary(path, e))?;
            done += batch;
        }
        Ok(())
    }

    /// The pages of one column chunk, its bytes fetched with one read.
    fn pages(
        &self,
        group: usize,
        chosen: &Chosen,
        rows: usize,
    ) -> Result<Box<dyn PageReader>, ReadError> {
        let range = self.chunk_range(group, chosen)?;
        let bytes = self
            .source
            .read_range(range.clone())
            .map_err(|e| ReadError::io(self.path(), e))?;
        let meta = self.metadata.row_group(group).column(chosen.index);
        Ok(Box::new(self.page_reader(
            group,
            meta,
            range.start,
            bytes,
            rows,
        )?))
    }

    /// Where one column chunk lies in the file.
    fn chunk_range(&self, group: usize, chosen: &Chosen) -> Result<Range<u64>, ReadError> {
        let meta = self.metadata.row_group(group).column(chosen.index);
        // `byte_range` (also called by the page reader) panics on negative
        // values: checked here first.
        let start = meta
            .dictionary_page_offset()
            .unwrap_or(meta.data_page_offset());
        u64::try_from(start)
            .ok()
            .zip(u64::try_from(meta.compressed_size()).ok())
            .and_then(|(start, len)| Some(start..start.checked_add(len)?))
            .ok_or_else(|| {
                ReadError::parquet(
                    self.path(),
                    format!(
                        "{CORRUPT}: row group {group}: a column chunk has a negative offset or size"
                    ),
                )
            })
    }

    /// The page reader of a column chunk whose `bytes` start at `offset`.
    fn page_reader(
        &self,
        group: usize,
        meta: &ColumnChunkMetaData,
        offset: u64,
        bytes: Bytes,
        rows: usize,
    ) -> Result<SerializedPageReader<ColumnChunk>, ReadError> {
        let chunk = ColumnChunk {
            offset,
            bytes,
            file_len: self.source.len(),
        };
        SerializedPageReader::new(Arc::new(chunk), meta, rows, None).map_err(|e| {
            ReadError::parquet(self.path(), format!("{CORRUPT}: row group {group}: {e}"))
        })
    }
}

/// `parquet_error` naming row group `group` too.
fn group_error(path: &Path, group: usize, error: ParquetError) -> ReadError {
    match error {
        ParquetError::External(_) => parquet_error(path, error),
        ParquetError::General(message) => parquet_error(
            path,
            ParquetError::General(format!("row group {group}: {message}")),
        ),
        other => parquet_error(
            path,
            ParquetError::General(format!("row group {group}: {other}")),
        ),
    }
}

/// A Parquet error as a `ReadError` naming the file; an error of the
/// byte source (I/O, network) comes back as it was.
fn parquet_error(path: &Path, error: ParquetError) -> ReadError {
    match error {
        ParquetError::External(inner) => match inner.downcast::<ReadError>() {
            Ok(read) => *read,
            Err(other) => ReadError::parquet(path, format!("{CORRUPT}: {other}")),
        },
        ParquetError::General(message) => ReadError::parquet(path, format!("{CORRUPT}: {message}")),
        other => ReadError::parquet(path, format!("{CORRUPT}: {other}")),
    }
}

/// Runs `read`, turning a panic into an error naming the file and `what`
/// was read: the parquet crate panics on some corrupt files (a data page
/// that names a dictionary its column chunk lacks, found by fuzzing), and
/// a corrupt file is bad input, not a reason to end the process (a user's
/// notebook kernel, say). Whatever `read` filled is dropped with the error.
fn without_panics<T>(
    path: &Path,
    what: &str,
    read: impl FnOnce() -> Result<T, ReadError>,
) -> Result<T, ReadError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|panic| {
        let reason = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no reason given".into());
        Err(ReadError::parquet(
            path,
            format!("{what} is corrupt: the Parquet decoder failed ({reason})"),
        ))
    })
}
