//! `rmesos-submit` (the built binary, run as a subprocess) on Parquet
//! files written by pyarrow, whose statistics numpy computes from the same
//! table: every numeric type (dictionary-encoded and nullable too; nulls
//! read as NaN), column selection and order, every codec pyarrow writes,
//! and bad input (a non-numeric column asked for, a truncated file) exiting
//! 2 with a message naming the file. Datasets of many files (a directory,
//! a glob): the statistics of all their rows, partitions within files,
//! and files that disagree named. Objects in a real S3-compatible server
//! (moto) and behind a plain HTTP server with `Range` support: the same
//! answers, and errors (no such key, no credentials, 403, no endpoint)
//! that exit 2 naming the URL, never the secret.

mod objects_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

/// Writes a Parquet file with pyarrow and prints numpy's statistics of
/// the columns rmesos should read (as JSON, with their names).
const PYARROW_HELPER: &str = r#"
import decimal, json, sys, warnings
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

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

def stats(x, names):
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

def as_float(column):
    # Nulls become NaN, as rmesos reads them.
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if pa.types.is_decimal(column.type):
        column = column.cast(pa.float64())
    return column.to_numpy(zero_copy_only=False).astype(np.float64)

def mixed(rows, seed):
    rng = np.random.default_rng(seed)
    nulls = rng.random(rows) < 0.1
    return pa.table({
        "price": rng.normal(50, 5, rows),
        "label": pa.array([f"row{i}" for i in range(rows)]),
        "qty": pa.array(rng.integers(-1000, 1000, rows), pa.int32()),
        "big": pa.array(rng.integers(0, 2**63, rows, dtype=np.uint64) + np.uint64(2**63)),
        "flag": pa.array(rng.random(rows) < 0.3),
        "ratio": pa.array(rng.random(rows).astype(np.float32)),
        "maybe": pa.array(np.where(nulls, None, rng.normal(0, 1, rows)).tolist(), pa.float64()),
        "level": pa.array(rng.integers(0, 4, rows), pa.int64()).dictionary_encode(),
        "amount": pa.array([decimal.Decimal(int(v)).scaleb(-2) for v in rng.integers(-10**6, 10**6, rows)],
                           pa.decimal128(12, 2)),
        "when": pa.array(rng.integers(0, 10**15, rows), pa.timestamp("us")),
        "small": pa.array(rng.integers(0, 200, rows), pa.uint8()),
    })

kind, path = sys.argv[1], sys.argv[2]
if kind == "mixed":
    rows, group, codec = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    selection = sys.argv[6].split(",") if len(sys.argv) > 6 else None
    table = mixed(rows, 7)
    pq.write_table(table, path, row_group_size=group, compression=codec)
    table = pq.read_table(path)
    if selection is None:
        selection = [f.name for f in table.schema
                     if f.name not in ("label", "when")]
    x = np.column_stack([as_float(table.column(n).combine_chunks()) for n in selection]) \
        if rows else np.zeros((0, len(selection)))
    print(json.dumps(stats(x, selection)))
elif kind == "many":
    # A directory of parts in three formats, and numpy's statistics of
    # all their rows in name order.
    rng = np.random.default_rng(3)
    parts = [rng.normal(10, 2, size=(n, 3)) for n in (500, 1, 0, 777, 64)]
    names = ["a", "b", "c"]
    for i, x in enumerate(parts):
        stem = f"{path}/part-{i:02d}"
        if i % 3 == 0:
            np.save(stem + ".npy", x)
        elif i % 3 == 1:
            np.savetxt(stem + ".csv", x, fmt="%.17g", delimiter=",")
        else:
            pq.write_table(pa.table({n: x[:, j] for j, n in enumerate(names)}), stem + ".parquet",
                           row_group_size=100)
    open(f"{path}/_SUCCESS", "w").close()
    all_rows = np.concatenate(parts)
    print(json.dumps(stats(all_rows, None)))
else:
    sys.exit(f"unknown kind {kind}")
"#;

fn pyarrow(args: &[&str]) -> Value {
    let output = Command::new("python3")
        .arg("-c")
        .arg(PYARROW_HELPER)
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "pyarrow helper failed (pip install -r requirements-dev.txt): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("pyarrow helper prints JSON")
}

