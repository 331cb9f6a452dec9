//! The driver's data server over real loopback HTTP: served rows are the
//! exact stream executors read, the executor binary arrives byte-identical,
//! every bad request is the same empty 404, the token stays out of logs
//! and printed URLs, and the advertised address ends up in the URLs.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::header::CONTENT_LENGTH;
use reqwest::{Client, StatusCode};
use rmesos_common::stats::ColumnSummary;
use rmesos_common::task::{DataUrl, encode_rows, summarize_served_rows};
use rmesos_scheduler::dataserver::{
    DataServer, DataServerConfig, ExecutorSource, ExecutorUri, FETCHED_EXECUTOR_NAME,
    checked_command, local_ip_towards, sha256_of_file,
};

/// Plain HTTP, so that these tests read the served bytes with any client;
/// TLS has its own tests (`dataserver_tls.rs`).
fn loopback_config(executor: ExecutorSource) -> DataServerConfig {
    DataServerConfig {
        bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        tls: false,
        ..DataServerConfig::new(executor)
    }
}

async fn start(executor: ExecutorSource) -> DataServer {
    DataServer::start(loopback_config(executor))
        .await
        .expect("data server starts")
}

async fn start_without_executor() -> DataServer {
    start(ExecutorSource::AgentPath(
        "/opt/rmesos/rmesos-executor".into(),
    ))
    .await
}

fn client() -> Client {
    Client::builder().no_proxy().build().expect("client")
}

/// Status, `Content-Length` header and body of a GET.
async fn get(url: &str) -> (StatusCode, Option<u64>, Vec<u8>) {
    let response = client().get(url).send().await.expect("request");
    let status = response.status();
    let length = response
        .headers()
        .get(CONTENT_LENGTH)
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (
        status,
        length,
        response.bytes().await.expect("body").to_vec(),
    )
}

/// `rows` x `ncols` values, distinct, with some negatives and fractions.
fn table(rows: usize, ncols: usize) -> Arc<[f64]> {
    (0..rows * ncols)
        .map(|i| (i as f64 * 0.37).sin() * 1e3 + i as f64)
        .collect()
}

/// The token: the first path segment of a data-server URL.
fn token_of(url: &DataUrl) -> String {
    let parsed = reqwest::Url::parse(url.expose()).unwrap();
    parsed.path_segments().unwrap().next().unwrap().to_owned()
}

fn summary_of(values: &[f64], ncols: usize) -> Vec<u8> {
    let mut summary = ColumnSummary::new(ncols);
    summary.add_rows(values).unwrap();
    summary.to_bytes()
}

#[tokio::test]
async fn a_published_range_is_exactly_the_encoded_rows() {
    let server = start_without_executor().await;
    let values = table(1000, 3);
    let published = server.publish("job-1", values.clone(), 3);
    assert_eq!(published.nrows(), 1000);

    let mut expected_bytes = 0;
    for (start, end) in [(0u64, 1000u64), (10, 20), (999, 1000), (5, 5)] {
        let (status, length, body) = get(published.url(start..end).expose()).await;
        let slice = &values[start as usize * 3..end as usize * 3];
        assert_eq!(status, StatusCode::OK, "rows {start}-{end}");
        assert_eq!(length, Some(slice.len() as u64 * 8));
        assert_eq!(body, encode_rows(slice), "rows {start}-{end}");
        let served = summarize_served_rows(&body[..], end - start, 3).expect("summary");
        assert_eq!(served.to_bytes(), summary_of(slice, 3));
        expected_bytes += body.len() as u64;
    }
    let stats = server.stats();
    assert_eq!(
        (stats.served, stats.bytes_sent, stats.rejected),
        (4, expected_bytes, 0)
    );
}

#[tokio::test]
async fn a_large_range_streams_in_full() {
    let server = start_without_executor().await;
    let ncols = 4;
    let values = table(2 << 20, ncols); // 8M values, 64 MiB on the wire
    let published = server.publish("big", values.clone(), ncols);

    let mut response = client()
        .get(published.url(0..2 << 20).expose())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.content_length(), Some(values.len() as u64 * 8));
    let (mut received, mut chunks) = (Vec::with_capacity(values.len() * 8), 0);
    while let Some(chunk) = response.chunk().await.unwrap() {
        received.extend_from_slice(&chunk);
        chunks += 1;
    }
    assert!(chunks > 1, "the body arrived in one piece");
    assert_eq!(received.len(), values.len() * 8);
    let mismatch = received
        .chunks_exact(8)
        .zip(values.iter())
        .position(|(bytes, v)| bytes != v.to_le_bytes());
    assert_eq!(mismatch, None, "first differing value");
    let served = summarize_served_rows(&received[..], 2 << 20, ncols).unwrap();
    assert_eq!(served.to_bytes(), summary_of(&values, ncols));
    assert_eq!(server.stats().bytes_sent, values.len() as u64 * 8);
}

