//! Leader detection through ZooKeeper: one loop that lists the masters'
//! znode with a child watch, reads the lowest member's `MasterInfo`,
//! publishes the leader when it changes, and waits for the watch; on
//! session loss or errors it starts over under one capped, jittered
//! exponential backoff.

use std::collections::VecDeque;

use futures::FutureExt;
use futures::future::BoxFuture;

use rmesos_common::wire::master_info::MasterEndpoint;
use tokio::time::Instant;
use tracing::{debug, info, warn};
use zookeeper_client::{Client, EventType, SessionState, StateWatcher, WatchedEvent};

use super::DetectorOptions;
use super::events::{DetectionError, Leader, LeaderEvent, NoLeaderReason};
use super::membership::{Member, leading_member};
use super::url::ZooKeeperUrl;
use crate::backoff::Backoff;

/// The last leader state published, to publish only changes.
#[derive(Clone, Debug, PartialEq)]
enum Published {
    Leader(Leader),
    NoLeader(NoLeaderReason),
}

/// Whether an election's result stands until the next watch event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Election {
    Settled,
    /// The leading member vanished while being read: list again at once.
    Stale,
}

/// A live ZooKeeper session and the watcher of its state changes.
struct Session {
    client: Client,
    states: StateWatcher,
}

/// What ended a wait.
enum Wake {
    Watch(WatchedEvent),
    State(SessionState),
}

/// A failed step: what to report, and whether the session is unusable.
struct StepFailure {
    error: DetectionError,
    session_lost: bool,
}

/// The detection loop's state; [`next_event`](Self::next_event) runs it
/// until it has something to publish.
pub(super) struct ZooKeeperDetection {
    url: ZooKeeperUrl,
    options: DetectorOptions,
    servers: String,
    session: Option<Session>,
    /// The armed watch of the last listing (or of the path's creation).
    watch: Option<BoxFuture<'static, WatchedEvent>>,
    backoff: Backoff,
    retry_at: Option<Instant>,
    published: Option<Published>,
    last_error: Option<DetectionError>,
    pending: VecDeque<LeaderEvent>,
}

impl ZooKeeperDetection {
    pub(super) fn new(url: ZooKeeperUrl, options: DetectorOptions) -> Self {
        Self {
            servers: url.connect_string(),
            backoff: Backoff::new(options.backoff),
            url,
            options,
            session: None,
            watch: None,
            retry_at: None,
            published: None,
            last_error: None,
            pending: VecDeque::new(),
        }
    }