fn submit(args: &[&str]) -> Output {
    submit_env(args, &[])
}

fn submit_env(args: &[&str], env: &[(&str, String)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rmesos-submit"))
        .args(args)
        .env_remove("RMESOS_MASTER")
        .env_remove("RUST_LOG")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("the rmesos-submit binary runs")
}

fn submit_json(args: &[&str]) -> Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let output = submit(&all);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "args {all:?}; stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&stdout).expect("stdout is JSON")
}

fn close(actual: f64, expected: f64) -> bool {
    actual == expected || (actual - expected).abs() <= 1e-9 * expected.abs()
}

/// Same keys, same column names, numbers within 1e-9 relative.
fn assert_matches(actual: &Value, expected: &Value, context: &str) {
    let keys = |v: &Value| v.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>());
    assert_eq!(keys(actual), keys(expected), "{context}: keys");
    assert_eq!(actual["count"], expected["count"], "{context}: count");
    assert_eq!(actual["columns"], expected["columns"], "{context}: columns");
    for (name, want) in expected.as_object().into_iter().flatten() {
        let (Some(got), Some(want)) = (actual[name].as_array(), want.as_array()) else {
            continue;
        };
        if name == "columns" {
            continue;
        }
        assert_eq!(got.len(), want.len(), "{context}: {name} length");
        for (j, (g, w)) in got.iter().zip(want).enumerate() {
            let ok = match (g.as_f64(), w.as_f64()) {
                (Some(g), Some(w)) => close(g, w),
                _ => g == w,
            };
            assert!(ok, "{context}: {name}[{j}] = {g}, numpy says {w}");
        }
    }
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn dir() -> TempDir {
    tempfile::tempdir().unwrap()
}

fn file(dir: &TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

#[test]
fn every_numeric_type_matches_numpy_on_every_partitioning() {
    let dir = dir();
    let path = file(&dir, "mixed.parquet");
    let expected = pyarrow(&["mixed", s(&path), "5000", "700", "snappy"]);
    for args in [
        vec!["--master", "local"],
        vec!["--master", "local[2]", "--partitions", "3"],
        vec!["--master", "local[3]", "--partitions", "100"],
        vec!["--master", "local[*]", "--partitions", "1"],
    ] {
        let mut all = args.clone();
        all.push(s(&path));
        assert_matches(&submit_json(&all), &expected, &format!("{args:?}"));
    }
}

#[test]
fn columns_are_chosen_and_ordered_by_name() {
    let dir = dir();
    let path = file(&dir, "mixed.parquet");
    let expected = pyarrow(&[
        "mixed",
        s(&path),
        "3000",
        "1000",
        "zstd",
        "small,maybe,price,qty",
    ]);
    let actual = submit_json(&["--columns", "small,maybe,price,qty", s(&path)]);
    assert_matches(&actual, &expected, "--columns");
    let table = submit(&["--columns", "small,maybe,price,qty", s(&path)]);
    let text = String::from_utf8_lossy(&table.stdout);
    let first_cells: Vec<&str> = text
        .lines()
        .skip(2)
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert_eq!(first_cells, ["small", "maybe", "price", "qty"], "{text}");
}

#[test]
fn every_codec_pyarrow_writes_is_read() {
    let dir = dir();
    for codec in ["none", "snappy", "gzip", "zstd", "lz4", "brotli"] {
        let path = file(&dir, &format!("{codec}.parquet"));
        let expected = pyarrow(&[
            "mixed",
            s(&path),
            "2000",
            "600",
            codec,
            "price,level,amount",
        ]);
        let output = submit(&[
            "--format",
            "json",
            "--columns",
            "price,level,amount",
            s(&path),
        ]);
        if codec == "brotli" {
            // Not compiled in (compile time): refused, naming the file.
            let err = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{err}");
            assert!(
                err.contains(s(&path)) && err.to_lowercase().contains("brotli"),
                "{err}"
            );
            continue;
        }
        let actual: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
            panic!("{codec}: {}", String::from_utf8_lossy(&output.stderr));
        });
        assert_matches(&actual, &expected, codec);
    }
}

