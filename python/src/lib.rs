//! The `rmesos._rmesos` extension module: the Rust half of the `rmesos`
//! Python package. Python-facing API and rendering live in `python/rmesos/`;
//! this module runs jobs (`job.rs`) and converts their results (`convert.rs`).

mod cluster;
mod convert;
mod job;
mod shared_cluster;

use numpy::{PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rmesos_common::readers::{CsvOptions, HeaderMode};
use rmesos_scheduler::cli::master::{MasterUrl, redact};
use rmesos_scheduler::engine::Dataset;
use rmesos_scheduler::local::LocalMaster;

create_exception!(
    _rmesos,
    JobFailed,
    PyRuntimeError,
    "A job failed: its message names the cause (file, line, field)."
);

/// Checks a local master URL; returns its thread count, or raises.
fn local_threads(master: &str) -> PyResult<LocalMaster> {
    match MasterUrl::parse(master) {
        Ok(MasterUrl::Local(local)) => Ok(local),
        Ok(_) => Err(PyValueError::new_err(format!(
            "{} is a cluster master: run cluster jobs through a ClusterSession",
            redact(master)
        ))),
        Err(error) => Err(PyValueError::new_err(error.to_string())),
    }
}

/// A job id unique enough to tell jobs apart in logs and task ids.
fn job_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "py-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The dataset of a `.npy` or `.csv` path, chosen by extension.
fn file_dataset(
    path: std::path::PathBuf,
    delimiter: Option<&str>,
    header: Option<&str>,
) -> PyResult<Dataset> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("npy") => Ok(Dataset::Npy(path)),
        Some("csv") => Ok(Dataset::Csv(path, csv_options(delimiter, header)?)),
        _ => Err(PyValueError::new_err(format!(
            "{}: expected a .npy or .csv file",
            path.display()
        ))),
    }
}

/// Column statistics of a C-contiguous float64 2-D array, read in place.
#[pyfunction]
#[pyo3(signature = (array, master, partitions=None, progress=None))]
fn col_stats_array<'py>(
    py: Python<'py>,
    array: PyReadonlyArray2<'py, f64>,
    master: &str,
    partitions: Option<u32>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let local = local_threads(master)?;
    let (nrows, ncols) = (array.shape()[0], array.shape()[1]);
    let values = array
        .as_slice()
        .map_err(|_| PyValueError::new_err("the array must be C-contiguous float64"))?;
    let dataset = Dataset::Borrowed {
        nrows: nrows as u64,
        ncols,
    };
    let stats = job::run(py, &dataset, Some(values), local, partitions, progress)?;
    convert::stats_to_dict(py, &stats)
}

/// Column statistics of a `.npy` or `.csv` file, read by range.
#[pyfunction]
#[pyo3(signature = (path, master, partitions=None, delimiter=None, header=None, progress=None))]
fn col_stats_file<'py>(
    py: Python<'py>,
    path: std::path::PathBuf,
    master: &str,
    partitions: Option<u32>,
    delimiter: Option<&str>,
    header: Option<&str>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let local = local_threads(master)?;
    let dataset = file_dataset(path, delimiter, header)?;
    let stats = job::run(py, &dataset, None, local, partitions, progress)?;
    convert::stats_to_dict(py, &stats)
}

fn csv_options(delimiter: Option<&str>, header: Option<&str>) -> PyResult<CsvOptions> {
    let mut options = CsvOptions::default();
    if let Some(d) = delimiter {
        options.delimiter = match d.as_bytes() {
            [b] if b.is_ascii() => *b,
            _ if d == "\\t" || d == "tab" => b'\t',
            _ => {
                return Err(PyValueError::new_err(format!(
                    "delimiter must be one ASCII character, not {d:?}"
                )));
            }
        };
    }
    options.header = match header {
        None | Some("auto") => HeaderMode::Auto,
        Some("yes") | Some("true") => HeaderMode::Present,
        Some("no") | Some("false") => HeaderMode::Absent,
        Some(other) => {
            return Err(PyValueError::new_err(format!(
                "header must be 'auto', 'yes' or 'no', not {other:?}"
            )));
        }
    };
    Ok(options)
}

/// Validates a master URL (raises `ValueError`): the local thread count,
/// or 0 for a cluster master.
#[pyfunction]
fn check_master(master: &str) -> PyResult<usize> {
    match MasterUrl::parse(master) {
        Ok(MasterUrl::Local(local)) => Ok(local.threads.get()),
        Ok(_) => Ok(0),
        Err(error) => Err(PyValueError::new_err(error.to_string())),
    }
}

#[pymodule]
fn _rmesos(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(col_stats_array, m)?)?;
    m.add_function(wrap_pyfunction!(col_stats_file, m)?)?;
    m.add_function(wrap_pyfunction!(check_master, m)?)?;
    m.add_class::<cluster::ClusterSession>()?;
    m.add("JobFailed", m.py().get_type::<JobFailed>())?;
    Ok(())
}
