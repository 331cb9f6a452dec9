//! Talking to the agent's v1 executor API (`POST /api/v1/executor`): the
//! SUBSCRIBE call whose answer is the RecordIO event stream, and UPDATE
//! calls, each on its own request, that the agent takes with 202.

use std::time::Duration;

use bytes::BytesMut;
use futures::StreamExt;
use futures::stream::BoxStream;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use rmesos_common::wire::codec::{CodecError, Encoding};
use rmesos_common::wire::executor::{Call, Event, call, event};
use rmesos_common::wire::recordio::{RecordIoDecoder, RecordIoError};
use rmesos_common::wire::v1::{ExecutorId, FrameworkId, TaskStatus};
use thiserror::Error;

use crate::config::Config;

/// Bound on connecting to the agent (it is on the same host).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Bound on one UPDATE call, and on SUBSCRIBE's answer and first event.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// Bytes of an error body kept for the message.
const ERROR_BODY_LIMIT: usize = 512;

/// Why a call to the agent failed.
#[derive(Debug, Error)]
pub enum AgentError {
    /// No HTTP answer: the agent is down, restarting, or unreachable.
    #[error("agent unreachable: {0}")]
    Unreachable(reqwest::Error),
    #[error("agent did not answer within {0:?}")]
    Timeout(Duration),
    /// The agent answered, but not with success.
    #[error("agent answered {status}: {body}")]
    Refused { status: StatusCode, body: String },
    #[error("agent's event stream: {0}")]
    Stream(#[from] RecordIoError),
    #[error("agent's event stream: {0}")]
    Decode(#[from] CodecError),
    /// The subscription's first event was not SUBSCRIBED.
    #[error("agent's first event was {0}, not SUBSCRIBED")]
    NotSubscribed(String),
    #[error("agent's event stream ended before SUBSCRIBED")]
    EndedEarly,
}

/// The HTTP client of one executor for its agent.
#[derive(Clone)]
pub struct AgentClient {
    http: reqwest::Client,
    url: String,
    authorization: Option<HeaderValue>,
    framework_id: FrameworkId,
    executor_id: ExecutorId,
}

impl AgentClient {
    pub fn new(config: &Config) -> reqwest::Result<AgentClient> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .build()?;
        let authorization = config.auth_token.as_ref().and_then(|token| {
            let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose())).ok()?;
            value.set_sensitive(true);
            Some(value)
        });
        Ok(AgentClient {
            http,
            url: config.executor_api_url(),
            authorization,
            framework_id: FrameworkId {
                value: config.framework_id.clone(),
            },
            executor_id: ExecutorId {
                value: config.executor_id.clone(),
            },
        })
    }

    fn call(&self, kind: call::Type) -> Call {
        Call {
            executor_id: self.executor_id.clone(),
            framework_id: self.framework_id.clone(),
            r#type: Some(kind as i32),
            ..Default::default()
        }
    }

    fn post(&self, call: &Call) -> reqwest::RequestBuilder {
        let encoding = Encoding::Protobuf;
        let mut request = self
            .http
            .post(&self.url)
            .header(CONTENT_TYPE, encoding.media_type())
            .header(ACCEPT, encoding.media_type())
            .body(encoding.encode(call).unwrap_or_default());
        if let Some(value) = &self.authorization {
            request = request.header(AUTHORIZATION, value.clone());
        }
        request
    }

    /// SUBSCRIBE: returns the SUBSCRIBED event and the stream of the
    /// events after it.
    pub async fn subscribe(
        &self,
        subscribe: call::Subscribe,
    ) -> Result<(event::Subscribed, EventStream), AgentError> {
        let call = Call {
            subscribe: Some(subscribe),
            ..self.call(call::Type::Subscribe)
        };
        let response = within(CALL_TIMEOUT, self.post(&call).send())
            .await?
            .map_err(|e| AgentError::Unreachable(e.without_url()))?;
        if response.status() != StatusCode::OK {
            return Err(refused(response).await);
        }
        let mut stream = EventStream {
            body: response.bytes_stream().boxed(),
            buffer: BytesMut::new(),
            decoder: RecordIoDecoder::new(),
        };
        let first = within(CALL_TIMEOUT, stream.next())
            .await??
            .ok_or(AgentError::EndedEarly)?;
        match (first.r#type(), first.subscribed) {
            (event::Type::Subscribed, Some(subscribed)) => Ok((subscribed, stream)),
            (event::Type::Error, _) => Err(AgentError::NotSubscribed(format!(
                "ERROR ({})",
                first.error.map(|e| e.message).unwrap_or_default()
            ))),
            (kind, _) => Err(AgentError::NotSubscribed(kind.as_str_name().to_owned())),
        }
    }

    /// UPDATE: the agent must take it with 202.
    pub async fn update(&self, status: TaskStatus) -> Result<(), AgentError> {
        let call = Call {
            update: Some(call::Update { status }),
            ..self.call(call::Type::Update)
        };
        let response = within(CALL_TIMEOUT, self.post(&call).send())
            .await?
            .map_err(|e| AgentError::Unreachable(e.without_url()))?;
        if response.status() == StatusCode::ACCEPTED {
            Ok(())
        } else {
            Err(refused(response).await)
        }
    }
}

async fn within<T>(limit: Duration, work: impl Future<Output = T>) -> Result<T, AgentError> {
    tokio::time::timeout(limit, work)
        .await
        .map_err(|_| AgentError::Timeout(limit))
}

/// The first bytes of a body, a few past [`ERROR_BODY_LIMIT`] (so a cut
/// shows), never the whole of a large one.
async fn body_start(response: reqwest::Response) -> Vec<u8> {
    let mut collected = Vec::new();
    let mut chunks = response.bytes_stream();
    while let Some(Ok(chunk)) = chunks.next().await {
        collected.extend_from_slice(&chunk);
        if collected.len() > ERROR_BODY_LIMIT {
            break;
        }
    }
    collected
}

/// The error for a non-success answer, with the start of its text body.
async fn refused(response: reqwest::Response) -> AgentError {
    let status = response.status();
    let body = within(CALL_TIMEOUT, body_start(response))
        .await
        .unwrap_or_default();
    let mut body = String::from_utf8_lossy(&body).trim().to_owned();
    if body.len() > ERROR_BODY_LIMIT {
        let cut = (0..=ERROR_BODY_LIMIT)
            .rev()
            .find(|&i| body.is_char_boundary(i))
            .unwrap_or(0);
        body.truncate(cut);
        body.push_str("...");
    }
    AgentError::Refused { status, body }
}

/// The events of one subscription, decoded from RecordIO records.
pub struct EventStream {
    body: BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buffer: BytesMut,
    decoder: RecordIoDecoder,
}

impl EventStream {
    /// The next event; `Ok(None)` when the agent ended the stream cleanly.
    pub async fn next(&mut self) -> Result<Option<Event>, AgentError> {
        loop {
            if let Some(record) = self.decoder.decode_next(&mut self.buffer)? {
                return Ok(Some(Encoding::Protobuf.decode(&record)?));
            }
            match self.body.next().await {
                Some(Ok(chunk)) => self.buffer.extend_from_slice(&chunk),
                Some(Err(error)) => return Err(AgentError::Unreachable(error.without_url())),
                None => {
                    return match self.decoder.decode_last(&mut self.buffer)? {
                        Some(record) => Ok(Some(Encoding::Protobuf.decode(&record)?)),
                        None => Ok(None),
                    };
                }
            }
        }
    }
}
