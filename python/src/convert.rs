//! Finished statistics to a Python dict of numpy float64 arrays. An empty
//! dataset gives only `count` (0): every other statistic is undefined.

use numpy::IntoPyArray;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rmesos_common::stats::{ColumnStats, StatsError};

type Getter = fn(&ColumnStats) -> Result<Vec<f64>, StatsError>;

const FIELDS: [(&str, Getter); 7] = [
    ("mean", ColumnStats::mean),
    ("variance", ColumnStats::variance),
    ("num_nonzeros", ColumnStats::num_nonzeros),
    ("min", ColumnStats::min),
    ("max", ColumnStats::max),
    ("norm_l1", ColumnStats::norm_l1),
    ("norm_l2", ColumnStats::norm_l2),
];

pub fn stats_to_dict<'py>(py: Python<'py>, stats: &ColumnStats) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("count", stats.count())?;
    dict.set_item("ncols", stats.ncols())?;
    if stats.count() == 0 {
        return Ok(dict);
    }
    for (name, get) in FIELDS {
        if let Ok(values) = get(stats) {
            dict.set_item(name, values.into_pyarray(py))?;
        }
    }
    Ok(dict)
}

/// `dict` with the columns' names under `columns`, when there are names.
pub fn with_column_names(
    dict: Bound<'_, PyDict>,
    names: Option<Vec<String>>,
) -> PyResult<Bound<'_, PyDict>> {
    if let Some(names) = names {
        dict.set_item("columns", names)?;
    }
    Ok(dict)
}
