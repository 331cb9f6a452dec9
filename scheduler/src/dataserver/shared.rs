//! The state the server's handlers and the `DataServer` handle share: the
//! token, the advertised address, the executor source, the published
//! jobs, the counters and the executors' channels.

use std::sync::Arc;

use rmesos_common::task::DataUrl;

use super::advertise::Advertise;
use super::channel::Channels;
use super::executor_source::ExecutorSource;
use super::published::Jobs;
use super::stats::Counters;
use super::token::Token;

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) token: Token,
    pub(crate) advertise: Advertise,
    pub(crate) executor: ExecutorSource,
    pub(crate) jobs: Jobs,
    pub(crate) counters: Arc<Counters>,
    pub(crate) channels: Channels,
}

impl Shared {
    /// The URL of `path` (no leading slash) under the token.
    pub(crate) fn url(&self, path: &str) -> DataUrl {
        let base = self.advertise.base_url();
        DataUrl::new(format!("{base}/{}/{path}", self.token.expose()))
    }
}
