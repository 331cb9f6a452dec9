//! Parsing of the master URL a user gives: `zk://[user:pass@]host:port[,...]/path`
//! (a ZooKeeper ensemble where masters elect a leader), `http(s)://host:port`
//! (one fixed master), or `file:///path` (a file holding one of those).
//! Errors name the part that is wrong and never show the password.

use std::fmt;
use std::path::{Path, PathBuf};

use rmesos_common::wire::master_info::{DEFAULT_MASTER_PORT, MasterEndpoint};

use crate::secret::Secret;

/// Port of a ZooKeeper server given without one.
pub const DEFAULT_ZOOKEEPER_PORT: u16 = 2181;

/// Why a master URL was rejected.
#[derive(Debug, thiserror::Error)]
pub enum MasterUrlError {
    /// No `scheme://` at the start.
    #[error("master URL must start with zk://, http://, https:// or file://")]
    MissingScheme,
    /// A scheme other than zk, http, https and file.
    #[error(
        "master URL scheme {scheme:?} is not supported (use zk://, http://, https:// or file://)"
    )]
    UnsupportedScheme {
        /// The scheme found.
        scheme: String,
    },
    /// `zk://` with no host list.
    #[error("zk:// URL has no ZooKeeper servers (expected zk://host:port[,host:port...]/path)")]
    NoServers,
    /// An empty entry in the host list (`h1:2181,,h2:2181`).
    #[error("ZooKeeper server #{position} in the URL is empty")]
    EmptyServer {
        /// 1-based position in the list.
        position: usize,
    },
    /// A host that is not a valid host name or IP literal.
    #[error("invalid host {host:?} in the master URL")]
    BadHost {
        /// The host as given.
        host: String,
    },
    /// A port that is not a number from 1 to 65535.
    #[error("invalid port {port:?} for host {host:?} in the master URL (expected 1-65535)")]
    BadPort {
        /// The host it belongs to.
        host: String,
        /// The port as given.
        port: String,
    },
    /// The user/password part is malformed (its text is not repeated here).
    #[error("invalid credentials in the zk:// URL: {reason}")]
    BadCredentials {
        /// What is wrong.
        reason: &'static str,
    },
    /// `zk://hosts` without the znode path masters register under.
    #[error(
        "zk:// URL has no path: give the znode masters register under, e.g. zk://host:2181/mesos"
    )]
    MissingPath,
    /// A znode path ZooKeeper would refuse.
    #[error("invalid ZooKeeper path {path:?} in the master URL: {reason}")]
    BadPath {
        /// The path as given.
        path: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// An http(s):// master URL with more than `host:port`.
    #[error("http(s) master URL must be scheme://host:port, found extra {extra:?}")]
    UnexpectedHttpPart {
        /// The unexpected part (a path, or "credentials" for user info).
        extra: String,
    },
    /// A `file://` URL that is not `file:///absolute/path`.
    #[error("file URL must be file:///absolute/path")]
    BadFileUrl,
    /// The file of a `file://` URL cannot be read.
    #[error("cannot read master URL file {path}: {source}")]
    FileRead {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file of a `file://` URL is empty.
    #[error("master URL file {path} is empty")]
    FileEmpty {
        /// The file.
        path: PathBuf,
    },
    /// The file of a `file://` URL holds another `file://` URL.
    #[error(
        "master URL file {path} points to another file; it must hold a zk:// or http(s):// URL"
    )]
    NestedFile {
        /// The file.
        path: PathBuf,
    },
    /// The file of a `file://` URL holds an invalid URL.
    #[error("master URL file {path}: {source}")]
    FileContent {
        /// The file.
        path: PathBuf,
        /// What is wrong with its URL.
        source: Box<MasterUrlError>,
    },
}

/// Where to find the leading master.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MasterUrl {
    /// Masters elect a leader in this ZooKeeper ensemble.
    ZooKeeper(ZooKeeperUrl),
    /// One fixed master.
    Fixed(FixedMaster),
}

/// A ZooKeeper ensemble, the znode path masters register under, and the
/// optional digest credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZooKeeperUrl {
    servers: Vec<ZooKeeperHost>,
    path: String,
    credentials: Option<DigestCredentials>,
}

/// One ZooKeeper server address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ZooKeeperHost {
    /// Host name or IP literal (IPv6 without brackets).
    pub host: String,
    /// Client port.
    pub port: u16,
}

