//! Shared by the detection tests: fake Mesos masters that register in a real
//! ZooKeeper the way Mesos masters do (ephemeral sequential `json.info_`
//! znodes holding their `MasterInfo` JSON, or binary `info_` znodes as older
//! masters wrote), and helpers to await detector events with a deadline.

#![allow(dead_code)]

use std::time::Duration;

use futures::StreamExt;
use prost::Message;
use rmesos_common::wire::master_info::master_info_to_json;
use rmesos_common::wire::v1::{Address, MasterInfo, master_info};
use rmesos_scheduler::detection::{
    BackoffPolicy, DetectorOptions, Leader, LeaderDetector, LeaderEvent, MasterUrl,
};
use zookeeper_client::{Acls, Client, CreateMode};

/// Upper bound for anything the tests wait for.
pub const DEADLINE: Duration = Duration::from_secs(40);

/// Detector options that retry quickly.
pub fn quick_options() -> DetectorOptions {
    DetectorOptions {
        session_timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(10),
        backoff: BackoffPolicy {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(500),
            multiplier: 2.0,
            jitter: 0.5,
        },
    }
}

pub fn detector(url: &str, options: DetectorOptions) -> LeaderDetector {
    init_logging();
    LeaderDetector::new(MasterUrl::parse(url).unwrap(), options)
}

/// Logs to the test output, filtered by `RUST_LOG`.
pub fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// The `MasterInfo` a master named `name` listening on `port` publishes.
pub fn master_info(name: &str, port: u16) -> MasterInfo {
    MasterInfo {
        id: format!("{name}-0b7e6a52"),
        // 127.0.0.1's network-order bytes read as a little-endian u32.
        ip: u32::from_le_bytes([127, 0, 0, 1]),
        port: u32::from(port),
        pid: Some(format!("master@127.0.0.1:{port}")),
        hostname: Some(name.to_owned()),
        version: Some("1.11.0".to_owned()),
        address: Some(Address {
            hostname: Some(name.to_owned()),
            ip: Some("127.0.0.1".to_owned()),
            port: i32::from(port),
        }),
        domain: None,
        capabilities: vec![master_info::Capability {
            r#type: Some(master_info::capability::Type::AgentUpdate as i32),
        }],
    }
}

/// A fake master holding its own ZooKeeper session; dropping `client`
/// closes the session, which removes its znode like a dying master.
pub struct FakeMaster {
    pub client: Client,
    pub member: String,
    pub info: MasterInfo,
}

/// How a fake master encodes its info.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Json,
    Protobuf,
}

/// Connects with an optional digest `user:password`.
pub async fn connect(servers: &str, digest: Option<&str>, session_timeout: Duration) -> Client {
    let mut connector = Client::connector().with_session_timeout(session_timeout);
    if let Some(auth) = digest {
        connector = connector.with_auth("digest", auth.as_bytes());
    }
    connector.connect(servers).await.unwrap()
}

/// Creates `path` and its parents (persistent, with `acls`) if missing.
pub async fn ensure_path(client: &Client, path: &str, acls: Acls<'static>) {
    let mut prefix = String::new();
    for segment in path.trim_start_matches('/').split('/') {
        prefix.push('/');
        prefix.push_str(segment);
        let options = CreateMode::Persistent.with_acls(acls);
        match client.create(&prefix, b"", &options).await {
            Ok(_) | Err(zookeeper_client::Error::NodeExists) => {}
            Err(error) => panic!("creating {prefix}: {error}"),
        }
    }
}

/// How a fake master registers.
#[derive(Clone, Copy, Debug)]
pub struct MasterSpec<'a> {
    /// Connect string (the server's, or a partitionable link's).
    pub servers: &'a str,
    pub path: &'a str,
    pub name: &'a str,
    pub port: u16,
    pub encoding: Encoding,
    /// Digest `user:password`; the znodes then get a creator-only ACL.
    pub digest: Option<&'a str>,
    pub session_timeout: Duration,
}

impl<'a> MasterSpec<'a> {
    /// A JSON-registering master without credentials and a long session.
    pub fn new(servers: &'a str, path: &'a str, name: &'a str, port: u16) -> Self {
        Self {
            servers,
            path,
            name,
            port,
            encoding: Encoding::Json,
            digest: None,
            session_timeout: Duration::from_secs(30),
        }
    }
}

/// Registers a master the way a Mesos master's contender does.
pub async fn register(spec: MasterSpec<'_>) -> FakeMaster {
    let client = connect(spec.servers, spec.digest, spec.session_timeout).await;
    let acls = if spec.digest.is_some() {
        Acls::creator_all()
    } else {
        Acls::anyone_all()
    };
    ensure_path(&client, spec.path, acls).await;
    let info = master_info(spec.name, spec.port);
    let (label, data) = match spec.encoding {
        Encoding::Json => ("json.info", master_info_to_json(&info).unwrap()),
        Encoding::Protobuf => ("info", info.encode_to_vec()),
    };
    let options = CreateMode::EphemeralSequential.with_acls(acls);
    let (_, sequence) = client
        .create(&format!("{}/{label}_", spec.path), &data, &options)
        .await
        .unwrap();
    FakeMaster {
        client,
        member: format!("{label}_{sequence}"),
        info,
    }
}

/// [`register`] with the defaults of [`MasterSpec::new`].
pub async fn register_master(servers: &str, path: &str, name: &str, port: u16) -> FakeMaster {
    register(MasterSpec::new(servers, path, name, port)).await
}

/// The next event, failing the test after [`DEADLINE`].
pub async fn next_event(detector: &mut LeaderDetector) -> LeaderEvent {
    tokio::time::timeout(DEADLINE, detector.next())
        .await
        .expect("no detector event before the deadline")
        .expect("the detector stream never ends")
}

/// Skips `Error` events (returned too) up to the next leader-state event.
pub async fn next_change(detector: &mut LeaderDetector) -> (LeaderEvent, Vec<LeaderEvent>) {
    let mut errors = Vec::new();
    loop {
        match next_event(detector).await {
            error @ LeaderEvent::Error(_) => errors.push(error),
            change => return (change, errors),
        }
    }
}

/// The next leader-state event, which must name a leader.
pub async fn next_leader(detector: &mut LeaderDetector) -> Leader {
    match next_change(detector).await.0 {
        LeaderEvent::Leader(leader) => leader,
        other => panic!("expected a new leader, got {other:?}"),
    }
}

/// Asserts `leader` is `master`.
pub fn assert_is(leader: &Leader, master: &FakeMaster) {
    assert_eq!(leader.member.as_deref(), Some(master.member.as_str()));
    assert_eq!(leader.info.as_deref(), Some(&master.info));
    let name = master.info.hostname.as_deref().unwrap_or_default();
    assert_eq!(
        leader.endpoint.to_string(),
        format!("{name}:{}", master.info.port)
    );
}
