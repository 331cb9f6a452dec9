//! A real ZooKeeper server for tests: Debian's ZooKeeper run in the
//! foreground on a free loopback port with a temporary data directory, ready
//! once `ruok` answers `imok`, restartable on the same port and data, killed
//! by its PID when dropped; plus a relay in front of it that a test can cut
//! to partition clients until their sessions expire.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use tokio::sync::watch;

/// Where Debian's `zookeeper` package puts its jars.
pub const DEFAULT_JAR_DIR: &str = "/usr/share/java";
/// Where Debian's `zookeeper` package puts its configuration (log4j).
pub const DEFAULT_CONF_DIR: &str = "/etc/zookeeper/conf";
const MAIN_CLASS: &str = "org.apache.zookeeper.server.quorum.QuorumPeerMain";
const READY_POLL_INTERVAL: Duration = Duration::from_millis(50);
/// Start attempts when another process grabs the chosen free port first.
const PORT_ATTEMPTS: usize = 3;

/// Why the ZooKeeper server could not be started or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ZooKeeperError {
    /// No Java runtime where the config says.
    #[error(
        "cannot run ZooKeeper: Java not found at {java} (install Debian's `zookeeper` package, which brings a JRE, or a JRE such as `default-jre-headless`)"
    )]
    JavaMissing {
        /// The java binary that was looked for.
        java: String,
    },
    /// The ZooKeeper jars are missing.
    #[error(
        "cannot run ZooKeeper: {jar} not found (install Debian's `zookeeper` package: apt-get install zookeeper)"
    )]
    JarsMissing {
        /// The jar that was looked for.
        jar: PathBuf,
    },
    /// A file or process operation failed.
    #[error("ZooKeeper harness: {what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The server process exited before it was ready.
    #[error(
        "ZooKeeper on port {port} exited during startup ({status}); end of its log {log}:\n{log_tail}"
    )]
    ExitedEarly {
        /// The port it was to listen on.
        port: u16,
        /// Its exit status.
        status: String,
        /// Its log file.
        log: PathBuf,
        /// The last lines of the log.
        log_tail: String,
    },
    /// The server did not answer `ruok`, or not serve sessions, in time.
    #[error(
        "ZooKeeper on port {port} was not serving within {waited:?}; end of its log {log}:\n{log_tail}"
    )]
    NotReady {
        /// The port it listens on.
        port: u16,
        /// How long the harness waited.
        waited: Duration,
        /// Its log file.
        log: PathBuf,
        /// The last lines of the log.
        log_tail: String,
    },
}

fn io_error(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> ZooKeeperError {
    let what = what.into();
    move |source| ZooKeeperError::Io { what, source }
}

/// How to run the server. The defaults suit tests: short ticks, and a low
/// minimum session timeout so tests can use sessions that expire quickly.
#[derive(Clone, Debug)]
pub struct ZooKeeperConfig {
    /// The `java` binary (a bare name is looked up on `PATH`).
    pub java: PathBuf,
    /// Directory holding `zookeeper.jar` and its dependencies.
    pub jar_dir: PathBuf,
    /// Directory holding ZooKeeper's log4j configuration.
    pub conf_dir: PathBuf,
    /// `tickTime`: ZooKeeper's basic time unit.
    pub tick_time: Duration,
    /// `minSessionTimeout`: the shortest session a client may negotiate.
    pub min_session_timeout: Duration,
    /// `maxSessionTimeout`: the longest session a client may negotiate.
    pub max_session_timeout: Duration,
    /// How long to wait for `ruok` to answer `imok`.
    pub startup_timeout: Duration,
}

impl Default for ZooKeeperConfig {
    fn default() -> Self {
        Self {
            java: PathBuf::from("java"),
            jar_dir: PathBuf::from(DEFAULT_JAR_DIR),
            conf_dir: PathBuf::from(DEFAULT_CONF_DIR),
            tick_time: Duration::from_millis(200),
            min_session_timeout: Duration::from_millis(400),
            max_session_timeout: Duration::from_secs(60),
            startup_timeout: Duration::from_secs(30),
        }
    }
}

/// A running (or stopped, restartable) standalone ZooKeeper server.
#[derive(Debug)]
pub struct ZooKeeperServer {
    config: ZooKeeperConfig,
    port: u16,
    dir: TempDir,
    child: Option<Child>,
}

impl ZooKeeperServer {
    /// Starts a server with the default config and waits until it is ready.
    pub fn start() -> Result<Self, ZooKeeperError> {
        Self::start_with(ZooKeeperConfig::default())
    }

    /// Starts a server with `config` and waits until it is ready.
    pub fn start_with(config: ZooKeeperConfig) -> Result<Self, ZooKeeperError> {
        check_installation(&config)?;
        let dir = tempfile::Builder::new()
            .prefix("rmesos-zookeeper-")
            .tempdir()
            .map_err(io_error("creating the temporary directory"))?;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let port = free_loopback_port()?;
            match launch(&config, dir.path(), port) {
                Ok(child) => {
                    return Ok(Self {
                        config,
                        port,
                        dir,
                        child: Some(child),
                    });
                }
                // Another process may have taken the port between our probe
                // and the server's bind: try another one.
                Err(ZooKeeperError::ExitedEarly { .. }) if attempts < PORT_ATTEMPTS => {}
                Err(error) => return Err(error),
            }
        }
    }

    /// `127.0.0.1:PORT`, for ZooKeeper clients and `zk://` URLs.
    pub fn connect_string(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The client port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's OS process id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The data directory, kept across restarts.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The file receiving the server's stdout and stderr.
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("zookeeper.log")
    }

    /// Whether the server process is running.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut().map(Child::try_wait) {
            Some(Ok(None)) => true,
            Some(Ok(Some(_)) | Err(_)) | None => false,
        }
    }

    /// Kills the server (SIGKILL, as a crash would) and reaps it. Its data
    /// directory stays, so [`restart`](Self::restart) brings the same
    /// znodes back. Does nothing if it is already stopped.
    pub fn stop(&mut self) -> Result<(), ZooKeeperError> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        tracing::debug!(pid = child.id(), port = self.port, "stopping ZooKeeper");
        kill_and_reap(&mut child).map_err(io_error(format!("killing ZooKeeper pid {}", child.id())))
    }

    /// Stops the server if it runs, then starts it again on the same port
    /// with the same data directory and waits until it is ready.
    pub fn restart(&mut self) -> Result<(), ZooKeeperError> {
        self.stop()?;
        self.child = Some(launch(&self.config, self.dir.path(), self.port)?);
        Ok(())
    }
}

