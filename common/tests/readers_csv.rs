//! `.csv` reading: byte-range splits at every offset give exactly the
//! whole file's rows, header detection, and agreement with numpy's
//! `loadtxt` on generated files.

mod readers_support;

use std::path::Path;

use readers_support::{assert_matches_numpy, assert_same_rows, json_f64, run_numpy, write_file};
use rmesos_common::readers::{CsvFile, CsvOptions, HeaderMode};
use rmesos_common::stats::ColumnSummary;

/// The summary of `rows`, the reference a reader must reproduce.
fn reference(rows: &[Vec<f64>]) -> ColumnSummary {
    let mut summary = ColumnSummary::new(rows[0].len());
    for row in rows {
        summary.add_rows(row).unwrap();
    }
    summary
}

fn rows_of(text: &[[f64; 3]]) -> Vec<Vec<f64>> {
    text.iter().map(|r| r.to_vec()).collect()
}

const ROWS: [[f64; 3]; 6] = [
    [1.5, -2.0, 300.0],
    [0.0, 4.25, -1e3],
    [7.0, 0.0, 2.5],
    [-3.5, 8.0, 0.0],
    [2.0, -6.5, 11.0],
    [9.0, 1.0, -4.0],
];

/// The same six rows laid out in ways that stress line alignment: CRLF,
/// padded cells, blank lines inside and at the end, a header, a byte order
/// mark, no final newline, a tab delimiter.
fn layouts() -> Vec<(&'static str, Vec<u8>, CsvOptions)> {
    let comma = CsvOptions::default();
    let tab = CsvOptions {
        delimiter: b'\t',
        header: HeaderMode::Auto,
    };
    vec![
        (
            "crlf_header_blank_lines",
            b"x, y ,z\r\n1.5, -2,300\r\n 0 ,4.25,-1e3\r\n\r\n7,0,2.5\r\n-3.5,8,0\r\n2,-6.5,11\r\n9,1,-4\r\n\r\n".to_vec(),
            comma.clone(),
        ),
        (
            "bom_no_header_no_final_newline",
            b"\xEF\xBB\xBF1.5,-2,300\n0,4.25,-1000\n7,0,2.5\n-3.5,8,0\n2,-6.5,11\n9,1,-4".to_vec(),
            comma.clone(),
        ),
        (
            "leading_blank_lines_tabs_quotes",
            b"\n  \na\tb\tc\n1.5\t-2\t\"300\"\n0\t4.25\t-1000\n7\t0\t2.5\n  \t \n-3.5\t8\t0\n2\t-6.5\t11\n9\t1\t-4\n".to_vec(),
            tab,
        ),
    ]
}

#[test]
fn every_two_way_split_reads_each_row_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let want = reference(&rows_of(&ROWS));
    for (name, bytes, options) in layouts() {
        let path = write_file(dir.path(), &format!("{name}.csv"), &bytes);
        let csv = CsvFile::open(&path, options).unwrap();
        assert_eq!(
            (csv.cols(), csv.len_bytes()),
            (3, bytes.len() as u64),
            "{name}"
        );
        let whole = csv.summarize_range(0..csv.len_bytes()).unwrap();
        assert_same_rows(&whole, &want, name);
        for k in 0..=csv.len_bytes() {
            let mut merged = csv.summarize_range(0..k).unwrap();
            merged
                .merge(&csv.summarize_range(k..csv.len_bytes()).unwrap())
                .unwrap();
            assert_same_rows(&merged, &want, &format!("{name} split at {k}"));
        }
    }
}

#[test]
fn every_three_way_split_reads_each_row_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let want = reference(&rows_of(&ROWS));
    for (name, bytes, options) in layouts() {
        let path = write_file(dir.path(), &format!("{name}.csv"), &bytes);
        let csv = CsvFile::open(&path, options).unwrap();
        let len = csv.len_bytes();
        for i in 0..=len {
            for j in i..=len {
                let mut merged = csv.summarize_range(0..i).unwrap();
                merged.merge(&csv.summarize_range(i..j).unwrap()).unwrap();
                merged.merge(&csv.summarize_range(j..len).unwrap()).unwrap();
                assert_same_rows(&merged, &want, &format!("{name} split at {i}, {j}"));
            }
        }
    }
}