/// `user:password` for ZooKeeper's digest authentication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestCredentials {
    /// The user name.
    pub user: String,
    /// The password (redacted when formatted).
    pub password: Secret,
}

/// A master given directly by `http(s)://host:port`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixedMaster {
    /// Whether to speak HTTPS.
    pub tls: bool,
    /// Its address.
    pub endpoint: MasterEndpoint,
}

impl MasterUrl {
    /// Parses a master URL; a `file://` URL is read now.
    pub fn parse(text: &str) -> Result<Self, MasterUrlError> {
        let text = text.trim();
        let (scheme, rest) = text
            .split_once("://")
            .ok_or(MasterUrlError::MissingScheme)?;
        match scheme.to_ascii_lowercase().as_str() {
            "zk" => ZooKeeperUrl::parse_after_scheme(rest).map(MasterUrl::ZooKeeper),
            "http" => FixedMaster::parse_after_scheme(rest, false).map(MasterUrl::Fixed),
            "https" => FixedMaster::parse_after_scheme(rest, true).map(MasterUrl::Fixed),
            "file" => match rest.strip_prefix('/') {
                Some(_) => Self::from_file(Path::new(rest)),
                None => Err(MasterUrlError::BadFileUrl),
            },
            _ if is_scheme_like(scheme) => Err(MasterUrlError::UnsupportedScheme {
                scheme: scheme.to_owned(),
            }),
            _ => Err(MasterUrlError::MissingScheme),
        }
    }

    /// Reads a file holding a `zk://` or `http(s)://` URL (surrounding
    /// whitespace ignored) and parses it.
    pub fn from_file(path: &Path) -> Result<Self, MasterUrlError> {
        let text = std::fs::read_to_string(path).map_err(|source| MasterUrlError::FileRead {
            path: path.to_owned(),
            source,
        })?;
        let text = text.trim();
        if text.is_empty() {
            return Err(MasterUrlError::FileEmpty {
                path: path.to_owned(),
            });
        }
        if text.to_ascii_lowercase().starts_with("file://") {
            return Err(MasterUrlError::NestedFile {
                path: path.to_owned(),
            });
        }
        Self::parse(text).map_err(|source| MasterUrlError::FileContent {
            path: path.to_owned(),
            source: Box::new(source),
        })
    }
}

impl std::str::FromStr for MasterUrl {
    type Err = MasterUrlError;

    fn from_str(text: &str) -> Result<Self, MasterUrlError> {
        Self::parse(text)
    }
}

impl fmt::Display for MasterUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MasterUrl::ZooKeeper(url) => url.fmt(f),
            MasterUrl::Fixed(master) => master.fmt(f),
        }
    }
}

impl ZooKeeperUrl {
    /// The servers, without duplicates, in the order given.
    pub fn servers(&self) -> &[ZooKeeperHost] {
        &self.servers
    }

    /// The znode masters register under (absolute, no trailing slash).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Digest credentials, if the URL had `user:pass@`.
    pub fn credentials(&self) -> Option<&DigestCredentials> {
        self.credentials.as_ref()
    }

    /// `host:port,host:port` for a ZooKeeper client (no path, no secrets).
    pub fn connect_string(&self) -> String {
        let hosts: Vec<String> = self.servers.iter().map(ToString::to_string).collect();
        hosts.join(",")
    }

    fn parse_after_scheme(rest: &str) -> Result<Self, MasterUrlError> {
        // Like Mesos: the path starts at the first '/', credentials end at
        // the last '@' before it.
        let (authority, path) = match rest.find('/') {
            Some(slash) => rest.split_at(slash),
            None => (rest, ""),
        };
        let (credentials, hosts) = match authority.rfind('@') {
            Some(at) => (
                Some(parse_credentials(&authority[..at])?),
                &authority[at + 1..],
            ),
            None => (None, authority),
        };
        let servers = parse_servers(hosts).map_err(|error| {
            // A password holding '/' puts part of it in the host list:
            // never echo that text.
            if credentials.is_none() && path.contains('@') {
                MasterUrlError::BadCredentials {
                    reason: "user or password contains '/', which a zk:// URL cannot hold",
                }
            } else {
                error
            }
        })?;
        Ok(Self {
            servers,
            path: parse_znode_path(path)?,
            credentials,
        })
    }
}

impl fmt::Display for ZooKeeperUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("zk://")?;
        if let Some(credentials) = &self.credentials {
            write!(f, "{}:{}@", credentials.user, credentials.password)?;
        }
        write!(f, "{}{}", self.connect_string(), self.path)
    }
}

