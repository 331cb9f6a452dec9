//! How the transport talks to masters: encoding, credentials, trust,
//! timeouts, redirect and `503` retry limits.

use std::path::PathBuf;
use std::time::Duration;

use super::codec::Codec;
use crate::backoff::BackoffPolicy;
use crate::secret::Credentials;

#[derive(Clone, Debug)]
pub struct TransportConfig {
    /// Body encoding of calls and events.
    pub codec: Codec,
    /// HTTP Basic credentials, when the masters require authentication.
    pub credentials: Option<Credentials>,
    /// Extra CA certificates (PEM) trusted for `https` masters.
    pub ca_file: Option<PathBuf>,
    /// Deadline of each non-streaming call, and of the SUBSCRIBE answer's
    /// headers (the stream itself has no deadline; the driver's heartbeat
    /// watchdog judges it).
    pub call_timeout: Duration,
    /// Deadline for opening a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// How many `307`s one request follows before giving up.
    pub max_redirects: u32,
    /// Waits between retries of a master answering `503`.
    pub unavailable_backoff: BackoffPolicy,
    /// How many times a `503` is retried before it is reported.
    pub unavailable_retries: u32,
    /// Largest event record accepted from the stream; bigger ones are a
    /// protocol error rather than a reason to allocate.
    pub max_record_size: usize,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            codec: Codec::Protobuf,
            credentials: None,
            ca_file: None,
            call_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            max_redirects: 3,
            unavailable_backoff: BackoffPolicy::unavailable(),
            unavailable_retries: 6,
            max_record_size: 64 << 20,
        }
    }
}
