//! A `.npy` file that shrinks after it was opened and validated (another
//! process truncating it, or storage failing) gives a `ReadError` naming
//! the file and what was missing, in every read path, instead of killing
//! the process.

mod readers_support;

use std::path::Path;

use readers_support::{f64_le_bytes, npy_bytes, write_file};
use rmesos_common::readers::{NpyFile, ReadError};

const ROWS: usize = 40_000;
const COLS: usize = 4;

fn table(dir: &Path, name: &str, descr: &str, fortran: bool) -> std::path::PathBuf {
    let order = if fortran { "True" } else { "False" };
    let dict =
        format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': ({ROWS}, {COLS}), }}");
    let values: Vec<f64> = (0..ROWS * COLS).map(|i| (i % 1000) as f64).collect();
    let data = match descr {
        "<f8" => f64_le_bytes(&values),
        _ => values
            .iter()
            .flat_map(|v| (*v as i16).to_le_bytes())
            .collect(),
    };
    write_file(dir, name, &npy_bytes((1, 0), &dict, &data))
}

fn truncate_to_half(path: &Path) {
    let len = std::fs::metadata(path).unwrap().len();
    let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    file.set_len(len / 2).unwrap();
}

fn assert_shorter(error: ReadError, name: &str) {
    let text = error.to_string();
    assert!(text.contains(name), "{text}");
    assert!(
        matches!(error, ReadError::Npy { ref field, .. } if field == "data"),
        "{text}"
    );
    assert!(
        text.contains("file is shorter than its header says"),
        "{text}"
    );
    assert!(text.contains("found EOF"), "{text}");
}

#[test]
fn a_file_truncated_after_open_fails_every_read_path_with_an_error() {
    let dir = tempfile::tempdir().unwrap();
    for (name, descr, fortran) in [
        ("c_f8.npy", "<f8", false),
        ("c_i2.npy", "<i2", false),
        ("f_f8.npy", "<f8", true),
    ] {
        let path = table(dir.path(), name, descr, fortran);
        let npy = NpyFile::open(&path).unwrap();
        // The first rows still read: the error comes where the data ends.
        assert_eq!(npy.summarize_rows(0..100).unwrap().count(), 100);
        truncate_to_half(&path);
        let error = npy.summarize_rows(0..ROWS as u64).unwrap_err();
        // Native rows are read from a memory map: the read past the new
        // end faulted (SIGBUS), and the guard turned that into this error.
        let mapped = descr == "<f8" && !fortran;
        assert_eq!(error.to_string().contains("shrank from"), mapped, "{error}");
        assert_shorter(error, name);
        assert_shorter(npy.read_all().unwrap_err(), name);
    }
}

#[test]
fn a_file_truncated_before_open_is_refused_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = table(dir.path(), "short.npy", "<f8", false);
    truncate_to_half(&path);
    let text = NpyFile::open(&path).err().map(|e| e.to_string()).unwrap();
    assert!(
        text.contains("short.npy") && text.contains("truncated data"),
        "{text}"
    );
}
