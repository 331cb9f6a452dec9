//! The executors' channels on the data server (the protocol is in
//! `rmesos_common::lease`): which executors may connect, the stream of
//! `DriverMessage`s each one reads, and the reports and heartbeats they
//! post, turned into `ChannelEvent`s for whoever runs the jobs.
//!
//! Only executors the engine announced (`ExecutorChannels::expect`) are
//! answered; any other id, or one the engine has forgotten, gets the same
//! 404 as any wrong path, which tells an executor to end. A stream that
//! goes away (the executor died, the connection broke) is reported as
//! `Closed` with the serial of the link it ended, so that a reconnection
//! that raced it is not mistaken for a loss.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::BytesMut;
use futures::Stream;
use rmesos_common::lease::DriverMessage;
use rmesos_common::stats::ColumnSummary;
use rmesos_common::task::{FailureKind, TaskFailure};
use rmesos_common::wire::recordio::encode_record;
use tokio::sync::mpsc;

/// What an executor's attempt came to.
#[derive(Debug)]
pub enum AttemptOutcome {
    Summary(Box<ColumnSummary>),
    Failure(TaskFailure),
}

/// What happened on an executor's channel.
#[derive(Debug)]
pub enum ChannelEvent {
    /// The executor opened its message stream; send through `link`.
    Connected {
        executor_id: String,
        link: ExecutorLink,
    },
    /// The stream of link `serial` ended.
    Closed { executor_id: String, serial: u64 },
    /// The executor is alive.
    Heartbeat { executor_id: String },
    /// An attempt's result.
    Report {
        executor_id: String,
        attempt: u64,
        outcome: AttemptOutcome,
    },
}

/// The sending end of one executor's message stream.
#[derive(Debug, Clone)]
pub struct ExecutorLink {
    pub serial: u64,
    sender: mpsc::UnboundedSender<DriverMessage>,
}

impl ExecutorLink {
    /// Queues `message`; false when the stream has ended.
    pub fn send(&self, message: DriverMessage) -> bool {
        self.sender.send(message).is_ok()
    }
}

/// The engine's side: announce executors, learn what they say.
#[derive(Debug)]
pub(crate) struct Channels {
    expected: Mutex<HashMap<String, ()>>,
    events: mpsc::UnboundedSender<ChannelEvent>,
    receiver: Mutex<Option<mpsc::UnboundedReceiver<ChannelEvent>>>,
    serials: AtomicU64,
    pub(crate) heartbeat: Duration,
}

impl Channels {
    pub(crate) fn new(heartbeat: Duration) -> Channels {
        let (events, receiver) = mpsc::unbounded_channel();
        Channels {
            expected: Mutex::default(),
            events,
            receiver: Mutex::new(Some(receiver)),
            serials: AtomicU64::new(0),
            heartbeat,
        }
    }

    fn expected(&self) -> std::sync::MutexGuard<'_, HashMap<String, ()>> {
        self.expected.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn expect(&self, executor_id: &str) {
        self.expected().insert(executor_id.to_owned(), ());
    }

    pub(crate) fn forget(&self, executor_id: &str) {
        self.expected().remove(executor_id);
    }

    pub(crate) fn knows(&self, executor_id: &str) -> bool {
        self.expected().contains_key(executor_id)
    }

    pub(crate) fn take_events(&self) -> Option<mpsc::UnboundedReceiver<ChannelEvent>> {
        self.receiver
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    pub(crate) fn heartbeat_from(&self, executor_id: &str) {
        let executor_id = executor_id.to_owned();
        let _ = self.events.send(ChannelEvent::Heartbeat { executor_id });
    }

    /// Takes a posted report; a summary that does not decode is the
    /// attempt's failure (a retry may fare better).
    pub(crate) fn report(&self, executor_id: &str, attempt: u64, result: bool, body: &[u8]) {
        let outcome = if result {
            match ColumnSummary::from_bytes(body) {
                Ok(summary) => AttemptOutcome::Summary(Box::new(summary)),
                Err(error) => AttemptOutcome::Failure(TaskFailure::new(
                    FailureKind::Internal,
                    format!("the executor's result could not be decoded: {error}"),
                )),
            }
        } else {
            AttemptOutcome::Failure(TaskFailure::from_bytes(body).unwrap_or_else(|| {
                TaskFailure::new(FailureKind::Internal, "an unreadable failure report")
            }))
        };
        let _ = self.events.send(ChannelEvent::Report {
            executor_id: executor_id.to_owned(),
            attempt,
            outcome,
        });
    }

    /// Opens `executor_id`'s message stream: RecordIO-framed JSON, a
    /// heartbeat whenever nothing else was sent for a heartbeat interval.
    pub(crate) fn open(
        &self,
        executor_id: &str,
    ) -> impl Stream<Item = Result<bytes::Bytes, std::io::Error>> + use<> {
        let serial = self.serials.fetch_add(1, Ordering::Relaxed) + 1;
        let (sender, receiver) = mpsc::unbounded_channel();
        let link = ExecutorLink { serial, sender };
        let _ = self.events.send(ChannelEvent::Connected {
            executor_id: executor_id.to_owned(),
            link,
        });
        let guard = ClosedGuard {
            executor_id: executor_id.to_owned(),
            serial,
            events: self.events.clone(),
        };
        message_stream(receiver, self.heartbeat, guard)
    }
}

/// Reports the end of a stream when the server drops it.
struct ClosedGuard {
    executor_id: String,
    serial: u64,
    events: mpsc::UnboundedSender<ChannelEvent>,
}

impl Drop for ClosedGuard {
    fn drop(&mut self) {
        let _ = self.events.send(ChannelEvent::Closed {
            executor_id: std::mem::take(&mut self.executor_id),
            serial: self.serial,
        });
    }
}

fn message_stream(
    receiver: mpsc::UnboundedReceiver<DriverMessage>,
    heartbeat: Duration,
    guard: ClosedGuard,
) -> impl Stream<Item = Result<bytes::Bytes, std::io::Error>> {
    // The first frame goes out at once, so the executor knows it is heard.
    let state = (receiver, guard, Some(DriverMessage::Heartbeat));
    futures::stream::unfold(state, move |(mut receiver, guard, first)| async move {
        let message = match first {
            Some(message) => message,
            None => match tokio::time::timeout(heartbeat, receiver.recv()).await {
                Ok(Some(message)) => message,
                // The engine dropped the link: the executor is forgotten.
                Ok(None) => return None,
                Err(_) => DriverMessage::Heartbeat,
            },
        };
        let mut frame = BytesMut::new();
        encode_record(&message.to_bytes(), &mut frame);
        Some((Ok(frame.freeze()), (receiver, guard, None)))
    })
}

/// The path of `executor_id`'s channel under the token.
pub(crate) fn channel_path(executor_id: &str) -> String {
    format!("executors/{}", super::segment::encode(executor_id))
}
