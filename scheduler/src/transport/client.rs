//! The HTTP client of the scheduler API: one `reqwest` client for the
//! SUBSCRIBE stream and for every other call, following `307`s to the
//! leader by hand, retrying `503`, adding auth and `Mesos-Stream-Id`.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION};
use reqwest::{Response, StatusCode, Url};

use rmesos_common::limits::MAX_HTTP_BODY_BYTES;
use rmesos_common::wire::v1::scheduler::Call;

use super::config::TransportConfig;
use super::error::{MAX_ERROR_BODY, TransportError, error_body_text};
use super::redirect::{resolve_location, scheduler_endpoint};
use super::subscription::Subscription;
use super::tls::load_ca_file;
use crate::backoff::Backoff;

/// Header naming the subscription a call belongs to.
pub const STREAM_ID_HEADER: &str = "Mesos-Stream-Id";
/// Longest stream id a master may hand out.
const MAX_STREAM_ID_LEN: usize = 128;

/// The subscription calls are sent under: the master that holds it (after
/// redirects) and the id it assigned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamSession {
    pub endpoint: Url,
    pub stream_id: String,
}

/// A successful answer to a non-streaming call (`202`, or `200` with body).
#[derive(Clone, Debug)]
pub struct CallResponse {
    pub status: StatusCode,
    pub body: Bytes,
}

/// Cheap to clone; clones share the client and the current session.
#[derive(Clone)]
pub struct HttpTransport {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    config: TransportConfig,
    session: Mutex<Option<StreamSession>>,
}

impl std::fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpTransport")
            .field("config", &self.inner.config)
            .field("session", &self.session())
            .finish()
    }
}

