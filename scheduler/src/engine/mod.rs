//! The job engine's parts that do not care where partitions run (local
//! threads now, Mesos tasks later): datasets and their partitioning
//! (`dataset`, `plan`), opening a dataset as users name one (`open`;
//! directories and globs: `files`),
//! exactly-once merging of partition results
//! (`merge`), progress reporting (`progress`) and job errors (`error`).

pub mod dataset;
pub mod error;
pub mod files;
pub mod merge;
pub mod open;
pub mod plan;
pub mod progress;

pub use dataset::{Dataset, DatasetError, DatasetShape};
pub use error::{JobError, PartitionError};
pub use merge::{MergeError, MergeOutcome, ResultMerger};
pub use open::{
    CsvChoices, DEFAULT_CLUSTER_PARTITIONS, HEADER_CHOICES, OpenError, Placement, parse_delimiter,
    parse_header,
};
pub use plan::{JobPlan, Partition, PartitionWork};
pub use progress::{
    JobProgress, NoProgress, ProgressEvent, ProgressSink, ProgressTracker, ProgressUpdate,
};
