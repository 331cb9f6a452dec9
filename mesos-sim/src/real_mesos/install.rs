//! Where the real Apache Mesos binaries are: `RMESOS_TEST_MESOS_HOME`, or
//! the project's `../shared/mesos/install.sh` (idempotent; it prints the
//! install directory last). When neither is there, the reason is returned
//! so that tests can say loudly why they skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The variable naming an installed Mesos (with `bin/mesos-master`).
pub const MESOS_HOME_VARIABLE: &str = "RMESOS_TEST_MESOS_HOME";

/// The installer, relative to the workspace root.
const INSTALLER: &str = "../shared/mesos/install.sh";

/// The directory of an installed Mesos 1.12, or why there is none.
pub fn mesos_home() -> Result<PathBuf, String> {
    if let Some(home) = std::env::var_os(MESOS_HOME_VARIABLE).filter(|h| !h.is_empty()) {
        let home = PathBuf::from(home);
        return check_home(&home).map(|()| home);
    }
    let installer = workspace_root().join(INSTALLER);
    if !installer.is_file() {
        return Err(format!(
            "{MESOS_HOME_VARIABLE} is not set and {} does not exist",
            installer.display()
        ));
    }
    let output = Command::new("bash")
        .arg(&installer)
        .output()
        .map_err(|e| format!("running {}: {e}", installer.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} failed ({}): {}",
            installer.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let home = PathBuf::from(stdout.lines().last().unwrap_or_default().trim());
    check_home(&home).map(|()| home)
}

fn check_home(home: &Path) -> Result<(), String> {
    for binary in [
        "bin/mesos-master",
        "bin/mesos-agent",
        "libexec/mesos-fetcher",
    ] {
        if !home.join(binary).is_file() {
            return Err(format!("{} has no {binary}", home.display()));
        }
    }
    Ok(())
}

/// The workspace root: this crate's parent directory.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}
