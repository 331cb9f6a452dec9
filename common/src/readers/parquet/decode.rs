//! Decoding one column chunk into `f64`, a batch of rows at a time, each
//! value written at its place in a row-major block (so the kernel reads
//! whole rows). A null (definition level below the column's maximum)
//! becomes NaN, as Spark's `VectorAssembler(handleInvalid="keep")` does.

use parquet::column::page::PageReader;
use parquet::column::reader::{ColumnReader, ColumnReaderImpl, get_column_reader};
use parquet::data_type::{
    BoolType, DataType, DoubleType, FixedLenByteArray, FixedLenByteArrayType, FloatType, Int32Type,
    Int64Type,
};
use parquet::errors::{ParquetError, Result};

use super::columns::{Chosen, Numeric};

/// A column reader of one physical type and its value buffer.
enum Typed {
    Bool(ColumnReaderImpl<BoolType>, Vec<bool>),
    Int32(ColumnReaderImpl<Int32Type>, Vec<i32>),
    Int64(ColumnReaderImpl<Int64Type>, Vec<i64>),
    Float(ColumnReaderImpl<FloatType>, Vec<f32>),
    Double(ColumnReaderImpl<DoubleType>, Vec<f64>),
    Fixed(
        ColumnReaderImpl<FixedLenByteArrayType>,
        Vec<FixedLenByteArray>,
    ),
}

/// Reads one column chunk's values as `f64`.
pub(super) struct ColumnDecoder {
    typed: Typed,
    numeric: Numeric,
    /// The definition level of a present value; 0 for a required column.
    max_def: i16,
    def_levels: Vec<i16>,
}

impl ColumnDecoder {
    pub fn new(chosen: &Chosen, pages: Box<dyn PageReader>) -> Result<ColumnDecoder> {
        let mismatch = || {
            ParquetError::General(format!(
                "column '{}' changed type since the file was planned",
                chosen.name
            ))
        };
        let typed = match (
            get_column_reader(chosen.descr.clone(), pages),
            chosen.numeric,
        ) {
            (ColumnReader::BoolColumnReader(r), Numeric::Bool) => Typed::Bool(r, Vec::new()),
            (
                ColumnReader::Int32ColumnReader(r),
                Numeric::Int32 | Numeric::UInt32 | Numeric::Decimal32 { .. },
            ) => Typed::Int32(r, Vec::new()),
            (
                ColumnReader::Int64ColumnReader(r),
                Numeric::Int64 | Numeric::UInt64 | Numeric::Decimal64 { .. },
            ) => Typed::Int64(r, Vec::new()),
            (ColumnReader::FloatColumnReader(r), Numeric::Float) => Typed::Float(r, Vec::new()),
            (ColumnReader::DoubleColumnReader(r), Numeric::Double) => Typed::Double(r, Vec::new()),
            (ColumnReader::FixedLenByteArrayColumnReader(r), Numeric::DecimalBytes { .. }) => {
                Typed::Fixed(r, Vec::new())
            }
            _ => return Err(mismatch()),
        };
        Ok(ColumnDecoder {
            typed,
            numeric: chosen.numeric,
            max_def: chosen.descr.max_def_level(),
            def_levels: Vec::new(),
        })
    }

