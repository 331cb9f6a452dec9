//! Secrets on a real cluster run: the framework secret (HTTP Basic against
//! an authenticating master, over https with a private CA: the masters
//! found in ZooKeeper are spoken to with `--master-scheme https`) and the
//! data server's token never reach the logs, and data URLs with a wrong
//! or missing token give nothing.

mod cluster_support;

use std::io::Write;
use std::num::{NonZeroU32, NonZeroUsize};
use std::sync::{Arc, Mutex};

use cluster_support::*;
use rmesos_common::pinned_tls::pinned_client_config;
use rmesos_mesos_sim::Credential;
use rmesos_scheduler::engine::Dataset;
use rmesos_scheduler::settings::SessionSettings;

const SECRET: &str = "s3cret-Value-42";

/// Collects everything logged, at every level.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_secret_or_token_in_logs_and_wrong_tokens_get_nothing() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_env_filter("trace,hyper=info,h2=info,reqwest=debug,zookeeper_client=info")
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let setup = start_sim(2, |c| {
        c.authentication = Some(Credential {
            principal: "analytics".into(),
            secret: SECRET.into(),
        });
        c.master_tls = true;
    })
    .await;
    let ca_file = setup.sim.master_ca_file().expect("the masters speak TLS");
    assert!(setup.sim.master_urls()[0].starts_with("https://"));
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let cluster = connect(
        &setup,
        SessionSettings {
            principal: Some("analytics".into()),
            secret_file: Some(secret_file),
            master_scheme: "https".parse().unwrap(),
            master_ca_file: Some(ca_file.to_owned()),
            ..settings()
        },
    )
    .await;

    let values = rows(1000, 3);
    let dataset = Dataset::in_memory(values.clone(), 3).unwrap();
    let job_plan = dataset
        .plan("secure", NonZeroU32::new(3), NonZeroUsize::MIN)
        .unwrap();
    let stats = cluster
        .run(job_plan, Recorder::default().sink())
        .await
        .expect("job");
    assert_close(&stats, &expected(&values, 3));

    // A channel URL carries the session token as its first path segment.
    let data = cluster.data_server();
    let url = data.expect_executor("probe").expose().to_owned() + "/events";
    let (base, rest) = url.split_at(url.find("//").unwrap() + 2);
    let (host, path) = rest.split_once('/').unwrap();
    let (token, tail) = path.split_once('/').unwrap();
    assert!(token.len() >= 32, "token {} chars", token.len());
    let pin = data
        .certificate_sha256()
        .expect("rows and channels over TLS");
    let client = reqwest::Client::builder()
        .use_preconfigured_tls(pinned_client_config(pin).unwrap())
        .build()
        .unwrap();
    let mut flipped = token.to_owned().into_bytes();
    flipped[0] = if flipped[0] == b'a' { b'b' } else { b'a' };
    let flipped = String::from_utf8(flipped).unwrap();
    for bad in [
        format!("{base}{host}/{tail}"),
        format!("{base}{host}/{flipped}/{tail}"),
        format!("{base}{host}/x{token}/{tail}"),
        format!("{base}{host}/{token}/../{tail}"),
    ] {
        let response = client.get(&bad).send().await.unwrap();
        assert_eq!(response.status(), 404, "{bad}");
        assert!(response.bytes().await.unwrap().is_empty(), "{bad}");
    }
    let response = client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    drop(response);
    data.forget_executor("probe");
    cluster.shutdown().await.expect("teardown");

    let logs = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    assert!(logs.len() > 1000, "something was logged");
    assert!(!logs.contains(SECRET), "the framework secret was logged");
    assert!(!logs.contains(token), "the data server token was logged");
    // The executors' own logs (their sandboxes' stderr) hold neither.
    for stderr in sandbox_logs(setup.sim.work_dir()) {
        let text = std::fs::read_to_string(&stderr).unwrap_or_default();
        assert!(
            !text.contains(token) && !text.contains(SECRET),
            "{}",
            stderr.display()
        );
    }
}
