//! A fake driver channel over loopback, as `rmesos_common::lease` describes
//! it: the event stream (RecordIO of JSON `DriverMessage`s, with a
//! heartbeat every interval unless told to keep quiet), and the result,
//! failure and heartbeat POSTs, all recorded. The test pushes assignments
//! and cancellations, ends the stream, makes the driver forget the
//! executor (404 on everything), or stops the driver (no new connection
//! is accepted, and nothing is answered any more).

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rmesos_common::lease::{DriverMessage, LEASE_GRANT_VERSION, LeaseGrant};
use rmesos_common::partition::PartitionSpec;
use rmesos_common::stats::ColumnSummary;
use rmesos_common::task::{DataUrl, TaskFailure};
use rmesos_common::wire::recordio::encode_record_to_bytes;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::data_server::TOKEN;
use super::scheduler::DEADLINE;

/// The executor id in the channel URL.
pub const CHANNEL_EXECUTOR: &str = "exec-1";

/// What the driver has seen so far.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    /// GETs of the event stream.
    pub event_requests: usize,
    /// Results, in arrival order: attempt and summary.
    pub results: Vec<(u64, ColumnSummary)>,
    /// Failure reports, in arrival order.
    pub failures: Vec<(u64, TaskFailure)>,
    /// When each heartbeat POST arrived.
    pub heartbeats: Vec<Instant>,
    /// Report POSTs, including those answered 503.
    pub report_posts: usize,
}

impl Seen {
    /// The results of `attempt`.
    pub fn results_of(&self, attempt: u64) -> Vec<&ColumnSummary> {
        let matching = self.results.iter().filter(|(a, _)| *a == attempt);
        matching.map(|(_, summary)| summary).collect()
    }

    /// The failure reports of `attempt`.
    pub fn failures_of(&self, attempt: u64) -> Vec<&TaskFailure> {
        let matching = self.failures.iter().filter(|(a, _)| *a == attempt);
        matching.map(|(_, failure)| failure).collect()
    }

    /// Reports of any kind for `attempt`.
    pub fn reports_of(&self, attempt: u64) -> usize {
        self.results_of(attempt).len() + self.failures_of(attempt).len()
    }
}

#[derive(Default)]
struct DriverState {
    seen: Seen,
    stream: Option<mpsc::UnboundedSender<Bytes>>,
    /// Answer 404 to everything.
    forgotten: bool,
    /// Answer nothing.
    stopped: bool,
    /// Streams send no heartbeats.
    quiet: bool,
    /// Report POSTs still to answer 503.
    refuse_reports: usize,
}

type Shared = Arc<Mutex<DriverState>>;

pub struct FakeDriver {
    /// `http://127.0.0.1:<port>/<TOKEN>`.
    pub base: String,
    pub heartbeat: Duration,
    state: Shared,
    server: JoinHandle<()>,
}

impl FakeDriver {
    /// A driver whose streams carry a heartbeat every `heartbeat`.
    pub async fn start(heartbeat: Duration) -> FakeDriver {
        let state = Shared::default();
        let channel = format!("/{TOKEN}/executors/{{executor}}");
        let app = Router::new()
            .route(&format!("{channel}/events"), get(events))
            .route(&format!("{channel}/heartbeat"), post(heartbeat_post))
            .route(
                &format!("{channel}/attempts/{{attempt}}/{{kind}}"),
                post(report),
            )
            .with_state((Arc::clone(&state), heartbeat));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeDriver {
            base: format!("http://127.0.0.1:{port}/{TOKEN}"),
            heartbeat,
            state,
            server,
        }
    }

    fn state(&self) -> MutexGuard<'_, DriverState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The executor's channel URL.
    pub fn channel(&self) -> DataUrl {
        DataUrl::new(format!("{}/executors/{CHANNEL_EXECUTOR}", self.base))
    }

    /// A grant of `slots` on this driver's channel.
    pub fn grant(&self, slots: u32) -> Vec<u8> {
        LeaseGrant {
            version: LEASE_GRANT_VERSION,
            channel: self.channel(),
            slots,
            heartbeat_ms: self.heartbeat.as_millis() as u64,
            server_sha256: None,
        }
        .to_bytes()
    }

    /// Sends `message` on the current event stream.
    pub fn send(&self, message: &DriverMessage) {
        let record = encode_record_to_bytes(&message.to_bytes());
        let stream = self.state().stream.clone().expect("an open event stream");
        stream.send(record).expect("the stream is being read");
    }

    pub fn assign(&self, attempt: u64, spec: PartitionSpec) {
        self.send(&DriverMessage::Assign { attempt, spec });
    }

    pub fn cancel(&self, attempt: u64) {
        self.send(&DriverMessage::Cancel { attempt });
    }