    /// Reads the next `rows` rows of this column into column `col` of the
    /// row-major `block` (`stride` values a row). Fewer rows than asked
    /// means the chunk holds fewer than its metadata said: an error.
    pub fn read_into(
        &mut self,
        rows: usize,
        block: &mut [f64],
        stride: usize,
        col: usize,
    ) -> Result<()> {
        let numeric = self.numeric;
        let read = match &mut self.typed {
            Typed::Bool(r, v) => {
                read_batch(r, rows, self.max_def, &mut self.def_levels, v)?;
                place(v, &self.def_levels, self.max_def, block, stride, col, |b| {
                    f64::from(u8::from(b))
                })
            }
            Typed::Int32(r, v) => {
                read_batch(r, rows, self.max_def, &mut self.def_levels, v)?;
                match numeric {
                    Numeric::UInt32 => {
                        place(v, &self.def_levels, self.max_def, block, stride, col, |x| {
                            f64::from(x as u32)
                        })
                    }
                    Numeric::Decimal32 { divisor } => {
                        place(v, &self.def_levels, self.max_def, block, stride, col, |x| {
                            f64::from(x) / divisor
                        })
                    }
                    _ => place(
                        v,
                        &self.def_levels,
                        self.max_def,
                        block,
                        stride,
                        col,
                        f64::from,
                    ),
                }
            }
            Typed::Int64(r, v) => {
                read_batch(r, rows, self.max_def, &mut self.def_levels, v)?;
                match numeric {
                    Numeric::UInt64 => {
                        place(v, &self.def_levels, self.max_def, block, stride, col, |x| {
                            x as u64 as f64
                        })
                    }
                    Numeric::Decimal64 { divisor } => {
                        place(v, &self.def_levels, self.max_def, block, stride, col, |x| {
                            x as f64 / divisor
                        })
                    }
                    _ => place(v, &self.def_levels, self.max_def, block, stride, col, |x| {
                        x as f64
                    }),
                }
            }
            Typed::Float(r, v) => {
                read_batch(r, rows, self.max_def, &mut self.def_levels, v)?;
                place(
                    v,
                    &self.def_levels,
                    self.max_def,
                    block,
                    stride,
                    col,
                    f64::from,
                )
            }
            Typed::Double(r, v) => {
                read_batch(r, rows, self.max_def, &mut self.def_levels, v)?;
                place(v, &self.def_levels, self.max_def, block, stride, col, |x| x)
            }
            Typed::Fixed(r, v) => {
                read_batch(r, rows, self.max_def, &mut self.def_levels, v)?;
                let divisor = match numeric {
                    Numeric::DecimalBytes { divisor } => divisor,
                    _ => 1.0,
                };
                place_ref(v, &self.def_levels, self.max_def, block, stride, col, |x| {
                    big_endian_i128(x.data()) as f64 / divisor
                })
            }
        };
        if read != rows {
            return Err(ParquetError::EOF(format!(
                "column chunk ended after {read} of {rows} rows"
            )));
        }
        Ok(())
    }
}

/// Reads up to `rows` records into `values` (non-null values only) and,
/// for a nullable column, their definition levels into `def_levels`.
fn read_batch<T: DataType>(
    reader: &mut ColumnReaderImpl<T>,
    rows: usize,
    max_def: i16,
    def_levels: &mut Vec<i16>,
    values: &mut Vec<T::T>,
) -> Result<()> {
    values.clear();
    def_levels.clear();
    let levels = (max_def > 0).then_some(def_levels);
    let mut records = 0;
    // `read_records` stops at page boundaries: loop until the batch is
    // full or the chunk ends.
    let mut levels = levels;
    while records < rows {
        let (read, _, _) =
            reader.read_records(rows - records, levels.as_deref_mut(), None, values)?;
        if read == 0 {
            break;
        }
        records += read;
    }
    Ok(())
}

/// A big-endian two's complement integer of at most 16 bytes.
fn big_endian_i128(bytes: &[u8]) -> i128 {
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    let mut wide = if negative { [0xff; 16] } else { [0; 16] };
    let take = bytes.len().min(16);
    wide[16 - take..].copy_from_slice(&bytes[bytes.len() - take..]);
    i128::from_be_bytes(wide)
}

/// `place` for values used by reference.
fn place_ref<V>(
    values: &[V],
    def_levels: &[i16],
    max_def: i16,
    block: &mut [f64],
    stride: usize,
    col: usize,
    convert: impl Fn(&V) -> f64,
) -> usize {
    let refs: Vec<&V> = values.iter().collect();
    place(&refs, def_levels, max_def, block, stride, col, |v| {
        convert(v)
    })
}

/// Writes a batch into column `col` of `block`; returns the rows written.
fn place<V: Copy>(
    values: &[V],
    def_levels: &[i16],
    max_def: i16,
    block: &mut [f64],
    stride: usize,
    col: usize,
    convert: impl Fn(V) -> f64,
) -> usize {
    let cells = block[col..].iter_mut().step_by(stride);
    if max_def == 0 {
        for (cell, &value) in cells.zip(values) {
            *cell = convert(value);
        }
        return values.len();
    }
    let mut present = values.iter();
    let mut rows = 0;
    for (cell, &level) in cells.zip(def_levels) {
        *cell = match (level == max_def).then(|| present.next()).flatten() {
            Some(&value) => convert(value),
            None => f64::NAN,
        };
        rows += 1;
    }
    rows
}