/// `url` with its token replaced by `token`.
fn with_token(url: &DataUrl, token: &str) -> String {
    url.expose().replacen(&token_of(url), token, 1)
}

/// `token` with its character at `at` changed to another hex digit.
fn one_char_changed(token: &str, at: usize) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    chars[at] = if chars[at] == 'a' { 'b' } else { 'a' };
    chars.into_iter().collect()
}

#[tokio::test]
async fn every_bad_request_is_an_empty_404_and_counted() {
    let server = start_without_executor().await;
    let other = start_without_executor().await;
    let values = table(100, 2);
    let published = server.publish("job-1", values.clone(), 2);
    let dropped = server.publish("job-gone", values.clone(), 2);
    let gone_url = dropped.url(0..10);
    drop(dropped);

    let good = published.url(0..10);
    let token = token_of(&good);
    let base = format!("http://{}", server.local_addr());
    let other_token = token_of(&other.publish("job-1", values.clone(), 2).url(0..10));
    let second_job = server.publish("job-2", values, 2);
    let second_token = token_of(&second_job.url(0..10));
    let session_token = token_of(&server.expect_executor("e-1"));
    let bad_urls = vec![
        // The session's token and another job's open no rows of job-1.
        with_token(&good, &session_token),
        with_token(&good, &second_token),
        format!("{base}/executor/{}/rmesos-executor", "0".repeat(64)),
        with_token(&good, &"0".repeat(64)),
        with_token(&good, &other_token),
        with_token(&good, &one_char_changed(&token, 0)),
        with_token(&good, &one_char_changed(&token, 63)),
        with_token(&good, &token[..63]),
        with_token(&good, &format!("{token}0")),
        with_token(&good, &token.to_uppercase()),
        format!("{base}/jobs/job-1/rows/0-10"),
        format!("{base}/"),
        format!("{base}/{token}"),
        format!("{base}/{token}/"),
        format!("{base}/{token}/jobs/job-1/rows/0-10/"),
        format!("{base}/{token}/jobs/job-1/rows"),
        format!("{base}/{token}/jobs/job-1/partitions/0"),
        format!("{base}/{token}/jobs//rows/0-10"),
        format!("{base}/{token}/jobs/no-such-job/rows/0-10"),
        format!("{base}/{token}/executor/rmesos-executor"), // installed on agents: not served
        format!("{base}/{token}/{token}/jobs/job-1/rows/0-10"),
        published.url(0..101).expose().to_owned(),
        published.url(99..101).expose().to_owned(),
        format!("{base}/{token}/jobs/job-1/rows/6-5"),
        format!("{base}/{token}/jobs/job-1/rows/+0-10"),
        gone_url.expose().to_owned(),
    ];
    for url in &bad_urls {
        let (status, _, body) = get(url).await;
        assert_eq!((status, body.len()), (StatusCode::NOT_FOUND, 0), "{url}");
    }
    for method in [
        reqwest::Method::POST,
        reqwest::Method::HEAD,
        reqwest::Method::PUT,
    ] {
        let response = client()
            .request(method.clone(), good.expose())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method}");
        assert!(response.bytes().await.unwrap().is_empty(), "{method}");
    }
    let stats = server.stats();
    assert_eq!(stats.rejected, bad_urls.len() as u64 + 3);
    assert_eq!((stats.served, stats.bytes_sent), (0, 0));

    let (status, _, body) = get(good.expose()).await;
    assert_eq!(
        (status, body.len()),
        (StatusCode::OK, 10 * 2 * 8),
        "the good URL still works"
    );
}

