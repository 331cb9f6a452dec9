//! `MasterUrl`: the `--master` forms (`local`, `local[N]`, `local[*]`,
//! `zk://[user:pass@]host:port[,host:port...]/path`, `http(s)://host:port`),
//! parsed and validated. Credentials never appear in errors or `Debug`.

use std::fmt;

use thiserror::Error;

use crate::local::LocalMaster;

/// The forms `--master` accepts, for error messages.
pub const MASTER_FORMS: &str = "local, local[N], local[*], \
     zk://[user:pass@]host:port[,host:port...]/path or http(s)://host:port";

/// A parsed `--master` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterUrl {
    Local(LocalMaster),
    /// Mesos masters found through ZooKeeper.
    ZooKeeper(ZkUrl),
    /// One Mesos master (or any master, which redirects to the leader).
    Http(HttpUrl),
}

/// `zk://[user:pass@]host:port[,host:port...]/path`.
#[derive(Clone, PartialEq, Eq)]
pub struct ZkUrl {
    pub credentials: Option<(String, String)>,
    /// `host:port` of each ZooKeeper server.
    pub servers: Vec<String>,
    /// The znode under which the masters register, e.g. `/mesos`.
    pub path: String,
}

/// `http(s)://host:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    pub tls: bool,
    pub host: String,
    pub port: u16,
}

/// A `--master` value that is none of the accepted forms.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("bad --master URL '{shown}': {reason}; expected {MASTER_FORMS}")]
pub struct MasterUrlError {
    /// The URL with any credentials replaced by `***`.
    pub shown: String,
    pub reason: String,
}

impl MasterUrl {
    pub fn parse(url: &str) -> Result<MasterUrl, MasterUrlError> {
        let fail = |reason: &str| MasterUrlError {
            shown: redact(url),
            reason: reason.to_owned(),
        };
        if url == "local" || url.starts_with("local[") {
            return LocalMaster::parse(url)
                .map(MasterUrl::Local)
                .map_err(|_| fail("the thread count must be a whole number >= 1, or *"));
        }
        if let Some(rest) = url.strip_prefix("zk://") {
            return parse_zk(rest).map(MasterUrl::ZooKeeper).map_err(fail);
        }
        let (tls, rest) = match (url.strip_prefix("http://"), url.strip_prefix("https://")) {
            (Some(rest), _) => (false, rest),
            (_, Some(rest)) => (true, rest),
            _ => return Err(fail("unknown form")),
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '@', '?', '#']) {
            return Err(fail("only host:port may follow http(s)://"));
        }
        let (host, port) = parse_host_port(authority).map_err(fail)?;
        Ok(MasterUrl::Http(HttpUrl { tls, host, port }))
    }

    /// A cluster master (anything but local mode).
    pub fn is_cluster(&self) -> bool {
        !matches!(self, MasterUrl::Local(_))
    }
}

impl fmt::Debug for ZkUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZkUrl")
            .field("credentials", &self.credentials.as_ref().map(|_| "***"))
            .field("servers", &self.servers)
            .field("path", &self.path)
            .finish()
    }
}

impl fmt::Display for ZkUrl {
    /// The URL with credentials shown as `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let credentials = if self.credentials.is_some() {
            "***@"
        } else {
            ""
        };
        write!(
            f,
            "zk://{credentials}{}{}",
            self.servers.join(","),
            self.path
        )
    }
}

fn parse_zk(rest: &str) -> Result<ZkUrl, &'static str> {
    let slash = rest
        .find('/')
        .ok_or("a zk:// URL needs a /path after the servers")?;
    let (authority, path) = rest.split_at(slash);
    if path.len() < 2 || path.ends_with('/') || path.contains("//") {
        return Err("the ZooKeeper path must be a znode path such as /mesos");
    }
    let (credentials, servers) = match authority.rsplit_once('@') {
        Some((credentials, servers)) => {
            let (user, password) = credentials
                .split_once(':')
                .filter(|(user, _)| !user.is_empty())
                .ok_or("credentials must be user:pass@")?;
            (Some((user.to_owned(), password.to_owned())), servers)
        }
        None => (None, authority),
    };
    let servers = servers
        .split(',')
        .map(|server| parse_host_port(server).map(|_| server.to_owned()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ZkUrl {
        credentials,
        servers,
        path: path.to_owned(),
    })
}

/// `host:port` with a non-empty host (name, IPv4 or `[IPv6]`) and a port
/// from 1 to 65535.
fn parse_host_port(text: &str) -> Result<(String, u16), &'static str> {
    let (host, port) = text
        .rsplit_once(':')
        .ok_or("each server must be host:port")?;
    let host_ok = if let Some(inner) = host.strip_prefix('[') {
        inner.strip_suffix(']').is_some_and(|ip| {
            !ip.is_empty() && ip.chars().all(|c| c.is_ascii_hexdigit() || c == ':')
        })
    } else {
        !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    };
    if !host_ok {
        return Err("each server must be host:port with a valid host name");
    }
    let port = Some(port)
        .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|digits| digits.parse::<u16>().ok())
        .filter(|&port| port != 0)
        .ok_or("the port must be a number from 1 to 65535")?;
    Ok((host.to_owned(), port))
}

/// `url` with anything before an `@` in its authority replaced by `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    // Credentials may contain '/', so hide everything up to the last '@':
    // showing too little is better than showing a password.
    match rest.rsplit_once('@') {
        Some((_, after)) => format!("{scheme}://***@{after}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cluster_forms() {
        let zk = MasterUrl::parse("zk://u:p@zoo1:2181,zoo2:2181,10.0.0.3:2181/mesos").unwrap();
        let MasterUrl::ZooKeeper(zk) = zk else {
            panic!("not zk: {zk:?}")
        };
        assert_eq!(zk.servers, ["zoo1:2181", "zoo2:2181", "10.0.0.3:2181"]);
        assert_eq!(zk.path, "/mesos");
        assert_eq!(zk.credentials, Some(("u".into(), "p".into())));
        assert_eq!(
            zk.to_string(),
            "zk://***@zoo1:2181,zoo2:2181,10.0.0.3:2181/mesos"
        );
        assert!(!format!("{zk:?}").contains(":p"));
        assert_eq!(
            MasterUrl::parse("https://master.example:5050/").unwrap(),
            MasterUrl::Http(HttpUrl {
                tls: true,
                host: "master.example".into(),
                port: 5050
            })
        );
        assert!(MasterUrl::parse("http://[::1]:5050").unwrap().is_cluster());
    }

    #[test]
    fn rejects_malformed_urls_without_showing_secrets() {
        for url in [
            "zk://zoo1:2181",
            "zk://zoo1/mesos",
            "zk://zoo1:0/mesos",
            "zk://zoo1:99999/mesos",
            "zk://zoo1:2181,/mesos",
            "zk://zoo1:2181/",
            "zk://:secret@zoo1:2181/mesos",
            "zk://secret@zoo1:2181/mesos",
            "http://master",
            "http://master:5050/path",
            "http://master:+50",
            "mesos://master:5050",
            "local[0]",
            "local[two]",
            "",
        ] {
            let err = MasterUrl::parse(url).unwrap_err();
            assert!(!err.to_string().contains("secret"), "{err}");
        }
    }

    #[test]
    fn redacts_credentials() {
        assert_eq!(redact("zk://a:b/c@h:1/m"), "zk://***@h:1/m");
        assert_eq!(redact("http://h:1"), "http://h:1");
        assert_eq!(redact("local[2]"), "local[2]");
    }
}
