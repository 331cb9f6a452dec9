//! The status page in a real browser: headless Chromium (Debian's
//! `chromium`; scripts/test.sh installs it) loads the page of a session on
//! the simulated cluster while a job runs, and the DOM it renders must show
//! the framework id, the job, its `running` state and its partitions done.
//! The one agent fits one partition slot and every partition waits a
//! second in the executor (the test fault `RMESOS_TEST_PARTITION_DELAY_MS`),
//! so the job runs for minutes unless cancelled: Chromium's start-up
//! cannot outlast it.

mod cluster_support;

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cluster_support::*;
use rmesos_scheduler::engine::JobError;

const PARTITIONS: u32 = 240;
/// Each partition's wait in the executor: the job takes `PARTITIONS`
/// seconds, well over `BROWSER_TIMEOUT`.
const PARTITION_DELAY_MS: u64 = 1000;
const JOB: &str = "ui-browser-job";
/// Longest wait for Chromium to dump the DOM.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(90);

/// `chromium` on the PATH, or a failure that says how to get it.
fn chromium() -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("chromium"))
            .find(|candidate| candidate.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "chromium is not installed, and this test loads the status page in it: \
             install Debian's package (apt-get install -y chromium), as scripts/test.sh does"
        )
    })
}

/// The DOM Chromium renders for `url`, headless, within `BROWSER_TIMEOUT`.
fn dump_dom(url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--dump-dom", url])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    // Read both pipes on threads so that neither fills up and blocks it.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + BROWSER_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for chromium") {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (dom, log) = (out.join().unwrap(), err.join().unwrap());
    let tail: String = log.lines().rev().take(20).collect::<Vec<_>>().join("\n");
    match status {
        Some(status) if status.success() => dom,
        Some(status) => panic!("chromium failed ({status}); its last lines (reversed):\n{tail}"),
        None => panic!(
            "chromium did not finish within {BROWSER_TIMEOUT:?}; last lines (reversed):\n{tail}"
        ),
    }
}

/// The text of the first `<td class="partitions num">` cell: `done / total`.
fn partitions_cell(dom: &str) -> (u32, u32) {
    let start = dom
        .find("<td class=\"partitions num\">")
        .map(|i| i + "<td class=\"partitions num\">".len())
        .unwrap_or_else(|| panic!("no partitions cell in the DOM:\n{dom}"));
    let cell = &dom[start..start + dom[start..].find("</td>").unwrap()];
    let (done, total) = cell
        .split_once(" / ")
        .unwrap_or_else(|| panic!("partitions cell '{cell}'"));
    (done.trim().parse().unwrap(), total.trim().parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn chromium_shows_a_running_job() {
    init_tracing();
    let browser = chromium(); // fail early, before starting the cluster
    let setup = start_sim(1, |c| {
        // Room for the executor and one partition slot.
        c.agent_cpus = 1.2;
        c.executor_env = vec![partition_delay(0, PARTITION_DELAY_MS)];
    })
    .await;
    let cluster = connect(&setup, settings()).await;
    let framework_id = cluster.framework_id().to_owned();
    let url = format!(
        "http://{}/",
        cluster.ui_addr().expect("the status page runs")
    );

    let (job, _recorder) = submit_running(&cluster, rows(24_000, 3), 3, (JOB, PARTITIONS), 2).await;

    tracing::info!(browser = %browser.display(), %url, "loading the status page");
    let dom = tokio::task::spawn_blocking(move || dump_dom(&url))
        .await
        .unwrap();
    let board = cluster.status().snapshot();
    assert_eq!(
        board.jobs.back().map(|j| j.state.as_str()),
        Some("running"),
        "the job was not running any more when the page was read"
    );

    assert!(dom.contains("http-equiv=\"refresh\""), "{dom}");
    assert!(
        dom.contains(&format!("<td id=\"framework-id\">{framework_id}</td>")),
        "framework id {framework_id} not shown:\n{dom}"
    );
    assert!(dom.contains(JOB), "job {JOB} not shown:\n{dom}");
    assert!(
        dom.contains("job-state running\">running</td>"),
        "no running job shown:\n{dom}"
    );
    let (done, total) = partitions_cell(&dom);
    assert_eq!(total, PARTITIONS);
    assert!((2..PARTITIONS).contains(&done), "{done} / {total}");
    assert!(dom.contains("<section id=\"tasks\">"), "{dom}");
    assert!(dom.contains("<section id=\"agents\">"), "{dom}");

    job.canceller().cancel();
    let result = tokio::time::timeout(WAIT, job.wait())
        .await
        .expect("the cancelled job ends");
    assert!(matches!(result, Err(JobError::Cancelled)), "{result:?}");
    cluster.shutdown().await.expect("teardown");
}
