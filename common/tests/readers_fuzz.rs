//! No input makes a reader panic: arbitrary bytes, mutated valid `.npy`
//! files and CSV-like text are opened and summarized, and every call must
//! return `Ok` or `Err`. For CSV the split property is checked as well: a
//! file that reads cleanly as a whole reads cleanly in any two parts with
//! the same row count, and a file that fails fails in one of the parts.
//! Parquet files written by the parquet crate's own writer (several
//! types, nulls, dictionaries, codecs), mutated, must never panic the
//! Parquet reader either, and valid ones read the same column by column
//! as row by row.
//! `benches/fuzz.sh` runs them for minutes (`RMESOS_FUZZ_CASES`).

mod fuzz_support;
mod readers_support;

use fuzz_support::fuzz_config;
use proptest::prelude::*;
use readers_support::{assert_same_rows, npy_bytes};
use rmesos_common::readers::{CsvFile, CsvOptions, HeaderMode, NpyFile, ParquetFile};
use rmesos_common::stats::StatsRequest;

fn write_temp(bytes: &[u8]) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), bytes).unwrap();
    file
}

/// Opens and summarizes `bytes` as `.npy`; only panics are failures.
fn exercise_npy(bytes: &[u8], rows: std::ops::Range<u64>) {
    let file = write_temp(bytes);
    if let Ok(npy) = NpyFile::open(file.path()) {
        if let Ok(all) = npy.summarize_rows(0..u64::MAX) {
            assert_eq!(all.count(), npy.rows());
        }
        let _ = npy.summarize_rows(rows);
    }
}

/// A valid `.npy` image of some supported dtype and shape.
fn valid_npy() -> impl Strategy<Value = Vec<u8>> {
    let descrs = prop::sample::select(vec![
        "<f8", ">f4", "<f2", "|i1", ">i8", "<u4", "|b1", "=u2", "<i2",
    ]);
    (
        1u8..=3,
        descrs,
        any::<bool>(),
        0u64..6,
        prop::option::of(1u64..4),
    )
        .prop_map(|(major, descr, fortran, rows, cols)| {
            let shape = match cols {
                Some(cols) => format!("({rows}, {cols})"),
                None => format!("({rows},)"),
            };
            let dict = format!(
                "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
                if fortran { "True" } else { "False" }
            );
            let size: u64 = descr[2..].parse().unwrap();
            let data: Vec<u8> = (0..rows * cols.unwrap_or(1) * size)
                .map(|i| (i * 37 % 251) as u8)
                .collect();
            npy_bytes((major, 0), &dict, &data)
        })
}

fn exercise_csv(bytes: &[u8], options: CsvOptions, cut: u64) {
    let file = write_temp(bytes);
    let Ok(csv) = CsvFile::open(file.path(), options) else {
        return;
    };
    let len = csv.len_bytes();
    let cut = cut % (len + 1);
    let whole = csv.summarize_range(0..len);
    let first = csv.summarize_range(0..cut);
    let second = csv.summarize_range(cut..len);
    match (whole, first, second) {
        (Ok(whole), Ok(first), Ok(second)) => {
            assert_eq!(whole.count(), first.count() + second.count())
        }
        (Ok(_), first, second) => panic!("whole file reads but a part fails: {first:?} {second:?}"),
        (Err(_), Ok(_), Ok(_)) => panic!("whole file fails but both parts read"),
        (Err(_), _, _) => {}
    }
}

fn csv_options() -> impl Strategy<Value = CsvOptions> {
    let delimiters = prop::sample::select(vec![b',', b';', b'\t', b' ']);
    let headers = prop::sample::select(vec![
        HeaderMode::Auto,
        HeaderMode::Present,
        HeaderMode::Absent,
    ]);
    (delimiters, headers).prop_map(|(delimiter, header)| CsvOptions { delimiter, header })
}

/// Text built from the bytes CSV numbers, delimiters and line ends use.
fn csv_like_bytes() -> impl Strategy<Value = Vec<u8>> {
    let alphabet: Vec<u8> = b"0123456789.,,,;-+eE nNaAiIfF\t\r\n\n\n\"x\xEF\xBB\xBF".to_vec();
    prop::collection::vec(prop::sample::select(alphabet), 0..200)
}

/// One cell: usually a number in one of its spellings, rarely not.
fn cell() -> impl Strategy<Value = String> {
    let numbers = prop::sample::select(vec![
        "0", "1.5", "-2", "3e2", " 4 ", "nan", "-inf", "\"5\"", "1e-3", "+7.",
    ]);
    let junk = prop::sample::select(vec!["", "x", "1..2", "\"", "e", " "]);
    prop_oneof![80 => numbers, 1 => junk].prop_map(str::to_string)
}

