//! `ExecutorFetch`: what an `ExecutorInfo.command` needs to run the
//! executor, as the data server's configuration decides it: the URI the
//! Mesos fetcher downloads (if any) and the command that runs the binary.

use rmesos_common::task::DataUrl;
use rmesos_common::wire::v1;

/// The name the fetcher gives the downloaded executor in the sandbox.
pub const FETCHED_EXECUTOR_NAME: &str = "rmesos-executor";

/// A URI for the Mesos fetcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecutorUri {
    /// A URL on this data server (its token masked when printed).
    Served(DataUrl),
    /// A URI the user configured (`$RMESOS_EXECUTOR_URI`).
    User(String),
}

impl ExecutorUri {
    /// The URI as the fetcher needs it, token included.
    pub fn expose(&self) -> &str {
        match self {
            ExecutorUri::Served(url) => url.expose(),
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
    /// The command value that runs the executor: `./rmesos-executor`, or
    /// the path on the agents.
    pub command: String,
}

impl ExecutorFetch {
    /// The `CommandInfo` of the executor: the URI to fetch and the command
    /// (run through the shell, the Mesos default). A served URI carries
    /// the token in the clear: never log the result.
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
            ..Default::default()
        }
    }
}
