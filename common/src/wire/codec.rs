//! The two body encodings of the Mesos v1 HTTP APIs (binary protobuf and
//! Mesos's JSON form: `.proto` field names, enums by name, bytes in base64)
//! and the media types that name them.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// `Content-Type`/`Accept` value of a binary protobuf body.
pub const MEDIA_TYPE_PROTOBUF: &str = "application/x-protobuf";
/// `Content-Type`/`Accept` value of a JSON body.
pub const MEDIA_TYPE_JSON: &str = "application/json";
/// `Accept` value asking for a RecordIO stream (with `Message-Accept` naming
/// the encoding of each record).
pub const MEDIA_TYPE_RECORDIO: &str = "application/recordio";

/// Why a message body could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The body is not a valid protobuf encoding of the expected message.
    #[error("invalid protobuf {message}: {source}")]
    Protobuf {
        /// Name of the message that was expected.
        message: &'static str,
        /// What the decoder found wrong.
        source: prost::DecodeError,
    },
    /// The body is not valid Mesos JSON for the expected message.
    #[error("invalid JSON {message}: {source}")]
    Json {
        /// Name of the message that was expected.
        message: &'static str,
        /// What the parser found wrong (it names the line and column).
        source: serde_json::Error,
    },
    /// The message holds a value JSON cannot express.
    #[error("cannot encode {message} as JSON: {source}")]
    JsonEncode {
        /// Name of the message being encoded.
        message: &'static str,
        /// What the encoder refused.
        source: serde_json::Error,
    },
    /// The media type is neither protobuf nor JSON.
    #[error("unsupported media type {0:?} (expected {MEDIA_TYPE_PROTOBUF} or {MEDIA_TYPE_JSON})")]
    UnsupportedMediaType(String),
}

/// A Mesos message that travels both as protobuf and as JSON.
pub trait WireMessage: prost::Message + Default + Serialize + DeserializeOwned {}

impl<M> WireMessage for M where M: prost::Message + Default + Serialize + DeserializeOwned {}

/// Which of the two body encodings is in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Encoding {
    /// Binary protobuf (`application/x-protobuf`).
    #[default]
    Protobuf,
    /// Mesos JSON (`application/json`).
    Json,
}

impl Encoding {
    /// The media type naming this encoding.
    pub fn media_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => MEDIA_TYPE_PROTOBUF,
            Encoding::Json => MEDIA_TYPE_JSON,
        }
    }

    /// The encoding named by a `Content-Type` value (parameters such as
    /// `; charset=utf-8` are ignored, case does not matter).
    pub fn from_media_type(value: &str) -> Result<Self, CodecError> {
        let essence = value.split(';').next().unwrap_or_default().trim();
        if essence.eq_ignore_ascii_case(MEDIA_TYPE_PROTOBUF) {
            Ok(Encoding::Protobuf)
        } else if essence.eq_ignore_ascii_case(MEDIA_TYPE_JSON) {
            Ok(Encoding::Json)
        } else {
            Err(CodecError::UnsupportedMediaType(value.to_owned()))
        }
    }

    /// Encodes `message` in this encoding (see [`to_json`] for the one way
    /// JSON encoding can fail).
    pub fn encode<M: WireMessage>(self, message: &M) -> Result<Vec<u8>, CodecError> {
        match self {
            Encoding::Protobuf => Ok(message.encode_to_vec()),
            Encoding::Json => to_json(message),
        }
    }

    /// Decodes a `M` from `body` in this encoding.
    pub fn decode<M: WireMessage>(self, body: &[u8]) -> Result<M, CodecError> {
        match self {
            Encoding::Protobuf => M::decode(body).map_err(|source| CodecError::Protobuf {
                message: short_type_name::<M>(),
                source,
            }),
            Encoding::Json => from_json(body),
        }
    }
}

/// Mesos JSON of `message`. Fails only for an enum field holding a number
/// with no name (which a protobuf decoder keeps but JSON cannot express).
pub fn to_json<M: Serialize>(message: &M) -> Result<Vec<u8>, CodecError> {
    serde_json::to_vec(message).map_err(|source| CodecError::JsonEncode {
        message: short_type_name::<M>(),
        source,
    })
}

/// Parses Mesos JSON into a `M`; unknown fields are skipped, unknown enum
/// names read as the enum's default.
pub fn from_json<M: DeserializeOwned>(body: &[u8]) -> Result<M, CodecError> {
    serde_json::from_slice(body).map_err(|source| CodecError::Json {
        message: short_type_name::<M>(),
        source,
    })
}

fn short_type_name<M>() -> &'static str {
    let full = std::any::type_name::<M>();
    full.rsplit("::").next().unwrap_or(full)
}
