//! Line geometry of a `.csv` file: where lines start relative to a byte
//! offset, how many newlines precede an offset (for absolute line numbers
//! in messages), and the first lines that decide columns and header.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};

/// Bytes read at a time while scanning for newlines.
const SCAN_CHUNK: usize = 64 * 1024;

/// The UTF-8 byte order mark some spreadsheet programs write first.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The first line start at or after `pos`: `pos` itself when it is 0 or
/// follows a newline, else the byte after the next newline, else `len`.
pub(crate) fn line_start_at_or_after(mut file: &File, pos: u64, len: u64) -> io::Result<u64> {
    if pos == 0 || pos >= len {
        return Ok(pos.min(len));
    }
    file.seek(SeekFrom::Start(pos - 1))?;
    let mut chunk = vec![0u8; SCAN_CHUNK];
    let mut offset = pos - 1;
    while offset < len {
        let read = file.read(&mut chunk)?;
        if read == 0 {
            break;
        }
        if let Some(i) = memchr::memchr(b'\n', &chunk[..read]) {
            return Ok((offset + i as u64 + 1).min(len));
        }
        offset += read as u64;
    }
    Ok(len)
}

/// Newlines in bytes `0..end`: the 0-based line number of a line starting
/// at `end`. Only needed for error messages, so ranges never pay for it
/// when the data is good.
pub(crate) fn newlines_before(mut file: &File, end: u64) -> io::Result<u64> {
    file.seek(SeekFrom::Start(0))?;
    let mut limited = file.take(end);
    let mut chunk = vec![0u8; SCAN_CHUNK];
    let mut count = 0u64;
    loop {
        let read = limited.read(&mut chunk)?;
        if read == 0 {
            return Ok(count);
        }
        count += memchr::memchr_iter(b'\n', &chunk[..read]).count() as u64;
    }
}

/// Whether the last byte of the file is a newline.
pub(crate) fn ends_with_newline(mut file: &File, len: u64) -> io::Result<bool> {
    if len == 0 {
        return Ok(false);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

/// A line that holds something besides whitespace.
pub(crate) struct ContentLine {
    /// Offset of its first byte.
    pub start: u64,
    /// Offset just past its newline (or the end of the file).
    pub end: u64,
    pub bytes: Vec<u8>,
}

/// Reads a file from its start line by line, skipping a leading byte order
/// mark and blank lines.
pub(crate) struct LineScanner<R> {
    reader: BufReader<R>,
    pos: u64,
}

impl<R: Read> LineScanner<R> {
    /// Starts at the beginning of `input`, past a byte order mark if any.
    pub fn new(input: R) -> io::Result<Self> {
        let mut reader = BufReader::new(input);
        let mut pos = 0;
        if reader.fill_buf()?.starts_with(UTF8_BOM) {
            reader.consume(UTF8_BOM.len());
            pos = UTF8_BOM.len() as u64;
        }
        Ok(LineScanner { reader, pos })
    }

    /// The next line that is not blank, or `None` at the end of the input.
    pub fn next_content_line(&mut self) -> io::Result<Option<ContentLine>> {
        loop {
            let start = self.pos;
            let mut bytes = Vec::new();
            let read = self.reader.read_until(b'\n', &mut bytes)?;
            if read == 0 {
                return Ok(None);
            }
            self.pos += read as u64;
            if !bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(Some(ContentLine {
                    start,
                    end: self.pos,
                    bytes,
                }));
            }
        }
    }
}
