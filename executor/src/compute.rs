//! Computing one partition: the `PartitionSpec` of a driver's assignment
//! turned into its `ColumnSummary`, or into the `TaskFailure` the driver
//! is told.
//! Files are read on a blocking thread; served rows are streamed from the
//! driver's data server (`served`) through the same kind of thread, a
//! block at a time, so no partition is ever held in memory whole.

use rmesos_common::partition::{PartitionSource, PartitionSpec};
use rmesos_common::stats::ColumnSummary;
use rmesos_common::task::{FailureKind, TaskFailure};
use tokio::task::JoinError;
use tokio_util::sync::CancellationToken;

use crate::served::{self, DataClient, ServedPartition};

/// Summarizes the partition's rows. Cancelling `cancel` ends a served
/// stream early (the result is then meaningless and must be dropped).
pub async fn compute(
    spec: &PartitionSpec,
    data: &DataClient,
    cancel: CancellationToken,
) -> Result<ColumnSummary, TaskFailure> {
    match &spec.source {
        PartitionSource::Served { url, rows, ncols } => {
            // Checked before a summary of `ncols` columns is allocated.
            rmesos_common::limits::check_columns("the served task's ncols", *ncols as u128)
                .map_err(|detail| TaskFailure::new(FailureKind::BadInput, detail))?;
            let partition = ServedPartition {
                url,
                partition_id: spec.partition_id,
                rows: rows.end.saturating_sub(rows.start),
                ncols: *ncols,
                request: spec.request,
            };
            served::summarize(data, partition, cancel).await
        }
        source => {
            let (source, request) = (source.clone(), spec.request);
            let result = tokio::task::spawn_blocking(move || source.compute_for(&request)).await;
            match result {
                Ok(Ok(summary)) => Ok(summary),
                Ok(Err(error)) => Err(TaskFailure::from_read_error(&error)),
                Err(error) => Err(crashed(error)),
            }
        }
    }
}

/// A computation that panicked (a bug) or was cancelled with its runtime.
pub(crate) fn crashed(error: JoinError) -> TaskFailure {
    let detail = if error.is_panic() {
        let payload = error.into_panic();
        let text = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_owned());
        format!("computing the partition panicked: {text}")
    } else {
        "computing the partition was cancelled".to_owned()
    };
    TaskFailure::new(FailureKind::Internal, detail)
}

/// A short description of the partition for logs and messages (never the
/// data-server token).
pub fn describe(spec: &PartitionSpec) -> String {
    let what = match &spec.source {
        PartitionSource::NpyRows { path, rows } => {
            format!("{} rows {}..{}", path.display(), rows.start, rows.end)
        }
        PartitionSource::CsvBytes { path, bytes, .. } => {
            format!("{} bytes {}..{}", path.display(), bytes.start, bytes.end)
        }
        PartitionSource::ParquetRowGroups {
            path, row_groups, ..
        } => {
            let (start, end) = (row_groups.start, row_groups.end);
            format!("{} row groups {start}..{end}", path.display())
        }
        PartitionSource::Served { url, rows, ncols } => {
            format!("{url} rows {}..{} x {ncols}", rows.start, rows.end)
        }
    };
    format!(
        "job {} partition {}: {what}",
        spec.job_id, spec.partition_id
    )
}

#[cfg(test)]
mod tests {
    use rmesos_common::task::DataUrl;

    use super::*;

    #[tokio::test]
    async fn a_panic_while_computing_is_internal() {
        let error = tokio::task::spawn_blocking(|| panic!("boom"))
            .await
            .unwrap_err();
        let failure = crashed(error);
        assert_eq!(failure.kind, FailureKind::Internal);
        assert!(
            failure.message.contains("panicked: boom"),
            "{}",
            failure.message
        );
    }

    #[tokio::test]
    async fn a_served_task_with_absurd_ncols_is_bad_input_before_any_request() {
        let spec = PartitionSpec {
            job_id: "j".into(),
            partition_id: 1,
            // Nothing listens here: the request must never be made.
            source: PartitionSource::Served {
                url: DataUrl::new("http://127.0.0.1:9/t/p/1"),
                rows: 0..1,
                ncols: 1 << 40,
            },
            request: Default::default(),
        };
        let client = DataClient::new(reqwest::Client::new(), std::time::Duration::from_secs(1));
        let failure = compute(&spec, &client, CancellationToken::new())
            .await
            .unwrap_err();
        assert_eq!(failure.kind, FailureKind::BadInput, "{}", failure.message);
        assert!(failure.message.contains("ncols"), "{}", failure.message);
        assert!(
            failure
                .message
                .contains(rmesos_common::limits::MAX_COLUMNS_ENV),
            "{}",
            failure.message
        );
    }

    #[test]
    fn descriptions_hide_the_token() {
        let spec = PartitionSpec {
            job_id: "j".into(),
            partition_id: 4,
            source: PartitionSource::Served {
                url: DataUrl::new("http://h:1/s3cr3t/p/4"),
                rows: 0..10,
                ncols: 2,
            },
            request: Default::default(),
        };
        let text = describe(&spec);
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(text.contains("partition 4"), "{text}");
    }
}
