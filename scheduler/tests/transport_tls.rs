//! `https` masters signed by a private CA: trusted with the CA file,
//! refused without it.

mod transport_support;

use bytes::Bytes;
use reqwest::Url;
use rmesos_scheduler::transport::{HttpTransport, TransportConfig, TransportError};
use transport_support::tls::{acceptor, make_pki};
use transport_support::{FakeMaster, Reply};

fn subscribed_leader() -> Reply {
    Reply::Stream {
        stream_id: "tls-stream".into(),
        chunks: vec![b"3\nabc".to_vec()],
    }
}

#[tokio::test]
async fn an_https_master_is_trusted_through_the_ca_file() {
    let pki = make_pki();
    let master = FakeMaster::start_tls(acceptor(&pki), |_| subscribed_leader()).await;
    let config = TransportConfig {
        ca_file: Some(pki.ca_cert.clone()),
        ..TransportConfig::default()
    };
    let transport = HttpTransport::new(config).expect("transport with CA");
    let url = Url::parse(&master.base_url()).unwrap();
    assert_eq!(url.scheme(), "https");
    let mut subscription = transport
        .subscribe(&url, Bytes::from_static(b"SUBSCRIBE"))
        .await
        .expect("subscribe over TLS");
    assert_eq!(subscription.stream_id(), "tls-stream");
    let chunk = subscription.next_chunk().await.expect("chunk").expect("ok");
    assert_eq!(&chunk[..], b"3\nabc");
}

#[tokio::test]
async fn an_https_master_with_an_unknown_ca_is_refused() {
    let pki = make_pki();
    let master = FakeMaster::start_tls(acceptor(&pki), |_| subscribed_leader()).await;
    let transport = HttpTransport::new(TransportConfig::default()).expect("transport");
    let url = Url::parse(&master.base_url()).unwrap();
    let err = transport
        .subscribe(&url, Bytes::from_static(b"SUBSCRIBE"))
        .await
        .expect_err("untrusted certificate");
    assert!(matches!(err, TransportError::Connect { .. }), "{err:?}");
    assert!(master.seen().is_empty());
}

#[tokio::test]
async fn a_missing_ca_file_fails_at_construction_naming_the_file() {
    let config = TransportConfig {
        ca_file: Some("/nonexistent/rmesos-ca.pem".into()),
        ..TransportConfig::default()
    };
    let err = HttpTransport::new(config).expect_err("missing CA file");
    assert!(
        err.to_string().contains("/nonexistent/rmesos-ca.pem"),
        "{err}"
    );
}
