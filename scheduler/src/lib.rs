//! The rmesos framework (driver side).
//!
//! Layers, each knowing only those below it (see the README): wire types
//! come from `rmesos-common`; then master detection (`detection`), the v1
//! scheduler HTTP client (`transport`) and the subscribe/event/reconnect
//! loop (`driver`), the job engine (`engine`), and the front ends (`cli`
//! for `rmesos-submit`, the Python module, over the one `settings` model).
//! `local` runs jobs in this process without a cluster. `cluster` runs
//! jobs on Mesos, and `ui` shows a cluster session's status board over
//! HTTP.

/// Retry waits, shared with the executor.
pub use rmesos_common::backoff;
pub mod cli;
pub mod cluster;
pub mod dataserver;
pub mod detection;
pub mod driver;
pub mod engine;
pub mod local;
pub mod secret;
pub mod settings;
pub mod transport;
pub mod ui;
