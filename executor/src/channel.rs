//! The executor's side of its channel on the driver (see
//! `rmesos_common::lease`): one client per executor, started with the first
//! lease. It owns the `GET <channel>/events` stream (RecordIO of JSON
//! `DriverMessage`s, handed to the runner as [`FromDriver`]), reconnecting
//! with backoff when the stream breaks or stays silent past the grant's
//! silence limit; the heartbeat POSTs; the POSTs of reports, retried on
//! transient errors; and the verdict that the driver is gone: silent for
//! the data timeout, or a 404 (the driver forgot this executor) on any
//! request. The channel URL holds the data-server token: only its
//! redacted form is ever logged.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::BytesMut;
use futures::StreamExt;
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use rmesos_common::backoff::{Backoff, BackoffPolicy};
use rmesos_common::lease::{
    DriverMessage, EVENTS_PATH, HEARTBEAT_PATH, LeaseGrant, failure_path, result_path,
};
use rmesos_common::partition::PartitionSpec;
use rmesos_common::stats::ColumnSummary;
use rmesos_common::task::{DataUrl, TaskFailure};
use rmesos_common::wire::recordio::RecordIoDecoder;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The first wait before reconnecting or retrying a report.
const FIRST_RETRY: Duration = Duration::from_millis(100);
/// The longest wait between reconnects or report retries.
const LONGEST_RETRY: Duration = Duration::from_secs(5);

/// What the driver asked for, or that it is gone.
#[derive(Debug)]
pub enum FromDriver {
    Assign {
        attempt: u64,
        spec: Box<PartitionSpec>,
    },
    Cancel {
        attempt: u64,
    },
    /// The driver is gone (silent for the data timeout, or it forgot this
    /// executor): the sentence says which, naming the redacted channel.
    Gone(String),
}

/// An attempt's outcome, as it is reported.
#[derive(Debug)]
pub enum Report {
    Result(Box<ColumnSummary>),
    Failure(TaskFailure),
}

/// The running channel client; dropping it stops it.
pub struct Channel {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    url: DataUrl,
    heartbeat: Duration,
    silence_limit: Duration,
    data_timeout: Duration,
    last_heard: Mutex<Instant>,
    to_runner: mpsc::UnboundedSender<FromDriver>,
    stop: CancellationToken,
    gone: AtomicBool,
}

/// How one connection of the event stream ended.
enum StreamEnd {
    Stopped,
    /// The driver answered 404: it forgot this executor.
    Forgotten(String),
    /// Anything a reconnect may fix.
    Broken(String),
}

impl Channel {
    /// Starts the client for `grant`'s channel (`http`: see
    /// `driver_http`): the event stream and the heartbeats. What the driver says arrives on the receiver.
    pub fn start(
        grant: &LeaseGrant,
        http: reqwest::Client,
        data_timeout: Duration,
    ) -> (Channel, mpsc::UnboundedReceiver<FromDriver>) {
        let (to_runner, from_driver) = mpsc::unbounded_channel();
        let inner = Arc::new(Inner {
            http,
            url: grant.channel.clone(),
            heartbeat: grant.heartbeat(),
            silence_limit: grant.silence_limit(),
            data_timeout,
            last_heard: Mutex::new(Instant::now()),
            to_runner,
            stop: CancellationToken::new(),
            gone: AtomicBool::new(false),
        });
        tracing::info!(
            channel = %inner.url,
            heartbeat = ?inner.heartbeat,
            silence_limit = ?inner.silence_limit,
            ?data_timeout,
            "starting the driver channel"
        );
        tokio::spawn(listen(Arc::clone(&inner)));
        tokio::spawn(heartbeats(Arc::clone(&inner)));
        (Channel { inner }, from_driver)
    }

    /// The channel's URL (print it, it is redacted).
    pub fn url(&self) -> &DataUrl {
        &self.inner.url
    }

    /// POSTs `attempt`'s report in the background, retrying transient
    /// errors within the data timeout.
    pub fn report(&self, attempt: u64, report: Report) {
        tokio::spawn(deliver(Arc::clone(&self.inner), attempt, report));
    }

