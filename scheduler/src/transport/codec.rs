//! The body encodings the scheduler API speaks: binary protobuf (default)
//! or JSON, chosen once for calls (`Content-Type`) and events (`Accept`).

use bytes::Bytes;
use rmesos_common::wire::codec::{CodecError, Encoding};
use rmesos_common::wire::v1::scheduler::{Call, Event};

/// Body encoding of calls and events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Codec {
    #[default]
    Protobuf,
    Json,
}

impl Codec {
    /// The media type for `Content-Type` and `Accept`.
    pub fn media_type(self) -> &'static str {
        self.encoding().media_type()
    }

    /// The wire layer's name for this encoding.
    pub fn encoding(self) -> Encoding {
        match self {
            Codec::Protobuf => Encoding::Protobuf,
            Codec::Json => Encoding::Json,
        }
    }

    pub fn encode_call(self, call: &Call) -> Result<Bytes, CodecError> {
        self.encoding().encode(call).map(Bytes::from)
    }

    pub fn decode_event(self, record: &[u8]) -> Result<Event, CodecError> {
        self.encoding().decode(record)
    }
}

impl std::str::FromStr for Codec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "protobuf" | "proto" | "application/x-protobuf" => Ok(Codec::Protobuf),
            "json" | "application/json" => Ok(Codec::Json),
            other => Err(format!(
                "unknown encoding {other:?}: expected protobuf or json"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;
    use rmesos_common::wire::v1::FrameworkId;
    use rmesos_common::wire::v1::scheduler::{call, event};

    #[test]
    fn names_parse_to_codecs() {
        assert_eq!("json".parse::<Codec>().unwrap(), Codec::Json);
        assert_eq!("Protobuf".parse::<Codec>().unwrap(), Codec::Protobuf);
        assert!("xml".parse::<Codec>().unwrap_err().contains("xml"));
        assert_eq!(Codec::default().media_type(), "application/x-protobuf");
    }

    fn heartbeat() -> Event {
        Event {
            r#type: Some(event::Type::Heartbeat as i32),
            ..Event::default()
        }
    }

    #[test]
    fn both_codecs_round_trip_an_event() {
        for codec in [Codec::Protobuf, Codec::Json] {
            let bytes = match codec {
                Codec::Protobuf => heartbeat().encode_to_vec(),
                Codec::Json => br#"{"type":"HEARTBEAT"}"#.to_vec(),
            };
            assert_eq!(
                codec.decode_event(&bytes).unwrap(),
                heartbeat(),
                "{codec:?}"
            );
        }
    }

    #[test]
    fn json_calls_use_upstream_field_and_enum_names() {
        let call = Call {
            framework_id: Some(FrameworkId {
                value: "fw-1".into(),
            }),
            r#type: Some(call::Type::Revive as i32),
            ..Call::default()
        };
        let text = Codec::Json.encode_call(&call).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&text).unwrap();
        assert_eq!(json["type"], "REVIVE");
        assert_eq!(json["framework_id"]["value"], "fw-1");
    }

    #[test]
    fn garbage_is_a_decode_error() {
        assert!(Codec::Protobuf.decode_event(&[0xff, 0xff, 0xff]).is_err());
        assert!(Codec::Json.decode_event(b"{not json").is_err());
    }
}
