//! `.npy` files written by real numpy, in every supported dtype, order,
//! byte order, version and dimensionality, read back and compared with
//! numpy's own statistics, whole and by row range.

mod readers_support;

use std::path::Path;

use readers_support::{assert_matches_numpy, assert_same_rows, run_numpy};
use rmesos_common::readers::NpyFile;
use serde_json::Value;

/// Writes one file per combination into argv[1] and prints, per file, its
/// name, what numpy wrote in the header, and numpy's statistics of all
/// rows and of rows 7..20.
const WRITE_EVERY_KIND: &str = r#"
out = sys.argv[1]
rng = np.random.default_rng(20240611)
dtypes = ["f8", "f4", "f2", "i8", "i4", "i2", "i1", "u8", "u4", "u2", "u1", "b1"]

def values(code, shape):
    if code.startswith("f"):
        a = rng.normal(3.0, 10.0, size=shape)
    elif code == "b1":
        a = rng.random(size=shape) < 0.6
    else:
        info = np.iinfo(np.dtype(code))
        a = rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=np.dtype(code))
    a = np.asarray(a).astype(np.dtype(code))
    a[::5] = 0  # some zeros, so nonzero counts mean something
    return a

files = []
for code in dtypes:
    for ndim in (1, 2):
        for order in ("C", "F"):
            if ndim == 1 and order == "F":
                continue  # a 1-D array is both; numpy writes fortran_order False
            for endian in ("<", ">"):
                for version in ((1, 0), (2, 0), (3, 0)):
                    a = values(code, (57,) if ndim == 1 else (41, 3))
                    a = a.astype(a.dtype.newbyteorder(endian))
                    a = np.asfortranarray(a) if order == "F" else np.ascontiguousarray(a)
                    name = f"{code}_{ndim}d_{order}_{'le' if endian == '<' else 'be'}_v{version[0]}.npy"
                    path = f"{out}/{name}"
                    if version == (1, 0):
                        np.save(path, a)
                    else:
                        with open(path, "wb") as f:
                            np.lib.format.write_array(f, a, version=version)
                    files.append({
                        "name": name,
                        "descr": np.lib.format.dtype_to_descr(a.dtype),
                        "fortran_order": bool(order == "F" and ndim == 2),
                        "version": list(version),
                        "shape": list(a.shape),
                        "whole": stats(a),
                        "rows_7_20": stats(a[7:20]),
                    })
print(json.dumps(files))
"#;