/// A row of `cols` cells, rarely one more or one fewer, and its line end.
fn row(cols: usize) -> impl Strategy<Value = (Vec<String>, &'static str)> {
    let width = prop_oneof![40 => Just(cols), 1 => Just(cols - 1), 1 => Just(cols + 1)];
    let end = prop::sample::select(vec!["\n", "\r\n", "\n\n", "\n  \n"]);
    (
        width.prop_flat_map(|w| prop::collection::vec(cell(), w)),
        end,
    )
}

/// Mostly well-formed CSV text: an optional header, rows of cells that are
/// occasionally ragged or not numbers, LF or CRLF, stray blank lines.
fn csv_like_text(delimiter: u8) -> impl Strategy<Value = Vec<u8>> {
    let rows = (2usize..=3).prop_flat_map(|cols| prop::collection::vec(row(cols), 0..10));
    (any::<bool>(), rows, any::<bool>()).prop_map(move |(header, rows, final_end)| {
        let separator = char::from(delimiter).to_string();
        let mut text = if header {
            format!("a{separator}b{separator}c\n")
        } else {
            String::new()
        };
        let count = rows.len();
        for (i, (cells, end)) in rows.into_iter().enumerate() {
            text.push_str(&cells.join(&separator));
            if i + 1 < count || final_end {
                text.push_str(end);
            }
        }
        text.into_bytes()
    })
}

/// A small valid Parquet file: a double, a nullable int32, a boolean, a
/// nullable uint64 and a text column, in `groups` row groups of `rows`.
fn parquet_bytes(groups: usize, rows: usize, codec: u8, dictionary: bool) -> Vec<u8> {
    use parquet::basic::Compression;
    use parquet::column::writer::ColumnWriter;
    use parquet::data_type::ByteArray;
    use parquet::file::properties::{WriterProperties, WriterVersion};
    use parquet::file::writer::SerializedFileWriter;
    use std::sync::Arc;

    let schema = parquet::schema::parser::parse_message_type(
        "message t { required double a; optional int32 b; required boolean c; \
         optional int64 d (INTEGER(64,false)); optional binary e (UTF8); }",
    )
    .unwrap();
    let compression = match codec % 4 {
        0 => Compression::UNCOMPRESSED,
        1 => Compression::SNAPPY,
        2 => Compression::ZSTD(Default::default()),
        _ => Compression::LZ4_RAW,
    };
    let props = WriterProperties::builder()
        .set_compression(compression)
        .set_dictionary_enabled(dictionary)
        .set_data_page_row_count_limit(7)
        .set_writer_version(if codec.is_multiple_of(2) {
            WriterVersion::PARQUET_1_0
        } else {
            WriterVersion::PARQUET_2_0
        })
        .build();
    let mut writer =
        SerializedFileWriter::new(Vec::new(), Arc::new(schema), Arc::new(props)).unwrap();
    for group in 0..groups {
        let mut row_group = writer.next_row_group().unwrap();
        let defs: Vec<i16> = (0..rows).map(|i| i16::from((i + group) % 3 != 0)).collect();
        let present = defs.iter().filter(|&&d| d == 1).count();
        while let Some(mut column) = row_group.next_column().unwrap() {
            match column.untyped() {
                ColumnWriter::DoubleColumnWriter(w) => {
                    let values: Vec<f64> = (0..rows).map(|i| (i % 5) as f64 * 1.5).collect();
                    w.write_batch(&values, None, None).unwrap();
                }
                ColumnWriter::Int32ColumnWriter(w) => {
                    let values: Vec<i32> = (0..present as i32).map(|i| i % 4 - 2).collect();
                    w.write_batch(&values, Some(&defs), None).unwrap();
                }
                ColumnWriter::BoolColumnWriter(w) => {
                    let values: Vec<bool> = (0..rows).map(|i| i % 2 == 0).collect();
                    w.write_batch(&values, None, None).unwrap();
                }
                ColumnWriter::Int64ColumnWriter(w) => {
                    let values: Vec<i64> = (0..present as i64).map(|i| -i).collect();
                    w.write_batch(&values, Some(&defs), None).unwrap();
                }
                ColumnWriter::ByteArrayColumnWriter(w) => {
                    let values: Vec<ByteArray> = (0..present)
                        .map(|i| ByteArray::from(format!("v{i}").as_str()))
                        .collect();
                    w.write_batch(&values, Some(&defs), None).unwrap();
                }
                _ => unreachable!("the schema has no other types"),
            }
            column.close().unwrap();
        }
        row_group.close().unwrap();
    }
    writer.into_inner().unwrap()
}

