//! Writing `.npy` files (version 1.0): the header, and a whole row-major
//! float64 table. For tools, benchmarks and tests that make input files.

use std::io::{self, BufWriter, Write};
use std::path::Path;

/// A version 1.0 header for `descr` (e.g. `<f8`), padded so the data
/// starts at a multiple of 64 bytes, as numpy writes it.
pub fn npy_header(descr: &str, fortran_order: bool, shape: &[usize]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    let shape = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let order = if fortran_order { "True" } else { "False" };
    let mut dict = format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape}, }}");
    while (10 + dict.len() + 1) % 64 != 0 {
        dict.push(' ');
    }
    dict.push('\n');
    let mut header = b"\x93NUMPY\x01\x00".to_vec();
    header.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    header.extend_from_slice(dict.as_bytes());
    header
}

/// Writes row-major `values` (`ncols` wide) as a C-order `<f8` `.npy` file.
pub fn write_npy_f64(path: &Path, values: &[f64], ncols: usize) -> io::Result<()> {
    let nrows = values.len() / ncols.max(1);
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    out.write_all(&npy_header("<f8", false, &[nrows, ncols]))?;
    for chunk in values.chunks(1 << 16) {
        let bytes: Vec<u8> = chunk.iter().flat_map(|v| v.to_le_bytes()).collect();
        out.write_all(&bytes)?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readers::NpyFile;

    #[test]
    fn what_is_written_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.npy");
        let values = [1.5, -2.0, 3.25, 4.0, 5.0, 6.0];
        write_npy_f64(&path, &values, 2).unwrap();
        let file = NpyFile::open(&path).unwrap();
        assert_eq!((file.rows(), file.cols()), (3, 2));
        assert_eq!(*file.read_all().unwrap(), values);
        assert_eq!(npy_header("<f8", false, &[3]).len() % 64, 0);
    }
}
