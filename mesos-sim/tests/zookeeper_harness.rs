//! The ZooKeeper test harness against the real server: it starts and
//! serves clients, restarts on the same port with the same data, stops and
//! is killed on drop, partitions clients so their sessions expire, and names
//! the missing package when Java or the jars are absent.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rmesos_mesos_sim::zookeeper::{
    ZooKeeperConfig, ZooKeeperError, ZooKeeperServer, answers_imok, is_serving,
};
use zookeeper_client::{Acls, Client, CreateMode, SessionState};

const DEADLINE: Duration = Duration::from_secs(30);

fn process_exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Polls `condition` until it holds or the deadline passes.
async fn eventually<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !condition().await {
        assert!(started.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_and_serves_clients() {
    let server = ZooKeeperServer::start().unwrap();
    assert_eq!(
        server.connect_string(),
        format!("127.0.0.1:{}", server.port())
    );
    assert!(answers_imok(server.port()));
    assert!(is_serving(server.port()));

    let client = Client::connect(&server.connect_string()).await.unwrap();
    let options = CreateMode::Persistent.with_acls(Acls::anyone_all());
    client.create("/harness", b"hello", &options).await.unwrap();
    let (data, _) = client.get_data("/harness").await.unwrap();
    assert_eq!(data, b"hello");
    assert!(server.data_dir().is_dir());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_port_data_and_live_sessions() {
    let mut server = ZooKeeperServer::start().unwrap();
    let port = server.port();
    let client = Client::connector()
        .with_session_timeout(Duration::from_secs(20))
        .connect(&server.connect_string())
        .await
        .unwrap();
    let persistent = CreateMode::Persistent.with_acls(Acls::anyone_all());
    client.create("/kept", b"v1", &persistent).await.unwrap();
    let first_pid = server.pid().unwrap();

    server.restart().unwrap();
    assert_eq!(server.port(), port);
    assert_ne!(server.pid().unwrap(), first_pid);
    assert!(!process_exists(first_pid));
    assert!(answers_imok(port));

    // The old client reconnects with its session and sees the same data.
    eventually("the old client to read after restart", || async {
        matches!(client.get_data("/kept").await, Ok((data, _)) if data == b"v1")
    })
    .await;
    assert_eq!(client.state(), SessionState::SyncConnected);
}

#[test]
fn stop_and_drop_kill_the_process() {
    let mut server = ZooKeeperServer::start().unwrap();
    let port = server.port();
    let pid = server.pid().unwrap();
    assert!(server.is_running());

    server.stop().unwrap();
    assert!(!server.is_running());
    assert!(server.pid().is_none());
    assert!(!process_exists(pid));
    assert!(!answers_imok(port));
    server.stop().unwrap();

    server.restart().unwrap();
    let pid = server.pid().unwrap();
    assert!(answers_imok(port));
    let data_dir = server.data_dir();
    drop(server);
    assert!(!process_exists(pid));
    assert!(!data_dir.exists(), "the temporary directory is removed");
}

#[test]
fn two_servers_use_distinct_ports() {
    let first = ZooKeeperServer::start().unwrap();
    let second = ZooKeeperServer::start().unwrap();
    assert_ne!(first.port(), second.port());
    assert!(answers_imok(first.port()) && answers_imok(second.port()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cutting_a_link_expires_the_sessions_behind_it() {
    let server = ZooKeeperServer::start().unwrap();
    let link = server.partitionable_link().await.unwrap();
    let observer = Client::connect(&server.connect_string()).await.unwrap();
    let doomed = Client::connector()
        .with_session_timeout(Duration::from_secs(1))
        .connect(&link.connect_string())
        .await
        .unwrap();
    let ephemeral = CreateMode::Ephemeral.with_acls(Acls::anyone_all());
    doomed.create("/doomed", b"", &ephemeral).await.unwrap();
    let mut states = doomed.state_watcher();

    link.cut();
    eventually("the server to expire the session", || async {
        matches!(observer.check_stat("/doomed").await, Ok(None))
    })
    .await;
    let state = tokio::time::timeout(DEADLINE, async {
        loop {
            let state = states.changed().await;
            if state.is_terminated() {
                return state;
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(state, SessionState::Expired);

    // Restored, the link relays new sessions again.
    link.restore();
    let fresh = Client::connect(&link.connect_string()).await.unwrap();
    assert!(fresh.check_stat("/").await.unwrap().is_some());
}

#[test]
fn missing_java_or_jars_name_the_package_to_install() {
    let no_java = ZooKeeperConfig {
        java: PathBuf::from("/nonexistent/bin/java"),
        ..ZooKeeperConfig::default()
    };
    let error = ZooKeeperServer::start_with(no_java).unwrap_err();
    assert!(
        matches!(error, ZooKeeperError::JavaMissing { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("zookeeper"), "{error}");

    let empty = tempfile::tempdir().unwrap();
    let no_jars = ZooKeeperConfig {
        jar_dir: empty.path().to_owned(),
        ..ZooKeeperConfig::default()
    };
    let error = ZooKeeperServer::start_with(no_jars).unwrap_err();
    assert!(
        matches!(error, ZooKeeperError::JarsMissing { .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("apt-get install zookeeper"),
        "{error}"
    );
}

#[test]
fn a_server_that_cannot_start_reports_its_log() {
    // A tick time of zero makes ZooKeeper reject its configuration and exit.
    let broken = ZooKeeperConfig {
        tick_time: Duration::ZERO,
        ..ZooKeeperConfig::default()
    };
    let error = ZooKeeperServer::start_with(broken).unwrap_err();
    assert!(
        matches!(error, ZooKeeperError::ExitedEarly { .. }),
        "{error}"
    );
}
