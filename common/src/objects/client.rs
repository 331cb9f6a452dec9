//! The HTTP client of object requests, with a bound on each way a server
//! can fail to answer: a connection that does not open
//! (`CONNECT_TIMEOUT`), a server that accepts and then sends nothing
//! (`ANSWER_TIMEOUT`: no byte for that long, whatever the request's size),
//! and a request that trickles on too long in all (`REQUEST_TIMEOUT`).
//! `object_store`'s own options bound only the first and the last, so a
//! silent server held a reader for the whole request timeout.

use std::time::Duration;

use object_store::client::{HttpClient, HttpConnector};
use object_store::{ClientConfigKey, ClientOptions};

/// How long one request may take (a large Parquet column chunk included).
pub(super) const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// How long a connection may take to open.
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a server may stay silent (no byte of an answer) before the
/// request fails; a request that fails so is retried (`RETRY_FOR`), so a
/// server that never answers is given up after about twice this.
pub(super) const ANSWER_TIMEOUT: Duration = Duration::from_secs(15);

/// Builds the `reqwest` client of a store with all three timeouts.
#[derive(Debug, Default)]
pub(super) struct TimedConnector;

impl HttpConnector for TimedConnector {
    fn connect(&self, options: &ClientOptions) -> object_store::Result<HttpClient> {
        let allow_http = options
            .get_config_value(&ClientConfigKey::AllowHttp)
            .is_some_and(|value| value == "true");
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(ANSWER_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .https_only(!allow_http)
            .build()
            .map_err(|source| object_store::Error::Generic {
                store: "HTTP client",
                source: Box::new(source),
            })?;
        Ok(HttpClient::new(client))
    }
}
