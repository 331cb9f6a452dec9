//! `PartitionSpec`: the description of one partition's work, as it travels
//! from the driver to whoever computes it (a local worker thread today, an
//! executor through a Mesos `TaskInfo.data` later), and how to compute it.
//!
//! The encoded form is JSON with a `version` field, so that an executor
//! fetched from an older or newer driver fails with a clear message instead
//! of misreading the work. Version 2 adds the job's `request` (what to
//! compute besides the eight statistics); a spec that asks for nothing
//! more is still written as version 1, so plain jobs read as before.

use std::ops::Range;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::readers::{CsvFile, CsvOptions, NpyFile, ParquetFile, ReadError};
use crate::stats::{ColumnSummary, StatsRequest};
use crate::task::DataUrl;

/// The version of the encoded form written by `PartitionSpec::to_bytes`
/// for a plain job (no optional statistics).
pub const PARTITION_SPEC_VERSION: u32 = 1;

/// The version written when the spec carries a non-plain `request`.
pub const PARTITION_SPEC_VERSION_WITH_REQUEST: u32 = 2;

/// One partition of one job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartitionSpec {
    pub job_id: String,
    pub partition_id: u32,
    pub source: PartitionSource,
    /// What to compute besides the eight statistics (version 2).
    #[serde(default, skip_serializing_if = "StatsRequest::is_plain")]
    pub request: StatsRequest,
}

/// Where a partition's rows come from. Each variant names everything a
/// worker needs to summarize its rows without asking the driver again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PartitionSource {
    /// Rows `rows` of a `.npy` file the worker can read at `path`.
    NpyRows { path: PathBuf, rows: Range<u64> },
    /// Every data line of a `.csv` file whose first byte lies in `bytes`.
    CsvBytes {
        path: PathBuf,
        bytes: Range<u64>,
        options: CsvOptions,
    },
    /// Row groups `row_groups` (`rows` rows in all) of a Parquet file,
    /// columns `columns` in that order.
    ParquetRowGroups {
        path: PathBuf,
        row_groups: Range<u64>,
        rows: u64,
        columns: Vec<String>,
    },
    /// Rows `rows` (`ncols` wide) of data the driver holds, streamed by
    /// its data server from `url` (see `task::summarize_served_rows`).
    Served {
        url: DataUrl,
        rows: Range<u64>,
        ncols: usize,
    },
}

impl PartitionSource {
    /// Reads this source's rows from a file and summarizes them. A
    /// `Served` source needs the network, which this crate does not do:
    /// the executor reads it with `task::summarize_served_rows`.
    pub fn compute(&self) -> Result<ColumnSummary, ReadError> {
        self.compute_for(&StatsRequest::default())
    }

    /// `compute`, also computing what `request` asks for.
    pub fn compute_for(&self, request: &StatsRequest) -> Result<ColumnSummary, ReadError> {
        match self {
            PartitionSource::Served { url, .. } => Err(ReadError::Io {
                path: url.redacted().into(),
                source: std::io::Error::new(
                    std::io::ErrorKind::Unsupported,
                    "served rows are read over the network by the executor",
                ),
            }),
            PartitionSource::NpyRows { path, rows } => {
                NpyFile::open(path)?.summarize_rows_for(rows.clone(), request)
            }
            PartitionSource::CsvBytes {
                path,
                bytes,
                options,
            } => CsvFile::open(path, options.clone())?.summarize_range_for(bytes.clone(), request),
            PartitionSource::ParquetRowGroups {
                path,
                row_groups,
                rows,
                columns,
            } => ParquetFile::open(path, Some(columns))?
                .summarize_planned(row_groups, *rows, request),
        }
    }

    /// The file this source reads (`None` for served rows).
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            PartitionSource::NpyRows { path, .. }
            | PartitionSource::CsvBytes { path, .. }
            | PartitionSource::ParquetRowGroups { path, .. } => Some(path),
            PartitionSource::Served { .. } => None,
        }
    }
}

/// A `PartitionSpec` that could not be decoded.
#[derive(Debug, Error)]
pub enum SpecError {
    #[error("partition spec is not valid JSON (or has a non-UTF-8 path): {0}")]
    Json(#[from] serde_json::Error),
    #[error(
        "partition spec has format version {found}, this program reads versions {PARTITION_SPEC_VERSION} and {PARTITION_SPEC_VERSION_WITH_REQUEST}"
    )]
    Version { found: u32 },
    #[error("partition spec has a bad request: {detail}")]
    Request { detail: String },
}

/// The encoded form: the spec plus its format version.
#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    version: u32,
    #[serde(flatten)]
    spec: T,
}

/// Only the version, read before the rest so that a spec from another
/// version is reported as such rather than as a confusing field error.
#[derive(Deserialize)]
struct VersionOnly {
    version: u32,
}

impl PartitionSpec {
    /// Reads and summarizes this partition's rows, with what the job's
    /// request asks for.
    pub fn compute(&self) -> Result<ColumnSummary, ReadError> {
        self.source.compute_for(&self.request)
    }

