//! Helpers for the tests on real Apache Mesos: a cluster from the shared
//! harness (or a loud skip when real Mesos is not installed), one cluster
//! at a time, `rmesos-submit` as a child process, reading the leading
//! master's state, and an independent reference for the statistics.

#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use rmesos_mesos_sim::real_mesos::{RealMesos, RealMesosConfig, install};
use serde_json::Value;

/// Long enough for an -O0 Mesos on a busy 2-core machine.
pub const WAIT: Duration = Duration::from_secs(120);

/// Set by `scripts/test.sh` once it installed real Mesos: a skip is then a
/// failure, not a warning.
const REQUIRED_VARIABLE: &str = "RMESOS_TEST_REQUIRE_REAL_MESOS";

/// Real clusters are heavy: the tests of this binary take turns.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A real cluster for one test, held with the turn it runs in.
pub struct Turn {
    pub mesos: RealMesos,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

/// Starts real Mesos shaped by `config`, or says loudly why it cannot and
/// returns `None` (a failure when real Mesos is required).
pub async fn real_mesos(test: &str, config: RealMesosConfig) -> Option<Turn> {
    if let Err(why) = install::mesos_home() {
        assert!(
            std::env::var_os(REQUIRED_VARIABLE).is_none(),
            "{test}: real Mesos is required ({REQUIRED_VARIABLE} is set) but not available: {why}"
        );
        // Straight to stderr: the test harness captures `eprintln!` of
        // passing tests, and a skip must be seen.
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIPPED {test}: real Apache Mesos is not available: {why} ***\n"
        );
        return None;
    }
    let turn = ONE_AT_A_TIME.lock().await;
    let mesos = RealMesos::start(config)
        .await
        .unwrap_or_else(|e| panic!("{test}: real Mesos did not start: {e:#}"));
    Some(Turn { mesos, _turn: turn })
}

/// `rmesos-submit` with `args`, JSON output, its data server on loopback.
pub fn submit_command(master: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rmesos-submit"));
    if !args.contains(&"--job-timeout") {
        // A job that hangs (as every job did before the status UUID was
        // valid) fails the test instead of hanging it.
        command.args(["--job-timeout", "300"]);
    }
    command
        .args(["--master", master, "--format", "json"])
        .args(["--data-bind", "127.0.0.1:0", "--ui-bind", "off"])
        .args(args)
        .env_remove("RMESOS_MASTER")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs `rmesos-submit` to its end.
pub async fn submit(master: &str, args: &[&str]) -> Output {
    let mut command = submit_command(master, args);
    tokio::task::spawn_blocking(move || command.output().expect("rmesos-submit runs"))
        .await
        .expect("no panic")
}

/// Starts `rmesos-submit` in the background.
pub fn spawn_submit(master: &str, args: &[&str]) -> RunningSubmit {
    // Its log goes to a file: a pipe nobody reads while the test works
    // (probing the data server, say) would fill and stop the process.
    let stderr = tempfile::NamedTempFile::new().expect("a file for its log");
    let child = submit_command(master, args)
        .stderr(stderr.reopen().expect("the log file"))
        .spawn()
        .expect("rmesos-submit starts");
    RunningSubmit { child, stderr }
}

/// An `rmesos-submit` running in the background, its stderr in a file.
pub struct RunningSubmit {
    pub child: Child,
    stderr: tempfile::NamedTempFile,
}

impl RunningSubmit {
    /// Waits for the end: its status, stdout and stderr.
    pub async fn output(self) -> Output {
        let RunningSubmit { child, stderr } = self;
        let mut output = tokio::task::spawn_blocking(move || child.wait_with_output())
            .await
            .expect("no panic")
            .expect("rmesos-submit ends");
        output.stderr = std::fs::read(stderr.path()).unwrap_or_default();
        output
    }
}

/// Starts `rmesos-submit --name name args...` and returns once Mesos shows
/// a task of its framework running, with the master's state then.
pub async fn spawn_running(mesos: &RealMesos, name: &str, args: &[&str]) -> (RunningSubmit, Value) {
    let mut all = vec!["--name", name];
    all.extend_from_slice(args);
    let child = spawn_submit(&mesos.zk_url(), &all);
    let state = mesos
        .wait_for_state("a task of the job running", WAIT, |s| {
            tasks_in(s, name, "TASK_RUNNING") > 0
        })
        .await
        .unwrap();
    (child, state)
}

/// The JSON an `rmesos-submit` printed, after checking it exited 0.
pub fn success_json(output: &Output) -> Value {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "rmesos-submit failed:\n{stderr}"
    );
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

/// The framework named `name` in `state` (`/master/state` or
/// `/master/frameworks`), active or completed.
pub fn framework<'a>(state: &'a Value, name: &str) -> Option<&'a Value> {
    ["frameworks", "completed_frameworks"]
        .iter()
        .filter_map(|key| state[*key].as_array())
        .flatten()
        .find(|f| f["name"] == name)
}

