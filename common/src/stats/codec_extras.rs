//! The optional parts of an encoded summary (version 2 of the codec in
//! `codec.rs`), after the seven arrays of version 1.
//!
//! Layout, little endian: `parts: u8`, a bit set (1: co-moments), then
//! for co-moments `ncols` shifts, `ncols` mean deviations from them and
//! `ncols^2` cross-products (`f64`). The
//! co-moments count the summary's rows, so no count of their own travels.

use super::codec::{CodecError, malformed};
use super::comoments::CoMoments;
use super::extras::{Extras, MAX_CORR_COLUMNS};

const COMOMENTS: u8 = 1;
const KNOWN_PARTS: u8 = COMOMENTS;

/// Appends the encoded parts of `extras` to `out`.
pub(crate) fn encode(extras: &Extras, out: &mut Vec<u8>) {
    let mut parts = 0u8;
    if extras.comoments.is_some() {
        parts |= COMOMENTS;
    }
    out.push(parts);
    if let Some(comoments) = &extras.comoments {
        put_floats(out, &comoments.shift);
        put_floats(out, &comoments.mean);
        put_floats(out, &comoments.cross);
    }
}

/// Decodes the parts that follow the arrays of a summary of `count` rows
/// and `ncols` columns; `body` must be exactly those parts.
pub(crate) fn decode(body: &[u8], ncols: usize, count: u64) -> Result<Extras, CodecError> {
    let (&parts, mut rest) = body
        .split_first()
        .ok_or_else(|| malformed("a version 2 summary lacks its parts byte"))?;
    if parts & !KNOWN_PARTS != 0 {
        return Err(malformed(format!("unknown optional parts {parts:#04x}")));
    }
    let mut extras = Extras::default();
    if parts & COMOMENTS != 0 {
        if ncols > MAX_CORR_COLUMNS {
            return Err(malformed(format!(
                "co-moments of {ncols} columns exceed the limit of {MAX_CORR_COLUMNS}"
            )));
        }
        let mut comoments = CoMoments::new(ncols);
        comoments.count = count;
        comoments.shift = take_floats(&mut rest, ncols, "co-moment shifts")?;
        comoments.mean = take_floats(&mut rest, ncols, "co-moment means")?;
        comoments.cross = take_floats(&mut rest, ncols * ncols, "cross-products")?;
        extras.comoments = Some(comoments);
    }
    if !rest.is_empty() {
        return Err(malformed(format!(
            "{} bytes follow the optional parts",
            rest.len()
        )));
    }
    Ok(extras)
}

fn put_floats(out: &mut Vec<u8>, values: &[f64]) {
    values
        .iter()
        .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
}

/// Takes `n` floats off the front of `rest`, or fails naming `what`.
fn take_floats(rest: &mut &[u8], n: usize, what: &str) -> Result<Vec<f64>, CodecError> {
    let len = n
        .checked_mul(8)
        .filter(|&len| len <= rest.len())
        .ok_or_else(|| {
            malformed(format!(
                "{n} {what} need {} bytes, found {}",
                n.saturating_mul(8),
                rest.len()
            ))
        })?;
    let (head, tail) = rest.split_at(len);
    *rest = tail;
    Ok(head
        .chunks_exact(8)
        .map(|w| {
            let mut word = [0u8; 8];
            word.copy_from_slice(w);
            f64::from_le_bytes(word)
        })
        .collect())
}
