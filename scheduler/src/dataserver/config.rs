//! `DataServerConfig`: where the data server listens, the address it puts
//! in the URLs it hands out, and where executors get the executor binary.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use super::executor_source::ExecutorSource;

/// How to start a `DataServer`.
#[derive(Debug, Clone)]
pub struct DataServerConfig {
    /// Where to listen. Default `0.0.0.0:0`: every interface, a free port.
    pub bind: SocketAddr,
    /// The host agents reach the server at. When unset, the engine's
    /// `DataServer::set_advertised_host` decides, else the bind IP, else
    /// (bound to 0.0.0.0 or ::) this machine's hostname.
    pub advertise_host: Option<String>,
    /// The port agents reach the server at (a port mapped by Docker or
    /// a NAT). Default: the bound port.
    pub advertise_port: Option<u16>,
    /// Where executors get `rmesos-executor`.
    pub executor: ExecutorSource,
    /// How often the driver and each executor tell each other they are
    /// alive on the executor's channel (three missed: gone).
    pub heartbeat: Duration,
    /// Serve rows and channels over TLS with a certificate made for the
    /// session, which executors pin. Default on.
    pub tls: bool,
}

impl DataServerConfig {
    /// The defaults, with the executor from `executor`.
    pub fn new(executor: ExecutorSource) -> DataServerConfig {
        DataServerConfig {
            bind: SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
            advertise_host: None,
            advertise_port: None,
            executor,
            heartbeat: Duration::from_secs(1),
            tls: true,
        }
    }
}
