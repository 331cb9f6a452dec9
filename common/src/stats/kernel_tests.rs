//! Both strip reducers (portable and, where the CPU has it, AVX2) against a
//! plain scalar two-pass reference, on the shapes the kernel splits
//! differently: column counts around the four-column strip, row counts
//! around the tile, the run and odd/even pairs, and NaN or infinities in
//! even rows, odd rows and the first row (the shift).

use super::ColumnSummary;
use super::kernel::{Kernel, run_rows, tile_rows};

/// The distinct strip reducers: `Kernel::Avx512` reduces the eight
/// statistics with the AVX2 one, so it would only repeat its runs.
fn kernels() -> Vec<Kernel> {
    #[allow(unused_mut)]
    let mut all = Kernel::available();
    #[cfg(target_arch = "x86_64")]
    all.retain(|&k| k != Kernel::Avx512);
    all
}

/// One column's statistics, computed the obvious way.
#[derive(Debug)]
struct Expected {
    mean: f64,
    m2: f64,
    nnz: u64,
    min: f64,
    max: f64,
    l1: f64,
    sq: f64,
}

fn expected(rows: &[f64], ncols: usize, j: usize) -> Expected {
    let col: Vec<f64> = rows.iter().skip(j).step_by(ncols).copied().collect();
    let n = col.len() as f64;
    let mean = col.iter().sum::<f64>() / n;
    let non_nan = || col.iter().copied().filter(|x| !x.is_nan());
    Expected {
        mean,
        m2: col.iter().map(|x| (x - mean) * (x - mean)).sum(),
        nnz: col.iter().filter(|&&x| x != 0.0).count() as u64,
        min: non_nan().reduce(f64::min).unwrap_or(f64::NAN),
        max: non_nan().reduce(f64::max).unwrap_or(f64::NAN),
        l1: col.iter().map(|x| x.abs()).sum(),
        sq: col.iter().map(|x| x * x).sum(),
    }
}

/// Equal when both are NaN or the same infinity, else within `rel` of
/// `scale`.
fn near(got: f64, want: f64, rel: f64, scale: f64) -> bool {
    if !got.is_finite() || !want.is_finite() {
        return got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan());
    }
    (got - want).abs() <= rel * scale.max(f64::MIN_POSITIVE)
}

fn check(s: &ColumnSummary, rows: &[f64], ncols: usize, what: &str) {
    let nrows = rows.len() / ncols;
    assert_eq!(s.count, nrows as u64, "{what}: count");
    for j in 0..ncols {
        let e = expected(rows, ncols, j);
        let at = format!("{what}, column {j}: got {s:?}, want {e:?}");
        assert_eq!(s.nnz[j], e.nnz, "nnz {at}");
        assert!(near(s.min[j], e.min, 0.0, 0.0), "min {at}");
        assert!(near(s.max[j], e.max, 0.0, 0.0), "max {at}");
        // Naive sums over a few thousand values: relative error well under 1e-11.
        assert!(
            near(s.mean[j], e.mean, 1e-11, e.l1 / nrows as f64),
            "mean {at}"
        );
        assert!(near(s.norm_l1[j], e.l1, 1e-11, e.l1), "l1 {at}");
        assert!(near(s.sum_sq[j], e.sq, 1e-11, e.sq), "sq {at}");
        let m2_scale = e.m2.max(1e-12 * e.sq);
        if e.m2.is_nan() {
            assert!(s.m2[j].is_nan(), "m2 {at}");
        } else {
            assert!(near(s.m2[j], e.m2, 1e-9, m2_scale), "m2 {at}");
        }
    }
}

/// Deterministic values in [-100, 100) plus `offset`, with every 7th a zero
/// (and every 11th a negative zero), so the nonzero count has work.
fn values(len: usize, offset: f64) -> Vec<f64> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    (0..len)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            match i {
                _ if i % 11 == 3 => -0.0,
                _ if i % 7 == 2 => 0.0,
                _ => offset + (state >> 11) as f64 / (1u64 << 53) as f64 * 200.0 - 100.0,
            }
        })
        .collect()
}

