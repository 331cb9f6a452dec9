//! `rmesos-submit` (the built binary, run as a subprocess) on real files:
//! `.npy` and `.csv` inputs written by numpy, whose statistics numpy also
//! computes; the JSON output must match to 1e-9 relative, the table must
//! show the same numbers, malformed input must exit 2 naming file and line.
//! These need the `.npy`/`.csv` readers.

mod cli_support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use tempfile::TempDir;

use cli_support::{
    assert_bad_input, assert_vector_close, close, python_json, s, submit, submit_json,
};

/// Writes test inputs with numpy and prints numpy's statistics as JSON.
const NUMPY_HELPER: &str = r#"

def table(seed, rows, cols):
    # Well-conditioned columns: means well away from zero, some exact zeros.
    rng = np.random.default_rng(seed)
    loc = rng.choice([-1.0, 1.0], size=cols) * rng.uniform(10, 100, size=cols)
    scale = rng.uniform(0.1, 5, size=cols)
    x = rng.normal(loc, scale, size=(rows, cols))
    x[rng.random((rows, cols)) < 0.15] = 0.0
    return x

kind, path = sys.argv[1], sys.argv[2]
if kind == "npy":
    seed, rows, cols, dtype = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    x = table(seed, rows, cols)
    if np.dtype(dtype).kind in "iu":
        x = np.rint(x)
    x = x.astype(dtype)
    np.save(path, x[:, 0] if cols == 1 else x)
    x = np.load(path)
elif kind == "csv":
    seed, rows, cols, delimiter = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    header = sys.argv[7] == "header"
    names = delimiter.join(f"col{j}" for j in range(cols)) if header else ""
    np.savetxt(path, table(seed, rows, cols), fmt="%.17g", delimiter=delimiter,
               header=names, comments="")
    x = np.loadtxt(path, delimiter=delimiter, ndmin=2, skiprows=1 if header else 0)
elif kind == "nan":
    x = table(5, 50, 3)
    x[7, 0] = np.nan
    x[:, 1] = np.nan
    np.save(path, x)
elif kind == "empty":
    x = np.zeros((0, 3))
    np.save(path, x)
elif kind == "load_csv":
    x = np.loadtxt(path, delimiter=",", ndmin=2)
elif kind == "ranks":
    # For each quantile in the CLI's JSON output (argv[3], parsed here so
    # that every digit counts), the count of values below it and at most
    # it, per column.
    x = np.load(path)
    values = json.loads(sys.argv[3])["quantiles"]["values"]
    print(json.dumps([[[int((x[:, j] < v).sum()), int((x[:, j] <= v).sum())]
                       for j, v in enumerate(row)] for row in values]))
    sys.exit(0)
elif kind == "corr":
    x = np.load(path)
    print(json.dumps({"corr": [encode(row) for row in np.corrcoef(x, rowvar=False)]}))
    sys.exit(0)
else:
    sys.exit(f"unknown kind {kind}")
print(json.dumps(stats(x)))
"#;

/// Runs the numpy helper; returns numpy's statistics of the file it wrote.
fn numpy(args: &[&str]) -> Value {
    python_json(NUMPY_HELPER, args, "numpy helper")
}

const STATISTICS: [&str; 7] = [
    "mean",
    "variance",
    "num_nonzeros",
    "min",
    "max",
    "norm_l1",
    "norm_l2",
];

/// Asserts `actual` has exactly numpy's keys and values: non-finite
/// strings equal, numbers within 1e-9 relative.
fn assert_matches_numpy(actual: &Value, expected: &Value, context: &str) {
    let (Some(actual_map), Some(expected_map)) = (actual.as_object(), expected.as_object()) else {
        panic!("{context}: not JSON objects: {actual} / {expected}");
    };
    let keys = |m: &serde_json::Map<String, Value>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(actual_map), keys(expected_map), "{context}: keys");
    assert_eq!(actual["count"], expected["count"], "{context}: count");
    for name in STATISTICS
        .iter()
        .filter(|name| expected_map.contains_key(**name))
    {
        let (got, want) = (&actual[*name], &expected[*name]);
        let (Some(got), Some(want)) = (got.as_array(), want.as_array()) else {
            panic!("{context}: {name} is not an array: {got}");
        };
        assert_vector_close(got, want, context, name);
    }
}

struct Dir(TempDir);

impl Dir {
    fn new() -> Dir {
        Dir(tempfile::tempdir().unwrap())
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }
}

#[test]
fn npy_float64_matches_numpy_on_every_local_master_and_partitioning() {
    let dir = Dir::new();
    let path = dir.path("table.npy");
    let expected = numpy(&["npy", s(&path), "1", "2000", "5", "float64"]);
    for (master, partitions) in [
        ("local", None),
        ("local[2]", Some("3")),
        ("local[*]", Some("7")),
        ("local[3]", Some("5000")),
        ("local[*]", None),
    ] {
        let mut args = vec!["--master", master];
        if let Some(p) = partitions {
            args.extend(["--partitions", p]);
        }
        args.push(s(&path));
        let actual = submit_json(&args);
        assert_matches_numpy(&actual, &expected, &format!("{args:?}"));
    }
}