    /// The next change to publish.
    pub(super) async fn next_event(&mut self) -> LeaderEvent {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return event;
            }
            self.step().await;
        }
    }

    /// One round: (re)connect if needed, then either list and elect (arming
    /// a watch) or wait for the armed watch. Returns as soon as something
    /// may have been queued for publishing.
    async fn step(&mut self) {
        if let Some(at) = self.retry_at.take() {
            tokio::time::sleep_until(at).await;
        }
        let client = match &self.session {
            Some(session) => session.client.clone(),
            None => match self.connect().await {
                Ok(client) => {
                    self.session = Some(Session {
                        states: client.state_watcher(),
                        client: client.clone(),
                    });
                    client
                }
                Err(error) => {
                    return self.fail(StepFailure {
                        error,
                        session_lost: true,
                    });
                }
            },
        };
        let result = match self.watch.take() {
            Some(watch) => self.wait_for_change(watch).await,
            None => self.observe(&client).await,
        };
        if let Err(failure) = result {
            self.fail(failure);
        }
    }

    async fn connect(&mut self) -> Result<Client, DetectionError> {
        let mut connector = Client::connector()
            .with_session_timeout(self.options.session_timeout)
            .with_fail_eagerly();
        if let Some(credentials) = self.url.credentials() {
            let auth = format!("{}:{}", credentials.user, credentials.password.expose());
            connector = connector.with_auth("digest", auth.as_bytes());
        }
        let timeout = self.options.connect_timeout;
        match tokio::time::timeout(timeout, connector.connect(&self.servers)).await {
            Ok(Ok(client)) => {
                info!(servers = %self.servers, session = %client.session_id(), "connected to ZooKeeper");
                Ok(client)
            }
            Ok(Err(zookeeper_client::Error::AuthFailed)) => Err(self.auth_failed()),
            Ok(Err(error)) => Err(DetectionError::Unreachable {
                servers: self.servers.clone(),
                reason: error.to_string(),
            }),
            Err(_) => Err(DetectionError::Unreachable {
                servers: self.servers.clone(),
                reason: format!("no session established within {timeout:?}"),
            }),
        }
    }

    /// Lists the members with a watch, publishes the leader, and arms the
    /// watch to wait on.
    async fn observe(&mut self, client: &Client) -> Result<(), StepFailure> {
        let path = self.url.path().to_owned();
        match client.list_and_watch_children(&path).await {
            Ok((children, watcher)) => {
                self.succeeded();
                if self.elect(client, &children).await? == Election::Settled {
                    self.watch = Some(watcher.changed().boxed());
                }
                Ok(())
            }
            Err(zookeeper_client::Error::NoNode) => {
                self.succeeded();
                self.publish(Published::NoLeader(NoLeaderReason::PathMissing));
                let (stat, watcher) = client
                    .check_and_watch_stat(&path)
                    .await
                    .map_err(|error| self.request_failure("existence watch", &path, error))?;
                // Created meanwhile: list again at once.
                if stat.is_none() {
                    self.watch = Some(watcher.changed().boxed());
                }
                Ok(())
            }
            Err(error) => Err(self.request_failure("listing", &path, error)),
        }
    }

    async fn elect(
        &mut self,
        client: &Client,
        children: &[String],
    ) -> Result<Election, StepFailure> {
        let Some(member) = leading_member(children) else {
            self.publish(Published::NoLeader(NoLeaderReason::NoMasters));
            return Ok(Election::Settled);
        };
        let znode = format!("{}/{}", self.url.path(), member.name);
        let data = match client.get_data(&znode).await {
            Ok((data, _stat)) => data,
            // Gone between listing and reading; the child watch has fired.
            Err(zookeeper_client::Error::NoNode) => return Ok(Election::Stale),
            Err(error) => return Err(self.request_failure("read", &znode, error)),
        };
        match decode_leader(&member, &data) {
            Ok(leader) => self.publish(Published::Leader(leader)),
            Err(reason) => {
                self.report(DetectionError::BadMasterInfo { znode, reason });
                self.publish(Published::NoLeader(NoLeaderReason::LeaderUnreadable {
                    member: member.name,
                }));
            }
        }
        Ok(Election::Settled)
    }

    /// Waits for the watch to fire or the session state to change. A fired
    /// watch leaves none armed (the next step lists again); a state change
    /// is reported and the watch stays armed.
    async fn wait_for_change(
        &mut self,
        mut watch: BoxFuture<'static, WatchedEvent>,
    ) -> Result<(), StepFailure> {
        let Some(session) = self.session.as_mut() else {
            return Ok(());
        };
        let wake = tokio::select! {
            event = &mut watch => Wake::Watch(event),
            state = session.states.changed() => Wake::State(state),
        };
        match wake {
            Wake::Watch(event) if event.event_type == EventType::Session => {
                Err(self.session_failure(event.session_state))
            }
            Wake::Watch(_) => Ok(()),
            Wake::State(state) if state.is_terminated() => Err(self.session_failure(state)),
            Wake::State(state) => {
                if state == SessionState::Disconnected {
                    self.report(DetectionError::Disconnected {
                        servers: self.servers.clone(),
                    });
                } else {
                    info!(servers = %self.servers, %state, "reconnected to ZooKeeper");
                    self.last_error = None;
                }
                self.watch = Some(watch);
                Ok(())
            }
        }
    }

    fn succeeded(&mut self) {
        self.backoff.reset();
        self.last_error = None;
    }

    /// Reports `failure`, drops a dead session, and schedules the retry.
    fn fail(&mut self, failure: StepFailure) {
        if failure.session_lost {
            self.session = None;
            self.watch = None;
        }
        self.report(failure.error);
        let delay = self.backoff.next_delay();
        debug!(?delay, "retrying leader detection after a delay");
        self.retry_at = Some(Instant::now() + delay);
    }

    /// Logs and publishes an error, once while it repeats.
    fn report(&mut self, error: DetectionError) {
        if self.last_error.as_ref() == Some(&error) {
            debug!(%error, "leader detection problem persists");
            return;
        }
        warn!(%error, "leader detection problem");
        self.last_error = Some(error.clone());
        self.pending.push_back(LeaderEvent::Error(error));
    }

    fn publish(&mut self, state: Published) {
        if self.published.as_ref() == Some(&state) {
            return;
        }
        let event = match &state {
            Published::Leader(leader) => {
                info!(endpoint = %leader.endpoint, member = ?leader.member, "new leading master");
                LeaderEvent::Leader(leader.clone())
            }
            Published::NoLeader(reason) => {
                info!(path = %self.url.path(), ?reason, "no leading master");
                LeaderEvent::NoLeader {
                    path: self.url.path().to_owned(),
                    reason: reason.clone(),
                }
            }
        };
        self.published = Some(state);
        self.pending.push_back(event);
    }

    fn session_failure(&self, state: SessionState) -> StepFailure {
        let error = match state {
            SessionState::Expired => DetectionError::SessionExpired {
                servers: self.servers.clone(),
            },
            SessionState::AuthFailed => self.auth_failed(),
            other => DetectionError::Unreachable {
                servers: self.servers.clone(),
                reason: format!("session ended ({other})"),
            },
        };
        StepFailure {
            error,
            session_lost: true,
        }
    }

    fn request_failure(
        &self,
        operation: &'static str,
        path: &str,
        error: zookeeper_client::Error,
    ) -> StepFailure {
        use zookeeper_client::Error as ZkError;
        let (error, session_lost) = match error {
            ZkError::NoAuth => (
                DetectionError::NotAuthorized {
                    path: path.to_owned(),
                    hint: if self.url.credentials().is_some() {
                        "the ACL does not grant READ to the URL's user and password"
                    } else {
                        "the znode has an ACL; give credentials as zk://user:password@host:port/path"
                    },
                },
                false,
            ),
            ZkError::AuthFailed => (self.auth_failed(), true),
            ZkError::SessionExpired => (self.session_failure(SessionState::Expired).error, true),
            ZkError::ClientClosed | ZkError::NoHosts => (
                DetectionError::Unreachable {
                    servers: self.servers.clone(),
                    reason: error.to_string(),
                },
                true,
            ),
            other => (
                DetectionError::Request {
                    operation,
                    path: path.to_owned(),
                    reason: other.to_string(),
                },
                false,
            ),
        };
        StepFailure {
            error,
            session_lost,
        }
    }

    fn auth_failed(&self) -> DetectionError {
        DetectionError::AuthFailed {
            servers: self.servers.clone(),
            user: self
                .url
                .credentials()
                .map(|credentials| credentials.user.clone())
                .unwrap_or_default(),
        }
    }
}

/// The leader a member's data describes.
fn decode_leader(member: &Member, data: &[u8]) -> Result<Leader, String> {
    let info = member.decode(data).map_err(|error| error.to_string())?;
    let endpoint = MasterEndpoint::of(&info).map_err(|error| error.to_string())?;
    Ok(Leader {
        endpoint,
        info: Some(Box::new(info)),
        member: Some(member.name.clone()),
    })
}
