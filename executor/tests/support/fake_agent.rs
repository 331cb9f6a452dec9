//! A scripted fake agent for protocol-level tests: it serves the v1
//! executor API over loopback, records every call (with its
//! `Authorization` header), and lets the test push events into the
//! subscription, withhold acknowledgements, drop the stream, or refuse
//! SUBSCRIBE; plus the real executor binary started against it.

use std::path::Path;
use std::process::ExitStatus;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use rmesos_common::wire::codec::Encoding;
use rmesos_common::wire::executor::{Call, Event, call, event};
use rmesos_common::wire::recordio::encode_record_to_bytes;
use rmesos_common::wire::v1::{self, AgentId, AgentInfo, TaskId};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use super::scheduler::DEADLINE;

/// One call the executor made.
#[derive(Clone, Debug)]
pub struct RecordedCall {
    pub call: Call,
    pub authorization: Option<String>,
}

impl RecordedCall {
    pub fn is(&self, kind: call::Type) -> bool {
        self.call.r#type == Some(kind as i32)
    }
}

#[derive(Default)]
struct AgentState {
    calls: Vec<RecordedCall>,
    stream: Option<mpsc::UnboundedSender<Bytes>>,
    refuse_subscribe: bool,
}

#[derive(Clone)]
pub struct FakeAgent {
    pub endpoint: String,
    state: Arc<Mutex<AgentState>>,
}

impl FakeAgent {
    pub async fn start() -> FakeAgent {
        let state = Arc::new(Mutex::new(AgentState::default()));
        let app = Router::new()
            .route("/api/v1/executor", post(executor_api))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeAgent {
            endpoint: format!("127.0.0.1:{port}"),
            state,
        }
    }

