//! `rmesos-submit` (the built binary, run as a subprocess) on Parquet
//! files written by pyarrow, whose statistics numpy computes from the same
//! table: every numeric type (dictionary-encoded and nullable too; nulls
//! read as NaN), column selection and order, every codec pyarrow writes,
//! and bad input (a non-numeric column asked for, a truncated file) exiting
//! 2 with a message naming the file. Datasets of many files (a directory,
//! a glob): the statistics of all their rows, partitions within files,
//! and files that disagree named. Objects are in `cli_objects.rs`.

mod cli_support;

use std::path::PathBuf;

use serde_json::Value;
use tempfile::TempDir;

use cli_support::parquet::{assert_matches, pyarrow};
use cli_support::{assert_bad_input, s, submit, submit_json};

fn dir() -> TempDir {
    tempfile::tempdir().unwrap()
}

fn file(dir: &TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

#[test]
fn every_numeric_type_matches_numpy_on_every_partitioning() {
    let dir = dir();
    let path = file(&dir, "mixed.parquet");
    let expected = pyarrow(&["mixed", s(&path), "5000", "700", "snappy"]);
    for args in [
        vec!["--master", "local"],
        vec!["--master", "local[2]", "--partitions", "3"],
        vec!["--master", "local[3]", "--partitions", "100"],
        vec!["--master", "local[*]", "--partitions", "1"],
    ] {
        let mut all = args.clone();
        all.push(s(&path));
        assert_matches(&submit_json(&all), &expected, &format!("{args:?}"));
    }
}

#[test]
fn columns_are_chosen_and_ordered_by_name() {
    let dir = dir();
    let path = file(&dir, "mixed.parquet");
    let expected = pyarrow(&[
        "mixed",
        s(&path),
        "3000",
        "1000",
        "zstd",
        "small,maybe,price,qty",
    ]);
    let actual = submit_json(&["--columns", "small,maybe,price,qty", s(&path)]);
    assert_matches(&actual, &expected, "--columns");
    let table = submit(&["--columns", "small,maybe,price,qty", s(&path)]);
    let text = String::from_utf8_lossy(&table.stdout);
    let first_cells: Vec<&str> = text
        .lines()
        .skip(2)
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert_eq!(first_cells, ["small", "maybe", "price", "qty"], "{text}");
}

#[test]
fn every_codec_pyarrow_writes_is_read() {
    let dir = dir();
    for codec in ["none", "snappy", "gzip", "zstd", "lz4", "brotli"] {
        let path = file(&dir, &format!("{codec}.parquet"));
        let expected = pyarrow(&[
            "mixed",
            s(&path),
            "2000",
            "600",
            codec,
            "price,level,amount",
        ]);
        let output = submit(&[
            "--format",
            "json",
            "--columns",
            "price,level,amount",
            s(&path),
        ]);
        if codec == "brotli" {
            // Not compiled in (compile time): refused, naming the file.
            let err = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{err}");
            assert!(
                err.contains(s(&path)) && err.to_lowercase().contains("brotli"),
                "{err}"
            );
            continue;
        }
        let actual: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
            panic!("{codec}: {}", String::from_utf8_lossy(&output.stderr));
        });
        assert_matches(&actual, &expected, codec);
    }
}

#[test]
fn bad_columns_and_bad_files_exit_2_naming_the_file() {
    let dir = dir();
    let path = file(&dir, "mixed.parquet");
    pyarrow(&["mixed", s(&path), "2000", "500", "snappy"]);
    assert_bad_input(
        &["--columns", "price,label", s(&path)],
        &path,
        &["'label'", "text"],
    );
    assert_bad_input(
        &["--columns", "when", s(&path)],
        &path,
        &["'when'", "timestamp"],
    );
    assert_bad_input(
        &["--columns", "nope", s(&path)],
        &path,
        &["'nope'", "price"],
    );
    let bytes = std::fs::read(&path).unwrap();
    let truncated = file(&dir, "truncated.parquet");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    assert_bad_input(&[s(&truncated)], &truncated, &["not a valid Parquet file"]);
    let garbage = file(&dir, "garbage.parquet");
    std::fs::write(&garbage, b"PAR1 this is not parquet at all PAR1").unwrap();
    assert_bad_input(&[s(&garbage)], &garbage, &["not a valid Parquet file"]);
    // Damage inside the data (the footer intact): still exit 2, never a panic.
    let mut damaged = bytes.clone();
    for byte in damaged.iter_mut().skip(200).step_by(97).take(400) {
        *byte ^= 0x5a;
    }
    let damaged_path = file(&dir, "damaged.parquet");
    std::fs::write(&damaged_path, &damaged).unwrap();
    let output = submit(&["--columns", "price,qty", s(&damaged_path)]);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains(s(&damaged_path)) && !err.contains("panicked"),
        "{err}"
    );
    let npy_columns = submit(&["--columns", "a", "x.npy"]);
    assert_eq!(npy_columns.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&npy_columns.stderr).contains("Parquet input only"));
}

