//! Malformed and unsupported `.npy` files: each error names the file and
//! the header field or part that is wrong.

mod readers_support;

use std::path::Path;

use readers_support::{f64_le_bytes, npy_bytes, run_numpy, write_file};
use rmesos_common::readers::{NpyFile, ReadError};

/// Opens `path` expecting an `Npy` error about `field` whose text holds
/// every one of `words`.
fn assert_npy_error(path: &Path, field: &str, words: &[&str]) {
    let err = match NpyFile::open(path) {
        Ok(_) => panic!("{} opened, expected an error about {field}", path.display()),
        Err(e) => e,
    };
    let text = err.to_string();
    assert!(
        text.contains(&path.display().to_string()),
        "error does not name the file: {text}"
    );
    match &err {
        ReadError::Npy { field: got, .. } => assert_eq!(got, field, "{text}"),
        other => panic!("expected an .npy error about {field}, got {other:?}"),
    }
    assert!(text.contains(&format!("bad .npy {field}:")), "{text}");
    for word in words {
        assert!(text.contains(word), "error lacks {word:?}: {text}");
    }
}

const GOOD_DICT: &str = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";

#[test]
fn empty_short_and_foreign_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert_npy_error(
        &write_file(dir.path(), "empty.npy", b""),
        "file",
        &["empty"],
    );
    assert_npy_error(
        &write_file(dir.path(), "short.npy", b"\x93NUM"),
        "file",
        &["too short"],
    );
    assert_npy_error(
        &write_file(dir.path(), "short2.npy", b"\x93NUMPY\x01"),
        "file",
        &["too short"],
    );
    assert_npy_error(
        &write_file(dir.path(), "zip.npy", b"PK\x03\x04 a zip archive"),
        "magic",
        &["NUMPY"],
    );
    let no_length = npy_bytes((1, 0), GOOD_DICT, &[]);
    assert_npy_error(
        &write_file(dir.path(), "nolen.npy", &no_length[..9]),
        "header length",
        &["too short"],
    );
}

#[test]
fn unsupported_versions_are_named() {
    let dir = tempfile::tempdir().unwrap();
    for version in [(4, 0), (1, 1), (0, 9)] {
        let bytes = npy_bytes(version, GOOD_DICT, &f64_le_bytes(&[0.0; 6]));
        let path = write_file(
            dir.path(),
            &format!("v{}{}.npy", version.0, version.1),
            &bytes,
        );
        assert_npy_error(&path, "version", &[&format!("{}.{}", version.0, version.1)]);
    }
}

#[test]
fn truncated_and_malformed_headers_name_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let full = npy_bytes((1, 0), GOOD_DICT, &f64_le_bytes(&[0.0; 6]));
    assert_npy_error(
        &write_file(dir.path(), "cut.npy", &full[..40]),
        "header",
        &["truncated"],
    );
    let cases = [
        (
            "syntax",
            "{'descr': '<f8' 'fortran_order': False, 'shape': (2, 3)}",
            "not a valid Python dict",
        ),
        (
            "unclosed",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)",
            "not a valid Python dict",
        ),
        ("notdict", "['descr', '<f8']", "expected a dict"),
        (
            "extra",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 'x': 1}",
            "unexpected key 'x'",
        ),
        (
            "twice",
            "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}",
            "twice",
        ),
        (
            "float",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2.0, 3)}",
            "not a valid Python dict",
        ),
    ];
    for (name, dict, words) in cases {
        let path = write_file(
            dir.path(),
            &format!("{name}.npy"),
            &npy_bytes((1, 0), dict, &[]),
        );
        assert_npy_error(&path, "header", &[words]);
    }
    let mut huge = b"\x93NUMPY\x02\x00\xff\xff\xff\xff".to_vec();
    huge.extend_from_slice(GOOD_DICT.as_bytes());
    assert_npy_error(
        &write_file(dir.path(), "huge.npy", &huge),
        "header length",
        &["4294967295", "implausibly large"],
    );
    let mut bad_utf8 = npy_bytes((3, 0), GOOD_DICT, &f64_le_bytes(&[0.0; 6]));
    bad_utf8[12] = 0xff; // inside the header text
    assert_npy_error(
        &write_file(dir.path(), "utf8.npy", &bad_utf8),
        "header",
        &["UTF-8"],
    );
}

