//! Positioned reads of a `.npy` file's data (`pread`): an I/O error or a
//! file that shrank after it was opened comes back as a `ReadError`
//! naming the file, where a memory map would have killed the process with
//! SIGBUS. Also the header's bytes, read once at open.

use std::io;
use std::path::Path;

use super::header::MAX_HEADER_LEN;
use crate::readers::{ByteSource, ReadError};

/// Bytes read first for the header: enough for any header numpy writes.
const HEADER_PREFIX: usize = 64 << 10;

/// Bytes that hold the largest header accepted (magic, version, length).
const HEADER_PREFIX_MAX: usize = 12 + MAX_HEADER_LEN;

/// The start of the file, `HEADER_PREFIX` bytes (or all of a shorter
/// file); `whole_header` asks for up to the largest header accepted.
pub(super) fn read_prefix(
    path: &Path,
    file: &dyn ByteSource,
    len: u64,
    whole_header: bool,
) -> Result<Vec<u8>, ReadError> {
    let want = if whole_header {
        HEADER_PREFIX_MAX
    } else {
        HEADER_PREFIX
    };
    let n = usize::try_from(len).map_or(want, |len| len.min(want));
    let mut bytes = vec![0; n];
    file.read_exact_at(&mut bytes, 0)
        .map_err(|e| ReadError::io(path, e))?;
    Ok(bytes)
}

/// True when a header that did not parse from the first `HEADER_PREFIX`
/// bytes may parse from more.
pub(super) fn more_header_to_read(len: u64, read: usize) -> bool {
    read == HEADER_PREFIX && len > read as u64
}

/// Fills `dst` with the data bytes from `offset` (counted from the first
/// data byte, which is at `data_offset` in the file).
pub(super) fn read_data(
    path: &Path,
    file: &dyn ByteSource,
    data_offset: usize,
    offset: usize,
    dst: &mut [u8],
) -> Result<(), ReadError> {
    let at = data_offset as u64 + offset as u64;
    file.read_exact_at(dst, at).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => ReadError::npy(
            path,
            "data",
            format!(
                "file is shorter than its header says: expected {} bytes of data at offset {at}, found EOF",
                dst.len()
            ),
        ),
        _ => ReadError::io(path, e),
    })
}

/// `values` seen as their bytes, to read native `f64`s in place.
pub(super) fn f64_bytes_mut(values: &mut [f64]) -> &mut [u8] {
    let len = std::mem::size_of_val(values);
    // SAFETY: the pointer and length cover exactly `values`, which is
    // borrowed mutably for the result's lifetime; `u8` has no alignment
    // requirement, and every bit pattern written through it is a valid f64.
    unsafe { std::slice::from_raw_parts_mut(values.as_mut_ptr().cast::<u8>(), len) }
}
