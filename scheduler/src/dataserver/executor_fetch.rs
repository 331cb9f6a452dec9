//! `ExecutorFetch`: what an `ExecutorInfo.command` needs to run the
//! executor, as the data server's configuration decides it: the URI the
//! Mesos fetcher downloads (if any) and the command that runs the binary.
//!
//! Mesos shows `ExecutorInfo` to anyone who reads the master's state and
//! the fetcher logs its URIs in the sandbox, so nothing here is secret: a
//! served binary's URL carries its SHA-256, not a token, and the command
//! checks the fetched file against that digest before running it. A
//! user-hosted URI or an installed path is run unchecked: the driver does
//! not know what binary those hold.

use rmesos_common::wire::v1;

/// The name the fetcher gives the downloaded executor in the sandbox.
pub const FETCHED_EXECUTOR_NAME: &str = "rmesos-executor";

/// A URI for the Mesos fetcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecutorUri {
    /// The public URL of the binary on this data server (no token).
    Served(String),
    /// A URI the user configured (`$RMESOS_EXECUTOR_URI`).
    User(String),
}

impl ExecutorUri {
    /// The URI as the fetcher needs it.
    pub fn expose(&self) -> &str {
        match self {
            ExecutorUri::Served(url) => url,
            ExecutorUri::User(uri) => uri,
        }
    }
}

/// How an executor gets and runs `rmesos-executor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutorFetch {
    /// What the fetcher downloads into the sandbox as
    /// `FETCHED_EXECUTOR_NAME` (executable, not extracted); `None` when
    /// the executor is installed on the agents.
    pub uri: Option<ExecutorUri>,
    /// The command value that runs the executor: `./rmesos-executor`
    /// (behind a SHA-256 check when served), or the path on the agents.
    pub command: String,
    /// The lowercase hex SHA-256 the command checks, when served.
    pub sha256: Option<String>,
}

impl ExecutorFetch {
    /// The `CommandInfo` of the executor: the URI to fetch and the command,
    /// run through the shell (`sh -c`). Nothing in it is secret.
    pub fn command_info(&self) -> v1::CommandInfo {
        let uris = self.uri.iter().map(|uri| v1::command_info::Uri {
            value: uri.expose().to_owned(),
            executable: Some(true),
            extract: Some(false),
            cache: Some(false),
            output_file: Some(FETCHED_EXECUTOR_NAME.to_owned()),
        });
        v1::CommandInfo {
            uris: uris.collect(),
            value: Some(self.command.clone()),
            shell: Some(true),
            ..Default::default()
        }
    }
}
