//! The exactly-once merge behind local mode (and, later, cluster jobs):
//! duplicate results are ignored and counted, never merged twice; missing
//! partitions are known; bad results are refused without being recorded.

mod local_support;

use local_support::{Reference, assert_matches_reference, random_rows};
use rmesos_common::stats::ColumnSummary;
use rmesos_scheduler::engine::{MergeError, MergeOutcome, ResultMerger};

fn summary_of(rows: &[f64], ncols: usize) -> ColumnSummary {
    let mut summary = ColumnSummary::new(ncols);
    summary.add_rows(rows).unwrap();
    summary
}

/// `parts` summaries of consecutive 10-row slices of `rows`.
fn partition_summaries(rows: &[f64], ncols: usize) -> Vec<ColumnSummary> {
    rows.chunks(10 * ncols)
        .map(|chunk| summary_of(chunk, ncols))
        .collect()
}

#[test]
fn duplicate_results_are_ignored_and_counted() {
    let ncols = 3;
    let rows = random_rows(1, 95, ncols);
    let parts = partition_summaries(&rows, ncols);
    let total = parts.len() as u32;
    // A duplicate carries different numbers, as a retried task reading
    // a changed file might: merging it would show in every statistic.
    let impostor = summary_of(&random_rows(2, 10, ncols), ncols);
    let mut merger = ResultMerger::new(ncols, total);
    let mut duplicates = 0;
    let mut seen = std::collections::HashSet::new();
    for (step, id) in [4, 0, 4, 9, 1, 0, 2, 3, 5, 9, 6, 7, 8, 8]
        .into_iter()
        .enumerate()
    {
        let seen_before = !seen.insert(id);
        let result = if seen_before {
            impostor.clone()
        } else {
            parts[id as usize].clone()
        };
        let outcome = merger.accept(id, result).unwrap();
        if seen_before {
            duplicates += 1;
            assert_eq!(outcome, MergeOutcome::Duplicate, "step {step}");
        } else {
            assert_eq!(outcome, MergeOutcome::Merged, "step {step}");
        }
    }
    assert_eq!(merger.duplicates(), duplicates);
    assert_eq!(merger.merged(), total);
    assert!(merger.is_complete());
    let stats = merger.finish().unwrap();
    assert_matches_reference(&stats, &rows, ncols);
}

#[test]
fn missing_partitions_are_known_until_every_one_arrives() {
    let rows = random_rows(3, 50, 2);
    let parts = partition_summaries(&rows, 2);
    let mut merger = ResultMerger::new(2, 5);
    assert_eq!(merger.missing(), vec![0, 1, 2, 3, 4]);
    for (id, expected_missing) in [(3, vec![0, 1, 2, 4]), (0, vec![1, 2, 4]), (4, vec![1, 2])] {
        merger.accept(id, parts[id as usize].clone()).unwrap();
        assert_eq!(merger.missing(), expected_missing);
        assert!(!merger.is_complete());
    }
    let err = merger.finish().unwrap_err();
    assert_eq!(
        err,
        MergeError::Incomplete {
            missing: 2,
            total: 5,
            first: 1
        }
    );
}

#[test]
fn bad_results_are_refused_and_not_recorded() {
    let rows = random_rows(4, 20, 2);
    let parts = partition_summaries(&rows, 2);
    let mut merger = ResultMerger::new(2, 2);
    assert_eq!(
        merger.accept(2, parts[0].clone()),
        Err(MergeError::UnknownPartition {
            partition_id: 2,
            total: 2
        })
    );
    let wrong_width = summary_of(&random_rows(5, 10, 3), 3);
    assert_eq!(
        merger.accept(0, wrong_width),
        Err(MergeError::ColumnMismatch {
            partition_id: 0,
            found: 3,
            expected: 2
        })
    );
    // Partition 0 still counts as missing, and its real result merges.
    assert_eq!(merger.missing(), vec![0, 1]);
    assert_eq!(merger.accept(0, parts[0].clone()), Ok(MergeOutcome::Merged));
    assert_eq!(merger.accept(1, parts[1].clone()), Ok(MergeOutcome::Merged));
    assert_eq!(merger.duplicates(), 0);
    let stats = merger.finish().unwrap();
    assert_eq!(stats.count(), Reference::of(&rows, 2).count);
    assert_matches_reference(&stats, &rows, 2);
}

#[test]
fn empty_partitions_merge_to_the_rest() {
    let rows = random_rows(6, 30, 4);
    let mut merger = ResultMerger::new(4, 4);
    merger.accept(0, ColumnSummary::new(4)).unwrap();
    merger.accept(1, summary_of(&rows[..40], 4)).unwrap();
    merger.accept(3, ColumnSummary::new(4)).unwrap();
    merger.accept(2, summary_of(&rows[40..], 4)).unwrap();
    assert_matches_reference(&merger.finish().unwrap(), &rows, 4);
}
