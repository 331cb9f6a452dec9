//! Rendering a job's `ColumnStats` for `rmesos-submit`: one JSON object
//! (non-finite numbers as "NaN", "Infinity", "-Infinity") or a readable
//! table with one line per data column.

use rmesos_common::stats::{ColumnStats, StatsError};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::output_extras::ExtraResults;

/// Significant digits shown in the table.
const TABLE_DIGITS: i32 = 10;

/// What the table and JSON show besides `count`, in their order.
pub const STATISTICS: [&str; 7] = [
    "mean",
    "variance",
    "num_nonzeros",
    "min",
    "max",
    "norm_l1",
    "norm_l2",
];

/// The per-column statistics of a non-empty dataset, in `STATISTICS` order.
pub struct StatColumns {
    pub count: u64,
    pub values: [Vec<f64>; 7],
    /// The columns' names, when the source names them (JSON `"columns"`,
    /// the table's first cell of each line).
    pub names: Option<Vec<String>>,
}

impl StatColumns {
    /// `None` for an empty dataset, whose statistics are undefined.
    pub fn of(stats: &ColumnStats) -> Result<Option<StatColumns>, StatsError> {
        if stats.count() == 0 {
            return Ok(None);
        }
        Ok(Some(StatColumns {
            count: stats.count(),
            values: [
                stats.mean()?,
                stats.variance()?,
                stats.num_nonzeros()?,
                stats.min()?,
                stats.max()?,
                stats.norm_l1()?,
                stats.norm_l2()?,
            ],
            names: None,
        }))
    }
}

/// A float as JSON: a number, or a string for NaN and infinities.
struct JsonFloat(f64);

impl Serialize for JsonFloat {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            x if x.is_nan() => serializer.serialize_str("NaN"),
            x if x == f64::INFINITY => serializer.serialize_str("Infinity"),
            x if x == f64::NEG_INFINITY => serializer.serialize_str("-Infinity"),
            x => serializer.serialize_f64(x),
        }
    }
}

pub(crate) struct JsonFloats<'a>(pub &'a [f64]);

impl Serialize for JsonFloats<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for &x in self.0 {
            seq.serialize_element(&JsonFloat(x))?;
        }
        seq.end()
    }
}

/// The JSON object, keys in `count`, `STATISTICS` order, then the
/// optional results.
struct JsonReport<'a>(Option<&'a StatColumns>, &'a ExtraResults);

impl Serialize for JsonReport<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("count", &self.0.map_or(0, |c| c.count))?;
        if let Some(columns) = self.0 {
            for (name, values) in STATISTICS.iter().zip(&columns.values) {
                map.serialize_entry(name, &JsonFloats(values))?;
            }
            if let Some(names) = &columns.names {
                map.serialize_entry("columns", names)?;
            }
        }
        self.1.serialize_entries(&mut map)?;
        map.end()
    }
}

/// The JSON object: `{"count": 0}` for an empty dataset.
pub fn render_json(columns: Option<&StatColumns>, extras: &ExtraResults) -> String {
    // Writing numbers and strings to a String cannot fail.
    serde_json::to_string(&JsonReport(columns, extras)).unwrap_or_default()
}

/// The table: a count line, a header, one right-aligned line per column.
pub fn render_table(columns: Option<&StatColumns>) -> String {
    let Some(columns) = columns else {
        return "count: 0\n(the dataset is empty: the other statistics are undefined)\n".to_owned();
    };
    let ncols = columns.values[0].len();
    let mut cells: Vec<Vec<String>> = Vec::with_capacity(ncols + 1);
    cells.push(
        std::iter::once("column")
            .chain(STATISTICS)
            .map(str::to_owned)
            .collect(),
    );
    for j in 0..ncols {
        let name = columns.names.as_ref().and_then(|names| names.get(j));
        let mut line = vec![name.cloned().unwrap_or_else(|| j.to_string())];
        line.extend(columns.values.iter().map(|values| format_number(values[j])));
        cells.push(line);
    }
    format!("count: {}\n{}", columns.count, aligned(&cells))
}