    /// Stops the stream, the heartbeats and the reports under way.
    pub fn stop(&self) {
        self.inner.stop.cancel();
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Inner {
    fn at(&self, path: &str) -> DataUrl {
        DataUrl::new(format!(
            "{}/{path}",
            self.url.expose().trim_end_matches('/')
        ))
    }

    fn heard(&self) {
        *self.last_heard.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }

    fn since_heard(&self) -> Duration {
        self.last_heard
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .elapsed()
    }

    /// The driver is gone: tells the runner (once) and stops everything.
    fn gone(&self, why: String) {
        if self.stop.is_cancelled() || self.gone.swap(true, Ordering::SeqCst) {
            return;
        }
        tracing::error!(channel = %self.url, %why, "the driver is gone");
        let _ = self.to_runner.send(FromDriver::Gone(why));
        self.stop.cancel();
    }

    /// The driver answered 404 to `what`.
    fn forgotten(&self, what: &str) {
        self.gone(format!(
            "the driver at {} no longer knows this executor ({what} answered 404)",
            self.url
        ));
    }
}

/// The retry waits of reconnects and reports: short first, never longer
/// than a quarter of the data timeout, so that several tries fit in it.
fn retry_policy(data_timeout: Duration) -> BackoffPolicy {
    BackoffPolicy {
        initial: FIRST_RETRY,
        max: LONGEST_RETRY.min(data_timeout / 4).max(FIRST_RETRY),
        multiplier: 2.0,
        jitter: 0.5,
    }
}

/// Keeps the event stream open until the channel stops or the driver is
/// gone.
async fn listen(inner: Arc<Inner>) {
    let mut backoff = Backoff::new(retry_policy(inner.data_timeout));
    let mut cause = String::new();
    loop {
        let silent = inner.since_heard();
        if silent >= inner.data_timeout {
            return inner.gone(format!(
                "no word from the driver at {} for {:?}: {cause}",
                inner.url, inner.data_timeout
            ));
        }
        // An answer must come within the silence limit, and before the
        // data timeout runs out.
        let limit = inner.silence_limit.min(inner.data_timeout - silent);
        cause = match read_events(&inner, &mut backoff, limit).await {
            StreamEnd::Stopped => return,
            StreamEnd::Forgotten(what) => return inner.forgotten(&what),
            StreamEnd::Broken(cause) => cause,
        };
        let left = inner.data_timeout.saturating_sub(inner.since_heard());
        let wait = backoff.next_delay().min(left);
        tracing::warn!(channel = %inner.url, %cause, ?wait, "driver channel down; reconnecting");
        tokio::select! {
            () = inner.stop.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// One connection of the event stream, read until it ends.
async fn read_events(inner: &Inner, backoff: &mut Backoff, limit: Duration) -> StreamEnd {
    let url = inner.at(EVENTS_PATH);
    let request = inner.http.get(url.expose()).send();
    let response = tokio::select! {
        () = inner.stop.cancelled() => return StreamEnd::Stopped,
        response = tokio::time::timeout(limit, request) => response,
    };
    let response = match response {
        Err(_) => {
            return StreamEnd::Broken(format!("no answer to GET {url} within {limit:?}"));
        }
        Ok(Err(error)) => return StreamEnd::Broken(format!("GET {url}: {}", error.without_url())),
        Ok(Ok(response)) => response,
    };
    match response.status() {
        StatusCode::NOT_FOUND => return StreamEnd::Forgotten(format!("GET {url}")),
        status if !status.is_success() => {
            return StreamEnd::Broken(format!("GET {url} answered {status}"));
        }
        _ => {}
    }
    inner.heard();
    backoff.reset();
    tracing::info!(channel = %inner.url, "connected to the driver's event stream");
    let mut body = response.bytes_stream();
    let mut buffer = BytesMut::new();
    let mut decoder = RecordIoDecoder::new();
    loop {
        loop {
            match decoder.decode_next(&mut buffer) {
                Ok(Some(record)) => {
                    if !forward(inner, &record) {
                        return StreamEnd::Stopped;
                    }
                }
                Ok(None) => break,
                Err(error) => return StreamEnd::Broken(format!("the event stream: {error}")),
            }
        }
        let chunk = tokio::select! {
            () = inner.stop.cancelled() => return StreamEnd::Stopped,
            chunk = tokio::time::timeout(inner.silence_limit, body.next()) => chunk,
        };
        match chunk {
            Err(_) => {
                let limit = inner.silence_limit;
                return StreamEnd::Broken(format!("the event stream was silent for {limit:?}"));
            }
            Ok(Some(Ok(chunk))) => {
                inner.heard();
                buffer.extend_from_slice(&chunk);
            }
            Ok(Some(Err(error))) => {
                return StreamEnd::Broken(format!("the event stream: {}", error.without_url()));
            }
            Ok(None) => return StreamEnd::Broken("the driver ended the event stream".into()),
        }
    }
}

/// Hands one decoded message to the runner; `false` once the runner is
/// gone.
fn forward(inner: &Inner, record: &[u8]) -> bool {
    let message = match DriverMessage::from_bytes(record) {
        Ok(message) => message,
        Err(error) => {
            tracing::warn!(channel = %inner.url, %error, "driver message ignored");
            return true;
        }
    };
    let to_runner = match message {
        DriverMessage::Assign { attempt, spec } => FromDriver::Assign {
            attempt,
            spec: Box::new(spec),
        },
        DriverMessage::Cancel { attempt } => FromDriver::Cancel { attempt },
        DriverMessage::Heartbeat => {
            tracing::trace!("driver heartbeat");
            return true;
        }
        DriverMessage::ObjectAccess { access } => {
            // Before the partitions that need it, on the same stream.
            rmesos_common::objects::set_access(access);
            return true;
        }
    };
    inner.to_runner.send(to_runner).is_ok()
}

/// POSTs a heartbeat at once and then every heartbeat interval; a 404
/// means the driver forgot this executor.
async fn heartbeats(inner: Arc<Inner>) {
    let url = inner.at(HEARTBEAT_PATH);
    let mut ticks = tokio::time::interval(inner.heartbeat);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = inner.stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        let request = inner.http.post(url.expose()).send();
        let answer = tokio::select! {
            () = inner.stop.cancelled() => return,
            answer = tokio::time::timeout(inner.silence_limit, request) => answer,
        };
        match answer {
            Ok(Ok(response)) if response.status() == StatusCode::NOT_FOUND => {
                return inner.forgotten(&format!("POST {url}"));
            }
            Ok(Ok(response)) if response.status().is_success() => inner.heard(),
            Ok(Ok(response)) => {
                tracing::debug!(status = %response.status(), "heartbeat not taken");
            }
            Ok(Err(error)) => tracing::debug!(error = %error.without_url(), "heartbeat failed"),
            Err(_) => tracing::debug!("heartbeat unanswered"),
        }
    }
}

/// How one POST of a report went.
enum Posted {
    Taken,
    Forgotten,
    /// Refused for good (a 4xx other than 404): retrying will not help.
    Refused(StatusCode),
    /// Worth another try (no answer, a transport error, 5xx, 408, 429).
    Transient(String),
}

/// POSTs `attempt`'s report until it is taken, retrying transient errors
/// with backoff for up to the data timeout. The driver must take a report
/// twice (a retry after a lost answer) as once.
async fn deliver(inner: Arc<Inner>, attempt: u64, report: Report) {
    let (path, body, media_type) = match &report {
        Report::Result(summary) => (
            result_path(attempt),
            summary.to_bytes(),
            "application/octet-stream",
        ),
        Report::Failure(failure) => (
            failure_path(attempt),
            failure.to_bytes(),
            "application/json",
        ),
    };
    let url = inner.at(&path);
    let deadline = Instant::now() + inner.data_timeout;
    let mut backoff = Backoff::new(retry_policy(inner.data_timeout));
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let post = post_once(&inner, &url, body.clone(), media_type, left);
        let posted = tokio::select! {
            () = inner.stop.cancelled() => return,
            posted = post => posted,
        };
        let cause = match posted {
            Posted::Taken => {
                inner.heard();
                return tracing::debug!(attempt, report = %url, "report taken");
            }
            Posted::Forgotten => return inner.forgotten(&format!("POST {url}")),
            Posted::Refused(status) => {
                inner.heard();
                return tracing::error!(attempt, %status, report = %url, "report refused; dropped");
            }
            Posted::Transient(cause) => cause,
        };
        let wait = backoff.next_delay();
        if Instant::now() + wait >= deadline {
            let timeout = inner.data_timeout;
            return tracing::error!(
                attempt, report = %url, %cause,
                "report not taken within {timeout:?}; dropped"
            );
        }
        tracing::warn!(attempt, report = %url, %cause, ?wait, "report not taken; retrying");
        tokio::select! {
            () = inner.stop.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

async fn post_once(
    inner: &Inner,
    url: &DataUrl,
    body: Vec<u8>,
    media_type: &str,
    limit: Duration,
) -> Posted {
    let request = inner
        .http
        .post(url.expose())
        .header(CONTENT_TYPE, media_type)
        .body(body)
        .send();
    match tokio::time::timeout(limit, request).await {
        Err(_) => Posted::Transient(format!("no answer within {limit:?}")),
        Ok(Err(error)) => Posted::Transient(error.without_url().to_string()),
        Ok(Ok(response)) => match response.status() {
            status if status.is_success() => Posted::Taken,
            StatusCode::NOT_FOUND => Posted::Forgotten,
            status
                if status.is_server_error()
                    || status == StatusCode::REQUEST_TIMEOUT
                    || status == StatusCode::TOO_MANY_REQUESTS =>
            {
                Posted::Transient(format!("answered {status}"))
            }
            status => Posted::Refused(status),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_waits_fit_several_times_in_the_data_timeout() {
        let policy = retry_policy(Duration::from_secs(60));
        assert_eq!(policy.max, LONGEST_RETRY);
        let policy = retry_policy(Duration::from_secs(2));
        assert_eq!(policy.max, Duration::from_millis(500));
        let policy = retry_policy(Duration::from_millis(100));
        assert_eq!(policy.max, FIRST_RETRY);
    }

    #[tokio::test]
    async fn paths_go_under_the_channel_and_print_redacted() {
        let grant = LeaseGrant {
            version: rmesos_common::lease::LEASE_GRANT_VERSION,
            channel: DataUrl::new("http://127.0.0.1:9/s3cr3t/executors/e-1/"),
            slots: 1,
            heartbeat_ms: 60_000,
            server_sha256: None,
        };
        let http = reqwest::Client::new();
        let (channel, _from_driver) = Channel::start(&grant, http, Duration::from_secs(60));
        let url = channel.inner.at(&result_path(4));
        assert_eq!(
            url.expose(),
            "http://127.0.0.1:9/s3cr3t/executors/e-1/attempts/4/result"
        );
        assert_eq!(
            url.to_string(),
            "http://127.0.0.1:9/***/executors/e-1/attempts/4/result"
        );
        channel.stop();
    }
}
