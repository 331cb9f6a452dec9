//! Code shared by the rmesos scheduler and executor.
//!
//! Everything here is synchronous and free of networking: the Mesos v1 wire
//! types and RecordIO framing (`wire`), the column-statistics kernel and its
//! mergeable partial summary (`stats`), the `.npy`/`.csv` readers that feed
//! the kernel (`readers`), and the description of one partition's work that
//! travels from driver to executor (`partition`), and the rest of the
//! driver-executor exchange: data-server URLs, served rows, failure
//! reports (`task`); and `duration`, the one type and parser of every
//! timeout a user sets.

pub mod duration;
pub mod partition;
pub mod readers;
pub mod stats;
pub mod task;
pub mod wire;
