//! An open SUBSCRIBE answer: the master that holds it, its stream id, and
//! the chunked body read as it arrives.

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use futures::stream::BoxStream;
use reqwest::{Response, Url};

use rmesos_common::wire::recordio::RecordIoDecoder;
use rmesos_common::wire::v1::scheduler::Event;

use super::codec::Codec;
use super::error::TransportError;

/// The event stream of one subscription. Dropping it closes the connection,
/// which the master takes as the scheduler disconnecting.
pub struct Subscription {
    endpoint: Url,
    stream_id: String,
    codec: Codec,
    max_record_size: usize,
    body: BoxStream<'static, reqwest::Result<Bytes>>,
    records: RecordIoDecoder,
    buffer: BytesMut,
    ended: bool,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("endpoint", &self.endpoint)
            .field("stream_id", &self.stream_id)
            .field("codec", &self.codec)
            .finish_non_exhaustive()
    }
}

impl Subscription {
    pub(crate) fn new(
        endpoint: Url,
        stream_id: String,
        codec: Codec,
        max_record_size: usize,
        response: Response,
    ) -> Self {
        Subscription {
            endpoint,
            stream_id,
            codec,
            max_record_size,
            body: response.bytes_stream().boxed(),
            records: RecordIoDecoder::with_max_record_size(max_record_size),
            buffer: BytesMut::new(),
            ended: false,
        }
    }

    /// The master (after redirects) that holds this subscription.
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// The `Mesos-Stream-Id` the master assigned.
    pub fn stream_id(&self) -> &str {
        &self.stream_id
    }

    pub fn codec(&self) -> Codec {
        self.codec
    }

    pub fn max_record_size(&self) -> usize {
        self.max_record_size
    }

    /// The next event; `None` when the master closed the stream. A broken
    /// record (bad length, oversized, undecodable) is an error after which
    /// the stream cannot be trusted: drop it and subscribe again.
    pub async fn next_event(&mut self) -> Option<Result<Event, TransportError>> {
        loop {
            let next = if self.ended {
                self.records.decode_last(&mut self.buffer)
            } else {
                self.records.decode_next(&mut self.buffer)
            };
            match next {
                Ok(Some(record)) => return Some(self.decode(&record)),
                Ok(None) if self.ended => return None,
                Ok(None) => {}
                Err(e) => return Some(Err(self.decode_error(e.to_string()))),
            }
            match self.next_chunk().await {
                Some(Ok(chunk)) => self.buffer.extend_from_slice(&chunk),
                Some(Err(e)) => return Some(Err(e)),
                None => self.ended = true,
            }
        }
    }

    fn decode(&self, record: &[u8]) -> Result<Event, TransportError> {
        self.codec
            .decode_event(record)
            .map_err(|e| self.decode_error(e.to_string()))
    }

    fn decode_error(&self, reason: String) -> TransportError {
        TransportError::Decode {
            url: self.endpoint.to_string(),
            reason,
        }
    }

    /// The next piece of the body as it came off the connection; `None` when
    /// the master closed the stream. (Reading chunks and events from the
    /// same subscription mixes them up: use one or the other.)
    pub async fn next_chunk(&mut self) -> Option<Result<Bytes, TransportError>> {
        let chunk = self.body.next().await?;
        Some(chunk.map_err(|source| TransportError::Stream {
            url: self.endpoint.to_string(),
            source: source.without_url(),
        }))
    }
}
