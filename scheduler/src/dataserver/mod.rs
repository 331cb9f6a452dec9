//! The driver's data server: an HTTP server inside the driver process
//! that gives executors what they cannot get from the agent they run on.
//!
//! - The `rmesos-executor` binary, for the Mesos fetcher
//!   (`GET /executor/<sha256>/rmesos-executor`, no token: the URL shows in
//!   Mesos' state endpoints and the binary is no secret; the launch
//!   command checks the digest, see `executor_check`), unless the agents
//!   fetch it from elsewhere or have it installed (`ExecutorSource`).
//! - The rows of in-memory datasets, published per job
//!   (`GET /<job token>/jobs/<job_id>/rows/<start>-<end>`, under a random
//!   token of that job alone, which dies with its `PublishedRows`; the job
//!   id percent-encoded, the range half-open): the rows,
//!   row-major, each value a little-endian float64, nothing else (the
//!   stream `rmesos_common::task::summarize_served_rows` reads), encoded
//!   chunk by chunk from the shared `Arc<[f64]>` with `Content-Length` set.
//!
//! - The executors' channels (`/<token>/executors/<executor_id>/...`, see
//!   `rmesos_common::lease`): each executor of the session reads its
//!   partitions from a message stream and posts results and heartbeats.
//!
//! With TLS on (the default), rows and channels are served only over TLS
//! with a certificate made for the session, whose SHA-256 the executors
//! pin (it travels in the lease grants); plain HTTP on the same port
//! reaches only the executor binary (see `listener`).
//!
//! The first path segment of a channel URL is a random per-server
//! (session) token, that of a rows URL the job's token, both compared in
//! constant time. These URLs travel only to executors, over their
//! channels and in lease tasks' `TaskInfo.data`, which Mesos never shows.
//! Every other request (wrong or missing token, unknown path or job, rows
//! out of range, a method other than GET) is answered 404 with an empty
//! body and counted. URLs leave as `DataUrl`, which masks the token when
//! printed; logs mask it too.
//!
//! This is a leaf: it knows nothing of the driver or the job engine. The
//! server stops when its `DataServer` is dropped.

mod advertise;
mod channel;
mod config;
mod executor_check;
mod executor_fetch;
mod executor_source;
mod listener;
mod published;
mod routes;
mod rows_body;
mod segment;
mod shared;
mod stats;
mod tls;
mod token;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use rmesos_common::task::DataUrl;
use tokio::sync::oneshot;

pub use advertise::local_ip_towards;
pub use channel::{AttemptOutcome, ChannelEvent, ExecutorLink};
pub use config::DataServerConfig;
pub use executor_check::{MISMATCH_MESSAGE, checked_command, sha256_of_file};
pub use executor_fetch::{ExecutorFetch, ExecutorUri, FETCHED_EXECUTOR_NAME};
pub use executor_source::{
    EXECUTOR_FILE_NAME, EXECUTOR_PATH_ENV, EXECUTOR_URI_ENV, ExecutorSource, ExecutorSourceError,
};
pub use published::PublishedRows;
pub use stats::DataServerStats;

use advertise::Advertise;
use listener::{DataListener, DataPeer};
use published::Jobs;
use shared::Shared;
use tls::SessionCertificate;
use token::Token;

/// The SHA-256 of the executor binary to serve, naming the file on errors.
async fn served_digest(path: &std::path::Path) -> io::Result<String> {
    executor_source::check_servable(path).await?;
    let owned = path.to_owned();
    let digest = tokio::task::spawn_blocking(move || sha256_of_file(&owned))
        .await
        .map_err(io::Error::other)?;
    digest.map_err(|e| {
        let what = format!("hashing the executor binary {}: {e}", path.display());
        io::Error::new(e.kind(), what)
    })
}

/// A running data server. Dropping it stops the server: the listener
/// closes at once, requests in flight finish.
#[derive(Debug)]
pub struct DataServer {
    shared: Arc<Shared>,
    local_addr: SocketAddr,
    /// Dropping this tells the server task to shut down.
    _shutdown: oneshot::Sender<()>,
}

