//! Opening a dataset the way users name one, for every front alike: a
//! file path (its format chosen by its extension, in any case), the
//! `.csv` delimiter and header as text (`parse_delimiter`,
//! `parse_header`), and where the job runs (`Placement`), which decides
//! whether a file is read in place or loaded to be served, and how many
//! partitions a job gets when the caller does not say. `rmesos-submit`
//! and the Python module both call these, so the same input gets the
//! same error text from the shell and from Python.

use std::ffi::OsStr;
use std::io;
use std::num::{NonZeroU32, NonZeroUsize};
use std::path::Path;

use rmesos_common::readers::{CsvOptions, HeaderMode};
use thiserror::Error;

use super::dataset::{Dataset, DatasetError};
use super::plan::JobPlan;

/// Partitions of a cluster job when the caller does not say.
pub const DEFAULT_CLUSTER_PARTITIONS: NonZeroU32 = match NonZeroU32::new(8) {
    Some(partitions) => partitions,
    None => NonZeroU32::MIN,
};

/// The `.csv` header choices as written, with what each means; the
/// synonyms `true` and `false` are accepted but not advertised.
pub const HEADER_CHOICES: [(&str, HeaderMode, bool); 5] = [
    ("auto", HeaderMode::Auto, true),
    ("yes", HeaderMode::Present, true),
    ("no", HeaderMode::Absent, true),
    ("true", HeaderMode::Present, false),
    ("false", HeaderMode::Absent, false),
];

/// The `.csv` options of a file as the user gave them (`None`: the
/// default of `CsvOptions`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CsvChoices {
    pub delimiter: Option<u8>,
    pub header: Option<HeaderMode>,
}

/// Why a named file is not a dataset (before any of its data is read).
#[derive(Debug, Error)]
pub enum OpenError {
    #[error("'{0}' is not a .npy, .csv or .parquet file (the format is chosen by the extension)")]
    UnknownFormat(String),
    #[error("the .csv delimiter and header options apply to .csv input only, not to '{0}'")]
    CsvOptionsForNpy(String),
    #[error("choosing columns by name applies to Parquet input only, not to '{0}'")]
    ColumnsForUnnamed(String),
    #[error("no column names given (an empty list chooses nothing)")]
    NoColumnsChosen,
    #[error("'{0}' holds no .npy, .csv or .parquet files")]
    NoFiles(String),
    #[error("bad file pattern {0}")]
    BadPattern(String),
    #[error("{path}: {source}")]
    Unreadable { path: String, source: io::Error },
    #[error("{0}: is not a regular file")]
    NotAFile(String),
}

impl OpenError {
    /// The file does not exist (Python raises `FileNotFoundError`).
    pub fn is_not_found(&self) -> bool {
        matches!(self, OpenError::Unreadable { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }
}

/// Where a job's partitions run, as far as planning cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Worker threads of this process: files are read in place.
    Local { threads: NonZeroUsize },
    /// Mesos tasks: a `shared` file (and any object) is read by the
    /// executors, any other file is loaded here and served.
    Cluster { shared: bool },
}

impl Dataset {
    /// The `.npy` or `.csv` file at `path` (by its extension, in any case),
    /// checked to be a readable regular file; `csv` must be empty for a
    /// `.npy` file.
    pub fn open(path: &Path, csv: CsvChoices) -> Result<Dataset, OpenError> {
        Dataset::open_columns(path, csv, None)
    }

    /// `open`, also for Parquet (`.parquet`, `.pq`), whose `columns` may
    /// be chosen by name (for other formats `columns` must be `None`),
    /// and for a directory or a glob pattern: the dataset of its files
    /// (`files::list`), where the `.csv` choices apply to `.csv` files.
    pub fn open_columns(
        path: &Path,
        csv: CsvChoices,
        columns: Option<Vec<String>>,
    ) -> Result<Dataset, OpenError> {
        if columns.as_ref().is_some_and(Vec::is_empty) {
            return Err(OpenError::NoColumnsChosen);
        }
        let Some(files) = super::files::list(path)? else {
            return open_one(path, csv, columns, true);
        };
        if files.is_empty() {
            return Err(OpenError::NoFiles(path.display().to_string()));
        }
        let datasets = files
            .iter()
            .map(|file| open_one(file, csv, columns.clone(), false))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Dataset::Files(datasets))
    }

    /// The job's plan where it runs: `requested` partitions, else 2 per
    /// worker thread locally and `DEFAULT_CLUSTER_PARTITIONS` on a
    /// cluster, where a file not `shared` is first loaded to be served.
    pub fn plan_for(
        self,
        placement: Placement,
        job_id: &str,
        requested: Option<NonZeroU32>,
    ) -> Result<JobPlan, DatasetError> {
        match placement {
            Placement::Local { threads } => self.plan(job_id, requested, threads),
            Placement::Cluster { shared } => {
                let partitions = requested.unwrap_or(DEFAULT_CLUSTER_PARTITIONS);
                // Objects are always read by the executors themselves.
                if shared || self.reads_objects() {
                    return self.plan(job_id, Some(partitions), NonZeroUsize::MIN);
                }
                // Loaded rows lose their source's column names: kept here.
                let names = self.column_names()?;
                let plan = self
                    .into_memory()?
                    .plan(job_id, Some(partitions), NonZeroUsize::MIN)?;
                Ok(plan.with_column_names(names))
            }
        }
    }
}

