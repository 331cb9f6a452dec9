//! Coarse-grained execution: what the driver and an executor say to each
//! other outside Mesos.
//!
//! An executor holds cpus through a few long-lived Mesos tasks, *leases*.
//! Each lease's `TaskInfo.data` is a [`LeaseGrant`]: how many partitions it
//! may run at once and where the executor's *channel* on the driver's data
//! server is. (Mesos never shows `TaskInfo.data` in its state endpoints,
//! unlike `ExecutorInfo`.) Over the channel, all requests from
//! the executor to the driver (the driver may sit behind NAT; the agents
//! can always reach it, since they fetch from it):
//!
//! - `GET <channel>/events`: a RecordIO stream (the framing of Mesos' own
//!   event streams) of JSON [`DriverMessage`]s: partitions to compute,
//!   attempts to cancel, object-storage access, and a heartbeat every
//!   `heartbeat_ms`.
//! - `POST <channel>/attempts/<n>/result`: an attempt's `ColumnSummary`
//!   (its binary codec).
//! - `POST <channel>/attempts/<n>/failure`: an attempt's `TaskFailure` (JSON).
//! - `POST <channel>/heartbeat`: nothing but "still here", every
//!   `heartbeat_ms`.
//!
//! Either side that hears nothing from the other for
//! [`MISSED_HEARTBEATS`] heartbeats considers it gone: the driver puts the
//! executor's partitions back in the queue and kills its leases; the
//! executor tries to reconnect until its data timeout, then fails its
//! leases and exits. A 404 from the channel means the driver no longer
//! knows this executor (it was declared lost): the executor ends at once.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::partition::PartitionSpec;
use crate::task::DataUrl;

/// The version of the encoded [`LeaseGrant`].
pub const LEASE_GRANT_VERSION: u32 = 1;

/// Heartbeats a side may miss before the other is considered gone.
pub const MISSED_HEARTBEATS: u32 = 3;

/// The path, under the channel, of the driver's message stream.
pub const EVENTS_PATH: &str = "events";
/// The path, under the channel, of the executor's heartbeat.
pub const HEARTBEAT_PATH: &str = "heartbeat";

/// What a lease task carries in `TaskInfo.data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeaseGrant {
    pub version: u32,
    /// `http://driver:port/<token>/executors/<executor id>`: never log it
    /// unredacted.
    pub channel: DataUrl,
    /// Partitions this lease lets the executor run at once.
    pub slots: u32,
    /// How often each side of the channel sends a heartbeat.
    pub heartbeat_ms: u64,
    /// The SHA-256 (hex) of the data server's certificate, which the
    /// executor pins for the channel and every rows URL; `None` when the
    /// data server speaks plain HTTP (`--data-tls off`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_sha256: Option<String>,
}

impl LeaseGrant {
    pub fn heartbeat(&self) -> Duration {
        Duration::from_millis(self.heartbeat_ms.max(1))
    }

    /// How long silence from the other side is tolerated.
    pub fn silence_limit(&self) -> Duration {
        self.heartbeat() * MISSED_HEARTBEATS
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Decodes a lease's `TaskInfo.data`, with a message that says what is
    /// wrong (an executor from another rmesos version, say).
    pub fn from_bytes(bytes: &[u8]) -> Result<LeaseGrant, String> {
        #[derive(Deserialize)]
        struct Versioned {
            version: u32,
        }
        let version = serde_json::from_slice::<Versioned>(bytes)
            .map_err(|e| format!("the task's data is not a lease grant: {e}"))?
            .version;
        if version != LEASE_GRANT_VERSION {
            return Err(format!(
                "the lease grant has version {version}, this executor reads version \
                 {LEASE_GRANT_VERSION}: the driver and the executor are different rmesos versions"
            ));
        }
        serde_json::from_slice(bytes).map_err(|e| format!("the lease grant is malformed: {e}"))
    }
}

/// One message of the driver's stream to an executor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DriverMessage {
    /// Compute this partition; report under `attempt`.
    Assign { attempt: u64, spec: PartitionSpec },
    /// Stop computing `attempt`: its result is no longer wanted.
    Cancel { attempt: u64 },
    /// Nothing to do; the driver is alive.
    Heartbeat,
    /// How to reach object storage (credentials included) for the
    /// partitions that follow: sent over this authenticated channel, never
    /// through Mesos, before the first partition that reads an object.
    ObjectAccess {
        access: crate::objects::ObjectAccess,
    },
}

impl DriverMessage {
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<DriverMessage, String> {
        serde_json::from_slice(bytes).map_err(|e| format!("a malformed driver message: {e}"))
    }
}

/// The path, under the channel, where `attempt`'s summary goes.
pub fn result_path(attempt: u64) -> String {
    format!("attempts/{attempt}/result")
}

/// The path, under the channel, where `attempt`'s failure report goes.
pub fn failure_path(attempt: u64) -> String {
    format!("attempts/{attempt}/failure")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partition::PartitionSource;

    #[test]
    fn grants_and_messages_round_trip() {
        let grant = LeaseGrant {
            version: LEASE_GRANT_VERSION,
            channel: DataUrl::new("http://d:1/tok/executors/e-1"),
            slots: 3,
            heartbeat_ms: 500,
            server_sha256: Some("ab".repeat(32)),
        };
        assert_eq!(LeaseGrant::from_bytes(&grant.to_bytes()), Ok(grant.clone()));
        assert_eq!(grant.silence_limit(), Duration::from_millis(1500));
        let assign = DriverMessage::Assign {
            attempt: 7,
            spec: PartitionSpec {
                job_id: "j".into(),
                partition_id: 2,
                source: PartitionSource::NpyRows {
                    path: "x.npy".into(),
                    rows: 0..4,
                },
                request: Default::default(),
            },
        };
        for message in [
            assign,
            DriverMessage::Cancel { attempt: 7 },
            DriverMessage::Heartbeat,
        ] {
            assert_eq!(DriverMessage::from_bytes(&message.to_bytes()), Ok(message));
        }
    }

    #[test]
    fn a_grant_of_another_version_says_so() {
        let error = LeaseGrant::from_bytes(br#"{"version": 99}"#).unwrap_err();
        assert!(error.contains("version 99"), "{error}");
        let error = LeaseGrant::from_bytes(b"partition").unwrap_err();
        assert!(error.contains("not a lease grant"), "{error}");
    }
}
