//! RecordIO framing of the Mesos event streams: `size LF data`, repeated,
//! where `size` is the decimal length of `data`. The decoder is incremental
//! (a record may arrive split over any number of chunks, and a chunk may hold
//! many records), bounds each record's size, and fails cleanly on garbage.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

/// Default upper bound on one record's size: 16 MiB.
pub const DEFAULT_MAX_RECORD_SIZE: usize = 16 * 1024 * 1024;

/// Digits of `u64::MAX`; a longer size header cannot be valid.
const MAX_SIZE_DIGITS: usize = 20;

/// Why a RecordIO stream could not be decoded. Every error but `Io` leaves
/// the decoder failed: the stream cannot be resynchronised.
#[derive(Debug, thiserror::Error)]
pub enum RecordIoError {
    /// A size header holds something other than ASCII digits before its LF.
    #[error("invalid RecordIO size header: byte {byte:#04x} at offset {offset} is not a digit")]
    InvalidSizeByte {
        /// The offending byte.
        byte: u8,
        /// Its offset inside the size header.
        offset: usize,
    },
    /// A size header is an LF with no digits before it.
    #[error("invalid RecordIO size header: no digits before the line feed")]
    EmptySize,
    /// More digits than any 64-bit size has, and still no LF.
    #[error("invalid RecordIO size header: more than {MAX_SIZE_DIGITS} bytes without a line feed")]
    SizeTooLong,
    /// The size does not fit in an unsigned 64-bit integer.
    #[error("invalid RecordIO size header: {digits} does not fit in 64 bits")]
    SizeOverflow {
        /// The digits of the header.
        digits: String,
    },
    /// The announced record is larger than the configured bound.
    #[error("RecordIO record of {size} bytes exceeds the limit of {max} bytes")]
    RecordTooLarge {
        /// The announced size.
        size: u64,
        /// The configured bound.
        max: usize,
    },
    /// The stream ended in the middle of a size header or a record.
    #[error("RecordIO stream ended inside a record ({buffered} bytes left undecoded)")]
    Truncated {
        /// Bytes received after the last complete record.
        buffered: usize,
    },
    /// The decoder was used again after it had failed.
    #[error("RecordIO decoder used after an earlier decoding error")]
    Failed,
    /// Reading the underlying stream failed.
    #[error("reading the RecordIO stream failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Incremental RecordIO decoder yielding each record's data.
///
/// Use it directly through [`RecordIoDecoder::decode_next`] on a `BytesMut`
/// that you append chunks to, or wrap an `AsyncRead` in
/// `tokio_util::codec::FramedRead::new(reader, RecordIoDecoder::new())` to
/// get a `Stream` of records.
#[derive(Debug, Clone)]
pub struct RecordIoDecoder {
    max_record_size: usize,
    /// Size of the record whose header has been consumed but whose data has
    /// not fully arrived yet.
    pending_size: Option<usize>,
    failed: bool,
}

impl Default for RecordIoDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl RecordIoDecoder {
    /// A decoder bounding records to [`DEFAULT_MAX_RECORD_SIZE`].
    pub fn new() -> Self {
        Self::with_max_record_size(DEFAULT_MAX_RECORD_SIZE)
    }

    /// A decoder rejecting records larger than `max_record_size` bytes.
    pub fn with_max_record_size(max_record_size: usize) -> Self {
        Self {
            max_record_size,
            pending_size: None,
            failed: false,
        }
    }

    /// The configured bound on one record's size.
    pub fn max_record_size(&self) -> usize {
        self.max_record_size
    }

    /// Takes the next complete record off the front of `buffer`, or returns
    /// `Ok(None)` when more bytes are needed. Consumed bytes are removed
    /// from `buffer`; incomplete ones are left in place.
    pub fn decode_next(&mut self, buffer: &mut BytesMut) -> Result<Option<Bytes>, RecordIoError> {
        if self.failed {
            return Err(RecordIoError::Failed);
        }
        let result = self.decode_unchecked(buffer);
        if result.is_err() {
            self.failed = true;
        }
        result
    }

