//! Helpers for the executor's tests: a scheduler driving the simulated
//! cluster (`scheduler`), a fake driver channel that assigns partitions
//! and records reports (`driver`), a stand-in data server
//! (`data_server`) and one that stalls on raw TCP (`stalling_server`), a
//! scripted fake agent (`fake_agent`), and small data files.

#![allow(dead_code)] // each test file uses a different subset

pub mod data_server;
pub mod driver;
pub mod fake_agent;
pub mod scheduler;
pub mod stalling_server;

use std::path::{Path, PathBuf};

use rmesos_common::partition::{PartitionSource, PartitionSpec};
use rmesos_common::readers::CsvOptions;
use rmesos_common::wire::v1::{TaskState, TaskStatus};

/// Shows the executor's log when the test fails (it lives in a temporary
/// directory that is gone afterwards).
pub struct LogOnFailure(pub PathBuf);

impl Drop for LogOnFailure {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.0).unwrap_or_default();
            eprintln!(
                "--- executor log {} ---\n{log}--- end ---",
                self.0.display()
            );
        }
    }
}

/// Deterministic test values: `rows` x `cols`, row-major.
/// Asserts `status` is in `state`, showing its message when not.
pub fn assert_state(status: &TaskStatus, state: TaskState) {
    assert_eq!(
        status.state,
        state as i32,
        "{:?}: {:?}",
        TaskState::try_from(status.state),
        status.message
    );
}

pub fn values(rows: usize, cols: usize) -> Vec<f64> {
    (0..rows * cols)
        .map(|i| ((i * 7919) % 1000) as f64 / 10.0 - 40.0)
        .collect()
}

/// Writes `values` as a C-order little-endian float64 `.npy` file.
pub fn write_npy(path: &Path, values: &[f64], cols: usize) {
    rmesos_common::readers::write_npy_f64(path, values, cols).unwrap();
}

/// Writes `values` as a `.csv` file with a header line.
pub fn write_csv(path: &Path, values: &[f64], cols: usize) {
    let mut text: String = (0..cols)
        .map(|c| format!("c{c}"))
        .collect::<Vec<_>>()
        .join(",");
    text.push('\n');
    for row in values.chunks(cols) {
        let cells: Vec<String> = row.iter().map(|v| v.to_string()).collect();
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

pub fn spec(partition_id: u32, source: PartitionSource) -> PartitionSpec {
    PartitionSpec {
        job_id: "job-test".into(),
        partition_id,
        source,
        request: Default::default(),
    }
}

pub fn csv_source(path: &Path, bytes: std::ops::Range<u64>) -> PartitionSource {
    PartitionSource::CsvBytes {
        path: path.to_path_buf(),
        bytes,
        options: CsvOptions::default(),
    }
}
