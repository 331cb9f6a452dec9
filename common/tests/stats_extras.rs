//! The optional parts of a summary (`StatsRequest`): the co-moment matrix
//! behind Pearson correlation against a straightforward two-pass
//! reference, its independence from partitioning and merge order, and
//! its binary form.

use proptest::prelude::*;
use rmesos_common::stats::{ColumnSummary, StatsError, StatsRequest};

fn corr_request() -> StatsRequest {
    StatsRequest {
        corr: true,
        quantile_error: None,
    }
}

fn summarize(rows: &[f64], ncols: usize, request: &StatsRequest) -> ColumnSummary {
    let mut s = ColumnSummary::with_request(ncols, request).unwrap();
    s.add_rows(rows).unwrap();
    s
}

/// Two-pass Pearson matrix: means first, then centered sums.
fn reference_corr(rows: &[f64], ncols: usize) -> Vec<f64> {
    let n = (rows.len() / ncols) as f64;
    let col = |j: usize| {
        rows.iter()
            .skip(j)
            .step_by(ncols)
            .copied()
            .collect::<Vec<_>>()
    };
    let cols: Vec<Vec<f64>> = (0..ncols).map(col).collect();
    let means: Vec<f64> = cols.iter().map(|c| c.iter().sum::<f64>() / n).collect();
    let cross = |i: usize, j: usize| -> f64 {
        cols[i]
            .iter()
            .zip(&cols[j])
            .map(|(a, b)| (a - means[i]) * (b - means[j]))
            .sum()
    };
    let mut out = vec![0.0; ncols * ncols];
    for i in 0..ncols {
        for j in 0..ncols {
            out[i * ncols + j] = if i == j {
                1.0
            } else {
                let d = (cross(i, i) * cross(j, j)).sqrt();
                if d == 0.0 { f64::NAN } else { cross(i, j) / d }
            };
        }
    }
    out
}

fn assert_close(got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len());
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g.is_nan() && w.is_nan()) || (g - w).abs() <= tol,
            "entry {k}: {g} vs {w} (all: {got:?} vs {want:?})"
        );
    }
}

/// Rows with per-column offsets and spreads (offset up to 1e9), so that
/// the shifted kernel is exercised where a naive one loses digits.
fn offset_table() -> impl Strategy<Value = (Vec<f64>, usize)> {
    (1usize..6, 2usize..1500).prop_flat_map(|(ncols, nrows)| {
        (
            proptest::collection::vec((-1e9f64..1e9, 0.01f64..100.0), ncols),
            proptest::collection::vec(-1.0f64..1.0, ncols * nrows),
            Just(ncols),
        )
            .prop_map(|(scales, unit, ncols)| {
                let rows = unit
                    .iter()
                    .enumerate()
                    .map(|(k, u)| {
                        let (offset, spread) = scales[k % ncols];
                        // Mix in the first column so correlations are not all ~0.
                        offset + spread * (u + 0.5 * unit[k - k % ncols])
                    })
                    .collect();
                (rows, ncols)
            })
    })
}