impl Dataset {
    /// True when the dataset is (or holds) an object named by URL.
    pub fn reads_objects(&self) -> bool {
        match self {
            Dataset::Npy(path) | Dataset::Csv(path, _) | Dataset::Parquet { path, .. } => {
                super::files::is_object(path)
            }
            Dataset::Files(files) => files.iter().any(Dataset::reads_objects),
            Dataset::InMemory { .. } | Dataset::Borrowed { .. } => false,
        }
    }
}

/// One file by its extension, checked to be a readable regular file;
/// `strict`: `.csv` choices for another format are an error (a single
/// file; in a set of files they apply to its `.csv` files only).
fn open_one(
    path: &Path,
    csv: CsvChoices,
    columns: Option<Vec<String>>,
    strict: bool,
) -> Result<Dataset, OpenError> {
    let shown = || path.display().to_string();
    let extension = path
        .extension()
        .and_then(OsStr::to_str)
        .map(str::to_ascii_lowercase);
    let dataset = match extension.as_deref() {
        Some("npy" | "parquet" | "pq") if strict && csv != CsvChoices::default() => {
            return Err(OpenError::CsvOptionsForNpy(shown()));
        }
        Some("parquet" | "pq") => Dataset::Parquet {
            path: path.to_owned(),
            columns,
        },
        Some("npy" | "csv") if columns.is_some() => {
            return Err(OpenError::ColumnsForUnnamed(shown()));
        }
        Some("npy") => Dataset::Npy(path.to_owned()),
        Some("csv") => {
            let defaults = CsvOptions::default();
            let options = CsvOptions {
                delimiter: csv.delimiter.unwrap_or(defaults.delimiter),
                header: csv.header.unwrap_or(defaults.header),
            };
            Dataset::Csv(path.to_owned(), options)
        }
        _ => return Err(OpenError::UnknownFormat(shown())),
    };
    if super::files::is_object(path) {
        // Read (a HEAD and the header) when the job is planned.
        return Ok(dataset);
    }
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => Ok(dataset),
        Ok(_) => Err(OpenError::NotAFile(shown())),
        Err(source) => Err(OpenError::Unreadable {
            path: shown(),
            source,
        }),
    }
}

/// A `.csv` delimiter: one ASCII character other than a line break or a
/// double quote, or `tab` (also `\t`) for a tab.
pub fn parse_delimiter(text: &str) -> Result<u8, String> {
    if text == "tab" || text == "\\t" {
        return Ok(b'\t');
    }
    match text.as_bytes() {
        [byte] if byte.is_ascii() && !matches!(byte, b'\n' | b'\r' | b'"') => Ok(*byte),
        _ => Err(format!(
            "'{text}' is not one ASCII character (other than a line break or '\"'), nor \"tab\""
        )),
    }
}

/// A `.csv` header choice: `auto` (a first line with a non-number is a
/// header), `yes` or `no` (also `true`, `false`).
pub fn parse_header(text: &str) -> Result<HeaderMode, String> {
    HEADER_CHOICES
        .iter()
        .find(|(name, _, _)| *name == text)
        .map(|(_, mode, _)| *mode)
        .ok_or_else(|| format!("'{text}' is not a header choice: auto, yes or no"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters() {
        assert_eq!(parse_delimiter(";"), Ok(b';'));
        assert_eq!(parse_delimiter("tab"), Ok(b'\t'));
        assert_eq!(parse_delimiter("\t"), Ok(b'\t'));
        for bad in [",,", "", "é", "\n", "\r", "\""] {
            assert!(parse_delimiter(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn headers() {
        assert_eq!(parse_header("yes"), Ok(HeaderMode::Present));
        assert_eq!(parse_header("false"), Ok(HeaderMode::Absent));
        let error = parse_header("maybe").unwrap_err();
        assert!(error.contains("auto, yes or no"), "{error}");
    }

    #[test]
    fn the_extension_chooses_the_format_in_any_case() {
        let dir = std::env::temp_dir().join(format!("rmesos-open-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let upper = dir.join("DATA.CSV");
        std::fs::write(&upper, "1,2\n").unwrap();
        let choices = CsvChoices {
            delimiter: Some(b';'),
            header: None,
        };
        assert!(matches!(
            Dataset::open(&upper, choices),
            Ok(Dataset::Csv(
                _,
                CsvOptions {
                    delimiter: b';',
                    ..
                }
            ))
        ));
        let npy = dir.join("x.Npy");
        std::fs::write(&npy, "").unwrap();
        assert!(matches!(
            Dataset::open(&npy, choices),
            Err(OpenError::CsvOptionsForNpy(_))
        ));
        let missing = Dataset::open(&dir.join("absent.npy"), CsvChoices::default());
        assert!(
            missing.as_ref().is_err_and(OpenError::is_not_found),
            "{missing:?}"
        );
        // A directory is one dataset of its files, in name order.
        let directory = Dataset::open(&dir, CsvChoices::default());
        assert!(
            matches!(&directory, Ok(Dataset::Files(files)) if files.len() == 2),
            "{directory:?}"
        );
        let empty = dir.join("empty");
        std::fs::create_dir(&empty).unwrap();
        let nothing = Dataset::open(&empty, CsvChoices::default());
        assert!(nothing.is_err(), "{nothing:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
