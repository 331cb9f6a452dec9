//! A simulated Mesos cluster for rmesos's tests: masters that register in
//! a real ZooKeeper and speak the v1 scheduler HTTP API as the Mesos docs
//! define it, and a real-ZooKeeper server harness. Nothing in production
//! depends on this crate.
//!
//! Agents are modelled as resources only: they are offered, and a launched
//! task is reported back as failed to start (agents that fetch and run real
//! executors come next).

pub mod cluster;
pub mod config;
mod events;
mod master;
pub mod registry;
pub mod zookeeper;

pub use cluster::SimCluster;
pub use config::{ClusterConfig, Credential};
pub use registry::ClusterSnapshot;
