//! The simulated agents: starting executors as real processes with the
//! environment Mesos gives them (`launcher`), and the v1 executor HTTP API
//! they talk to (`executor_api`).

pub mod executor_api;
pub mod launcher;
