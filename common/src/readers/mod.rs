//! Readers that feed the column-statistics kernel straight from files,
//! without loading a whole file: `.npy` by row range (memory map) and
//! `.csv` by byte range aligned to line starts.

mod csv;
mod error;
mod npy;
mod parquet;
mod source;

pub use self::csv::{CsvFile, CsvOptions, HeaderMode};
pub use self::parquet::ParquetFile;
pub use error::ReadError;
pub use npy::{ElementKind, NpyDtype, NpyFile, npy_header, write_npy_f64};
pub use source::{ByteSource, LocalFile, ReadSeek, SourceReader, open_reader, open_source};
