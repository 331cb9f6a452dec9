//! The one HTTP client for everything the executor asks the driver's data
//! server (its channel, served rows): when the lease grant pins the data
//! server's certificate, the client trusts that certificate and no other.

use std::time::Duration;

use rmesos_common::pinned_tls::pinned_client_config;

/// Bound on opening a TCP (and TLS) connection to the data server; the
/// data timeout bounds it too, when shorter.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A client for the data server whose certificate has SHA-256
/// `server_sha256` (plain HTTP when `None`).
pub fn driver_client(
    server_sha256: Option<&str>,
    data_timeout: Duration,
) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder().connect_timeout(CONNECT_TIMEOUT.min(data_timeout));
    if let Some(pin) = server_sha256 {
        builder = builder.use_preconfigured_tls(pinned_client_config(pin)?);
    }
    builder
        .build()
        .map_err(|e| format!("cannot build an HTTP client for the driver's data server: {e}"))
}
