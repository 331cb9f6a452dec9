//! What the driver tells the layer above: Mesos events worth acting on,
//! plus the driver's own connection news, as one ordered stream.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;
use mesos::{AgentId, ExecutorId, FrameworkId, MasterInfo, Offer, OfferId, TaskStatus};
use reqwest::Url;
use rmesos_common::wire::v1 as mesos;
use tokio::sync::mpsc;

/// One thing that happened, in the order it happened.
#[derive(Clone, Debug, PartialEq)]
pub enum DriverEvent {
    /// A (re)subscription succeeded. `resubscribed` is true when this is
    /// not the first: tasks survived, offers from before are void, and the
    /// driver has already asked the master to reconcile in-flight tasks.
    Subscribed {
        framework_id: FrameworkId,
        master: Option<MasterInfo>,
        endpoint: Url,
        heartbeat_interval: Duration,
        resubscribed: bool,
    },
    Offers(Vec<Offer>),
    /// An offer is gone; calls naming it will fail.
    Rescind(OfferId),
    /// A task status update; the driver acknowledges it after handing it over.
    Update(TaskStatus),
    Message {
        agent_id: AgentId,
        executor_id: ExecutorId,
        data: Vec<u8>,
    },
    /// An agent or executor is gone (its tasks' terminal updates arrive
    /// separately).
    Failure {
        agent_id: Option<AgentId>,
        executor_id: Option<ExecutorId>,
        status: Option<i32>,
    },
    /// The master sent ERROR: the driver stops after this.
    Error {
        message: String,
    },
    /// The subscription ended; the driver is reconnecting. Offers held so
    /// far are void.
    Disconnected {
        reason: DisconnectReason,
    },
    /// Detection reported a new leading master (`None`: no leader now).
    LeaderChanged {
        leader: Option<Url>,
    },
}

/// Why a subscription ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DisconnectReason {
    /// The master closed the event stream.
    StreamEnded,
    /// Nothing arrived for this long (`missed_heartbeats` intervals).
    HeartbeatTimeout(Duration),
    /// The stream carried a record that could not be decoded.
    Corrupt(String),
    /// The connection failed while reading events.
    StreamError(String),
    /// SUBSCRIBE itself failed (unreachable master, timeout, 503, ...).
    SubscribeFailed(String),
    /// Another master leads now.
    LeaderChanged,
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::StreamEnded => f.write_str("the master closed the event stream"),
            Self::HeartbeatTimeout(window) => {
                write!(f, "no event or heartbeat from the master for {window:?}")
            }
            Self::Corrupt(reason) => write!(f, "the event stream is corrupt: {reason}"),
            Self::StreamError(reason) => write!(f, "the event stream broke: {reason}"),
            Self::SubscribeFailed(reason) => write!(f, "subscribing failed: {reason}"),
            Self::LeaderChanged => f.write_str("another master became the leader"),
        }
    }
}

/// The driver's events; ends when the driver has stopped.
pub struct DriverEvents {
    receiver: mpsc::UnboundedReceiver<DriverEvent>,
}

impl DriverEvents {
    pub(crate) fn new(receiver: mpsc::UnboundedReceiver<DriverEvent>) -> Self {
        DriverEvents { receiver }
    }

    /// The next event, or `None` once the driver has stopped.
    pub async fn recv(&mut self) -> Option<DriverEvent> {
        self.receiver.recv().await
    }
}

impl Stream for DriverEvents {
    type Item = DriverEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<DriverEvent>> {
        self.receiver.poll_recv(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_as_sentences() {
        let reason = DisconnectReason::HeartbeatTimeout(Duration::from_secs(75));
        assert_eq!(
            reason.to_string(),
            "no event or heartbeat from the master for 75s"
        );
        let reason = DisconnectReason::Corrupt("record of 9999999 bytes".into());
        assert!(reason.to_string().contains("9999999"));
    }
}
