//! Finding the leading Mesos master. A [`MasterUrl`] (`zk://`, `http(s)://`
//! or `file://`) becomes a [`LeaderDetector`]: a `Stream` of
//! [`LeaderEvent`]s that publishes each change of leader, "no leader", and
//! the problems it retries through. For `zk://` one loop follows the
//! masters' znode in ZooKeeper; `http(s)://` yields its one fixed leader.

mod events;
mod membership;
mod url;
mod zookeeper;

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::stream::{self, BoxStream, Stream, StreamExt};

pub use crate::backoff::{Backoff, BackoffPolicy};
pub use crate::secret::Secret;
pub use events::{DetectionError, Leader, LeaderEvent, NoLeaderReason};
pub use membership::{Member, MemberFormat, leading_member};
pub use url::{
    DEFAULT_ZOOKEEPER_PORT, DigestCredentials, FixedMaster, MasterUrl, MasterUrlError,
    ZooKeeperHost, ZooKeeperUrl,
};

/// Tuning of ZooKeeper-based detection.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DetectorOptions {
    /// The ZooKeeper session timeout to ask for (the server may clamp it).
    pub session_timeout: Duration,
    /// How long to wait for a session to be established.
    pub connect_timeout: Duration,
    /// The retry policy after errors and session loss.
    pub backoff: BackoffPolicy,
}

impl Default for DetectorOptions {
    fn default() -> Self {
        Self {
            session_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(15),
            backoff: BackoffPolicy::reconnect(),
        }
    }
}

/// The stream of leader changes for one master URL. It never ends; drop it
/// to stop detecting (which closes its ZooKeeper session). Needs a Tokio
/// runtime.
pub struct LeaderDetector {
    events: BoxStream<'static, LeaderEvent>,
}

impl LeaderDetector {
    /// Starts following the leader named by `url`.
    pub fn new(url: MasterUrl, options: DetectorOptions) -> Self {
        let events = match url {
            MasterUrl::Fixed(master) => stream::once(std::future::ready(LeaderEvent::Leader(
                Leader::fixed(&master),
            )))
            .chain(stream::pending())
            .boxed(),
            MasterUrl::ZooKeeper(url) => stream::unfold(
                zookeeper::ZooKeeperDetection::new(url, options),
                |mut detection| async move {
                    let event = detection.next_event().await;
                    Some((event, detection))
                },
            )
            .boxed(),
        };
        Self { events }
    }
}

impl Stream for LeaderDetector {
    type Item = LeaderEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<LeaderEvent>> {
        self.events.poll_next_unpin(cx)
    }
}

impl std::fmt::Debug for LeaderDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeaderDetector").finish_non_exhaustive()
    }
}
