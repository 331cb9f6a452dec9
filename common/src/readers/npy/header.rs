//! The `.npy` header: magic, version, header length, and the Python dict
//! holding `descr`, `fortran_order` and `shape`. Every failure names the
//! field that is wrong.

use std::ops::Range;

use super::dtype::NpyDtype;
use super::literal::{self, Literal};

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// A header holds three short keys; anything near this size is not a
/// header of a supported array, and refusing it bounds the work a hostile
/// length field can cause.
pub(super) const MAX_HEADER_LEN: usize = 1 << 20;

/// What the header says about the data that follows it.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyHeader {
    pub version: (u8, u8),
    pub dtype: NpyDtype,
    pub fortran_order: bool,
    pub rows: u64,
    pub cols: usize,
    /// The shape as written, for messages.
    pub shape_text: String,
    /// Offset of the first data byte.
    pub data_offset: usize,
}

/// A header problem: the field (`file`, `magic`, `version`, `header length`,
/// `header`, `descr`, `fortran_order`, `shape`) and what is wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderError {
    pub field: &'static str,
    pub detail: String,
}

fn fail<T>(field: &'static str, detail: impl Into<String>) -> Result<T, HeaderError> {
    Err(HeaderError {
        field,
        detail: detail.into(),
    })
}

/// Checks magic, version and header length; returns the version and the
/// header text's byte range (which ends where the data begins).
fn parse_preamble(bytes: &[u8]) -> Result<((u8, u8), Range<usize>), HeaderError> {
    if bytes.is_empty() {
        return fail("file", "empty file (0 bytes)");
    }
    let compared = bytes.len().min(MAGIC.len());
    if bytes[..compared] != MAGIC[..compared] {
        return fail(
            "magic",
            "the file does not start with \\x93NUMPY (not a .npy file)",
        );
    }
    if bytes.len() < 8 {
        return fail(
            "file",
            format!(
                "file too short ({} bytes) to hold the magic and version",
                bytes.len()
            ),
        );
    }
    let version = (bytes[6], bytes[7]);
    let length_size = match version {
        (1, 0) => 2,
        (2, 0) | (3, 0) => 4,
        (major, minor) => {
            return fail(
                "version",
                format!("format version {major}.{minor} is not supported (1.0, 2.0, 3.0 are)"),
            );
        }
    };
    let length_end = 8 + length_size;
    let Some(length_bytes) = bytes.get(8..length_end) else {
        return fail(
            "header length",
            format!(
                "file too short ({} bytes) to hold the header length",
                bytes.len()
            ),
        );
    };
    let header_len = length_bytes
        .iter()
        .rev()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    if header_len > MAX_HEADER_LEN {
        return fail(
            "header length",
            format!("{header_len} bytes is implausibly large (at most {MAX_HEADER_LEN} accepted)"),
        );
    }
    let data_offset = length_end + header_len;
    if bytes.len() < data_offset {
        return fail(
            "header",
            format!(
                "truncated header: its length field says {header_len} bytes but only {} follow",
                bytes.len() - length_end
            ),
        );
    }
    Ok((version, length_end..data_offset))
}

/// Parses the header at the start of `bytes` (the start of the file, as
/// much of it as holds the header).
pub fn parse(bytes: &[u8]) -> Result<NpyHeader, HeaderError> {
    let (version, dict_range) = parse_preamble(bytes)?;
    let data_offset = dict_range.end;
    let text = decode_text(&bytes[dict_range], version)?;
    let dict = match literal::parse(&text) {
        Ok(Literal::Dict(entries)) => entries,
        Ok(other) => return fail("header", format!("expected a dict, found {other}")),
        Err(detail) => {
            return fail(
                "header",
                format!("not a valid Python dict literal: {detail}"),
            );
        }
    };
    let fields = HeaderFields::collect(dict)?;
    let dtype = parse_descr(fields.descr)?;
    let fortran_order = match fields.fortran_order {
        Literal::Bool(b) => b,
        other => {
            return fail(
                "fortran_order",
                format!("expected True or False, found {other}"),
            );
        }
    };
    let (rows, cols, shape_text) = parse_shape(fields.shape)?;
    Ok(NpyHeader {
        version,
        dtype,
        fortran_order,
        rows,
        cols,
        shape_text,
        data_offset,
    })
}

