//! Local mode on `.npy` and `.csv` files through the path a cluster
//! executor will take: each partition's `PartitionSpec` is encoded, decoded
//! and computed on its own, and the merged result is compared with numpy's.
//! These need the `.npy`/`.csv` readers.

use std::num::{NonZeroU32, NonZeroUsize};
use std::path::Path;
use std::process::Command;

use rmesos_common::partition::{PartitionSource, PartitionSpec};
use rmesos_common::readers::CsvOptions;
use rmesos_common::stats::ColumnStats;
use rmesos_scheduler::engine::{Dataset, DatasetError, JobPlan, NoProgress, PartitionError};
use rmesos_scheduler::local::LocalRunner;

/// Writes `table.npy` and `table.csv` (the same 700 x 3 table) into `dir`
/// and prints numpy's mean, variance, min and max of it, one line each.
const WRITE_TABLES: &str = r#"
import sys, numpy as np
d = sys.argv[1]
x = np.random.default_rng(17).normal([40.0, -7.0, 1e3], [3.0, 0.5, 20.0], size=(700, 3))
np.save(f"{d}/table.npy", x)
np.savetxt(f"{d}/table.csv", x, fmt="%.17g", delimiter=",", header="a,b,c", comments="")
for v in (x.mean(0), x.var(0, ddof=1), x.min(0), x.max(0)):
    print(" ".join(repr(float(e)) for e in v))
"#;

fn write_tables(dir: &Path) -> Vec<Vec<f64>> {
    let output = Command::new("python3")
        .args(["-c", WRITE_TABLES, dir.to_str().unwrap()])
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| line.split(' ').map(|x| x.parse().unwrap()).collect())
        .collect()
}

fn assert_matches(stats: &ColumnStats, expected: &[Vec<f64>]) {
    assert_eq!(stats.count(), 700);
    let actual = [
        stats.mean().unwrap(),
        stats.variance().unwrap(),
        stats.min().unwrap(),
        stats.max().unwrap(),
    ];
    for (got, want) in actual.iter().zip(expected) {
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() <= 1e-9 * w.abs(), "{got:?} vs numpy {want:?}");
        }
    }
}

/// Runs `plan` computing each partition from its encoded spec, as an
/// executor would.
fn run_through_specs(plan: &JobPlan, threads: usize) -> ColumnStats {
    let runner = LocalRunner::new(NonZeroUsize::new(threads).unwrap());
    runner
        .run_with(plan, &NoProgress, |partition| {
            let spec = plan.spec(partition).expect("file partitions have a spec");
            assert_eq!(spec.partition_id, partition.id);
            assert_eq!(spec.job_id, plan.job_id());
            let bytes = spec.to_bytes().unwrap();
            let decoded = PartitionSpec::from_bytes(&bytes).unwrap();
            Ok(decoded.compute()?)
        })
        .unwrap()
}

#[test]
fn npy_and_csv_partitions_computed_from_their_specs_match_numpy() {
    let dir = tempfile::tempdir().unwrap();
    let expected = write_tables(dir.path());
    let datasets = [
        Dataset::Npy(dir.path().join("table.npy")),
        Dataset::Csv(dir.path().join("table.csv"), CsvOptions::default()),
    ];
    for dataset in &datasets {
        for (partitions, threads) in [(1, 1), (5, 2), (64, 3)] {
            let plan = dataset
                .plan("files", NonZeroU32::new(partitions), NonZeroUsize::MIN)
                .unwrap();
            assert!((1..=partitions).contains(&plan.len()), "{dataset:?}");
            assert_matches(&run_through_specs(&plan, threads), &expected);
            let stats = LocalRunner::new(NonZeroUsize::new(threads).unwrap())
                .run(&plan, &NoProgress)
                .unwrap();
            assert_matches(&stats, &expected);
        }
    }
}

#[test]
fn npy_plans_are_contiguous_row_ranges() {
    let dir = tempfile::tempdir().unwrap();
    write_tables(dir.path());
    let dataset = Dataset::Npy(dir.path().join("table.npy"));
    let plan = dataset
        .plan("rows", NonZeroU32::new(6), NonZeroUsize::MIN)
        .unwrap();
    assert_eq!(plan.shape().rows, Some(700));
    let mut next = 0;
    for partition in plan.partitions() {
        let Some(PartitionSpec {
            source: PartitionSource::NpyRows { rows, .. },
            ..
        }) = plan.spec(partition)
        else {
            panic!("not an npy row range: {partition:?}");
        };
        assert_eq!(rows.start, next);
        next = rows.end;
    }
    assert_eq!(next, 700);
}

#[test]
fn a_missing_file_is_named_when_planning_and_when_computing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.npy");
    let err = Dataset::Npy(path.clone())
        .plan("missing", None, NonZeroUsize::MIN)
        .unwrap_err();
    assert!(matches!(err, DatasetError::Read(_)), "{err}");
    assert!(err.to_string().contains(path.to_str().unwrap()), "{err}");

    let spec = PartitionSpec {
        job_id: "missing".into(),
        partition_id: 0,
        source: PartitionSource::NpyRows {
            path: path.clone(),
            rows: 0..10,
        },
        request: Default::default(),
    };
    let err = PartitionError::from(spec.compute().unwrap_err());
    assert!(err.to_string().contains(path.to_str().unwrap()), "{err}");
}

/// Halves `path`'s length, as another process truncating it would.
fn truncate_to_half(path: &Path) {
    let len = std::fs::metadata(path).unwrap().len();
    let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    file.set_len(len / 2).unwrap();
}

#[test]
fn a_file_truncated_after_planning_fails_the_job_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write_tables(dir.path());
    let path = dir.path().join("table.npy");
    let plan = Dataset::Npy(path.clone())
        .plan("truncated", NonZeroU32::new(4), NonZeroUsize::MIN)
        .unwrap();
    truncate_to_half(&path);
    let err = LocalRunner::new(NonZeroUsize::new(2).unwrap())
        .run(&plan, &NoProgress)
        .unwrap_err();
    assert!(err.to_string().contains(path.to_str().unwrap()), "{err}");
}

#[test]
fn a_file_truncated_while_a_partition_reads_it_fails_the_job_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write_tables(dir.path());
    let path = dir.path().join("table.npy");
    let plan = Dataset::Npy(path.clone())
        .plan("truncated", NonZeroU32::new(1), NonZeroUsize::MIN)
        .unwrap();
    // The partition opens (and validates) the file, then it shrinks under
    // the read: the same path as a truncation mid-read, without a race.
    let err = LocalRunner::new(NonZeroUsize::MIN)
        .run_with(&plan, &NoProgress, |partition| {
            let Some(PartitionSpec {
                source: PartitionSource::NpyRows { path, rows },
                ..
            }) = plan.spec(partition)
            else {
                panic!("not an npy row range: {partition:?}");
            };
            let npy = rmesos_common::readers::NpyFile::open(&path)?;
            truncate_to_half(&path);
            Ok(npy.summarize_rows(rows)?)
        })
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains(path.to_str().unwrap()), "{text}");
    assert!(text.contains("shorter than its header says"), "{text}");
}
