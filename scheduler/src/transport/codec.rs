//! The body encodings the scheduler API speaks: binary protobuf (default)
//! or JSON, chosen once for calls (`Content-Type`) and events (`Accept`).

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
        match self {
            Codec::Protobuf => "application/x-protobuf",
            Codec::Json => "application/json",
        }
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

    #[test]
    fn names_parse_to_codecs() {
        assert_eq!("json".parse::<Codec>().unwrap(), Codec::Json);
        assert_eq!("Protobuf".parse::<Codec>().unwrap(), Codec::Protobuf);
        assert!("xml".parse::<Codec>().unwrap_err().contains("xml"));
        assert_eq!(Codec::default().media_type(), "application/x-protobuf");
    }
}
