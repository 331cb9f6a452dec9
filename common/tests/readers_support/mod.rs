//! Shared helpers for the reader tests: running real numpy through
//! `python3`, comparing a reader's summary with numpy's statistics, and
//! building `.npy` bytes by hand for malformed-file cases.

#![allow(dead_code)] // each test file uses a different subset

use std::path::Path;
use std::process::Command;

use rmesos_common::stats::ColumnSummary;
use serde_json::Value;

/// Python source defining `stats(a)`: numpy's column statistics of `a`
/// (1-D arrays are one column) as a dict of lists, on float64 values.
pub const PY_STATS: &str = r#"
import json, sys
import numpy as np

def floats(values):
    # repr strings: exact round trip, and 'nan'/'inf' survive JSON.
    return [repr(float(v)) for v in values]

def stats(a):
    a = np.asarray(a).astype(np.float64)
    if a.ndim == 1:
        a = a.reshape(-1, 1)
    return {
        "count": int(a.shape[0]),
        "mean": floats(a.mean(axis=0)),
        "variance": floats(a.var(axis=0, ddof=1)),
        "num_nonzeros": floats(np.count_nonzero(a, axis=0)),
        "min": floats(a.min(axis=0)),
        "max": floats(a.max(axis=0)),
        "norm_l1": floats(np.abs(a).sum(axis=0)),
        "norm_l2": floats(np.sqrt((a * a).sum(axis=0))),
    }
"#;

/// Runs `script` (after `PY_STATS`) with `python3 -c`, passing `args`, and
/// returns its stdout parsed as JSON. Fails loudly when python3 or numpy
/// is missing: these tests must not pass by skipping.
pub fn run_numpy(script: &str, args: &[&str]) -> Value {
    let source = format!("{PY_STATS}\n{script}");
    let output = Command::new("python3")
        .arg("-c")
        .arg(&source)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "these tests need python3 with numpy on PATH, but python3 could not be started: {e}"
            )
        });
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("No module named 'numpy'") {
        panic!("these tests need numpy: python3 could not import it:\n{stderr}");
    }
    assert!(
        output.status.success(),
        "python3 failed ({}):\n{stderr}",
        output.status
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "python3 printed no JSON ({e}):\n{}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// A JSON number, or a string Python's `repr(float)` wrote (exact, and
/// also "nan", "inf", "-inf").
pub fn json_f64(value: &Value) -> f64 {
    match value {
        Value::Number(n) => n.as_f64().expect("a JSON number"),
        Value::String(s) => s.parse().unwrap_or_else(|_| panic!("not a number: {s}")),
        other => panic!("not a number: {other}"),
    }
}

pub fn json_vec(value: &Value, key: &str) -> Vec<f64> {
    value[key]
        .as_array()
        .unwrap_or_else(|| panic!("no list {key} in {value}"))
        .iter()
        .map(json_f64)
        .collect()
}

/// Tolerance for `got` vs `want`: 1e-9 relative to the larger of the value
/// and the column's root mean square, so a mean near zero of large values
/// is judged against the values' size.
fn close(got: f64, want: f64, scale: f64) -> bool {
    if got.is_nan() || want.is_nan() {
        return got.is_nan() && want.is_nan();
    }
    got == want || (got - want).abs() <= 1e-9 * want.abs().max(scale)
}

/// Asserts that `summary` has numpy's statistics `expected` (a `stats()`
/// dict) to 1e-9 relative; counts, nonzeros, min and max exactly.
pub fn assert_matches_numpy(summary: &ColumnSummary, expected: &Value, context: &str) {
    let stats = summary.finish();
    let count = expected["count"].as_u64().expect("count");
    assert_eq!(stats.count(), count, "{context}: count");
    if count == 0 {
        return;
    }
    let l2 = json_vec(expected, "norm_l2");
    let rms: Vec<f64> = l2.iter().map(|s| s / (count as f64).sqrt()).collect();
    let checks: [(&str, Vec<f64>, bool); 7] = [
        ("mean", stats.mean().expect("mean"), false),
        ("variance", stats.variance().expect("variance"), false),
        ("num_nonzeros", stats.num_nonzeros().expect("nnz"), true),
        ("min", stats.min().expect("min"), true),
        ("max", stats.max().expect("max"), true),
        ("norm_l1", stats.norm_l1().expect("l1"), false),
        ("norm_l2", stats.norm_l2().expect("l2"), false),
    ];
    for (name, got, exact) in checks {
        let want = json_vec(expected, name);
        assert_eq!(got.len(), want.len(), "{context}: {name} length");
        for (j, (&g, &w)) in got.iter().zip(&want).enumerate() {
            // Variance is in squared units: scale by the squared rms.
            let scale = if name == "variance" {
                rms[j] * rms[j]
            } else {
                rms[j]
            };
            let ok = if exact {
                g == w || (g.is_nan() && w.is_nan())
            } else {
                close(g, w, scale)
            };
            assert!(ok, "{context}: {name}[{j}] = {g}, numpy says {w}");
        }
    }
}

/// Asserts two summaries describe the same rows: equal counts, nonzeros,
/// min and max; moments equal up to merge rounding.
pub fn assert_same_rows(got: &ColumnSummary, want: &ColumnSummary, context: &str) {
    let (g, w) = (got.finish(), want.finish());
    assert_eq!(g.count(), w.count(), "{context}: count");
    if w.count() == 0 {
        return;
    }
    assert_eq!(
        g.num_nonzeros().unwrap(),
        w.num_nonzeros().unwrap(),
        "{context}: nonzeros"
    );
    // NaN-aware: an all-NaN column has a NaN min and max either way.
    let same = |a: Vec<f64>, b: Vec<f64>| {
        a.len() == b.len()
            && a.iter()
                .zip(&b)
                .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
    };
    assert!(same(g.min().unwrap(), w.min().unwrap()), "{context}: min");
    assert!(same(g.max().unwrap(), w.max().unwrap()), "{context}: max");
    let moments = [
        (g.mean().unwrap(), w.mean().unwrap(), w.norm_l2().unwrap()),
        (
            g.norm_l1().unwrap(),
            w.norm_l1().unwrap(),
            w.norm_l1().unwrap(),
        ),
        (
            g.norm_l2().unwrap(),
            w.norm_l2().unwrap(),
            w.norm_l2().unwrap(),
        ),
        (
            g.variance().unwrap(),
            w.variance().unwrap(),
            w.norm_l2().unwrap().iter().map(|s| s * s).collect(),
        ),
    ];
    for (got, want, scale) in moments {
        for j in 0..want.len() {
            assert!(
                close(got[j], want[j], scale[j]),
                "{context}: column {j}: {} vs {}",
                got[j],
                want[j]
            );
        }
    }
}

/// A `.npy` file image: magic, version, header length, `dict` padded with
/// spaces and a newline to a 64-byte boundary, then `data`.
pub fn npy_bytes(version: (u8, u8), dict: &str, data: &[u8]) -> Vec<u8> {
    let length_size = if version.0 == 1 { 2 } else { 4 };
    let unpadded = 8 + length_size + dict.len() + 1;
    let padding = (64 - unpadded % 64) % 64;
    let header = format!("{dict}{}\n", " ".repeat(padding));
    let mut out = b"\x93NUMPY".to_vec();
    out.extend_from_slice(&[version.0, version.1]);
    if length_size == 2 {
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

/// `values` as little-endian f64 bytes.
pub fn f64_le_bytes(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Writes `bytes` to `dir/name` and returns the path.
pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write test file");
    path
}
