//! No bytes from the network make a wire parser panic: arbitrary input and
//! mutated valid encodings of every message rmesos reads from outside
//! (RecordIO framing, MasterInfo as JSON and protobuf, the summary codec,
//! the partition spec, the lease grant and the driver's messages, the
//! failure report) give `Ok` or `Err`, never a panic, and valid ones
//! round-trip. `benches/fuzz.sh` runs these (and `readers_fuzz`) for
//! minutes with `RMESOS_FUZZ_CASES`.

mod fuzz_support;

use bytes::BytesMut;
use fuzz_support::{fuzz_config, mutate, mutations};
use proptest::prelude::*;
use rmesos_common::lease::{DriverMessage, LEASE_GRANT_VERSION, LeaseGrant};
use rmesos_common::partition::{PartitionSource, PartitionSpec};
use rmesos_common::stats::{ColumnSummary, StatsRequest};
use rmesos_common::task::{DataUrl, FailureKind, TaskFailure};
use rmesos_common::wire::master_info::{
    master_info_from_json, master_info_from_protobuf, master_info_to_json,
};
use rmesos_common::wire::recordio::{RecordIoDecoder, encode_record};
use rmesos_common::wire::v1::MasterInfo;

/// Feeds `bytes` to a decoder in chunks split at `cuts`; every record
/// must come out whole and in order when the framing is valid.
fn decode_in_chunks(bytes: &[u8], cuts: &[prop::sample::Index]) -> Result<Vec<Vec<u8>>, ()> {
    let mut decoder = RecordIoDecoder::with_max_record_size(1 << 16);
    let mut buffer = BytesMut::new();
    let mut records = Vec::new();
    let mut points: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
    points.push(bytes.len());
    points.sort_unstable();
    let mut start = 0;
    for end in points {
        buffer.extend_from_slice(&bytes[start..end]);
        start = end;
        while let Some(record) = decoder.decode_next(&mut buffer).map_err(|_| ())? {
            records.push(record.to_vec());
        }
    }
    if let Some(record) = decoder.decode_last(&mut buffer).map_err(|_| ())? {
        records.push(record.to_vec());
    }
    Ok(records)
}

fn framed(records: &[Vec<u8>]) -> Vec<u8> {
    let mut out = BytesMut::new();
    for record in records {
        encode_record(record, &mut out);
    }
    out.to_vec()
}

fn master_info() -> impl Strategy<Value = MasterInfo> {
    (
        any::<u32>(),
        any::<u16>(),
        "[a-z0-9.-]{0,20}",
        "[a-z0-9-]{0,12}",
    )
        .prop_map(|(ip, port, hostname, id)| MasterInfo {
            id,
            ip,
            port: u32::from(port),
            pid: Some(format!("master@{hostname}:{port}")),
            hostname: Some(hostname),
            ..MasterInfo::default()
        })
}

/// A summary, with or without the optional parts a job may ask for.
fn summary() -> impl Strategy<Value = ColumnSummary> {
    (
        1usize..5,
        // Enough values for sketches of error 1 (66 items a level) to compact.
        prop::collection::vec(-1e6f64..1e6, 0..400),
        request(),
    )
        .prop_map(|(ncols, values, request)| {
            let rows = values.len() / ncols * ncols;
            let mut summary = ColumnSummary::with_request(ncols, &request).unwrap();
            summary.add_rows(&values[..rows]).unwrap();
            summary
        })
}

fn request() -> impl Strategy<Value = StatsRequest> {
    (
        any::<bool>(),
        prop::option::of(prop::sample::select(vec![0.0, 0.05, 1.0])),
    )
        .prop_map(|(corr, quantile_error)| StatsRequest {
            corr,
            quantile_error,
        })
}

