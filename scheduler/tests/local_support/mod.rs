//! Shared by the local-mode tests: random test tables and a
//! straightforward two-pass reference for every statistic.

#![allow(dead_code)] // each test crate uses a different part

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rmesos_common::stats::ColumnStats;

/// `nrows` x `ncols` row-major values, uniform with a different offset and
/// scale per column; in every other pair of columns about a fifth are
/// exact zeros, the others stay far from zero (one with a large offset,
/// which a numerically naive variance gets wrong).
pub fn random_rows(seed: u64, nrows: usize, ncols: usize) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut rows = Vec::with_capacity(nrows * ncols);
    for _ in 0..nrows {
        for j in 0..ncols {
            let value = if j % 4 < 2 && rng.random_bool(0.2) {
                0.0
            } else {
                let offset = [0.0, -50.0, 1e4, 3.5][j % 4];
                let scale = [1.0, 100.0, 1.0, 1e-3][j % 4];
                offset + scale * rng.random_range(-1.0..1.0)
            };
            rows.push(value);
        }
    }
    rows
}

/// Every statistic computed the obvious way, column by column.
pub struct Reference {
    pub count: u64,
    pub mean: Vec<f64>,
    pub variance: Vec<f64>,
    pub num_nonzeros: Vec<f64>,
    pub min: Vec<f64>,
    pub max: Vec<f64>,
    pub norm_l1: Vec<f64>,
    pub norm_l2: Vec<f64>,
}

impl Reference {
    pub fn of(rows: &[f64], ncols: usize) -> Reference {
        let n = rows.len() / ncols;
        let column = |j: usize| {
            rows.iter()
                .skip(j)
                .step_by(ncols)
                .copied()
                .collect::<Vec<_>>()
        };
        let columns: Vec<Vec<f64>> = (0..ncols).map(column).collect();
        let mean: Vec<f64> = columns
            .iter()
            .map(|c| c.iter().sum::<f64>() / n as f64)
            .collect();
        let variance = columns
            .iter()
            .zip(&mean)
            .map(|(c, m)| {
                if n == 1 {
                    0.0
                } else {
                    c.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1) as f64
                }
            })
            .collect();
        let per_column = |f: &dyn Fn(&[f64]) -> f64| columns.iter().map(|c| f(c)).collect();
        Reference {
            count: n as u64,
            mean,
            variance,
            num_nonzeros: per_column(&|c| c.iter().filter(|x| **x != 0.0).count() as f64),
            min: per_column(&|c| c.iter().copied().fold(f64::INFINITY, f64::min)),
            max: per_column(&|c| c.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
            norm_l1: per_column(&|c| c.iter().map(|x| x.abs()).sum()),
            norm_l2: per_column(&|c| c.iter().map(|x| x * x).sum::<f64>().sqrt()),
        }
    }
}

/// Asserts `actual` is within 1e-9 of `expected`, relative to the larger
/// of the value and `scale` (a mean near zero of values near 100 is judged
/// against 100).
fn assert_close(what: &str, actual: &[f64], expected: &[f64], scale: &[f64]) {
    assert_eq!(actual.len(), expected.len(), "{what}: column count");
    for (j, ((a, e), s)) in actual.iter().zip(expected).zip(scale).enumerate() {
        let tolerance = 1e-9 * e.abs().max(*s);
        assert!(
            (a - e).abs() <= tolerance,
            "{what}[{j}]: got {a}, expected {e} (tolerance {tolerance})"
        );
    }
}

/// Asserts `stats` equals the reference: exactly for count, nonzeros, min
/// and max; to 1e-9 relative for the rest.
pub fn assert_matches_reference(stats: &ColumnStats, rows: &[f64], ncols: usize) {
    let r = Reference::of(rows, ncols);
    assert_eq!(stats.count(), r.count, "count");
    assert_eq!(
        stats.num_nonzeros().unwrap(),
        r.num_nonzeros,
        "num_nonzeros"
    );
    assert_eq!(stats.min().unwrap(), r.min, "min");
    assert_eq!(stats.max().unwrap(), r.max, "max");
    // Scale of a column: its mean absolute value (and its variance's own
    // magnitude for the variance).
    let mean_abs: Vec<f64> = r.norm_l1.iter().map(|l1| l1 / r.count as f64).collect();
    assert_close("mean", &stats.mean().unwrap(), &r.mean, &mean_abs);
    assert_close(
        "variance",
        &stats.variance().unwrap(),
        &r.variance,
        &r.variance,
    );
    assert_close("norm_l1", &stats.norm_l1().unwrap(), &r.norm_l1, &r.norm_l1);
    assert_close("norm_l2", &stats.norm_l2().unwrap(), &r.norm_l2, &r.norm_l2);
}
