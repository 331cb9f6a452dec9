//! An open SUBSCRIBE answer: the master that holds it, its stream id, and
//! the chunked body read as it arrives.

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use reqwest::{Response, Url};

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

    /// The next piece of the body as it came off the connection; `None` when
    /// the master closed the stream.
    pub async fn next_chunk(&mut self) -> Option<Result<Bytes, TransportError>> {
        let chunk = self.body.next().await?;
        Some(chunk.map_err(|source| TransportError::Stream {
            url: self.endpoint.to_string(),
            source: source.without_url(),
        }))
    }
}
