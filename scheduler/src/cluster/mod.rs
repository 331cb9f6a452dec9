//! Layer 5 on Mesos: running jobs on a cluster, coarse-grained. A
//! `Cluster` session holds the framework driver, the data server and the
//! engine task. Executors hold cpus through long-lived Mesos tasks,
//! leases, taken from offers (`acquire`, `offer_pool`, `leases`,
//! `lease_events`); the engine hands each job's partitions to their free
//! slots over the executors' channels on the data server (`dispatch`),
//! and their reports drive an `ActiveJob` (retries, speculation,
//! exactly-once merge). `StatusBoard` keeps what
//! happened for whoever shows it (the fronts' status page, which this
//! layer does not know).

mod acquire;
mod blocking;
mod dispatch;
mod engine_loop;
mod executors;
mod job;
mod lease_events;
mod leases;
mod object_access;
mod offer_pool;
mod options;
mod session;
mod status;
mod user_refused;

pub use blocking::BlockingCluster;
pub use options::{ClusterOptions, RetryPolicy, Speculation, TaskResources};
pub use session::{Cluster, ClusterError, JobHandle};
pub use status::{
    AgentStatus, ClusterStatus, FrameworkStatus, HistoryEntry, JobStatus, LeaseStatusRow,
    StatusBoard, TaskStatusRow,
};
