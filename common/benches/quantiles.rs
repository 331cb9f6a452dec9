//! Quantile-sketch throughput on one thread over a 1 GiB float64 table
//! (8M x 16): the eight statistics alone, the eight with every column's
//! sketch at relative error 1e-3 (the `approxQuantile` pass) and at 1e-2,
//! against exact quantiles the way numpy and Polars get them (copy each
//! column out, then select the 10%, 50% and 90% ranks in place). Prints a
//! table; `--json` prints one JSON line instead.
//! Run: `cargo bench -p rmesos-common --bench quantiles [-- --json]`.
//!
//! The passes are interleaved and each keeps its best time, as in the
//! kernel bench: the machine is shared.

mod support;

use std::hint::black_box;
use std::time::Duration;

use rmesos_common::stats::{ColumnSummary, StatsRequest};
use support::{COLS, table, time};

const ROWS: usize = 8 << 20;
const RUNS: usize = 3;
const PROBABILITIES: [f64; 3] = [0.1, 0.5, 0.9];

/// The eight statistics, with sketches at `error` when given.
fn sketch_pass(data: &[f64], error: Option<f64>) -> Vec<Vec<f64>> {
    let request = StatsRequest {
        quantile_error: error,
        ..StatsRequest::default()
    };
    let mut s = ColumnSummary::with_request(COLS, &request).expect("16 columns");
    s.add_rows(black_box(data)).expect("whole rows");
    let stats = s.finish();
    match error {
        Some(_) => stats.quantiles(&PROBABILITIES).expect("sketches kept"),
        None => Vec::new(),
    }
}

/// Exact quantiles: each column copied out, then selected in place, the
/// later ranks within what lies above the earlier ones.
fn select_pass(data: &[f64]) -> Vec<Vec<f64>> {
    let mut column = vec![0.0; ROWS];
    let mut out = vec![vec![0.0; COLS]; PROBABILITIES.len()];
    for c in 0..COLS {
        for (dst, row) in column.iter_mut().zip(data.chunks_exact(COLS)) {
            *dst = row[c];
        }
        let mut from = 0;
        for (i, p) in PROBABILITIES.iter().enumerate() {
            let rank = ((p * ROWS as f64).ceil() as usize).clamp(1, ROWS) - 1;
            let (_, x, _) = column[from..].select_nth_unstable_by(rank - from, f64::total_cmp);
            out[i][c] = *x;
            from = rank;
        }
    }
    out
}

fn main() {
    let json = std::env::args().any(|a| a == "--json");
    let data = table(ROWS);
    let mut best = [Duration::MAX; 4];
    let mut answers = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        best[0] = best[0].min(time(|| drop(black_box(sketch_pass(&data, None)))));
        best[1] = best[1].min(time(|| answers.0 = sketch_pass(&data, Some(1e-3))));
        best[2] = best[2].min(time(|| drop(black_box(sketch_pass(&data, Some(1e-2))))));
        best[3] = best[3].min(time(|| answers.1 = select_pass(&data)));
    }
    // The sketch's answer is within 1e-3 of the rank: on values spread
    // evenly over 200, within about 0.2 + rounding of the exact one.
    let off = answers
        .0
        .iter()
        .flatten()
        .zip(answers.1.iter().flatten())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(off < 0.5, "the sketch is {off} off the exact quantile");
    let names = [
        "eight statistics",
        "eight + sketches at 1e-3",
        "eight + sketches at 1e-2",
        "exact: copy + select (3 ranks)",
    ];
    if json {
        let fields: Vec<String> = names
            .iter()
            .zip(best)
            .map(|(n, t)| format!("\"{n}\":{}", t.as_secs_f64()))
            .collect();
        println!("{{{},\"largest_difference\":{off}}}", fields.join(","));
        return;
    }
    let gib = (data.len() * 8) as f64 / (1u64 << 30) as f64;
    println!("{ROWS} x {COLS} float64 ({gib:.2} GiB), one thread, best of {RUNS} interleaved");
    println!("{:<36} {:>10} {:>14}", "pass", "seconds", "ns per value");
    for (name, t) in names.iter().zip(best) {
        let ns = t.as_secs_f64() * 1e9 / data.len() as f64;
        println!("{name:<36} {:>10.3} {ns:>14.2}", t.as_secs_f64());
    }
    let ratio = best[3].as_secs_f64() / best[1].as_secs_f64();
    println!("sketches at 1e-3: {ratio:.2}x the speed of the exact selection");
    println!("largest difference from the exact quantiles: {off:.4}");
}
