//! The Parquet crate reads through `ChunkReader`; these adapters give it
//! a `ByteSource`'s bytes: the whole source on demand (for the footer),
//! or one column chunk fetched whole by a single ranged read (for the
//! pages of that chunk), so an object is read with one GET per column
//! chunk rather than one per page.

use std::ops::Range;
use std::sync::Arc;

use bytes::{Buf, Bytes};
use parquet::errors::ParquetError;
use parquet::file::reader::{ChunkReader, Length};

use crate::readers::ByteSource;

/// A whole source, each read a ranged read of it.
pub(super) struct SourceChunks(pub Arc<dyn ByteSource>);

impl SourceChunks {
    fn read(&self, range: Range<u64>) -> parquet::errors::Result<Bytes> {
        self.0.read_range(range).map_err(|e| {
            ParquetError::External(Box::new(crate::readers::ReadError::Io {
                path: self.0.name().to_path_buf(),
                source: e,
            }))
        })
    }
}

impl Length for SourceChunks {
    fn len(&self) -> u64 {
        self.0.len()
    }
}

impl ChunkReader for SourceChunks {
    type T = bytes::buf::Reader<Bytes>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(self.read(start..self.0.len().max(start))?.reader())
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        let end = start
            .checked_add(length as u64)
            .ok_or_else(|| ParquetError::EOF(format!("{length} bytes at {start}")))?;
        self.read(start..end)
    }
}

/// The bytes of one column chunk, which starts at `offset` in its file.
pub(super) struct ColumnChunk {
    pub offset: u64,
    pub bytes: Bytes,
    /// The length of the whole file (what `Length` reports).
    pub file_len: u64,
}

impl ColumnChunk {
    fn slice(&self, start: u64, length: Option<usize>) -> parquet::errors::Result<Bytes> {
        let outside = || {
            ParquetError::EOF(format!(
                "a read at byte {start} lies outside its column chunk (bytes {}..{})",
                self.offset,
                self.offset + self.bytes.len() as u64
            ))
        };
        let from = start
            .checked_sub(self.offset)
            .and_then(|from| usize::try_from(from).ok())
            .filter(|&from| from <= self.bytes.len())
            .ok_or_else(outside)?;
        let to = match length {
            None => self.bytes.len(),
            Some(length) => from
                .checked_add(length)
                .filter(|&to| to <= self.bytes.len())
                .ok_or_else(outside)?,
        };
        Ok(self.bytes.slice(from..to))
    }
}

impl Length for ColumnChunk {
    fn len(&self) -> u64 {
        self.file_len
    }
}

impl ChunkReader for ColumnChunk {
    type T = bytes::buf::Reader<Bytes>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(self.slice(start, None)?.reader())
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        self.slice(start, Some(length))
    }
}
