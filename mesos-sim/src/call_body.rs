//! The HTTP steps both v1 endpoints (`/api/v1/scheduler` on masters,
//! `/api/v1/executor` on agents) take before looking at a call, as
//! `Master::Http::scheduler` (`src/master/http.cpp`) and `Http::executor`
//! (`src/slave/http.cpp`) take them: the method, the `Content-Type`, the
//! body's parse (with `wire_check`), and the `Accept` of a SUBSCRIBE
//! (libprocess' `Request::acceptsMediaType`,
//! `3rdparty/libprocess/src/http.cpp`). Texts are Mesos'.

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rmesos_common::wire::codec::{
    Encoding, MEDIA_TYPE_JSON, MEDIA_TYPE_PROTOBUF, WireMessage, from_json,
};

use crate::wire_check::{Message, check_json, check_protobuf};

pub fn text(status: StatusCode, message: impl Into<String>) -> Response {
    (status, message.into()).into_response()
}

/// A refused request: Mesos' status code and text (a 405 also names the
/// allowed method).
#[derive(Debug)]
pub struct Refusal(pub StatusCode, pub String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let method_not_allowed = self.0 == StatusCode::METHOD_NOT_ALLOWED;
        let mut response = text(self.0, self.1);
        if method_not_allowed {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
        }
        response
    }
}

/// libprocess' `MethodNotAllowed({"POST"}, method)`.
pub fn post_only(method: &Method) -> Result<(), Refusal> {
    if method == Method::POST {
        return Ok(());
    }
    Err(Refusal(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("405 Method Not Allowed. Expecting one of {{ 'POST' }}, but received '{method}'."),
    ))
}

/// The call in the body, and the body's encoding; or Mesos' answer to a
/// missing or unsupported `Content-Type` (compared exactly, as Mesos
/// does) or a body that does not parse into a call.
pub fn decode<M: WireMessage>(
    headers: &HeaderMap,
    body: &[u8],
    schema: &Message,
) -> Result<(M, Encoding), Refusal> {
    let Some(content_type) = headers.get(header::CONTENT_TYPE) else {
        return Err(Refusal(
            StatusCode::BAD_REQUEST,
            "Expecting 'Content-Type' to be present".into(),
        ));
    };
    let bad = |message: String| Refusal(StatusCode::BAD_REQUEST, message);
    match content_type.to_str().unwrap_or_default() {
        MEDIA_TYPE_PROTOBUF => {
            let parse_error = || bad("Failed to parse body into Call protobuf".into());
            check_protobuf(body, schema).map_err(|()| parse_error())?;
            let call = Encoding::Protobuf.decode(body).map_err(|_| parse_error())?;
            Ok((call, Encoding::Protobuf))
        }
        MEDIA_TYPE_JSON => {
            let value: serde_json::Value = serde_json::from_slice(body)
                .map_err(|e| bad(format!("Failed to parse body into JSON: {e}")))?;
            let convert_error =
                |e: String| bad(format!("Failed to convert JSON into Call protobuf: {e}"));
            check_json(&value, schema).map_err(convert_error)?;
            let call = from_json(body).map_err(|e| convert_error(e.to_string()))?;
            Ok((call, Encoding::Json))
        }
        _ => Err(Refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Expecting 'Content-Type' of {MEDIA_TYPE_JSON} or {MEDIA_TYPE_PROTOBUF}"),
        )),
    }
}

/// The encoding of a SUBSCRIBE's event stream: JSON whenever `Accept`
/// allows it (no `Accept` allows everything), else protobuf; 406 when it
/// allows neither.
pub fn stream_encoding(headers: &HeaderMap) -> Result<Encoding, Refusal> {
    let accept = headers
        .get(header::ACCEPT)
        .map(|v| v.to_str().unwrap_or(""));
    if accepts(accept, MEDIA_TYPE_JSON) {
        Ok(Encoding::Json)
    } else if accepts(accept, MEDIA_TYPE_PROTOBUF) {
        Ok(Encoding::Protobuf)
    } else {
        Err(Refusal(
            StatusCode::NOT_ACCEPTABLE,
            format!("Expecting 'Accept' to allow '{MEDIA_TYPE_PROTOBUF}' or '{MEDIA_TYPE_JSON}'"),
        ))
    }
}

/// `Request::acceptsMediaType`: `type/subtype`, then `type/*`, then `*/*`
/// is looked for among the listed types; a `q` of 0 refuses.
pub fn accepts(accept: Option<&str>, media_type: &str) -> bool {
    let Some(accept) = accept else {
        return true;
    };
    let Some((kind, _)) = media_type.split_once('/') else {
        return false;
    };
    let accept: String = accept
        .chars()
        .filter(|c| !matches!(c, ' ' | '\t' | '\n'))
        .collect();
    let candidates = [media_type.to_owned(), format!("{kind}/*"), "*/*".to_owned()];
    for candidate in &candidates {
        for listed in accept.split(',').filter(|s| !s.is_empty()) {
            let mut parts = listed.split(';').filter(|s| !s.is_empty());
            let Some(name) = parts.next() else {
                continue;
            };
            if !name.eq_ignore_ascii_case(candidate) {
                continue;
            }
            let q: Vec<&str> = parts
                .filter_map(|p| p.split_once('='))
                .filter(|(k, _)| *k == "q")
                .map(|(_, v)| v)
                .collect();
            return match q.as_slice() {
                [one] => one.parse::<f64>().is_ok_and(|q| q > 0.0),
                _ => true,
            };
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::accepts;

    #[test]
    fn accept_follows_libprocess() {
        let json = "application/json";
        assert!(accepts(None, json));
        assert!(accepts(Some("*/*"), json));
        assert!(accepts(Some("application/*"), json));
        assert!(accepts(
            Some("application/x-protobuf, application/json"),
            json
        ));
        assert!(!accepts(Some("application/x-protobuf"), json));
        assert!(!accepts(Some("application/json;q=0"), json));
        assert!(accepts(Some("application/json;q=0.5"), json));
        assert!(!accepts(Some("text/html"), json));
    }
}
