//! Hostile sizes: a small file whose header or first line claims a huge
//! table is refused with an error naming the file, the field and the
//! limit, before anything is sized by the claim.

mod readers_support;

use std::path::Path;

use readers_support::{npy_bytes, write_file};
use rmesos_common::limits::{MAX_COLUMNS_ENV, max_csv_line_bytes};
use rmesos_common::readers::{CsvFile, CsvOptions, NpyFile, ReadError};

fn npy_with_shape(dir: &Path, name: &str, shape: &str) -> std::path::PathBuf {
    let dict = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}");
    write_file(dir, name, &npy_bytes((1, 0), &dict, &[]))
}

fn npy_error(path: &Path) -> (String, String) {
    match NpyFile::open(path) {
        Ok(_) => panic!("{} opened", path.display()),
        Err(ReadError::Npy { field, .. }) => {
            let text = NpyFile::open(path).err().map(|e| e.to_string());
            (field, text.unwrap_or_default())
        }
        Err(other) => panic!("expected an .npy error, got {other:?}"),
    }
}

#[test]
fn npy_shapes_with_too_many_columns_are_refused_by_the_column_limit() {
    let dir = tempfile::tempdir().unwrap();
    for (name, shape, cols) in [
        ("wide_empty.npy", "(0, 1000000000000)", "1000000000000"),
        ("square.npy", "(10000000, 10000000)", "10000000"),
        ("just_over.npy", "(0, 1000001)", "1000001"),
        (
            "huge.npy",
            "(0, 18446744073709551615)",
            "18446744073709551615",
        ),
    ] {
        let path = npy_with_shape(dir.path(), name, shape);
        let (field, text) = npy_error(&path);
        assert_eq!(field, "shape", "{text}");
        assert!(text.contains(name), "{text}");
        assert!(text.contains(cols), "{text}");
        assert!(text.contains("1000000 columns"), "{text}");
        assert!(text.contains(MAX_COLUMNS_ENV), "{text}");
    }
}

#[test]
fn npy_shapes_within_the_column_limit_still_need_their_data() {
    let dir = tempfile::tempdir().unwrap();
    // Many rows, no data: the size check refuses it without allocating.
    let path = npy_with_shape(dir.path(), "tall.npy", "(1000000000000, 3)");
    let (field, text) = npy_error(&path);
    assert_eq!(field, "data", "{text}");
    let path = npy_with_shape(dir.path(), "overflow.npy", "(18446744073709551615, 1000)");
    let (field, text) = npy_error(&path);
    assert_eq!(field, "shape", "{text}");
    // At the limit with no rows: opens, and summarizes to an empty summary.
    let path = npy_with_shape(dir.path(), "at_limit.npy", "(0, 1000000)");
    let npy = NpyFile::open(&path).unwrap();
    let summary = npy.summarize_rows(0..10).unwrap();
    assert_eq!((summary.count(), summary.ncols()), (0, 1_000_000));
}

fn csv_error(path: &Path) -> String {
    match CsvFile::open(path, CsvOptions::default()) {
        Ok(_) => panic!("{} opened", path.display()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_csv_first_line_of_millions_of_commas_is_refused_by_the_column_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut line = vec![b','; 3_000_000];
    line.extend_from_slice(b"\n1\n");
    let path = write_file(dir.path(), "commas.csv", &line);
    let text = csv_error(&path);
    assert!(text.contains("commas.csv"), "{text}");
    assert!(text.contains("3000001 columns"), "{text}");
    assert!(text.contains(MAX_COLUMNS_ENV), "{text}");
}

#[test]
fn a_csv_line_past_the_line_limit_is_refused_first_or_later() {
    let dir = tempfile::tempdir().unwrap();
    let cap = max_csv_line_bytes();
    let mut first = vec![b'7'; cap + 1];
    first.extend_from_slice(b"\n");
    let path = write_file(dir.path(), "long_first.csv", &first);
    let text = csv_error(&path);
    assert!(text.contains("long_first.csv"), "{text}");
    assert!(text.contains(&format!("longer than {cap} bytes")), "{text}");
    assert!(text.contains(MAX_COLUMNS_ENV), "{text}");

    let mut later = b"1,2\n3,4\n".to_vec();
    later.extend(std::iter::repeat_n(b'5', cap + 1));
    later.extend_from_slice(b"\n6,7\n");
    let path = write_file(dir.path(), "long_later.csv", &later);
    let csv = CsvFile::open(&path, CsvOptions::default()).unwrap();
    let text = csv
        .summarize_range(0..csv.len_bytes())
        .err()
        .map(|e| e.to_string())
        .expect("a long data line is refused");
    assert!(text.contains("long_later.csv"), "{text}");
    assert!(text.contains(&format!("longer than {cap} bytes")), "{text}");
    // A line of exactly the cap is not refused for its length.
    let mut exact = b"1\n".to_vec();
    exact.extend(std::iter::repeat_n(b'5', cap));
    exact.extend_from_slice(b"\n");
    let path = write_file(dir.path(), "exact.csv", &exact);
    let csv = CsvFile::open(&path, CsvOptions::default()).unwrap();
    let summary = csv.summarize_range(0..csv.len_bytes()).unwrap();
    assert_eq!(summary.count(), 2);
}
