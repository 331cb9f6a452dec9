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
    /// A cluster master was given; only local mode exists so far.
    #[error(
        "cluster mode is not implemented yet: --master {0} names a Mesos cluster; \
         use --master local, local[N] or local[*] to run in this process"
    )]
    ClusterNotImplemented(String),
    /// The job ran and failed.
    #[error("the job failed: {0}")]
    JobFailed(String),
}

impl CliError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::JobFailed(_) => ExitCode::from(1),
            CliError::Usage(_) | CliError::BadInput(_) | CliError::ClusterNotImplemented(_) => {
                ExitCode::from(2)
            }
        }
    }
}