#[test]
fn npy_other_dtypes_and_one_dimensional_arrays() {
    let dir = Dir::new();
    for (name, cols, dtype) in [
        ("ints.npy", "3", "int32"),
        ("floats32.npy", "4", "float32"),
        ("vector.npy", "1", "float64"),
    ] {
        let path = dir.path(name);
        let expected = numpy(&["npy", s(&path), "2", "301", cols, dtype]);
        let actual = submit_json(&["--partitions", "4", s(&path)]);
        assert_matches_numpy(&actual, &expected, name);
    }
}

#[test]
fn csv_matches_numpy_with_and_without_header_and_other_delimiters() {
    let dir = Dir::new();
    let cases: [(&str, &str, bool, &[&str]); 5] = [
        ("plain.csv", ",", false, &[]),
        ("header.csv", ",", true, &[]),
        ("header_yes.csv", ",", true, &["--header", "yes"]),
        ("semicolon.csv", ";", false, &["--delimiter", ";"]),
        ("tabs.csv", "\t", true, &["--delimiter", "tab"]),
    ];
    for (name, delimiter, header, options) in cases {
        let path = dir.path(name);
        let header_arg = if header { "header" } else { "none" };
        let expected = numpy(&["csv", s(&path), "3", "1500", "4", delimiter, header_arg]);
        for partitions in ["1", "6"] {
            let mut args = options.to_vec();
            args.extend(["--partitions", partitions, "--master", "local[3]", s(&path)]);
            let actual = submit_json(&args);
            assert_matches_numpy(&actual, &expected, &format!("{name} {args:?}"));
        }
    }
}

#[test]
fn seed_example_matches_numpy() {
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/seed.csv");
    let expected = numpy(&["load_csv", s(&seed)]);
    assert_eq!(expected["count"], 3);
    for master in ["local", "local[2]"] {
        let actual = submit_json(&["--master", master, "--partitions", "2", s(&seed)]);
        assert_matches_numpy(&actual, &expected, master);
    }
}

#[test]
fn nan_makes_sums_nan_while_min_and_max_skip_it() {
    let dir = Dir::new();
    let path = dir.path("nan.npy");
    let expected = numpy(&["nan", s(&path)]);
    let actual = submit_json(&["--partitions", "3", s(&path)]);
    assert_matches_numpy(&actual, &expected, "nan.npy");
    assert_eq!(actual["mean"][0], "NaN");
    assert_eq!(actual["min"][1], "NaN");
    assert!(actual["min"][0].is_f64());
}

#[test]
fn table_shows_each_columns_statistics() {
    let dir = Dir::new();
    let path = dir.path("table.npy");
    let expected = numpy(&["npy", s(&path), "4", "500", "3", "float64"]);
    let output = submit(&["--partitions", "4", s(&path)]);
    assert_eq!(output.status.code(), Some(0));
    let table = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0], format!("count: {}", expected["count"]), "{table}");
    let header: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(header[0], "column");
    assert_eq!(header[1..], STATISTICS, "{table}");
    assert_eq!(lines.len(), 2 + 3, "{table}");
    for (j, line) in lines[2..].iter().enumerate() {
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cells[0], j.to_string(), "{table}");
        for (name, cell) in STATISTICS.iter().zip(&cells[1..]) {
            let shown: f64 = cell.parse().unwrap_or_else(|_| panic!("{cell} in {table}"));
            let want = expected[*name][j].as_f64().unwrap();
            // The table shows 10 significant digits.
            assert!(
                close(shown, want, 1e-9),
                "{name}[{j}]: {shown} vs {want}\n{table}"
            );
        }
    }
}

#[test]
fn empty_input_prints_count_zero_and_says_so() {
    let dir = Dir::new();
    let npy = dir.path("empty.npy");
    assert_eq!(numpy(&["empty", s(&npy)]), serde_json::json!({"count": 0}));
    assert_eq!(submit_json(&[s(&npy)]), serde_json::json!({"count": 0}));
    let output = submit(&["--format=table", s(&npy)]);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("count: 0\n"));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("empty") && err.contains("undefined"), "{err}");
}

