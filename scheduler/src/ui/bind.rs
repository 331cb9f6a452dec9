//! Where the status page listens: `UiBind` (an address, or `off`) as users
//! write it, and binding with Spark's port fallback: when the port asked
//! for is taken, the next ones are tried (4040, 4041, ... 4060), so that
//! several drivers on one host each get a page.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::str::FromStr;

use tokio::net::TcpListener;

/// The default: every interface, port 4040 (Spark's UI port).
pub const DEFAULT_UI_BIND: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::UNSPECIFIED), 4040);

/// Ports tried in all: the one asked for and the 20 after it.
pub const PORT_TRIES: u16 = 21;

/// The status page's address as a user sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UiBind {
    /// No status page.
    Off,
    /// Listen here (port 0: any free port, no fallback needed).
    At(SocketAddr),
}

impl UiBind {
    /// The address to listen on, if any.
    pub fn addr(self) -> Option<SocketAddr> {
        match self {
            UiBind::Off => None,
            UiBind::At(addr) => Some(addr),
        }
    }
}

impl FromStr for UiBind {
    type Err = String;

    /// `off` (any case; also `false`, as Python's `False` arrives), or an
    /// address like `0.0.0.0:4040`.
    fn from_str(text: &str) -> Result<UiBind, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("off") || text.eq_ignore_ascii_case("false") {
            return Ok(UiBind::Off);
        }
        text.parse()
            .map(UiBind::At)
            .map_err(|_| format!("'{text}' is neither \"off\" nor an address like 0.0.0.0:4040"))
    }
}

impl fmt::Display for UiBind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UiBind::Off => f.write_str("off"),
            UiBind::At(addr) => addr.fmt(f),
        }
    }
}

/// Binds `addr`, or when its port is in use, the first free port of the
/// `PORT_TRIES` from it. Other errors end the search at once.
pub(crate) async fn bind_with_fallback(addr: SocketAddr) -> io::Result<TcpListener> {
    let last = if addr.port() == 0 {
        0
    } else {
        addr.port().saturating_add(PORT_TRIES - 1)
    };
    let mut port = addr.port();
    loop {
        let candidate = SocketAddr::new(addr.ip(), port);
        match TcpListener::bind(candidate).await {
            Ok(listener) => return Ok(listener),
            Err(error) if error.kind() == io::ErrorKind::AddrInUse && port < last => {
                tracing::debug!(%candidate, "status page port in use; trying the next");
                port += 1;
            }
            Err(error) => {
                let tried = if port == addr.port() {
                    addr.to_string()
                } else {
                    format!("{addr} to port {port}")
                };
                return Err(io::Error::new(
                    error.kind(),
                    format!("binding the status page to {tried}: {error}"),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_or_an_address() {
        assert_eq!("off".parse(), Ok(UiBind::Off));
        assert_eq!(" OFF ".parse(), Ok(UiBind::Off));
        assert_eq!(
            "127.0.0.1:4041".parse(),
            Ok(UiBind::At("127.0.0.1:4041".parse().unwrap()))
        );
        assert!("4040".parse::<UiBind>().is_err());
        assert!("".parse::<UiBind>().is_err());
        assert_eq!(UiBind::At(DEFAULT_UI_BIND).to_string(), "0.0.0.0:4040");
    }

    #[tokio::test]
    async fn a_taken_port_moves_to_the_next_free_one() {
        let taken = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = taken.local_addr().unwrap().port();
        if port >= u16::MAX - PORT_TRIES {
            return; // no room above it to try
        }
        let listener = bind_with_fallback(taken.local_addr().unwrap())
            .await
            .expect("a later port is free");
        let got = listener.local_addr().unwrap().port();
        assert!(got > port && got < port + PORT_TRIES, "{got} after {port}");
    }

    #[tokio::test]
    async fn other_errors_name_the_address_at_once() {
        // A documentation address (TEST-NET-3) is on no interface here.
        let error = bind_with_fallback("203.0.113.7:4040".parse().unwrap())
            .await
            .expect_err("not a local address");
        assert_ne!(error.kind(), io::ErrorKind::AddrInUse);
        assert!(error.to_string().contains("203.0.113.7:4040"), "{error}");
    }
}
