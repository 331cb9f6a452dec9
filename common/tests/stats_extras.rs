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
