//! A simulated Mesos cluster for rmesos's tests: masters that register in
//! a real ZooKeeper and speak the v1 scheduler HTTP API as the Mesos docs
//! define it, and a real-ZooKeeper server harness. Nothing in production
//! depends on this crate.
//!
//! Agents offer their resources (cpus, mem, ports), fetch a task's custom
//! executor over HTTP into a sandbox, run it as a real process with the
//! Mesos executor environment, and serve it the v1 executor API. Masters
//! and agents serve the read-only operator endpoints `/master/state`,
//! `/master/frameworks` and `/slave(1)/state` (a subset of Mesos's JSON
//! fields, in its shape). A framework whose subscription connection
//! closes without TEARDOWN is removed after its `failover_timeout`
//! unless it subscribes again. Faults:
//! leader death and restart, agent removal and partition, executor kill,
//! dropped streams, paused heartbeats, raw stream bytes, duplicated,
//! delayed and reordered updates. Not simulated: agent restarts with
//! executor recovery, port accounting (every offer carries the whole port
//! range), archive extraction by the fetcher.

mod agent;
pub mod cluster;
pub mod config;
mod events;
mod master;
mod operator_json;
pub mod real_mesos;
pub mod registry;
pub mod zookeeper;

pub use cluster::SimCluster;
pub use config::{ClusterConfig, Credential, UpdateFaults};
pub use registry::ClusterSnapshot;
