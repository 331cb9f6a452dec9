//! A tiny stand-in for the driver's data server, over loopback: the rows
//! of a served partition under a secret token, plus the ways a data
//! server goes wrong (an error status, a body cut short, a body that
//! stalls forever, whose connection the test can see dropped).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use rmesos_common::task::{DataUrl, encode_rows};

/// The first path segment of every URL: must never appear in a log.
pub const TOKEN: &str = "s3cr3t-data-token";

/// What the test can observe of the server.
#[derive(Default)]
pub struct Observed {
    /// Requests for the stalling body.
    pub stall_requests: AtomicUsize,
    /// Set when a stalling body was dropped (its connection closed).
    pub stall_dropped: AtomicBool,
}

/// Sets its flag when dropped along with the response body it lives in.
struct DropFlag(Arc<Observed>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.stall_dropped.store(true, Ordering::SeqCst);
    }
}

pub struct DataServer {
    pub base: String,
    pub observed: Arc<Observed>,
}

impl DataServer {
    /// Serves `values` (row-major) at `rows`, and the faulty routes.
    pub async fn start(values: Vec<f64>) -> DataServer {
        let observed = Arc::new(Observed::default());
        let bytes = encode_rows(&values);
        let full = bytes.clone();
        let half = bytes[..(bytes.len() / 2 + 3).min(bytes.len())].to_vec();
        let stall_observed = Arc::clone(&observed);
        let app = Router::new()
            .route(
                &format!("/{TOKEN}/rows"),
                get(move || {
                    let full = full.clone();
                    // In small chunks, so the body really streams.
                    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
                        full.chunks(4096).map(|c| Ok(c.to_vec())).collect();
                    async move { Body::from_stream(futures::stream::iter(chunks)) }
                }),
            )
            .route(
                &format!("/{TOKEN}/generated/{{rows}}/{{ncols}}"),
                get(|Path((rows, ncols)): Path<(u64, u64)>| async move {
                    Body::from_stream(generated_rows(rows, ncols))
                }),
            )
            .route(
                &format!("/{TOKEN}/missing"),
                get(|| async { (StatusCode::NOT_FOUND, "no such partition") }),
            )
            .route(
                &format!("/{TOKEN}/short"),
                get(move || {
                    let half = half.clone();
                    async move { half }
                }),
            )
            .route(
                &format!("/{TOKEN}/stall"),
                get(move || {
                    let observed = Arc::clone(&stall_observed);
                    async move {
                        observed.stall_requests.fetch_add(1, Ordering::SeqCst);
                        let flag = DropFlag(observed);
                        let first =
                            futures::stream::iter([Ok::<_, std::io::Error>(vec![0u8; 800])]);
                        let forever = futures::stream::unfold(flag, |flag| async move {
                            std::future::pending::<()>().await;
                            Some((Ok(Vec::new()), flag))
                        });
                        Body::from_stream(futures::StreamExt::chain(first, forever))
                    }
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        DataServer {
            base: format!("http://127.0.0.1:{port}/{TOKEN}"),
            observed,
        }
    }

    /// Waits until the stalling body has been asked for.
    pub async fn wait_for_stall_request(&self) {
        poll("a request for the stalling body", || {
            self.observed.stall_requests.load(Ordering::SeqCst) > 0
        })
        .await;
    }

    /// Waits until the stalling body was dropped (the client hung up).
    pub async fn wait_for_stall_dropped(&self) {
        poll("the stalling body dropped", || {
            self.observed.stall_dropped.load(Ordering::SeqCst)
        })
        .await;
    }

    /// The URL of `rows` x `ncols` values made up as they are sent (see
    /// [`generated_value`]), so that a partition of any size streams.
    pub fn generated_url(&self, rows: u64, ncols: usize) -> DataUrl {
        DataUrl::new(format!("{}/generated/{rows}/{ncols}", self.base))
    }

    /// The URL of route `name` (`rows`, `missing`, `short`, `stall`).
    pub fn url(&self, name: &str) -> DataUrl {
        DataUrl::new(format!("{}/{name}", self.base))
    }
}

/// Waits (polling) until `cond` holds; fails the test after `DEADLINE`.
pub async fn poll(what: &str, cond: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + super::scheduler::DEADLINE;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// Value `index` (row-major) of a generated partition.
pub fn generated_value(index: u64) -> f64 {
    (index % 1009) as f64 - 500.0
}

/// The stream form of a generated partition, 64 KiB at a time.
fn generated_rows(
    rows: u64,
    ncols: u64,
) -> impl futures::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    const CHUNK_VALUES: u64 = 8192;
    let total = rows * ncols;
    futures::stream::unfold(0u64, move |next| async move {
        if next >= total {
            return None;
        }
        let end = (next + CHUNK_VALUES).min(total);
        let chunk = (next..end)
            .flat_map(|i| generated_value(i).to_le_bytes())
            .collect();
        Some((Ok(chunk), end))
    })
}
