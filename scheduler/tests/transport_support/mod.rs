//! A scripted master for transport tests: a real HTTP server on loopback
//! whose answer to each POST is chosen by the test, and which records what
//! it received.

#![allow(dead_code)]

pub mod tls;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// What the master received.
#[derive(Clone, Debug)]
pub struct Seen {
    pub body: Vec<u8>,
    pub stream_id: Option<String>,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub accept: Option<String>,
}

/// How the master answers one request.
pub enum Reply {
    Redirect(String),
    Status(u16, String),
    Stream {
        stream_id: String,
        chunks: Vec<Vec<u8>>,
    },
    Hang,
}

type Script = Arc<dyn Fn(&Seen) -> Reply + Send + Sync>;

#[derive(Clone)]
struct Shared {
    script: Arc<Mutex<Option<Script>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

#[derive(Clone)]
pub struct FakeMaster {
    shared: Shared,
    port: u16,
    scheme: &'static str,
    server: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl FakeMaster {
    pub async fn start(script: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Self {
        let master = Self::start_unscripted().await;
        master.script(script);
        master
    }

    /// A master whose script is set later (for masters that point at each other).
    pub async fn start_unscripted() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let shared = empty_shared();
        let app = router(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self::assemble(shared, port, "http", server)
    }

    /// The same master behind TLS with the given server certificate.
    pub async fn start_tls(
        acceptor: tokio_rustls::TlsAcceptor,
        script: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let shared = empty_shared();
        let app = router(shared.clone());
        let tls = tls::TlsListener { listener, acceptor };
        let server = tokio::spawn(async move {
            let _ = axum::serve(tls, app).await;
        });
        let master = Self::assemble(shared, port, "https", server);
        master.script(script);
        master
    }

    fn assemble(shared: Shared, port: u16, scheme: &'static str, server: JoinHandle<()>) -> Self {
        FakeMaster {
            shared,
            port,
            scheme,
            server: Arc::new(Mutex::new(Some(server))),
        }
    }

    pub fn script(&self, script: impl Fn(&Seen) -> Reply + Send + Sync + 'static) {
        *self.shared.script.lock().unwrap() = Some(Arc::new(script));
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn base_url(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.port)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }

    /// Stops accepting connections.
    pub async fn stop(&self) {
        let server = self.server.lock().unwrap().take();
        if let Some(server) = server {
            server.abort();
            let _ = server.await;
        }
    }
}

fn empty_shared() -> Shared {
    Shared {
        script: Arc::new(Mutex::new(None)),
        seen: Arc::new(Mutex::new(Vec::new())),
    }
}

fn router(shared: Shared) -> Router {
    Router::new().fallback(answer).with_state(shared)
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn answer(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let seen = Seen {
        body: body.to_vec(),
        stream_id: header_text(&headers, "mesos-stream-id"),
        authorization: header_text(&headers, "authorization"),
        content_type: header_text(&headers, "content-type"),
        accept: header_text(&headers, "accept"),
    };
    shared.seen.lock().unwrap().push(seen.clone());
    let script = shared.script.lock().unwrap().clone();
    let reply = match script {
        Some(script) => script(&seen),
        None => Reply::Status(500, "no script".into()),
    };
    match reply {
        Reply::Redirect(location) => Response::builder()
            .status(StatusCode::TEMPORARY_REDIRECT)
            .header(header::LOCATION, location)
            .body(Body::empty())
            .unwrap(),
        Reply::Status(code, text) => Response::builder()
            .status(StatusCode::from_u16(code).unwrap())
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from(text))
            .unwrap(),
        Reply::Stream { stream_id, chunks } => {
            let stream = futures::stream::iter(
                chunks
                    .into_iter()
                    .map(|c| Ok::<_, std::io::Error>(Bytes::from(c))),
            );
            Response::builder()
                .status(StatusCode::OK)
                .header(
                    "Mesos-Stream-Id",
                    HeaderValue::from_str(&stream_id).unwrap(),
                )
                .body(Body::from_stream(stream))
                .unwrap()
        }
        Reply::Hang => futures::future::pending().await,
    }
}
