//! Code shared by the rmesos scheduler and executor.
//!
//! Everything here is free of networking: the Mesos v1 wire types, RecordIO
//! framing and final task states (`wire`), retry waits (`backoff`), the
//! optional-deadline timer of the event loops (`deadline`), `duration`, the
//! one type and parser of every timeout a user sets, the caps on sizes that
//! come from input (`limits`), the column-statistics kernel and its
//! mergeable partial summary (`stats`), the `.npy`/`.csv` readers that feed
//! the kernel (`readers`), and the description of one partition's work that
//! travels from driver to executor (`partition`), ranged reads of objects
//! in S3-compatible storage or behind `http(s)://` URLs (`objects`, the
//! one networking module here, for readers), and the rest of the
//! driver-executor exchange: data-server URLs, served rows, failure reports
//! (`task`); the lease grant and the driver-executor channel of
//! coarse-grained execution (`lease`), and the executors' trust in the
//! data server's certificate, pinned by its SHA-256 (`pinned_tls`).

pub mod backoff;
pub mod deadline;
pub mod duration;
pub mod lease;
pub mod limits;
pub mod objects;
pub mod partition;
pub mod pinned_tls;
pub mod readers;
pub mod stats;
pub mod task;
pub mod wire;
