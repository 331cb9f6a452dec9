//! What the driver needs to know before it starts: the framework's identity
//! (`FrameworkInfo` fields), the transport settings, and the timing of
//! heartbeats, reconnects and teardown.

use std::sync::Arc;
use std::time::Duration;

use mesos::framework_info::{Capability, capability};
use mesos::{FrameworkId, FrameworkInfo};
use rmesos_common::wire::v1 as mesos;

use super::inflight::InFlightSource;
use crate::transport::{BackoffPolicy, TransportConfig};

/// The framework as it presents itself to the masters.
#[derive(Clone, Debug)]
pub struct FrameworkConfig {
    pub name: String,
    /// OS user the executors run as; `None` = the user running the driver.
    pub user: Option<String>,
    /// Roles offers are made for (the framework is MULTI_ROLE).
    pub roles: Vec<String>,
    /// Must equal the credentials' principal when authentication is on.
    pub principal: Option<String>,
    /// How long the masters keep the framework and its tasks after the
    /// driver disconnects without TEARDOWN; then they remove it. Not zero:
    /// zero kills every task on a blip. The default, one week, suits a
    /// driver that a later run fails over to (`framework_id`); a cluster
    /// session replaces it with `ClusterOptions::failover_timeout`
    /// (5 minutes by default), since no later run takes its framework over.
    pub failover_timeout: Duration,
    pub checkpoint: bool,
    pub capabilities: Vec<capability::Type>,
    pub hostname: Option<String>,
    pub webui_url: Option<String>,
    /// An id from an earlier run, to fail over to that framework.
    pub framework_id: Option<String>,
}

impl Default for FrameworkConfig {
    fn default() -> Self {
        FrameworkConfig {
            name: "rmesos".into(),
            user: None,
            roles: vec!["*".into()],
            principal: None,
            failover_timeout: Duration::from_secs(7 * 24 * 3600),
            checkpoint: true,
            capabilities: vec![capability::Type::MultiRole],
            hostname: None,
            webui_url: None,
            framework_id: None,
        }
    }
}

impl FrameworkConfig {
    /// The `FrameworkInfo` sent in SUBSCRIBE, with `id` once one is known.
    pub fn framework_info(&self, id: Option<&FrameworkId>) -> FrameworkInfo {
        let mut capabilities = self.capabilities.clone();
        if !capabilities.contains(&capability::Type::MultiRole) {
            capabilities.push(capability::Type::MultiRole);
        }
        FrameworkInfo {
            user: self.user.clone().unwrap_or_else(current_os_user),
            name: self.name.clone(),
            id: id.cloned(),
            failover_timeout: Some(self.failover_timeout.as_secs_f64()),
            checkpoint: Some(self.checkpoint),
            roles: self.roles.clone(),
            principal: self.principal.clone(),
            hostname: self.hostname.clone(),
            webui_url: self.webui_url.clone(),
            capabilities: capabilities
                .into_iter()
                .map(|kind| Capability {
                    r#type: Some(kind as i32),
                })
                .collect(),
            ..FrameworkInfo::default()
        }
    }
}

/// Everything the driver runs with.
#[derive(Clone)]
pub struct DriverConfig {
    pub framework: FrameworkConfig,
    pub transport: TransportConfig,
    /// Heartbeats that may go missing before the subscription counts as dead.
    pub missed_heartbeats: u32,
    /// Waits between reconnect attempts (cut short when the leader changes).
    pub reconnect_backoff: BackoffPolicy,
    /// Also ask for every task the master knows after each (re)subscribe.
    pub implicit_reconciliation: bool,
    /// Waits between explicit RECONCILE rounds for tasks still unanswered.
    pub reconcile_backoff: BackoffPolicy,
    /// Tasks the job engine believes are in flight, reconciled after each
    /// (re)subscribe in addition to those launched through the driver.
    pub in_flight_source: Option<Arc<dyn InFlightSource>>,
    /// How long a stop with teardown waits for a subscription to send it on.
    pub teardown_timeout: Duration,
}

impl std::fmt::Debug for DriverConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DriverConfig")
            .field("framework", &self.framework)
            .field("transport", &self.transport)
            .field("missed_heartbeats", &self.missed_heartbeats)
            .field("reconnect_backoff", &self.reconnect_backoff)
            .field("implicit_reconciliation", &self.implicit_reconciliation)
            .field("reconcile_backoff", &self.reconcile_backoff)
            .field("in_flight_source", &self.in_flight_source.is_some())
            .field("teardown_timeout", &self.teardown_timeout)
            .finish()
    }
}

impl Default for DriverConfig {
    fn default() -> Self {
        DriverConfig {
            framework: FrameworkConfig::default(),
            transport: TransportConfig::default(),
            missed_heartbeats: 5,
            reconnect_backoff: BackoffPolicy::reconnect(),
            implicit_reconciliation: true,
            reconcile_backoff: BackoffPolicy {
                initial: Duration::from_secs(2),
                max: Duration::from_secs(60),
                multiplier: 2.0,
                jitter: 0.2,
            },
            in_flight_source: None,
            teardown_timeout: Duration::from_secs(10),
        }
    }
}

/// The login name of the user running this process: `$USER`, `$LOGNAME`,
/// else what `id -un` says, else `root` (what Mesos itself assumes).
pub fn current_os_user() -> String {
    for var in ["USER", "LOGNAME"] {
        if let Ok(name) = std::env::var(var)
            && !name.is_empty()
        {
            return name;
        }
    }
    std::process::Command::new("id")
        .arg("-un")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "root".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_keep_tasks_through_a_disconnect() {
        let info = FrameworkConfig::default().framework_info(None);
        assert_eq!(info.failover_timeout, Some(604_800.0));
        assert_eq!(info.checkpoint, Some(true));
        assert_eq!(info.roles, vec!["*".to_owned()]);
        assert!(!info.user.is_empty());
        assert!(info.id.is_none());
        let multi_role = capability::Type::MultiRole as i32;
        assert!(
            info.capabilities
                .iter()
                .any(|c| c.r#type == Some(multi_role))
        );
    }

    #[test]
    fn a_known_id_and_explicit_fields_are_sent() {
        let config = FrameworkConfig {
            name: "stats".into(),
            user: Some("alice".into()),
            principal: Some("fw".into()),
            roles: vec!["analytics".into()],
            capabilities: vec![capability::Type::PartitionAware],
            ..FrameworkConfig::default()
        };
        let id = FrameworkId {
            value: "abc-0001".into(),
        };
        let info = config.framework_info(Some(&id));
        assert_eq!(info.id, Some(id));
        assert_eq!(info.user, "alice");
        assert_eq!(info.name, "stats");
        assert_eq!(info.principal.as_deref(), Some("fw"));
        assert_eq!(info.capabilities.len(), 2, "MULTI_ROLE is always added");
    }

    #[test]
    fn the_current_user_is_named() {
        assert!(!current_os_user().is_empty());
    }
}
