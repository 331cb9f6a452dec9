//! Malformed `.csv` files: each error names the file and, for bad lines,
//! the absolute 1-based line and column, whichever byte range found it.

mod readers_support;

use std::path::Path;

use readers_support::write_file;
use rmesos_common::readers::{CsvFile, CsvOptions, HeaderMode, ReadError};

/// Reads all of `path` in `parts` ranges, returning the first error.
fn read_in_parts(path: &Path, parts: usize) -> Result<u64, ReadError> {
    let csv = CsvFile::open(path, CsvOptions::default())?;
    let mut rows = 0;
    for range in csv.split(parts) {
        rows += csv.summarize_range(range)?.count();
    }
    Ok(rows)
}

/// Asserts that reading `path` in `parts` ranges fails at `line`, `column`
/// with a message containing every one of `words`.
fn assert_line_error(path: &Path, parts: usize, line: u64, column: u64, words: &[&str]) {
    let err = read_in_parts(path, parts).expect_err("bad line accepted");
    let text = err.to_string();
    assert!(
        text.contains(&path.display().to_string()),
        "error does not name the file: {text}"
    );
    match err {
        ReadError::Csv {
            line: got_line,
            column: got_column,
            ..
        } => {
            assert_eq!((got_line, got_column), (line, column), "{text}");
        }
        other => panic!("expected a line error, got {other:?}"),
    }
    assert!(
        text.contains(&format!("line {line}, column {column}")),
        "{text}"
    );
    for word in words {
        assert!(text.contains(word), "error lacks {word:?}: {text}");
    }
}

/// Ten good lines after a header, with `bad` as line 8 and a blank line 4.
fn file_with_bad_line_8(bad: &str) -> String {
    let mut text = String::from("a,b,c\n");
    for i in 2..=11 {
        match i {
            4 => {}
            8 => text.push_str(bad),
            _ => text.push_str(&format!("{i},{},{}", i * 2, i * 3)),
        }
        text.push_str(if i % 2 == 0 { "\r\n" } else { "\n" });
    }
    text
}

#[test]
fn ragged_rows_say_expected_and_found_at_the_absolute_line() {
    let dir = tempfile::tempdir().unwrap();
    let short = write_file(
        dir.path(),
        "short.csv",
        file_with_bad_line_8("1,2").as_bytes(),
    );
    let long = write_file(
        dir.path(),
        "long.csv",
        file_with_bad_line_8("1,2,3,4").as_bytes(),
    );
    // However the file is cut, the error is reported at line 8.
    for parts in [1, 2, 3, 5, 9, 40] {
        assert_line_error(
            &short,
            parts,
            8,
            3,
            &["ragged row", "expected 3 fields, found 2"],
        );
        assert_line_error(
            &long,
            parts,
            8,
            4,
            &["ragged row", "expected 3 fields, found 4"],
        );
    }
}

#[test]
fn every_range_that_holds_the_bad_line_reports_it_at_its_absolute_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = file_with_bad_line_8("1,oops,3");
    let path = write_file(dir.path(), "bad.csv", text.as_bytes());
    let csv = CsvFile::open(&path, CsvOptions::default()).unwrap();
    let line_8_start = text.match_indices('\n').nth(6).unwrap().0 as u64 + 1;
    for start in 0..=line_8_start {
        let err = csv
            .summarize_range(start..line_8_start + 1)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 8, column 2") && err.contains("\"oops\""),
            "from {start}: {err}"
        );
    }
    // A range that ends before line 8 starts, or begins after, does not see it.
    assert_eq!(csv.summarize_range(0..line_8_start).unwrap().count(), 5);
    assert_eq!(
        csv.summarize_range(line_8_start + 1..csv.len_bytes())
            .unwrap()
            .count(),
        3
    );
}

#[test]
fn non_numeric_cells_are_quoted_and_cut_short() {
    let dir = tempfile::tempdir().unwrap();
    let words = write_file(
        dir.path(),
        "words.csv",
        file_with_bad_line_8("1,2,three").as_bytes(),
    );
    assert_line_error(&words, 1, 8, 3, &["not a number", "\"three\""]);
    let empty_cell = write_file(
        dir.path(),
        "emptycell.csv",
        file_with_bad_line_8(",2,3").as_bytes(),
    );
    assert_line_error(&empty_cell, 4, 8, 1, &["not a number", "\"\""]);
    let long_cell = format!("1,{},3", "z".repeat(500));
    let long = write_file(
        dir.path(),
        "long.csv",
        file_with_bad_line_8(&long_cell).as_bytes(),
    );
    let err = read_in_parts(&long, 1).unwrap_err().to_string();
    assert!(
        err.contains("line 8, column 2") && err.contains("zzz...\""),
        "{err}"
    );
    assert!(err.len() < 200, "the cell should be cut short: {err}");
    let last = write_file(dir.path(), "last.csv", b"1,2\n3,4\n5,x");
    assert_line_error(&last, 2, 3, 2, &["\"x\""]);
}

fn assert_file_error(path: &Path, options: CsvOptions, words: &[&str]) {
    let err = match CsvFile::open(path, options) {
        Ok(_) => panic!("{} opened, expected an error", path.display()),
        Err(e) => e,
    };
    let text = err.to_string();
    assert!(matches!(err, ReadError::CsvFile { .. }), "{err:?}");
    assert!(
        text.contains(&path.display().to_string()),
        "error does not name the file: {text}"
    );
    for word in words {
        assert!(text.contains(word), "error lacks {word:?}: {text}");
    }
}

#[test]
fn empty_blank_and_header_only_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let options = CsvOptions::default;
    assert_file_error(
        &write_file(dir.path(), "empty.csv", b""),
        options(),
        &["empty file"],
    );
    assert_file_error(
        &write_file(dir.path(), "blank.csv", b"\n  \r\n\n"),
        options(),
        &["empty file", "blank"],
    );
    assert_file_error(
        &write_file(dir.path(), "header.csv", b"a,b,c\n"),
        options(),
        &["only a header"],
    );
    assert_file_error(
        &write_file(dir.path(), "header2.csv", b"a,b,c\r\n\r\n  \n"),
        options(),
        &["only a header"],
    );
    let forced = CsvOptions {
        delimiter: b',',
        header: HeaderMode::Present,
    };
    assert_file_error(
        &write_file(dir.path(), "one.csv", b"1,2\n"),
        forced,
        &["only a header"],
    );
    let newline = CsvOptions {
        delimiter: b'\n',
        header: HeaderMode::Auto,
    };
    assert_file_error(
        &write_file(dir.path(), "ok.csv", b"1,2\n"),
        newline,
        &["delimiter"],
    );
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.csv");
    let err = CsvFile::open(&path, CsvOptions::default())
        .err()
        .expect("opened a missing file");
    assert!(matches!(err, ReadError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("absent.csv"), "{err}");
}
