//! `Extras`: the optional parts of a partial summary that a job's
//! `StatsRequest` asks for (the co-moment matrix, quantile sketches),
//! computed from the same runs of rows as the eight statistics, merged
//! with them, and carried after them in version 2 of the summary codec.

use super::comoments::CoMoments;
use super::kernel::Kernel;
use super::quantiles::QuantileSketches;
use super::request::StatsRequest;
use super::summary::StatsError;

/// The most columns a co-moment matrix may have: its `ncols^2` floats
/// (here 512 MiB) are held per partition and sent to the driver.
pub const MAX_CORR_COLUMNS: usize = 8192;

/// The optional parts of one partial summary.
#[derive(Debug, Clone, Default)]
pub(crate) struct Extras {
    pub comoments: Option<CoMoments>,
    pub quantiles: Option<QuantileSketches>,
}

impl Extras {
    /// Empty parts for `ncols` columns, as `request` asks.
    pub fn for_request(ncols: usize, request: &StatsRequest) -> Result<Extras, StatsError> {
        let comoments = if request.corr {
            if ncols > MAX_CORR_COLUMNS {
                return Err(StatsError::TooWide {
                    what: "a correlation matrix",
                    ncols,
                    max: MAX_CORR_COLUMNS,
                });
            }
            Some(CoMoments::new(ncols))
        } else {
            None
        };
        let quantiles = request
            .quantile_error
            .map(|eps| QuantileSketches::new(ncols, eps));
        Ok(Extras {
            comoments,
            quantiles,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.comoments.is_none() && self.quantiles.is_none()
    }

    /// What these parts hold, for messages: e.g. "the correlation part".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.comoments.is_some() {
            parts.push("co-moments".to_owned());
        }
        if let Some(q) = &self.quantiles {
            parts.push(format!("quantile sketches of relative error {}", q.eps));
        }
        if parts.is_empty() {
            "no optional parts".to_owned()
        } else {
            parts.join(" and ")
        }
    }

    /// Starts a run of rows whose first row is `first`.
    pub fn begin_run(&mut self, first: &[f64]) {
        if let Some(comoments) = &mut self.comoments {
            comoments.begin_run(first);
        }
    }

    /// Adds whole row-major rows of the run (`kernel` reduces the
    /// co-moments, prefetching `ahead`, the rows the caller reads next).
    pub fn add_piece(&mut self, kernel: Kernel, rows: &[f64], ahead: &[f64]) {
        if let Some(comoments) = &mut self.comoments {
            comoments.add_piece(kernel, rows, ahead);
        }
        if let Some(quantiles) = &mut self.quantiles {
            quantiles.add_rows(rows);
        }
    }

    /// Ends the run, of `rows` rows in all.
    pub fn end_run(&mut self, kernel: Kernel, rows: u64) {
        if let Some(comoments) = &mut self.comoments {
            comoments.end_run(kernel, rows);
        }
    }

    /// Ends a batch of runs: the parts are whole again (ready to merge or
    /// encode).
    pub fn end_rows(&mut self) {
        if let Some(comoments) = &mut self.comoments {
            comoments.end_rows();
        }
    }

    /// True when `other` holds the same kinds of parts.
    pub fn matches(&self, other: &Extras) -> bool {
        let eps = |e: &Extras| e.quantiles.as_ref().map(|q| q.eps.to_bits());
        self.comoments.is_some() == other.comoments.is_some() && eps(self) == eps(other)
    }

    /// Errs unless `other` holds the same parts (results of one job do).
    pub fn check_compatible(&self, other: &Extras) -> Result<(), StatsError> {
        if !self.matches(other) {
            return Err(StatsError::PartsMismatch {
                left: self.describe(),
                right: other.describe(),
            });
        }
        Ok(())
    }

    /// Merges `other` (checked compatible, both non-empty summaries).
    pub fn merge(&mut self, other: &Extras) {
        if let (Some(mine), Some(theirs)) = (&mut self.comoments, &other.comoments) {
            mine.merge(theirs);
        }
        if let (Some(mine), Some(theirs)) = (&mut self.quantiles, &other.quantiles) {
            mine.merge(theirs);
        }
    }

    /// NaN-aware equality, bit for bit.
    pub fn same(&self, other: &Extras) -> bool {
        if self.quantiles != other.quantiles {
            return false;
        }
        match (&self.comoments, &other.comoments) {
            (None, None) => true,
            (Some(a), Some(b)) => {
                a.count == b.count
                    && same_floats(&a.shift, &b.shift)
                    && same_floats(&a.mean, &b.mean)
                    && same_floats(&a.cross, &b.cross)
            }
            _ => false,
        }
    }
}

/// Equal slices, counting NaN equal to the same NaN.
pub(crate) fn same_floats(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.to_bits() == y.to_bits() || x == y)
}
