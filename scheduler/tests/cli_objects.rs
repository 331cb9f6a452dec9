//! Object storage that does not answer: an endpoint that accepts
//! connections and then never sends a byte fails the job with exit 2
//! within a bounded time, with a message naming the URL and the cause,
//! never the secret, for an `s3://` object and a plain `http://` URL.

use std::io::Read;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a job on a silent endpoint may take at most: the answer
/// timeout (15 s) twice, the retry's backoff and the process's start.
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
fn a_silent_endpoint_fails_the_job_in_bounded_time_naming_the_url() {
    let endpoint = silent_endpoint();
    let object = "s3://quiet/table.parquet";
    let plain = format!("{endpoint}/table.parquet");
    let deadline = Instant::now() + DEADLINE;
    // Both at once: each waits out the same timeouts.
    let s3 = spawn_submit(object, &endpoint);
    let http = spawn_submit(&plain, &endpoint);
    for (child, url) in [(s3, object), (http, plain.as_str())] {
        let (code, err) = finish(child, deadline, url);
        assert_eq!(code, Some(2), "{url}: {err}");
        assert!(err.contains(url), "{url}: the message names it: {err}");
        assert!(
            err.contains("did not answer") && err.contains("timed out"),
            "{url}: the message gives the cause: {err}"
        );
        assert!(!err.contains(SECRET), "{url}: the secret leaked: {err}");
        assert!(!err.contains("panicked"), "{url}: {err}");
    }
}
