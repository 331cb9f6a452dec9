//! Rendering the statistics beyond the eight for `rmesos-submit`: the
//! `"corr"` matrix and the `"quantiles"` object in the JSON, and a
//! readable section for each after the table.

use rmesos_common::stats::{ColumnStats, Correlation, StatsError};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::extra_args::ExtraStatsArgs;
use super::output::{JsonFloats, aligned, format_number};

/// The optional results a job was asked for.
#[derive(Debug, Default)]
pub struct ExtraResults {
    pub corr: Option<Correlation>,
    /// The probabilities and, per probability, every column's quantile.
    pub quantiles: Option<(Vec<f64>, Vec<Vec<f64>>)>,
}

impl ExtraResults {
    /// The results `args` asked for (none for an empty dataset, where
    /// they are undefined).
    pub fn of(stats: &ColumnStats, args: &ExtraStatsArgs) -> Result<ExtraResults, StatsError> {
        if stats.count() == 0 {
            return Ok(ExtraResults::default());
        }
        let corr = if args.corr {
            Some(stats.correlation()?)
        } else {
            None
        };
        let quantiles = match &args.quantiles {
            Some(probabilities) => Some((probabilities.clone(), stats.quantiles(probabilities)?)),
            None => None,
        };
        Ok(ExtraResults { corr, quantiles })
    }

    /// Warnings for stderr (e.g. columns whose correlations are NaN).
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(corr) = &self.corr
            && !corr.zero_variance.is_empty()
        {
            let list: Vec<String> = corr.zero_variance.iter().map(|j| j.to_string()).collect();
            out.push(format!(
                "column(s) {} have zero variance: their correlations are NaN",
                list.join(", ")
            ));
        }
        out
    }

    /// Adds this object's keys to the JSON report.
    pub fn serialize_entries<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        if let Some(corr) = &self.corr {
            map.serialize_entry("corr", &Matrix(&corr.matrix, corr.ncols))?;
        }
        if let Some((probabilities, values)) = &self.quantiles {
            map.serialize_entry("quantiles", &Quantiles(probabilities, values))?;
        }
        Ok(())
    }

    /// The readable sections that follow the table.
    pub fn render_table(&self) -> String {
        let mut out = String::new();
        if let Some(corr) = &self.corr {
            let rows: Vec<&[f64]> = corr.matrix.chunks(corr.ncols.max(1)).collect();
            let header: Vec<String> = (0..corr.ncols).map(|j| j.to_string()).collect();
            out.push_str("\npearson correlation:\n");
            out.push_str(&grid("column", &header, &rows, |j| j.to_string()));
        }
        if let Some((probabilities, values)) = &self.quantiles {
            let ncols = values.first().map_or(0, Vec::len);
            let header: Vec<String> = (0..ncols).map(|j| j.to_string()).collect();
            let rows: Vec<&[f64]> = values.iter().map(Vec::as_slice).collect();
            out.push_str("\napproximate quantiles (one line per probability):\n");
            out.push_str(&grid("p", &header, &rows, |i| {
                format_number(probabilities[i])
            }));
        }
        out
    }
}

/// `{"probabilities": [...], "values": [[...D] per probability]}`.
struct Quantiles<'a>(&'a [f64], &'a [Vec<f64>]);

impl Serialize for Quantiles<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        struct Rows<'a>(&'a [Vec<f64>]);
        impl Serialize for Rows<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
                for row in self.0 {
                    seq.serialize_element(&JsonFloats(row))?;
                }
                seq.end()
            }
        }
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("probabilities", &JsonFloats(self.0))?;
        map.serialize_entry("values", &Rows(self.1))?;
        map.end()
    }
}

/// A row-major matrix as a JSON array of rows.
struct Matrix<'a>(&'a [f64], usize);

impl Serialize for Matrix<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let rows = self.0.len().checked_div(self.1).unwrap_or(0);
        let mut seq = serializer.serialize_seq(Some(rows))?;
        for row in self.0.chunks(self.1.max(1)) {
            seq.serialize_element(&JsonFloats(row))?;
        }
        seq.end()
    }
}

/// A right-aligned grid: a header line (`corner`, then `header`) and one
/// line per row, labelled by `label(i)`.
fn grid(
    corner: &str,
    header: &[String],
    rows: &[&[f64]],
    label: impl Fn(usize) -> String,
) -> String {
    let mut cells: Vec<Vec<String>> = vec![
        std::iter::once(corner.to_owned())
            .chain(header.iter().cloned())
            .collect(),
    ];
    for (i, row) in rows.iter().enumerate() {
        cells.push(
            std::iter::once(label(i))
                .chain(row.iter().map(|&x| format_number(x)))
                .collect(),
        );
    }
    aligned(&cells)
}