#[tokio::test]
async fn republishing_a_job_id_survives_the_old_guard() {
    let server = start_without_executor().await;
    let first = server.publish("job", table(10, 1), 1);
    let second = server.publish("job", table(20, 1), 1);
    drop(first);
    let (status, _, body) = get(second.url(0..20).expose()).await;
    assert_eq!((status, body), (StatusCode::OK, encode_rows(&table(20, 1))));
    drop(second);
    assert_eq!(
        get(server.publish("x", table(1, 1), 1).url(0..1).expose())
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn job_ids_are_escaped_in_urls() {
    let server = start_without_executor().await;
    let values = table(4, 2);
    let published = server.publish("my job/1?", values.clone(), 2);
    let url = published.url(1..3);
    assert!(
        url.expose().contains("/jobs/my%20job%2F1%3F/rows/1-3"),
        "{url}"
    );
    let (status, _, body) = get(url.expose()).await;
    assert_eq!((status, body), (StatusCode::OK, encode_rows(&values[2..6])));
}

#[tokio::test]
async fn the_executor_file_is_served_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("some-build-of-the-executor");
    let content: Vec<u8> = (0..700_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    std::fs::write(&path, &content).unwrap();
    let server = start(ExecutorSource::Serve(path.clone())).await;

    let fetch = server.executor_fetch();
    let sha256 = sha256_of_file(&path).unwrap();
    assert_eq!(fetch.sha256.as_deref(), Some(sha256.as_str()));
    assert_eq!(
        fetch.command,
        checked_command(FETCHED_EXECUTOR_NAME, &sha256)
    );
    let Some(ExecutorUri::Served(url)) = &fetch.uri else {
        panic!("expected a served URI, got {fetch:?}");
    };
    // No token: the binary is public, its digest names it.
    let base = format!("http://{}", server.local_addr());
    assert_eq!(url, &format!("{base}/executor/{sha256}/rmesos-executor"));
    for other in [
        format!(
            "{base}/executor/{}/rmesos-executor",
            one_char_changed(&sha256, 5)
        ),
        format!("{base}/executor/{sha256}/other"),
        format!("{base}/executor/rmesos-executor"),
    ] {
        assert_eq!(get(&other).await.0, StatusCode::NOT_FOUND, "{other}");
    }
    let (status, length, body) = get(url).await;
    assert_eq!(
        (status, length),
        (StatusCode::OK, Some(content.len() as u64))
    );
    assert!(body == content, "the served executor differs from the file");
    let stats = server.stats();
    assert_eq!((stats.served, stats.bytes_sent), (1, content.len() as u64));

    let command = fetch.command_info();
    assert_eq!(command.value.as_deref(), Some(fetch.command.as_str()));
    assert_eq!(command.shell, Some(true));
    let uri = &command.uris[0];
    assert_eq!(&uri.value, url);
    assert_eq!((uri.executable, uri.extract), (Some(true), Some(false)));
    assert_eq!(uri.output_file.as_deref(), Some(FETCHED_EXECUTOR_NAME));
}

#[tokio::test]
async fn other_executor_sources_make_their_own_command() {
    let uri = "https://artifacts.example/rmesos-executor-linux-x86_64";
    let fetch = start(ExecutorSource::Uri(uri.into()))
        .await
        .executor_fetch();
    assert_eq!(fetch.uri, Some(ExecutorUri::User(uri.into())));
    assert_eq!(
        fetch.command, "./rmesos-executor",
        "unchecked: the digest is unknown"
    );
    assert_eq!(fetch.sha256, None);
    assert_eq!(
        fetch.command_info().uris[0].output_file.as_deref(),
        Some(FETCHED_EXECUTOR_NAME)
    );

    let fetch = start_without_executor().await.executor_fetch();
    assert_eq!(
        (fetch.uri, fetch.command.as_str()),
        (None, "/opt/rmesos/rmesos-executor")
    );
}

#[tokio::test]
async fn start_errors_name_the_address_or_the_file() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let bind = taken.local_addr().unwrap();
    let config = DataServerConfig {
        bind,
        ..loopback_config(ExecutorSource::AgentPath("x".into()))
    };
    let error = DataServer::start(config).await.unwrap_err().to_string();
    assert!(error.contains(&bind.to_string()), "{error}");

    let missing = std::env::temp_dir().join("no-such-dir-rmesos/rmesos-executor");
    let config = loopback_config(ExecutorSource::Serve(missing.clone()));
    let error = DataServer::start(config).await.unwrap_err().to_string();
    assert!(error.contains(&missing.display().to_string()), "{error}");
}

/// A `MakeWriter` that appends every log line to a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

// A current-thread runtime: the server's tasks run on this thread, under
// the subscriber set for it.
#[tokio::test(flavor = "current_thread")]
async fn the_token_stays_out_of_logs_and_printed_urls() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(logs.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rmesos-executor");
    std::fs::write(&path, b"#!/bin/sh\n").unwrap();
    let server = start(ExecutorSource::Serve(path)).await;
    let published = server.publish("job-7", table(10, 2), 2);
    let url = published.url(2..4);
    let token = token_of(&url);
    let near_miss = one_char_changed(&token, 10);
    let base = format!("http://{}", server.local_addr());

    assert_eq!(get(url.expose()).await.0, StatusCode::OK);
    let fetch = server.executor_fetch();
    assert_eq!(
        get(fetch.uri.as_ref().unwrap().expose()).await.0,
        StatusCode::OK
    );
    for rejected in [
        with_token(&url, &near_miss),
        format!("{base}/{token}/{token}/jobs"),
        format!("{base}/{token}"),
        published.url(0..11).expose().to_owned(),
    ] {
        assert_eq!(get(&rejected).await.0, StatusCode::NOT_FOUND, "{rejected}");
    }
    client().post(url.expose()).send().await.unwrap();

    let printed = [
        url.to_string(),
        format!("{url:?}"),
        format!("{fetch:?}"),
        format!("{server:?}"),
        format!("{published:?}"),
    ];
    for shown in printed {
        assert!(!shown.contains(&token), "token printed: {shown}");
    }
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("rejected") && logs.contains("/***/"),
        "nothing captured: {logs}"
    );
    assert!(
        logs.contains("job-7") && logs.contains("bytes=32"),
        "no served-rows line: {logs}"
    );
    assert!(!logs.contains(&token), "token logged: {logs}");
    assert!(!logs.contains(&near_miss), "a guessed token logged: {logs}");
}

