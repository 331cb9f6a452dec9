//! Layer 5 on Mesos: running jobs on a cluster. A `Cluster` session holds
//! the framework driver, the data server and the engine task; each job's
//! partitions become tasks placed on offers (`placement`, `offer_pool`,
//! `executors`), whose status updates drive an `ActiveJob` (retries,
//! exactly-once merge) in the engine loop. `StatusBoard` keeps what
//! happened for whoever shows it (the fronts' status page, which this
//! layer does not know).

mod blocking;
mod engine_loop;
mod executors;
mod job;
mod offer_pool;
mod options;
mod placement;
mod session;
mod status;

pub use blocking::BlockingCluster;
pub use options::{ClusterOptions, RetryPolicy, TaskResources};
pub use session::{Cluster, ClusterError, JobHandle};
pub use status::{
    AgentStatus, ClusterStatus, FrameworkStatus, HistoryEntry, JobStatus, StatusBoard,
    TaskStatusRow,
};
