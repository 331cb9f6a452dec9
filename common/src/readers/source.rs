//! `ByteSource`: a file's bytes read by range, whatever holds them. The
//! Parquet reader reads its footer and its column chunks through it, so
//! that the same reader serves a local file (positioned reads) and an
//! object fetched with ranged GETs.

use std::fs::File;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use bytes::Bytes;

use super::ReadError;

/// Bytes of one file or object, read by range.
pub trait ByteSource: Send + Sync {
    /// What to call the source in messages: a path, or a URL without secrets.
    fn name(&self) -> &Path;

    /// Its length in bytes.
    fn len(&self) -> u64;

    /// Exactly the bytes of `range`: a short read is an error.
    fn read_range(&self, range: Range<u64>) -> Result<Bytes, ReadError>;

    /// True for a source of no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A local file, read with positioned reads (no memory map: a file that
/// shrinks under a read gives an error, not SIGBUS).
pub struct LocalFile {
    path: PathBuf,
    file: File,
    len: u64,
}

impl LocalFile {
    pub fn open(path: &Path) -> Result<LocalFile, ReadError> {
        let file = File::open(path).map_err(|e| ReadError::io(path, e))?;
        let len = file.metadata().map_err(|e| ReadError::io(path, e))?.len();
        Ok(LocalFile {
            path: path.to_path_buf(),
            file,
            len,
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

    fn read_range(&self, range: Range<u64>) -> Result<Bytes, ReadError> {
        let too_long = || {
            ReadError::io(
                &self.path,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("a read of bytes {range:?} is too large for this machine"),
                ),
            )
        };
        if range.start > range.end || range.end > self.len {
            return Err(ReadError::io(
                &self.path,
                std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!(
                        "bytes {range:?} lie past the end of the file ({} bytes)",
                        self.len
                    ),
                ),
            ));
        }
        let len = usize::try_from(range.end - range.start).map_err(|_| too_long())?;
        let mut buffer = Vec::new();
        buffer.try_reserve_exact(len).map_err(|_| too_long())?;
        buffer.resize(len, 0);
        self.file
            .read_exact_at(&mut buffer, range.start)
            .map_err(|e| ReadError::io(&self.path, e))?;
        Ok(Bytes::from(buffer))
    }
}
