//! `CliError`: why `rmesos-submit` stopped, and the exit status for it
//! (2 for bad usage or bad input, 1 for a failed job).

use std::process::ExitCode;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum CliError {
    /// The command line is wrong.
    #[error("{0}")]
    Usage(String),
    /// The input cannot be used: missing, unreadable or malformed.
    #[error("{0}")]
    BadInput(String),
    /// No session on the cluster could be had.
    #[error("cannot run on the cluster: {0}")]
    Cluster(String),
    /// The job ran and failed.
    #[error("the job failed: {0}")]
    JobFailed(String),
}

impl CliError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::JobFailed(_) | CliError::Cluster(_) => ExitCode::from(1),
            CliError::Usage(_) | CliError::BadInput(_) => ExitCode::from(2),
        }
    }
}
