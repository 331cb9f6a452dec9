//! The request handler: every request goes through one fallback that
//! checks the method and the token (the session's, or for rows the job's;
//! none for the public executor binary), then routes the rest of the path.
//! Whatever does not match exactly is answered 404 with an empty body, the
//! same answer for every mistake, and logged with the token masked.

use std::ops::Range;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt;
use tokio_util::io::ReaderStream;

use rmesos_common::lease::{EVENTS_PATH, HEARTBEAT_PATH};

use super::executor_fetch::FETCHED_EXECUTOR_NAME;
use super::executor_source::ExecutorSource;
use super::listener::DataPeer;
use super::rows_body::rows_body;
use super::segment;
use super::shared::{EXECUTOR_PATH, Shared};
use super::token::Token;

/// Read size when streaming the executor binary.
const FILE_CHUNK_BYTES: usize = 256 * 1024;
/// Longest request path quoted in a log line.
const LOGGED_PATH_CHARS: usize = 200;

/// The server's routes: all of them in `handle`.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

/// What a well-formed, authenticated path asks for.
enum Target {
    Executor,
    /// A job's rows, if `token` is that job's.
    Rows {
        token: String,
        job_id: String,
        rows: Range<u64>,
    },
    /// An executor's channel: its message stream, heartbeat or a report.
    Channel {
        executor_id: String,
        call: ChannelCall,
    },
}

enum ChannelCall {
    Events,
    Heartbeat,
    Report { attempt: u64, result: bool },
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<DataPeer>,
    method: Method,
    uri: Uri,
    body: Body,
) -> Response {
    let target = parse(&shared, &method, uri.path());
    // With TLS on, plain HTTP reaches only the public executor binary.
    let allowed =
        peer.tls || shared.certificate.is_none() || matches!(target, Some(Target::Executor));
    let response = match target.filter(|_| allowed) {
        Some(Target::Executor) => serve_executor(&shared).await,
        Some(Target::Rows {
            token,
            job_id,
            rows,
        }) => serve_rows(&shared, &token, &job_id, rows),
        Some(Target::Channel { executor_id, call }) => {
            serve_channel(&shared, &executor_id, call, body).await
        }
        None => None,
    };
    match response {
        Some(response) => response,
        None => {
            shared.counters.rejected();
            let path = masked_path(&shared, uri.path());
            let (peer, tls) = (peer.addr, peer.tls);
            tracing::warn!(%method, %path, %peer, tls, "data server rejected a request");
            StatusCode::NOT_FOUND.into_response()
        }
    }
}

/// The target of `GET /executor/<sha256>/rmesos-executor`,
/// `GET /<job token>/jobs/<job_id>/rows/<start>-<end>` or one of an
/// executor's channel calls under `/<token>/executors/<executor_id>/`;
/// `None` otherwise. The session token opens no rows.
fn parse(shared: &Shared, method: &Method, path: &str) -> Option<Target> {
    let mut segments = path.strip_prefix('/')?.split('/');
    let first = segments.next()?;
    let rest: Vec<&str> = segments.collect();
    let get = method == Method::GET;
    let post = method == Method::POST;
    if first == EXECUTOR_PATH {
        let sha256 = shared.executor_sha256.as_deref()?;
        let asked = [sha256, FETCHED_EXECUTOR_NAME];
        return (get && rest == asked).then_some(Target::Executor);
    }
    if let ["jobs", job, "rows", range] = rest.as_slice() {
        return get
            .then(|| {
                Some(Target::Rows {
                    token: first.to_owned(),
                    job_id: segment::decode(job).filter(|id| !id.is_empty())?,
                    rows: parse_range(range)?,
                })
            })
            .flatten();
    }
    if !shared.token.matches(first) {
        return None;
    }
    let call = match rest.as_slice() {
        ["executors", _, path] if get && *path == EVENTS_PATH => ChannelCall::Events,
        ["executors", _, path] if post && *path == HEARTBEAT_PATH => ChannelCall::Heartbeat,
        ["executors", _, "attempts", attempt, kind] if post => ChannelCall::Report {
            attempt: plain_number(attempt)?,
            result: match *kind {
                "result" => true,
                "failure" => false,
                _ => return None,
            },
        },
        _ => return None,
    };
    let executor_id = segment::decode(rest[1]).filter(|id| shared.channels.knows(id))?;
    Some(Target::Channel { executor_id, call })
}

