//! `RowSink`: where readers put the rows they decode, block by block. The
//! kernel's `ColumnSummary` is one; `RowCollector` keeps the values, for a
//! driver that holds a file's rows in memory to serve them.

use super::summary::{ColumnSummary, StatsError};

pub trait RowSink {
    /// Takes whole rows, row-major.
    fn add_rows(&mut self, values: &[f64]) -> Result<(), StatsError>;
}

impl RowSink for ColumnSummary {
    fn add_rows(&mut self, values: &[f64]) -> Result<(), StatsError> {
        ColumnSummary::add_rows(self, values)
    }
}

/// Keeps every value it is given, in order.
#[derive(Debug, Default)]
pub struct RowCollector {
    pub values: Vec<f64>,
}

impl RowSink for RowCollector {
    fn add_rows(&mut self, values: &[f64]) -> Result<(), StatsError> {
        self.values.extend_from_slice(values);
        Ok(())
    }
}
