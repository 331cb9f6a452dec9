//! Which Parquet columns are numbers, and how each becomes an `f64`:
//! floats as they are, signed and unsigned integers by value, decimals
//! (stored as integers or as fixed-length bytes of up to 16) divided by
//! 10^scale, booleans as 0 and 1. Dates, times, timestamps, strings,
//! binary, nested (repeated) columns and wider decimals are not numbers
//! here. Also the selection
//! of columns by name (`columns=[...]`), in the order asked.

use parquet::basic::{ConvertedType, LogicalType, Type as PhysicalType};
use parquet::schema::types::{ColumnDescPtr, SchemaDescriptor};

/// How the values of one numeric column become `f64`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Numeric {
    Bool,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Float,
    Double,
    /// An integer (32- or 64-bit) scaled by `10^-scale`.
    Decimal32 {
        divisor: f64,
    },
    Decimal64 {
        divisor: f64,
    },
    /// A big-endian two's complement integer of at most 16 bytes (what
    /// pyarrow writes for decimals by default), scaled by `10^-scale`.
    DecimalBytes {
        divisor: f64,
    },
}

/// A column chosen for the job: its index among the file's leaf columns,
/// its name, and how its values are decoded.
#[derive(Debug, Clone)]
pub(super) struct Chosen {
    pub index: usize,
    pub name: String,
    pub numeric: Numeric,
    pub descr: ColumnDescPtr,
}

/// Why a column cannot be used: its type in words, or absence.
pub(super) enum Refusal {
    NotNumeric(String),
}

/// The column's kind as a number, or why it is not one.
pub(super) fn classify(descr: &ColumnDescPtr) -> Result<Numeric, Refusal> {
    let physical = descr.physical_type();
    if descr.max_rep_level() > 0 {
        return Err(Refusal::NotNumeric(format!(
            "a repeated (list) column of {physical}"
        )));
    }
    let logical = descr.logical_type_ref();
    let named = |what: &str| Refusal::NotNumeric(what.to_owned());
    match logical {
        Some(LogicalType::Date) => return Err(named("a date")),
        Some(LogicalType::Time(_)) => return Err(named("a time of day")),
        Some(LogicalType::Timestamp(_)) => return Err(named("a timestamp")),
        Some(LogicalType::String) | Some(LogicalType::Enum) | Some(LogicalType::Json) => {
            return Err(named("text"));
        }
        Some(LogicalType::Float16) => return Err(named("a 16-bit float (not supported)")),
        _ => {}
    }
    let decimal_scale = match logical {
        Some(LogicalType::Decimal(decimal)) => Some(decimal.scale),
        _ if descr.converted_type() == ConvertedType::DECIMAL => Some(descr.type_scale()),
        _ => None,
    };
    let unsigned = match logical {
        Some(LogicalType::Integer(int)) => !int.is_signed,
        _ => matches!(
            descr.converted_type(),
            ConvertedType::UINT_8
                | ConvertedType::UINT_16
                | ConvertedType::UINT_32
                | ConvertedType::UINT_64
        ),
    };
    match descr.converted_type() {
        ConvertedType::DATE => return Err(named("a date")),
        ConvertedType::TIME_MILLIS | ConvertedType::TIME_MICROS => {
            return Err(named("a time of day"));
        }
        ConvertedType::TIMESTAMP_MILLIS | ConvertedType::TIMESTAMP_MICROS => {
            return Err(named("a timestamp"));
        }
        ConvertedType::INTERVAL => return Err(named("an interval")),
        _ => {}
    }
    let divisor = |scale: i32| 10f64.powi(scale);
    Ok(match (physical, decimal_scale) {
        (PhysicalType::BOOLEAN, _) => Numeric::Bool,
        (PhysicalType::INT32, Some(scale)) => Numeric::Decimal32 {
            divisor: divisor(scale),
        },
        (PhysicalType::INT64, Some(scale)) => Numeric::Decimal64 {
            divisor: divisor(scale),
        },
        (PhysicalType::INT32, None) if unsigned => Numeric::UInt32,
        (PhysicalType::INT32, None) => Numeric::Int32,
        (PhysicalType::INT64, None) if unsigned => Numeric::UInt64,
        (PhysicalType::INT64, None) => Numeric::Int64,
        (PhysicalType::FLOAT, _) => Numeric::Float,
        (PhysicalType::DOUBLE, _) => Numeric::Double,
        (PhysicalType::INT96, _) => return Err(named("a timestamp (INT96)")),
        (PhysicalType::BYTE_ARRAY, _) => {
            return Err(named(if logical.is_some() || decimal_scale.is_none() {
                "text or binary"
            } else {
                "a decimal stored as bytes (not supported)"
            }));
        }
        (PhysicalType::FIXED_LEN_BYTE_ARRAY, Some(scale)) if descr.type_length() <= 16 => {
            Numeric::DecimalBytes {
                divisor: divisor(scale),
            }
        }
        (PhysicalType::FIXED_LEN_BYTE_ARRAY, Some(_)) => {
            return Err(named("a decimal wider than 16 bytes (not supported)"));
        }
        (PhysicalType::FIXED_LEN_BYTE_ARRAY, None) => return Err(named("fixed-length binary")),
    })
}

/// The columns of a file a job reads: those named in `wanted`, in that
/// order, each of which must exist and be a number; or, when `wanted` is
/// `None`, every numeric column in file order (the others are skipped,
/// and returned second so the caller can say so).
pub(super) fn choose(
    schema: &SchemaDescriptor,
    wanted: Option<&[String]>,
) -> Result<(Vec<Chosen>, Vec<String>), String> {
    let leaves: Vec<(usize, ColumnDescPtr)> = (0..schema.num_columns())
        .map(|index| (index, schema.column(index)))
        .collect();
    let name_of = |descr: &ColumnDescPtr| descr.path().string();
    let Some(wanted) = wanted else {
        let mut chosen = Vec::new();
        let mut skipped = Vec::new();
        for (index, descr) in leaves {
            match classify(&descr) {
                Ok(numeric) => chosen.push(Chosen {
                    index,
                    name: name_of(&descr),
                    numeric,
                    descr,
                }),
                Err(_) => skipped.push(name_of(&descr)),
            }
        }
        return Ok((chosen, skipped));
    };
    let mut chosen = Vec::with_capacity(wanted.len());
    for name in wanted {
        let Some((index, descr)) = leaves.iter().find(|(_, d)| &name_of(d) == name) else {
            let known: Vec<String> = leaves.iter().map(|(_, d)| name_of(d)).collect();
            return Err(format!(
                "no column named '{name}' (the columns are: {})",
                known.join(", ")
            ));
        };
        match classify(descr) {
            Ok(numeric) => chosen.push(Chosen {
                index: *index,
                name: name.clone(),
                numeric,
                descr: descr.clone(),
            }),
            Err(Refusal::NotNumeric(what)) => {
                return Err(format!("column '{name}' is {what}, not a number"));
            }
        }
    }
    Ok((chosen, Vec::new()))
}
