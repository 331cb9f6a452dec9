//! Reading a whole `.npy` file's values into memory, row-major (for a
//! driver that serves the rows to executors that cannot read the file).

use super::NpyFile;
use crate::readers::ReadError;

impl NpyFile {
    /// Every value, row-major, as float64.
    pub fn read_all(&self) -> Result<Vec<f64>, ReadError> {
        let (rows, cols) = (self.rows(), self.cols());
        let total = usize::try_from(rows)
            .ok()
            .and_then(|r| r.checked_mul(cols))
            .ok_or_else(|| {
                ReadError::npy(self.path(), "shape", "too many values to hold in memory")
            })?;
        let dtype = self.dtype();
        let data = self.data();
        let mut values = vec![0.0; total];
        if self.fortran_order() && cols > 1 {
            let nrows = rows as usize;
            for col in 0..cols {
                let column = &data[col * nrows * dtype.size..(col + 1) * nrows * dtype.size];
                dtype.decode_strided(column, &mut values[col..], cols);
            }
        } else {
            dtype.decode_strided(&data[..total * dtype.size], &mut values, 1);
        }
        Ok(values)
    }
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
        assert_eq!(NpyFile::open(c.path()).unwrap().read_all().unwrap(), values);
        // Column-major 2 x 3: columns [1,2], [3,4], [5,6].
        let f = npy("<f8", true, (2, 3), &bytes);
        assert_eq!(
            NpyFile::open(f.path()).unwrap().read_all().unwrap(),
            vec![1.0, 3.0, 5.0, 2.0, 4.0, 6.0]
        );
        let ints: Vec<u8> = [7i32, -8].iter().flat_map(|v| v.to_le_bytes()).collect();
        let i = npy("<i4", false, (2, 1), &ints);
        assert_eq!(
            NpyFile::open(i.path()).unwrap().read_all().unwrap(),
            vec![7.0, -8.0]
        );
    }
}