/// Asserts exit 2 and a message naming `path` and each of `needles`.
fn assert_bad_input(args: &[&str], path: &Path, needles: &[&str]) {
    let output = submit(args);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
    assert!(output.stdout.is_empty());
    assert!(err.contains(s(path)), "{args:?}: no file name in {err}");
    for needle in needles {
        assert!(err.contains(needle), "{args:?}: no {needle:?} in {err}");
    }
}

#[test]
fn bad_columns_and_bad_files_exit_2_naming_the_file() {
    let dir = dir();
    let path = file(&dir, "mixed.parquet");
    pyarrow(&["mixed", s(&path), "2000", "500", "snappy"]);
    assert_bad_input(
        &["--columns", "price,label", s(&path)],
        &path,
        &["'label'", "text"],
    );
    assert_bad_input(
        &["--columns", "when", s(&path)],
        &path,
        &["'when'", "timestamp"],
    );
    assert_bad_input(
        &["--columns", "nope", s(&path)],
        &path,
        &["'nope'", "price"],
    );
    let bytes = std::fs::read(&path).unwrap();
    let truncated = file(&dir, "truncated.parquet");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    assert_bad_input(&[s(&truncated)], &truncated, &["not a valid Parquet file"]);
    let garbage = file(&dir, "garbage.parquet");
    std::fs::write(&garbage, b"PAR1 this is not parquet at all PAR1").unwrap();
    assert_bad_input(&[s(&garbage)], &garbage, &["not a valid Parquet file"]);
    // Damage inside the data (the footer intact): still exit 2, never a panic.
    let mut damaged = bytes.clone();
    for byte in damaged.iter_mut().skip(200).step_by(97).take(400) {
        *byte ^= 0x5a;
    }
    let damaged_path = file(&dir, "damaged.parquet");
    std::fs::write(&damaged_path, &damaged).unwrap();
    let output = submit(&["--columns", "price,qty", s(&damaged_path)]);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains(s(&damaged_path)) && !err.contains("panicked"),
        "{err}"
    );
    let npy_columns = submit(&["--columns", "a", "x.npy"]);
    assert_eq!(npy_columns.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&npy_columns.stderr).contains("Parquet input only"));
}

#[test]
fn skipped_columns_are_named_on_stderr() {
    let dir = dir();
    let path = file(&dir, "mixed.parquet");
    pyarrow(&["mixed", s(&path), "100", "100", "snappy"]);
    let output = submit(&[s(&path)]);
    assert_eq!(output.status.code(), Some(0));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("skipped") && err.contains("label, when"),
        "{err}"
    );
}

#[test]
fn an_empty_file_has_count_zero() {
    let dir = dir();
    let path = file(&dir, "empty.parquet");
    let expected = pyarrow(&["mixed", s(&path), "0", "100", "snappy", "price"]);
    assert_eq!(expected, serde_json::json!({"count": 0}));
    assert_eq!(submit_json(&[s(&path)]), expected);
}

#[test]
fn a_directory_and_a_glob_are_one_dataset_of_their_files() {
    let dir = dir();
    let expected = pyarrow(&["many", s(dir.path())]);
    for args in [
        vec!["--master", "local"],
        vec!["--master", "local[3]", "--partitions", "2"],
        vec!["--master", "local[2]", "--partitions", "40"],
    ] {
        let mut all = args.clone();
        all.push(s(dir.path()));
        assert_matches(&submit_json(&all), &expected, &format!("{args:?}"));
    }
    // The glob takes the .npy parts only: compare with those alone.
    let pattern = dir.path().join("part-*.npy");
    let glob = submit_json(&[s(&pattern)]);
    let parts: u64 = [0usize, 3]
        .iter()
        .map(|i| {
            let path = dir.path().join(format!("part-{i:02}.npy"));
            submit_json(&[s(&path)])["count"].as_u64().unwrap()
        })
        .sum();
    assert_eq!(glob["count"].as_u64(), Some(parts));
}