fn spec() -> impl Strategy<Value = PartitionSpec> {
    let source = prop_oneof![
        (0u64..1000, 0u64..1000).prop_map(|(a, b)| PartitionSource::NpyRows {
            path: "/data/x.npy".into(),
            rows: a.min(b)..a.max(b),
        }),
        (0u64..1000, 1usize..64).prop_map(|(n, ncols)| PartitionSource::Served {
            url: DataUrl::new("http://d:1/t/jobs/j/rows/0-5"),
            rows: 0..n,
            ncols,
        }),
    ];
    ("[a-z0-9-]{1,12}", any::<u32>(), source, request()).prop_map(
        |(job_id, partition_id, source, request)| PartitionSpec {
            job_id,
            partition_id,
            source,
            request,
        },
    )
}

fn grant() -> impl Strategy<Value = LeaseGrant> {
    let pin = prop::option::of("[0-9a-f]{64}");
    (1u32..64, 1u64..10_000, pin).prop_map(|(slots, heartbeat_ms, server_sha256)| LeaseGrant {
        version: LEASE_GRANT_VERSION,
        channel: DataUrl::new("https://d:1/t/executors/e-1"),
        slots,
        heartbeat_ms,
        server_sha256,
    })
}

proptest! {
    #![proptest_config(fuzz_config(2000))]

    #[test]
    fn recordio_never_panics_and_valid_framing_survives_any_chunking(
        records in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..50), 0..6),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        edits in mutations(),
    ) {
        let bytes = framed(&records);
        prop_assert_eq!(decode_in_chunks(&bytes, &cuts), Ok(records));
        let _ = decode_in_chunks(&mutate(bytes, edits), &cuts);
    }

    #[test]
    fn recordio_takes_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200), cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..4)) {
        let _ = decode_in_chunks(&bytes, &cuts);
    }

    #[test]
    fn master_info_parsers_never_panic(info in master_info(), json_edits in mutations(), proto_edits in mutations()) {
        let json = master_info_to_json(&info).unwrap();
        prop_assert_eq!(master_info_from_json(&json).unwrap().port, info.port);
        let _ = master_info_from_json(&mutate(json, json_edits));
        let proto = prost::Message::encode_to_vec(&info);
        prop_assert_eq!(master_info_from_protobuf(&proto).unwrap(), info);
        let _ = master_info_from_protobuf(&mutate(proto, proto_edits));
    }

    #[test]
    fn the_summary_codec_never_panics(summary in summary(), edits in mutations()) {
        let bytes = summary.to_bytes();
        let back = ColumnSummary::from_bytes(&bytes).unwrap();
        prop_assert_eq!(&back, &summary);
        if let Ok(decoded) = ColumnSummary::from_bytes(&mutate(bytes, edits)) {
            // Whatever decodes is a summary that can be used.
            let stats = decoded.finish();
            let _ = stats.correlation();
            let _ = stats.quantiles(&[0.0, 0.5, 1.0]);
            let mut merged = ColumnSummary::new(decoded.ncols());
            let _ = merged.merge(&decoded);
            let _ = merged.merge(&decoded.clone());
        }
    }

    #[test]
    fn task_descriptions_never_panic(spec in spec(), grant in grant(), edits in mutations(), more in mutations()) {
        let bytes = spec.to_bytes().unwrap();
        prop_assert_eq!(PartitionSpec::from_bytes(&bytes).unwrap(), spec.clone());
        let _ = PartitionSpec::from_bytes(&mutate(bytes, edits.clone()));
        let bytes = grant.to_bytes();
        prop_assert_eq!(LeaseGrant::from_bytes(&bytes).unwrap(), grant);
        let _ = LeaseGrant::from_bytes(&mutate(bytes, edits));
        let assign = DriverMessage::Assign { attempt: 3, spec }.to_bytes();
        let _ = DriverMessage::from_bytes(&mutate(assign, more.clone()));
        let failure = TaskFailure::new(FailureKind::BadInput, "x.csv line 2").to_bytes();
        let _ = TaskFailure::from_bytes(&mutate(failure, more));
    }
}
