//! The body of a served partition: values `start..end` of a shared
//! row-major `Arc<[f64]>`, each as 8 little-endian bytes, encoded one
//! chunk at a time as the connection asks for more. Only one chunk is
//! ever in memory beyond the shared data.

use std::convert::Infallible;
use std::ops::Range;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use bytes::{BufMut, BytesMut};

use super::stats::Counters;

/// Values per chunk: 256 KiB of encoded bytes.
const CHUNK_VALUES: usize = 32 * 1024;

/// The streamed body of `values[range]`. Its length is `range.len() * 8`;
/// the caller sets `Content-Length`.
pub(crate) fn rows_body(values: Arc<[f64]>, range: Range<usize>, counters: Arc<Counters>) -> Body {
    let chunks = Chunks {
        values,
        next: range.start,
        end: range.end,
        counters,
    };
    Body::from_stream(futures::stream::iter(chunks))
}

/// Iterates the encoded chunks of `values[next..end]`.
struct Chunks {
    values: Arc<[f64]>,
    next: usize,
    end: usize,
    counters: Arc<Counters>,
}

impl Iterator for Chunks {
    type Item = Result<Bytes, Infallible>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        let stop = self.end.min(self.next + CHUNK_VALUES);
        let mut chunk = BytesMut::with_capacity((stop - self.next) * 8);
        for value in &self.values[self.next..stop] {
            chunk.put_f64_le(*value);
        }
        self.next = stop;
        self.counters.sent(chunk.len());
        Some(Ok(chunk.freeze()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_concatenate_to_the_encoded_range() {
        let values: Arc<[f64]> = (0..CHUNK_VALUES * 2 + 5).map(|i| i as f64 - 0.5).collect();
        let range = 3..CHUNK_VALUES * 2 + 4;
        let counters = Arc::new(Counters::default());
        let chunks = Chunks {
            values: values.clone(),
            next: range.start,
            end: range.end,
            counters: counters.clone(),
        };
        let sizes: Vec<usize> = Vec::new();
        let (sizes, all) = chunks.fold((sizes, Vec::new()), |(mut sizes, mut all), chunk| {
            let chunk = chunk.unwrap();
            sizes.push(chunk.len());
            all.extend_from_slice(&chunk);
            (sizes, all)
        });
        assert_eq!(sizes, [CHUNK_VALUES * 8, CHUNK_VALUES * 8, 8]);
        assert_eq!(all, rmesos_common::task::encode_rows(&values[range]));
        assert_eq!(counters.snapshot().bytes_sent, all.len() as u64);
    }
}
