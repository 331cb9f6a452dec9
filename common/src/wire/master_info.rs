//! The `MasterInfo` a Mesos master publishes in its ZooKeeper znode: JSON in
//! `json.info_<seq>` nodes, binary protobuf in the older `info_<seq>` ones,
//! and the `host:port` a framework should contact for it.

use std::fmt;
use std::net::Ipv4Addr;

use serde::Deserialize;

use super::codec;
use super::v1::{Address, DomainInfo, MasterInfo, master_info};

/// Label of the znodes holding JSON `MasterInfo` (`json.info_0000000042`).
pub const JSON_LABEL: &str = "json.info";
/// Label of the znodes holding binary protobuf `MasterInfo` (`info_0000000042`).
pub const PROTOBUF_LABEL: &str = "info";
/// Port a master listens on when its info does not say.
pub const DEFAULT_MASTER_PORT: u16 = 5050;

/// Why a master's published info is unusable.
#[derive(Debug, thiserror::Error)]
pub enum MasterInfoError {
    /// The JSON is malformed or a field has the wrong type.
    #[error("invalid MasterInfo JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A numeric field is out of range or not a number.
    #[error("invalid MasterInfo JSON: field `{field}`: {reason}")]
    Field {
        /// The field, as a dotted path (`address.port`).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The bytes are not a protobuf `MasterInfo`.
    #[error("invalid MasterInfo protobuf: {0}")]
    Protobuf(#[from] prost::DecodeError),
    /// Neither the address, the hostname, the ip nor the pid give an endpoint.
    #[error(
        "MasterInfo of master {id:?} names no reachable address (address, hostname, ip and pid are all missing or invalid)"
    )]
    NoAddress {
        /// The master's id.
        id: String,
    },
}

/// Where to reach a master: a host name or IP literal, and a port.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MasterEndpoint {
    /// Host name or IP address literal (IPv6 without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl MasterEndpoint {
    /// The endpoint to contact for `info`. Prefers `address.hostname`, then
    /// `address.ip` (with `address.port`), then the older top-level
    /// `hostname`, the `ip` number (network byte order) with `port`, and
    /// last the libprocess `pid` (`master@host:port`).
    pub fn of(info: &MasterInfo) -> Result<Self, MasterInfoError> {
        endpoint_from_address(info.address.as_ref())
            .or_else(|| endpoint_from_legacy_fields(info))
            .or_else(|| info.pid.as_deref().and_then(endpoint_from_pid))
            .ok_or_else(|| MasterInfoError::NoAddress {
                id: info.id.clone(),
            })
    }
}

impl fmt::Display for MasterEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

fn endpoint_from_address(address: Option<&Address>) -> Option<MasterEndpoint> {
    let address = address?;
    let port = u16::try_from(address.port).ok().filter(|&port| port != 0)?;
    let host = [address.hostname.as_deref(), address.ip.as_deref()]
        .into_iter()
        .flatten()
        .find(|host| !host.is_empty())?;
    Some(MasterEndpoint {
        host: host.to_owned(),
        port,
    })
}

fn endpoint_from_legacy_fields(info: &MasterInfo) -> Option<MasterEndpoint> {
    let port = u16::try_from(info.port).ok().filter(|&port| port != 0)?;
    let host = match info.hostname.as_deref() {
        Some(hostname) if !hostname.is_empty() => hostname.to_owned(),
        // Masters store the IPv4 address's bytes in network order inside the
        // uint32, so its little-endian bytes are the address's octets.
        _ if info.ip != 0 => Ipv4Addr::from(info.ip.to_le_bytes()).to_string(),
        _ => return None,
    };
    Some(MasterEndpoint { host, port })
}

/// Parses a libprocess pid such as `master@10.0.0.1:5050`.
fn endpoint_from_pid(pid: &str) -> Option<MasterEndpoint> {
    let (_, address) = pid.split_once('@')?;
    let (host, port) = address.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = port.parse::<u16>().ok().filter(|&port| port != 0)?;
    (!host.is_empty()).then(|| MasterEndpoint {
        host: host.to_owned(),
        port,
    })
}

