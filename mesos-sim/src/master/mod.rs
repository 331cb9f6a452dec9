//! The simulated masters: the v1 scheduler API (`http`), the semantics of
//! each call (`calls`), disconnection and the failover timeout
//! (`failover`), the allocator/heartbeat/retry loops of the
//! leading master (`allocator`), and the operator endpoints
//! `/master/state` and `/master/frameworks` (`state`).

pub mod agents;
pub mod allocator;
pub mod calls;
pub mod failover;
pub mod http;
pub mod launch;
pub mod state;
pub mod task_validation;
pub mod validation;