/// `cells` as lines of right-aligned columns, two spaces apart.
pub(crate) fn aligned(cells: &[Vec<String>]) -> String {
    let width_of = |k: usize| cells.iter().map(|line| line[k].len()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cells.first().map_or(0, Vec::len))
        .map(width_of)
        .collect();
    let mut out = String::new();
    for line in cells {
        let padded: Vec<String> = line
            .iter()
            .zip(&widths)
            .map(|(cell, &width)| format!("{cell:>width$}"))
            .collect();
        out.push_str(&padded.join("  "));
        out.push('\n');
    }
    out
}

/// `x` to `TABLE_DIGITS` significant digits, without trailing zeros;
/// scientific notation when very large or small.
pub fn format_number(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    let exponent = x.abs().log10().floor() as i32;
    if (-4..12).contains(&exponent) {
        let decimals = (TABLE_DIGITS - 1 - exponent).max(0) as usize;
        trim_fraction(&format!("{x:.decimals$}")).to_owned()
    } else {
        let text = format!("{x:.prec$e}", prec = (TABLE_DIGITS - 1) as usize);
        match text.split_once('e') {
            Some((mantissa, power)) => format!("{}e{power}", trim_fraction(mantissa)),
            None => text,
        }
    }
}

/// "1.2300" -> "1.23", "5.000" -> "5"; integers unchanged.
fn trim_fraction(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(values: Vec<f64>) -> StatColumns {
        StatColumns {
            count: 2,
            values: std::array::from_fn(|_| values.clone()),
            names: None,
        }
    }

    #[test]
    fn json_writes_non_finite_numbers_as_strings() {
        let json = render_json(
            Some(&columns(vec![
                1.5,
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
            ])),
            &ExtraResults::default(),
        );
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["count"], 2);
        for name in STATISTICS {
            assert_eq!(
                value[name],
                serde_json::json!([1.5, "NaN", "Infinity", "-Infinity"]),
                "{name}"
            );
        }
        assert_eq!(value.as_object().map(|o| o.len()), Some(8));
        let order: Vec<usize> = std::iter::once("count")
            .chain(STATISTICS)
            .map(|name| json.find(&format!("\"{name}\":")).unwrap())
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{json}");
    }

    #[test]
    fn json_round_trips_floats_exactly() {
        let x = 0.1 + 0.2;
        let json = render_json(
            Some(&columns(vec![x, 1e-300, -7.25e18])),
            &ExtraResults::default(),
        );
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["mean"][0].as_f64(), Some(x));
        assert_eq!(value["mean"][1].as_f64(), Some(1e-300));
        assert_eq!(value["mean"][2].as_f64(), Some(-7.25e18));
    }

    #[test]
    fn empty_dataset_has_count_only() {
        assert_eq!(render_json(None, &ExtraResults::default()), "{\"count\":0}");
        assert!(render_table(None).contains("empty"));
    }

    #[test]
    fn numbers_are_short_and_readable() {
        let cases = [
            (2.0, "2"),
            (-0.5, "-0.5"),
            (1.0 / 3.0, "0.3333333333"),
            (12345.678, "12345.678"),
            (1e-7, "1e-7"),
            (-2.5e15, "-2.5e15"),
            (0.30000000000000004, "0.3"),
            (9.99999999999, "10"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (x, text) in cases {
            assert_eq!(format_number(x), text, "{x}");
        }
    }

    #[test]
    fn table_has_a_line_per_column() {
        let table = render_table(Some(&columns(vec![1.0, 2.5])));
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[0], "count: 2");
        assert!(lines[1].trim_start().starts_with("column"));
        let first: Vec<&str> = lines[2].split_whitespace().collect();
        assert_eq!(first, ["0", "1", "1", "1", "1", "1", "1", "1"]);
        assert_eq!(lines.len(), 4);
    }
}
