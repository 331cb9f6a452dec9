//! A framework's disconnection and its failover timeout, as the Mesos
//! scheduler HTTP API docs describe them: when the subscription
//! connection breaks (without TEARDOWN) the master marks the framework
//! disconnected and inactive, rescinds its offers and gives it
//! `FrameworkInfo.failover_timeout` seconds (0 by default) to SUBSCRIBE
//! again with its id; if it does not, the master removes it as a TEARDOWN
//! would (tasks killed, executors shut down, a completed framework).
//! The timer lives in the leading master only: when that master dies the
//! timer dies with it (Mesos does not carry failover timers over a master
//! failover, MESOS-4659).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cluster::Shared;
use crate::registry::Registry;

/// The largest `failover_timeout` Mesos accepts: a `Duration` of int64
/// nanoseconds.
const MAX_FAILOVER_TIMEOUT_SECS: f64 = i64::MAX as f64 / 1e9;

/// The failover timeout a SUBSCRIBE asks for, or the error Mesos answers
/// for one it cannot represent. A negative timeout expires at once.
pub fn timeout_of(failover_timeout: Option<f64>) -> Result<Duration, String> {
    let seconds = failover_timeout.unwrap_or(0.0);
    if !seconds.is_finite() || seconds > MAX_FAILOVER_TIMEOUT_SECS {
        return Err(format!(
            "The framework failover_timeout ({seconds}) is invalid"
        ));
    }
    Ok(Duration::from_secs_f64(seconds.max(0.0)))
}

/// The framework's subscription `stream_id` broke (its HTTP connection
/// closed). Nothing happens when the framework has since subscribed on
/// another stream, was removed, or lost its stream with a dead leader.
pub fn stream_closed(registry: &mut Registry, framework_id: &str, stream_id: &str) {
    let current = registry
        .frameworks
        .get(framework_id)
        .and_then(|f| f.subscription.as_ref())
        .is_some_and(|s| s.stream_id == stream_id);
    if current {
        disconnect(registry, framework_id);
    }
}

/// Marks the framework disconnected, rescinds its offers and starts its
/// failover timer (a timeout of 0 removes it at once).
pub fn disconnect(registry: &mut Registry, framework_id: &str) {
    let Some(framework) = registry.frameworks.get_mut(framework_id) else {
        return;
    };
    if framework.removed {
        return;
    }
    framework.subscription = None;
    // Validated at SUBSCRIBE; an unparsable value cannot be stored.
    let timeout = timeout_of(framework.info.failover_timeout).unwrap_or_default();
    framework.failover_deadline = Some(Instant::now() + timeout);
    registry
        .offers
        .retain(|_, o| o.framework_id != framework_id);
    tracing::info!(framework = %framework_id, ?timeout, "framework disconnected; giving it the failover timeout");
    if timeout.is_zero() {
        expire(registry);
    }
}

/// Removes every disconnected framework whose failover timeout has passed.
pub fn expire(registry: &mut Registry) {
    let now = Instant::now();
    let due: Vec<String> = registry
        .frameworks
        .values()
        .filter(|f| f.subscription.is_none() && !f.removed)
        .filter(|f| f.failover_deadline.is_some_and(|at| at <= now))
        .map(|f| f.id.clone())
        .collect();
    for framework_id in due {
        tracing::info!(framework = %framework_id, "framework failover timeout; removing the framework");
        super::calls::teardown(registry, &framework_id);
    }
}

/// Lives inside a SUBSCRIBE response body: dropped when the body is (the
/// client closed the connection, or the master ended the stream), it
/// tells the master the stream broke.
pub struct StreamGuard {
    pub shared: Arc<Shared>,
    pub framework_id: String,
    pub stream_id: String,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        let mut registry = self.shared.registry();
        stream_closed(&mut registry, &self.framework_id, &self.stream_id);
    }
}
