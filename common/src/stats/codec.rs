//! The versioned binary form of a `ColumnSummary` (carried in the `data`
//! of a Mesos `TASK_FINISHED` status update).

use thiserror::Error;

/// A malformed encoded summary.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CodecError {
    #[error("encoded summary is malformed: {0}")]
    Malformed(String),
}
