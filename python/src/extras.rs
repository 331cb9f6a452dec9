//! The statistics beyond the eight, as Python asks for them: the `extras`
//! dict of a job call (`{"corr": True, "probabilities": [...],
//! "relative_error": 0.001}`) becomes the job's `StatsRequest`, and the
//! finished results are added to the result dict (`corr`, a D x D array;
//! `zero_variance`, the columns whose correlations are NaN; `quantiles`,
//! P x D).

use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rmesos_common::stats::{ColumnStats, StatsRequest};

/// What a job computes besides the eight statistics, and how its
/// results are read.
#[derive(Debug, Clone, Default)]
pub struct JobExtras {
    pub request: StatsRequest,
    /// Probabilities to read off the quantile sketches.
    pub probabilities: Vec<f64>,
}

impl JobExtras {
    /// Parses the `extras` dict (`None`: nothing beyond the eight).
    pub fn parse(extras: Option<&Bound<'_, PyDict>>) -> PyResult<JobExtras> {
        let Some(extras) = extras else {
            return Ok(JobExtras::default());
        };
        let corr = match extras.get_item("corr")? {
            Some(value) => value.extract::<bool>()?,
            None => false,
        };
        let probabilities = match extras.get_item("probabilities")? {
            Some(value) if !value.is_none() => Some(value.extract::<Vec<f64>>()?),
            _ => None,
        };
        if let Some(p) = probabilities
            .iter()
            .flatten()
            .find(|p| !(0.0..=1.0).contains(*p))
        {
            return Err(PyValueError::new_err(format!(
                "probabilities must be between 0 and 1, not {p}"
            )));
        }
        let relative_error = match extras.get_item("relative_error")? {
            Some(value) if !value.is_none() => value.extract::<f64>()?,
            _ => 0.001,
        };
        let request = StatsRequest {
            corr,
            quantile_error: probabilities.as_ref().map(|_| relative_error),
        };
        request.validate().map_err(PyValueError::new_err)?;
        Ok(JobExtras {
            request,
            probabilities: probabilities.unwrap_or_default(),
        })
    }

    /// Adds the asked-for results to `dict` (nothing for an empty
    /// dataset, where they are undefined).
    pub fn add_results(&self, dict: &Bound<'_, PyDict>, stats: &ColumnStats) -> PyResult<()> {
        if stats.count() == 0 {
            return Ok(());
        }
        let py = dict.py();
        if self.request.corr {
            let corr = stats.correlation().map_err(crate::stats_failed)?;
            let flat = PyArray1::from_vec(py, corr.matrix);
            dict.set_item("corr", flat.reshape([corr.ncols, corr.ncols])?)?;
            dict.set_item("zero_variance", corr.zero_variance)?;
        }
        if self.request.quantile_error.is_some() {
            let rows = stats
                .quantiles(&self.probabilities)
                .map_err(crate::stats_failed)?;
            let ncols = stats.ncols();
            let flat: Vec<f64> = rows.into_iter().flatten().collect();
            let array = PyArray1::from_vec(py, flat).reshape([self.probabilities.len(), ncols])?;
            dict.set_item("quantiles", array)?;
        }
        Ok(())
    }
}
