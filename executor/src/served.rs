//! A served partition: the GET to the driver's data server, and the body
//! summarized on a blocking thread as it arrives. Every wait for bytes is
//! bounded by the data timeout (Spark's `spark.network.timeout`), whether
//! connecting, waiting for the response headers or mid-body: a data server
//! that stalls fails the partition as `Unavailable`, which the driver
//! retries, instead of holding the task forever. Time spent summarizing
//! does not count: only waiting for the server does.

use std::fmt;
use std::io;
use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use rmesos_common::stats::{ColumnSummary, StatsRequest};
use rmesos_common::task::{
    DataUrl, FailureKind, ServedRowsError, TaskFailure, summarize_served_rows_for,
};
use tokio_util::io::{StreamReader, SyncIoBridge};
use tokio_util::sync::CancellationToken;

/// The HTTP client for data servers (shared by all tasks) and how long it
/// waits for bytes.
#[derive(Debug, Clone)]
pub struct DataClient {
    http: reqwest::Client,
    idle_timeout: Duration,
}

impl DataClient {
    /// Reads with `http` (see `driver_http`), waiting up to
    /// `idle_timeout` for bytes.
    pub fn new(http: reqwest::Client, idle_timeout: Duration) -> DataClient {
        DataClient { http, idle_timeout }
    }
}

/// Which partition is read, and its shape.
#[derive(Debug, Clone, Copy)]
pub struct ServedPartition<'a> {
    pub url: &'a DataUrl,
    pub partition_id: u32,
    pub rows: u64,
    pub ncols: usize,
    /// What to compute besides the eight statistics.
    pub request: StatsRequest,
}

/// The body went quiet for the idle timeout after `received` bytes.
#[derive(Debug)]
struct Stalled {
    received: u64,
}

impl fmt::Display for Stalled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no data after {} bytes", self.received)
    }
}

impl std::error::Error for Stalled {}

/// GETs the partition's rows and summarizes the body as it arrives.
/// Cancelling `cancel` ends the stream (the result is then meaningless
/// and must be dropped).
pub async fn summarize(
    data: &DataClient,
    partition: ServedPartition<'_>,
    cancel: CancellationToken,
) -> Result<ColumnSummary, TaskFailure> {
    let url = partition.url;
    let unavailable = |detail: String| TaskFailure::new(FailureKind::Unavailable, detail);
    // Errors are shown without their URL: it holds the token.
    let request = data.http.get(url.expose()).send();
    let response = match tokio::time::timeout(data.idle_timeout, request).await {
        Err(_) => return Err(stalled(data, &partition, "before any response")),
        Ok(Err(e)) => return Err(unavailable(format!("{url}: {}", e.without_url()))),
        Ok(Ok(response)) => response,
    };
    let status = response.status();
    if !status.is_success() {
        return Err(unavailable(format!(
            "{url}: the data server answered {status}"
        )));
    }
    // Cancelling ends the stream, which ends the blocking read below; the
    // connection is dropped with it (and with a stalled body).
    let body = Box::pin(
        idle_bounded(response.bytes_stream(), data.idle_timeout)
            .take_until(cancel.cancelled_owned()),
    );
    let reader = SyncIoBridge::new(StreamReader::new(body));
    let ServedPartition {
        rows,
        ncols,
        request,
        ..
    } = partition;
    let result = tokio::task::spawn_blocking(move || {
        summarize_served_rows_for(reader, rows, ncols, &request)
    })
    .await;
    match result {
        Ok(Ok(summary)) => Ok(summary),
        Ok(Err(ServedRowsError::Io(error))) => match stalled_after(&error) {
            Some(received) => {
                let expected = rows.saturating_mul(ncols as u64 * 8);
                let after = format!("after {received} of {expected} bytes");
                Err(stalled(data, &partition, &after))
            }
            None => Err(unavailable(format!(
                "{url}: {}",
                ServedRowsError::Io(error)
            ))),
        },
        Ok(Err(error)) => {
            let kind = match error {
                ServedRowsError::Short { .. } => FailureKind::Unavailable,
                _ => FailureKind::Internal,
            };
            Err(TaskFailure::new(kind, format!("{url}: {error}")))
        }
        Err(error) => Err(crate::compute::crashed(error)),
    }
}

/// The failure of a partition whose data server went quiet; `when` says
/// how far the read got.
fn stalled(data: &DataClient, partition: &ServedPartition<'_>, when: &str) -> TaskFailure {
    TaskFailure::new(
        FailureKind::Unavailable,
        format!(
            "no data from the driver's data server for {:?} while reading partition {} ({}) {when}",
            data.idle_timeout, partition.partition_id, partition.url
        ),
    )
}

/// The bytes received before the stall, when `error` is one.
fn stalled_after(error: &io::Error) -> Option<u64> {
    let stalled = error.get_ref()?.downcast_ref::<Stalled>()?;
    Some(stalled.received)
}

/// `body` as an I/O stream that fails with [`Stalled`] when no chunk comes
/// for `idle` (the clock runs only while the reader waits for a chunk),
/// and ends after its first error.
fn idle_bounded(
    body: impl Stream<Item = reqwest::Result<Bytes>> + Send + 'static,
    idle: Duration,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    let start = Some((Box::pin(body), 0u64));
    futures::stream::unfold(start, move |state| async move {
        let (mut body, received) = state?;
        match tokio::time::timeout(idle, body.next()).await {
            Ok(Some(Ok(chunk))) => {
                let received = received + chunk.len() as u64;
                Some((Ok(chunk), Some((body, received))))
            }
            Ok(Some(Err(error))) => Some((Err(io::Error::other(error.without_url())), None)),
            Ok(None) => None,
            Err(_) => {
                let error = io::Error::new(io::ErrorKind::TimedOut, Stalled { received });
                Some((Err(error), None))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(n: usize) -> reqwest::Result<Bytes> {
        Ok(Bytes::from(vec![0u8; n]))
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_goes_quiet_fails_with_the_bytes_received() {
        let body = futures::stream::iter([chunk(16), chunk(8)]).chain(futures::stream::pending());
        let mut stream = Box::pin(idle_bounded(body, Duration::from_secs(5)));
        assert_eq!(stream.next().await.unwrap().unwrap().len(), 16);
        assert_eq!(stream.next().await.unwrap().unwrap().len(), 8);
        let error = stream.next().await.unwrap().unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert_eq!(stalled_after(&error), Some(24));
        assert!(stream.next().await.is_none(), "ends after the stall");
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_keeps_moving_never_times_out() {
        // Each chunk comes just inside the timeout: 10 of them take twice
        // as long as the timeout, and all arrive.
        let body = futures::stream::iter(0..10).then(|_| async {
            tokio::time::sleep(Duration::from_millis(999)).await;
            chunk(1)
        });
        let stream = idle_bounded(body, Duration::from_secs(1));
        let chunks: Vec<_> = stream.collect().await;
        assert_eq!(chunks.len(), 10);
        assert!(chunks.iter().all(Result::is_ok));
    }

    #[test]
    fn other_io_errors_are_not_stalls() {
        let error = io::Error::other("connection reset");
        assert_eq!(stalled_after(&error), None);
    }
}
