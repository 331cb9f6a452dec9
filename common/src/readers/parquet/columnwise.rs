//! Column-wise reading, for jobs that ask for the eight statistics only
//! (no optional part needs whole rows): each selected column chunk of a
//! row group is read on its own, into a buffer kept from chunk to chunk,
//! and its values go to the column kernel as they are decoded, never
//! placed into rows. DOUBLE chunks take the short path of `pages.rs`;
//! other columns, and a DOUBLE chunk with a page that path does not read,
//! go through the generic `ColumnDecoder` a batch at a time.
//!
//! Memory per reading thread: one column chunk and one page.

use std::ops::Range;

use bytes::Bytes;
use parquet::basic::Compression;
use parquet::errors::ParquetError;

use super::columns::{Chosen, Numeric};
use super::decode::ColumnDecoder;
use super::pages::{PageBuffers, read_doubles};
use super::staged::Staged;
use super::{BATCH_ROWS, CORRUPT, ParquetFile, group_error, without_panics};
use crate::readers::ReadError;
use crate::stats::{ColumnAccumulator, ColumnSummary};

/// Buffers kept across the chunks of a partition.
#[derive(Default)]
struct Buffers {
    chunk: Vec<u8>,
    pages: PageBuffers,
    batch: Vec<f64>,
    staged: Staged,
}

impl ParquetFile {
    /// Adds the rows of row groups `groups` to `summary` column by column
    /// (`summary` must have no optional parts).
    pub(super) fn summarize_columns(
        &self,
        groups: Range<usize>,
        summary: &mut ColumnSummary,
    ) -> Result<(), ReadError> {
        self.check_groups(&groups)?;
        let mut buffers = Buffers::default();
        for group in groups {
            let what = format!("row group {group}");
            let columns = without_panics(self.path(), &what, || {
                self.chosen
                    .iter()
                    .map(|chosen| self.summarize_chunk(group, chosen, &mut buffers))
                    .collect::<Result<Vec<_>, _>>()
            })?;
            summary
                .merge_columns(&columns)
                .map_err(|e| ReadError::summary(self.path(), e))?;
        }
        Ok(())
    }

    /// One column chunk's statistics.
    fn summarize_chunk(
        &self,
        group: usize,
        chosen: &Chosen,
        buffers: &mut Buffers,
    ) -> Result<ColumnAccumulator, ReadError> {
        let path = self.path();
        let rows = self.row_group_rows()[group];
        let total = usize::try_from(rows)
            .map_err(|_| ReadError::parquet(path, format!("row group {group} is too large")))?;
        let range = self.chunk_range(group, chosen)?;
        self.source
            .read_range_into(range.clone(), &mut buffers.chunk)
            .map_err(|e| ReadError::io(path, e))?;
        let bytes = Bytes::from(std::mem::take(&mut buffers.chunk));
        let meta = self.metadata.row_group(group).column(chosen.index);
        buffers.staged.reset();
        let mut done = false;
        if chosen.numeric == Numeric::Double {
            // Snappy pages are handed over as stored and decompressed by
            // `read_doubles` into a buffer it keeps: the page reader is
            // told they are not compressed.
            let own_snappy = meta.compression() == Compression::SNAPPY;
            let plain_meta;
            let meta = if own_snappy {
                plain_meta = meta
                    .clone()
                    .into_builder()
                    .set_compression(Compression::UNCOMPRESSED)
                    .build()
                    .map_err(|e| group_error(path, group, e))?;
                &plain_meta
            } else {
                meta
            };
            let mut pages = self.page_reader(group, meta, range.start, bytes.clone(), total)?;
            done = read_doubles(
                &mut pages,
                own_snappy,
                chosen.descr.max_def_level(),
                rows,
                &mut buffers.staged,
                &mut buffers.pages,
            )
            .map_err(|e| group_error(path, group, e))?;
            if !done {
                buffers.staged.reset();
            }
        }
        if !done {
            let pages = self.page_reader(group, meta, range.start, bytes.clone(), total)?;
            let decoder = ColumnDecoder::new(chosen, Box::new(pages))
                .map_err(|e| group_error(path, group, e))?;
            decode_all(decoder, total, buffers).map_err(|e| group_error(path, group, e))?;
        }
        let staged = &mut buffers.staged;
        if staged.count() != rows {
            return Err(ReadError::parquet(
                path,
                format!(
                    "{CORRUPT}: row group {group}: column '{}' holds {} values for {rows} rows",
                    chosen.name,
                    staged.count()
                ),
            ));
        }
        // The page readers are gone: the chunk's buffer is ours again.
        if let Ok(unique) = bytes.try_into_mut() {
            buffers.chunk = unique.into();
        }
        Ok(staged.finish())
    }
}

/// Every value of a chunk of `rows` rows through the generic decoder.
fn decode_all(
    mut decoder: ColumnDecoder,
    rows: usize,
    buffers: &mut Buffers,
) -> Result<(), ParquetError> {
    let mut done = 0;
    while done < rows {
        let batch = BATCH_ROWS.min(rows - done);
        buffers.batch.clear();
        buffers.batch.resize(batch, 0.0);
        decoder.read_into(batch, &mut buffers.batch, 1, 0)?;
        buffers.staged.extend(&buffers.batch);
        done += batch;
    }
    Ok(())
}
