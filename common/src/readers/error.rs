//! `ReadError`: every way an input file can be bad, each naming the file
//! and the place.

use std::path::PathBuf;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ReadError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// A malformed `.npy` file; `field` names the header field or part.
    #[error("{path}: bad .npy {field}: {detail}")]
    Npy { path: PathBuf, field: String, detail: String },
    /// A malformed `.csv` file at a 1-based line and column.
    #[error("{path}: line {line}, column {column}: {detail}")]
    Csv { path: PathBuf, line: u64, column: u64, detail: String },
    /// A file-level `.csv` problem (e.g. empty file).
    #[error("{path}: {detail}")]
    CsvFile { path: PathBuf, detail: String },
}