#[test]
fn partitions_never_straddle_files() {
    use rmesos_common::partition::PartitionSource;
    use rmesos_scheduler::engine::{CsvChoices, Dataset, PartitionWork};
    let dir = dir();
    pyarrow(&["many", s(dir.path())]);
    let dataset = Dataset::open_columns(dir.path(), CsvChoices::default(), None).unwrap();
    for wanted in [1u32, 3, 9, 50] {
        let plan = dataset
            .plan(
                "files",
                std::num::NonZeroU32::new(wanted),
                std::num::NonZeroUsize::MIN,
            )
            .unwrap();
        let mut files = Vec::new();
        for partition in plan.partitions() {
            let PartitionWork::File(source) = &partition.work else {
                panic!("a file dataset planned rows in memory");
            };
            let path = source.path().unwrap().to_path_buf();
            if let PartitionSource::NpyRows { rows, .. } = source {
                assert!(rows.end >= rows.start);
            }
            if files.last() != Some(&path) {
                assert!(
                    !files.contains(&path),
                    "{path:?} comes back after another file"
                );
                files.push(path);
            }
        }
        assert_eq!(
            files.len(),
            5,
            "every file has a partition of its own: {files:?}"
        );
    }
}

#[test]
fn files_that_differ_are_named() {
    let dir = dir();
    pyarrow(&["many", s(dir.path())]);
    let odd = dir.path().join("part-03b.csv");
    std::fs::write(&odd, "1,2\n3,4\n").unwrap();
    assert_bad_input(&[s(dir.path())], &odd, &["2 columns", "part-00.npy has 3"]);
    std::fs::remove_file(&odd).unwrap();
    let renamed = dir.path().join("part-99.parquet");
    pyarrow(&[
        "mixed",
        s(&renamed),
        "10",
        "10",
        "snappy",
        "price,qty,small",
    ]);
    assert_bad_input(
        &["--columns", "a,b,c", s(dir.path())],
        dir.path(),
        &["Parquet input only"],
    );
    let only_parquet = dir.path().join("part-*.parquet");
    assert_bad_input(&[s(&only_parquet)], &renamed, &["part-02.parquet has"]);
    let empty = tempfile::tempdir().unwrap();
    assert_bad_input(
        &[s(empty.path())],
        empty.path(),
        &["no .npy, .csv or .parquet files"],
    );
}

/// Uploads local files to bucket `data` (argv: path key ...).
const UPLOAD: &str = r#"
try:
    s3.create_bucket(Bucket="data")
except s3.exceptions.BucketAlreadyOwnedByYou:
    pass
args = sys.argv[1:]
for path, key in zip(args[::2], args[1::2]):
    s3.upload_file(path, "data", key)
"#;

#[test]
fn objects_in_s3_read_like_local_files() {
    let Some(moto) = objects_support::Moto::start() else {
        return;
    };
    let dir = dir();
    let path = file(&dir, "mixed.parquet");
    let expected = pyarrow(&["mixed", s(&path), "4000", "900", "snappy", "small,price"]);
    let parts = dir.path().join("parts");
    std::fs::create_dir(&parts).unwrap();
    let parts_expected = pyarrow(&["many", s(&parts)]);
    let mut upload = vec![s(&path).to_owned(), "tables/mixed.parquet".to_owned()];
    for entry in std::fs::read_dir(&parts).unwrap() {
        let entry = entry.unwrap().path();
        let name = entry.file_name().unwrap().to_str().unwrap().to_owned();
        upload.extend([s(&entry).to_owned(), format!("parts/{name}")]);
    }
    let upload: Vec<&str> = upload.iter().map(String::as_str).collect();
    moto.python(UPLOAD, &upload);
    let env = moto.env();
    let json = |args: &[&str]| {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let output = submit_env(&all, &env);
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {err}");
        serde_json::from_slice::<Value>(&output.stdout).unwrap()
    };
    let url = "s3://data/tables/mixed.parquet";
    for partitions in ["1", "3"] {
        let actual = json(&["--columns", "small,price", "--partitions", partitions, url]);
        assert_matches(&actual, &expected, url);
    }
    // A prefix is one dataset of its objects (npy, csv and Parquet parts).
    assert_matches(
        &json(&["--master", "local[2]", "s3://data/parts/"]),
        &parts_expected,
        "prefix",
    );
}

