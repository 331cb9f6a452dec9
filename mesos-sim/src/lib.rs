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
//!
//! Both APIs check what they receive as Mesos 1.12 does, with its status
//! codes and texts: see `master::validation`, `master::task_validation`
//! and `agent::validation` for the lists. Offers come once per allocation
//! interval (1 s by default, as Mesos' `--allocation_interval`), and at
//! once on a SUBSCRIBE or REVIVE (see `master::allocator`).

mod agent;
mod call_body;
pub mod cluster;
pub mod config;
mod events;
mod master;
pub mod mesos_ids;
mod operator_json;
pub mod real_mesos;
pub mod registry;
mod schema;
pub mod tls;
mod wire_check;
pub mod zookeeper;

pub use cluster::SimCluster;
pub use config::{ClusterConfig, Credential, UpdateFaults};
pub use registry::ClusterSnapshot;
