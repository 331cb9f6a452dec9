//! `rmesos-submit` on objects: Parquet, `.npy` and `.csv` in a real
//! S3-compatible server (moto) and behind a plain HTTP server with `Range`
//! support give the same answers as the local files (numpy's, from the
//! pyarrow helper), and errors (no such key or bucket, no credentials,
//! 403, no endpoint, a truncated object) exit 2 naming the URL, never the
//! secret; transient failures are retried; an endpoint that accepts and
//! never answers, or never accepts, fails the job within a bounded time.

mod cli_support;
mod objects_support;

use std::io::Read;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use cli_support::parquet::{assert_matches, pyarrow};
use cli_support::{s, submit, submit_env, submit_json};

fn dir() -> TempDir {
    tempfile::tempdir().unwrap()
}

fn file(dir: &TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
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
/// With argv[2] = a file name, it is flaky: the first request for each
/// (method, path, range) gets a 503, the second a connection closed with
/// no answer, the third the bytes; each failure is counted in that file.
const RANGE_SERVER: &str = r#"
import http.server, os, re, sys, threading
root = sys.argv[1]
flaky = sys.argv[2] if len(sys.argv) > 2 else None
tries, failures, lock = {}, [0], threading.Lock()
class Ranged(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass
    def flake(self):
        if not flaky:
            return False
        key = (self.command, self.path, self.headers.get("Range"))
        with lock:
            tries[key] = tries.get(key, 0) + 1
            attempt = tries[key]
            if attempt <= 2:
                failures[0] += 1
                open(flaky, "w").write(str(failures[0]))
        if attempt == 1:
            self.send_error(503)
            return True
        if attempt == 2:
            self.close_connection = True
            self.connection.shutdown(2)
            return True
        return False
    def send_file(self, body_wanted):
        if self.flake():
            return
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

/// `RANGE_SERVER` serving `root` (flaky when `failures` names a file),
/// killed when dropped.
struct RangeServer {
    child: std::process::Child,
    port: String,
}

impl RangeServer {
    fn start(root: &std::path::Path, failures: Option<&std::path::Path>) -> RangeServer {
        use std::io::BufRead;
        let mut child = Command::new("python3")
            .args(["-c", RANGE_SERVER, s(root)])
            .args(failures.map(s))
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        RangeServer {
            child,
            port: line.trim().to_owned(),
        }
    }

    fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for RangeServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_plain_http_url_with_range_support_is_read_by_ranges() {
    let dir = dir();
    let path = file(&dir, "mixed.parquet");
    let expected = pyarrow(&["mixed", s(&path), "3000", "500", "zstd", "qty,ratio"]);
    let server = RangeServer::start(dir.path(), None);
    let url = server.url("mixed.parquet");
    let actual = submit_json(&["--columns", "qty,ratio", "--partitions", "4", &url]);
    assert_matches(&actual, &expected, &url);
    let missing = submit(&[&server.url("absent.parquet")]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("absent.parquet"));
}

#[test]
fn a_503_and_a_dropped_connection_are_retried_inside_the_task() {
    let dir = dir();
    let path = file(&dir, "mixed.parquet");
    let expected = pyarrow(&["mixed", s(&path), "3000", "500", "snappy", "qty,ratio"]);
    let failures = file(&dir, "failures");
    let server = RangeServer::start(dir.path(), Some(&failures));
    let url = server.url("mixed.parquet");
    let actual = submit_json(&["--columns", "qty,ratio", "--partitions", "3", &url]);
    assert_matches(&actual, &expected, &url);
    let failed: u32 = std::fs::read_to_string(&failures)
        .expect("the server failed some requests")
        .parse()
        .unwrap();
    assert!(failed >= 2, "only {failed} requests failed");
}

/// How long a job on a silent endpoint may take at most: the answer
/// timeout (15 s) twice, the retry's backoff and the process's start (the
/// connect timeout, 10 s, is shorter).
const DEADLINE: Duration = Duration::from_secs(90);

const SECRET: &str = "silent-endpoint-secret-never-shown";

/// A loopback endpoint that accepts every connection and holds it open
/// without answering; its URL.
fn silent_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    format!("http://127.0.0.1:{port}")
}

/// A loopback endpoint whose listener never accepts and whose queue of
/// pending connections is full, so a new connection is never completed
/// (the kernel drops its SYNs); its URL. The listener and the connections
/// that fill its queue live as long as the test process.
fn unaccepting_endpoint() -> String {
    use socket2::{Domain, Socket, Type};
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    listener
        .bind(
            &"127.0.0.1:0"
                .parse::<std::net::SocketAddr>()
                .unwrap()
                .into(),
        )
        .unwrap();
    listener.listen(0).unwrap();
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    let mut queued = Vec::new();
    // Connect until a connection is no longer completed: the queue is full.
    while let Ok(stream) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(500)) {
        queued.push(stream);
        assert!(queued.len() < 64, "the listen queue never filled");
    }
    std::mem::forget((listener, queued));
    format!("http://127.0.0.1:{}", addr.port())
}

fn spawn_submit(input: &str, endpoint: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_rmesos-submit"))
        .args(["--master", "local[1]", input])
        .env_remove("RMESOS_MASTER")
        .env_remove("RUST_LOG")
        .env_remove("AWS_PROFILE")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "silent-key-id")
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_REGION", "us-east-1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the rmesos-submit binary runs")
}

/// Waits for `child` until `deadline`; its exit code and stderr, or a
/// failure naming `what` when it is still running then.
fn finish(mut child: Child, deadline: Instant, what: &str) -> (Option<i32>, String) {
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            return (status.code(), err);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still waiting on a silent endpoint after {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_silent_or_unaccepting_endpoint_fails_the_job_in_bounded_time_naming_the_url() {
    let object = "s3://quiet/table.parquet";
    let deadline = Instant::now() + DEADLINE;
    // All at once: each waits out the same timeouts.
    let mut jobs = Vec::new();
    for endpoint in [silent_endpoint(), unaccepting_endpoint()] {
        let plain = format!("{endpoint}/table.parquet");
        jobs.push((
            spawn_submit(object, &endpoint),
            format!("{object} at {endpoint}"),
            object.to_owned(),
        ));
        jobs.push((spawn_submit(&plain, &endpoint), plain.clone(), plain));
    }
    for (child, what, url) in jobs {
        let (code, err) = finish(child, deadline, &what);
        assert_eq!(code, Some(2), "{what}: {err}");
        assert!(err.contains(&url), "{what}: the message names it: {err}");
        assert!(
            err.contains("did not answer") && err.contains("timed out"),
            "{what}: the message gives the cause: {err}"
        );
        assert!(!err.contains(SECRET), "{what}: the secret leaked: {err}");
        assert!(!err.contains("panicked"), "{what}: {err}");
    }
}
