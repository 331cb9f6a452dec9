//! `ExecutorSource`: where the Mesos agents get the `rmesos-executor`
//! binary, and how a driver process finds its default (an environment
//! variable, else the binary built next to this program).

use std::env;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// The file name of the executor binary that cargo builds.
#[cfg(not(windows))]
pub const EXECUTOR_FILE_NAME: &str = "rmesos-executor";
/// The file name of the executor binary that cargo builds.
#[cfg(windows)]
pub const EXECUTOR_FILE_NAME: &str = "rmesos-executor.exe";

/// Names a URI for the agents to fetch the executor from.
pub const EXECUTOR_URI_ENV: &str = "RMESOS_EXECUTOR_URI";
/// Names a path where the executor is already installed on every agent.
pub const EXECUTOR_PATH_ENV: &str = "RMESOS_EXECUTOR_PATH";

/// Where executors get `rmesos-executor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecutorSource {
    /// The data server serves this file to the Mesos fetcher.
    Serve(PathBuf),
    /// The agents fetch this URI themselves (http(s), hdfs, a file path).
    Uri(String),
    /// The executor is already installed on the agents at this path.
    AgentPath(String),
}

#[derive(Debug, Error)]
pub enum ExecutorSourceError {
    #[error("cannot tell where this program is, to find {EXECUTOR_FILE_NAME} beside it: {0}")]
    CurrentExe(#[source] std::io::Error),
    #[error(
        "no {EXECUTOR_FILE_NAME} found (looked at {}); build it (cargo build -p rmesos-executor), \
         or set {EXECUTOR_URI_ENV} to a URI the agents can fetch it from, \
         or {EXECUTOR_PATH_ENV} to where it is installed on the agents",
        looked.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    NotFound { looked: Vec<PathBuf> },
}

impl ExecutorSource {
    /// `$RMESOS_EXECUTOR_URI` as a `Uri`, else `$RMESOS_EXECUTOR_PATH` as
    /// an `AgentPath`, else `Serve` of the `rmesos-executor` next to this
    /// program or in its parent directory (cargo puts test binaries in
    /// `target/<profile>/deps`, the executor in `target/<profile>`).
    pub fn default_for_this_process() -> Result<ExecutorSource, ExecutorSourceError> {
        let var = |name| env::var(name).ok().filter(|v| !v.trim().is_empty());
        if let Some(uri) = var(EXECUTOR_URI_ENV) {
            return Ok(ExecutorSource::Uri(uri));
        }
        if let Some(path) = var(EXECUTOR_PATH_ENV) {
            return Ok(ExecutorSource::AgentPath(path));
        }
        let exe = env::current_exe().map_err(ExecutorSourceError::CurrentExe)?;
        beside(&exe).map(ExecutorSource::Serve)
    }
}

/// Fails, naming `path`, unless it is a file this process can see.
pub(crate) async fn check_servable(path: &Path) -> std::io::Result<()> {
    let kind = tokio::fs::metadata(path)
        .await
        .and_then(|meta| match meta.is_file() {
            true => Ok(()),
            false => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a file",
            )),
        });
    kind.map_err(|e| {
        let what = format!("the executor binary to serve, {}: {e}", path.display());
        std::io::Error::new(e.kind(), what)
    })
}

/// The executor binary in `exe`'s directory or that directory's parent.
fn beside(exe: &Path) -> Result<PathBuf, ExecutorSourceError> {
    let dir = exe.parent();
    let looked: Vec<PathBuf> = [dir, dir.and_then(Path::parent)]
        .into_iter()
        .flatten()
        .map(|d| d.join(EXECUTOR_FILE_NAME))
        .collect();
    match looked.iter().find(|candidate| candidate.is_file()) {
        Some(found) => Ok(found.clone()),
        None => Err(ExecutorSourceError::NotFound { looked }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_executor_beside_the_program_or_one_level_up() {
        let root = tempfile::tempdir().unwrap();
        let deps = root.path().join("deps");
        std::fs::create_dir(&deps).unwrap();
        let program = deps.join("some-test");

        let missing = beside(&program).unwrap_err().to_string();
        assert!(
            missing.contains(&deps.join(EXECUTOR_FILE_NAME).display().to_string()),
            "{missing}"
        );
        assert!(missing.contains(&root.path().join(EXECUTOR_FILE_NAME).display().to_string()));
        assert!(missing.contains(EXECUTOR_URI_ENV), "{missing}");

        std::fs::write(root.path().join(EXECUTOR_FILE_NAME), b"up").unwrap();
        assert_eq!(
            beside(&program).unwrap(),
            root.path().join(EXECUTOR_FILE_NAME)
        );
        std::fs::write(deps.join(EXECUTOR_FILE_NAME), b"here").unwrap();
        assert_eq!(beside(&program).unwrap(), deps.join(EXECUTOR_FILE_NAME));
    }
}
