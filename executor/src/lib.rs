//! `rmesos-executor` as a library: the Mesos v1 HTTP executor that
//! computes the column statistics of the partitions the driver assigns
//! it. Its Mesos tasks are *leases* (`rmesos_common::lease`) that hold
//! cpus; partitions and their results travel over the driver's channel.
//! The binary (`main.rs`) only sets up logging, reads the configuration
//! and runs [`runner::run`].
//!
//! - `config`: the environment the agent sets, Mesos durations.
//! - `agent`: SUBSCRIBE and UPDATE calls, the event stream.
//! - `runner`: the event loop (subscribe, reconnect, acknowledge).
//! - `leasing`: LAUNCH and KILL of leases, SHUTDOWN, the driver gone,
//!   exiting once no lease remains.
//! - `channel`: the driver's channel (events, heartbeats, reports).
//! - `driver_http`: the client for the driver's data server, pinning its
//!   certificate.
//! - `work`, `attempts`: assignments and cancellations, the attempts
//!   being computed, their reports.
//! - `compute`: a partition spec into its summary or failure report.
//! - `served`: a served partition's GET and body, bounded by the data
//!   timeout.
//! - `leases`, `updates`: live leases and unacknowledged updates.
//! - `sender`, `status`: ordered UPDATE calls, building updates.
//!
//! The waits between SUBSCRIBE attempts and the final task states come
//! from `rmesos-common`, which the scheduler shares.

pub mod agent;
pub mod attempts;
pub mod channel;
pub mod compute;
pub mod config;
pub mod driver_http;
pub mod leases;
mod leasing;
pub mod runner;
pub mod sender;
pub mod served;
pub mod status;
pub mod updates;
mod work;