impl ZooKeeperServer {
    /// A relay to this server that a test can cut to partition the clients
    /// connected through it: their sessions then expire on the server once
    /// their session timeout passes (keep it short for quick tests).
    pub async fn partitionable_link(&self) -> Result<ZooKeeperLink, ZooKeeperError> {
        ZooKeeperLink::start(self.port).await
    }
}

/// A TCP relay on its own loopback port in front of a ZooKeeper server.
/// While cut, it drops every relayed connection and closes new ones at once,
/// so clients behind it can reach no server, as in a network partition.
#[derive(Debug)]
pub struct ZooKeeperLink {
    port: u16,
    cut: watch::Sender<bool>,
    relay: tokio::task::JoinHandle<()>,
}

impl ZooKeeperLink {
    async fn start(server_port: u16) -> Result<Self, ZooKeeperError> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(io_error("binding the relay"))?;
        let port = listener
            .local_addr()
            .map_err(io_error("binding the relay"))?
            .port();
        let (cut, cut_signal) = watch::channel(false);
        let relay = tokio::spawn(accept_relayed(listener, server_port, cut_signal));
        Ok(Self { port, cut, relay })
    }

    /// `127.0.0.1:PORT` of the relay, for clients to connect through.
    pub fn connect_string(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Drops all relayed connections and refuses new ones until [`restore`](Self::restore).
    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    /// Relays again.
    pub fn restore(&self) {
        self.cut.send_replace(false);
    }
}

impl Drop for ZooKeeperLink {
    fn drop(&mut self) {
        self.relay.abort();
    }
}

async fn accept_relayed(
    listener: tokio::net::TcpListener,
    server_port: u16,
    cut: watch::Receiver<bool>,
) {
    while let Ok((client, _)) = listener.accept().await {
        if *cut.borrow() {
            drop(client);
            continue;
        }
        tokio::spawn(relay_one(client, server_port, cut.clone()));
    }
}

async fn relay_one(
    mut client: tokio::net::TcpStream,
    server_port: u16,
    mut cut: watch::Receiver<bool>,
) {
    let Ok(mut server) = tokio::net::TcpStream::connect((Ipv4Addr::LOCALHOST, server_port)).await
    else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        _ = cut.wait_for(|cut| *cut) => {}
    }
}

impl Drop for ZooKeeperServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Nothing useful can be done with a failure while dropping.
            let _ = kill_and_reap(&mut child);
        }
    }
}

fn kill_and_reap(child: &mut Child) -> std::io::Result<()> {
    if child.try_wait()?.is_none() {
        child.kill()?;
    }
    child.wait().map(drop)
}

