//! The co-moment kernels (portable and, where the CPU has them, AVX2 and
//! AVX-512) against each other and against a plain two-pass reference, on
//! column counts around the 4 x 8 and 8 x 16 tiles (and past the tile
//! kernels, where dgemm takes over), row counts around the block and the
//! run, and runs fed in pieces of any size.

use super::comoments::CoMoments;
use super::comoments_run::RunScratch;
use super::kernel::{Kernel, RUN_ROWS};

fn kernels() -> Vec<Kernel> {
    Kernel::available()
}

/// Deterministic values: column `j` has mean `offset * j` and a spread
/// that differs per column, plus a shared part so columns correlate.
fn table(nrows: usize, ncols: usize, offset: f64, seed: u64) -> Vec<f64> {
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut rows = Vec::with_capacity(nrows * ncols);
    for _ in 0..nrows {
        let shared = next();
        for j in 0..ncols {
            let spread = 1.0 + j as f64 % 5.0;
            rows.push(offset * j as f64 + spread * next() + 0.5 * shared);
        }
    }
    rows
}

/// Centered cross-products the obvious way: means first, then the sums.
fn reference(rows: &[f64], ncols: usize) -> Vec<f64> {
    let n = (rows.len() / ncols) as f64;
    let mean: Vec<f64> = (0..ncols)
        .map(|j| rows.iter().skip(j).step_by(ncols).sum::<f64>() / n)
        .collect();
    let mut cross = vec![0.0; ncols * ncols];
    for row in rows.chunks_exact(ncols) {
        for i in 0..ncols {
            for j in 0..ncols {
                cross[i * ncols + j] += (row[i] - mean[i]) * (row[j] - mean[j]);
            }
        }
    }
    cross
}

fn co_moments(kernel: Kernel, rows: &[f64], ncols: usize) -> CoMoments {
    let mut c = CoMoments::new(ncols);
    c.add_rows(kernel, rows);
    c
}

/// Within `rel` of the diagonal's scale `sqrt(C_ii C_jj)`, both NaN, or
/// the same infinity.
fn assert_cross_near(got: &[f64], want: &[f64], ncols: usize, rel: f64, what: &str) {
    for i in 0..ncols {
        for j in 0..ncols {
            let (g, w) = (got[i * ncols + j], want[i * ncols + j]);
            let at = format!("{what}: C[{i}][{j}] = {g}, want {w}");
            if !w.is_finite() || !g.is_finite() {
                assert!(
                    g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
                    "{at}"
                );
                continue;
            }
            let scale = (want[i * ncols + i] * want[j * ncols + j]).sqrt();
            assert!((g - w).abs() <= rel * scale.max(1e-300), "{at}");
        }
    }
}

const COLUMNS: [usize; 10] = [1, 3, 4, 5, 8, 16, 17, 33, 64, 70];

fn row_counts(ncols: usize) -> Vec<usize> {
    let block = RunScratch::block_rows_for(ncols.next_multiple_of(8));
    vec![
        1,
        2,
        3,
        17,
        block - 1,
        block + 1,
        RUN_ROWS - 1,
        RUN_ROWS + 5,
    ]
}

