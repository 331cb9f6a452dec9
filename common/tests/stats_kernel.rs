//! The column-statistics kernel against a straightforward two-pass f64
//! reference, Spark's own check vector, and merge independence.

use proptest::prelude::*;
use rmesos_common::stats::{ColumnStats, ColumnSummary, StatsError};

/// Straightforward per-column reference with Spark's semantics.
struct Reference {
    count: u64,
    mean: Vec<f64>,
    variance: Vec<f64>,
    nnz: Vec<f64>,
    min: Vec<f64>,
    max: Vec<f64>,
    l1: Vec<f64>,
    l2: Vec<f64>,
}

fn reference(rows: &[f64], ncols: usize) -> Reference {
    let n = rows.len() / ncols;
    let col = |j: usize| {
        rows.iter()
            .skip(j)
            .step_by(ncols)
            .copied()
            .collect::<Vec<_>>()
    };
    let mut r = Reference {
        count: n as u64,
        mean: vec![],
        variance: vec![],
        nnz: vec![],
        min: vec![],
        max: vec![],
        l1: vec![],
        l2: vec![],
    };
    for j in 0..ncols {
        let c = col(j);
        let mean = c.iter().sum::<f64>() / n as f64;
        let ss: f64 = c.iter().map(|x| (x - mean) * (x - mean)).sum();
        r.variance.push(if n == 1 {
            if mean.is_nan() { f64::NAN } else { 0.0 }
        } else {
            ss / (n - 1) as f64
        });
        r.mean.push(mean);
        r.nnz.push(c.iter().filter(|&&x| x != 0.0).count() as f64);
        r.min.push(
            c.iter()
                .copied()
                .filter(|x| !x.is_nan())
                .reduce(f64::min)
                .unwrap_or(f64::NAN),
        );
        r.max.push(
            c.iter()
                .copied()
                .filter(|x| !x.is_nan())
                .reduce(f64::max)
                .unwrap_or(f64::NAN),
        );
        r.l1.push(c.iter().map(|x| x.abs()).sum());
        r.l2.push(c.iter().map(|x| x * x).sum::<f64>().sqrt());
    }
    r
}

fn close(a: f64, b: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a.is_infinite() || b.is_infinite() {
        return a == b;
    }
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn assert_close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (j, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(close(*g, *w), "{what}[{j}]: got {g}, want {w}");
    }
}

fn assert_matches(stats: &ColumnStats, r: &Reference) {
    assert_eq!(stats.count(), r.count);
    assert_close("mean", &stats.mean().unwrap(), &r.mean);
    assert_close("variance", &stats.variance().unwrap(), &r.variance);
    assert_close("numNonzeros", &stats.num_nonzeros().unwrap(), &r.nnz);
    assert_close("min", &stats.min().unwrap(), &r.min);
    assert_close("max", &stats.max().unwrap(), &r.max);
    assert_close("normL1", &stats.norm_l1().unwrap(), &r.l1);
    assert_close("normL2", &stats.norm_l2().unwrap(), &r.l2);
}

fn summarize(rows: &[f64], ncols: usize) -> ColumnSummary {
    let mut s = ColumnSummary::new(ncols);
    s.add_rows(rows).unwrap();
    s
}

fn finite_value() -> impl Strategy<Value = f64> + Clone {
    prop_oneof![4 => -1e6f64..1e6, 1 => Just(0.0), 1 => -1.0f64..1.0]
}

fn any_value() -> impl Strategy<Value = f64> + Clone {
    prop_oneof![8 => finite_value(), 1 => Just(f64::NAN), 1 => Just(f64::INFINITY), 1 => Just(f64::NEG_INFINITY)]
}

fn table(value: impl Strategy<Value = f64> + Clone) -> impl Strategy<Value = (Vec<f64>, usize)> {
    (1usize..7, 0usize..700).prop_flat_map(move |(ncols, nrows)| {
        (
            proptest::collection::vec(value.clone(), ncols * nrows),
            Just(ncols),
        )
    })
}

