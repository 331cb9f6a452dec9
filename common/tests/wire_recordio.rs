//! RecordIO framing: any chunking of an encoded stream decodes to the same
//! records, garbage is rejected with an error (never a panic), and the
//! decoder works as a `tokio_util` codec over a chunked byte stream.

use bytes::{Bytes, BytesMut};
use futures::{StreamExt, stream};
use proptest::prelude::*;
use rmesos_common::wire::recordio::{
    DEFAULT_MAX_RECORD_SIZE, RecordIoDecoder, RecordIoEncoder, RecordIoError, encode_record,
    encode_record_to_bytes,
};
use tokio_util::codec::{Encoder, FramedRead};
use tokio_util::io::StreamReader;

/// Feeds `chunks` one at a time, collecting every record, then signals EOF.
fn decode_chunks<'a>(
    decoder: &mut RecordIoDecoder,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Vec<Bytes>, RecordIoError> {
    let mut buffer = BytesMut::new();
    let mut records = Vec::new();
    for chunk in chunks {
        buffer.extend_from_slice(chunk);
        while let Some(record) = decoder.decode_next(&mut buffer)? {
            records.push(record);
        }
    }
    while let Some(record) = decoder.decode_last(&mut buffer)? {
        records.push(record);
    }
    Ok(records)
}

fn encode_all(records: &[Vec<u8>]) -> Vec<u8> {
    let mut out = BytesMut::new();
    for record in records {
        encode_record(record, &mut out);
    }
    out.to_vec()
}

/// Splits `data` at the given cut points (taken modulo the length).
fn split_at_cuts(data: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
    points.push(0);
    points.push(data.len());
    points.sort_unstable();
    points
        .windows(2)
        .map(|w| data[w[0]..w[1]].to_vec())
        .collect()
}

proptest! {
    #[test]
    fn any_chunking_decodes_to_the_same_records(
        records in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..20),
        cuts in prop::collection::vec(any::<usize>(), 0..40),
    ) {
        let encoded = encode_all(&records);
        let chunks = split_at_cuts(&encoded, &cuts);
        let decoded = decode_chunks(&mut RecordIoDecoder::new(), chunks.iter().map(Vec::as_slice))
            .unwrap();
        let decoded: Vec<Vec<u8>> = decoded.iter().map(|r| r.to_vec()).collect();
        prop_assert_eq!(decoded, records);
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        data in prop::collection::vec(any::<u8>(), 0..400),
        cuts in prop::collection::vec(any::<usize>(), 0..10),
        max in 0usize..200,
    ) {
        let chunks = split_at_cuts(&data, &cuts);
        let mut decoder = RecordIoDecoder::with_max_record_size(max);
        if let Ok(records) = decode_chunks(&mut decoder, chunks.iter().map(Vec::as_slice)) {
            // Whatever decoded must re-encode to exactly the input.
            let records: Vec<Vec<u8>> = records.iter().map(|r| r.to_vec()).collect();
            prop_assert_eq!(encode_all(&records), data);
        }
    }

    #[test]
    fn digit_headers_decode_or_fail_cleanly(digits in "[0-9]{1,25}", tail in prop::collection::vec(any::<u8>(), 0..80)) {
        const MAX: usize = 64;
        let mut buffer = BytesMut::from(format!("{digits}\n").as_bytes());
        buffer.extend_from_slice(&tail);
        let result = RecordIoDecoder::with_max_record_size(MAX).decode_next(&mut buffer);
        match digits.parse::<u128>() {
            Ok(size) if digits.len() <= 20 && size <= MAX as u128 => {
                let first = result.unwrap();
                if size <= tail.len() as u128 {
                    prop_assert_eq!(first.unwrap().to_vec(), tail[..size as usize].to_vec());
                } else {
                    prop_assert!(first.is_none());
                }
            }
            _ => prop_assert!(result.is_err()),
        }
    }
}

#[test]
fn many_records_in_one_chunk_and_one_record_over_many_chunks() {
    let records: Vec<Vec<u8>> = vec![
        b"{\"type\":\"HEARTBEAT\"}".to_vec(),
        vec![],
        vec![b'x'; 1000],
    ];
    let encoded = encode_all(&records);
    let whole = decode_chunks(&mut RecordIoDecoder::new(), [encoded.as_slice()]).unwrap();
    assert_eq!(whole, records);
    let byte_by_byte = decode_chunks(&mut RecordIoDecoder::new(), encoded.chunks(1)).unwrap();
    assert_eq!(byte_by_byte, records);
}

