//! The driver's view of "who leads": a stream of leader values (from
//! ZooKeeper detection, or one fixed URL) that the driver follows, keeping
//! the latest value and waking up when it changes.

use futures::stream::{BoxStream, StreamExt};
use reqwest::Url;
use rmesos_common::wire::master_info::MasterEndpoint;

use crate::detection::{DetectorOptions, LeaderDetector, LeaderEvent, MasterUrl};

/// The leading master's base URL (`http://host:port`), or `None` while no
/// master leads.
pub type Leader = Option<Url>;

/// What the driver consumes: every new leader value, in order. A stream
/// that ends leaves the last value in force.
pub type LeaderStream = BoxStream<'static, Leader>;

/// A leader that never changes: a single `http(s)://host:port` master
/// (non-leaders among fixed masters redirect to the leader themselves).
pub fn fixed_leader(url: Url) -> LeaderStream {
    futures::stream::once(async move { Some(url) }).boxed()
}

/// The leader as ZooKeeper (or a fixed `http(s)://` URL) reports it: each
/// `LeaderEvent::Leader` becomes that master's base URL, "no leader"
/// becomes `None`; detection errors leave the last value standing (the
/// detector retries them itself). Masters found through ZooKeeper are
/// spoken to over HTTPS when `https` is set.
pub fn detected_leader(url: MasterUrl, options: DetectorOptions, https: bool) -> LeaderStream {
    let https = https || matches!(&url, MasterUrl::Fixed(master) if master.tls);
    LeaderDetector::new(url, options)
        .filter_map(move |event| {
            let leader = match event {
                LeaderEvent::Leader(leader) => Some(leader_url(&leader.endpoint, https)),
                LeaderEvent::NoLeader { .. } => Some(None),
                LeaderEvent::Error(error) => {
                    tracing::warn!(%error, "master detection is retrying");
                    None
                }
            };
            std::future::ready(leader)
        })
        .boxed()
}

fn leader_url(endpoint: &MasterEndpoint, https: bool) -> Leader {
    let scheme = if https { "https" } else { "http" };
    match Url::parse(&format!("{scheme}://{endpoint}")) {
        Ok(url) => Some(url),
        Err(error) => {
            tracing::warn!(%endpoint, %error, "the leading master's address is not a valid URL");
            None
        }
    }
}

/// Follows a leader stream, passing on only real changes.
pub(crate) struct LeaderTracker {
    stream: Option<LeaderStream>,
    current: Leader,
}

impl LeaderTracker {
    pub(crate) fn new(stream: LeaderStream) -> Self {
        LeaderTracker {
            stream: Some(stream),
            current: None,
        }
    }

    /// Waits for a value different from the current one and makes it
    /// current. Once the stream has ended this never resolves. Safe to
    /// cancel: a value is only taken when it is returned.
    pub(crate) async fn changed(&mut self) -> Leader {
        loop {
            let Some(stream) = self.stream.as_mut() else {
                return futures::future::pending().await;
            };
            match stream.next().await {
                Some(leader) if leader != self.current => {
                    self.current = leader.clone();
                    return leader;
                }
                Some(_) => continue,
                None => {
                    tracing::debug!("leader stream ended; keeping the last leader");
                    self.stream = None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn url(port: u16) -> Url {
        Url::parse(&format!("http://127.0.0.1:{port}")).unwrap()
    }

    #[tokio::test]
    async fn repeated_values_are_not_changes() {
        let values = vec![Some(url(1)), Some(url(1)), None, None, Some(url(2))];
        let mut tracker = LeaderTracker::new(futures::stream::iter(values).boxed());
        assert_eq!(tracker.changed().await, Some(url(1)));
        assert_eq!(tracker.changed().await, None);
        assert_eq!(tracker.changed().await, Some(url(2)));
    }

    #[tokio::test]
    async fn an_ended_stream_keeps_the_last_leader_and_never_changes_again() {
        let mut tracker = LeaderTracker::new(fixed_leader(url(5)));
        assert_eq!(tracker.changed().await, Some(url(5)));
        let more = tokio::time::timeout(Duration::from_millis(50), tracker.changed()).await;
        assert!(more.is_err(), "no change after the stream ended");
    }
}