    /// The spec version `to_bytes` writes for this spec.
    fn version(&self) -> u32 {
        if self.request.is_plain() {
            PARTITION_SPEC_VERSION
        } else {
            PARTITION_SPEC_VERSION_WITH_REQUEST
        }
    }

    /// The versioned JSON form carried in `TaskInfo.data`. Fails only for
    /// a path that is not valid UTF-8 (JSON cannot carry it).
    pub fn to_bytes(&self) -> Result<Vec<u8>, SpecError> {
        let envelope = Envelope {
            version: self.version(),
            spec: self,
        };
        Ok(serde_json::to_vec(&envelope)?)
    }

    /// Decodes `to_bytes` output, checking the format version first.
    pub fn from_bytes(bytes: &[u8]) -> Result<PartitionSpec, SpecError> {
        let VersionOnly { version } = serde_json::from_slice(bytes)?;
        if version != PARTITION_SPEC_VERSION && version != PARTITION_SPEC_VERSION_WITH_REQUEST {
            return Err(SpecError::Version { found: version });
        }
        let envelope: Envelope<PartitionSpec> = serde_json::from_slice(bytes)?;
        envelope
            .spec
            .request
            .validate()
            .map_err(|detail| SpecError::Request { detail })?;
        Ok(envelope.spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readers::HeaderMode;

    fn csv_spec() -> PartitionSpec {
        PartitionSpec {
            job_id: "job-7".into(),
            partition_id: 3,
            source: PartitionSource::CsvBytes {
                path: "/data/x.csv".into(),
                bytes: 100..250,
                options: CsvOptions {
                    delimiter: b';',
                    header: HeaderMode::Present,
                },
            },
            request: StatsRequest::default(),
        }
    }

    #[test]
    fn round_trips_every_source_kind() {
        let npy = PartitionSpec {
            job_id: "job-1".into(),
            partition_id: 0,
            source: PartitionSource::NpyRows {
                path: "/data/x.npy".into(),
                rows: 10..20,
            },
            request: StatsRequest::default(),
        };
        let mut with_request = csv_spec();
        with_request.request = StatsRequest {
            corr: true,
            quantile_error: Some(0.01),
        };

        let parquet = PartitionSpec {
            job_id: "job-2".into(),
            partition_id: 1,
            source: PartitionSource::ParquetRowGroups {
                path: "/data/x.parquet".into(),
                row_groups: 2..4,
                rows: 1000,
                columns: vec!["a".into(), "b c".into()],
            },
            request: StatsRequest::default(),
        };
        for spec in [npy, csv_spec(), with_request, parquet] {
            let decoded = PartitionSpec::from_bytes(&spec.to_bytes().unwrap()).unwrap();
            assert_eq!(decoded, spec);
        }
    }

    #[test]
    fn encoded_form_names_version_and_kind() {
        let value: serde_json::Value =
            serde_json::from_slice(&csv_spec().to_bytes().unwrap()).unwrap();
        assert_eq!(value["version"], PARTITION_SPEC_VERSION);
        assert_eq!(value["source"]["kind"], "csv_bytes");
        assert_eq!(value["partition_id"], 3);
    }

    #[test]
    fn other_version_is_reported_as_such() {
        let mut value: serde_json::Value =
            serde_json::from_slice(&csv_spec().to_bytes().unwrap()).unwrap();
        value["version"] = serde_json::json!(PARTITION_SPEC_VERSION_WITH_REQUEST + 1);
        let err = PartitionSpec::from_bytes(value.to_string().as_bytes()).unwrap_err();
        assert!(
            matches!(err, SpecError::Version { found } if found == PARTITION_SPEC_VERSION_WITH_REQUEST + 1)
        );
    }

    #[test]
    fn a_request_makes_version_2_and_a_plain_spec_stays_version_1() {
        let mut spec = csv_spec();
        let plain: serde_json::Value = serde_json::from_slice(&spec.to_bytes().unwrap()).unwrap();
        assert_eq!(plain["version"], PARTITION_SPEC_VERSION);
        assert!(plain.get("request").is_none(), "{plain}");
        spec.request.corr = true;
        let asked: serde_json::Value = serde_json::from_slice(&spec.to_bytes().unwrap()).unwrap();
        assert_eq!(asked["version"], PARTITION_SPEC_VERSION_WITH_REQUEST);
        assert_eq!(asked["request"]["corr"], true);
    }

    #[test]
    fn a_bad_relative_error_is_refused() {
        let mut value: serde_json::Value =
            serde_json::from_slice(&csv_spec().to_bytes().unwrap()).unwrap();
        value["version"] = serde_json::json!(PARTITION_SPEC_VERSION_WITH_REQUEST);
        value["request"] = serde_json::json!({"corr": false, "quantile_error": 2.0});
        let err = PartitionSpec::from_bytes(value.to_string().as_bytes()).unwrap_err();
        assert!(matches!(err, SpecError::Request { .. }), "{err}");
    }

    #[test]
    fn garbage_is_a_json_error() {
        let err = PartitionSpec::from_bytes(b"not json").unwrap_err();
        assert!(matches!(err, SpecError::Json(_)), "{err}");
    }
}
