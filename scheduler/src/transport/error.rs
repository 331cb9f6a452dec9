//! What can go wrong talking to a master, one variant per HTTP answer the
//! scheduler API documents, each carrying the master's own (text) reason.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::StatusCode;

/// Longest piece of a master's error body kept for the user.
pub(crate) const MAX_ERROR_BODY: usize = 2048;

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("master {url} rejected the request (400 Bad Request): {body}")]
    BadRequest { url: String, body: String },
    #[error(
        "master {url} refused the framework's credentials (401 Unauthorized); \
         check the principal and secret: {body}"
    )]
    Unauthorized { url: String, body: String },
    #[error("master {url} refused the call (403 Forbidden): {body}")]
    Forbidden { url: String, body: String },
    #[error("master {url} does not allow this HTTP method (405): {body}")]
    MethodNotAllowed { url: String, body: String },
    #[error("master {url} cannot answer in the requested encoding (406 Not Acceptable): {body}")]
    NotAcceptable { url: String, body: String },
    #[error("master {url} does not accept this body encoding (415 Unsupported Media Type): {body}")]
    UnsupportedMediaType { url: String, body: String },
    #[error("master {url} does not implement this call (501 Not Implemented): {body}")]
    NotImplemented { url: String, body: String },
    #[error("master {url} is unavailable (503) after {attempts} attempts: {body}")]
    Unavailable {
        url: String,
        attempts: u32,
        body: String,
    },
    #[error("master {url} answered with unexpected status {status}: {body}")]
    UnexpectedStatus {
        url: String,
        status: StatusCode,
        body: String,
    },
    #[error("more than {max} redirects starting from master {url}")]
    TooManyRedirects { url: String, max: u32 },
    #[error("master {url} redirected to {location:?}, which is not usable: {reason}")]
    BadRedirect {
        url: String,
        location: String,
        reason: String,
    },
    #[error("cannot reach master {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("master {url} did not answer within {after:?}")]
    Timeout { url: String, after: Duration },
    #[error("master {url} answered SUBSCRIBE without a usable Mesos-Stream-Id header: {reason}")]
    BadStreamId { url: String, reason: String },
    #[error("the event stream from master {url} broke: {source}")]
    Stream {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("the event stream from master {url} is corrupt: {reason}")]
    Decode { url: String, reason: String },
    #[error("cannot encode the call: {0}")]
    Encode(String),
    #[error("no subscription is open, so calls cannot be sent yet")]
    NotSubscribed,
    #[error("{0} is not a usable master URL: {1}")]
    BadMasterUrl(String, String),
    #[error("cannot use CA certificate file {path}: {reason}")]
    CaFile { path: PathBuf, reason: String },
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
}

impl TransportError {
    /// Builds the error for a non-success answer to a request to `url`.
    pub(crate) fn from_status(url: String, status: StatusCode, body: String) -> Self {
        match status.as_u16() {
            400 => Self::BadRequest { url, body },
            401 => Self::Unauthorized { url, body },
            403 => Self::Forbidden { url, body },
            405 => Self::MethodNotAllowed { url, body },
            406 => Self::NotAcceptable { url, body },
            415 => Self::UnsupportedMediaType { url, body },
            501 => Self::NotImplemented { url, body },
            503 => Self::Unavailable {
                url,
                attempts: 1,
                body,
            },
            _ => Self::UnexpectedStatus { url, status, body },
        }
    }

    /// The HTTP status the master answered with, when there was one.
    pub fn status(&self) -> Option<StatusCode> {
        let code = match self {
            Self::BadRequest { .. } => 400,
            Self::Unauthorized { .. } => 401,
            Self::Forbidden { .. } => 403,
            Self::MethodNotAllowed { .. } => 405,
            Self::NotAcceptable { .. } => 406,
            Self::UnsupportedMediaType { .. } => 415,
            Self::NotImplemented { .. } => 501,
            Self::Unavailable { .. } => 503,
            Self::UnexpectedStatus { status, .. } => return Some(*status),
            _ => return None,
        };
        StatusCode::from_u16(code).ok()
    }

    /// True when trying again later (perhaps at another master) can succeed:
    /// network trouble, timeouts, an unavailable or non-leading master, a
    /// broken stream, a master still starting (404). False for answers that repeat until something is
    /// changed by hand (credentials, encoding, a malformed call).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unavailable { .. }
            | Self::Connect { .. }
            | Self::Timeout { .. }
            | Self::Stream { .. }
            | Self::Decode { .. }
            | Self::TooManyRedirects { .. }
            | Self::NotSubscribed
            | Self::BadStreamId { .. } => true,
            // A real master answers 404 while it starts: its HTTP server
            // is up before the master process has installed its routes
            // (seen when a restarted master is detected as the leader).
            // An address that never serves the API ends as the first
            // connection's timeout, which names the last problem.
            Self::UnexpectedStatus { status, .. } => {
                status.is_server_error() || *status == StatusCode::NOT_FOUND
            }
            _ => false,
        }
    }
}

/// Cuts a master's error body to something printable and bounded.
pub(crate) fn error_body_text(raw: &[u8]) -> String {
    let cut = &raw[..raw.len().min(MAX_ERROR_BODY)];
    let mut text = String::from_utf8_lossy(cut).trim().to_owned();
    if raw.len() > MAX_ERROR_BODY {
        text.push_str(" [...]");
    }
    if text.is_empty() {
        text.push_str("(no reason given)");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> String {
        "http://127.0.0.1:5050/api/v1/scheduler".to_owned()
    }

    #[test]
    fn documented_statuses_map_to_their_variants() {
        let cases = [
            (400, "BadRequest"),
            (401, "Unauthorized"),
            (403, "Forbidden"),
            (405, "MethodNotAllowed"),
            (406, "NotAcceptable"),
            (415, "UnsupportedMediaType"),
            (501, "NotImplemented"),
            (503, "Unavailable"),
            (418, "UnexpectedStatus"),
        ];
        for (code, name) in cases {
            let status = StatusCode::from_u16(code).unwrap();
            let err = TransportError::from_status(url(), status, "why".into());
            assert!(format!("{err:?}").starts_with(name), "{code} -> {err:?}");
            assert_eq!(err.status(), Some(status));
            assert!(err.to_string().contains("why"), "{err}");
        }
    }

    #[test]
    fn only_retryable_answers_are_transient() {
        let transient = [503, 500, 502, 404];
        let permanent = [400, 401, 403, 405, 406, 415, 501, 418];
        for code in transient {
            let status = StatusCode::from_u16(code).unwrap();
            assert!(TransportError::from_status(url(), status, String::new()).is_transient());
        }
        for code in permanent {
            let status = StatusCode::from_u16(code).unwrap();
            assert!(!TransportError::from_status(url(), status, String::new()).is_transient());
        }
    }

    #[test]
    fn long_bodies_are_cut_and_empty_ones_explained() {
        let long = vec![b'x'; MAX_ERROR_BODY * 2];
        let text = error_body_text(&long);
        assert!(text.len() < MAX_ERROR_BODY + 10);
        assert!(text.ends_with("[...]"));
        assert_eq!(error_body_text(b"  \n"), "(no reason given)");
        assert_eq!(
            error_body_text(b"Framework not found\n"),
            "Framework not found"
        );
    }
}
