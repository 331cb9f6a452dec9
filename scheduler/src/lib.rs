//! The rmesos framework (driver side).
//!
//! Layers, each knowing only those below it (see the design notes in the
//! README): wire types come from `rmesos-common`; then master detection,
//! the v1 scheduler transport and driver loop, the job engine, and the
//! front ends (`rmesos-submit`, the Python module).

pub mod driver;
pub mod transport;
