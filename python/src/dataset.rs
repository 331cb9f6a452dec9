//! Files as Python names them (`npy_file`, `csv_file`, `parquet_file`): opened by the
//! scheduler's one `Dataset::open`, with the delimiter and header parsed
//! by its parsers, so a bad file or option gets the same message as from
//! `rmesos-submit`. A missing file is a `FileNotFoundError`, anything else
//! wrong a `ValueError`.

use std::path::{Path, PathBuf};

use pyo3::exceptions::{PyFileNotFoundError, PyValueError};
use pyo3::prelude::*;
use rmesos_scheduler::engine::{CsvChoices, Dataset, OpenError, parse_delimiter, parse_header};

/// The dataset of a `.npy`, `.csv` or Parquet file (by its extension),
/// Parquet `columns` chosen by name.
pub fn open_file(
    path: &Path,
    delimiter: Option<&str>,
    header: Option<&str>,
    columns: Option<Vec<String>>,
) -> PyResult<Dataset> {
    let csv = CsvChoices {
        delimiter: delimiter
            .map(parse_delimiter)
            .transpose()
            .map_err(|message| PyValueError::new_err(format!("delimiter: {message}")))?,
        header: header
            .map(parse_header)
            .transpose()
            .map_err(|message| PyValueError::new_err(format!("header: {message}")))?,
    };
    Dataset::open_columns(path, csv, columns).map_err(open_error)
}

/// The names of `dataset`'s columns, when its source names them.
pub fn column_names(dataset: &Dataset) -> PyResult<Option<Vec<String>>> {
    dataset
        .column_names()
        .map_err(|error| PyValueError::new_err(error.to_string()))
}

fn open_error(error: OpenError) -> PyErr {
    if error.is_not_found() {
        PyFileNotFoundError::new_err(error.to_string())
    } else {
        PyValueError::new_err(error.to_string())
    }
}

/// Checks that `path` names a dataset with these options (raises as a
/// job on it would), without reading its data (a Parquet file's footer
/// is read, to check the columns).
#[pyfunction]
#[pyo3(signature = (path, delimiter=None, header=None, columns=None))]
pub fn check_file(
    path: PathBuf,
    delimiter: Option<&str>,
    header: Option<&str>,
    columns: Option<Vec<String>>,
) -> PyResult<()> {
    // A Parquet file's footer is read: columns that are not there or not
    // numbers are refused now, not when a job starts.
    column_names(&open_file(&path, delimiter, header, columns)?).map(drop)
}