fn check_file(dir: &Path, entry: &Value) {
    let name = entry["name"].as_str().expect("name");
    let npy = NpyFile::open(&dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let shape: Vec<u64> = entry["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap())
        .collect();
    assert_eq!(npy.rows(), shape[0], "{name}: rows");
    assert_eq!(
        npy.cols() as u64,
        shape.get(1).copied().unwrap_or(1),
        "{name}: cols"
    );
    assert_eq!(
        npy.dtype().to_string(),
        entry["descr"].as_str().unwrap(),
        "{name}: dtype"
    );
    assert_eq!(
        npy.fortran_order(),
        entry["fortran_order"].as_bool().unwrap(),
        "{name}: fortran_order"
    );
    let version = entry["version"].as_array().unwrap();
    assert_eq!(
        npy.version().0 as u64,
        version[0].as_u64().unwrap(),
        "{name}: version"
    );

    let whole = npy.summarize_rows(0..npy.rows()).unwrap();
    assert_matches_numpy(&whole, &entry["whole"], name);
    let middle = npy.summarize_rows(7..20).unwrap();
    assert_matches_numpy(&middle, &entry["rows_7_20"], &format!("{name} rows 7..20"));

    // Ranges that tile the rows, the last one running past the end.
    let mut merged = npy.summarize_rows(0..7).unwrap();
    merged.merge(&middle).unwrap();
    merged
        .merge(&npy.summarize_rows(20..npy.rows() + 100).unwrap())
        .unwrap();
    assert_same_rows(&merged, &whole, &format!("{name} merged ranges"));
    assert_matches_numpy(&merged, &entry["whole"], &format!("{name} merged ranges"));
}

#[test]
fn numpy_files_of_every_dtype_order_byte_order_and_version_match_numpy_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let files = run_numpy(WRITE_EVERY_KIND, &[dir.path().to_str().unwrap()]);
    let files = files.as_array().expect("a list of files");
    // 12 dtypes x (1-D C + 2-D C + 2-D F) x 2 byte orders x 3 versions.
    assert_eq!(files.len(), 12 * 3 * 2 * 3);
    for entry in files {
        check_file(dir.path(), entry);
    }
}

/// Large enough for many kernel blocks, in the layouts that take
/// different paths: aligned native f64 rows (read in place), Fortran order
/// (gathered), big-endian (decoded), and a hand-written header whose odd
/// length leaves the f64 data unaligned (copied).
const WRITE_LARGE: &str = r#"
import struct
out = sys.argv[1]
rng = np.random.default_rng(7)
a = rng.normal(-2.0, 5.0, size=(70001, 3))
a[::11, 1] = 0.0
np.save(f"{out}/c.npy", a)
np.save(f"{out}/f.npy", np.asfortranarray(a))
np.save(f"{out}/be.npy", a.astype(">f8"))
np.save(f"{out}/i2f.npy", np.asfortranarray((a * 1000).astype("<i2")))
# Keys in another order, extra spaces, trailing comma; 5 bytes of padding
# make the data start at an offset that is not a multiple of 8.
h = b"{ 'shape' : (70001, 3) ,'descr':'<f8',  'fortran_order' : False , }" + b" " * 5 + b"\n"
assert (10 + len(h)) % 8 != 0
with open(f"{out}/unaligned.npy", "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + a.astype("<f8").tobytes())
b = np.asfortranarray((a * 1000).astype("<i2"))
print(json.dumps({
    "f8": stats(a), "f8_rows": stats(a[12345:50000]),
    "i2": stats(b), "i2_rows": stats(b[12345:50000]),
}))
"#;

#[test]
fn large_files_in_every_read_path_match_numpy_whole_and_by_range() {
    let dir = tempfile::tempdir().unwrap();
    let expected = run_numpy(WRITE_LARGE, &[dir.path().to_str().unwrap()]);
    for (name, key) in [
        ("c", "f8"),
        ("f", "f8"),
        ("be", "f8"),
        ("unaligned", "f8"),
        ("i2f", "i2"),
    ] {
        let npy = NpyFile::open(&dir.path().join(format!("{name}.npy")))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((npy.rows(), npy.cols()), (70001, 3), "{name}");
        let whole = npy.summarize_rows(0..u64::MAX).unwrap();
        assert_matches_numpy(&whole, &expected[key], name);
        let part = npy.summarize_rows(12345..50000).unwrap();
        assert_matches_numpy(
            &part,
            &expected[format!("{key}_rows")],
            &format!("{name} rows 12345..50000"),
        );
    }
}

const WRITE_EMPTY: &str = r#"
out = sys.argv[1]
np.save(f"{out}/empty_2d.npy", np.zeros((0, 4)))
np.save(f"{out}/empty_1d.npy", np.zeros((0,), dtype="<i4"))
with open(f"{out}/empty_v3.npy", "wb") as f:
    np.lib.format.write_array(f, np.zeros((0, 2), dtype=">u2"), version=(3, 0))
print(json.dumps({"shapes": [[0, 4], [0, 1], [0, 2]]}))
"#;

#[test]
fn numpy_arrays_with_zero_rows_open_as_empty_datasets() {
    let dir = tempfile::tempdir().unwrap();
    let expected = run_numpy(WRITE_EMPTY, &[dir.path().to_str().unwrap()]);
    let shapes = expected["shapes"].as_array().unwrap();
    for (name, shape) in ["empty_2d", "empty_1d", "empty_v3"].iter().zip(shapes) {
        let npy = NpyFile::open(&dir.path().join(format!("{name}.npy")))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(npy.rows(), shape[0].as_u64().unwrap(), "{name}");
        assert_eq!(npy.cols() as u64, shape[1].as_u64().unwrap(), "{name}");
        let summary = npy.summarize_rows(0..10).unwrap();
        assert_eq!(
            (summary.count(), summary.ncols()),
            (0, npy.cols()),
            "{name}"
        );
    }
}