    fn state(&self) -> MutexGuard<'_, AgentState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends `event` on the current subscription. A subscription just
    /// taken may still be replacing one whose executor side is gone: the
    /// event waits (a few seconds at most) for a live one.
    pub fn send(&self, event: Event) {
        let body = encode_record_to_bytes(&Encoding::Protobuf.encode(&event).unwrap());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let stream = self.state().stream.clone();
            if stream.is_some_and(|s| s.send(body.clone()).is_ok()) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no live subscription to send on"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    /// Ends the current subscription's stream (as an agent restart does).
    pub fn drop_stream(&self) {
        self.state().stream = None;
    }

    /// Answers later SUBSCRIBE calls with 503 (`true`) or takes them.
    pub fn refuse_subscribe(&self, refuse: bool) {
        self.state().refuse_subscribe = refuse;
    }

    pub fn calls(&self) -> Vec<RecordedCall> {
        self.state().calls.clone()
    }

    /// Polls the recorded calls until `cond` holds; fails after the
    /// deadline naming `what`.
    pub async fn wait_for(
        &self,
        what: &str,
        cond: impl Fn(&[RecordedCall]) -> bool,
    ) -> Vec<RecordedCall> {
        self.wait_for_within(DEADLINE, what, cond).await
    }

    /// `wait_for` with a deadline of `limit`.
    pub async fn wait_for_within(
        &self,
        limit: Duration,
        what: &str,
        cond: impl Fn(&[RecordedCall]) -> bool,
    ) -> Vec<RecordedCall> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let calls = self.calls();
            if cond(&calls) {
                return calls;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}; calls: {calls:#?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn executor_api(
    State(state): State<Arc<Mutex<AgentState>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let call: Call = match Encoding::Protobuf.decode(&body) {
        Ok(call) => call,
        Err(error) => return (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
    };
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
    state.calls.push(RecordedCall {
        call: call.clone(),
        authorization,
    });
    if call.r#type != Some(call::Type::Subscribe as i32) {
        return StatusCode::ACCEPTED.into_response();
    }
    if state.refuse_subscribe {
        return (StatusCode::SERVICE_UNAVAILABLE, "agent is recovering").into_response();
    }
    let (sender, receiver) = mpsc::unbounded_channel::<Bytes>();
    let subscribed = Event {
        r#type: Some(event::Type::Subscribed as i32),
        subscribed: Some(event::Subscribed {
            executor_info: v1::ExecutorInfo {
                executor_id: call.executor_id.clone(),
                ..Default::default()
            },
            framework_info: v1::FrameworkInfo {
                id: Some(call.framework_id.clone()),
                ..Default::default()
            },
            agent_info: AgentInfo {
                hostname: "fake-agent".into(),
                id: Some(AgentId {
                    value: "fake-agent-S0".into(),
                }),
                ..Default::default()
            },
            container_id: None,
        }),
        ..Default::default()
    };
    let first = Encoding::Protobuf.encode(&subscribed).unwrap();
    sender.send(encode_record_to_bytes(&first)).unwrap();
    state.stream = Some(sender);
    let stream = tokio_stream_of(receiver);
    let mut response = Response::new(Body::from_stream(stream));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        Encoding::Protobuf.media_type().parse().unwrap(),
    );
    response
}

fn tokio_stream_of(
    mut receiver: mpsc::UnboundedReceiver<Bytes>,
) -> impl futures::Stream<Item = Result<Bytes, std::convert::Infallible>> {
    futures::stream::poll_fn(move |cx| receiver.poll_recv(cx).map(|b| b.map(Ok)))
}

pub fn launch(task: v1::TaskInfo) -> Event {
    Event {
        r#type: Some(event::Type::Launch as i32),
        launch: Some(event::Launch { task }),
        ..Default::default()
    }
}

pub fn launch_group(tasks: Vec<v1::TaskInfo>) -> Event {
    Event {
        r#type: Some(event::Type::LaunchGroup as i32),
        launch_group: Some(event::LaunchGroup {
            task_group: v1::TaskGroupInfo { tasks },
        }),
        ..Default::default()
    }
}

pub fn acknowledged(task: &str, uuid: &[u8]) -> Event {
    Event {
        r#type: Some(event::Type::Acknowledged as i32),
        acknowledged: Some(event::Acknowledged {
            task_id: TaskId { value: task.into() },
            uuid: uuid.to_vec(),
        }),
        ..Default::default()
    }
}

pub fn kill(task: &str) -> Event {
    Event {
        r#type: Some(event::Type::Kill as i32),
        kill: Some(event::Kill {
            task_id: TaskId { value: task.into() },
            kill_policy: None,
        }),
        ..Default::default()
    }
}

pub fn shutdown() -> Event {
    Event {
        r#type: Some(event::Type::Shutdown as i32),
        ..Default::default()
    }
}

/// A task carrying `data` (no executor: the fake agent does not care).
pub fn task_info(id: &str, data: Vec<u8>) -> v1::TaskInfo {
    v1::TaskInfo {
        name: id.into(),
        task_id: TaskId { value: id.into() },
        agent_id: AgentId {
            value: "fake-agent-S0".into(),
        },
        data: Some(data),
        ..Default::default()
    }
}

/// Acknowledges every update the executor has sent so far.
pub fn acknowledge_all(agent: &FakeAgent) {
    for status in updates(&agent.calls()) {
        let uuid = status.uuid.unwrap_or_default();
        agent.send(acknowledged(&status.task_id.value, &uuid));
    }
}

/// The statuses of `task`'s UPDATE calls among `calls`, in order.
pub fn updates_of(calls: &[RecordedCall], task: &str) -> Vec<v1::TaskStatus> {
    let all = updates(calls).into_iter();
    all.filter(|s| s.task_id.value == task).collect()
}

/// The statuses of the UPDATE calls among `calls`.
pub fn updates(calls: &[RecordedCall]) -> Vec<v1::TaskStatus> {
    calls
        .iter()
        .filter_map(|c| c.call.update.as_ref())
        .map(|u| u.status.clone())
        .collect()
}

/// The real executor binary, started with the agent's environment.
pub struct ExecutorProcess {
    child: Child,
}

impl ExecutorProcess {
    /// Starts the executor against `agent` with the base environment plus
    /// `env`, logging to `log`.
    pub fn start(agent: &FakeAgent, env: &[(&str, &str)], log: &Path) -> ExecutorProcess {
        let mut command = Command::new(env!("CARGO_BIN_EXE_rmesos-executor"));
        command
            .env_clear()
            .env("MESOS_FRAMEWORK_ID", "fake-framework")
            .env("MESOS_EXECUTOR_ID", "fake-executor")
            .env("MESOS_AGENT_ENDPOINT", &agent.endpoint)
            .env("RUST_LOG", "debug,hyper=info,reqwest=info")
            .stderr(std::fs::File::create(log).unwrap())
            .kill_on_drop(true);
        for (name, value) in env {
            command.env(name, value);
        }
        ExecutorProcess {
            child: command.spawn().unwrap(),
        }
    }

    /// Waits up to `limit` for the process to exit.
    pub async fn exit_within(&mut self, limit: Duration) -> Option<ExitStatus> {
        tokio::time::timeout(limit, self.child.wait())
            .await
            .ok()
            .map(Result::unwrap)
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("the process is running")
    }

    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}
