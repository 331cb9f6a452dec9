//! The transport against scripted masters over real loopback HTTP:
//! redirects, `503` retries, stream ids, credentials, error mapping,
//! codecs and timeouts.

mod transport_support;

use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use reqwest::Url;
use rmesos_scheduler::transport::{
    Codec, Credentials, HttpTransport, STREAM_ID_HEADER, Secret, TransportConfig, TransportError,
};
use transport_support::{FakeMaster, Reply, Seen};

const SUBSCRIBE: &[u8] = b"SUBSCRIBE";

fn transport(config: TransportConfig) -> HttpTransport {
    HttpTransport::new(config).expect("transport")
}

fn base(master: &FakeMaster) -> Url {
    Url::parse(&master.base_url()).unwrap()
}

/// A leader: streams two chunks on SUBSCRIBE, accepts calls that carry the
/// stream id it handed out.
fn leader_reply(seen: &Seen) -> Reply {
    if seen.body == SUBSCRIBE {
        Reply::Stream {
            stream_id: "stream-7".into(),
            chunks: vec![b"4\nabcd".to_vec(), b"2\nef".to_vec()],
        }
    } else if seen.stream_id.as_deref() == Some("stream-7") {
        Reply::Status(202, String::new())
    } else {
        Reply::Status(400, "missing or wrong Mesos-Stream-Id".into())
    }
}

async fn read_all(subscription: &mut rmesos_scheduler::transport::Subscription) -> Vec<u8> {
    let mut all = Vec::new();
    while let Some(chunk) = subscription.next_chunk().await {
        all.extend_from_slice(&chunk.expect("chunk"));
    }
    all
}

#[tokio::test]
async fn subscribe_follows_a_protocol_relative_redirect_to_the_leader() {
    let leader = FakeMaster::start(leader_reply).await;
    let location = format!("//127.0.0.1:{}/api/v1/scheduler", leader.port());
    let follower = FakeMaster::start(move |_| Reply::Redirect(location.clone())).await;

    let transport = transport(TransportConfig::default());
    let mut subscription = transport
        .subscribe(&base(&follower), Bytes::from_static(SUBSCRIBE))
        .await
        .expect("subscribe through the follower");
    assert_eq!(subscription.endpoint().port(), Some(leader.port()));
    assert_eq!(subscription.stream_id(), "stream-7");
    assert_eq!(read_all(&mut subscription).await, b"4\nabcd2\nef");

    let session = transport.session().expect("session after subscribe");
    assert_eq!(session.endpoint.port(), Some(leader.port()));
    let answer = transport
        .call(Bytes::from_static(b"DECLINE"))
        .await
        .expect("call");
    assert_eq!(answer.status.as_u16(), 202);

    let at_leader = leader.seen();
    assert_eq!(at_leader.len(), 2);
    assert_eq!(at_leader[0].body, SUBSCRIBE);
    assert_eq!(
        at_leader[0].stream_id, None,
        "SUBSCRIBE must not carry a stream id"
    );
    assert_eq!(at_leader[1].stream_id.as_deref(), Some("stream-7"));
    for seen in &at_leader {
        assert_eq!(seen.content_type.as_deref(), Some("application/x-protobuf"));
        assert_eq!(seen.accept.as_deref(), Some("application/x-protobuf"));
    }
    assert_eq!(follower.seen().len(), 1);
}

#[tokio::test]
async fn redirect_loops_stop_after_the_configured_number() {
    let a = FakeMaster::start_unscripted().await;
    let b = FakeMaster::start_unscripted().await;
    let (to_b, to_a) = (
        format!("//127.0.0.1:{}/api/v1/scheduler", b.port()),
        format!("127.0.0.1:{}", a.port()),
    );
    a.script(move |_| Reply::Redirect(to_b.clone()));
    b.script(move |_| Reply::Redirect(to_a.clone()));

    let config = TransportConfig {
        max_redirects: 4,
        ..TransportConfig::default()
    };
    let err = transport(config)
        .subscribe(&base(&a), Bytes::from_static(SUBSCRIBE))
        .await
        .expect_err("a redirect loop cannot succeed");
    assert!(
        matches!(err, TransportError::TooManyRedirects { max: 4, .. }),
        "{err:?}"
    );
    assert_eq!(
        a.seen().len() + b.seen().len(),
        5,
        "the first request plus 4 redirects"
    );
}

