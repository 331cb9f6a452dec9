//! Line geometry of a `.csv` file: where lines start relative to a byte
//! offset, how many newlines precede an offset (for absolute line numbers
//! in messages), and the first lines that decide columns and header.

use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};

/// Bytes read at a time while scanning for newlines.
const SCAN_CHUNK: usize = 64 * 1024;

/// The UTF-8 byte order mark some spreadsheet programs write first.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The first line start at or after `pos`: `pos` itself when it is 0 or
/// follows a newline, else the byte after the next newline, else `len`.
pub(crate) fn line_start_at_or_after(
    file: &mut (impl Read + Seek + ?Sized),
    pos: u64,
    len: u64,
) -> io::Result<u64> {
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
pub(crate) fn newlines_before(file: &mut (impl Read + Seek + ?Sized), end: u64) -> io::Result<u64> {
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
pub(crate) fn ends_with_newline(
    file: &mut (impl Read + Seek + ?Sized),
    len: u64,
) -> io::Result<bool> {
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
/// mark and blank lines; a line longer than the cap is an error.
pub(crate) struct LineScanner<R> {
    reader: BufReader<R>,
    pos: u64,
    max_line: usize,
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
        Ok(LineScanner {
            reader,
            pos,
            max_line: crate::limits::max_csv_line_bytes(),
        })
    }

    /// The next line that is not blank, or `None` at the end of the input.
    pub fn next_content_line(&mut self) -> io::Result<Option<ContentLine>> {
        loop {
            let start = self.pos;
            let mut bytes = Vec::new();
            // One byte past the cap tells a line of exactly the cap apart.
            let limit = self.max_line as u64 + 1;
            let read = (&mut self.reader)
                .take(limit)
                .read_until(b'\n', &mut bytes)?;
            if read == 0 {
                return Ok(None);
            }
            if bytes.len() > self.max_line {
                return Err(line_too_long(self.max_line));
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

fn line_too_long(cap: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        crate::limits::csv_line_too_long(cap),
    )
}

/// A reader that fails once more than `max_line` bytes pass without a
/// newline, so a hostile line cannot grow the cell splitter's buffers
/// without bound.
pub(crate) struct LineLimit<R> {
    inner: R,
    max_line: usize,
    /// Bytes since the last newline.
    run: usize,
}

impl<R> LineLimit<R> {
    pub fn new(inner: R, max_line: usize) -> Self {
        LineLimit {
            inner,
            max_line,
            run: 0,
        }
    }
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        let mut line_start = 0;
        for newline in memchr::memchr_iter(b'\n', &buf[..read]) {
            if self.run + (newline - line_start) > self.max_line {
                return Err(line_too_long(self.max_line));
            }
            self.run = 0;
            line_start = newline + 1;
        }
        self.run += read - line_start;
        if self.run > self.max_line {
            return Err(line_too_long(self.max_line));
        }
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_past_the_cap_fails_and_lines_within_it_pass() {
        let mut out = Vec::new();
        let ok = b"12345\n1234\n12345".as_slice();
        LineLimit::new(ok, 5).read_to_end(&mut out).unwrap();
        assert_eq!(out, ok);
        let long = b"12\n123456\n1".as_slice();
        let error = LineLimit::new(long, 5)
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(error.to_string().contains("longer than 5 bytes"), "{error}");
    }

    #[test]
    fn the_scanner_refuses_a_first_line_past_the_cap() {
        let mut scanner = LineScanner::new(b",,,,,,,,\n1\n".as_slice()).unwrap();
        scanner.max_line = 4;
        let error = scanner.next_content_line().err().expect("too long");
        assert!(error.to_string().contains("longer than 4 bytes"), "{error}");
    }
}
