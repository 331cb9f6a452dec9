//! `Dataset`: the N x D table a job summarizes (rows held in memory, or a
//! `.npy`/`.csv`/Parquet file), opening and validating it, and splitting
//! it into partitions (contiguous row ranges; byte ranges for `.csv`;
//! runs of whole row groups for Parquet).

use std::fmt;
use std::num::{NonZeroU32, NonZeroUsize};
use std::path::PathBuf;
use std::sync::Arc;

use rmesos_common::partition::PartitionSource;
use rmesos_common::readers::{CsvFile, CsvOptions, NpyFile, ParquetFile, ReadError};
use thiserror::Error;

use super::plan::{JobPlan, Partition, PartitionWork};

/// How many partitions each worker gets when the caller does not say:
/// more than one, so that a slow partition does not leave workers idle.
pub const PARTITIONS_PER_WORKER: usize = 2;

/// A table of numbers, N rows x D columns.
#[derive(Clone)]
pub enum Dataset {
    /// Rows held by the driver, row-major: `rows.len()` is N x `ncols`.
    InMemory { rows: Arc<[f64]>, ncols: usize },
    /// `nrows` x `ncols` rows the caller holds and summarizes itself in
    /// `LocalRunner::run_with` (the Python module borrows numpy memory
    /// this way, without copying it).
    Borrowed { nrows: u64, ncols: usize },
    /// A `.npy` file (1-D or 2-D).
    Npy(PathBuf),
    /// A `.csv` file of numbers.
    Csv(PathBuf, CsvOptions),
    /// A Parquet file: the `columns` named (in that order), or every
    /// numeric column when `None`.
    Parquet {
        path: PathBuf,
        columns: Option<Vec<String>>,
    },
    /// The files of a directory or glob, in name order: one table (every
    /// file has the same columns); partitions never straddle files.
    Files(Vec<Dataset>),
}

impl fmt::Debug for Dataset {
    // The rows themselves would flood logs; their shape says enough.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dataset::InMemory { rows, ncols } => f
                .debug_struct("InMemory")
                .field("values", &rows.len())
                .field("ncols", ncols)
                .finish(),
            Dataset::Borrowed { nrows, ncols } => f
                .debug_struct("Borrowed")
                .field("nrows", nrows)
                .field("ncols", ncols)
                .finish(),
            Dataset::Npy(path) => f.debug_tuple("Npy").field(path).finish(),
            Dataset::Csv(path, options) => f.debug_tuple("Csv").field(path).field(options).finish(),
            Dataset::Parquet { path, columns } => f
                .debug_struct("Parquet")
                .field("path", path)
                .field("columns", columns)
                .finish(),
            Dataset::Files(files) => f.debug_tuple("Files").field(files).finish(),
        }
    }
}

/// A dataset that cannot be used.
#[derive(Debug, Error)]
pub enum DatasetError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("in-memory rows have no columns")]
    NoColumns,
    #[error("in-memory data of {len} values is not a whole number of rows of {ncols} columns")]
    Ragged { len: usize, ncols: usize },
    #[error("a job cannot have more than {} partitions", u32::MAX)]
    TooManyPartitions,
    #[error("{path}: {detail} (the files of one dataset must have the same columns)")]
    FilesDiffer { path: String, detail: String },
}

/// What opening a dataset learned about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatasetShape {
    pub ncols: usize,
    /// Known without reading the data (not for `.csv`).
    pub rows: Option<u64>,
    /// Known for `.csv`, whose partitions are byte ranges.
    pub bytes: Option<u64>,
}

/// An opened dataset: its shape, and the reader kept open for planning.
enum Opened {
    InMemory {
        rows: Arc<[f64]>,
        ncols: usize,
    },
    Borrowed {
        nrows: u64,
        ncols: usize,
    },
    Npy {
        path: PathBuf,
        file: NpyFile,
    },
    Csv {
        path: PathBuf,
        options: CsvOptions,
        file: CsvFile,
    },
    Parquet {
        path: PathBuf,
        file: ParquetFile,
    },
    /// Each file opened, with its size in bytes (its share of partitions).
    Files(Vec<(Opened, u64)>),
}

impl Dataset {
    /// Wraps row-major rows, checking they form whole rows.
    pub fn in_memory(rows: impl Into<Arc<[f64]>>, ncols: usize) -> Result<Dataset, DatasetError> {
        let rows = rows.into();
        validate_in_memory(&rows, ncols)?;
        Ok(Dataset::InMemory { rows, ncols })
    }

