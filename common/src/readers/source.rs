//! `ByteSource`: a file's bytes read by range, whatever holds them: a
//! local file (positioned reads) or an object in S3-compatible storage or
//! behind an `http(s)://` URL (ranged GETs, `crate::objects`). The
//! Parquet and `.npy` readers read through it, so one reader serves both.
//! `open_source` chooses by the name: a URL, or a local path.

use std::fs::File;
use std::io::{self, Read, Seek};
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;

use super::ReadError;
use super::guarded_map::GuardedMap;

/// Bytes of one file or object, read by range.
pub trait ByteSource: Send + Sync {
    /// What to call the source in messages: a path, or a URL without secrets.
    fn name(&self) -> &Path;

    /// Its length in bytes.
    fn len(&self) -> u64;

    /// Fills `dst` with the bytes at `offset`: a short read is an
    /// `UnexpectedEof` error.
    fn read_exact_at(&self, dst: &mut [u8], offset: u64) -> io::Result<()>;

    /// The bytes of `range`, which must lie inside the source.
    fn read_range(&self, range: Range<u64>) -> io::Result<Bytes> {
        if range.start > range.end || range.end > self.len() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("bytes {range:?} lie past the end ({} bytes)", self.len()),
            ));
        }
        let len = usize::try_from(range.end - range.start)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "a read too large"))?;
        let mut buffer = Vec::new();
        buffer
            .try_reserve_exact(len)
            .map_err(|_| io::Error::new(io::ErrorKind::OutOfMemory, "a read too large"))?;
        buffer.resize(len, 0);
        self.read_exact_at(&mut buffer, range.start)?;
        Ok(Bytes::from(buffer))
    }

    /// `read_range` into `buffer` (its contents replaced): a reader of
    /// many ranges keeps one allocation, which a local file then fills
    /// without zeroing it first or faulting in fresh pages.
    fn read_range_into(&self, range: Range<u64>, buffer: &mut Vec<u8>) -> io::Result<()> {
        let bytes = self.read_range(range)?;
        buffer.clear();
        buffer.extend_from_slice(&bytes);
        Ok(())
    }

    /// True for a source of no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The source's bytes as a guarded memory map, when it is a local
    /// file that could be mapped: readers of hot, aligned data use it in
    /// place of positioned reads.
    fn map(&self) -> Option<&GuardedMap> {
        None
    }
}

/// The source `name` names: an object when it is an `s3://` or
/// `http(s)://` URL, else a local file.
pub fn open_source(name: &Path) -> Result<Arc<dyn ByteSource>, ReadError> {
    match name.to_str().filter(|text| crate::objects::is_url(text)) {
        Some(url) => Ok(crate::objects::open(url)?),
        None => Ok(Arc::new(LocalFile::open(name)?)),
    }
}

/// A local file, read with positioned reads, or through a memory map
/// whose faults are errors (`GuardedMap`): a file that shrinks under a
/// read gives an error, not SIGBUS.
pub struct LocalFile {
    path: PathBuf,
    file: File,
    len: u64,
    /// Made on first use; `None` inside when the file cannot be mapped.
    map: OnceLock<Option<GuardedMap>>,
}

impl LocalFile {
    pub fn open(path: &Path) -> Result<LocalFile, ReadError> {
        let file = File::open(path).map_err(|e| ReadError::io(path, e))?;
        let len = file.metadata().map_err(|e| ReadError::io(path, e))?.len();
        Ok(LocalFile {
            path: path.to_path_buf(),
            file,
            len,
            map: OnceLock::new(),
        })
    }
}

impl ByteSource for LocalFile {
    fn name(&self) -> &Path {
        &self.path
    }

    fn len(&self) -> u64 {
        self.len
    }

    fn read_exact_at(&self, dst: &mut [u8], offset: u64) -> io::Result<()> {
        self.file.read_exact_at(dst, offset)
    }

    fn map(&self) -> Option<&GuardedMap> {
        // A file that cannot be mapped is still read, with positioned reads.
        self.map
            .get_or_init(|| GuardedMap::new(&self.file, self.len).ok().flatten())
            .as_ref()
    }

    fn read_range_into(&self, range: Range<u64>, buffer: &mut Vec<u8>) -> io::Result<()> {
        if range.start > range.end || range.end > self.len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("bytes {range:?} lie past the end ({} bytes)", self.len),
            ));
        }
        let len = usize::try_from(range.end - range.start)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "a read too large"))?;
        if buffer.len() < len {
            buffer
                .try_reserve_exact(len - buffer.len())
                .map_err(|_| io::Error::new(io::ErrorKind::OutOfMemory, "a read too large"))?;
            // Only the growth is zeroed; what the buffer held is overwritten.
            buffer.resize(len, 0);
        }
        buffer.truncate(len);
        self.file.read_exact_at(buffer, range.start)
    }
}

/// A reader that can seek: what the `.csv` reader scans and parses.
pub trait ReadSeek: Read + Seek + Send {}

impl<T: Read + Seek + Send> ReadSeek for T {}

/// Bytes fetched at a time by a `SourceReader` (one ranged GET each).
const WINDOW_BYTES: u64 = 1 << 20;

/// Sequential reads of a `ByteSource`, a window at a time.
pub struct SourceReader {
    source: Arc<dyn ByteSource>,
    pos: u64,
    window_start: u64,
    window: Bytes,
}

impl SourceReader {
    pub fn new(source: Arc<dyn ByteSource>) -> SourceReader {
        SourceReader {
            source,
            pos: 0,
            window_start: 0,
            window: Bytes::new(),
        }
    }
}

impl Read for SourceReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let len = self.source.len();
        if self.pos >= len || buf.is_empty() {
            return Ok(0);
        }
        let window_end = self.window_start + self.window.len() as u64;
        if self.pos < self.window_start || self.pos >= window_end {
            let end = self.pos.saturating_add(WINDOW_BYTES).min(len);
            self.window = self.source.read_range(self.pos..end)?;
            self.window_start = self.pos;
        }
        let from = (self.pos - self.window_start) as usize;
        let n = buf.len().min(self.window.len() - from);
        buf[..n].copy_from_slice(&self.window[from..from + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for SourceReader {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let target = match to {
            io::SeekFrom::Start(at) => Some(at),
            io::SeekFrom::End(delta) => self.source.len().checked_add_signed(delta),
            io::SeekFrom::Current(delta) => self.pos.checked_add_signed(delta),
        };
        self.pos = target.ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "a seek before the start")
        })?;
        Ok(self.pos)
    }
}

/// A seekable reader of the file or object `name`, and its length.
pub fn open_reader(name: &Path) -> Result<(Box<dyn ReadSeek>, u64), ReadError> {
    if name.to_str().is_some_and(crate::objects::is_url) {
        let source = open_source(name)?;
        let len = source.len();
        return Ok((Box::new(SourceReader::new(source)), len));
    }
    let file = File::open(name).map_err(|e| ReadError::io(name, e))?;
    let len = file.metadata().map_err(|e| ReadError::io(name, e))?.len();
    Ok((Box::new(file), len))
}
