//! The simulated agents: starting executors as real processes with the
//! environment Mesos gives them (`launcher`), and the v1 executor HTTP API
//! they talk to (`executor_api`, checking calls as Mesos does:
//! `validation`), and the agent's operator endpoint `/slave(1)/state`
//! (`state`).

pub mod executor_api;
pub mod launcher;
pub mod state;
pub mod validation;
