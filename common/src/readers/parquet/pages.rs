//! The short path for DOUBLE column chunks: each page's bytes are the
//! values (PLAIN) or indices into the chunk's dictionary, handed to the
//! column kernel (`Staged`) without the generic reader's copies. Snappy
//! pages are decompressed here into one buffer reused page after page.
//! Definition levels are read run by run, so a page without nulls costs
//! nothing per value for them; a null reads as NaN.
//!
//! `read_doubles` answers `Ok(false)` for a page it does not read (another
//! encoding, old BIT_PACKED levels): the caller then reads the whole chunk
//! with the generic decoder. Everything read from the file is checked; a
//! page that contradicts itself is an error, not a panic.

use parquet::basic::Encoding;
use parquet::column::page::{Page, PageReader};
use parquet::errors::{ParquetError, Result};

use super::rle::{Hybrid, Run};
use super::staged::Staged;

/// Buffers kept from one column chunk to the next.
#[derive(Default)]
pub(super) struct PageBuffers {
    page: Vec<u8>,
    dict: Vec<f64>,
    gathered: Vec<f64>,
}

fn corrupt(what: impl Into<String>) -> ParquetError {
    ParquetError::General(what.into())
}

/// Reads every page of a DOUBLE chunk of `rows` rows into `staged`.
/// `own_snappy`: the pages are still snappy-compressed (decompressed here).
pub(super) fn read_doubles(
    pages: &mut dyn PageReader,
    own_snappy: bool,
    max_def: i16,
    rows: u64,
    staged: &mut Staged,
    buffers: &mut PageBuffers,
) -> Result<bool> {
    let level_width = 16 - (max_def as u16).leading_zeros();
    let mut has_dict = false;
    while let Some(page) = pages.get_next_page()? {
        let PageBuffers {
            page: scratch,
            dict,
            gathered,
        } = buffers;
        let (num_values, encoding, levels, values) = match &page {
            Page::DictionaryPage {
                buf,
                num_values,
                encoding,
                ..
            } => {
                if !matches!(encoding, Encoding::PLAIN | Encoding::PLAIN_DICTIONARY) {
                    return Ok(false);
                }
                let bytes = body(buf, own_snappy, scratch)?;
                let len = (*num_values as usize)
                    .checked_mul(8)
                    .filter(|&len| len <= bytes.len())
                    .ok_or_else(|| corrupt("a dictionary page holds fewer values than it says"))?;
                dict.clear();
                dict.extend(bytes[..len].chunks_exact(8).map(le_f64));
                has_dict = true;
                continue;
            }
            Page::DataPage {
                buf,
                num_values,
                encoding,
                def_level_encoding,
                ..
            } => {
                let bytes = body(buf, own_snappy, scratch)?;
                if max_def == 0 {
                    (*num_values, *encoding, None, bytes)
                } else {
                    if *def_level_encoding != Encoding::RLE {
                        return Ok(false);
                    }
                    let len = bytes
                        .get(..4)
                        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
                        .filter(|&len| len <= bytes.len() - 4)
                        .ok_or_else(|| corrupt("a data page's levels run past its end"))?;
                    (
                        *num_values,
                        *encoding,
                        Some(&bytes[4..4 + len]),
                        &bytes[4 + len..],
                    )
                }
            }
            Page::DataPageV2 {
                buf,
                num_values,
                encoding,
                def_levels_byte_len,
                rep_levels_byte_len,
                is_compressed,
                ..
            } => {
                let rep = *rep_levels_byte_len as usize;
                let end = rep
                    .checked_add(*def_levels_byte_len as usize)
                    .filter(|&end| end <= buf.len())
                    .ok_or_else(|| corrupt("a data page's levels run past its end"))?;
                let values = body(&buf[end..], own_snappy && *is_compressed, scratch)?;
                let levels = (max_def > 0).then(|| &buf[rep..end]);
                (*num_values, *encoding, levels, values)
            }
        };
        let dict: &[f64] = dict;
        let mut source = match encoding {
            Encoding::PLAIN => Values::Plain(values),
            Encoding::RLE_DICTIONARY | Encoding::PLAIN_DICTIONARY if has_dict => {
                let (&width, indices) = values
                    .split_first()
                    .ok_or_else(|| corrupt("a dictionary-encoded page has no bit width"))?;
                let indices = Hybrid::new(indices, u32::from(width))
                    .ok_or_else(|| corrupt("a dictionary index wider than 32 bits"))?;
                Values::Dict { indices, dict }
            }
            Encoding::RLE_DICTIONARY | Encoding::PLAIN_DICTIONARY => {
                return Err(corrupt("a dictionary-encoded page without a dictionary"));
            }
            _ => return Ok(false),
        };
        let num_values = num_values as usize;
        if staged.count() + num_values as u64 > rows {
            return Err(corrupt(format!(
                "its pages hold more values than its {rows} rows"
            )));
        }
        match levels {
            None => source.feed(num_values, staged, gathered)?,
            Some(levels) => {
                let levels = Hybrid::new(levels, level_width)
                    .ok_or_else(|| corrupt("definition levels too wide"))?;
                feed_with_levels(levels, max_def, num_values, &mut source, staged, gathered)?;
            }
        }
    }
    Ok(true)
}

