//! Readers that feed the column-statistics kernel straight from files,
//! without loading a whole file: `.npy` by row range (a guarded memory
//! map, or positioned reads), `.csv` by byte range aligned to line
//! starts, Parquet by row group; local files and objects alike
//! (`ByteSource`).

mod csv;
mod error;
mod guarded_map;
mod npy;
mod parquet;
mod source;

pub use self::csv::{CsvFile, CsvOptions, HeaderMode};
pub use self::parquet::ParquetFile;
pub use error::ReadError;
pub use guarded_map::{GuardedMap, MapFault};
pub use npy::{ElementKind, NpyDtype, NpyFile, npy_header, write_npy_f64};
pub use source::{ByteSource, LocalFile, ReadSeek, SourceReader, open_reader, open_source};
