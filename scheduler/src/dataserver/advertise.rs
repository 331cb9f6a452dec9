//! The address the data server puts in its URLs, and how the driver
//! learns an address the cluster can reach it at.
//!
//! Precedence of the host: the configured `advertise_host`; else what the
//! engine set (the local address of its connection to the master); else
//! the bind IP; else, bound to every interface, this machine's hostname.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::RwLock;
use std::time::Duration;

/// How long `local_ip_towards` waits for each connection attempt.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// The advertised host and port, as configured and as learned.
#[derive(Debug)]
pub(crate) struct Advertise {
    configured_host: Option<String>,
    learned_host: RwLock<Option<String>>,
    fallback_host: String,
    port: u16,
}

impl Advertise {
    pub(crate) fn new(host: Option<String>, port: Option<u16>, bound: SocketAddr) -> Advertise {
        let fallback_host = if bound.ip().is_unspecified() {
            machine_hostname()
        } else {
            bound.ip().to_string()
        };
        Advertise {
            configured_host: host,
            learned_host: RwLock::new(None),
            fallback_host,
            port: port.unwrap_or(bound.port()),
        }
    }

    /// Records the host learned by the engine; a configured host wins.
    pub(crate) fn learn_host(&self, host: String) {
        *self.learned_host.write().unwrap_or_else(|e| e.into_inner()) = Some(host);
    }

    pub(crate) fn host_and_port(&self) -> (String, u16) {
        let learned = self.learned_host.read().unwrap_or_else(|e| e.into_inner());
        let host = self
            .configured_host
            .as_ref()
            .or(learned.as_ref())
            .unwrap_or(&self.fallback_host);
        (host.clone(), self.port)
    }

    /// `<scheme>://host:port`, an IPv6 literal in brackets.
    pub(crate) fn base_url(&self, scheme: &str) -> String {
        let (host, port) = self.host_and_port();
        if host.contains(':') && !host.starts_with('[') {
            format!("{scheme}://[{host}]:{port}")
        } else {
            format!("{scheme}://{host}:{port}")
        }
    }
}

/// The local IP the OS uses for a TCP connection to `target` (`host:port`):
/// an address on the interface that routes to it, so a peer of `target`
/// can likely reach this machine there. Blocks up to a few seconds per
/// resolved address.
pub fn local_ip_towards(target: &str) -> io::Result<IpAddr> {
    let context =
        |e: io::Error, what: &str| io::Error::new(e.kind(), format!("{what} {target}: {e}"));
    let addrs = target
        .to_socket_addrs()
        .map_err(|e| context(e, "resolving"))?;
    let mut last = io::Error::new(io::ErrorKind::NotFound, "it resolved to no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
            Ok(stream) => return stream.local_addr().map(|local| local.ip()),
            Err(e) => last = e,
        }
    }
    Err(context(last, "connecting to"))
}

/// This machine's hostname (Linux), else `localhost`.
fn machine_hostname() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .map(|name| name.trim().to_owned())
        .chain(std::env::var("HOSTNAME").ok())
        .find(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bound(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn configured_beats_learned_beats_bind_ip() {
        let plain = Advertise::new(None, None, bound("127.0.0.1:4040"));
        assert_eq!(plain.host_and_port(), ("127.0.0.1".into(), 4040));
        plain.learn_host("10.0.0.5".into());
        assert_eq!(plain.base_url("http"), "http://10.0.0.5:4040");

        let configured = Advertise::new(Some("driver".into()), Some(80), bound("127.0.0.1:4040"));
        configured.learn_host("10.0.0.5".into());
        assert_eq!(configured.base_url("https"), "https://driver:80");
    }

    #[test]
    fn unspecified_bind_advertises_the_hostname_and_v6_gets_brackets() {
        let any = Advertise::new(None, None, bound("0.0.0.0:1"));
        assert_eq!(any.host_and_port().0, machine_hostname());
        let v6 = Advertise::new(None, None, bound("[::1]:7"));
        assert_eq!(v6.base_url("http"), "http://[::1]:7");
    }
}