    /// The same table held in memory: a file's rows are read whole (for
    /// a cluster whose agents cannot read the file: the driver serves them).
    pub fn into_memory(&self) -> Result<Dataset, DatasetError> {
        match self {
            Dataset::Npy(path) => {
                let file = NpyFile::open(path)?;
                Dataset::in_memory(file.read_all()?, file.cols())
            }
            Dataset::Csv(path, options) => {
                // The row count is known only once the text is parsed: the
                // values grow in a Vec and are copied once into the shared
                // slice, so loading a CSV briefly holds its values twice.
                let file = CsvFile::open(path, options.clone())?;
                Dataset::in_memory(file.read_all()?, file.cols())
            }
            Dataset::Parquet { path, columns } => {
                let file = ParquetFile::open(path, columns.as_deref())?;
                Dataset::in_memory(file.read_all()?, file.cols())
            }
            Dataset::Files(files) => {
                let ncols = shape_of(&self.opened()?).ncols;
                let mut values = Vec::new();
                for file in files {
                    if let Dataset::InMemory { rows, .. } = file.into_memory()? {
                        values.extend_from_slice(&rows);
                    }
                }
                Dataset::in_memory(values, ncols)
            }
            Dataset::InMemory { .. } | Dataset::Borrowed { .. } => Ok(self.clone()),
        }
    }

    /// Opens and validates the dataset (reads a file's header, not its
    /// data) and reports its shape.
    pub fn shape(&self) -> Result<DatasetShape, DatasetError> {
        Ok(shape_of(&self.opened()?))
    }

    /// The columns' names, when the source names them (Parquet: its
    /// footer is read); other sources are not opened.
    pub fn column_names(&self) -> Result<Option<Vec<String>>, DatasetError> {
        match self {
            Dataset::Parquet { .. } | Dataset::Files(_) => Ok(names_of(&self.opened()?)),
            _ => Ok(None),
        }
    }

    /// Opens the dataset and splits it into partitions: `requested` of them,
    /// or `PARTITIONS_PER_WORKER` per worker by default; never more than
    /// the rows (an empty dataset still gets one, empty, partition). A
    /// `.csv` file is split by bytes, and its reader may return fewer
    /// ranges than asked for a small file.
    pub fn plan(
        &self,
        job_id: &str,
        requested: Option<NonZeroU32>,
        workers: NonZeroUsize,
    ) -> Result<JobPlan, DatasetError> {
        let opened = self.opened()?;
        let shape = shape_of(&opened);
        let names = names_of(&opened);
        warn_skipped(&opened);
        let wanted = match requested {
            Some(n) => u64::from(n.get()),
            None => (workers.get() as u64).saturating_mul(PARTITIONS_PER_WORKER as u64),
        };
        let works = split(opened, wanted);
        let partitions = works
            .into_iter()
            .enumerate()
            .map(|(index, work)| {
                let id = u32::try_from(index).map_err(|_| DatasetError::TooManyPartitions)?;
                Ok(Partition { id, work })
            })
            .collect::<Result<Vec<_>, DatasetError>>()?;
        Ok(JobPlan::new(job_id.to_owned(), shape, partitions).with_column_names(names))
    }

    fn opened(&self) -> Result<Opened, DatasetError> {
        Ok(match self {
            Dataset::InMemory { rows, ncols } => {
                validate_in_memory(rows, *ncols)?;
                Opened::InMemory {
                    rows: Arc::clone(rows),
                    ncols: *ncols,
                }
            }
            Dataset::Borrowed { nrows, ncols } => {
                if *ncols == 0 {
                    return Err(DatasetError::NoColumns);
                }
                Opened::Borrowed {
                    nrows: *nrows,
                    ncols: *ncols,
                }
            }
            Dataset::Npy(path) => Opened::Npy {
                file: NpyFile::open(path)?,
                path: path.clone(),
            },
            Dataset::Csv(path, options) => Opened::Csv {
                file: CsvFile::open(path, options.clone())?,
                path: path.clone(),
                options: options.clone(),
            },
            Dataset::Parquet { path, columns } => {
                let file = ParquetFile::open(path, columns.as_deref())?;
                Opened::Parquet {
                    path: path.clone(),
                    file,
                }
            }
            Dataset::Files(files) => open_files(files)?,
        })
    }