#[test]
fn missing_and_invalid_keys_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "nodescr",
            "{'fortran_order': False, 'shape': (2, 3)}",
            "descr",
            "missing",
        ),
        (
            "noorder",
            "{'descr': '<f8', 'shape': (2, 3)}",
            "fortran_order",
            "missing",
        ),
        (
            "noshape",
            "{'descr': '<f8', 'fortran_order': False}",
            "shape",
            "missing",
        ),
        (
            "order",
            "{'descr': '<f8', 'fortran_order': 'yes', 'shape': (2, 3)}",
            "fortran_order",
            "'yes'",
        ),
        (
            "descr",
            "{'descr': 8, 'fortran_order': False, 'shape': (2, 3)}",
            "descr",
            "found 8",
        ),
        (
            "noise",
            "{'descr': '<x9', 'fortran_order': False, 'shape': (2, 3)}",
            "descr",
            "'<x9'",
        ),
        (
            "shape",
            "{'descr': '<f8', 'fortran_order': False, 'shape': 6}",
            "shape",
            "found 6",
        ),
        (
            "negative",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (-2, 3)}",
            "shape",
            "-2",
        ),
        (
            "scalar",
            "{'descr': '<f8', 'fortran_order': False, 'shape': ()}",
            "shape",
            "0-dimensional",
        ),
        (
            "nocols",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 0)}",
            "shape",
            "no columns",
        ),
        (
            "huge",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4)}",
            "shape",
            "too large",
        ),
    ];
    for (name, dict, field, words) in cases {
        let path = write_file(
            dir.path(),
            &format!("{name}.npy"),
            &npy_bytes((1, 0), dict, &[]),
        );
        assert_npy_error(&path, field, &[words]);
    }
}

#[test]
fn data_that_does_not_match_the_shape_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let short = npy_bytes((1, 0), GOOD_DICT, &f64_le_bytes(&[1.0; 5]));
    assert_npy_error(
        &write_file(dir.path(), "short.npy", &short),
        "data",
        &["truncated", "48 bytes", "found 40"],
    );
    let mut long = npy_bytes((2, 0), GOOD_DICT, &f64_le_bytes(&[1.0; 6]));
    long.push(0);
    assert_npy_error(
        &write_file(dir.path(), "long.npy", &long),
        "data",
        &["extra bytes", "found 49"],
    );
}

/// numpy writes each unsupported kind; the error must name its dtype.
const WRITE_UNSUPPORTED: &str = r#"
out = sys.argv[1]
arrays = {
    "complex": np.array([[1 + 2j, 3j]]),
    "object": np.array([[1, "a"]], dtype=object),
    "unicode": np.array([["ab", "c"]]),
    "bytes": np.array([[b"ab", b"c"]]),
    "datetime": np.array(["2024-01-01", "2024-02-01"], dtype="datetime64[D]"),
    "timedelta": np.array([1, 2], dtype="timedelta64[s]"),
    "record": np.zeros(3, dtype=[("x", "<f8"), ("y", "<i4")]),
    "three_d": np.zeros((2, 3, 4)),
}
described = {}
for name, a in arrays.items():
    np.save(f"{out}/{name}.npy", a, allow_pickle=True)
    described[name] = str(np.lib.format.dtype_to_descr(a.dtype))
print(json.dumps(described))
"#;

#[test]
fn numpy_files_of_unsupported_dtypes_and_shapes_name_the_dtype() {
    let dir = tempfile::tempdir().unwrap();
    let described = run_numpy(WRITE_UNSUPPORTED, &[dir.path().to_str().unwrap()]);
    let path = |name: &str| dir.path().join(format!("{name}.npy"));
    let descr = |name: &str| described[name].as_str().unwrap().to_string();
    for (name, kind) in [
        ("complex", "complex"),
        ("object", "object"),
        ("unicode", "string"),
        ("bytes", "string"),
    ] {
        assert_npy_error(&path(name), "descr", &[kind, &descr(name)]);
    }
    for name in ["datetime", "timedelta"] {
        assert_npy_error(&path(name), "descr", &["datetime/timedelta", &descr(name)]);
    }
    assert_npy_error(
        &path("record"),
        "descr",
        &["structured", "'x'", "'<f8'", "'y'"],
    );
    assert_npy_error(&path("three_d"), "shape", &["(2, 3, 4)", "3 dimensions"]);
}
