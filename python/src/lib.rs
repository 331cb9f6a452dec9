//! The `rmesos._rmesos` extension module: the Rust half of the `rmesos`
//! Python package. Python-facing API and rendering live in `python/rmesos/`;
//! this module runs jobs (`job.rs`) and converts their results (`convert.rs`).

mod cluster;
mod convert;
mod dataset;
mod extras;
mod job;
mod settings;
mod shared_cluster;

use numpy::{PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rmesos_scheduler::engine::{DEFAULT_CLUSTER_PARTITIONS, Dataset};
use rmesos_scheduler::local::LocalMaster;
use rmesos_scheduler::settings::{MasterUrl, redact};

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

/// The partitions asked for (`None`: the default where the job runs).
fn partitions(requested: Option<u32>) -> PyResult<Option<std::num::NonZeroU32>> {
    requested
        .map(|n| {
            std::num::NonZeroU32::new(n)
                .ok_or_else(|| PyValueError::new_err("the number of partitions must be at least 1"))
        })
        .transpose()
}

/// A job that could not be planned: a file that cannot be read is the
/// job's failure (`JobFailed`, as when a partition finds it bad); anything
/// else wrong with the dataset is a `ValueError`.
fn plan_failed(error: rmesos_scheduler::engine::DatasetError) -> PyErr {
    match error {
        rmesos_scheduler::engine::DatasetError::Read(read) => JobFailed::new_err(read.to_string()),
        other => PyValueError::new_err(other.to_string()),
    }
}

/// A failed job as Python sees it: `JobFailed`, with the message every
/// front shows (bad input: the file and the place).
fn job_failed(error: rmesos_scheduler::engine::JobError) -> PyErr {
    JobFailed::new_err(error.bad_input().unwrap_or_else(|| error.to_string()))
}

/// A finished job's statistic that cannot be given (e.g. the dataset is
/// empty, or a part the job did not compute).
fn stats_failed(error: rmesos_common::stats::StatsError) -> PyErr {
    JobFailed::new_err(error.to_string())
}

/// Column statistics of a C-contiguous float64 2-D array, read in place;
/// `extras` asks for more (see `extras.rs`).
#[pyfunction]
#[pyo3(signature = (array, master, partitions=None, progress=None, extras=None))]
fn col_stats_array<'py>(
    py: Python<'py>,
    array: PyReadonlyArray2<'py, f64>,
    master: &str,
    partitions: Option<u32>,
    progress: Option<Bound<'py, PyAny>>,
    extras: Option<Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyDict>> {
    let extras = extras::JobExtras::parse(extras.as_ref())?;
    let local = local_threads(master)?;
    let (nrows, ncols) = (array.shape()[0], array.shape()[1]);
    let values = array
        .as_slice()
        .map_err(|_| PyValueError::new_err("the array must be C-contiguous float64"))?;
    let dataset = Dataset::Borrowed {
        nrows: nrows as u64,
        ncols,
    };
    let stats = job::run(
        py,
        &dataset,
        Some(values),
        local,
        partitions,
        progress,
        &extras,
    )?;
    let dict = convert::stats_to_dict(py, &stats)?;
    extras.add_results(&dict, &stats)?;
    Ok(dict)
}

/// Column statistics of a `.npy`, `.csv` or Parquet file, read by range
/// (the dict names the columns under `columns` when the file does).
#[pyfunction]
#[pyo3(signature = (path, master, partitions=None, delimiter=None, header=None, progress=None, extras=None, columns=None))]
#[allow(clippy::too_many_arguments)]
fn col_stats_file<'py>(
    py: Python<'py>,
    path: std::path::PathBuf,
    master: &str,
    partitions: Option<u32>,
    delimiter: Option<&str>,
    header: Option<&str>,
    progress: Option<Bound<'py, PyAny>>,
    extras: Option<Bound<'py, PyDict>>,
    columns: Option<Vec<String>>,
) -> PyResult<Bound<'py, PyDict>> {
    let extras = extras::JobExtras::parse(extras.as_ref())?;
    let local = local_threads(master)?;
    let dataset = dataset::open_file(&path, delimiter, header, columns)?;
    let names = dataset::column_names(&dataset)?;
    let stats = job::run(py, &dataset, None, local, partitions, progress, &extras)?;
    let dict = convert::stats_to_dict(py, &stats)?;
    extras.add_results(&dict, &stats)?;
    convert::with_column_names(dict, names)
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

/// `master` with any credentials (`user:password@`) replaced by `***`,
/// for reprs and messages.
#[pyfunction]
fn redact_master(master: &str) -> String {
    redact(master)
}

#[pymodule]
fn _rmesos(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(col_stats_array, m)?)?;
    m.add_function(wrap_pyfunction!(col_stats_file, m)?)?;
    m.add_function(wrap_pyfunction!(check_master, m)?)?;
    m.add_function(wrap_pyfunction!(redact_master, m)?)?;
    m.add_function(wrap_pyfunction!(dataset::check_file, m)?)?;
    m.add(
        "DEFAULT_CLUSTER_PARTITIONS",
        DEFAULT_CLUSTER_PARTITIONS.get(),
    )?;
    m.add_function(wrap_pyfunction!(settings::resolve_settings, m)?)?;
    m.add_function(wrap_pyfunction!(settings::settings_fields, m)?)?;
    m.add_class::<cluster::ClusterSession>()?;
    m.add("JobFailed", m.py().get_type::<JobFailed>())?;
    Ok(())
}