impl fmt::Display for ZooKeeperHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

impl FixedMaster {
    fn parse_after_scheme(rest: &str, tls: bool) -> Result<Self, MasterUrlError> {
        let (authority, path) = match rest.find('/') {
            Some(slash) => rest.split_at(slash),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(MasterUrlError::UnexpectedHttpPart {
                extra: "credentials (give the framework principal and secret separately)".into(),
            });
        }
        if !path.is_empty() && path != "/" {
            return Err(MasterUrlError::UnexpectedHttpPart {
                extra: path.to_owned(),
            });
        }
        if authority.is_empty() {
            return Err(MasterUrlError::BadHost {
                host: String::new(),
            });
        }
        let (host, port) = parse_host_port(authority, DEFAULT_MASTER_PORT)?;
        Ok(Self {
            tls,
            endpoint: MasterEndpoint { host, port },
        })
    }
}

impl fmt::Display for FixedMaster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "https" } else { "http" };
        write!(f, "{scheme}://{}", self.endpoint)
    }
}

fn is_scheme_like(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

fn parse_credentials(userinfo: &str) -> Result<DigestCredentials, MasterUrlError> {
    let (user, password) = userinfo
        .split_once(':')
        .ok_or(MasterUrlError::BadCredentials {
            reason: "expected user:password before '@'",
        })?;
    if user.is_empty() {
        return Err(MasterUrlError::BadCredentials {
            reason: "the user name is empty",
        });
    }
    if password.is_empty() {
        return Err(MasterUrlError::BadCredentials {
            reason: "the password is empty",
        });
    }
    Ok(DigestCredentials {
        user: user.to_owned(),
        password: Secret::new(password),
    })
}

/// `h1:p1,h2:p2`, duplicates dropped (first occurrence kept).
fn parse_servers(hosts: &str) -> Result<Vec<ZooKeeperHost>, MasterUrlError> {
    if hosts.trim().is_empty() {
        return Err(MasterUrlError::NoServers);
    }
    let mut servers: Vec<ZooKeeperHost> = Vec::new();
    for (index, entry) in hosts.split(',').enumerate() {
        let entry = entry.trim();
        if entry.is_empty() {
            return Err(MasterUrlError::EmptyServer {
                position: index + 1,
            });
        }
        let (host, port) = parse_host_port(entry, DEFAULT_ZOOKEEPER_PORT)?;
        let server = ZooKeeperHost { host, port };
        if !servers.contains(&server) {
            servers.push(server);
        }
    }
    Ok(servers)
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn parse_host_port(entry: &str, default_port: u16) -> Result<(String, u16), MasterUrlError> {
    let (host, port) = if let Some(bracketed) = entry.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or_else(|| MasterUrlError::BadHost {
                host: entry.to_owned(),
            })?;
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => {
                    return Err(MasterUrlError::BadHost {
                        host: entry.to_owned(),
                    });
                }
            },
        }
    } else {
        match entry.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (entry, None),
        }
    };
    let valid_host = if entry.starts_with('[') {
        host.contains(':')
            && host
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
    } else {
        !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    };
    if !valid_host {
        return Err(MasterUrlError::BadHost {
            host: host.to_owned(),
        });
    }
    let port = match port {
        None => default_port,
        // Digits only: `u16::from_str` would also take a sign.
        Some(text) => Some(text)
            .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|t| t.parse::<u16>().ok())
            .filter(|&port| port != 0)
            .ok_or_else(|| MasterUrlError::BadPort {
                host: host.to_owned(),
                port: text.to_owned(),
            })?,
    };
    Ok((host.to_owned(), port))
}

/// An absolute znode path below the root, without a trailing slash.
fn parse_znode_path(path: &str) -> Result<String, MasterUrlError> {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return Err(MasterUrlError::MissingPath);
    }
    let bad = |reason| MasterUrlError::BadPath {
        path: path.to_owned(),
        reason,
    };
    for segment in trimmed[1..].split('/') {
        match segment {
            "" => return Err(bad("empty segment ('//')")),
            "." | ".." => return Err(bad("'.' and '..' segments are not allowed")),
            _ if segment.chars().any(char::is_control) => {
                return Err(bad("control characters are not allowed"));
            }
            _ => {}
        }
    }
    Ok(trimmed.to_owned())
}
