//! `ReadError`: every way an input file can be bad, each naming the file
//! and the place.

use std::path::PathBuf;
use thiserror::Error;

use crate::stats::StatsError;

#[derive(Debug, Error)]
pub enum ReadError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A malformed `.npy` file; `field` names the header field or part
    /// (`file`, `magic`, `version`, `header length`, `header`, `descr`,
    /// `fortran_order`, `shape`, `data`).
    #[error("{path}: bad .npy {field}: {detail}")]
    Npy {
        path: PathBuf,
        field: String,
        detail: String,
    },
    /// A malformed `.csv` file at a 1-based line and column.
    #[error("{path}: line {line}, column {column}: {detail}")]
    Csv {
        path: PathBuf,
        line: u64,
        column: u64,
        detail: String,
    },
    /// A file-level `.csv` problem (e.g. empty file, header only, bad options).
    #[error("{path}: {detail}")]
    CsvFile { path: PathBuf, detail: String },
    /// A malformed Parquet file, or a column that cannot be read as numbers.
    #[error("{path}: {detail}")]
    Parquet { path: PathBuf, detail: String },
    /// The kernel refused the rows a reader produced (a reader bug, not bad input).
    #[error("{path}: {source}")]
    Summary { path: PathBuf, source: StatsError },
}

impl ReadError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        ReadError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn npy(path: &std::path::Path, field: &str, detail: impl Into<String>) -> Self {
        ReadError::Npy {
            path: path.to_path_buf(),
            field: field.to_string(),
            detail: detail.into(),
        }
    }

    pub(crate) fn parquet(path: &std::path::Path, detail: impl Into<String>) -> Self {
        ReadError::Parquet {
            path: path.to_path_buf(),
            detail: detail.into(),
        }
    }

    pub(crate) fn summary(path: &std::path::Path, source: StatsError) -> Self {
        ReadError::Summary {
            path: path.to_path_buf(),
            source,
        }
    }
}
