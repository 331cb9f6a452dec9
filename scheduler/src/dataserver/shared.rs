//! The state the server's handlers and the `DataServer` handle share: the
//! session token, the advertised address, the executor source (and the
//! SHA-256 of a served binary), the published jobs, the counters, the
//! executors' channels and the session's certificate.

use std::sync::Arc;

use rmesos_common::task::DataUrl;

use super::advertise::Advertise;
use super::channel::Channels;
use super::executor_fetch::FETCHED_EXECUTOR_NAME;
use super::executor_source::ExecutorSource;
use super::published::Jobs;
use super::stats::Counters;
use super::tls::SessionCertificate;
use super::token::Token;

/// The first path segment of the executor binary's URL.
pub(crate) const EXECUTOR_PATH: &str = "executor";

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) token: Token,
    pub(crate) advertise: Advertise,
    pub(crate) executor: ExecutorSource,
    /// The lowercase hex SHA-256 of the served executor binary, computed
    /// at start (`None` unless `executor` is `Serve`).
    pub(crate) executor_sha256: Option<String>,
    pub(crate) jobs: Jobs,
    pub(crate) counters: Arc<Counters>,
    pub(crate) channels: Channels,
    /// With TLS on: the certificate rows and channels are served with.
    pub(crate) certificate: Option<SessionCertificate>,
}

impl Shared {
    /// The URL of `path` (no leading slash) under the session token.
    pub(crate) fn url(&self, path: &str) -> DataUrl {
        self.url_under(&self.token, path)
    }

    /// The URL of `path` (no leading slash) under `token`.
    pub(crate) fn url_under(&self, token: &Token, path: &str) -> DataUrl {
        let scheme = if self.certificate.is_some() {
            "https"
        } else {
            "http"
        };
        let base = self.advertise.base_url(scheme);
        DataUrl::new(format!("{base}/{}/{path}", token.expose()))
    }

    /// The public URL of the served executor binary: no token (the binary
    /// is no secret), its SHA-256 in the path; plain HTTP, since the Mesos
    /// fetcher does not know the session's certificate.
    pub(crate) fn executor_url(&self, sha256: &str) -> String {
        let base = self.advertise.base_url("http");
        format!("{base}/{EXECUTOR_PATH}/{sha256}/{FETCHED_EXECUTOR_NAME}")
    }
}