proptest! {
    #[test]
    fn finite_data_matches_the_reference((rows, ncols) in table(finite_value())) {
        prop_assume!(!rows.is_empty());
        assert_matches(&summarize(&rows, ncols).finish(), &reference(&rows, ncols));
    }

    #[test]
    fn nan_and_infinities_follow_spark_semantics((rows, ncols) in table(any_value())) {
        prop_assume!(!rows.is_empty());
        let stats = summarize(&rows, ncols).finish();
        let r = reference(&rows, ncols);
        // Exact semantics for the non-moment statistics; NaN-ness of the moments.
        assert_close("numNonzeros", &stats.num_nonzeros().unwrap(), &r.nnz);
        assert_close("min", &stats.min().unwrap(), &r.min);
        assert_close("max", &stats.max().unwrap(), &r.max);
        for (g, w) in stats.mean().unwrap().iter().zip(&r.mean) {
            prop_assert_eq!(g.is_nan(), w.is_nan(), "mean {} vs {}", g, w);
            if w.is_infinite() { prop_assert_eq!(g, w); }
        }
        for (g, w) in stats.variance().unwrap().iter().zip(&r.variance) {
            prop_assert_eq!(g.is_nan(), w.is_nan(), "variance {} vs {}", g, w);
        }
        for (g, w) in stats.norm_l1().unwrap().iter().zip(&r.l1) {
            prop_assert!(close(*g, *w), "normL1 {} vs {}", g, w);
        }
    }

    #[test]
    fn any_split_and_merge_order_gives_the_same_answer(
        (rows, ncols) in table(finite_value()),
        cuts in proptest::collection::vec(0.0f64..1.0, 0..6),
        order_seed in any::<u64>(),
    ) {
        let nrows = rows.len() / ncols;
        let mut bounds: Vec<usize> = cuts.iter().map(|c| (c * nrows as f64) as usize).collect();
        bounds.extend([0, nrows]);
        bounds.sort_unstable();
        let mut parts: Vec<ColumnSummary> = bounds
            .windows(2)
            .map(|w| summarize(&rows[w[0] * ncols..w[1] * ncols], ncols))
            .collect();
        // A deterministic shuffle from the seed.
        let mut seed = order_seed;
        for i in (1..parts.len()).rev() {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            parts.swap(i, (seed >> 33) as usize % (i + 1));
        }
        let mut merged = ColumnSummary::new(ncols);
        for p in &parts {
            merged.merge(p).unwrap();
        }
        let whole = summarize(&rows, ncols);
        prop_assert_eq!(merged.count(), whole.count());
        if nrows > 0 {
            assert_matches(&merged.finish(), &reference(&rows, ncols));
        }
    }

    #[test]
    fn codec_round_trips((rows, ncols) in table(any_value())) {
        let s = summarize(&rows, ncols);
        let back = ColumnSummary::from_bytes(&s.to_bytes()).unwrap();
        prop_assert_eq!(back, s);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = ColumnSummary::from_bytes(&bytes);
    }

    #[test]
    fn corrupted_encodings_never_panic(
        (rows, ncols) in table(finite_value()), at in any::<usize>(), byte in any::<u8>(), cut in any::<usize>()
    ) {
        let mut bytes = summarize(&rows, ncols).to_bytes();
        let i = at % bytes.len();
        bytes[i] = byte;
        let _ = ColumnSummary::from_bytes(&bytes);
        bytes.truncate(cut % (bytes.len() + 1));
        let _ = ColumnSummary::from_bytes(&bytes);
    }
}

#[test]
fn sparks_doctest_vector() {
    let rows = [2.0, 0.0, 0.0, -2.0, 4.0, 5.0, 0.0, 3.0, 6.0, 7.0, 0.0, 8.0];
    let s = summarize(&rows, 4).finish();
    assert_eq!(s.count(), 3);
    assert_eq!(s.mean().unwrap(), vec![4.0, 4.0, 0.0, 3.0]);
    assert_eq!(s.variance().unwrap(), vec![4.0, 13.0, 0.0, 25.0]);
    assert_eq!(s.num_nonzeros().unwrap(), vec![3.0, 2.0, 0.0, 3.0]);
    assert_eq!(s.max().unwrap(), vec![6.0, 7.0, 0.0, 8.0]);
    assert_eq!(s.min().unwrap(), vec![2.0, 0.0, 0.0, -2.0]);
}

