//! A simulated Mesos cluster for rmesos's tests. Nothing in production
//! depends on this crate.
pub mod zookeeper;