/// Whether the framework named `name` is among the completed ones.
pub fn completed(state: &Value, name: &str) -> bool {
    state["completed_frameworks"]
        .as_array()
        .is_some_and(|all| all.iter().any(|f| f["name"] == name))
}

/// How many of the framework's tasks are in `task_state`.
pub fn tasks_in(state: &Value, name: &str, task_state: &str) -> usize {
    framework(state, name)
        .and_then(|f| f["tasks"].as_array())
        .map_or(0, |tasks| {
            tasks.iter().filter(|t| t["state"] == task_state).count()
        })
}

/// Waits until no executor runs in any agent's sandbox.
pub async fn wait_for_no_executors(mesos: &RealMesos, timeout: Duration) {
    let started = Instant::now();
    loop {
        let left = mesos.executor_pids();
        if left.is_empty() {
            return;
        }
        assert!(
            started.elapsed() < timeout,
            "executors still running after {timeout:?}: pids {left:?}\n{}",
            mesos.log_tails()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `nrows` x `ncols` well-conditioned values, row-major.
pub fn rows(nrows: usize, ncols: usize) -> Vec<f64> {
    (0..nrows * ncols)
        .map(|i| {
            let (r, c) = ((i / ncols) as f64, (i % ncols) as f64);
            (r * 0.618 + c).sin() * 100.0 + c * 10.0
        })
        .collect()
}

pub fn write_npy(path: &Path, values: &[f64], ncols: usize) {
    rmesos_common::readers::write_npy_f64(path, values, ncols).expect("write .npy");
}

/// The statistics the JSON must show, by the textbook two-pass formulas
/// (independent of the kernel under test).
pub fn reference(values: &[f64], ncols: usize) -> Value {
    let n = values.len() / ncols;
    let column = |c: usize| values.iter().skip(c).step_by(ncols).copied();
    let per_column = |f: &dyn Fn(usize) -> f64| (0..ncols).map(f).collect::<Vec<f64>>();
    let mean = per_column(&|c| column(c).sum::<f64>() / n as f64);
    serde_json::json!({
        "count": n,
        "variance": per_column(&|c| column(c).map(|x| (x - mean[c]).powi(2)).sum::<f64>() / (n as f64 - 1.0)),
        "mean": mean,
        "num_nonzeros": per_column(&|c| column(c).filter(|x| *x != 0.0).count() as f64),
        "min": per_column(&|c| column(c).fold(f64::INFINITY, f64::min)),
        "max": per_column(&|c| column(c).fold(f64::NEG_INFINITY, f64::max)),
        "norm_l1": per_column(&|c| column(c).map(f64::abs).sum()),
        "norm_l2": per_column(&|c| column(c).map(|x| x * x).sum::<f64>().sqrt()),
    })
}

/// Every statistic of `got` within 1e-9 relative of `want`.
pub fn assert_matches(got: &Value, want: &Value) {
    assert_eq!(got["count"], want["count"], "count");
    for key in [
        "mean",
        "variance",
        "num_nonzeros",
        "min",
        "max",
        "norm_l1",
        "norm_l2",
    ] {
        let (g, w) = (
            got[key].as_array().expect(key),
            want[key].as_array().expect(key),
        );
        assert_eq!(g.len(), w.len(), "{key} length");
        for (i, (g, w)) in g.iter().zip(w).enumerate() {
            let (g, w) = (g.as_f64().expect(key), w.as_f64().expect(key));
            assert!(
                (g - w).abs() <= 1e-9 * w.abs().max(1e-300),
                "{key}[{i}]: got {g}, want {w}"
            );
        }
    }
}
