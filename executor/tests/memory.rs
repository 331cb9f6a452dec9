//! The executor's memory stays flat whatever the partition's size: a
//! `.npy` partition (memory-mapped, released window by window) and a
//! served partition (streamed) much larger than the budget are summarized
//! with the process's peak resident memory (VmHWM) under 32 MiB. The
//! 1 GiB variant is ignored by default (run it with
//! `cargo test --release -p rmesos-executor --test memory -- --ignored --nocapture`).

mod support;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use rmesos_common::partition::{PartitionSource, PartitionSpec};
use support::data_server::{DataServer, generated_value};
use support::driver::FakeDriver;
use support::fake_agent::{ExecutorProcess, FakeAgent, launch, shutdown, task_info, updates};
use support::{LogOnFailure, spec};

/// Peak resident memory allowed for the whole executor process.
const BUDGET_KIB: u64 = 32 * 1024;
const COLS: usize = 8;

/// Writes `rows` x `COLS` generated values as a C-order float64 `.npy`.
fn write_big_npy(path: &Path, rows: u64) {
    let dict = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({rows}, {COLS}), }}");
    let mut header = dict.into_bytes();
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(b' ');
    }
    header.push(b'\n');
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    out.write_all(b"\x93NUMPY\x01\x00").unwrap();
    out.write_all(&(header.len() as u16).to_le_bytes()).unwrap();
    out.write_all(&header).unwrap();
    let mut chunk = Vec::with_capacity(1 << 20);
    for index in 0..rows * COLS as u64 {
        chunk.extend_from_slice(&generated_value(index).to_le_bytes());
        if chunk.len() >= 1 << 20 {
            out.write_all(&chunk).unwrap();
            chunk.clear();
        }
    }
    out.write_all(&chunk).unwrap();
    out.flush().unwrap();
}

/// The peak resident memory of process `pid`, in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/PID/status");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Runs one executor on `spec` (one lease, one assignment), checks its
/// result has `rows` rows, and returns its peak resident memory (KiB) and
/// how long the partition took.
async fn summarize_and_measure(spec: &PartitionSpec, rows: u64, log: &Path) -> (u64, Duration) {
    let agent = FakeAgent::start().await;
    let driver = FakeDriver::start(Duration::from_millis(500)).await;
    let mut executor = ExecutorProcess::start(&agent, &[("MESOS_CHECKPOINT", "0")], log);
    agent.wait_for("SUBSCRIBE", |c| !c.is_empty()).await;
    agent.send(launch(task_info("lease", driver.grant(1))));
    agent.wait_for("RUNNING", |c| !updates(c).is_empty()).await;
    driver.wait_for_stream(1).await;
    let started = std::time::Instant::now();
    driver.assign(1, spec.clone());
    let seen = driver
        .wait_for_within(Duration::from_secs(600), "the report", |d| {
            d.reports_of(1) > 0
        })
        .await;
    let took = started.elapsed();
    let peak = peak_rss_kib(executor.pid());
    assert!(seen.failures.is_empty(), "{:?}", seen.failures);
    assert_eq!(seen.results_of(1)[0].count(), rows);
    agent.send(shutdown());
    let status = executor.exit_within(Duration::from_secs(5)).await;
    assert_eq!(status.and_then(|s| s.code()), Some(0));
    (peak, took)
}

async fn check_flat_memory(bytes: u64) {
    let dir = tempfile::tempdir().unwrap();
    let log = LogOnFailure(dir.path().join("executor.log"));
    let rows = bytes / (8 * COLS as u64);
    let npy = dir.path().join("big.npy");
    write_big_npy(&npy, rows);
    let server = DataServer::start(Vec::new()).await;
    let sources = [
        (
            "npy",
            PartitionSource::NpyRows {
                path: npy.clone(),
                rows: 0..rows,
            },
        ),
        (
            "served",
            PartitionSource::Served {
                url: server.generated_url(rows, COLS),
                rows: 0..rows,
                ncols: COLS,
            },
        ),
    ];
    for (name, source) in sources {
        let (peak, took) = summarize_and_measure(&spec(0, source), rows, &log.0).await;
        eprintln!(
            "{name}: {} MiB partition summarized in {took:.2?}, peak RSS {:.1} MiB",
            bytes >> 20,
            peak as f64 / 1024.0
        );
        assert!(
            peak < BUDGET_KIB,
            "{name}: peak RSS {peak} KiB over {BUDGET_KIB} KiB"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitions_larger_than_the_budget_are_summarized_in_flat_memory() {
    check_flat_memory(256 << 20).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes and streams 1 GiB; run with --release --ignored"]
async fn one_gib_partitions_are_summarized_in_flat_memory() {
    check_flat_memory(1 << 30).await;
}
