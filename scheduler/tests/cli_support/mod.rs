//! What the `rmesos-submit` tests share: running the built binary,
//! running a Python helper that prints the expected answer as JSON
//! (computed by numpy, pyarrow or boto3 from the same data), and the
//! assertions on its output.

#![allow(dead_code)]

pub mod parquet;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// Python the helpers start with: `encode` (a vector as the CLI's JSON
/// writes it, non-finite numbers as strings) and `stats(x, names=None)`,
/// numpy's eight statistics of the rows `x` (1-D: one column).
const NUMPY_STATS: &str = r#"
import json, sys, warnings
import numpy as np

def encode(values):
    out = []
    for v in np.asarray(values, dtype=np.float64).ravel():
        if np.isnan(v):
            out.append("NaN")
        elif np.isinf(v):
            out.append("Infinity" if v > 0 else "-Infinity")
        else:
            out.append(float(v))
    return out

def stats(x, names=None):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.shape[0] == 0:
        return {"count": 0}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return {
            "count": int(x.shape[0]),
            "mean": encode(x.mean(axis=0)),
            "variance": encode(x.var(axis=0, ddof=1)),
            "num_nonzeros": encode(np.count_nonzero(x, axis=0)),
            "min": encode(np.nanmin(x, axis=0)),
            "max": encode(np.nanmax(x, axis=0)),
            "norm_l1": encode(np.abs(x).sum(axis=0)),
            "norm_l2": encode(np.sqrt((x * x).sum(axis=0))),
            **({"columns": names} if names is not None else {}),
        }
"#;

/// Runs `script` after `NUMPY_STATS` with `python3 -c` and `args`; its
/// stdout as JSON. `what` names the helper in a failure (and what to
/// install).
pub fn python_json(script: &str, args: &[&str], what: &str) -> Value {
    let output = Command::new("python3")
        .arg("-c")
        .arg(format!("{NUMPY_STATS}{script}"))
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{what} failed (pip install -r requirements-dev.txt): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{what} prints JSON: {e}"))
}

/// Runs the built `rmesos-submit` with `args`, no master or log filter
/// from the environment.
pub fn submit(args: &[&str]) -> Output {
    submit_env(args, &[])
}

/// `submit` with extra environment variables.
pub fn submit_env(args: &[&str], env: &[(&str, String)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rmesos-submit"))
        .args(args)
        .env_remove("RMESOS_MASTER")
        .env_remove("RUST_LOG")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("the rmesos-submit binary runs")
}

/// Runs with `--format json`, expects success and one line of JSON.
pub fn submit_json(args: &[&str]) -> Value {
    submit_json_env(args, &[])
}

/// `submit_json` with extra environment variables.
pub fn submit_json_env(args: &[&str], env: &[(&str, String)]) -> Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let output = submit_env(&all, env);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "args {all:?}; stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(stdout.trim_end().lines().count(), 1, "one line: {stdout}");
    serde_json::from_str(&stdout).expect("stdout is JSON")
}

/// Asserts exit 2 and a message naming `path` and each of `needles`.
pub fn assert_bad_input(args: &[&str], path: &Path, needles: &[&str]) {
    let output = submit(args);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
    assert!(output.stdout.is_empty());
    assert!(err.contains(s(path)), "{args:?}: no file name in {err}");
    for needle in needles {
        assert!(err.contains(needle), "{args:?}: no {needle:?} in {err}");
    }
}

/// Equal, or within `relative` of `expected`.
pub fn close(actual: f64, expected: f64, relative: f64) -> bool {
    actual == expected || (actual - expected).abs() <= relative * expected.abs()
}

/// Asserts the JSON vectors `got` and `want` (statistic `name`) have the
/// same length and values: numbers within 1e-9 relative, strings
/// ("NaN", "Infinity") equal.
pub fn assert_vector_close(got: &[Value], want: &[Value], context: &str, name: &str) {
    assert_eq!(got.len(), want.len(), "{context}: {name} length");
    for (j, (g, w)) in got.iter().zip(want).enumerate() {
        let ok = match (g.as_f64(), w.as_f64()) {
            (Some(g), Some(w)) => close(g, w, 1e-9),
            _ => g == w,
        };
        assert!(ok, "{context}: {name}[{j}] = {g}, numpy says {w}");
    }
}

pub fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}