#[test]
fn split_tiles_the_file_and_its_parts_sum_to_the_whole() {
    let dir = tempfile::tempdir().unwrap();
    let want = reference(&rows_of(&ROWS));
    for (name, bytes, options) in layouts() {
        let path = write_file(dir.path(), &format!("{name}.csv"), &bytes);
        let csv = CsvFile::open(&path, options).unwrap();
        for parts in [0, 1, 2, 3, 5, 8, 13, 200] {
            let ranges = csv.split(parts);
            assert_eq!(ranges.len(), parts.max(1), "{name} into {parts}");
            assert_eq!(ranges[0].start, 0);
            assert_eq!(ranges[ranges.len() - 1].end, csv.len_bytes());
            assert!(
                ranges.windows(2).all(|w| w[0].end == w[1].start),
                "{name}: {ranges:?}"
            );
            let mut merged = ColumnSummary::new(3);
            for range in ranges {
                merged.merge(&csv.summarize_range(range).unwrap()).unwrap();
            }
            assert_same_rows(&merged, &want, &format!("{name} in {parts} parts"));
        }
    }
}

fn count_rows(path: &Path, header: HeaderMode) -> (u64, Option<Vec<String>>) {
    let csv = CsvFile::open(
        path,
        CsvOptions {
            delimiter: b',',
            header,
        },
    )
    .unwrap();
    let summary = csv.summarize_range(0..csv.len_bytes()).unwrap();
    (summary.count(), csv.header().map(<[String]>::to_vec))
}

#[test]
fn header_is_detected_from_any_non_numeric_cell_or_forced() {
    let dir = tempfile::tempdir().unwrap();
    let named = write_file(dir.path(), "named.csv", b" a , b\n1,2\n3,4\n");
    let numeric = write_file(dir.path(), "numeric.csv", b"1,2\n3,4\n5,6\n");
    let mixed = write_file(dir.path(), "mixed.csv", b"1,x\n3,4\n");
    let special = write_file(dir.path(), "special.csv", b"nan,-INF\n3,4\n");
    let header = |names: &[&str]| Some(names.iter().map(|s| s.to_string()).collect());
    assert_eq!(
        count_rows(&named, HeaderMode::Auto),
        (2, header(&["a", "b"]))
    );
    assert_eq!(count_rows(&numeric, HeaderMode::Auto), (3, None));
    assert_eq!(
        count_rows(&mixed, HeaderMode::Auto),
        (1, header(&["1", "x"]))
    );
    // nan and inf are numbers, so this first line is data.
    assert_eq!(count_rows(&special, HeaderMode::Auto), (2, None));
    assert_eq!(
        count_rows(&numeric, HeaderMode::Present),
        (2, header(&["1", "2"]))
    );
    assert_eq!(
        count_rows(&named, HeaderMode::Present),
        (2, header(&["a", "b"]))
    );
    assert_eq!(count_rows(&numeric, HeaderMode::Absent), (3, None));
    let csv = CsvFile::open(
        &named,
        CsvOptions {
            delimiter: b',',
            header: HeaderMode::Absent,
        },
    )
    .unwrap();
    let err = csv
        .summarize_range(0..csv.len_bytes())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 1, column 1") && err.contains("\"a\""),
        "{err}"
    );
}

/// A generated file in the shapes people write (header, padded cells,
/// exponents, integers, CRLF), and numpy's statistics of `np.loadtxt` of it.
const WRITE_CSV: &str = r#"
out = sys.argv[1]
rng = np.random.default_rng(99)
a = rng.normal(50.0, 30.0, size=(2500, 4))
a[:, 2] = np.round(a[:, 2])
a[::7, 1] = 0.0
formats = ["{:.17g}", " {:.6e} ", "{:.0f}", "{!r}"]
with open(f"{out}/data.csv", "w", newline="") as f:
    f.write("alpha, beta ,gamma,delta\r\n")
    for row in a:
        f.write(",".join(fmt.format(float(v)) for fmt, v in zip(formats, row)) + "\r\n")
    f.write("\r\n")
