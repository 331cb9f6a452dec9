//! What the leader detector publishes: the new leader, "no leader" with the
//! reason, or a problem it is retrying through.

use rmesos_common::wire::master_info::MasterEndpoint;
use rmesos_common::wire::v1::MasterInfo;

use super::url::FixedMaster;

/// The leading master.
#[derive(Clone, Debug, PartialEq)]
pub struct Leader {
    /// Where to send scheduler calls.
    pub endpoint: MasterEndpoint,
    /// What the master published about itself (`None` for a fixed master).
    pub info: Option<Box<MasterInfo>>,
    /// Its znode's name under the masters' path (`None` for a fixed master).
    pub member: Option<String>,
}

impl Leader {
    /// The leader a `http(s)://host:port` URL names.
    pub fn fixed(master: &FixedMaster) -> Self {
        Self {
            endpoint: master.endpoint.clone(),
            info: None,
            member: None,
        }
    }
}

/// Why there is no leader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoLeaderReason {
    /// No master contender (`json.info_<seq>` or `info_<seq>`) under the path.
    NoMasters,
    /// The path does not exist (yet).
    PathMissing,
    /// The lowest member's data could not be read as a `MasterInfo`.
    LeaderUnreadable {
        /// That member's znode name.
        member: String,
    },
}

/// One change seen by the detector.
#[derive(Clone, Debug, PartialEq)]
pub enum LeaderEvent {
    /// A master leads, different from the last one published.
    Leader(Leader),
    /// No master leads (published when this becomes true or its reason
    /// changes).
    NoLeader {
        /// The masters' znode path.
        path: String,
        /// Why.
        reason: NoLeaderReason,
    },
    /// A problem detection is retrying through; the last published leader
    /// stands until a `Leader` or `NoLeader` event says otherwise.
    Error(DetectionError),
}

/// A problem met while detecting the leader. Its text names the ensemble
/// and path, never a password.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DetectionError {
    /// No ZooKeeper server could be reached.
    #[error("cannot reach ZooKeeper at {servers}: {reason}")]
    Unreachable {
        /// The ensemble's connect string.
        servers: String,
        /// What the client reported.
        reason: String,
    },
    /// The connection dropped; the client is reconnecting within its session.
    #[error("lost the connection to ZooKeeper at {servers}; reconnecting")]
    Disconnected {
        /// The ensemble's connect string.
        servers: String,
    },
    /// The session expired; detection starts over with a new one.
    #[error("ZooKeeper session with {servers} expired; starting over with a new session")]
    SessionExpired {
        /// The ensemble's connect string.
        servers: String,
    },
    /// The server refused the digest credentials.
    #[error("ZooKeeper at {servers} refused the credentials of user {user:?}")]
    AuthFailed {
        /// The ensemble's connect string.
        servers: String,
        /// The user name given.
        user: String,
    },
    /// The ACL of the masters' znode denies reading it.
    #[error("not allowed to read {path} in ZooKeeper: {hint}")]
    NotAuthorized {
        /// The znode.
        path: String,
        /// What to check.
        hint: &'static str,
    },
    /// The leading member's data is not a usable `MasterInfo`.
    #[error("leading master's znode {znode} is unusable: {reason}")]
    BadMasterInfo {
        /// The znode.
        znode: String,
        /// What is wrong.
        reason: String,
    },
    /// Another ZooKeeper request failure.
    #[error("ZooKeeper {operation} of {path} failed: {reason}")]
    Request {
        /// What was asked.
        operation: &'static str,
        /// The znode.
        path: String,
        /// What the client reported.
        reason: String,
    },
}
