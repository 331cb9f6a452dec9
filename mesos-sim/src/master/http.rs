//! `/api/v1/scheduler` on one master: authentication, leadership (307 to
//! the leader, 503 without one), the method, media types, parsing and
//! validation of the call (`validation`, `call_body`), stream ids, and
//! the SUBSCRIBE stream (whose end disconnects the framework). The order
//! of the checks, the status codes and the texts are Mesos'
//! (`Master::Http::scheduler`); see `master::validation` for the list.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use futures::StreamExt;
use rmesos_common::wire::codec::Encoding;
use rmesos_common::wire::scheduler::{Call, Event, call, event};
use tokio_stream::wrappers::UnboundedReceiverStream;

use super::calls;
use super::failover::StreamGuard;
use super::validation::validate_call;
use crate::call_body::{self, text};
use crate::cluster::Shared;
use crate::schema::SCHEDULER_CALL;

pub const STREAM_ID: &str = "Mesos-Stream-Id";

/// One master's view: its index among the cluster's masters.
#[derive(Clone)]
pub struct MasterContext {
    pub index: usize,
    pub shared: Arc<Shared>,
}

pub async fn scheduler(
    State(master): State<MasterContext>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !authenticated(&master.shared, &headers) {
        let mut response = text(StatusCode::UNAUTHORIZED, "Authentication failed");
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"mesos\""),
        );
        return response;
    }
    // libprocess serves `/api/v1/scheduler` as the master process's
    // `/master/api/v1/scheduler`, the URL a non-leader redirects to.
    let path = uri
        .path_and_query()
        .map_or("/api/v1/scheduler", |p| p.as_str());
    let path = match path.strip_prefix("/master") {
        Some(_) => path.to_owned(),
        None => format!("/master{path}"),
    };
    if let Some(elsewhere) = not_leading(&master, &path) {
        return elsewhere;
    }
    if let Err(refusal) = call_body::post_only(&method) {
        return refusal.into_response();
    }
    let call: Call = match call_body::decode(&headers, &body, &SCHEDULER_CALL) {
        Ok((call, _)) => call,
        Err(refusal) => return refusal.into_response(),
    };
    let principal = authenticated_principal(&master.shared);
    if let Err(error) = validate_call(&call, principal.as_deref()) {
        return text(
            StatusCode::BAD_REQUEST,
            format!("Failed to validate scheduler::Call: {error}"),
        );
    }
    if call.r#type == Some(call::Type::Subscribe as i32) {
        let encoding = match call_body::stream_encoding(&headers) {
            Ok(encoding) => encoding,
            Err(refusal) => return refusal.into_response(),
        };
        if headers.contains_key(STREAM_ID) {
            return text(
                StatusCode::BAD_REQUEST,
                "Subscribe calls should not include the 'Mesos-Stream-Id' header",
            );
        }
        return subscribe(&master, call, encoding, principal);
    }
    let stream_id = headers.get(STREAM_ID).and_then(|v| v.to_str().ok());
    match calls::handle(&master.shared, call, stream_id, principal.as_deref()) {
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
    principal: Option<String>,
) -> Response {
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel::<bytes::Bytes>();
    let stream_id = uuid::Uuid::new_v4().to_string();
    let subscribed = calls::subscribe(
        &master.shared,
        master.index,
        call,
        calls::NewStream {
            encoding,
            sender,
            stream_id: stream_id.clone(),
        },
        principal,
    );
    let body = match subscribed {
        Ok(framework_id) => {
            master.shared.want_allocation();
            // Dropped with the body: the master learns the connection broke.
            let guard = StreamGuard {
                shared: Arc::clone(&master.shared),
                framework_id,
                stream_id: stream_id.clone(),
            };
            Body::from_stream(UnboundedReceiverStream::new(receiver).map(move |chunk| {
                let _alive = &guard;
                Ok::<_, std::convert::Infallible>(chunk)
            }))
        }
        // Mesos refuses a subscription on the stream it opened: one ERROR
        // event, then the stream ends.
        Err(message) => Body::from(refusal(encoding, message)),
    };
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

/// An ERROR event with `message`, RecordIO-framed.
fn refusal(encoding: Encoding, message: String) -> bytes::Bytes {
    let error = Event {
        error: Some(event::Error { message }),
        ..crate::events::of_type(event::Type::Error)
    };
    let mut framed = bytes::BytesMut::new();
    if let Ok(body) = encoding.encode(&error) {
        rmesos_common::wire::recordio::encode_record(&body, &mut framed);
    }
    framed.freeze()
}

/// The principal the request authenticated as (every request must, when
/// the cluster requires credentials).
fn authenticated_principal(shared: &Shared) -> Option<String> {
    shared
        .config
        .authentication
        .as_ref()
        .map(|c| c.principal.clone())
}