fn first_error(input: &[u8], max: usize) -> RecordIoError {
    decode_chunks(&mut RecordIoDecoder::with_max_record_size(max), [input])
        .expect_err("input must be rejected")
}

#[test]
fn garbage_is_rejected_with_a_specific_error() {
    assert!(matches!(
        first_error(b"12a\nabcdefghijkl", 100),
        RecordIoError::InvalidSizeByte {
            byte: b'a',
            offset: 2
        }
    ));
    assert!(matches!(
        first_error(b"5\r\nhello", 100),
        RecordIoError::InvalidSizeByte {
            byte: b'\r',
            offset: 1
        }
    ));
    assert!(matches!(
        first_error(b"\nabc", 100),
        RecordIoError::EmptySize
    ));
    assert!(matches!(
        first_error(b"-1\n", 100),
        RecordIoError::InvalidSizeByte { .. }
    ));
    // A header still growing past 20 digits is rejected before its LF arrives.
    assert!(matches!(
        first_error(&[b'1'; 21], 100),
        RecordIoError::SizeTooLong
    ));
    // One more than u64::MAX, computed rather than typed in.
    let too_big = format!("{}\n", u128::from(u64::MAX) + 1);
    assert!(matches!(
        first_error(too_big.as_bytes(), usize::MAX),
        RecordIoError::SizeOverflow { .. }
    ));
    assert!(matches!(
        first_error(b"101\n", 100),
        RecordIoError::RecordTooLarge {
            size: 101,
            max: 100
        }
    ));
    assert!(matches!(
        first_error(b"10\nabc", 100),
        RecordIoError::Truncated { buffered: 3 }
    ));
    assert!(matches!(
        first_error(b"10", 100),
        RecordIoError::Truncated { buffered: 2 }
    ));
}

#[test]
fn decoder_stays_failed_after_an_error() {
    let mut decoder = RecordIoDecoder::new();
    let mut buffer = BytesMut::from(&b"x\n"[..]);
    assert!(decoder.decode_next(&mut buffer).is_err());
    let mut good = BytesMut::from(&b"1\na"[..]);
    assert!(matches!(
        decoder.decode_next(&mut good),
        Err(RecordIoError::Failed)
    ));
}

#[test]
fn default_bound_is_sixteen_mebibytes() {
    assert_eq!(
        RecordIoDecoder::new().max_record_size(),
        DEFAULT_MAX_RECORD_SIZE
    );
    let header = format!("{}\n", 16 * 1024 * 1024 + 1);
    assert!(matches!(
        first_error(header.as_bytes(), DEFAULT_MAX_RECORD_SIZE),
        RecordIoError::RecordTooLarge { .. }
    ));
}

#[test]
fn encoder_writes_decimal_size_and_line_feed() {
    assert_eq!(&encode_record_to_bytes(b"hello")[..], b"5\nhello");
    let mut out = BytesMut::new();
    RecordIoEncoder
        .encode(Bytes::from_static(b""), &mut out)
        .unwrap();
    RecordIoEncoder.encode(&b"ab"[..], &mut out).unwrap();
    assert_eq!(&out[..], b"0\n2\nab");
}

#[tokio::test]
async fn framed_read_over_a_chunked_byte_stream() {
    let records: Vec<Vec<u8>> = (0..50).map(|i| vec![i as u8; i * 7]).collect();
    let encoded = encode_all(&records);
    let chunks: Vec<Result<Bytes, std::io::Error>> = encoded
        .chunks(13)
        .map(|chunk| Ok(Bytes::copy_from_slice(chunk)))
        .collect();
    let reader = StreamReader::new(stream::iter(chunks));
    let decoded: Vec<Vec<u8>> = FramedRead::new(reader, RecordIoDecoder::new())
        .map(|record| record.unwrap().to_vec())
        .collect()
        .await;
    assert_eq!(decoded, records);
}

#[tokio::test]
async fn framed_read_reports_a_cut_stream() {
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![Ok(Bytes::from_static(b"3\nab"))];
    let mut framed = FramedRead::new(
        StreamReader::new(stream::iter(chunks)),
        RecordIoDecoder::new(),
    );
    let result = framed.next().await.unwrap();
    assert!(matches!(
        result,
        Err(RecordIoError::Truncated { buffered: 2 })
    ));
}