#[test]
fn corr_matches_numpy_in_json_and_shows_in_the_table() {
    let dir = Dir::new();
    let path = dir.path("corr.npy");
    let expected = numpy(&["npy", s(&path), "6", "3000", "4", "float64"]);
    let want = numpy(&["corr", s(&path)]);
    for args in [
        &["--master", "local"][..],
        &["--master", "local[2]", "--partitions", "7"],
    ] {
        let mut all = vec!["--corr"];
        all.extend_from_slice(args);
        all.push(s(&path));
        let actual = submit_json(&all);
        assert_eq!(actual["count"], expected["count"], "{args:?}");
        for i in 0..4 {
            for j in 0..4 {
                let got = actual["corr"][i][j].as_f64().unwrap();
                let w = want["corr"][i][j].as_f64().unwrap();
                assert!(
                    (got - w).abs() <= 1e-9,
                    "{args:?} corr[{i}][{j}]: {got} vs {w}"
                );
            }
        }
    }
    let output = submit(&["--corr", s(&path)]);
    assert_eq!(output.status.code(), Some(0));
    let table = String::from_utf8_lossy(&output.stdout);
    let section = table
        .split("pearson correlation:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no correlation section in {table}"));
    let first: Vec<&str> = section.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(first[0], "0", "{table}");
    let shown: f64 = first[2].parse().unwrap();
    assert!(
        close(shown, want["corr"][0][1].as_f64().unwrap(), 1e-9),
        "{table}"
    );
    // Without --corr, no matrix.
    assert!(submit_json(&[s(&path)]).get("corr").is_none());
}

#[test]
fn quantiles_keep_sparks_rank_bound_against_numpy_ranks() {
    let dir = Dir::new();
    let path = dir.path("q.npy");
    let expected = numpy(&["npy", s(&path), "8", "20000", "3", "float64"]);
    let n = expected["count"].as_f64().unwrap();
    for (error, partitions) in [("0.01", "1"), ("0.001", "7"), ("0", "3")] {
        let output = submit(&[
            "--format",
            "json",
            "--quantiles",
            "0,0.1,0.5,0.9,1",
            "--relative-error",
            error,
            "--partitions",
            partitions,
            s(&path),
        ]);
        assert_eq!(output.status.code(), Some(0));
        let text = String::from_utf8_lossy(&output.stdout);
        let actual: Value = serde_json::from_str(&text).unwrap();
        let quantiles = &actual["quantiles"];
        assert_eq!(
            quantiles["probabilities"],
            serde_json::json!([0.0, 0.1, 0.5, 0.9, 1.0])
        );
        // serde_json may parse a float one unit in the last place off, so
        // numpy reads the output itself.
        let ranks = numpy(&["ranks", s(&path), &text]);
        let slack = error.parse::<f64>().unwrap() * n;
        for (i, p) in [0.0, 0.1, 0.5, 0.9, 1.0].iter().enumerate() {
            let target = (p * n).ceil().max(1.0);
            for j in 0..3 {
                let below = ranks[i][j][0].as_f64().unwrap();
                let upto = ranks[i][j][1].as_f64().unwrap();
                assert!(
                    below + 1.0 <= target + slack && upto >= target - slack,
                    "E={error} p={p} column {j}: ranks {below}+1..={upto}, target {target}"
                );
            }
        }
        // 0 and 1 are the exact min and max: each has its own rank.
        for j in 0..3 {
            assert_eq!(ranks[0][j][0], 0, "E={error}: the min has nothing below");
            assert_eq!(
                ranks[4][j][1], expected["count"],
                "E={error}: nothing above the max"
            );
        }
    }
}

#[test]
fn bad_quantile_options_are_usage_errors() {
    let dir = Dir::new();
    let path = dir.path("q.npy");
    numpy(&["npy", s(&path), "8", "10", "2", "float64"]);
    for args in [
        &["--quantiles", "1.5"][..],
        &["--quantiles", "0.5,x"],
        &["--quantiles", "0.5", "--relative-error", "2"],
        &["--relative-error", "0.1"],
    ] {
        let mut all = args.to_vec();
        all.push(s(&path));
        let output = submit(&all);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn malformed_csv_names_the_file_and_line() {
    let dir = Dir::new();
    let bad_number = dir.path("bad_number.csv");
    std::fs::write(&bad_number, "1,2,3\n4,5,6\n7,x,9\n10,11,12\n").unwrap();
    assert_bad_input(
        &["--partitions", "1", s(&bad_number)],
        &bad_number,
        &["line 3"],
    );

    let ragged = dir.path("ragged.csv");
    std::fs::write(&ragged, "1,2,3\n4,5\n7,8,9\n").unwrap();
    assert_bad_input(&["--partitions", "1", s(&ragged)], &ragged, &["line 2"]);

    // A header where none is expected is a malformed first line.
    let header = dir.path("header.csv");
    std::fs::write(&header, "a,b\n1,2\n").unwrap();
    assert_bad_input(&["--header", "no", s(&header)], &header, &["line 1"]);

    // Deep in a file split among workers, the file is still named.
    let deep = dir.path("deep.csv");
    let mut text: String = (0..400).map(|i| format!("{i},{}\n", i * 2)).collect();
    text.push_str("400,oops\n");
    std::fs::write(&deep, text).unwrap();
    assert_bad_input(
        &["--partitions", "4", "--master", "local[2]", s(&deep)],
        &deep,
        &[],
    );
}

#[test]
fn malformed_npy_is_bad_input() {
    let dir = Dir::new();
    let path = dir.path("garbage.npy");
    std::fs::write(&path, b"this is not an npy file at all").unwrap();
    assert_bad_input(&[s(&path)], &path, &[]);
}
