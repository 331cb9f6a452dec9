//! `POST /api/v1/scheduler` on one master: leadership (307 to the leader,
//! 503 without one), authentication, media types, stream ids, and the
//! SUBSCRIBE stream (whose end disconnects the framework). Status codes follow the Mesos scheduler HTTP API docs.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use futures::StreamExt;
use rmesos_common::wire::codec::{Encoding, MEDIA_TYPE_JSON, MEDIA_TYPE_PROTOBUF};
use rmesos_common::wire::scheduler::{Call, call};
use tokio_stream::wrappers::UnboundedReceiverStream;

use super::calls;
use super::failover::StreamGuard;
use crate::cluster::Shared;

pub const STREAM_ID: &str = "Mesos-Stream-Id";

/// One master's view: its index among the cluster's masters.
#[derive(Clone)]
pub struct MasterContext {
    pub index: usize,
    pub shared: Arc<Shared>,
}

fn text(status: StatusCode, message: impl Into<String>) -> Response {
    (status, message.into()).into_response()
}

pub async fn scheduler(
    State(master): State<MasterContext>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(elsewhere) = not_leading(&master, "/api/v1/scheduler") {
        return elsewhere;
    }
    if !authenticated(&master.shared, &headers) {
        let mut response = text(StatusCode::UNAUTHORIZED, "Authentication failed");
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"mesos\""),
        );
        return response;
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Ok(request_encoding) = Encoding::from_media_type(content_type) else {
        return text(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Expecting 'Content-Type' of {MEDIA_TYPE_JSON} or {MEDIA_TYPE_PROTOBUF}"),
        );
    };
    let call: Call = match request_encoding.decode(&body) {
        Ok(call) => call,
        Err(error) => {
            return text(
                StatusCode::BAD_REQUEST,
                format!("Failed to parse body into Call: {error}"),
            );
        }
    };
    if call.r#type == Some(call::Type::Subscribe as i32) {
        let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
        let response_encoding = match accept {
            None | Some("*/*") => request_encoding,
            Some(media) => match Encoding::from_media_type(media) {
                Ok(encoding) => encoding,
                Err(_) => {
                    return text(
                        StatusCode::NOT_ACCEPTABLE,
                        format!(
                            "Expecting 'Accept' to allow {MEDIA_TYPE_JSON} or {MEDIA_TYPE_PROTOBUF}"
                        ),
                    );
                }
            },
        };
        if headers.contains_key(STREAM_ID) {
            return text(
                StatusCode::BAD_REQUEST,
                "Subscribe calls should not include the 'Mesos-Stream-Id' header",
            );
        }
        return subscribe(&master, call, response_encoding, &headers);
    }
    let stream_id = headers.get(STREAM_ID).and_then(|v| v.to_str().ok());
    match calls::handle(&master.shared, call, stream_id) {
        Ok(starts) => {
            for start in starts {
                tokio::spawn(crate::agent::launcher::start(
                    Arc::clone(&master.shared),
                    start,
                ));
            }
            StatusCode::ACCEPTED.into_response()
        }
        Err((status, message)) => text(status, message),
    }
}

/// What a master that does not lead answers: 307 to the same path and
/// query on the leader (a protocol-relative `Location`), or 503 when no
/// master leads. `None` when this master leads.
pub fn not_leading(master: &MasterContext, path_and_query: &str) -> Option<Response> {
    let leader = master.shared.registry().leader;
    match leader {
        None => Some(text(StatusCode::SERVICE_UNAVAILABLE, "No leader elected")),
        Some(l) if l != master.index => {
            let port = master.shared.master_port(l);
            let mut response = StatusCode::TEMPORARY_REDIRECT.into_response();
            if let Ok(location) =
                HeaderValue::from_str(&format!("//127.0.0.1:{port}{path_and_query}"))
            {
                response.headers_mut().insert(header::LOCATION, location);
            }
            Some(response)
        }
        Some(_) => None,
    }
}

/// Whether the request carries the configured Basic credentials (always
/// true when the cluster requires none).
fn authenticated(shared: &Shared, headers: &HeaderMap) -> bool {
    let Some(credential) = &shared.config.authentication else {
        return true;
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .and_then(|raw| String::from_utf8(raw).ok());
    given.as_deref() == Some(format!("{}:{}", credential.principal, credential.secret).as_str())
}

fn subscribe(
    master: &MasterContext,
    call: Call,
    encoding: Encoding,
    headers: &HeaderMap,
) -> Response {
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel::<bytes::Bytes>();
    let principal = authenticated_principal(&master.shared, headers);
    let (framework_id, stream_id) = match calls::subscribe(
        &master.shared,
        master.index,
        call,
        encoding,
        sender,
        principal,
    ) {
        Ok(ids) => ids,
        Err((status, message)) => return text(status, message),
    };
    // Dropped with the body: the master learns the connection broke.
    let guard = StreamGuard {
        shared: Arc::clone(&master.shared),
        framework_id,
        stream_id: stream_id.clone(),
    };
    let body = Body::from_stream(UnboundedReceiverStream::new(receiver).map(move |chunk| {
        let _alive = &guard;
        Ok::<_, std::convert::Infallible>(chunk)
    }));
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(encoding.media_type()) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Ok(value) = HeaderValue::from_str(&stream_id) {
        headers.insert(STREAM_ID, value);
    }
    response
}

fn authenticated_principal(shared: &Shared, _headers: &HeaderMap) -> Option<String> {
    shared
        .config
        .authentication
        .as_ref()
        .map(|c| c.principal.clone())
}