    /// Like [`decode_next`](Self::decode_next), for the end of the stream:
    /// leftover bytes mean the stream was cut inside a record.
    pub fn decode_last(&mut self, buffer: &mut BytesMut) -> Result<Option<Bytes>, RecordIoError> {
        match self.decode_next(buffer)? {
            Some(record) => Ok(Some(record)),
            None if buffer.is_empty() && self.pending_size.is_none() => Ok(None),
            None => {
                self.failed = true;
                Err(RecordIoError::Truncated {
                    buffered: buffer.len(),
                })
            }
        }
    }

    fn decode_unchecked(&mut self, buffer: &mut BytesMut) -> Result<Option<Bytes>, RecordIoError> {
        let size = match self.pending_size {
            Some(size) => size,
            None => match self.take_size_header(buffer)? {
                Some(size) => size,
                None => return Ok(None),
            },
        };
        if buffer.len() < size {
            self.pending_size = Some(size);
            buffer.reserve(size - buffer.len());
            return Ok(None);
        }
        self.pending_size = None;
        Ok(Some(buffer.split_to(size).freeze()))
    }

    /// Parses and removes a complete `digits LF` header, if one is there.
    fn take_size_header(&self, buffer: &mut BytesMut) -> Result<Option<usize>, RecordIoError> {
        let scan_len = buffer.len().min(MAX_SIZE_DIGITS + 1);
        let Some(line_feed) = buffer[..scan_len].iter().position(|&byte| byte == b'\n') else {
            if let Some(offset) = buffer[..scan_len].iter().position(|b| !b.is_ascii_digit()) {
                return Err(RecordIoError::InvalidSizeByte {
                    byte: buffer[offset],
                    offset,
                });
            }
            if scan_len > MAX_SIZE_DIGITS {
                return Err(RecordIoError::SizeTooLong);
            }
            return Ok(None);
        };
        let size = parse_size(&buffer[..line_feed])?;
        if size > self.max_record_size as u64 {
            return Err(RecordIoError::RecordTooLarge {
                size,
                max: self.max_record_size,
            });
        }
        buffer.advance(line_feed + 1);
        // Bounded by `max_record_size`, itself a usize.
        Ok(Some(size as usize))
    }
}

/// The value of a size header's digits (without the LF).
fn parse_size(digits: &[u8]) -> Result<u64, RecordIoError> {
    if digits.is_empty() {
        return Err(RecordIoError::EmptySize);
    }
    let mut size: u64 = 0;
    for (offset, &byte) in digits.iter().enumerate() {
        if !byte.is_ascii_digit() {
            return Err(RecordIoError::InvalidSizeByte { byte, offset });
        }
        size = size
            .checked_mul(10)
            .and_then(|size| size.checked_add(u64::from(byte - b'0')))
            .ok_or_else(|| RecordIoError::SizeOverflow {
                digits: String::from_utf8_lossy(digits).into_owned(),
            })?;
    }
    Ok(size)
}

impl Decoder for RecordIoDecoder {
    type Item = Bytes;
    type Error = RecordIoError;

    fn decode(&mut self, buffer: &mut BytesMut) -> Result<Option<Bytes>, RecordIoError> {
        self.decode_next(buffer)
    }

    fn decode_eof(&mut self, buffer: &mut BytesMut) -> Result<Option<Bytes>, RecordIoError> {
        self.decode_last(buffer)
    }
}

/// Appends one record (`size LF data`) to `out`.
pub fn encode_record(data: &[u8], out: &mut BytesMut) {
    let header = data.len().to_string();
    out.reserve(header.len() + 1 + data.len());
    out.put_slice(header.as_bytes());
    out.put_u8(b'\n');
    out.put_slice(data);
}

/// One record (`size LF data`) as a fresh buffer.
pub fn encode_record_to_bytes(data: &[u8]) -> Bytes {
    let mut out = BytesMut::new();
    encode_record(data, &mut out);
    out.freeze()
}

/// RecordIO encoder for `tokio_util::codec::FramedWrite` (the simulated
/// cluster's event streams).
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordIoEncoder;

impl<T: AsRef<[u8]>> Encoder<T> for RecordIoEncoder {
    type Error = std::io::Error;

    fn encode(&mut self, record: T, out: &mut BytesMut) -> Result<(), std::io::Error> {
        encode_record(record.as_ref(), out);
        Ok(())
    }
}
