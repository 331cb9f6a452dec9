//! A data server that stalls on purpose, written on raw TCP so that
//! nothing in an HTTP library helps it along: under `/<TOKEN>/silent` it
//! accepts the connection, reads the request and never answers; under
//! `/<TOKEN>/half` it sends headers with a `Content-Length` and half of
//! that body, then nothing more. Either way it keeps the connection open
//! until the client hangs up, and counts the requests it saw and the
//! connections the client closed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rmesos_common::task::DataUrl;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::data_server::{TOKEN, poll};

/// What the test can observe of the server.
#[derive(Default)]
pub struct StallObserved {
    /// Requests read (whatever their path).
    pub requests: AtomicUsize,
    /// Connections the client closed while the server was stalling.
    pub hung_up: AtomicUsize,
}

pub struct StallingServer {
    base: String,
    pub observed: Arc<StallObserved>,
    /// The whole body `half` announces (only its first half is sent).
    pub body_len: usize,
}

impl StallingServer {
    /// Serves the stalls; `half` announces `body_len` bytes.
    pub async fn start(body_len: usize) -> StallingServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let observed = Arc::new(StallObserved::default());
        let shared = Arc::clone(&observed);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket, body_len, Arc::clone(&shared)));
            }
        });
        StallingServer {
            base: format!("http://127.0.0.1:{port}/{TOKEN}"),
            observed,
            body_len,
        }
    }

    /// The URL that never answers.
    pub fn silent_url(&self) -> DataUrl {
        DataUrl::new(format!("{}/silent", self.base))
    }

    /// The URL that sends headers and half the body.
    pub fn half_url(&self) -> DataUrl {
        DataUrl::new(format!("{}/half", self.base))
    }

    /// The bytes of body `half` sends before it stalls.
    pub fn half_len(&self) -> usize {
        self.body_len / 2
    }

    /// Waits until the client has hung up `count` stalled connections.
    pub async fn wait_for_hang_ups(&self, count: usize) {
        poll(&format!("{count} stalled connections closed"), || {
            self.observed.hung_up.load(Ordering::SeqCst) >= count
        })
        .await;
    }
}

async fn serve(mut socket: TcpStream, body_len: usize, observed: Arc<StallObserved>) {
    let Some(path) = read_request_path(&mut socket).await else {
        return;
    };
    observed.requests.fetch_add(1, Ordering::SeqCst);
    if path.ends_with("/half") {
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\
             Content-Length: {body_len}\r\n\r\n"
        );
        let half = vec![7u8; body_len / 2];
        if socket.write_all(head.as_bytes()).await.is_err()
            || socket.write_all(&half).await.is_err()
            || socket.flush().await.is_err()
        {
            return;
        }
    }
    // Stall: send nothing more, and wait for the client to hang up (a
    // read of 0 bytes, or a reset).
    let mut sink = [0u8; 512];
    loop {
        match socket.read(&mut sink).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    observed.hung_up.fetch_add(1, Ordering::SeqCst);
}

/// Reads a request head and returns its path (`None`: the client went
/// away first).
async fn read_request_path(socket: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = socket.read(&mut buffer).await.ok().filter(|&n| n > 0)?;
        head.extend_from_slice(&buffer[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    let request_line = text.lines().next()?;
    request_line.split_whitespace().nth(1).map(str::to_owned)
}