    /// The file this dataset reads (`None` for rows in memory or a set of files).
    fn file_path(&self) -> Option<&std::path::Path> {
        match self {
            Dataset::Npy(path) | Dataset::Csv(path, _) | Dataset::Parquet { path, .. } => {
                Some(path)
            }
            _ => None,
        }
    }
}

/// Opens every file of a set, checking that each has the first file's
/// columns (their number, and their names when both name them).
fn open_files(files: &[Dataset]) -> Result<Opened, DatasetError> {
    let mut opened = Vec::with_capacity(files.len());
    let mut first: Option<(String, usize, Option<Vec<String>>)> = None;
    for file in files {
        let path = file
            .file_path()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        let shown = path.display().to_string();
        let one = file.opened()?;
        let (ncols, names) = (shape_of(&one).ncols, names_of(&one));
        match &first {
            None => first = Some((shown, ncols, names)),
            Some((first_path, first_ncols, _)) if *first_ncols != ncols => {
                return Err(DatasetError::FilesDiffer {
                    path: shown,
                    detail: format!("has {ncols} columns, {first_path} has {first_ncols}"),
                });
            }
            Some((first_path, _, Some(first_names))) => {
                if let Some(names) = names.filter(|names| names != first_names) {
                    return Err(DatasetError::FilesDiffer {
                        path: shown,
                        detail: format!(
                            "has columns {}, {first_path} has {}",
                            names.join(", "),
                            first_names.join(", ")
                        ),
                    });
                }
            }
            Some(_) => {}
        }
        let size = std::fs::metadata(&path).map_or(1, |meta| meta.len()).max(1);
        opened.push((one, size));
    }
    Ok(Opened::Files(opened))
}

/// Logs the non-numeric Parquet columns left out of a job (no columns
/// were named), once per file.
fn warn_skipped(opened: &Opened) {
    match opened {
        Opened::Parquet { path, file } if !file.skipped_columns().is_empty() => {
            tracing::warn!(
                file = %path.display(),
                skipped = file.skipped_columns().join(", "),
                "non-numeric Parquet columns are skipped (name columns to choose them)"
            );
        }
        Opened::Files(files) => files.iter().for_each(|(one, _)| warn_skipped(one)),
        _ => {}
    }
}

/// The work of each of (about) `wanted` partitions of an opened dataset,
/// in row order.
fn split(opened: Opened, wanted: u64) -> Vec<PartitionWork> {
    match opened {
        Opened::InMemory { rows, ncols } => {
            let nrows = (rows.len() / ncols) as u64;
            split_rows(nrows, wanted)
                .into_iter()
                .map(|range| PartitionWork::InMemory {
                    rows: Arc::clone(&rows),
                    ncols,
                    range,
                })
                .collect::<Vec<_>>()
        }
        Opened::Borrowed { nrows, ncols } => split_rows(nrows, wanted)
            .into_iter()
            .map(|range| PartitionWork::Borrowed { ncols, range })
            .collect(),
        Opened::Npy { path, file } => split_rows(file.rows(), wanted)
            .into_iter()
            .map(|rows| {
                PartitionWork::File(PartitionSource::NpyRows {
                    path: path.clone(),
                    rows,
                })
            })
            .collect(),
        Opened::Csv {
            path,
            options,
            file,
        } => {
            let parts = usize::try_from(wanted).unwrap_or(usize::MAX).max(1);
            file.split(parts)
                .into_iter()
                .map(|bytes| {
                    PartitionWork::File(PartitionSource::CsvBytes {
                        path: path.clone(),
                        bytes,
                        options: options.clone(),
                    })
                })
                .collect()
        }
        Opened::Parquet { path, file } => split_row_groups(&file.row_group_rows(), wanted)
            .into_iter()
            .map(|(row_groups, rows)| {
                PartitionWork::File(PartitionSource::ParquetRowGroups {
                    path: path.clone(),
                    row_groups,
                    rows,
                    columns: file.column_names(),
                })
            })
            .collect(),
        Opened::Files(files) => {
            // Each file gets its share of the partitions by size (at least
            // one): partitions never straddle files.
            let total: u128 = files.iter().map(|(_, size)| u128::from(*size)).sum();
            let mut works = Vec::new();
            for (one, size) in files {
                let share = (u128::from(wanted) * u128::from(size) + total / 2) / total.max(1);
                works.extend(split(one, u64::try_from(share).unwrap_or(u64::MAX).max(1)));
            }
            works
        }
    }
}

