//! Local mode on in-memory datasets: results against a straightforward
//! reference for many partitionings and thread counts, reproducibility,
//! empty and invalid data, error propagation, and progress events.

mod local_support;

use std::num::{NonZeroU32, NonZeroUsize};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use local_support::{assert_matches_reference, random_rows};
use rmesos_common::stats::{ColumnStats, ColumnSummary, StatsError};
use rmesos_scheduler::engine::{
    Dataset, DatasetError, DatasetShape, JobError, JobPlan, NoProgress, Partition, PartitionError,
    PartitionWork, ProgressEvent, ProgressUpdate,
};
use rmesos_scheduler::local::LocalRunner;

fn threads(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).unwrap()
}

fn partitions(n: u32) -> Option<NonZeroU32> {
    NonZeroU32::new(n)
}

fn run(dataset: &Dataset, p: Option<NonZeroU32>, t: usize) -> (JobPlan, ColumnStats) {
    let runner = LocalRunner::new(threads(t));
    let plan = dataset.plan("test-job", p, runner.threads()).unwrap();
    let stats = runner.run(&plan, &NoProgress).unwrap();
    (plan, stats)
}

#[test]
fn matches_reference_for_every_partitioning_and_thread_count() {
    let (nrows, ncols) = (257, 6);
    let rows = random_rows(11, nrows, ncols);
    let dataset = Dataset::in_memory(rows.clone(), ncols).unwrap();
    for p in [1, 2, 3, 8, 64, 257, 1000] {
        for t in [1, 2, 3, 8] {
            let (plan, stats) = run(&dataset, partitions(p), t);
            assert_eq!(plan.len(), p.min(nrows as u32), "P={p} threads={t}");
            assert_matches_reference(&stats, &rows, ncols);
        }
    }
}

#[test]
fn single_row_and_single_column_tables() {
    let one_row = random_rows(3, 1, 5);
    let (_, stats) = run(&Dataset::in_memory(one_row.clone(), 5).unwrap(), None, 4);
    assert_matches_reference(&stats, &one_row, 5);
    assert_eq!(stats.variance().unwrap(), vec![0.0; 5]);

    let one_column = random_rows(4, 500, 1);
    let (_, stats) = run(
        &Dataset::in_memory(one_column.clone(), 1).unwrap(),
        partitions(9),
        2,
    );
    assert_matches_reference(&stats, &one_column, 1);
}

#[test]
fn default_partitioning_is_two_per_worker_but_never_more_than_rows() {
    let dataset = Dataset::in_memory(random_rows(5, 100, 2), 2).unwrap();
    for workers in [1, 3, 8] {
        let plan = dataset.plan("j", None, threads(workers)).unwrap();
        assert_eq!(plan.len() as usize, 2 * workers);
    }
    let small = Dataset::in_memory(random_rows(5, 3, 2), 2).unwrap();
    assert_eq!(small.plan("j", None, threads(8)).unwrap().len(), 3);
    assert_eq!(
        small.plan("j", partitions(50), threads(1)).unwrap().len(),
        3
    );
}

#[test]
fn plan_covers_the_rows_in_order_with_ids_in_order() {
    let dataset = Dataset::in_memory(random_rows(6, 103, 3), 3).unwrap();
    let plan = dataset.plan("j", partitions(10), threads(1)).unwrap();
    assert_eq!(
        plan.shape(),
        DatasetShape {
            ncols: 3,
            rows: Some(103),
            bytes: None
        }
    );
    let mut next_row = 0;
    for (index, partition) in plan.partitions().iter().enumerate() {
        assert_eq!(partition.id as usize, index);
        let PartitionWork::InMemory { range, .. } = &partition.work else {
            panic!("in-memory dataset planned as {:?}", partition.work);
        };
        assert_eq!(range.start, next_row);
        next_row = range.end;
        assert!(
            plan.spec(partition).is_none(),
            "in-memory rows have no spec"
        );
    }
    assert_eq!(next_row, 103);
}

