//! The data server's TLS over real loopback connections: rows and
//! channels are served only over TLS, to clients that pin the session's
//! certificate; plain HTTP on the same port reaches only the public
//! executor binary; a relay on the path sees neither rows nor tokens.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use reqwest::{Client, StatusCode};
use rmesos_common::pinned_tls::pinned_client_config;
use rmesos_common::task::{DataUrl, encode_rows};
use rmesos_scheduler::dataserver::{DataServer, DataServerConfig, ExecutorSource, ExecutorUri};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn start(executor: ExecutorSource, tls: bool) -> DataServer {
    let config = DataServerConfig {
        bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        tls,
        ..DataServerConfig::new(executor)
    };
    DataServer::start(config).await.expect("data server starts")
}

fn without_executor() -> ExecutorSource {
    ExecutorSource::AgentPath("/opt/rmesos/rmesos-executor".into())
}

/// A client that trusts only the certificate with SHA-256 `pin`.
fn pinned(pin: &str) -> Client {
    Client::builder()
        .no_proxy()
        .use_preconfigured_tls(pinned_client_config(pin).expect("a valid pin"))
        .build()
        .expect("client")
}

fn plain() -> Client {
    Client::builder().no_proxy().build().expect("client")
}

fn values(n: usize) -> Arc<[f64]> {
    (0..n)
        .map(|i| (i as f64 * 0.61).cos() * 1e4 + 0.5)
        .collect()
}

/// The first path segment of a data-server URL.
fn token_of(url: &DataUrl) -> String {
    let parsed = reqwest::Url::parse(url.expose()).unwrap();
    parsed.path_segments().unwrap().next().unwrap().to_owned()
}

#[tokio::test]
async fn rows_and_channels_are_https_urls_that_a_pinning_client_reads() {
    let server = start(without_executor(), true).await;
    let pin = server.certificate_sha256().expect("TLS is on").to_owned();
    let rows = values(2000);
    let published = server.publish("job-tls", rows.clone(), 4);
    let url = published.url(0..500);
    assert!(url.expose().starts_with("https://"), "{url}");
    let channel = server.expect_executor("e-1");
    assert!(channel.expose().starts_with("https://"), "{channel}");

    let response = pinned(&pin).get(url.expose()).send().await.expect("GET");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.bytes().await.unwrap() == encode_rows(&rows));
    assert_eq!(server.stats().served, 1);
}

#[tokio::test]
async fn with_tls_off_urls_are_plain_http() {
    let server = start(without_executor(), false).await;
    assert_eq!(server.certificate_sha256(), None);
    let rows = values(8);
    let published = server.publish("job-plain", rows.clone(), 2);
    let url = published.url(0..4);
    assert!(url.expose().starts_with("http://"), "{url}");
    let response = plain().get(url.expose()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.bytes().await.unwrap() == encode_rows(&rows));
}

#[tokio::test]
async fn plain_http_reaches_only_the_executor_binary() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rmesos-executor-build");
    let binary: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &binary).unwrap();
    let server = start(ExecutorSource::Serve(path), true).await;
    let Some(ExecutorUri::Served(executor_url)) = server.executor_fetch().uri else {
        panic!("the binary is served");
    };
    // The Mesos fetcher knows no session certificate: the binary stays
    // on plain HTTP (the launch command checks its digest).
    assert!(executor_url.starts_with("http://"), "{executor_url}");
    let response = plain().get(&executor_url).send().await.expect("GET");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.bytes().await.unwrap() == binary);

    let rows = values(40);
    let published = server.publish("job-1", rows, 4);
    let url = published.url(0..10);
    let downgraded = url.expose().replacen("https://", "http://", 1);
    let channel = server
        .expect_executor("e-1")
        .expose()
        .replacen("https://", "http://", 1);
    for refused in [downgraded, format!("{channel}/events")] {
        let response = plain().get(&refused).send().await.expect("GET");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{refused}");
        assert!(response.bytes().await.unwrap().is_empty());
    }
    let stats = server.stats();
    assert_eq!((stats.served, stats.rejected), (1, 2));
}

#[tokio::test]
async fn a_client_that_pins_another_certificate_gets_nothing() {
    let server = start(without_executor(), true).await;
    let pin = server.certificate_sha256().unwrap().to_owned();
    let published = server.publish("job-1", values(8), 2);
    let url = published.url(0..4);
    let other_pin = match pin.strip_prefix('a') {
        Some(rest) => format!("b{rest}"),
        None => format!("a{}", &pin[1..]),
    };
    let error = pinned(&other_pin)
        .get(url.expose())
        .send()
        .await
        .unwrap_err();
    let chain = format!("{error:?}");
    assert!(chain.contains("not the pinned"), "{chain}");
    // Nor does a client that trusts the usual public CAs.
    assert!(plain().get(url.expose()).send().await.is_err());
    assert_eq!(server.stats().served, 0);
}

/// A TCP relay to `target` that records every byte it passes, both ways.
async fn recording_relay(target: SocketAddr) -> (SocketAddr, Arc<Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let server = TcpStream::connect(target).await.unwrap();
            let (client_read, client_write) = client.into_split();
            let (server_read, server_write) = server.into_split();
            tokio::spawn(pump(client_read, server_write, record.clone()));
            tokio::spawn(pump(server_read, client_write, record.clone()));
        }
    });
    (addr, seen)
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    seen: Arc<Mutex<Vec<u8>>>,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    while let Ok(n) = from.read(&mut buffer).await {
        if n == 0 || to.write_all(&buffer[..n]).await.is_err() {
            break;
        }
        seen.lock().unwrap().extend_from_slice(&buffer[..n]);
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// What a relay between a client and the server saw of one rows GET: does
/// it contain the URL's token, does it contain the rows' bytes?
async fn seen_on_the_wire(tls: bool) -> (bool, bool) {
    let server = start(without_executor(), tls).await;
    let (relay, seen) = recording_relay(server.local_addr()).await;
    let rows = values(4096);
    let published = server.publish("job-wire", rows.clone(), 8);
    let url = published.url(0..512);
    let port = server.local_addr().port();
    let through_relay = url
        .expose()
        .replacen(&format!(":{port}/"), &format!(":{}/", relay.port()), 1)
        .replacen("//localhost:", "//127.0.0.1:", 1);
    let client = match server.certificate_sha256() {
        Some(pin) => pinned(pin),
        None => plain(),
    };
    let body = client
        .get(&through_relay)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(body == encode_rows(&rows), "the relay passes the rows on");
    let seen = seen.lock().unwrap().clone();
    let rows_bytes = encode_rows(&rows[..64]);
    (
        contains(&seen, token_of(&url).as_bytes()),
        contains(&seen, &rows_bytes),
    )
}

#[tokio::test]
async fn a_relay_on_the_path_sees_neither_token_nor_rows() {
    // Plain HTTP shows both, so the relay does see the traffic...
    assert_eq!(seen_on_the_wire(false).await, (true, true));
    // ...and TLS hides both.
    assert_eq!(seen_on_the_wire(true).await, (false, false));
}