#[test]
fn seed_example_in_two_partitions() {
    let mut a = summarize(&[1.0, 20.0, 300.0, 3.0, 10.0, 200.0], 3);
    a.merge(&summarize(&[2.0, 30.0, 100.0], 3)).unwrap();
    let s = a.finish();
    assert_eq!(s.mean().unwrap(), vec![2.0, 20.0, 200.0]);
    assert_eq!(s.variance().unwrap(), vec![1.0, 100.0, 10000.0]);
    assert_eq!(s.num_nonzeros().unwrap(), vec![3.0, 3.0, 3.0]);
}

#[test]
fn one_row_has_zero_variance_and_nan_stays_nan() {
    let s = summarize(&[5.0, f64::NAN], 2).finish();
    let v = s.variance().unwrap();
    assert_eq!(v[0], 0.0);
    assert!(v[1].is_nan());
    assert_eq!(s.num_nonzeros().unwrap(), vec![1.0, 1.0]);
}

#[test]
fn nan_is_skipped_by_min_and_max_unless_the_column_is_all_nan() {
    let s = summarize(&[f64::NAN, f64::NAN, 3.0, f64::NAN, -1.0, f64::NAN], 2).finish();
    assert_eq!(s.min().unwrap()[0], -1.0);
    assert_eq!(s.max().unwrap()[0], 3.0);
    assert!(s.min().unwrap()[1].is_nan() && s.max().unwrap()[1].is_nan());
    assert!(s.mean().unwrap()[0].is_nan(), "a NaN makes the mean NaN");
    assert!(s.norm_l2().unwrap()[0].is_nan());
}

#[test]
fn infinite_means_follow_numpy() {
    let s = summarize(&[f64::INFINITY, 1.0, 2.0, f64::INFINITY], 1).finish();
    assert_eq!(s.mean().unwrap()[0], f64::INFINITY);
    assert!(s.variance().unwrap()[0].is_nan());
}

#[test]
fn empty_dataset_has_count_zero_and_errors_for_the_rest() {
    let s = ColumnSummary::new(3).finish();
    assert_eq!(s.count(), 0);
    let err = s.mean().unwrap_err();
    assert_eq!(err, StatsError::Empty("mean"));
    assert!(err.to_string().contains("empty"), "{err}");
    assert!(s.variance().is_err() && s.min().is_err() && s.norm_l2().is_err());
}

#[test]
fn ragged_rows_and_column_mismatch_are_errors() {
    let mut s = ColumnSummary::new(3);
    assert!(matches!(
        s.add_rows(&[1.0, 2.0]),
        Err(StatsError::RaggedRows { .. })
    ));
    assert_eq!(s.count(), 0, "a refused call adds nothing");
    assert!(matches!(
        s.merge(&ColumnSummary::new(2)),
        Err(StatsError::ColumnMismatch { .. })
    ));
}

#[test]
fn malformed_encodings_are_named() {
    let good = summarize(&[1.0, 2.0, 3.0, 4.0], 2).to_bytes();
    let err = |b: &[u8]| ColumnSummary::from_bytes(b).unwrap_err().to_string();
    assert!(err(&good[..10]).contains("shorter"));
    let mut bad = good.clone();
    bad[0] = b'X';
    assert!(err(&bad).contains("magic"));
    let mut bad = good.clone();
    bad[4] = 9;
    assert!(err(&bad).contains("version 9"));
    assert!(err(&good[..good.len() - 1]).contains("2 columns need"));
    let mut long = good.clone();
    long.push(0);
    assert!(err(&long).contains("found"));
    let mut bad = good.clone();
    // First nonzero count (after header, mean and M2 arrays) set above the row count.
    bad[17 + 2 * 16] = 99;
    assert!(err(&bad).contains("nonzeros"));
}

#[test]
fn one_infinite_row_has_zero_variance() {
    let s = summarize(&[f64::INFINITY, f64::NEG_INFINITY], 2).finish();
    assert_eq!(s.variance().unwrap(), vec![0.0, 0.0]);
}

#[test]
fn a_column_count_too_large_for_memory_is_an_error_not_an_abort() {
    assert_eq!(ColumnSummary::try_new(3).unwrap(), ColumnSummary::new(3));
    for ncols in [usize::MAX / 8, 1 << 60] {
        let error = ColumnSummary::try_new(ncols).unwrap_err();
        assert_eq!(error, StatsError::TooManyColumns { ncols });
        assert!(error.to_string().contains(&ncols.to_string()), "{error}");
    }
}