fn shapes() -> Vec<(usize, usize)> {
    let mut all = vec![];
    for ncols in [1, 2, 3, 4, 5, 7, 8, 16, 17, 33] {
        let (tile, run) = (tile_rows(ncols), run_rows(ncols));
        for nrows in [
            1,
            2,
            3,
            64,
            65,
            tile,
            tile + 1,
            run - 1,
            run + 1,
            2 * run + 3,
        ] {
            all.push((ncols, nrows));
        }
    }
    all
}

fn summarize(kernel: Kernel, rows: &[f64], ncols: usize) -> ColumnSummary {
    let mut s = ColumnSummary::new(ncols);
    s.add_rows_with(kernel, rows).expect("whole rows");
    s
}

#[test]
fn finite_data_of_every_shape_matches_the_reference() {
    for kernel in kernels() {
        for (ncols, nrows) in shapes() {
            for offset in [0.0, 1e6] {
                let rows = values(ncols * nrows, offset);
                let what = format!("{kernel:?} {nrows}x{ncols} offset {offset}");
                check(&summarize(kernel, &rows, ncols), &rows, ncols, &what);
            }
        }
    }
}

/// Puts NaN and infinities in different columns, in even and odd rows, in
/// the first row (where the shift comes from) and in a later run.
fn with_specials(ncols: usize, nrows: usize) -> Vec<f64> {
    let mut rows = values(ncols * nrows, 0.0);
    let last = nrows - 1;
    let places: [(usize, usize, f64); 8] = [
        (0, 0, f64::NAN),
        (1, 1, f64::NAN),
        (2, 2, f64::INFINITY),
        (3, 3, f64::NEG_INFINITY),
        (4, 0, f64::INFINITY),
        (4, last, f64::NEG_INFINITY),
        (5, last, f64::INFINITY),
        (6, last / 2, f64::NAN),
    ];
    for (col, row, value) in places {
        if col < ncols && row < nrows {
            rows[row * ncols + col] = value;
        }
    }
    if ncols > 7 {
        // An all-NaN column: min and max are NaN.
        for r in 0..nrows {
            rows[r * ncols + 7] = f64::NAN;
        }
    }
    rows
}

#[test]
fn nan_and_infinities_in_any_row_follow_the_reference() {
    for kernel in kernels() {
        for (ncols, nrows) in shapes() {
            let rows = with_specials(ncols, nrows);
            let what = format!("{kernel:?} {nrows}x{ncols} with NaN/inf");
            check(&summarize(kernel, &rows, ncols), &rows, ncols, &what);
        }
    }
}

#[test]
fn rows_added_in_pieces_match_one_call() {
    let ncols = 17;
    let nrows = 3 * run_rows(ncols) + 5;
    let rows = values(ncols * nrows, 10.0);
    for kernel in kernels() {
        let mut pieces = ColumnSummary::new(ncols);
        let mut at = 0;
        for (i, step) in [1, 2, 63, 1000, 4093, 7].iter().cycle().enumerate() {
            if at == nrows {
                break;
            }
            let end = (at + step + i % 3).min(nrows);
            pieces
                .add_rows_with(kernel, &rows[at * ncols..end * ncols])
                .expect("whole rows");
            at = end;
        }
        check(&pieces, &rows, ncols, &format!("{kernel:?} in pieces"));
    }
}

#[test]
fn both_reducers_agree() {
    for (ncols, nrows) in shapes() {
        let rows = with_specials(ncols, nrows);
        let all: Vec<ColumnSummary> = kernels()
            .into_iter()
            .map(|k| summarize(k, &rows, ncols))
            .collect();
        for other in &all[1..] {
            // Counts, min and max exactly; the sums to rounding (FMA).
            assert_eq!(all[0].nnz, other.nnz);
            for j in 0..ncols {
                assert!(near(all[0].min[j], other.min[j], 0.0, 0.0));
                assert!(near(all[0].max[j], other.max[j], 0.0, 0.0));
                let l1 = all[0].norm_l1[j];
                assert!(near(
                    all[0].mean[j],
                    other.mean[j],
                    1e-13,
                    l1 / nrows as f64
                ));
                assert!(near(
                    all[0].sum_sq[j],
                    other.sum_sq[j],
                    1e-13,
                    all[0].sum_sq[j]
                ));
            }
        }
    }
}