/// Fails early, with the package to install, if Java or the jars are missing.
fn check_installation(config: &ZooKeeperConfig) -> Result<(), ZooKeeperError> {
    let jar = config.jar_dir.join("zookeeper.jar");
    if !jar.is_file() {
        return Err(ZooKeeperError::JarsMissing { jar });
    }
    let java_runs = Command::new(&config.java)
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !java_runs {
        return Err(ZooKeeperError::JavaMissing {
            java: config.java.display().to_string(),
        });
    }
    Ok(())
}

/// A loopback port nothing listens on right now.
fn free_loopback_port() -> Result<u16, ZooKeeperError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(io_error("finding a free loopback port"))?;
    let port = listener
        .local_addr()
        .map_err(io_error("finding a free loopback port"))?
        .port();
    Ok(port)
}

fn write_config(
    config: &ZooKeeperConfig,
    dir: &Path,
    port: u16,
) -> Result<PathBuf, ZooKeeperError> {
    let data_dir = dir.join("data");
    fs::create_dir_all(&data_dir).map_err(io_error("creating the data directory"))?;
    let text = format!(
        "tickTime={tick}\n\
         dataDir={data}\n\
         clientPort={port}\n\
         clientPortAddress=127.0.0.1\n\
         admin.enableServer=false\n\
         4lw.commands.whitelist=ruok,srvr\n\
         minSessionTimeout={min}\n\
         maxSessionTimeout={max}\n\
         maxClientCnxns=0\n",
        tick = config.tick_time.as_millis(),
        data = data_dir.display(),
        min = config.min_session_timeout.as_millis(),
        max = config.max_session_timeout.as_millis(),
    );
    let path = dir.join("zoo.cfg");
    fs::write(&path, text).map_err(io_error(format!("writing {}", path.display())))?;
    Ok(path)
}

/// Spawns the server in the foreground and waits for `imok`.
fn launch(config: &ZooKeeperConfig, dir: &Path, port: u16) -> Result<Child, ZooKeeperError> {
    let config_path = write_config(config, dir, port)?;
    let log_path = dir.join("zookeeper.log");
    let log = File::options()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(io_error(format!("opening {}", log_path.display())))?;
    let log_err = log
        .try_clone()
        .map_err(io_error("duplicating the log handle"))?;
    let classpath = format!(
        "{}/*:{}",
        config.jar_dir.display(),
        config.conf_dir.display()
    );
    let mut child = Command::new(&config.java)
        // A small, single-threaded-GC heap: tests share a small machine.
        .args([
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-cp",
            &classpath,
            MAIN_CLASS,
        ])
        .arg(&config_path)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .spawn()
        .map_err(io_error(format!("spawning {}", config.java.display())))?;
    tracing::debug!(pid = child.id(), port, "started ZooKeeper");
    match wait_until_ready(&mut child, port, config.startup_timeout, &log_path) {
        Ok(()) => Ok(child),
        Err(error) => {
            let _ = kill_and_reap(&mut child);
            Err(error)
        }
    }
}

fn wait_until_ready(
    child: &mut Child,
    port: u16,
    timeout: Duration,
    log: &Path,
) -> Result<(), ZooKeeperError> {
    let started = Instant::now();
    loop {
        if let Some(status) = child
            .try_wait()
            .map_err(io_error("checking on ZooKeeper"))?
        {
            return Err(ZooKeeperError::ExitedEarly {
                port,
                status: status.to_string(),
                log: log.to_owned(),
                log_tail: log_tail(log),
            });
        }
        if is_serving(port) {
            return Ok(());
        }
        if started.elapsed() >= timeout {
            return Err(ZooKeeperError::NotReady {
                port,
                waited: started.elapsed(),
                log: log.to_owned(),
                log_tail: log_tail(log),
            });
        }
        std::thread::sleep(READY_POLL_INTERVAL);
    }
}

/// Sends the `ruok` four-letter command; a live server answers `imok`.
pub fn answers_imok(port: u16) -> bool {
    four_letter_word(port, b"ruok").is_some_and(|answer| answer == "imok")
}

/// Whether the server serves client sessions yet: `ruok` answers as soon as
/// the process listens, `srvr` only reports a mode once the database is
/// loaded (before that, sessions are refused).
pub fn is_serving(port: u16) -> bool {
    answers_imok(port)
        && four_letter_word(port, b"srvr").is_some_and(|answer| answer.contains("Mode:"))
}

fn four_letter_word(port: u16, word: &[u8]) -> Option<String> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(1)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    stream.write_all(word).ok()?;
    let mut answer = Vec::new();
    stream.take(64 * 1024).read_to_end(&mut answer).ok()?;
    String::from_utf8(answer).ok()
}

fn log_tail(log: &Path) -> String {
    const TAIL_LINES: usize = 20;
    let text = fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}
