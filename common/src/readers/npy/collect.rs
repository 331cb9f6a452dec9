//! Reading a whole `.npy` file's values into memory, row-major (for a
//! driver that serves the rows to executors that cannot read the file),
//! with positioned reads: a file that shrinks meanwhile is an error.

use std::sync::Arc;

use super::positioned::f64_bytes_mut;
use super::{NpyFile, WINDOW_BYTES};
use crate::readers::ReadError;

impl NpyFile {
    /// Every value, row-major, as float64, in one allocation of exactly
    /// the data's size that can be shared as is (no second copy at peak).
    pub fn read_all(&self) -> Result<Arc<[f64]>, ReadError> {
        self.read_all_in_windows(WINDOW_BYTES)
    }

    /// `read_all`, decoding about `window_bytes` of the file at a time.
    fn read_all_in_windows(&self, window_bytes: usize) -> Result<Arc<[f64]>, ReadError> {
        let (rows, cols) = (self.rows(), self.cols());
        let total = usize::try_from(rows)
            .ok()
            .and_then(|r| r.checked_mul(cols))
            .ok_or_else(|| {
                ReadError::npy(self.path(), "shape", "too many values to hold in memory")
            })?;
        // A mapped iterator of known length is collected into the Arc's own
        // allocation, with no intermediate Vec. Its size is bounded by the
        // file's, which was checked against the shape.
        let mut shared: Arc<[f64]> = (0..total).map(|_| 0.0).collect();
        let Some(values) = Arc::get_mut(&mut shared) else {
            return Err(ReadError::npy(
                self.path(),
                "data",
                "values shared while read",
            ));
        };
        if self.fortran_order() && cols > 1 {
            let nrows = rows as usize;
            for col in 0..cols {
                let column = Decode {
                    first: col * nrows,
                    count: nrows,
                    stride: cols,
                };
                self.decode_in_windows(column, &mut values[col..], window_bytes)?;
            }
        } else if self.dtype().is_native_f64() {
            // Straight into place, a window at a time.
            let window = (window_bytes / 8).max(1);
            for (i, chunk) in values.chunks_mut(window).enumerate() {
                self.read(i * window * 8, f64_bytes_mut(chunk))?;
            }
        } else {
            let all = Decode {
                first: 0,
                count: total,
                stride: 1,
            };
            self.decode_in_windows(all, values, window_bytes)?;
        }
        Ok(shared)
    }

    /// Decodes `part` into every `part.stride`-th element of `dst`, about
    /// `window_bytes` at a time.
    fn decode_in_windows(
        &self,
        part: Decode,
        dst: &mut [f64],
        window_bytes: usize,
    ) -> Result<(), ReadError> {
        let Decode {
            first,
            count,
            stride,
        } = part;
        let size = self.dtype().size;
        let window = (window_bytes / size).max(1).min(count);
        let mut bytes = vec![0u8; window * size];
        let mut done = 0;
        while done < count {
            let n = window.min(count - done);
            let chunk = &mut bytes[..n * size];
            self.read((first + done) * size, chunk)?;
            self.dtype()
                .decode_strided(chunk, &mut dst[done * stride..], stride);
            done += n;
        }
        Ok(())
    }
}

/// A run of consecutive values in the file's data (in elements from its
/// start) and the stride at which they land in the row-major output.
#[derive(Clone, Copy)]
struct Decode {
    first: usize,
    count: usize,
    stride: usize,
}

#[cfg(test)]
mod tests {
    use crate::readers::NpyFile;

    fn npy(
        descr: &str,
        fortran: bool,
        shape: (usize, usize),
        data: &[u8],
    ) -> tempfile::NamedTempFile {
        let mut bytes = crate::readers::npy_header(descr, fortran, &[shape.0, shape.1]);
        bytes.extend_from_slice(data);
        let file = tempfile::Builder::new().suffix(".npy").tempfile().unwrap();
        std::fs::write(file.path(), bytes).unwrap();
        file
    }

    #[test]
    fn c_and_fortran_order_read_as_rows() {
        let values = [1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0];
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let c = npy("<f8", false, (2, 3), &bytes);
        assert_eq!(
            *NpyFile::open(c.path()).unwrap().read_all().unwrap(),
            values
        );
        // Column-major 2 x 3: columns [1,2], [3,4], [5,6].
        let f = npy("<f8", true, (2, 3), &bytes);
        assert_eq!(
            *NpyFile::open(f.path()).unwrap().read_all().unwrap(),
            [1.0, 3.0, 5.0, 2.0, 4.0, 6.0]
        );
        let ints: Vec<u8> = [7i32, -8].iter().flat_map(|v| v.to_le_bytes()).collect();
        let i = npy("<i4", false, (2, 1), &ints);
        assert_eq!(
            *NpyFile::open(i.path()).unwrap().read_all().unwrap(),
            [7.0, -8.0]
        );
    }

    #[test]
    fn small_windows_read_the_same_values_in_either_order() {
        let (rows, cols) = (37, 5);
        let values: Vec<f64> = (0..rows * cols).map(|i| i as f64 * 0.5 - 7.0).collect();
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let c = npy("<f8", false, (rows, cols), &bytes);
        let c = NpyFile::open(c.path()).unwrap();
        let f = npy("<f8", true, (rows, cols), &bytes);
        let f = NpyFile::open(f.path()).unwrap();
        for window in [1, 8, 24, 4096] {
            assert_eq!(
                *c.read_all_in_windows(window).unwrap(),
                values,
                "window {window}"
            );
            // The same bytes read column-major: element (r, c) is bytes[c * rows + r].
            let read = f.read_all_in_windows(window).unwrap();
            for (i, v) in read.iter().enumerate() {
                let (r, col) = (i / cols, i % cols);
                assert_eq!(
                    *v,
                    values[col * rows + r],
                    "window {window}, row {r}, col {col}"
                );
            }
        }
    }
}
