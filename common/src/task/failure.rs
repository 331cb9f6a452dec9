//! `TaskFailure`: why an executor could not compute a partition, carried as
//! JSON in the `data` of its TASK_FAILED update, so that the driver can tell
//! bad input (fail the job now) from trouble a retry elsewhere may fix.

use serde::{Deserialize, Serialize};

use crate::readers::ReadError;

/// How the driver should react to a failed partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The data itself is malformed: every attempt would fail the same way.
    BadInput,
    /// The data could not be reached here (file missing or unreadable on
    /// this agent, data server unreachable): another attempt may work.
    Unavailable,
    /// Anything else (a bug, a resource limit): retried a bounded number of times.
    Internal,
}

/// The failure report in `TaskStatus.data`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskFailure {
    pub kind: FailureKind,
    pub message: String,
}

impl TaskFailure {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> TaskFailure {
        TaskFailure {
            kind,
            message: message.into(),
        }
    }

    /// Classifies a reader error: I/O trouble is `Unavailable`, anything
    /// about the content is `BadInput`.
    pub fn from_read_error(error: &ReadError) -> TaskFailure {
        let kind = match error {
            ReadError::Io { .. } => FailureKind::Unavailable,
            ReadError::Summary { .. } => FailureKind::Internal,
            ReadError::Npy { .. }
            | ReadError::Csv { .. }
            | ReadError::CsvFile { .. }
            | ReadError::Parquet { .. } => FailureKind::BadInput,
        };
        TaskFailure::new(kind, error.to_string())
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// `None` for data that is not a failure report (an older executor,
    /// or a failure reported by Mesos itself rather than by the executor).
    pub fn from_bytes(bytes: &[u8]) -> Option<TaskFailure> {
        serde_json::from_slice(bytes).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_other_data() {
        let failure = TaskFailure::new(FailureKind::BadInput, "x.csv: line 3, column 2: bad");
        assert_eq!(TaskFailure::from_bytes(&failure.to_bytes()), Some(failure));
        assert_eq!(TaskFailure::from_bytes(b"RMCS\x01"), None);
    }

    #[test]
    fn io_errors_are_retryable_and_content_errors_are_not() {
        let io = ReadError::Io {
            path: "/d/x.npy".into(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        assert_eq!(
            TaskFailure::from_read_error(&io).kind,
            FailureKind::Unavailable
        );
        let csv = ReadError::Csv {
            path: "/d/x.csv".into(),
            line: 4,
            column: 2,
            detail: "not a number".into(),
        };
        let failure = TaskFailure::from_read_error(&csv);
        assert_eq!(failure.kind, FailureKind::BadInput);
        assert!(failure.message.contains("/d/x.csv: line 4, column 2"));
    }
}