#[test]
fn skipped_columns_are_named_on_stderr() {
    let dir = dir();
    let path = file(&dir, "mixed.parquet");
    pyarrow(&["mixed", s(&path), "100", "100", "snappy"]);
    let output = submit(&[s(&path)]);
    assert_eq!(output.status.code(), Some(0));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("skipped") && err.contains("label, when"),
        "{err}"
    );
}

#[test]
fn an_empty_file_has_count_zero() {
    let dir = dir();
    let path = file(&dir, "empty.parquet");
    let expected = pyarrow(&["mixed", s(&path), "0", "100", "snappy", "price"]);
    assert_eq!(expected, serde_json::json!({"count": 0}));
    assert_eq!(submit_json(&[s(&path)]), expected);
}

#[test]
fn a_directory_and_a_glob_are_one_dataset_of_their_files() {
    let dir = dir();
    let expected = pyarrow(&["many", s(dir.path())]);
    for args in [
        vec!["--master", "local"],
        vec!["--master", "local[3]", "--partitions", "2"],
        vec!["--master", "local[2]", "--partitions", "40"],
    ] {
        let mut all = args.clone();
        all.push(s(dir.path()));
        assert_matches(&submit_json(&all), &expected, &format!("{args:?}"));
    }
    // The glob takes the .npy parts only: compare with those alone.
    let pattern = dir.path().join("part-*.npy");
    let glob = submit_json(&[s(&pattern)]);
    let parts: u64 = [0usize, 3]
        .iter()
        .map(|i| {
            let path = dir.path().join(format!("part-{i:02}.npy"));
            submit_json(&[s(&path)])["count"].as_u64().unwrap()
        })
        .sum();
    assert_eq!(glob["count"].as_u64(), Some(parts));
}

#[test]
fn partitions_never_straddle_files() {
    use rmesos_common::partition::PartitionSource;
    use rmesos_scheduler::engine::{CsvChoices, Dataset, PartitionWork};
    let dir = dir();
    pyarrow(&["many", s(dir.path())]);
    let dataset = Dataset::open_columns(dir.path(), CsvChoices::default(), None).unwrap();
    for wanted in [1u32, 3, 9, 50] {
        let plan = dataset
            .plan(
                "files",
                std::num::NonZeroU32::new(wanted),
                std::num::NonZeroUsize::MIN,
            )
            .unwrap();
        let mut files = Vec::new();
        for partition in plan.partitions() {
            let PartitionWork::File(source) = &partition.work else {
                panic!("a file dataset planned rows in memory");
            };
            let path = source.path().unwrap().to_path_buf();
            if let PartitionSource::NpyRows { rows, .. } = source {
                assert!(rows.end >= rows.start);
            }
            if files.last() != Some(&path) {
                assert!(
                    !files.contains(&path),
                    "{path:?} comes back after another file"
                );
                files.push(path);
            }
        }
        assert_eq!(
            files.len(),
            5,
            "every file has a partition of its own: {files:?}"
        );
    }
}

#[test]
fn files_that_differ_are_named() {
    let dir = dir();
    pyarrow(&["many", s(dir.path())]);
    let odd = dir.path().join("part-03b.csv");
    std::fs::write(&odd, "1,2\n3,4\n").unwrap();
    assert_bad_input(&[s(dir.path())], &odd, &["2 columns", "part-00.npy has 3"]);
    std::fs::remove_file(&odd).unwrap();
    let renamed = dir.path().join("part-99.parquet");
    pyarrow(&[
        "mixed",
        s(&renamed),
        "10",
        "10",
        "snappy",
        "price,qty,small",
    ]);
    assert_bad_input(
        &["--columns", "a,b,c", s(dir.path())],
        dir.path(),
        &["Parquet input only"],
    );
    let only_parquet = dir.path().join("part-*.parquet");
    assert_bad_input(&[s(&only_parquet)], &renamed, &["part-02.parquet has"]);
    let empty = tempfile::tempdir().unwrap();
    assert_bad_input(
        &[s(empty.path())],
        empty.path(),
        &["no .npy, .csv or .parquet files"],
    );
}
