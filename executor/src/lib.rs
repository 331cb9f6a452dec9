//! `rmesos-executor` as a library: the Mesos v1 HTTP executor that
//! computes the column statistics of the partitions it is sent. The
//! binary (`main.rs`) only sets up logging, reads the configuration and
//! runs [`runner::run`].
//!
//! - `config`: the environment the agent sets, Mesos durations.
//! - `agent`: SUBSCRIBE and UPDATE calls, the event stream.
//! - `runner`: the event loop (launch, kill, acknowledge, shutdown,
//!   reconnect).
//! - `compute`: a partition spec into its summary or failure report.
//! - `served`: a served partition's GET and body, bounded by the data
//!   timeout.
//! - `tasks`, `updates`: running tasks and unacknowledged updates.
//! - `sender`, `status`: ordered UPDATE calls, building updates.
//!
//! The waits between SUBSCRIBE attempts and the final task states come
//! from `rmesos-common`, which the scheduler shares.

pub mod agent;
pub mod compute;
pub mod config;
pub mod runner;
pub mod sender;
pub mod served;
pub mod status;
pub mod tasks;
pub mod updates;
