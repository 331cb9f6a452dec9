//! Kernel throughput on one thread over a 1 GiB float64 table (8M x 16),
//! against a plain one-pass sum over the same memory (the bandwidth
//! reference). Prints a table; `--json` prints one JSON line instead.
//! Run: `cargo bench -p rmesos-common --bench kernel [-- --json]`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use rmesos_common::stats::ColumnSummary;

const ROWS: usize = 8 << 20;
const COLS: usize = 16;
const RUNS: usize = 5;

fn best_of(mut f: impl FnMut()) -> Duration {
    (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// Deterministic pseudo-random values (xorshift), so runs are comparable.
fn table() -> Vec<f64> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    (0..ROWS * COLS)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 * 200.0 - 100.0
        })
        .collect()
}

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

fn main() {
    let json = std::env::args().any(|a| a == "--json");
    let data = table();
    let gib = (data.len() * 8) as f64 / (1u64 << 30) as f64;
    let gb = (data.len() * 8) as f64 / 1e9;
    let sum_t = best_of(|| {
        black_box(sum_pass(black_box(&data)));
    });
    let kernel_t = best_of(|| {
        let mut s = ColumnSummary::new(COLS);
        s.add_rows(black_box(&data)).expect("whole rows");
        black_box(s.finish());
    });
    let (sum_gbs, kernel_gbs) = (gb / sum_t.as_secs_f64(), gb / kernel_t.as_secs_f64());
    let ratio = kernel_gbs / sum_gbs;
    if json {
        println!(
            "{{\"rows\":{ROWS},\"cols\":{COLS},\"bytes\":{},\"sum_seconds\":{},\"kernel_seconds\":{},\"sum_gbs\":{sum_gbs},\"kernel_gbs\":{kernel_gbs},\"kernel_over_sum\":{ratio}}}",
            data.len() * 8,
            sum_t.as_secs_f64(),
            kernel_t.as_secs_f64()
        );
        return;
    }
    println!("{ROWS} x {COLS} float64 ({gib:.2} GiB), one thread, best of {RUNS}");
    println!("{:<28} {:>10} {:>10}", "pass", "seconds", "GB/s");
    println!(
        "{:<28} {:>10.4} {:>10.2}",
        "plain sum (bandwidth ref)",
        sum_t.as_secs_f64(),
        sum_gbs
    );
    println!(
        "{:<28} {:>10.4} {:>10.2}",
        "kernel (8 statistics)",
        kernel_t.as_secs_f64(),
        kernel_gbs
    );
    println!("kernel / sum pass: {ratio:.2}");
}
