//! The keywords of `rmesos.Context(...)`, passed through as they are to
//! the scheduler's one settings model (`SessionSettings::from_keywords`):
//! each value becomes its text (`0.5`, `"30s"`, `False`, a path) and is
//! parsed, defaulted and read from the `RMESOS_*` environment exactly as
//! `rmesos-submit` does. Nothing here lists a setting.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString};
use rmesos_scheduler::settings::{SessionSettings, SettingsError, fields};

/// The settings the keywords give (`None` values are left out: the
/// setting's variable or default applies).
pub fn settings_of(keywords: Option<&Bound<'_, PyDict>>) -> PyResult<SessionSettings> {
    let mut pairs = Vec::new();
    if let Some(keywords) = keywords {
        for (key, value) in keywords.iter() {
            if value.is_none() {
                continue;
            }
            let key: String = key.extract()?;
            let text = text_of(&key, &value)?;
            pairs.push((key, text));
        }
    }
    SessionSettings::from_keywords(&pairs).map_err(to_python)
}

/// A keyword's value as the text a command-line flag would hold.
fn text_of(key: &str, value: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(flag) = value.cast::<PyBool>() {
        return Ok(flag.is_true().to_string());
    }
    if value.is_instance_of::<PyFloat>() {
        // Rust's decimal form: never an exponent (1e-05 is 0.00001).
        return Ok(value.extract::<f64>()?.to_string());
    }
    if value.is_instance_of::<PyString>() || value.is_instance_of::<PyInt>() {
        return value.str()?.extract::<String>();
    }
    let os = value.py().import("os")?;
    match os.call_method1("fspath", (value,)) {
        Ok(path) => path.str()?.extract::<String>(),
        Err(_) => Err(PyTypeError::new_err(format!(
            "{key}: expected a string, a number or a path, not {}",
            value.get_type().name()?
        ))),
    }
}

/// A keyword that is no setting is a `TypeError`, as for any function;
/// a bad value a `ValueError`.
pub fn to_python(error: SettingsError) -> PyErr {
    match error {
        SettingsError::Unknown(keyword) => PyTypeError::new_err(format!(
            "rmesos.Context() got an unexpected keyword argument '{keyword}'"
        )),
        other => PyValueError::new_err(other.to_string()),
    }
}

/// Checks the keywords (and the environment) as a session would; returns
/// the master URL and the framework name they give.
#[pyfunction]
#[pyo3(signature = (keywords=None))]
pub fn resolve_settings(keywords: Option<&Bound<'_, PyDict>>) -> PyResult<(String, String)> {
    let settings = settings_of(keywords)?;
    Ok((settings.master.as_str().to_owned(), settings.app_name))
}

/// Every setting as a dict: keyword, flag, variable, default (or None),
/// help, hidden. For tests and tools that check the fronts agree.
#[pyfunction]
pub fn settings_fields(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let list = PyList::empty(py);
    for field in fields() {
        let entry = PyDict::new(py);
        entry.set_item("keyword", &field.keyword)?;
        entry.set_item("flag", &field.flag)?;
        entry.set_item("variable", &field.variable)?;
        entry.set_item("default", &field.default)?;
        entry.set_item("help", &field.help)?;
        entry.set_item("hidden", field.hidden)?;
        list.append(entry)?;
    }
    Ok(list)
}
