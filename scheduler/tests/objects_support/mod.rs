//! A real S3-compatible server for tests: `moto_server` (PyPI
//! `moto[server]`, in requirements-dev.txt) started on a free loopback
//! port, stopped by its pid when dropped; objects put into it with boto3.
//! Without `moto_server` on the PATH the tests that need it say so on
//! stderr and pass vacuously (CI installs it).

#![allow(dead_code)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rmesos_common::objects::ObjectAccess;

pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Moto {
    /// Starts moto and waits (up to 30 s) until it answers.
    pub fn start() -> Option<Moto> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(child) = child else {
            eprintln!("SKIPPED: moto_server is not installed (pip install 'moto[server]')");
            return None;
        };
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(moto)
    }

    /// The `AWS_*` variables that point a process at this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "testing-key".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing-secret-do-not-show".into()),
            ("AWS_REGION", "us-east-1".into()),
        ]
    }

    pub fn access(&self) -> ObjectAccess {
        ObjectAccess {
            endpoint: Some(self.endpoint.clone()),
            region: Some("us-east-1".into()),
            access_key_id: Some("testing-key".into()),
            secret_access_key: Some("testing-secret-do-not-show".into()),
            session_token: None,
        }
    }

    /// Runs a Python script with boto3's `s3` client bound to this server
    /// as `s3`, and `args` as `sys.argv[1:]`; returns its stdout.
    pub fn python(&self, script: &str, args: &[&str]) -> Vec<u8> {
        let prelude = "import boto3, sys\ns3 = boto3.client('s3')\n";
        let output = Command::new("python3")
            .arg("-c")
            .arg(format!("{prelude}{script}"))
            .args(args)
            .envs(self.env())
            .output()
            .expect("python3 runs");
        assert!(
            output.status.success(),
            "python with boto3 failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