/// Splits `rows` at the given cut points (whole rows) into summaries,
/// then merges them in the order `order` picks.
fn merged_in_pieces(
    rows: &[f64],
    ncols: usize,
    cuts: &[prop::sample::Index],
    order: &[prop::sample::Index],
) -> ColumnSummary {
    let nrows = rows.len() / ncols;
    let mut bounds: Vec<usize> = cuts.iter().map(|c| c.index(nrows + 1)).collect();
    bounds.extend([0, nrows]);
    bounds.sort_unstable();
    let mut parts: Vec<ColumnSummary> = bounds
        .windows(2)
        .map(|w| summarize(&rows[w[0] * ncols..w[1] * ncols], ncols, &corr_request()))
        .collect();
    let mut merged = ColumnSummary::with_request(ncols, &corr_request()).unwrap();
    for pick in order {
        if parts.is_empty() {
            break;
        }
        let part = parts.remove(pick.index(parts.len()));
        merged.merge(&part).unwrap();
    }
    for part in parts {
        merged.merge(&part).unwrap();
    }
    merged
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn correlation_matches_two_pass_with_any_partitioning_and_order(
        (rows, ncols) in offset_table(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
        order in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let want = reference_corr(&rows, ncols);
        let whole = summarize(&rows, ncols, &corr_request()).finish().correlation().unwrap();
        assert_close(&whole.matrix, &want, 1e-9);
        let pieces = merged_in_pieces(&rows, ncols, &cuts, &order).finish().correlation().unwrap();
        assert_close(&pieces.matrix, &whole.matrix, 1e-12);
    }

    #[test]
    fn codec_round_trips_with_co_moments((rows, ncols) in offset_table()) {
        let s = summarize(&rows, ncols, &corr_request());
        let bytes = s.to_bytes();
        prop_assert_eq!(bytes[4], 2);
        let back = ColumnSummary::from_bytes(&bytes).unwrap();
        prop_assert_eq!(&back, &s);
        prop_assert!(back.answers(&corr_request()).is_ok());
    }
}

#[test]
fn offset_1e9_spread_1_keeps_nine_digits() {
    // x_k and y_k = x_k + noise around 1e9, in many small partitions.
    let n = 20_000;
    let mut rows = Vec::with_capacity(2 * n);
    let mut state = 12345u64;
    let mut unit = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    for _ in 0..n {
        let x = unit();
        rows.push(1e9 + x);
        rows.push(-1e9 + 0.3 * x + unit());
    }
    let want = reference_corr(&rows, 2);
    let mut merged = ColumnSummary::with_request(2, &corr_request()).unwrap();
    for chunk in rows.chunks(2 * 997) {
        merged.merge(&summarize(chunk, 2, &corr_request())).unwrap();
    }
    assert_close(&merged.finish().correlation().unwrap().matrix, &want, 1e-10);
}

#[test]
fn zero_variance_columns_are_nan_with_one_on_the_diagonal() {
    let rows = [1.0, 5.0, 2.0, 2.0, 5.0, 4.0, 3.0, 5.0, 7.0];
    let corr = summarize(&rows, 3, &corr_request())
        .finish()
        .correlation()
        .unwrap();
    assert_eq!(corr.zero_variance, vec![1]);
    for (i, j) in [(0, 1), (1, 0), (1, 2), (2, 1)] {
        assert!(
            corr.matrix[i * 3 + j].is_nan(),
            "{i},{j}: {:?}",
            corr.matrix
        );
    }
    assert_eq!(corr.matrix[4], 1.0);
    assert_close(&corr.matrix, &reference_corr(&rows, 3), 1e-12);
}

#[test]
fn a_nan_makes_its_row_and_column_nan() {
    let rows = [1.0, 2.0, 3.0, 2.0, f64::NAN, 1.0, 3.0, 1.0, 0.5];
    let corr = summarize(&rows, 3, &corr_request())
        .finish()
        .correlation()
        .unwrap();
    assert!(corr.matrix[1].is_nan() && corr.matrix[5].is_nan());
    assert!(corr.matrix[2].is_finite());
}

#[test]
fn plain_summaries_keep_version_1_and_parts_must_match() {
    let rows = [1.0, 2.0, 3.0, 5.0];
    let plain = summarize(&rows, 2, &StatsRequest::default());
    assert_eq!(plain.to_bytes()[4], 1);
    assert_eq!(
        plain.finish().correlation().unwrap_err(),
        StatsError::NotComputed("correlation")
    );
    let with_corr = summarize(&rows, 2, &corr_request());
    let mut merged = plain.clone();
    let err = merged.merge(&with_corr).unwrap_err();
    assert!(matches!(err, StatsError::PartsMismatch { .. }), "{err}");
    let problem = plain.answers(&corr_request()).unwrap_err();
    assert!(problem.contains("co-moments"), "{problem}");
}

#[test]
fn truncated_or_padded_parts_are_malformed() {
    let bytes = summarize(&[1.0, 2.0, 3.0, 5.0], 2, &corr_request()).to_bytes();
    for cut in [bytes.len() - 1, bytes.len() - 8, 17 + 7 * 16 + 1] {
        assert!(
            ColumnSummary::from_bytes(&bytes[..cut]).is_err(),
            "cut at {cut}"
        );
    }
    let mut padded = bytes.clone();
    padded.push(0);
    assert!(ColumnSummary::from_bytes(&padded).is_err());
    let mut unknown = bytes;
    unknown[17 + 7 * 16] = 0x80;
    assert!(ColumnSummary::from_bytes(&unknown).is_err());
}

// --- Quantile sketches ---------------------------------------------------

fn quantile_request(eps: f64) -> StatsRequest {
    StatsRequest {
        corr: false,
        quantile_error: Some(eps),
    }
}

/// Asserts the value returned for each probability has a rank within
/// `eps * n` of `ceil(p * n)` among `values` (NaN skipped): some rank in
/// `[#(< v) + 1, #(<= v)]` lies within the bound.
fn assert_rank_bound(values: &[f64], got: &[f64], probabilities: &[f64], eps: f64) {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    for (&p, &v) in probabilities.iter().zip(got) {
        if sorted.is_empty() {
            assert!(v.is_nan());
            continue;
        }
        let below = sorted.partition_point(|&x| x < v) as f64;
        let upto = sorted.partition_point(|&x| x <= v) as f64;
        let target = (p * n).ceil().max(1.0);
        let slack = eps * n;
        let ok = below + 1.0 <= target + slack && upto >= target - slack;
        assert!(
            ok && upto > below,
            "p={p}: {v} has ranks {}..={upto}, target {target} +- {slack} (n={n})",
            below + 1.0
        );
        if p == 0.0 {
            assert_eq!(v, sorted[0]);
        }
        if p == 1.0 {
            assert_eq!(v, sorted[sorted.len() - 1]);
        }
    }
}

const PROBABILITIES: [f64; 9] = [0.0, 0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999, 1.0];

/// Adversarial columns: sorted, reverse-sorted, all ties, one huge
/// outlier, few distinct values, and NaN sprinkled in.
fn adversarial(kind: u8, n: usize, seed: u64) -> Vec<f64> {
    let mut state = seed | 1;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..n)
        .map(|i| match kind % 6 {
            0 => i as f64,
            1 => (n - i) as f64,
            2 => 42.0,
            3 => {
                if i == n / 2 {
                    1e300
                } else {
                    (next() % 1000) as f64 / 7.0
                }
            }
            4 => (next() % 3) as f64,
            _ => {
                if next() % 5 == 0 {
                    f64::NAN
                } else {
                    (next() % 100_000) as f64 - 5e4
                }
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn quantiles_keep_the_rank_bound_for_any_partitioning_and_order(
        kind in 0u8..6,
        n in 1usize..60_000,
        eps in prop::sample::select(vec![0.0, 0.001, 0.01, 0.05, 0.2]),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
        order in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
        seed in any::<u64>(),
    ) {
        let values = adversarial(kind, n, seed);
        let request = quantile_request(eps);
        let mut bounds: Vec<usize> = cuts.iter().map(|c| c.index(n + 1)).collect();
        bounds.extend([0, n]);
        bounds.sort_unstable();
        let mut parts: Vec<ColumnSummary> = bounds
            .windows(2)
            .map(|w| summarize(&values[w[0]..w[1]], 1, &request))
            .collect();
        let in_order = {
            let mut all = ColumnSummary::with_request(1, &request).unwrap();
            for part in &parts {
                all.merge(part).unwrap();
            }
            all
        };
        let mut shuffled = ColumnSummary::with_request(1, &request).unwrap();
        for pick in order {
            if parts.is_empty() {
                break;
            }
            shuffled.merge(&parts.remove(pick.index(parts.len()))).unwrap();
        }
        for part in parts {
            shuffled.merge(&part).unwrap();
        }
        for merged in [in_order, shuffled] {
            let got = merged.finish().quantiles(&PROBABILITIES).unwrap();
            let column: Vec<f64> = got.iter().map(|row| row[0]).collect();
            assert_rank_bound(&values, &column, &PROBABILITIES, eps);
        }
    }

    #[test]
    fn codec_round_trips_with_sketches(kind in 0u8..6, n in 0usize..20_000, seed in any::<u64>()) {
        let values = adversarial(kind, n, seed);
        let s = summarize(&values, 1, &quantile_request(0.01));
        let back = ColumnSummary::from_bytes(&s.to_bytes()).unwrap();
        prop_assert_eq!(&back, &s);
        prop_assert!(back.answers(&quantile_request(0.01)).is_ok());
        prop_assert!(back.answers(&quantile_request(0.02)).is_err());
    }
}

#[test]
fn exact_when_the_error_is_zero() {
    let values = adversarial(5, 10_001, 7);
    let s = summarize(&values, 1, &quantile_request(0.0));
    let mut sorted: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    let got = s.finish().quantiles(&PROBABILITIES).unwrap();
    for (p, row) in PROBABILITIES.iter().zip(got) {
        let rank = ((p * sorted.len() as f64).ceil() as usize).max(1);
        assert_eq!(row[0], sorted[rank - 1], "p={p}");
    }
}

#[test]
fn the_sketch_size_is_bounded_by_the_error_not_the_rows() {
    let eps = 0.01;
    let mut sizes = Vec::new();
    for n in [100_000usize, 1_000_000] {
        let values: Vec<f64> = (0..n).map(|i| ((i * 7919) % n) as f64).collect();
        let s = summarize(&values, 1, &quantile_request(eps));
        let stats = s.finish();
        let sketch = &stats.sketches().unwrap().columns()[0];
        sizes.push(sketch.len());
        let k = (66.0 / eps) as usize;
        let levels = ((n as f64 / k as f64).log2().ceil() as usize) + 1;
        assert!(sketch.len() <= k * levels, "n={n}: {} items", sketch.len());
    }
    // Ten times the rows, at most a few more levels of items.
    assert!(sizes[1] < sizes[0] * 3, "{sizes:?}");
}

#[test]
fn an_all_nan_column_gives_nan_and_a_bad_sketch_is_refused() {
    let s = summarize(&[f64::NAN, 1.0, f64::NAN, 2.0], 2, &quantile_request(0.1));
    let got = s.finish().quantiles(&[0.5]).unwrap();
    assert!(got[0][0].is_nan());
    // Column 1 is [1, 2]: the median is the ceil(0.5 * 2) = 1st smallest.
    assert_eq!(got[0][1], 1.0);
    let mut bytes = summarize(&[1.0, 2.0, 3.0], 1, &quantile_request(0.1)).to_bytes();
    // The sketch's count (after parts byte and relative error) claims 4 values in 3 rows.
    let at = 17 + 7 * 8 + 1 + 8;
    bytes[at] = 4;
    let err = ColumnSummary::from_bytes(&bytes).unwrap_err();
    assert!(err.to_string().contains("column 0"), "{err}");
}