#[test]
fn same_partitioning_gives_identical_bits_on_any_thread_count() {
    let rows = random_rows(21, 5000, 4);
    let dataset = Dataset::in_memory(rows, 4).unwrap();
    let bits = |stats: &ColumnStats| -> Vec<u64> {
        [
            stats.mean(),
            stats.variance(),
            stats.norm_l1(),
            stats.norm_l2(),
        ]
        .into_iter()
        .flat_map(|v| v.unwrap())
        .map(f64::to_bits)
        .collect()
    };
    let (_, first) = run(&dataset, partitions(37), 1);
    for t in [2, 3, 5, 8] {
        let (_, again) = run(&dataset, partitions(37), t);
        assert_eq!(bits(&first), bits(&again), "threads={t}");
    }
}

#[test]
fn empty_dataset_has_count_zero_and_undefined_statistics() {
    let dataset = Dataset::in_memory(Vec::<f64>::new(), 3).unwrap();
    let (plan, stats) = run(&dataset, None, 4);
    assert_eq!(plan.len(), 1);
    assert_eq!(stats.count(), 0);
    assert!(matches!(stats.mean(), Err(StatsError::Empty(_))));
    assert!(matches!(stats.norm_l2(), Err(StatsError::Empty(_))));
}

#[test]
fn ragged_or_columnless_rows_are_rejected() {
    let err = Dataset::in_memory(vec![1.0; 7], 3).unwrap_err();
    assert!(
        matches!(err, DatasetError::Ragged { len: 7, ncols: 3 }),
        "{err}"
    );
    assert!(err.to_string().contains("7 values"), "{err}");
    let err = Dataset::in_memory(vec![1.0; 6], 0).unwrap_err();
    assert!(matches!(err, DatasetError::NoColumns), "{err}");
    // Built directly, the variant is checked when planned.
    let direct = Dataset::InMemory {
        rows: Arc::from(vec![1.0; 5]),
        ncols: 2,
    };
    assert!(matches!(
        direct.plan("j", None, threads(1)),
        Err(DatasetError::Ragged { len: 5, ncols: 2 })
    ));
}

/// A plan of `n` in-memory partitions of one row each where partition
/// `bad` asks for rows that do not exist.
fn plan_with_bad_partition(n: u32, bad: u32) -> JobPlan {
    let rows: Arc<[f64]> = Arc::from(random_rows(8, n as usize, 2));
    let partitions = (0..n)
        .map(|id| {
            let start = if id == bad {
                10 * u64::from(n)
            } else {
                u64::from(id)
            };
            Partition {
                id,
                work: PartitionWork::InMemory {
                    rows: Arc::clone(&rows),
                    ncols: 2,
                    range: start..start + 1,
                },
            }
        })
        .collect();
    let shape = DatasetShape {
        ncols: 2,
        rows: Some(u64::from(n)),
        bytes: None,
    };
    JobPlan::new("bad-job".into(), shape, partitions)
}

