//! The simulated masters: the v1 scheduler API (`http`), the semantics of
//! each call (`calls`), and the allocator/heartbeat/retry loops of the
//! leading master (`allocator`).

pub mod agents;
pub mod allocator;
pub mod calls;
pub mod http;
pub mod launch;