/// Opens and summarizes `bytes` as Parquet (all numeric columns, then a
/// selection); only panics are failures.
fn exercise_parquet(bytes: &[u8]) {
    let file = write_temp(bytes);
    if let Ok(parquet) = ParquetFile::open(file.path(), None) {
        let groups = parquet.row_group_rows().len();
        if let Ok(all) = parquet.summarize_row_groups(0..groups) {
            assert_eq!(all.count(), parquet.rows());
        }
        let _ = parquet.summarize_row_groups(groups / 2..groups);
    }
    let chosen = ["d".to_owned(), "a".to_owned()];
    if let Ok(parquet) = ParquetFile::open(file.path(), Some(&chosen)) {
        let _ = parquet.summarize_row_groups(0..parquet.row_group_rows().len());
    }
}

proptest! {
    #![proptest_config(fuzz_config(512))]

    #[test]
    fn arbitrary_bytes_never_panic_the_npy_reader(bytes in prop::collection::vec(any::<u8>(), 0..400), a in any::<u64>(), b in any::<u64>()) {
        exercise_npy(&bytes, a..b);
    }

    #[test]
    fn arbitrary_bytes_after_a_valid_magic_never_panic_the_npy_reader(
        version in 0u8..5, tail in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut bytes = b"\x93NUMPY".to_vec();
        bytes.extend_from_slice(&[version, 0]);
        bytes.extend_from_slice(&tail);
        exercise_npy(&bytes, 0..3);
    }

    #[test]
    fn mutated_valid_npy_files_never_panic_the_reader(
        base in valid_npy(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        cut in prop::option::of(any::<prop::sample::Index>()),
        a in 0u64..8, b in 0u64..8,
    ) {
        let mut bytes = base;
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        exercise_npy(&bytes, a..b);
    }

    #[test]
    fn valid_npy_files_read_every_row(base in valid_npy()) {
        let file = write_temp(&base);
        let npy = NpyFile::open(file.path()).unwrap();
        prop_assert_eq!(npy.summarize_rows(0..u64::MAX).unwrap().count(), npy.rows());
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_csv_reader(bytes in prop::collection::vec(any::<u8>(), 0..300), options in csv_options(), cut in any::<u64>()) {
        exercise_csv(&bytes, options, cut);
    }

    #[test]
    fn csv_like_bytes_split_consistently(bytes in csv_like_bytes(), options in csv_options(), cut in any::<u64>()) {
        exercise_csv(&bytes, options, cut);
    }

    #[test]
    fn mostly_valid_csv_splits_consistently(
        (options, text) in csv_options().prop_flat_map(|o| (Just(o.clone()), csv_like_text(o.delimiter))),
        cut in any::<u64>(),
    ) {
        exercise_csv(&text, options, cut);
    }

    #[test]
    fn valid_parquet_files_read_every_row(groups in 0usize..4, rows in 0usize..40, codec in any::<u8>(), dictionary in any::<bool>()) {
        let bytes = parquet_bytes(groups, rows, codec, dictionary);
        let file = write_temp(&bytes);
        let parquet = ParquetFile::open(file.path(), None).unwrap();
        prop_assert_eq!(parquet.column_names(), ["a", "b", "c", "d"]);
        let summary = parquet.summarize_row_groups(0..groups).unwrap();
        prop_assert_eq!(summary.count(), (groups * rows) as u64);
    }

    #[test]
    fn valid_parquet_files_read_the_same_by_columns_and_by_rows(groups in 1usize..4, rows in 1usize..40, codec in any::<u8>(), dictionary in any::<bool>()) {
        let bytes = parquet_bytes(groups, rows, codec, dictionary);
        let file = write_temp(&bytes);
        let parquet = ParquetFile::open(file.path(), None).unwrap();
        let by_columns = parquet.summarize_row_groups(0..groups).unwrap();
        let rows_wise = StatsRequest { corr: true, quantile_error: None };
        let by_rows = parquet.summarize_row_groups_for(0..groups, &rows_wise).unwrap();
        assert_same_rows(&by_columns, &by_rows, "crate-written file");
    }

    #[test]
    fn mutated_valid_parquet_files_never_panic_the_reader(
        groups in 1usize..4,
        rows in 1usize..40,
        codec in any::<u8>(),
        dictionary in any::<bool>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in prop::option::of(any::<prop::sample::Index>()),
    ) {
        let mut bytes = parquet_bytes(groups, rows, codec, dictionary);
        for (at, value) in edits {
            let at = at.index(bytes.len());
            bytes[at] = value;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut.index(bytes.len()));
        }
        exercise_parquet(&bytes);
    }
}
