//! Why a partition or a whole job failed.

use rmesos_common::readers::ReadError;
use rmesos_common::stats::StatsError;
use thiserror::Error;

use super::merge::MergeError;

/// Why one partition could not be summarized.
#[derive(Debug, Error)]
pub enum PartitionError {
    /// The input is bad (or unreadable): the message names file and place.
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Stats(#[from] StatsError),
    /// A `Borrowed` partition run without the caller's rows.
    #[error("this partition's rows are held by the caller, who must summarize them")]
    RowsNotHeld,
    /// The job was cancelled before this partition was summarized.
    #[error("the job was cancelled")]
    Cancelled,
    #[error("rows {start}..{end} are outside the {available} rows held in memory")]
    RowsOutOfRange {
        start: u64,
        end: u64,
        available: u64,
    },
}

/// Why a job failed. The first failure stops the job.
#[derive(Debug, Error)]
pub enum JobError {
    #[error("partition {partition_id} failed: {source}")]
    Partition {
        partition_id: u32,
        source: PartitionError,
    },
    #[error("partition {partition_id} failed: the worker panicked: {message}")]
    Panicked { partition_id: u32, message: String },
    #[error(transparent)]
    Merge(#[from] MergeError),
    /// An executor reported the partition's data as bad: retrying cannot help.
    #[error("partition {partition_id} failed: {message}")]
    BadInput { partition_id: u32, message: String },
    /// Every allowed attempt at a partition failed.
    #[error("partition {partition_id} failed {attempts} times; the last failure: {message}")]
    AttemptsExhausted {
        partition_id: u32,
        attempts: u32,
        message: String,
    },
    #[error("the job did not finish within {0:?}")]
    TimedOut(std::time::Duration),
    #[error("the job was cancelled")]
    Cancelled,
    /// The cluster cannot run jobs any more (the master refused the
    /// framework, the driver stopped).
    #[error("the cluster cannot run the job: {0}")]
    Cluster(String),
}

impl JobError {
    /// The input error behind this failure, if bad input caused it.
    pub fn read_error(&self) -> Option<&ReadError> {
        match self {
            JobError::Partition {
                source: PartitionError::Read(error),
                ..
            } => Some(error),
            _ => None,
        }
    }

    /// What bad input caused this failure, as every front shows it (the
    /// message names the file and the place); `None` when the input was
    /// not to blame.
    pub fn bad_input(&self) -> Option<String> {
        match self {
            JobError::BadInput { message, .. } => Some(message.clone()),
            other => other.read_error().map(ToString::to_string),
        }
    }
}