#[tokio::test]
async fn local_ip_towards_a_loopback_listener_is_loopback() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let target = listener.local_addr().unwrap().to_string();
    let ip = tokio::task::spawn_blocking(move || local_ip_towards(&target))
        .await
        .unwrap();
    assert_eq!(ip.unwrap(), IpAddr::V4(Ipv4Addr::LOCALHOST));

    let closed = listener.local_addr().unwrap().to_string();
    drop(listener);
    let target = closed.clone();
    let error = tokio::task::spawn_blocking(move || local_ip_towards(&target))
        .await
        .unwrap();
    let error = error.unwrap_err().to_string();
    assert!(error.contains(&closed), "{error}");
}

#[tokio::test]
async fn advertised_host_and_port_go_into_urls() {
    let config = DataServerConfig {
        advertise_host: Some("driver.example".into()),
        advertise_port: Some(4567),
        ..loopback_config(ExecutorSource::Serve(std::env::current_exe().unwrap()))
    };
    let server = DataServer::start(config).await.unwrap();
    server.set_advertised_host("10.9.8.7".into()); // a configured host wins
    assert_eq!(server.advertised(), ("driver.example".into(), 4567));
    let published = server.publish("j", table(2, 1), 1);
    let url = published.url(0..2);
    assert!(
        url.expose().starts_with("http://driver.example:4567/"),
        "{url}"
    );
    assert_eq!(
        url.to_string(),
        "http://driver.example:4567/***/jobs/j/rows/0-2"
    );
    let fetch = server.executor_fetch();
    let executor = fetch.uri.unwrap();
    assert!(executor.expose().starts_with("http://driver.example:4567/"));

    let plain = start_without_executor().await;
    let port = plain.local_addr().port();
    assert_eq!(plain.advertised(), ("127.0.0.1".into(), port));
    plain.set_advertised_host("10.9.8.7".into());
    let published = plain.publish("j", table(2, 1), 1);
    let expected = format!("http://10.9.8.7:{port}/***/jobs/j/rows/0-2");
    assert_eq!(published.url(0..2).to_string(), expected);
}

#[tokio::test]
async fn dropping_the_server_stops_it() {
    let server = start_without_executor().await;
    let addr = server.local_addr();
    let published = server.publish("j", table(2, 1), 1);
    assert_eq!(get(published.url(0..2).expose()).await.0, StatusCode::OK);
    drop(server);

    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "{addr} still accepts connections"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(published); // the guard outlives the server harmlessly
}