/// The page's bytes, decompressed into `scratch` when `snappy`.
fn body<'a>(buf: &'a [u8], snappy: bool, scratch: &'a mut Vec<u8>) -> Result<&'a [u8]> {
    if !snappy {
        return Ok(buf);
    }
    let len = snap::raw::decompress_len(buf).map_err(|e| corrupt(format!("snappy: {e}")))?;
    // A snappy copy of 64 bytes takes at least 3: a larger claim is a lie,
    // refused before memory is set aside for it.
    if len > buf.len().saturating_mul(22).saturating_add(64) {
        return Err(corrupt(format!(
            "snappy: a page of {} bytes claims to hold {len}",
            buf.len()
        )));
    }
    if scratch.len() < len {
        scratch.resize(len, 0);
    }
    let out = &mut scratch[..len];
    let written = snap::raw::Decoder::new()
        .decompress(buf, out)
        .map_err(|e| corrupt(format!("snappy: {e}")))?;
    Ok(&scratch[..written])
}

fn le_f64(bytes: &[u8]) -> f64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(bytes);
    f64::from_le_bytes(word)
}

/// A page's present values, in order.
enum Values<'a> {
    Plain(&'a [u8]),
    Dict {
        indices: Hybrid<'a>,
        dict: &'a [f64],
    },
}

/// The next `n` PLAIN doubles of a page (`8 n` bytes), taken off `bytes`.
fn next_plain<'a>(bytes: &mut &'a [u8], n: usize) -> Result<&'a [u8]> {
    let len = n
        .checked_mul(8)
        .filter(|&len| len <= bytes.len())
        .ok_or_else(|| corrupt("a data page holds fewer values than it says"))?;
    let (taken, rest) = bytes.split_at(len);
    *bytes = rest;
    Ok(taken)
}

impl Values<'_> {
    /// Feeds the next `n` values to `staged`.
    fn feed(&mut self, n: usize, staged: &mut Staged, gathered: &mut Vec<f64>) -> Result<()> {
        match self {
            Values::Plain(bytes) => staged.extend_le_bytes(next_plain(bytes, n)?),
            Values::Dict { .. } => {
                let mut left = n;
                while left > 0 {
                    gathered.clear();
                    self.take(left.min(4096), gathered)?;
                    staged.extend(gathered);
                    left -= gathered.len();
                }
            }
        }
        Ok(())
    }

    /// Appends the next `n` values to `out`.
    fn take(&mut self, n: usize, out: &mut Vec<f64>) -> Result<()> {
        match self {
            Values::Plain(bytes) => out.extend(next_plain(bytes, n)?.chunks_exact(8).map(le_f64)),
            Values::Dict { indices, dict } => {
                let lookup = |i: u32| {
                    dict.get(i as usize).copied().ok_or_else(|| {
                        corrupt(format!(
                            "a dictionary index {i} past its {} values",
                            dict.len()
                        ))
                    })
                };
                let mut left = n;
                while left > 0 {
                    match indices.next_run(left) {
                        None => return Err(corrupt("a data page holds fewer values than it says")),
                        Some(Run::Repeat { value, count }) => {
                            out.extend(std::iter::repeat_n(lookup(value)?, count));
                            left -= count;
                        }
                        Some(Run::Literal(values)) => {
                            for &i in values {
                                out.push(lookup(i)?);
                            }
                            left -= values.len();
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// Feeds `num_values` rows of a nullable column: a present value where
/// the level is `max_def`, NaN elsewhere.
fn feed_with_levels(
    mut levels: Hybrid<'_>,
    max_def: i16,
    num_values: usize,
    source: &mut Values<'_>,
    staged: &mut Staged,
    gathered: &mut Vec<f64>,
) -> Result<()> {
    let present = max_def as u32;
    let mut left = num_values;
    let mut row = Vec::new();
    while left > 0 {
        match levels.next_run(left.min(4096)) {
            None => return Err(corrupt("a data page holds fewer levels than values")),
            Some(Run::Repeat { value, count }) => {
                if value == present {
                    source.feed(count, staged, gathered)?;
                } else {
                    staged.push_repeat(f64::NAN, count);
                }
                left -= count;
            }
            Some(Run::Literal(values)) => {
                let here = values.iter().filter(|&&v| v == present).count();
                gathered.clear();
                source.take(here, gathered)?;
                let mut next = gathered.iter();
                row.clear();
                row.extend(values.iter().map(|&v| match v == present {
                    true => next.next().copied().unwrap_or(f64::NAN),
                    false => f64::NAN,
                }));
                staged.extend(&row);
                left -= values.len();
            }
        }
    }
    Ok(())
}
