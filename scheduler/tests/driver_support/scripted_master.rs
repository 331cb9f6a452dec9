//! A master whose behaviour the test scripts: it decodes protobuf calls,
//! records them, answers SUBSCRIBE with an event stream the test can write
//! events, heartbeats or raw bytes into, and can refuse or redirect.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use reqwest::Url;
use rmesos_common::wire::codec::Encoding;
use rmesos_scheduler::driver::mesos::scheduler::{Call, Event, call, event};
use rmesos_scheduler::driver::mesos::{FrameworkId, MasterInfo};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// How the master answers the next SUBSCRIBE.
#[derive(Clone, Debug)]
pub enum SubscribeAnswer {
    /// 200, a stream starting with SUBSCRIBED, heartbeats every interval.
    Accept,
    Refuse(u16, String),
}

#[derive(Default)]
struct Inner {
    calls: Vec<(Call, Option<String>)>,
    streams: Vec<mpsc::UnboundedSender<Bytes>>,
    answer: Option<SubscribeAnswer>,
    heartbeats_paused: bool,
    /// Encoding of the newest stream (from its `Accept`).
    encoding: Encoding,
    /// `Content-Type` of every call, in order.
    content_types: Vec<String>,
}

#[derive(Clone)]
pub struct ScriptedMaster {
    inner: Arc<Mutex<Inner>>,
    port: u16,
    heartbeat: Duration,
}

/// Frames one record the RecordIO way.
pub fn record(payload: &[u8]) -> Bytes {
    let mut framed = format!("{}\n", payload.len()).into_bytes();
    framed.extend_from_slice(payload);
    Bytes::from(framed)
}

pub fn event_of(kind: event::Type) -> Event {
    Event {
        r#type: Some(kind as i32),
        ..Event::default()
    }
}

impl ScriptedMaster {
    pub async fn start(heartbeat: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let master = ScriptedMaster {
            inner: Arc::new(Mutex::new(Inner {
                answer: Some(SubscribeAnswer::Accept),
                ..Inner::default()
            })),
            port,
            heartbeat,
        };
        let app = Router::new().fallback(answer).with_state(master.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        master
    }

    pub fn url(&self) -> Url {
        Url::parse(&format!("http://127.0.0.1:{}", self.port)).unwrap()
    }

    pub fn set_answer(&self, answer: SubscribeAnswer) {
        self.inner.lock().unwrap().answer = Some(answer);
    }

    pub fn pause_heartbeats(&self, paused: bool) {
        self.inner.lock().unwrap().heartbeats_paused = paused;
    }

    /// Calls received so far with the stream id each carried.
    pub fn calls(&self) -> Vec<(Call, Option<String>)> {
        self.inner.lock().unwrap().calls.clone()
    }

    pub fn calls_of(&self, kind: call::Type) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|(c, _)| c.r#type == Some(kind as i32))
            .map(|(c, _)| c)
            .collect()
    }

    pub fn subscriptions(&self) -> usize {
        self.inner.lock().unwrap().streams.len()
    }

    /// Writes raw bytes into the newest stream.
    pub fn push_bytes(&self, bytes: Bytes) {
        if let Some(stream) = self.inner.lock().unwrap().streams.last() {
            let _ = stream.send(bytes);
        }
    }

    pub fn push_event(&self, event: &Event) {
        let encoding = self.inner.lock().unwrap().encoding;
        self.push_bytes(record(&encoding.encode(event).unwrap()));
    }

    pub fn content_types(&self) -> Vec<String> {
        self.inner.lock().unwrap().content_types.clone()
    }

    /// Ends the newest stream, as a master does when it drops a scheduler.
    pub fn close_stream(&self) {
        let mut inner = self.inner.lock().unwrap();
        if let Some(last) = inner.streams.last_mut() {
            let (closed, _) = mpsc::unbounded_channel();
            *last = closed;
        }
    }

    fn subscribed_event(&self, call: &Call) -> Event {
        let framework_id = call.framework_id.clone().unwrap_or_else(|| FrameworkId {
            value: format!("scripted-fw-{}", self.port),
        });
        Event {
            subscribed: Some(event::Subscribed {
                framework_id,
                heartbeat_interval_seconds: Some(self.heartbeat.as_secs_f64()),
                master_info: Some(MasterInfo {
                    id: "scripted".into(),
                    ip: 0x7f00_0001,
                    port: u32::from(self.port),
                    ..MasterInfo::default()
                }),
            }),
            ..event_of(event::Type::Subscribed)
        }
    }

    fn open_stream(&self, call: &Call, encoding: Encoding) -> Response {
        let (sender, receiver) = mpsc::unbounded_channel::<Bytes>();
        let subscribed = encoding.encode(&self.subscribed_event(call)).unwrap();
        let _ = sender.send(record(&subscribed));
        let stream_number = {
            let mut inner = self.inner.lock().unwrap();
            inner.streams.push(sender.clone());
            inner.encoding = encoding;
            inner.streams.len()
        };
        let master = self.clone();
        tokio::spawn(async move {
            let heartbeat = record(&encoding.encode(&event_of(event::Type::Heartbeat)).unwrap());
            loop {
                tokio::time::sleep(master.heartbeat).await;
                let inner = master.inner.lock().unwrap();
                if inner
                    .streams
                    .get(stream_number - 1)
                    .is_none_or(|s| s.is_closed())
                {
                    return;
                }
                if !inner.heartbeats_paused {
                    let _ = inner.streams[stream_number - 1].send(heartbeat.clone());
                }
            }
        });
        let chunks = futures::stream::unfold(receiver, |mut receiver| async move {
            let chunk = receiver.recv().await?;
            Some((Ok::<_, std::convert::Infallible>(chunk), receiver))
        });
        Response::builder()
            .status(StatusCode::OK)
            .header(
                "Mesos-Stream-Id",
                format!("scripted-stream-{stream_number}"),
            )
            .header(header::CONTENT_TYPE, encoding.media_type())
            .body(Body::from_stream(chunks))
            .unwrap()
    }
}

async fn answer(State(master): State<ScriptedMaster>, headers: HeaderMap, body: Bytes) -> Response {
    let stream_id = headers
        .get("mesos-stream-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (content_type, accept) = (text("content-type"), text("accept"));
    let Ok(encoding) = Encoding::from_media_type(&content_type) else {
        return plain(415, "Expecting 'Content-Type' of JSON or protobuf");
    };
    let Ok(reply_encoding) = Encoding::from_media_type(&accept) else {
        return plain(406, "Expecting 'Accept' to allow JSON or protobuf");
    };
    let Ok(call) = encoding.decode::<Call>(&body) else {
        return plain(400, "Failed to parse body into Call");
    };
    {
        let mut inner = master.inner.lock().unwrap();
        inner.calls.push((call.clone(), stream_id));
        inner.content_types.push(content_type);
    }
    if call.r#type != Some(call::Type::Subscribe as i32) {
        return plain(202, "");
    }
    let answer = master.inner.lock().unwrap().answer.clone();
    match answer {
        Some(SubscribeAnswer::Refuse(code, text)) => plain(code, &text),
        _ => master.open_stream(&call, reply_encoding),
    }
}

fn plain(code: u16, text: &str) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(code).unwrap())
        .body(Body::from(text.to_owned()))
        .unwrap()
}