#[test]
fn object_errors_exit_2_naming_the_url_never_the_secret() {
    let Some(moto) = objects_support::Moto::start() else {
        return;
    };
    let dir = dir();
    let path = file(&dir, "mixed.parquet");
    pyarrow(&["mixed", s(&path), "100", "100", "snappy", "price"]);
    moto.python(UPLOAD, &[s(&path), "t.parquet"]);
    let env = moto.env();
    let secret = "testing-secret-do-not-show";
    let refused = |args: &[&str], env: &[(&str, String)], needles: &[&str]| {
        let output = submit_env(args, env);
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.contains(secret) && !err.contains("panicked"), "{err}");
        for needle in needles {
            assert!(err.contains(needle), "{args:?}: no {needle:?} in {err}");
        }
    };
    refused(
        &["s3://data/absent.parquet"],
        &env,
        &["s3://data/absent.parquet", "no such object"],
    );
    refused(
        &["s3://nobucket/t.parquet"],
        &env,
        &["s3://nobucket/t.parquet", "no such"],
    );
    let no_keys: Vec<_> = env
        .iter()
        .filter(|(k, _)| !k.contains("KEY"))
        .cloned()
        .chain([("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent".to_owned())])
        .collect();
    refused(
        &["s3://data/t.parquet"],
        &no_keys,
        &["s3://data/t.parquet", "AWS_ACCESS_KEY_ID"],
    );
    // moto answers an unsigned GET with 403.
    let plain = format!("{}/data/t.parquet", moto.endpoint);
    refused(&[&plain], &env, &[&plain, "access denied", "403"]);
    let closed = TcpListenerPort::closed();
    let nowhere: Vec<_> = env
        .iter()
        .map(|(k, v)| match *k {
            "AWS_ENDPOINT_URL" => (*k, format!("http://127.0.0.1:{closed}")),
            _ => (*k, v.clone()),
        })
        .collect();
    refused(&["s3://data/t.parquet"], &nowhere, &["s3://data/t.parquet"]);
    // A truncated object is a bad Parquet file, named by its URL.
    let bytes = std::fs::read(&path).unwrap();
    let cut = file(&dir, "cut.parquet");
    std::fs::write(&cut, &bytes[..bytes.len() - 50]).unwrap();
    moto.python(UPLOAD, &[s(&cut), "cut.parquet"]);
    refused(
        &["s3://data/cut.parquet"],
        &env,
        &["s3://data/cut.parquet", "not a valid Parquet file"],
    );
}

/// A loopback port nothing listens on (bound, then released).
struct TcpListenerPort;

impl TcpListenerPort {
    fn closed() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }
}

/// A plain HTTP server with `Range` support (what any static file server
/// or CDN offers), serving argv[1] on an ephemeral port printed first.
const RANGE_SERVER: &str = r#"
import http.server, os, re, sys
root = sys.argv[1]
class Ranged(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass
    def send_file(self, body_wanted):
        path = os.path.join(root, self.path.lstrip("/"))
        if not os.path.isfile(path):
            self.send_error(404)
            return
        data = open(path, "rb").read()
        match = re.match(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if match:
            start = int(match.group(1))
            end = int(match.group(2)) + 1 if match.group(2) else len(data)
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
            data = data[start:end]
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body_wanted:
            self.wfile.write(data)
    def do_GET(self):
        self.send_file(True)
    def do_HEAD(self):
        self.send_file(False)
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ranged)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

#[test]
fn a_plain_http_url_with_range_support_is_read_by_ranges() {
    use std::io::BufRead;
    let dir = dir();
    let path = file(&dir, "mixed.parquet");
    let expected = pyarrow(&["mixed", s(&path), "3000", "500", "zstd", "qty,ratio"]);
    let mut server = Command::new("python3")
        .args(["-c", RANGE_SERVER, s(dir.path())])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut line = String::new();
    std::io::BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = format!("http://127.0.0.1:{}/mixed.parquet", line.trim());
    let actual = submit_json(&["--columns", "qty,ratio", "--partitions", "4", &url]);
    let missing = submit(&[&format!("http://127.0.0.1:{}/absent.parquet", line.trim())]);
    let _ = server.kill();
    let _ = server.wait();
    assert_matches(&actual, &expected, &url);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("absent.parquet"));
}
