//! The served-partition stream: a partition the driver holds in memory
//! arrives at the executor as its rows, row-major, each value a
//! little-endian IEEE-754 float64, nothing else. The length is known from
//! the spec, so a stream cut short is detected. This reads the stream in
//! fixed-size blocks through the kernel: memory stays flat whatever the
//! partition's size.

use std::io::{self, Read};

use thiserror::Error;

use crate::stats::{ColumnSummary, StatsError, StatsRequest};

/// Rows summarized per block read from the stream.
const BLOCK_BYTES: usize = 1 << 20;

#[derive(Debug, Error)]
pub enum ServedRowsError {
    #[error("reading the served partition: {0}")]
    Io(#[from] io::Error),
    #[error("the served partition ended after {got} of {expected} bytes")]
    Short { got: u64, expected: u64 },
    #[error("the served partition has more than the {expected} bytes of its rows")]
    Long { expected: u64 },
    #[error("{0}")]
    Summary(#[from] StatsError),
    #[error("a partition of {rows} rows x {ncols} columns is too large to address")]
    TooLarge { rows: u64, ncols: usize },
}

/// Reads exactly `rows` rows of `ncols` float64 values from `input` and
/// summarizes them.
pub fn summarize_served_rows(
    input: impl Read,
    rows: u64,
    ncols: usize,
) -> Result<ColumnSummary, ServedRowsError> {
    summarize_served_rows_for(input, rows, ncols, &StatsRequest::default())
}

/// `summarize_served_rows`, also computing what `request` asks for.
pub fn summarize_served_rows_for(
    mut input: impl Read,
    rows: u64,
    ncols: usize,
    request: &StatsRequest,
) -> Result<ColumnSummary, ServedRowsError> {
    let too_large = || ServedRowsError::TooLarge { rows, ncols };
    let row_bytes = ncols
        .checked_mul(8)
        .filter(|&b| b > 0)
        .ok_or_else(too_large)?;
    let expected = rows.checked_mul(row_bytes as u64).ok_or_else(too_large)?;
    let block_rows = (BLOCK_BYTES / row_bytes).max(1);
    let mut buffer = vec![0u8; block_rows * row_bytes];
    let mut values = vec![0f64; block_rows * ncols];
    let mut summary = ColumnSummary::with_request(ncols, request)?;
    let mut got = 0u64;
    while got < expected {
        let want = (expected - got).min(buffer.len() as u64) as usize;
        let filled = read_full(&mut input, &mut buffer[..want])?;
        got += filled as u64;
        if filled < want {
            return Err(ServedRowsError::Short { got, expected });
        }
        let count = filled / 8;
        for (value, bytes) in values[..count].iter_mut().zip(buffer.chunks_exact(8)) {
            *value = f64::from_le_bytes(bytes.try_into().unwrap_or([0; 8]));
        }
        summary.add_rows(&values[..count])?;
    }
    if read_full(&mut input, &mut [0u8; 1])? != 0 {
        return Err(ServedRowsError::Long { expected });
    }
    Ok(summary)
}

/// Fills `buffer` unless the input ends first; returns the bytes read.
fn read_full(input: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match input.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The stream form of row-major `values`: what the data server sends.
pub fn encode_rows(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out one byte at a time, to split values and rows.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let Some((first, rest)) = self.0.split_first() else {
                return Ok(0);
            };
            buf[0] = *first;
            self.0 = rest;
            Ok(1)
        }
    }

    #[test]
    fn equals_summarizing_the_rows_directly() {
        let values: Vec<f64> = (0..3000).map(|i| (i as f64 * 0.7).cos() * 100.0).collect();
        let mut direct = ColumnSummary::new(3);
        direct.add_rows(&values).unwrap();
        let bytes = encode_rows(&values);
        let streamed = summarize_served_rows(Trickle(&bytes), 1000, 3).unwrap();
        assert_eq!(streamed.to_bytes(), direct.to_bytes());
    }

    #[test]
    fn short_and_long_streams_are_errors() {
        let bytes = encode_rows(&[1.0, 2.0, 3.0, 4.0]);
        let short = summarize_served_rows(&bytes[..30], 2, 2).unwrap_err();
        assert!(
            short.to_string().contains("ended after 30 of 32 bytes"),
            "{short}"
        );
        let long = summarize_served_rows(&bytes[..], 1, 2).unwrap_err();
        assert!(
            matches!(long, ServedRowsError::Long { expected: 16 }),
            "{long}"
        );
    }
}