/// Versions 1.0 and 2.0 store latin-1 text, 3.0 UTF-8.
fn decode_text(dict_bytes: &[u8], version: (u8, u8)) -> Result<String, HeaderError> {
    if version.0 == 3 {
        match std::str::from_utf8(dict_bytes) {
            Ok(text) => Ok(text.to_owned()),
            Err(e) => fail(
                "header",
                format!("not valid UTF-8 at byte {}", e.valid_up_to()),
            ),
        }
    } else {
        Ok(dict_bytes.iter().map(|&b| char::from(b)).collect())
    }
}

/// The three values the dict must hold, each exactly once, and nothing else.
struct HeaderFields {
    descr: Literal,
    fortran_order: Literal,
    shape: Literal,
}

impl HeaderFields {
    fn collect(entries: Vec<(Literal, Literal)>) -> Result<HeaderFields, HeaderError> {
        let (mut descr, mut fortran_order, mut shape) = (None, None, None);
        for (key, value) in entries {
            let slot = match &key {
                Literal::Str(name) if name == "descr" => &mut descr,
                Literal::Str(name) if name == "fortran_order" => &mut fortran_order,
                Literal::Str(name) if name == "shape" => &mut shape,
                other => {
                    return fail(
                        "header",
                        format!("unexpected key {other} (only 'descr', 'fortran_order', 'shape')"),
                    );
                }
            };
            if slot.replace(value).is_some() {
                return fail("header", format!("key {key} appears twice"));
            }
        }
        let Some(descr) = descr else {
            return fail("descr", "missing from the header dict");
        };
        let Some(fortran_order) = fortran_order else {
            return fail("fortran_order", "missing from the header dict");
        };
        let Some(shape) = shape else {
            return fail("shape", "missing from the header dict");
        };
        Ok(HeaderFields {
            descr,
            fortran_order,
            shape,
        })
    }
}

fn parse_descr(descr: Literal) -> Result<NpyDtype, HeaderError> {
    match descr {
        Literal::Str(text) => NpyDtype::parse(&text).or_else(|detail| fail("descr", detail)),
        Literal::List(_) => fail(
            "descr",
            format!("structured (record) dtype {descr} is not supported"),
        ),
        Literal::Tuple(_) => fail("descr", format!("sub-array dtype {descr} is not supported")),
        other => fail(
            "descr",
            format!("expected a type string such as '<f8', found {other}"),
        ),
    }
}

/// `(n,)` is n rows of one column; `(r, c)` is r rows of c columns.
fn parse_shape(shape: Literal) -> Result<(u64, usize, String), HeaderError> {
    let text = shape.to_string();
    let dims = match shape {
        Literal::Tuple(dims) | Literal::List(dims) => dims,
        other => {
            return fail(
                "shape",
                format!("expected a tuple of integers, found {other}"),
            );
        }
    };
    let mut sizes = Vec::with_capacity(dims.len());
    for dim in &dims {
        match dim {
            Literal::Int(n) if *n >= 0 => match u64::try_from(*n) {
                Ok(n) => sizes.push(n),
                Err(_) => return fail("shape", format!("dimension {n} in {text} is too large")),
            },
            other => {
                return fail(
                    "shape",
                    format!("dimension {other} in {text} is not a non-negative integer"),
                );
            }
        }
    }
    match sizes[..] {
        [rows] => Ok((rows, 1, text)),
        [_, 0] => fail("shape", format!("{text} has no columns")),
        [rows, cols] => {
            // Checked before anything is sized by it: a summary holds
            // several values per column even when there are no rows.
            if let Err(detail) = crate::limits::check_columns(&format!("shape {text}"), cols.into())
            {
                return fail("shape", detail);
            }
            match usize::try_from(cols) {
                Ok(cols) => Ok((rows, cols, text)),
                Err(_) => fail("shape", format!("{cols} columns in {text} is too many")),
            }
        }
        [] => fail(
            "shape",
            format!("{text} is a 0-dimensional scalar; only 1-D and 2-D arrays are supported"),
        ),
        _ => fail(
            "shape",
            format!(
                "{text} has {} dimensions; only 1-D and 2-D arrays are supported",
                sizes.len()
            ),
        ),
    }
}