#[test]
fn every_kernel_matches_the_two_pass_reference() {
    for kernel in kernels() {
        for ncols in COLUMNS {
            if ncols > 64 && kernel != Kernel::Portable {
                continue; // past the tile kernels, dgemm serves every kernel
            }
            for nrows in row_counts(ncols) {
                for offset in [0.0, 1e9] {
                    let rows = table(nrows, ncols, offset, (nrows * 31 + ncols) as u64);
                    let got = co_moments(kernel, &rows, ncols);
                    let what = format!("{kernel:?} {nrows}x{ncols} offset {offset}");
                    assert_eq!(got.count, nrows as u64, "{what}");
                    // Taking the offset away is exact (the values lie within a
                    // factor 2 of it), so the reference sees the same data
                    // without the cancellation a mean of 1e9 brings.
                    let near_zero: Vec<f64> = rows
                        .iter()
                        .enumerate()
                        .map(|(k, x)| x - offset * (k % ncols) as f64)
                        .collect();
                    let want = reference(&near_zero, ncols);
                    assert_cross_near(&got.cross, &want, ncols, 1e-12, &what);
                    for j in 0..ncols {
                        let mean = rows.iter().skip(j).step_by(ncols).sum::<f64>() / nrows as f64;
                        let got_mean = got.shift[j] + got.mean[j];
                        assert!(
                            (got_mean - mean).abs() <= 1e-12 * (1.0 + mean.abs()),
                            "{what}: mean {j}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn the_kernels_agree_on_random_shapes() {
    for ncols in [1, 3, 5, 16, 17, 33] {
        for (seed, nrows) in [(1u64, 7usize), (2, 255), (3, 1000), (4, 3 * RUN_ROWS + 11)] {
            let rows = table(nrows, ncols, 10.0, seed * 1_000_003 + ncols as u64);
            let all: Vec<CoMoments> = kernels()
                .into_iter()
                .map(|k| co_moments(k, &rows, ncols))
                .collect();
            for other in &all[1..] {
                let what = format!("{nrows}x{ncols}");
                assert_eq!(all[0].shift, other.shift, "{what}");
                assert_cross_near(&other.cross, &all[0].cross, ncols, 1e-13, &what);
            }
        }
    }
}

/// The tile kernels' triangle against `S^T S` summed the obvious way, on a
/// block with nonzero padding excluded by construction.
#[test]
fn the_triangle_kernels_compute_the_upper_gram_entries() {
    for kernel in kernels() {
        for ncols in [1, 3, 5, 8, 9, 16, 17, 33] {
            let nrows = 37;
            let rows = table(nrows, ncols, 3.0, ncols as u64 + 99);
            let mut run = RunScratch::default();
            run.reduce(kernel, &rows, ncols, &[]);
            let stride = run.stride;
            for i in 0..ncols {
                assert!(
                    (run.sums[i]
                        - rows
                            .iter()
                            .skip(i)
                            .step_by(ncols)
                            .map(|x| x - rows[i])
                            .sum::<f64>())
                    .abs()
                        < 1e-9,
                    "{kernel:?} {ncols} sums[{i}]"
                );
                for j in i..ncols {
                    let want: f64 = rows
                        .chunks_exact(ncols)
                        .map(|r| (r[i] - rows[i]) * (r[j] - rows[j]))
                        .sum();
                    let got = run.gram[i * stride + j];
                    assert!(
                        (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                        "{kernel:?} {ncols}: G[{i}][{j}] = {got}, want {want}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_matrix_stays_symmetric_and_pieces_match_one_call() {
    let ncols = 17;
    let rows = table(2 * RUN_ROWS + 100, ncols, 1e6, 5);
    for kernel in kernels() {
        let whole = co_moments(kernel, &rows, ncols);
        let mut pieces = CoMoments::new(ncols);
        for piece in rows.chunks(ncols * 999) {
            pieces.add_rows(kernel, piece);
        }
        for c in [&whole, &pieces] {
            for i in 0..ncols {
                for j in 0..ncols {
                    assert_eq!(c.cross[i * ncols + j], c.cross[j * ncols + i]);
                }
            }
        }
        assert_cross_near(
            &pieces.cross,
            &whole.cross,
            ncols,
            1e-12,
            &format!("{kernel:?}"),
        );
    }
}

#[test]
fn nan_and_infinities_poison_the_same_entries_in_every_kernel() {
    for ncols in [3, 9, 17] {
        let nrows = 300;
        let mut rows = table(nrows, ncols, 0.0, 77);
        rows[0] = f64::INFINITY; // column 0, in the first row (the shift)
        rows[ncols * 100 + 1] = f64::NAN; // column 1, a later row
        rows[ncols * (nrows - 1) + 2] = f64::NEG_INFINITY; // column 2, the last row
        let all: Vec<CoMoments> = kernels()
            .into_iter()
            .map(|k| co_moments(k, &rows, ncols))
            .collect();
        for c in &all {
            for i in 0..ncols {
                for j in 0..ncols {
                    let v = c.cross[i * ncols + j];
                    if i < 3 || j < 3 {
                        assert!(
                            !v.is_finite(),
                            "{ncols}: C[{i}][{j}] = {v} should not be finite"
                        );
                    } else {
                        assert!(v.is_finite(), "{ncols}: C[{i}][{j}] = {v}");
                    }
                }
            }
            assert_cross_near(&c.cross, &all[0].cross, ncols, 1e-13, "kernels");
        }
    }
}

/// The eight statistics' pass feeds each run tile by tile: pieces of any
/// size, across block boundaries, give the run as one piece does.
#[test]
fn runs_fed_in_pieces_match_whole_runs() {
    for kernel in kernels() {
        for ncols in [3, 16, 17, 70] {
            let rows = table(2 * RUN_ROWS + 33, ncols, 1e6, ncols as u64 + 7);
            let whole = co_moments(kernel, &rows, ncols);
            let mut pieces = CoMoments::new(ncols);
            let mut sizes = [1usize, 7, 100, 129, 300].into_iter().cycle();
            for run in rows.chunks(RUN_ROWS * ncols) {
                pieces.begin_run(&run[..ncols]);
                let mut rest = run;
                while !rest.is_empty() {
                    let take = (sizes.next().unwrap() * ncols).min(rest.len());
                    let (piece, after) = rest.split_at(take);
                    pieces.add_piece(kernel, piece, after);
                    rest = after;
                }
                pieces.end_run(kernel, (run.len() / ncols) as u64);
            }
            pieces.end_rows();
            let what = format!("{kernel:?} {ncols} columns");
            assert_eq!(pieces.count, whole.count, "{what}");
            assert_eq!(pieces.shift, whole.shift, "{what}");
            assert_cross_near(&pieces.cross, &whole.cross, ncols, 1e-12, &what);
        }
    }
}
