//! The data server's one port, two protocols: with TLS on, a connection
//! whose first byte opens a TLS handshake (0x16) is served over TLS and
//! may reach everything; any other connection is plain HTTP and reaches
//! only the public executor binary, which the Mesos fetcher downloads
//! without knowing the session's certificate (the launch command checks
//! its digest instead). One port keeps a Docker or NAT port mapping simple.
//!
//! Handshakes run on their own tasks, under a deadline, so a slow or
//! silent client never holds up the others.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_util::either::Either;

/// How long a new connection may take to send its first byte and finish
/// its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// The first byte of every TLS connection: a handshake record.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;
/// Connections accepted and opened, not yet taken by the server.
const READY_CONNECTIONS: usize = 64;

/// An accepted connection: over TLS or plain.
pub(crate) type DataIo = Either<TlsStream<TcpStream>, TcpStream>;

/// Who is on the other end of a connection, and whether it speaks TLS.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DataPeer {
    pub(crate) addr: SocketAddr,
    pub(crate) tls: bool,
}

impl Connected<IncomingStream<'_, DataListener>> for DataPeer {
    fn connect_info(stream: IncomingStream<'_, DataListener>) -> Self {
        *stream.remote_addr()
    }
}

/// Accepts TCP connections and opens each as TLS or plain HTTP.
pub(crate) struct DataListener {
    ready: mpsc::Receiver<(DataIo, DataPeer)>,
    local_addr: SocketAddr,
}

impl DataListener {
    /// Starts accepting on `tcp`; TLS with `tls` when given. Accepting
    /// stops when the listener is dropped.
    pub(crate) fn start(tcp: TcpListener, tls: Option<Arc<ServerConfig>>) -> io::Result<Self> {
        let local_addr = tcp.local_addr()?;
        let (opened, ready) = mpsc::channel(READY_CONNECTIONS);
        tokio::spawn(accept_loop(tcp, tls.map(TlsAcceptor::from), opened));
        Ok(DataListener { ready, local_addr })
    }
}

impl axum::serve::Listener for DataListener {
    type Io = DataIo;
    type Addr = DataPeer;

    async fn accept(&mut self) -> (DataIo, DataPeer) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accept loop is gone only once this listener is.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<DataPeer> {
        Ok(DataPeer {
            addr: self.local_addr,
            tls: false,
        })
    }
}

async fn accept_loop(
    tcp: TcpListener,
    tls: Option<TlsAcceptor>,
    opened: mpsc::Sender<(DataIo, DataPeer)>,
) {
    loop {
        let accepted = tokio::select! {
            _ = opened.closed() => return,
            accepted = tcp.accept() => accepted,
        };
        let (stream, addr) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: let it pass.
                tracing::warn!(error = %e, "the data server could not accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (tls, opened) = (tls.clone(), opened.clone());
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, open(stream, tls)).await {
                Ok(Ok((io, tls))) => {
                    let _ = opened.send((io, DataPeer { addr, tls })).await;
                }
                Ok(Err(e)) => {
                    tracing::debug!(peer = %addr, error = %e, "a connection failed to open")
                }
                Err(_) => tracing::debug!(peer = %addr, "a connection sent no handshake in time"),
            }
        });
    }
}

/// Opens `stream` over TLS when TLS is on and the client starts a
/// handshake; as plain HTTP otherwise.
async fn open(stream: TcpStream, tls: Option<TlsAcceptor>) -> io::Result<(DataIo, bool)> {
    let Some(acceptor) = tls else {
        return Ok((Either::Right(stream), false));
    };
    let mut first = [0u8; 1];
    let peeked = stream.peek(&mut first).await?;
    if peeked == 1 && first[0] == TLS_HANDSHAKE_RECORD {
        Ok((Either::Left(acceptor.accept(stream).await?), true))
    } else {
        Ok((Either::Right(stream), false))
    }
}