impl DataServer {
    /// Binds `config.bind` and starts serving on the current tokio runtime.
    /// A `Serve` executor must be a readable file now: its SHA-256 is
    /// computed here, once.
    pub async fn start(config: DataServerConfig) -> io::Result<DataServer> {
        let executor_sha256 = match &config.executor {
            ExecutorSource::Serve(path) => Some(served_digest(path).await?),
            _ => None,
        };
        let bind = config.bind;
        let listener = tokio::net::TcpListener::bind(bind).await.map_err(|e| {
            io::Error::new(e.kind(), format!("binding the data server to {bind}: {e}"))
        })?;
        let local_addr = listener.local_addr()?;
        let certificate = if config.tls {
            Some(SessionCertificate::generate()?)
        } else {
            None
        };
        let tls = certificate.as_ref().map(|c| c.server_config.clone());
        let listener = DataListener::start(listener, tls)?;
        let shared = Arc::new(Shared {
            token: Token::generate(),
            advertise: Advertise::new(config.advertise_host, config.advertise_port, local_addr),
            executor: config.executor,
            executor_sha256,
            jobs: Jobs::default(),
            counters: Default::default(),
            channels: channel::Channels::new(config.heartbeat),
            certificate,
        });
        let (shutdown, stopped) = oneshot::channel::<()>();
        let routes =
            routes::router(shared.clone()).into_make_service_with_connect_info::<DataPeer>();
        let server = axum::serve(listener, routes).with_graceful_shutdown(async move {
            let _ = stopped.await;
        });
        tokio::spawn(async move {
            if let Err(e) = server.await {
                tracing::error!(error = %e, "the data server stopped");
            }
        });
        let (host, port) = shared.advertise.host_and_port();
        let advertised = format!("{host}:{port}");
        let tls = shared.certificate.is_some();
        tracing::info!(%local_addr, %advertised, tls, "data server listening");
        Ok(DataServer {
            shared,
            local_addr,
            _shutdown: shutdown,
        })
    }

    /// The address the server is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The host to advertise when the configuration names none (the engine
    /// learns it from its connection to the master). URLs made from now on
    /// use it.
    pub fn set_advertised_host(&self, host: String) {
        self.shared.advertise.learn_host(host);
    }

    /// The host and port that go into URLs.
    pub fn advertised(&self) -> (String, u16) {
        self.shared.advertise.host_and_port()
    }

    /// How executors get and run `rmesos-executor` with this server.
    pub fn executor_fetch(&self) -> ExecutorFetch {
        let fetched = || format!("./{FETCHED_EXECUTOR_NAME}");
        match &self.shared.executor {
            ExecutorSource::Serve(_) => {
                let sha256 = self.shared.executor_sha256.clone().unwrap_or_default();
                ExecutorFetch {
                    uri: Some(ExecutorUri::Served(self.shared.executor_url(&sha256))),
                    command: checked_command(FETCHED_EXECUTOR_NAME, &sha256),
                    sha256: Some(sha256),
                }
            }
            // The driver does not know what a user-hosted URI or an
            // installed path holds: run unchecked.
            ExecutorSource::Uri(uri) => ExecutorFetch {
                uri: Some(ExecutorUri::User(uri.clone())),
                command: fetched(),
                sha256: None,
            },
            ExecutorSource::AgentPath(path) => ExecutorFetch {
                uri: None,
                command: path.clone(),
                sha256: None,
            },
        }
    }

    /// Makes `rows` (row-major, `ncols` per row) servable as `job_id` until
    /// the returned guard is dropped. Publishing a job id again replaces
    /// the earlier rows. Streams already started keep their data.
    ///
    /// # Panics
    /// If `ncols` is 0 or does not divide `rows.len()`.
    pub fn publish(&self, job_id: &str, rows: Arc<[f64]>, ncols: usize) -> PublishedRows {
        PublishedRows::publish(self.shared.clone(), job_id, rows, ncols)
    }

    /// Lets `executor_id` open its channel; returns the channel's URL,
    /// for its lease grants.
    pub fn expect_executor(&self, executor_id: &str) -> DataUrl {
        self.shared.channels.expect(executor_id);
        self.shared.url(&channel::channel_path(executor_id))
    }

    /// Closes `executor_id`'s channel to new requests (404: the executor
    /// ends when it sees one).
    pub fn forget_executor(&self, executor_id: &str) {
        self.shared.channels.forget(executor_id);
    }

    /// What the executors say on their channels; `None` after the first call.
    pub fn channel_events(&self) -> Option<tokio::sync::mpsc::UnboundedReceiver<ChannelEvent>> {
        self.shared.channels.take_events()
    }

    /// The SHA-256 (hex) of the certificate executors pin; `None` with TLS
    /// off.
    pub fn certificate_sha256(&self) -> Option<&str> {
        self.shared.certificate.as_ref().map(|c| c.sha256.as_str())
    }

    /// The heartbeat interval of the executors' channels.
    pub fn heartbeat(&self) -> std::time::Duration {
        self.shared.channels.heartbeat
    }

    /// The counters so far.
    pub fn stats(&self) -> DataServerStats {
        self.shared.counters.snapshot()
    }
}