/// Answers a channel call of a known executor.
async fn serve_channel(
    shared: &Shared,
    executor_id: &str,
    call: ChannelCall,
    body: Body,
) -> Option<Response> {
    let channels = &shared.channels;
    match call {
        ChannelCall::Events => {
            tracing::debug!(executor = %executor_id, "an executor opened its channel");
            let stream = channels.open(executor_id);
            let headers = [(
                CONTENT_TYPE,
                HeaderValue::from_static("application/recordio"),
            )];
            Some((StatusCode::OK, headers, Body::from_stream(stream)).into_response())
        }
        ChannelCall::Heartbeat => {
            channels.heartbeat_from(executor_id);
            Some(StatusCode::NO_CONTENT.into_response())
        }
        ChannelCall::Report { attempt, result } => {
            let limit = rmesos_common::limits::MAX_RESULT_BYTES;
            let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
                tracing::warn!(executor = %executor_id, attempt, "an unreadable report");
                return Some(StatusCode::BAD_REQUEST.into_response());
            };
            channels.report(executor_id, attempt, result, &bytes);
            Some(StatusCode::NO_CONTENT.into_response())
        }
    }
}

/// `<start>-<end>` in plain decimal digits, `start <= end`.
fn parse_range(text: &str) -> Option<Range<u64>> {
    let (start, end) = text.split_once('-')?;
    let (start, end) = (plain_number(start)?, plain_number(end)?);
    (start <= end).then_some(start..end)
}

/// A number in plain decimal digits (no sign, no spaces).
fn plain_number(digits: &str) -> Option<u64> {
    let plain = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    plain.then(|| digits.parse::<u64>().ok()).flatten()
}

/// Streams rows `rows` of a published job; `None` if the job is not
/// published, `token` is not its token or the range exceeds its rows.
fn serve_rows(shared: &Shared, token: &str, job_id: &str, rows: Range<u64>) -> Option<Response> {
    let published = shared.jobs.get(job_id)?;
    if !published.token.matches(token) || rows.end > published.nrows() {
        return None;
    }
    let start = usize::try_from(rows.start).ok()? * published.ncols;
    let end = usize::try_from(rows.end).ok()? * published.ncols;
    let bytes = (end - start) as u64 * 8;
    tracing::debug!(job = %job_id, rows = ?rows, bytes, "data server streaming partition rows");
    shared.counters.served();
    let body = rows_body(published.rows, start..end, shared.counters.clone());
    Some(octet_stream(bytes, body))
}

/// Streams the executor binary when this server is its source.
async fn serve_executor(shared: &Shared) -> Option<Response> {
    let ExecutorSource::Serve(path) = &shared.executor else {
        return None;
    };
    let opened = match tokio::fs::File::open(path).await {
        Ok(file) => file.metadata().await.map(|meta| (file, meta.len())),
        Err(e) => Err(e),
    };
    let (file, bytes) = match opened {
        Ok(opened) => opened,
        Err(e) => {
            let path = path.display();
            tracing::error!(%path, error = %e, "data server cannot read the executor binary");
            return Some(StatusCode::INTERNAL_SERVER_ERROR.into_response());
        }
    };
    tracing::debug!(path = %path.display(), bytes, "data server streaming the executor binary");
    shared.counters.served();
    let counters = shared.counters.clone();
    let stream = ReaderStream::with_capacity(file, FILE_CHUNK_BYTES)
        .inspect_ok(move |chunk| counters.sent(chunk.len()));
    Some(octet_stream(bytes, Body::from_stream(stream)))
}

fn octet_stream(bytes: u64, body: Body) -> Response {
    let headers = [
        (
            CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        ),
        (CONTENT_LENGTH, HeaderValue::from(bytes)),
    ];
    (StatusCode::OK, headers, body).into_response()
}

/// `path` fit for a log line: its first segment (a token, or a guess at
/// one) as `***`, any other segment shaped like a token (a job's) or
/// holding the session token too, and cut to a length.
fn masked_path(shared: &Shared, path: &str) -> String {
    let after_token = path
        .strip_prefix('/')
        .and_then(|rest| rest.find('/').map(|i| &rest[i..]));
    let masked = match after_token {
        Some(rest) => format!("/***{rest}"),
        None if path.len() > 1 => "/***".to_owned(),
        None => path.to_owned(),
    };
    let scrubbed = masked
        .split('/')
        .map(|segment| match Token::looks_like(segment) {
            true => "***",
            false => segment,
        })
        .collect::<Vec<_>>()
        .join("/")
        .replace(shared.token.expose(), "***");
    match scrubbed.char_indices().nth(LOGGED_PATH_CHARS) {
        Some((cut, _)) => format!("{}...", &scrubbed[..cut]),
        None => scrubbed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_plain_ordered_decimals() {
        assert_eq!(parse_range("0-10"), Some(0..10));
        assert_eq!(parse_range("7-7"), Some(7..7));
        for bad in [
            "10-0",
            "+1-2",
            "1-",
            "-2",
            "1-2-3",
            "a-b",
            "1 -2",
            "99999999999999999999-1",
        ] {
            assert_eq!(parse_range(bad), None, "{bad}");
        }
    }
}
