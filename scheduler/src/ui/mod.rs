//! The status page on the driver, like Spark's UI on port 4040: an HTTP
//! server showing a session's `StatusBoard` to people and to scripts.
//!
//! - `GET /`: plain HTML, rendered here, no script, reloading itself every
//!   2 s: the framework (id, name, master, leading master, subscription
//!   and its history), the jobs (state, partitions done/total, attempts,
//!   duration, rows and bytes read), the partition attempts of the latest
//!   job (partition, attempt, agent, state, time), the leases (agent,
//!   executor, cpus, slots, state, partitions run) and the agents in use.
//! - `GET /api/status`: the whole board as JSON; `/api/framework`,
//!   `/api/jobs`, `/api/jobs/<job id>` (percent-encoded; 404 if not kept),
//!   `/api/leases` and `/api/agents`: its parts.
//!
//! Read-only: GET and HEAD only, every other method is answered 405, and
//! no route changes anything. It shows nothing secret: the board holds the
//! master URL with credentials masked and no data-server URL or token.
//!
//! A front (`rmesos-submit`, the Python module) starts it as a
//! `StatusPage` over its session's board, at the `ui_bind` setting
//! (default 0.0.0.0:4040, trying the next ports up to 4060 when taken),
//! before the session connects; a page that cannot start is logged and
//! the session goes on without it. The cluster session does not know the
//! page exists. The server stops when its `UiServer` is dropped.

mod bind;
mod html;
mod page;
mod routes;
mod session_page;

use std::io;
use std::net::SocketAddr;

use tokio::sync::oneshot;

pub use bind::{DEFAULT_UI_BIND, PORT_TRIES, UiBind};
pub use session_page::StatusPage;

use crate::cluster::StatusBoard;

/// A running status server. Dropping it stops the server: the listener
/// closes at once, requests in flight finish.
#[derive(Debug)]
pub struct UiServer {
    local_addr: SocketAddr,
    /// Dropping this tells the server task to shut down.
    _shutdown: oneshot::Sender<()>,
}

impl UiServer {
    /// Binds `bind` (or a later port, see `PORT_TRIES`) and serves `board`
    /// on the current tokio runtime.
    pub async fn start(bind: SocketAddr, board: StatusBoard) -> io::Result<UiServer> {
        let listener = bind::bind_with_fallback(bind).await?;
        let local_addr = listener.local_addr()?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        let server =
            axum::serve(listener, routes::router(board)).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
        tokio::spawn(async move {
            if let Err(error) = server.await {
                tracing::warn!(%error, "the status page stopped");
            }
        });
        Ok(UiServer {
            local_addr,
            _shutdown: shutdown,
        })
    }

    /// The address the server is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }
}