#[tokio::test]
async fn unavailable_masters_are_retried_until_they_lead() {
    let master = FakeMaster::start_unscripted().await;
    let counter = master.clone();
    master.script(move |seen| {
        if counter.seen().len() <= 2 {
            Reply::Status(503, "no leading master".into())
        } else {
            leader_reply(seen)
        }
    });
    let mut subscription = transport(TransportConfig::default())
        .subscribe(&base(&master), Bytes::from_static(SUBSCRIBE))
        .await
        .expect("subscribe after two 503s");
    assert_eq!(read_all(&mut subscription).await, b"4\nabcd2\nef");
    assert_eq!(master.seen().len(), 3);
}

#[tokio::test]
async fn a_master_that_stays_unavailable_is_reported_with_its_reason() {
    let master =
        FakeMaster::start(|_| Reply::Status(503, "Master has not finished recovery".into())).await;
    let config = TransportConfig {
        unavailable_retries: 2,
        ..TransportConfig::default()
    };
    let err = transport(config)
        .subscribe(&base(&master), Bytes::from_static(SUBSCRIBE))
        .await
        .expect_err("never available");
    assert!(
        matches!(err, TransportError::Unavailable { attempts: 3, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("Master has not finished recovery"),
        "{err}"
    );
    assert!(err.is_transient());
    assert_eq!(master.seen().len(), 3);
}

fn basic(principal: &str, secret: &str) -> String {
    let raw = format!("{principal}:{secret}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// A master that requires `fw:right-secret` and, when refusing, echoes what
/// it received (as a careless master might) so scrubbing can be checked.
fn authenticating_master(seen: &Seen) -> Reply {
    if seen.authorization.as_deref() == Some(basic("fw", "right-secret").as_str()) {
        return leader_reply(seen);
    }
    let presented = seen
        .authorization
        .as_deref()
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .map(|raw| String::from_utf8_lossy(&raw).into_owned())
        .unwrap_or_default();
    Reply::Status(401, format!("Authentication failed for '{presented}'"))
}

fn with_secret(secret: &str) -> TransportConfig {
    TransportConfig {
        credentials: Some(Credentials {
            principal: "fw".into(),
            secret: Secret::new(secret),
        }),
        ..TransportConfig::default()
    }
}

#[tokio::test]
async fn a_wrong_secret_is_a_clear_error_that_never_shows_the_secret() {
    let master = FakeMaster::start(authenticating_master).await;
    let err = transport(with_secret("wrong-secret-8731"))
        .subscribe(&base(&master), Bytes::from_static(SUBSCRIBE))
        .await
        .expect_err("wrong secret");
    assert!(
        matches!(err, TransportError::Unauthorized { .. }),
        "{err:?}"
    );
    assert!(!err.is_transient());
    let (shown, debug) = (err.to_string(), format!("{err:?}"));
    assert!(shown.contains("Authentication failed for 'fw:"), "{shown}");
    assert!(shown.contains("check the principal and secret"), "{shown}");
    assert!(!shown.contains("wrong-secret-8731"), "{shown}");
    assert!(!debug.contains("wrong-secret-8731"), "{debug}");
}

#[tokio::test]
async fn the_right_secret_goes_out_as_basic_auth_on_every_request() {
    let master = FakeMaster::start(authenticating_master).await;
    let transport = transport(with_secret("right-secret"));
    let mut subscription = transport
        .subscribe(&base(&master), Bytes::from_static(SUBSCRIBE))
        .await
        .expect("subscribe");
    transport
        .call(Bytes::from_static(b"REVIVE"))
        .await
        .expect("call");
    assert_eq!(read_all(&mut subscription).await.len(), 10);
    let want = basic("fw", "right-secret");
    assert!(
        master
            .seen()
            .iter()
            .all(|s| s.authorization.as_deref() == Some(want.as_str()))
    );
    assert!(!format!("{transport:?}").contains("right-secret"));
}

#[tokio::test]
async fn documented_error_answers_become_typed_errors_with_the_master_text() {
    for (status, text) in [
        (400, "Framework is not subscribed"),
        (403, "Call is forbidden"),
        (405, "Expecting 'POST'"),
        (406, "Expecting 'Accept' to allow 'application/json'"),
        (415, "Expecting 'Content-Type' of 'application/json'"),
        (501, "Unknown call type"),
    ] {
        let master = FakeMaster::start(move |_| Reply::Status(status, text.into())).await;
        let err = transport(TransportConfig::default())
            .subscribe(&base(&master), Bytes::from_static(SUBSCRIBE))
            .await
            .expect_err("error answer");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status), "{err:?}");
        assert!(err.to_string().contains(text), "{err}");
        assert!(!err.is_transient(), "{err:?}");
    }
}

#[tokio::test]
async fn calls_before_any_subscription_are_refused_locally() {
    let err = transport(TransportConfig::default())
        .call(Bytes::from_static(b"REVIVE"))
        .await
        .expect_err("no session");
    assert!(matches!(err, TransportError::NotSubscribed), "{err:?}");
}

#[tokio::test]
async fn the_json_codec_sets_json_media_types() {
    let master = FakeMaster::start(leader_reply).await;
    let config = TransportConfig {
        codec: Codec::Json,
        ..TransportConfig::default()
    };
    let transport = transport(config);
    let _subscription = transport
        .subscribe(&base(&master), Bytes::from_static(SUBSCRIBE))
        .await
        .expect("subscribe");
    transport
        .call(Bytes::from_static(b"KILL"))
        .await
        .expect("call");
    for seen in master.seen() {
        assert_eq!(seen.content_type.as_deref(), Some("application/json"));
        assert_eq!(seen.accept.as_deref(), Some("application/json"));
    }
}

#[tokio::test]
async fn a_master_that_never_answers_times_out() {
    let master = FakeMaster::start(|_| Reply::Hang).await;
    let config = TransportConfig {
        call_timeout: Duration::from_millis(300),
        ..TransportConfig::default()
    };
    let err = transport(config)
        .subscribe(&base(&master), Bytes::from_static(SUBSCRIBE))
        .await
        .expect_err("no answer");
    assert!(matches!(err, TransportError::Timeout { .. }), "{err:?}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn an_oversized_stream_id_is_rejected() {
    let master = FakeMaster::start(|_| Reply::Stream {
        stream_id: "x".repeat(129),
        chunks: vec![],
    })
    .await;
    let err = transport(TransportConfig::default())
        .subscribe(&base(&master), Bytes::from_static(SUBSCRIBE))
        .await
        .expect_err("stream id too long");
    assert!(matches!(err, TransportError::BadStreamId { .. }), "{err:?}");
    assert_eq!(STREAM_ID_HEADER, "Mesos-Stream-Id");
}

#[tokio::test]
async fn an_unreachable_master_is_a_transient_connect_error() {
    let master = FakeMaster::start(leader_reply).await;
    let url = base(&master);
    master.stop().await;
    let err = transport(TransportConfig::default())
        .subscribe(&url, Bytes::from_static(SUBSCRIBE))
        .await
        .expect_err("nobody listens");
    assert!(matches!(err, TransportError::Connect { .. }), "{err:?}");
    assert!(err.is_transient());
}