#[test]
fn first_error_fails_the_job_and_stops_remaining_work() {
    let plan = plan_with_bad_partition(10, 3);
    let computed = Mutex::new(Vec::new());
    let (sender, receiver) = mpsc::channel::<ProgressUpdate>();
    let result = LocalRunner::new(threads(1)).run_with(&plan, &sender, |partition| {
        computed.lock().unwrap().push(partition.id);
        partition.work.compute()
    });
    let err = result.unwrap_err();
    assert!(
        matches!(
            err,
            JobError::Partition {
                partition_id: 3,
                source: PartitionError::RowsOutOfRange { .. }
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("partition 3"), "{err}");
    // One thread takes partitions in order and starts nothing after 3.
    assert_eq!(*computed.lock().unwrap(), vec![0, 1, 2, 3]);
    drop(sender);
    let events: Vec<ProgressEvent> = receiver.iter().map(|u| u.event).collect();
    assert!(events.contains(&ProgressEvent::PartitionFailed {
        partition_id: 3,
        attempt: 1,
        message: err.to_string()
    }));
    assert!(
        matches!(events.last(), Some(ProgressEvent::JobFailed { message }) if *message == err.to_string())
    );
}

#[test]
fn failures_on_many_threads_stop_every_worker() {
    let plan = plan_with_bad_partition(200, 0);
    let calls = AtomicU32::new(0);
    let workers = 4;
    let result = LocalRunner::new(threads(workers)).run_with(&plan, &NoProgress, |_| {
        calls.fetch_add(1, Ordering::SeqCst);
        Err::<ColumnSummary, _>(PartitionError::Stats(StatsError::Empty("test")))
    });
    let err = result.unwrap_err();
    assert!(matches!(err, JobError::Partition { .. }), "{err}");
    // Each worker fails its first partition and then takes no other.
    let calls = calls.load(Ordering::SeqCst);
    assert!(
        (1..=workers as u32).contains(&calls),
        "{calls} partitions computed"
    );
}

#[test]
fn a_panicking_partition_fails_the_job_with_its_message() {
    let dataset = Dataset::in_memory(random_rows(9, 40, 2), 2).unwrap();
    let plan = dataset.plan("j", partitions(4), threads(2)).unwrap();
    let result = LocalRunner::new(threads(2)).run_with(&plan, &NoProgress, |partition| {
        if partition.id == 2 {
            panic!("kaboom in partition two");
        }
        partition.work.compute()
    });
    let err = result.unwrap_err();
    assert!(
        matches!(&err, JobError::Panicked { partition_id: 2, message } if message.contains("kaboom")),
        "{err}"
    );
}

#[test]
fn progress_events_count_up_to_the_totals() {
    let (nrows, ncols, p) = (1001, 3, 13);
    let dataset = Dataset::in_memory(random_rows(10, nrows, ncols), ncols).unwrap();
    let runner = LocalRunner::new(threads(3));
    let plan = dataset
        .plan("progress-job", partitions(p), runner.threads())
        .unwrap();
    let (sender, receiver) = mpsc::channel();
    runner.run(&plan, &sender).unwrap();
    drop(sender);
    let updates: Vec<ProgressUpdate> = receiver.iter().collect();
    assert!(updates.iter().all(|u| u.job_id == "progress-job"));
    assert_eq!(
        updates.first().map(|u| &u.event),
        Some(&ProgressEvent::JobStarted)
    );
    assert_eq!(
        updates.last().map(|u| &u.event),
        Some(&ProgressEvent::JobFinished)
    );

    let mut finished_ids = Vec::new();
    let mut started = 0;
    let mut done_so_far = 0;
    for update in &updates {
        match update.event {
            ProgressEvent::PartitionStarted { attempt, .. } => {
                assert_eq!(attempt, 1);
                started += 1;
            }
            ProgressEvent::PartitionFinished { partition_id, rows } => {
                finished_ids.push(partition_id);
                done_so_far += 1;
                assert_eq!(update.progress.partitions_done, done_so_far);
                assert!(rows > 0);
            }
            _ => {}
        }
        assert!(update.progress.partitions_done <= update.progress.partitions_total);
    }
    finished_ids.sort_unstable();
    assert_eq!(finished_ids, (0..p).collect::<Vec<_>>());
    assert_eq!(started, p);

    let last = &updates.last().unwrap().progress;
    assert_eq!((last.partitions_done, last.partitions_total), (p, p));
    assert_eq!(
        (last.rows_done, last.rows_total),
        (nrows as u64, Some(nrows as u64))
    );
    assert_eq!((last.attempts_started, last.attempts_failed), (p, 0));
    assert_eq!(last.duplicate_results, 0);
}

#[test]
fn a_closure_receives_progress_too() {
    let dataset = Dataset::in_memory(random_rows(12, 50, 2), 2).unwrap();
    let plan = dataset.plan("j", partitions(5), threads(2)).unwrap();
    let finished = AtomicU32::new(0);
    let sink = |update: &ProgressUpdate| {
        if matches!(update.event, ProgressEvent::PartitionFinished { .. }) {
            finished.fetch_add(1, Ordering::SeqCst);
        }
    };
    LocalRunner::new(threads(2)).run(&plan, &sink).unwrap();
    assert_eq!(finished.load(Ordering::SeqCst), 5);
}