    /// Ends the current event stream.
    pub fn end_stream(&self) {
        self.state().stream = None;
    }

    /// Streams opened from now on carry no heartbeat.
    pub fn keep_quiet(&self) {
        self.state().quiet = true;
    }

    /// Answers the next `count` report POSTs 503 (a driver busy or
    /// restarting its data server).
    pub fn refuse_reports(&self, count: usize) {
        self.state().refuse_reports = count;
    }

    /// Answers 404 to everything from now on (the executor was declared
    /// lost).
    pub fn forget(&self) {
        self.state().forgotten = true;
    }

    /// The driver stops: no new connection, no answer on the open ones,
    /// the stream ended.
    pub fn stop(&self) {
        self.server.abort();
        let mut state = self.state();
        state.stopped = true;
        state.stream = None;
    }

    pub fn seen(&self) -> Seen {
        self.state().seen.clone()
    }

    /// Polls what the driver saw until `cond` holds; fails after the
    /// deadline naming `what`.
    pub async fn wait_for(&self, what: &str, cond: impl Fn(&Seen) -> bool) -> Seen {
        self.wait_for_within(DEADLINE, what, cond).await
    }

    /// `wait_for` with a deadline of `limit`.
    pub async fn wait_for_within(
        &self,
        limit: Duration,
        what: &str,
        cond: impl Fn(&Seen) -> bool,
    ) -> Seen {
        let deadline = Instant::now() + limit;
        loop {
            let seen = self.seen();
            if cond(&seen) {
                return seen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; the driver saw {seen:#?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits for event stream number `count` to be open.
    pub async fn wait_for_stream(&self, count: usize) {
        let what = format!("event stream {count}");
        self.wait_for(&what, |seen| seen.event_requests >= count)
            .await;
        let deadline = Instant::now() + DEADLINE;
        while self.state().stream.is_none() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for FakeDriver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// What a handler does before anything else: `Some` answer when the
/// driver forgot the executor, never to return when it stopped.
async fn gate(state: &Shared) -> Option<Response> {
    let (stopped, forgotten) = {
        let state = state.lock().unwrap_or_else(|p| p.into_inner());
        (state.stopped, state.forgotten)
    };
    if stopped {
        std::future::pending::<()>().await;
    }
    forgotten.then(|| (StatusCode::NOT_FOUND, "no such executor").into_response())
}

async fn events(
    State((state, heartbeat)): State<(Shared, Duration)>,
    Path(_executor): Path<String>,
) -> Response {
    if let Some(answer) = gate(&state).await {
        return answer;
    }
    let (sender, mut receiver) = mpsc::unbounded_channel::<Bytes>();
    let quiet = {
        let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
        state.seen.event_requests += 1;
        state.stream = Some(sender.clone());
        state.quiet
    };
    // Heartbeats while the stream is open (the state holds the only
    // strong sender: dropping it ends the stream).
    let weak = sender.downgrade();
    drop(sender);
    if !quiet {
        tokio::spawn(async move {
            let record = encode_record_to_bytes(&DriverMessage::Heartbeat.to_bytes());
            loop {
                tokio::time::sleep(heartbeat).await;
                let Some(sender) = weak.upgrade() else { return };
                if sender.send(record.clone()).is_err() {
                    return;
                }
            }
        });
    }
    let body = futures::stream::poll_fn(move |cx| {
        receiver
            .poll_recv(cx)
            .map(|b| b.map(Ok::<_, std::convert::Infallible>))
    });
    Response::new(Body::from_stream(body))
}

async fn heartbeat_post(
    State((state, _)): State<(Shared, Duration)>,
    Path(_executor): Path<String>,
) -> Response {
    if let Some(answer) = gate(&state).await {
        return answer;
    }
    let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
    state.seen.heartbeats.push(Instant::now());
    StatusCode::NO_CONTENT.into_response()
}

async fn report(
    State((state, _)): State<(Shared, Duration)>,
    Path((_executor, attempt, kind)): Path<(String, u64, String)>,
    body: Bytes,
) -> Response {
    if let Some(answer) = gate(&state).await {
        return answer;
    }
    let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
    state.seen.report_posts += 1;
    if state.refuse_reports > 0 {
        state.refuse_reports -= 1;
        return (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response();
    }
    match kind.as_str() {
        "result" => match ColumnSummary::from_bytes(&body) {
            Ok(summary) => state.seen.results.push((attempt, summary)),
            Err(error) => return (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
        },
        "failure" => match TaskFailure::from_bytes(&body) {
            Some(failure) => state.seen.failures.push((attempt, failure)),
            None => return (StatusCode::BAD_REQUEST, "not a failure").into_response(),
        },
        _ => return StatusCode::NOT_FOUND.into_response(),
    }
    StatusCode::NO_CONTENT.into_response()
}
