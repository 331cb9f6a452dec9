//! Layer 4: the framework driver.
//!
//! One long-lived task subscribes to the leading master, turns the event
//! stream into `DriverEvent`s, acknowledges status updates, watches
//! heartbeats, and reconnects (re-detecting the leader, re-subscribing
//! with the same framework id, reconciling in-flight tasks) whenever the
//! subscription is lost. Its decisions are an explicit state machine
//! (`machine`: phases, inputs, actions, no I/O); `runner` is the loop
//! that feeds it and carries its actions out. The job engine sees only `DriverHandle` (typed
//! calls) and `DriverEvents` (typed events).

mod calls;
mod config;
mod dispatch;
mod error;
mod events;
mod handle;
mod inflight;
mod leader;
mod link;
mod machine;
#[cfg(test)]
mod machine_tests;
mod reconcile;
mod runner;
mod spawn;
mod watchdog;

/// The Mesos v1 messages the driver's API is written in.
pub use rmesos_common::wire::v1 as mesos;

pub use calls::refuse_for;
pub use config::{DriverConfig, FrameworkConfig, current_os_user};
pub use error::{CallError, DriverError};
pub use events::{DisconnectReason, DriverEvent, DriverEvents};
pub use handle::{DriverHandle, DriverState};
pub use inflight::InFlightSource;
pub use leader::{Leader, LeaderStream, detected_leader, fixed_leader};
/// Final task states, as the executor also sees them.
pub use rmesos_common::wire::is_terminal;
pub use spawn::{Driver, DriverTask};