b = np.loadtxt(f"{out}/data.csv", delimiter=",", skiprows=1, ndmin=2)
print(json.dumps({"whole": stats(b), "first_1000": stats(b[:1000])}))
"#;

#[test]
fn generated_csv_matches_numpy_loadtxt_whole_and_split() {
    let dir = tempfile::tempdir().unwrap();
    let expected = run_numpy(WRITE_CSV, &[dir.path().to_str().unwrap()]);
    let csv = CsvFile::open(&dir.path().join("data.csv"), CsvOptions::default()).unwrap();
    assert_eq!(csv.cols(), 4);
    assert_eq!(csv.header().unwrap(), ["alpha", "beta", "gamma", "delta"]);
    let whole = csv.summarize_range(0..csv.len_bytes()).unwrap();
    assert_matches_numpy(&whole, &expected["whole"], "whole file");
    for parts in [2, 7, 64] {
        let mut merged = ColumnSummary::new(4);
        for range in csv.split(parts) {
            merged.merge(&csv.summarize_range(range).unwrap()).unwrap();
        }
        assert_matches_numpy(&merged, &expected["whole"], &format!("{parts} parts"));
    }
    // Up to the start of the 1002nd line: the header and 1000 rows.
    let text = std::fs::read(dir.path().join("data.csv")).unwrap();
    let line_1002 = text
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(1000)
        .unwrap()
        .0 as u64
        + 1;
    let first = csv.summarize_range(0..line_1002).unwrap();
    assert_matches_numpy(&first, &expected["first_1000"], "first 1000 rows");
}

/// Non-finite spellings: numpy parses the file, and its values (as exact
/// repr strings) are the reference the reader's summary must equal.
const WRITE_NON_FINITE: &str = r#"
out = sys.argv[1]
text = "a,b,c\nnan,1,inf\n2,-inf,3\nNaN, Infinity ,-2.5\n4,5,-INF\n0,+inf,7\n"
with open(f"{out}/special.csv", "w") as f:
    f.write(text)
b = np.loadtxt(f"{out}/special.csv", delimiter=",", skiprows=1, ndmin=2)
print(json.dumps([[repr(float(v)) for v in row] for row in b]))
"#;

#[test]
fn nan_and_infinities_parse_as_numpy_parses_them() {
    let dir = tempfile::tempdir().unwrap();
    let parsed = run_numpy(WRITE_NON_FINITE, &[dir.path().to_str().unwrap()]);
    let rows: Vec<Vec<f64>> = parsed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_array().unwrap().iter().map(json_f64).collect())
        .collect();
    let want = reference(&rows).finish();
    let csv = CsvFile::open(&dir.path().join("special.csv"), CsvOptions::default()).unwrap();
    let got = csv.summarize_range(0..csv.len_bytes()).unwrap().finish();
    assert_eq!(got.count(), want.count());
    let same = |a: Vec<f64>, b: Vec<f64>| {
        a.len() == b.len()
            && a.iter()
                .zip(&b)
                .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
    };
    assert!(same(got.min().unwrap(), want.min().unwrap()));
    assert!(same(got.max().unwrap(), want.max().unwrap()));
    assert!(same(got.norm_l1().unwrap(), want.norm_l1().unwrap()));
    assert!(same(
        got.num_nonzeros().unwrap(),
        want.num_nonzeros().unwrap()
    ));
    assert!(same(got.mean().unwrap(), want.mean().unwrap()));
    assert!(rows.iter().any(|r| r[0].is_nan()) && rows.iter().any(|r| r[1] == f64::INFINITY));
}
