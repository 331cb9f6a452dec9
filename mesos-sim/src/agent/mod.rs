//! The simulated agents: starting executors as real processes with the
//! environment Mesos gives them (`launcher`), and the v1 executor HTTP API
//! they talk to (`executor_api`, checking calls as Mesos does:
//! `validation`), and the agent's operator endpoint `/slave(1)/state`
//! (`state`), refusing executors of a user this machine does not know
//! (`user`).

pub mod executor_api;
pub mod launcher;
pub mod state;
pub mod user;
pub mod validation;