impl HttpTransport {
    pub fn new(config: TransportConfig) -> Result<Self, TransportError> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .tcp_nodelay(true);
        if let Some(path) = &config.ca_file {
            for cert in load_ca_file(path)? {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder.build().map_err(TransportError::Client)?;
        Ok(HttpTransport {
            inner: Arc::new(Inner {
                client,
                config,
                session: Mutex::new(None),
            }),
        })
    }

    pub fn config(&self) -> &TransportConfig {
        &self.inner.config
    }

    /// The subscription calls currently go to, if any.
    pub fn session(&self) -> Option<StreamSession> {
        self.lock_session().clone()
    }

    /// Forgets the subscription with this id (it ended); a newer one is kept.
    pub fn end_session(&self, stream_id: &str) {
        let mut session = self.lock_session();
        if session.as_ref().is_some_and(|s| s.stream_id == stream_id) {
            *session = None;
        }
    }

    /// Sends SUBSCRIBE (an encoded `Call`) to the master at `master` (a base
    /// URL or the endpoint) and returns the open event stream. Calls made
    /// afterwards go to the master that answered, with its stream id.
    pub async fn subscribe(
        &self,
        master: &Url,
        body: Bytes,
    ) -> Result<Subscription, TransportError> {
        let start = scheduler_endpoint(master)
            .map_err(|reason| TransportError::BadMasterUrl(master.to_string(), reason))?;
        let (endpoint, response) = self.post(start, body, None).await?;
        let stream_id = stream_id_of(&endpoint, &response)?;
        tracing::debug!(%endpoint, "subscription stream opened");
        *self.lock_session() = Some(StreamSession {
            endpoint: endpoint.clone(),
            stream_id: stream_id.clone(),
        });
        Ok(Subscription::new(
            endpoint,
            stream_id,
            self.inner.config.codec,
            self.inner.config.max_record_size,
            response,
        ))
    }

    /// Encodes a SUBSCRIBE `Call` with the configured codec and subscribes.
    pub async fn subscribe_call(
        &self,
        master: &Url,
        call: &Call,
    ) -> Result<Subscription, TransportError> {
        let body = self.encode(call)?;
        self.subscribe(master, body).await
    }

    /// Encodes a `Call` with the configured codec and sends it on the
    /// current subscription.
    pub async fn send_call(&self, call: &Call) -> Result<CallResponse, TransportError> {
        let body = self.encode(call)?;
        self.call(body).await
    }

    fn encode(&self, call: &Call) -> Result<Bytes, TransportError> {
        self.inner
            .config
            .codec
            .encode_call(call)
            .map_err(|e| TransportError::Encode(e.to_string()))
    }

    /// Sends one non-SUBSCRIBE call (an encoded `Call`) on the current
    /// subscription and returns the master's answer.
    pub async fn call(&self, body: Bytes) -> Result<CallResponse, TransportError> {
        let session = self.session().ok_or(TransportError::NotSubscribed)?;
        let timeout = self.inner.config.call_timeout;
        let endpoint = session.endpoint.clone();
        let exchange = async {
            let (url, response) = self
                .post(session.endpoint, body, Some(&session.stream_id))
                .await?;
            let status = response.status();
            let body = bounded_body(&url, response).await?;
            Ok(CallResponse { status, body })
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| TransportError::Timeout {
                url: endpoint.to_string(),
                after: timeout,
            })?
    }

    /// POSTs `body` starting at `url`, following redirects and retrying
    /// `503`, until a success answer (whose headers are returned) or an error.
    async fn post(
        &self,
        mut url: Url,
        body: Bytes,
        stream_id: Option<&str>,
    ) -> Result<(Url, Response), TransportError> {
        let config = &self.inner.config;
        let origin = url.clone();
        let mut redirects = 0;
        let mut unavailable = Backoff::new(config.unavailable_backoff);
        loop {
            let response = self.send_once(&url, body.clone(), stream_id).await?;
            let status = response.status();
            if status.is_success() {
                return Ok((url, response));
            }
            if matches!(
                status,
                StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT
            ) {
                if redirects >= config.max_redirects {
                    return Err(TransportError::TooManyRedirects {
                        url: origin.to_string(),
                        max: config.max_redirects,
                    });
                }
                redirects += 1;
                let next = redirect_target(&url, &response)?;
                tracing::debug!(from = %url, to = %next, "following redirect to the leading master");
                url = next;
                continue;
            }
            let text = self.error_body(response).await;
            if status == StatusCode::SERVICE_UNAVAILABLE {
                if unavailable.attempts() >= config.unavailable_retries {
                    return Err(TransportError::Unavailable {
                        url: url.to_string(),
                        attempts: unavailable.attempts() + 1,
                        body: text,
                    });
                }
                let delay = unavailable.next_delay();
                tracing::debug!(%url, ?delay, reason = %text, "master unavailable; retrying");
                tokio::time::sleep(delay).await;
                continue;
            }
            return Err(TransportError::from_status(url.to_string(), status, text));
        }
    }

    /// One POST; waits at most the call timeout for the answer's headers.
    async fn send_once(
        &self,
        url: &Url,
        body: Bytes,
        stream_id: Option<&str>,
    ) -> Result<Response, TransportError> {
        let config = &self.inner.config;
        let media_type = config.codec.media_type();
        let mut request = self
            .inner
            .client
            .post(url.clone())
            .header(CONTENT_TYPE, media_type)
            .header(ACCEPT, media_type)
            .body(body);
        if let Some(id) = stream_id {
            request = request.header(STREAM_ID_HEADER, id);
        }
        if let Some(creds) = &config.credentials {
            request = request.basic_auth(&creds.principal, Some(creds.secret.expose()));
        }
        match tokio::time::timeout(config.call_timeout, request.send()).await {
            Err(_) => Err(TransportError::Timeout {
                url: url.to_string(),
                after: config.call_timeout,
            }),
            Ok(Err(source)) => Err(TransportError::Connect {
                url: url.to_string(),
                source: source.without_url(),
            }),
            Ok(Ok(response)) => Ok(response),
        }
    }

    /// Reads at most a bounded prefix of an error answer, as text with the
    /// secret scrubbed out.
    async fn error_body(&self, response: Response) -> String {
        let mut collected = BytesMut::new();
        let mut chunks = response.bytes_stream();
        let read = async {
            while let Some(Ok(chunk)) = chunks.next().await {
                collected.extend_from_slice(&chunk);
                if collected.len() > MAX_ERROR_BODY {
                    break;
                }
            }
        };
        // A master that sends headers but stalls on the body still gets
        // reported, with whatever arrived.
        let _ = tokio::time::timeout(Duration::from_secs(5), read).await;
        let text = error_body_text(&collected);
        match &self.inner.config.credentials {
            Some(creds) => creds.secret.scrub(&text),
            None => text,
        }
    }

    fn lock_session(&self) -> std::sync::MutexGuard<'_, Option<StreamSession>> {
        self.inner
            .session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

fn redirect_target(url: &Url, response: &Response) -> Result<Url, TransportError> {
    let bad = |location: &str, reason: String| TransportError::BadRedirect {
        url: url.to_string(),
        location: location.to_owned(),
        reason,
    };
    let location = response
        .headers()
        .get(LOCATION)
        .ok_or_else(|| bad("", "the answer has no Location header".into()))?;
    let location = location
        .to_str()
        .map_err(|_| bad("<non-ASCII>", "the Location header is not ASCII".into()))?;
    resolve_location(url, location).map_err(|reason| bad(location, reason))
}

fn stream_id_of(url: &Url, response: &Response) -> Result<String, TransportError> {
    let bad = |reason: &str| TransportError::BadStreamId {
        url: url.to_string(),
        reason: reason.to_owned(),
    };
    let value = response
        .headers()
        .get(STREAM_ID_HEADER)
        .ok_or_else(|| bad("the header is missing"))?;
    let id = value.to_str().map_err(|_| bad("it is not ASCII"))?;
    if id.is_empty() {
        return Err(bad("it is empty"));
    }
    if id.len() > MAX_STREAM_ID_LEN {
        return Err(bad("it is longer than 128 bytes"));
    }
    Ok(id.to_owned())
}

/// The whole body of a non-streaming answer, refused once it passes
/// [`MAX_HTTP_BODY_BYTES`] so a misbehaving master cannot grow it without
/// bound.
async fn bounded_body(url: &Url, response: Response) -> Result<Bytes, TransportError> {
    let mut collected = BytesMut::new();
    let mut chunks = response.bytes_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|source| TransportError::Stream {
            url: url.to_string(),
            source: source.without_url(),
        })?;
        if collected.len() + chunk.len() > MAX_HTTP_BODY_BYTES {
            return Err(TransportError::Decode {
                url: url.to_string(),
                reason: format!(
                    "the answer's body exceeds the limit of {MAX_HTTP_BODY_BYTES} bytes"
                ),
            });
        }
        collected.extend_from_slice(&chunk);
    }
    Ok(collected.freeze())
}
