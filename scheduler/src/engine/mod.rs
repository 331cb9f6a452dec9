//! The job engine's parts that do not care where partitions run (local
//! threads now, Mesos tasks later): datasets and their partitioning
//! (`dataset`, `plan`), exactly-once merging of partition results
//! (`merge`), progress reporting (`progress`) and job errors (`error`).

pub mod dataset;
pub mod error;
pub mod merge;
pub mod plan;
pub mod progress;

pub use dataset::{Dataset, DatasetError, DatasetShape};
pub use error::{JobError, PartitionError};
pub use merge::{MergeError, MergeOutcome, ResultMerger};
pub use plan::{JobPlan, Partition, PartitionWork};
pub use progress::{
    JobProgress, NoProgress, ProgressEvent, ProgressSink, ProgressTracker, ProgressUpdate,
};