/// Decodes the binary protobuf `MasterInfo` of an `info_<seq>` znode.
pub fn master_info_from_protobuf(data: &[u8]) -> Result<MasterInfo, MasterInfoError> {
    Ok(prost::Message::decode(data)?)
}

/// Encodes `info` as a master writes it into a `json.info_<seq>` znode
/// (fails only for a capability number that has no name).
pub fn master_info_to_json(info: &MasterInfo) -> Result<Vec<u8>, codec::CodecError> {
    codec::to_json(info)
}

/// Parses the JSON `MasterInfo` of a `json.info_<seq>` znode. Lenient like
/// a detector must be: missing fields take their defaults, unknown fields
/// are skipped, and a `domain` or capability that does not parse is dropped.
pub fn master_info_from_json(data: &[u8]) -> Result<MasterInfo, MasterInfoError> {
    let json: MasterInfoJson = serde_json::from_slice(data)?;
    let address = json.address.map(AddressJson::into_address).transpose()?;
    Ok(MasterInfo {
        id: json.id.unwrap_or_default(),
        ip: json.ip.map(|ip| ip.to_u32("ip")).transpose()?.unwrap_or(0),
        port: json
            .port
            .map(|port| port.to_u32("port"))
            .transpose()?
            .unwrap_or(u32::from(DEFAULT_MASTER_PORT)),
        pid: json.pid,
        hostname: json.hostname,
        version: json.version,
        address,
        domain: json
            .domain
            .and_then(|domain| serde_json::from_value::<DomainInfo>(domain).ok()),
        capabilities: json
            .capabilities
            .unwrap_or_default()
            .into_iter()
            .filter_map(|capability| serde_json::from_value(capability).ok())
            .filter(|capability: &master_info::Capability| capability.r#type.is_some())
            .collect(),
    })
}

#[derive(Deserialize)]
struct MasterInfoJson {
    id: Option<String>,
    ip: Option<JsonNumber>,
    port: Option<JsonNumber>,
    pid: Option<String>,
    hostname: Option<String>,
    version: Option<String>,
    address: Option<AddressJson>,
    domain: Option<serde_json::Value>,
    capabilities: Option<Vec<serde_json::Value>>,
}

#[derive(Deserialize)]
struct AddressJson {
    hostname: Option<String>,
    ip: Option<String>,
    port: Option<JsonNumber>,
}

impl AddressJson {
    fn into_address(self) -> Result<Address, MasterInfoError> {
        let port = match self.port {
            Some(port) => {
                i32::try_from(port.to_u32("address.port")?).map_err(|_| MasterInfoError::Field {
                    field: "address.port",
                    reason: "out of range".to_owned(),
                })?
            }
            None => 0,
        };
        Ok(Address {
            hostname: self.hostname,
            ip: self.ip,
            port,
        })
    }
}

/// A number Mesos writes bare but protobuf JSON may quote.
#[derive(Deserialize)]
#[serde(untagged)]
enum JsonNumber {
    Number(serde_json::Number),
    Quoted(String),
}

impl JsonNumber {
    fn to_u32(&self, field: &'static str) -> Result<u32, MasterInfoError> {
        let parsed = match self {
            JsonNumber::Number(number) => number.as_u64(),
            JsonNumber::Quoted(text) => text.trim().parse::<u64>().ok(),
        };
        parsed
            .and_then(|value| u32::try_from(value).ok())
            .ok_or_else(|| MasterInfoError::Field {
                field,
                reason: format!("{} is not an unsigned 32-bit integer", self.describe()),
            })
    }

    fn describe(&self) -> String {
        match self {
            JsonNumber::Number(number) => number.to_string(),
            JsonNumber::Quoted(text) => format!("{text:?}"),
        }
    }
}
