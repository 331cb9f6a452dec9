//! One real Mesos daemon (master or agent) run by the harness: its command
//! line, its work and log directory, its output file, SIGKILL by PID; and
//! finding the executor processes an agent's posix launcher left behind
//! (they run with their sandbox, under the agent's work dir, as their
//! working directory, and outlive a killed agent).

use std::fs::{self, File};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A daemon process and where it writes.
#[derive(Debug)]
pub struct Daemon {
    /// `master-0`, `agent-1`, ...
    pub name: String,
    pub port: u16,
    /// Its `--work_dir`; its logs go to `log/` in it.
    pub dir: PathBuf,
    program: PathBuf,
    args: Vec<String>,
    child: Option<Child>,
}

impl Daemon {
    /// A daemon not yet started: `program` with `args`, in `dir`.
    pub fn new(name: String, port: u16, dir: PathBuf, program: PathBuf, args: Vec<String>) -> Self {
        Daemon {
            name,
            port,
            dir,
            program,
            args,
            child: None,
        }
    }

    /// Starts it (again), its stdout and stderr appended to `output.log`.
    pub fn spawn(&mut self) -> std::io::Result<()> {
        fs::create_dir_all(self.dir.join("log"))?;
        let output = File::options()
            .create(true)
            .append(true)
            .open(self.output_path())?;
        let child = Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(output.try_clone()?)
            .stderr(output)
            .spawn()?;
        tracing::debug!(daemon = %self.name, pid = child.id(), port = self.port, "started");
        self.child = Some(child);
        Ok(())
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the process still runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(Child::try_wait), Some(Ok(None)))
    }

    /// SIGKILL, as a crash; reaps it. Nothing when it is not running.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // A failure here means it is gone already.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn output_path(&self) -> PathBuf {
        self.dir.join("output.log")
    }

    /// The last lines of its output and of its Mesos log, for error messages.
    pub fn log_tail(&self) -> String {
        let mut tail = format!("--- {} ({}):\n", self.name, self.output_path().display());
        tail.push_str(&last_lines(&self.output_path(), 15));
        tail
    }

    /// The URL of its HTTP endpoints.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

fn last_lines(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A loopback port nothing listens on now.
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// PIDs of the processes whose working directory is under `dir`: the
/// executors (and their helpers) that agents under `dir` started.
pub fn processes_under(dir: &Path) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let own = std::process::id();
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != own)
        .filter(|pid| {
            fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd.starts_with(dir))
        })
        .collect()
}

/// SIGKILLs every process working under `dir`; returns how many there were.
pub fn kill_processes_under(dir: &Path) -> usize {
    let pids = processes_under(dir);
    for pid in &pids {
        // A process that ended meanwhile makes this fail, which is fine.
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(*pid as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    pids.len()
}
