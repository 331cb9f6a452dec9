//! `JobPlan`: a dataset split into numbered partitions, and how one
//! partition's rows are summarized wherever it runs.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use rmesos_common::partition::{PartitionSource, PartitionSpec};
use rmesos_common::stats::{ColumnSummary, StatsRequest};

use super::dataset::DatasetShape;
use super::error::PartitionError;

/// A job's partitions, numbered `0..len` in row order.
#[derive(Debug, Clone)]
pub struct JobPlan {
    job_id: String,
    shape: DatasetShape,
    partitions: Vec<Partition>,
    request: StatsRequest,
    /// The columns' names, when the source names them (Parquet).
    column_names: Option<Arc<[String]>>,
}

/// One partition: its id (its position in the plan) and its rows.
#[derive(Debug, Clone)]
pub struct Partition {
    pub id: u32,
    pub work: PartitionWork,
}

/// Where one partition's rows are.
#[derive(Clone)]
pub enum PartitionWork {
    /// Rows `range` of rows the driver holds (row-major, `ncols` wide).
    InMemory {
        rows: Arc<[f64]>,
        ncols: usize,
        range: Range<u64>,
    },
    /// Rows `range` that the caller of `LocalRunner::run_with` holds and
    /// summarizes in its own `compute`.
    Borrowed { ncols: usize, range: Range<u64> },
    /// Rows any worker can read from a file.
    File(PartitionSource),
}

impl fmt::Debug for PartitionWork {
    // Printing the shared rows would flood logs; the range says enough.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartitionWork::InMemory { ncols, range, .. } => f
                .debug_struct("InMemory")
                .field("ncols", ncols)
                .field("range", range)
                .finish(),
            PartitionWork::Borrowed { ncols, range } => f
                .debug_struct("Borrowed")
                .field("ncols", ncols)
                .field("range", range)
                .finish(),
            PartitionWork::File(source) => f.debug_tuple("File").field(source).finish(),
        }
    }
}

impl JobPlan {
    pub fn new(job_id: String, shape: DatasetShape, partitions: Vec<Partition>) -> JobPlan {
        JobPlan {
            job_id,
            shape,
            partitions,
            request: StatsRequest::default(),
            column_names: None,
        }
    }

    /// This plan, computing what `request` asks for besides the eight
    /// statistics in every partition.
    pub fn with_request(mut self, request: StatsRequest) -> JobPlan {
        self.request = request;
        self
    }

    /// What every partition computes besides the eight statistics.
    pub fn request(&self) -> &StatsRequest {
        &self.request
    }

    /// The same plan, its columns named `names` (one per column).
    pub fn with_column_names(mut self, names: Option<Vec<String>>) -> JobPlan {
        self.column_names = names.map(Arc::from);
        self
    }

    /// The columns' names, when the source names them.
    pub fn column_names(&self) -> Option<&[String]> {
        self.column_names.as_deref()
    }

    pub fn job_id(&self) -> &str {
        &self.job_id
    }

    pub fn shape(&self) -> DatasetShape {
        self.shape
    }

    pub fn ncols(&self) -> usize {
        self.shape.ncols
    }

    pub fn partitions(&self) -> &[Partition] {
        &self.partitions
    }

    /// The number of partitions (ids are `0..len`).
    pub fn len(&self) -> u32 {
        // `Dataset::plan` numbers partitions with `u32` ids.
        u32::try_from(self.partitions.len()).unwrap_or(u32::MAX)
    }

    pub fn is_empty(&self) -> bool {
        self.partitions.is_empty()
    }

    /// The spec that lets a remote worker compute `partition` on its own
    /// (`None` for rows only the driver holds).
    pub fn spec(&self, partition: &Partition) -> Option<PartitionSpec> {
        match &partition.work {
            PartitionWork::File(source) => Some(PartitionSpec {
                job_id: self.job_id.clone(),
                partition_id: partition.id,
                source: source.clone(),
                request: self.request,
            }),
            PartitionWork::InMemory { .. } | PartitionWork::Borrowed { .. } => None,
        }
    }
}

impl PartitionWork {
    /// Summarizes this partition's rows in this process.
    pub fn compute(&self) -> Result<ColumnSummary, PartitionError> {
        self.compute_for(&StatsRequest::default())
    }

    /// `compute`, also computing what `request` asks for.
    pub fn compute_for(&self, request: &StatsRequest) -> Result<ColumnSummary, PartitionError> {
        match self {
            PartitionWork::InMemory { rows, ncols, range } => {
                let values = in_memory_slice(rows, *ncols, range)?;
                let mut summary = ColumnSummary::with_request(*ncols, request)?;
                summary.add_rows(values)?;
                Ok(summary)
            }
            PartitionWork::Borrowed { .. } => Err(PartitionError::RowsNotHeld),
            PartitionWork::File(source) => Ok(source.compute_for(request)?),
        }
    }

    /// Rows in this partition, when known before reading it.
    pub fn rows(&self) -> Option<u64> {
        match self {
            PartitionWork::InMemory { range, .. } | PartitionWork::Borrowed { range, .. } => {
                Some(range.end - range.start)
            }
            PartitionWork::File(
                PartitionSource::NpyRows { rows, .. } | PartitionSource::Served { rows, .. },
            ) => Some(rows.end.saturating_sub(rows.start)),
            PartitionWork::File(PartitionSource::ParquetRowGroups { rows, .. }) => Some(*rows),
            PartitionWork::File(PartitionSource::CsvBytes { .. }) => None,
        }
    }

    /// Bytes of file this partition covers (`.csv` only).
    pub fn bytes(&self) -> Option<u64> {
        match self {
            PartitionWork::File(PartitionSource::CsvBytes { bytes, .. }) => {
                Some(bytes.end.saturating_sub(bytes.start))
            }
            _ => None,
        }
    }
}

fn in_memory_slice<'a>(
    rows: &'a [f64],
    ncols: usize,
    range: &Range<u64>,
) -> Result<&'a [f64], PartitionError> {
    let bounds = usize::try_from(range.start)
        .ok()
        .zip(usize::try_from(range.end).ok())
        .and_then(|(start, end)| Some((start.checked_mul(ncols)?, end.checked_mul(ncols)?)));
    match bounds {
        Some((start, end)) if start <= end && end <= rows.len() => Ok(&rows[start..end]),
        _ => Err(PartitionError::RowsOutOfRange {
            start: range.start,
            end: range.end,
            available: (rows.len() / ncols.max(1)) as u64,
        }),
    }
}
