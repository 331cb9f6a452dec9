//! `StatusPage`: the status page as a front runs it beside a cluster
//! session: started over the session's `StatusBoard` before the session
//! connects (so a session still connecting can be watched), given up
//! with a warning when it cannot start, stopped when dropped. The cluster
//! session knows nothing of it.

use std::net::SocketAddr;

use tokio::runtime::Runtime;

use super::{UiBind, UiServer};
use crate::cluster::StatusBoard;

/// A running status page.
#[derive(Debug)]
pub struct StatusPage {
    server: Option<UiServer>,
    /// Its own runtime, for fronts that have none (`start`).
    runtime: Option<Runtime>,
}

impl StatusPage {
    /// Starts the page at `bind` on a small runtime of its own (for the
    /// command line and Python, which block instead of awaiting); `None`
    /// when `bind` is off or the page cannot start (logged).
    pub fn start(bind: UiBind, board: StatusBoard) -> Option<StatusPage> {
        let addr = bind.addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("rmesos-ui")
            .enable_all()
            .build();
        let runtime = match runtime {
            Ok(runtime) => runtime,
            Err(error) => return not_started(&error),
        };
        let server = runtime.block_on(UiServer::start(addr, board));
        match server {
            Ok(server) => Some(started(server, Some(runtime))),
            Err(error) => {
                runtime.shutdown_background();
                not_started(&error)
            }
        }
    }

    /// Starts the page at `bind` on the current tokio runtime.
    pub async fn start_here(bind: UiBind, board: StatusBoard) -> Option<StatusPage> {
        match UiServer::start(bind.addr()?, board).await {
            Ok(server) => Some(started(server, None)),
            Err(error) => not_started(&error),
        }
    }

    /// The address the page is bound to.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.server.as_ref().map(UiServer::local_addr)
    }

    /// The page's URL for people: when it listens on every interface,
    /// with `advertised_host`, the host the agents reach this process at.
    pub fn url(&self, advertised_host: &str) -> Option<String> {
        let addr = self.local_addr()?;
        let host = if addr.ip().is_unspecified() {
            advertised_host.to_owned()
        } else {
            addr.ip().to_string()
        };
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host
        };
        Some(format!("http://{host}:{}/", addr.port()))
    }
}

impl Drop for StatusPage {
    fn drop(&mut self) {
        // The server first (it stops listening), then its runtime, without
        // waiting: dropping a runtime may happen inside another one.
        drop(self.server.take());
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn started(server: UiServer, runtime: Option<Runtime>) -> StatusPage {
    tracing::info!(addr = %server.local_addr(), "status page listening");
    StatusPage {
        server: Some(server),
        runtime,
    }
}

/// A page that cannot start is only worth a warning.
fn not_started(error: &std::io::Error) -> Option<StatusPage> {
    tracing::warn!(%error, "no status page for this session");
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_names_the_advertised_host_when_bound_everywhere() {
        let board = StatusBoard::new("test", "http://master:5050");
        let page = StatusPage::start(UiBind::At("127.0.0.1:0".parse().unwrap()), board.clone())
            .expect("a loopback port is free");
        let port = page.local_addr().unwrap().port();
        assert_eq!(
            page.url("driver.example"),
            Some(format!("http://127.0.0.1:{port}/"))
        );
        assert!(StatusPage::start(UiBind::Off, board).is_none());
    }
}
