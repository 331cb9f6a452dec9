//! Why the driver stopped for good, and why a single call failed.

use std::time::Duration;

use crate::transport::TransportError;

/// A reason the driver gave up. Transient trouble (lost masters, broken
/// streams, timeouts) never ends up here: the driver reconnects instead.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error("the master refused the framework: {message}")]
    MasterError { message: String },
    #[error("authentication failed: {0}")]
    Unauthorized(#[source] TransportError),
    #[error("the master rejected the subscription: {0}")]
    SubscribeRejected(#[source] TransportError),
    #[error("could not tear the framework down within {0:?}: no master accepted a subscription")]
    TeardownTimedOut(Duration),
    #[error("could not tear the framework down: {0}")]
    TeardownFailed(#[source] TransportError),
    #[error("cannot start the driver: {0}")]
    Setup(#[source] TransportError),
    #[error("the driver task ended abnormally: {0}")]
    Crashed(String),
}

impl DriverError {
    /// Classifies a SUBSCRIBE failure that retrying cannot fix.
    pub(crate) fn from_subscribe(err: TransportError) -> Self {
        match err {
            TransportError::Unauthorized { .. } => DriverError::Unauthorized(err),
            other => DriverError::SubscribeRejected(other),
        }
    }
}

/// Why one call through the handle failed. The driver keeps running.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("the driver is not subscribed to a master right now")]
    NotSubscribed,
    #[error("the driver has stopped")]
    Stopped,
    #[error(transparent)]
    Transport(#[from] TransportError),
}

impl CallError {
    /// True when the same call may succeed once the driver has
    /// re-subscribed (the engine decides whether it is still wanted).
    pub fn is_transient(&self) -> bool {
        match self {
            CallError::NotSubscribed => true,
            CallError::Stopped => false,
            CallError::Transport(err) => {
                err.is_transient() || matches!(err, TransportError::Forbidden { .. })
            }
        }
    }
}
