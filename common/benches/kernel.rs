//! Kernel throughput on one thread over a 1 GiB float64 table (8M x 16),
//! against a plain one-pass sum over the same memory (the bandwidth
//! reference), plus the kernel over a table that fits in L2 (its compute
//! ceiling: how fast it would be if memory were free), and the kernel with
//! the Pearson co-moments (the `--corr` pass) over both. Prints a table;
//! `--json` prints one JSON line instead.
//! Run: `cargo bench -p rmesos-common --bench kernel [-- --json]`.
//!
//! The machine is shared, so the passes are interleaved (sum, kernel,
//! in-cache kernel, repeated) and each keeps its best time: a busy moment
//! then slows one attempt of each rather than all attempts of one.

mod support;

use std::hint::black_box;
use std::time::Duration;

use rmesos_common::stats::{ColumnSummary, StatsRequest};
use support::{COLS, table, time};

const ROWS: usize = 8 << 20;
const RUNS: usize = 7;
/// Rows of the in-cache table: 4096 x 16 x 8 B = 512 KiB, inside L2.
const CACHED_ROWS: usize = 4096;

/// The bandwidth reference: one pass summing every value (8 independent
/// accumulators so the add latency does not bound it).
fn sum_pass(data: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    for chunk in data.chunks_exact(8) {
        for (a, x) in acc.iter_mut().zip(chunk) {
            *a += x;
        }
    }
    acc.iter().sum()
}

/// A summary of the eight statistics, with the co-moments when `corr`.
fn summary(corr: bool) -> ColumnSummary {
    let request = StatsRequest {
        corr,
        ..StatsRequest::default()
    };
    ColumnSummary::with_request(COLS, &request).expect("16 columns")
}

fn kernel_pass(data: &[f64], corr: bool) {
    let mut s = summary(corr);
    s.add_rows(black_box(data)).expect("whole rows");
    black_box(s.finish());
}

/// The kernel over `cached` as many times as makes `bytes`, one summary.
fn cached_pass(cached: &[f64], bytes: usize, corr: bool) {
    let mut s = summary(corr);
    for _ in 0..bytes / (cached.len() * 8) {
        s.add_rows(black_box(cached)).expect("whole rows");
    }
    black_box(s.finish());
}

fn main() {
    let json = std::env::args().any(|a| a == "--json");
    let data = table(ROWS);
    let cached = table(CACHED_ROWS);
    let bytes = data.len() * 8;
    let (mut sum_t, mut kernel_t, mut cached_t) = (Duration::MAX, Duration::MAX, Duration::MAX);
    let (mut corr_t, mut cached_corr_t) = (Duration::MAX, Duration::MAX);
    for _ in 0..RUNS {
        sum_t = sum_t.min(time(|| {
            black_box(sum_pass(black_box(&data)));
        }));
        kernel_t = kernel_t.min(time(|| kernel_pass(&data, false)));
        cached_t = cached_t.min(time(|| cached_pass(&cached, bytes, false)));
        corr_t = corr_t.min(time(|| kernel_pass(&data, true)));
        cached_corr_t = cached_corr_t.min(time(|| cached_pass(&cached, bytes, true)));
    }
    let gb = bytes as f64 / 1e9;
    let gbs = |t: Duration| gb / t.as_secs_f64();
    let ratio = gbs(kernel_t) / gbs(sum_t);
    if json {
        println!(
            "{{\"rows\":{ROWS},\"cols\":{COLS},\"bytes\":{bytes},\"sum_seconds\":{},\"kernel_seconds\":{},\"cached_kernel_seconds\":{},\"sum_gbs\":{},\"kernel_gbs\":{},\"cached_kernel_gbs\":{},\"kernel_over_sum\":{ratio},\"corr_seconds\":{},\"cached_corr_seconds\":{}}}",
            sum_t.as_secs_f64(),
            kernel_t.as_secs_f64(),
            cached_t.as_secs_f64(),
            gbs(sum_t),
            gbs(kernel_t),
            gbs(cached_t),
            corr_t.as_secs_f64(),
            cached_corr_t.as_secs_f64(),
        );
        return;
    }
    let gib = bytes as f64 / (1u64 << 30) as f64;
    println!("{ROWS} x {COLS} float64 ({gib:.2} GiB), one thread, best of {RUNS} interleaved");
    println!("{:<36} {:>10} {:>10}", "pass", "seconds", "GB/s");
    for (name, t) in [
        ("plain sum (bandwidth ref)", sum_t),
        ("kernel (8 statistics)", kernel_t),
        ("kernel, 512 KiB table in L2", cached_t),
        ("kernel + Pearson co-moments", corr_t),
        ("kernel + co-moments, table in L2", cached_corr_t),
    ] {
        println!("{name:<36} {:>10.4} {:>10.2}", t.as_secs_f64(), gbs(t));
    }
    println!("kernel / sum pass: {ratio:.2}");
    let speed = kernel_t.as_secs_f64() / corr_t.as_secs_f64();
    println!("kernel + co-moments at {speed:.2}x the speed of the kernel alone");
}