/// Runs of whole row groups for about `wanted` partitions (one row group
/// is never split: fewer partitions than asked when there are fewer row
/// groups), each with its row count. A file of no row groups is one
/// empty partition.
fn split_row_groups(group_rows: &[u64], wanted: u64) -> Vec<(std::ops::Range<u64>, u64)> {
    split_rows(group_rows.len() as u64, wanted)
        .into_iter()
        .map(|groups| {
            let rows = group_rows
                .iter()
                .skip(groups.start as usize)
                .take((groups.end - groups.start) as usize)
                .sum();
            (groups, rows)
        })
        .collect()
}

fn names_of(opened: &Opened) -> Option<Vec<String>> {
    match opened {
        Opened::Parquet { file, .. } => Some(file.column_names()),
        Opened::Files(files) => files.first().and_then(|(one, _)| names_of(one)),
        _ => None,
    }
}

fn validate_in_memory(rows: &[f64], ncols: usize) -> Result<(), DatasetError> {
    if ncols == 0 {
        return Err(DatasetError::NoColumns);
    }
    if !rows.len().is_multiple_of(ncols) {
        return Err(DatasetError::Ragged {
            len: rows.len(),
            ncols,
        });
    }
    Ok(())
}

fn shape_of(opened: &Opened) -> DatasetShape {
    match opened {
        Opened::InMemory { rows, ncols } => DatasetShape {
            ncols: *ncols,
            rows: Some((rows.len() / ncols) as u64),
            bytes: None,
        },
        Opened::Borrowed { nrows, ncols } => DatasetShape {
            ncols: *ncols,
            rows: Some(*nrows),
            bytes: None,
        },
        Opened::Npy { file, .. } => DatasetShape {
            ncols: file.cols(),
            rows: Some(file.rows()),
            bytes: None,
        },
        Opened::Csv { file, .. } => DatasetShape {
            ncols: file.cols(),
            rows: None,
            bytes: Some(file.len_bytes()),
        },
        Opened::Parquet { file, .. } => DatasetShape {
            ncols: file.cols(),
            rows: Some(file.rows()),
            bytes: None,
        },
        Opened::Files(files) => {
            let shapes: Vec<DatasetShape> = files.iter().map(|(one, _)| shape_of(one)).collect();
            let bytes: Vec<u64> = shapes.iter().filter_map(|shape| shape.bytes).collect();
            DatasetShape {
                ncols: shapes.first().map_or(0, |shape| shape.ncols),
                rows: shapes.iter().map(|shape| shape.rows).sum(),
                bytes: (!bytes.is_empty()).then(|| bytes.iter().sum()),
            }
        }
    }
}

/// Splits rows `0..nrows` into `min(wanted, nrows)` contiguous ranges (at
/// least one) whose sizes differ by at most one row.
pub fn split_rows(nrows: u64, wanted: u64) -> Vec<std::ops::Range<u64>> {
    let parts = wanted.clamp(1, nrows.max(1));
    let (base, extra) = (nrows / parts, nrows % parts);
    let mut start = 0;
    (0..parts)
        .map(|index| {
            let len = base + u64::from(index < extra);
            let range = start..start + len;
            start += len;
            range
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_rows_covers_every_row_once_in_order() {
        for nrows in [0u64, 1, 2, 7, 100, 101] {
            for wanted in [1u64, 2, 3, 8, 200] {
                let ranges = split_rows(nrows, wanted);
                assert_eq!(ranges.len() as u64, wanted.min(nrows.max(1)));
                assert_eq!(ranges.first().map(|r| r.start), Some(0));
                assert_eq!(ranges.last().map(|r| r.end), Some(nrows));
                for pair in ranges.windows(2) {
                    assert_eq!(pair[0].end, pair[1].start);
                }
                let sizes: Vec<u64> = ranges.iter().map(|r| r.end - r.start).collect();
                let (lo, hi) = (sizes.iter().min(), sizes.iter().max());
                assert!(hi.zip(lo).is_some_and(|(hi, lo)| hi - lo <= 1), "{sizes:?}");
            }
        }
    }
}
