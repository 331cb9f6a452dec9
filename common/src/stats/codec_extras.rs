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
use super::quantiles::{QuantileSketch, QuantileSketches, value};

const COMOMENTS: u8 = 1;
const SKETCHES: u8 = 2;
const KNOWN_PARTS: u8 = COMOMENTS | SKETCHES;
/// More levels than any sketch of fewer than 2^64 values has.
const MAX_LEVELS: u32 = 64;

/// Appends the encoded parts of `extras` to `out`.
pub(crate) fn encode(extras: &Extras, out: &mut Vec<u8>) {
    let mut parts = 0u8;
    if extras.comoments.is_some() {
        parts |= COMOMENTS;
    }
    if extras.quantiles.is_some() {
        parts |= SKETCHES;
    }
    out.push(parts);
    if let Some(comoments) = &extras.comoments {
        put_floats(out, &comoments.shift);
        put_floats(out, &comoments.mean);
        put_floats(out, &comoments.cross);
    }
    if let Some(quantiles) = &extras.quantiles {
        out.extend_from_slice(&quantiles.eps.to_le_bytes());
        for sketch in &quantiles.columns {
            encode_sketch(sketch, out);
        }
    }
}

fn encode_sketch(sketch: &QuantileSketch, out: &mut Vec<u8>) {
    out.extend_from_slice(&sketch.count.to_le_bytes());
    put_floats(out, &[sketch.min, sketch.max]);
    out.extend_from_slice(&(sketch.levels.len() as u32).to_le_bytes());
    for (level, compactions) in sketch.levels.iter().zip(&sketch.compactions) {
        out.extend_from_slice(&compactions.to_le_bytes());
        out.extend_from_slice(&(level.len() as u64).to_le_bytes());
        level
            .iter()
            .for_each(|k| out.extend_from_slice(&k.to_le_bytes()));
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
    if parts & SKETCHES != 0 {
        extras.quantiles = Some(decode_sketches(&mut rest, ncols, count)?);
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

fn take_u64(rest: &mut &[u8], what: &str) -> Result<u64, CodecError> {
    let (head, tail) = rest
        .split_first_chunk::<8>()
        .ok_or_else(|| malformed(format!("the sketches end before {what}")))?;
    *rest = tail;
    Ok(u64::from_le_bytes(*head))
}

/// Decodes `ncols` sketches of a summary of `rows` rows, checking each.
fn decode_sketches(
    rest: &mut &[u8],
    ncols: usize,
    rows: u64,
) -> Result<QuantileSketches, CodecError> {
    let eps = f64::from_bits(take_u64(rest, "the relative error")?);
    if !(0.0..=1.0).contains(&eps) {
        return Err(malformed(format!("relative error {eps} is not in [0, 1]")));
    }
    let mut sketches = QuantileSketches::new(0, eps);
    for column in 0..ncols {
        let sketch = decode_sketch(rest, eps, rows)
            .map_err(|e| malformed(format!("column {column}'s sketch: {e}")))?;
        sketches.columns.push(sketch);
    }
    Ok(sketches)
}

fn decode_sketch(rest: &mut &[u8], eps: f64, rows: u64) -> Result<QuantileSketch, String> {
    let text = |e: CodecError| e.to_string();
    let mut sketch = QuantileSketch::new(eps);
    sketch.count = take_u64(rest, "a count").map_err(text)?;
    sketch.min = f64::from_bits(take_u64(rest, "a min").map_err(text)?);
    sketch.max = f64::from_bits(take_u64(rest, "a max").map_err(text)?);
    let (head, tail) = rest
        .split_first_chunk::<4>()
        .ok_or("the sketch ends before its level count")?;
    *rest = tail;
    let levels = u32::from_le_bytes(*head);
    if levels == 0 || levels > MAX_LEVELS {
        return Err(format!(
            "{levels} levels (at least 1, at most {MAX_LEVELS})"
        ));
    }
    sketch.levels.clear();
    sketch.compactions.clear();
    for h in 0..levels {
        sketch
            .compactions
            .push(take_u64(rest, "compactions").map_err(text)?);
        let len = take_u64(rest, "a level length").map_err(text)?;
        let len = usize::try_from(len).map_err(|_| format!("level {h} of {len} items"))?;
        if len >= sketch.k || len.saturating_mul(8) > rest.len() {
            return Err(format!("level {h} of {len} items is too long"));
        }
        let (keys, tail) = rest.split_at(len * 8);
        *rest = tail;
        let level: Vec<u64> = keys
            .chunks_exact(8)
            .map(|w| u64::from_le_bytes(w.try_into().unwrap_or([0; 8])))
            .collect();
        if h > 0 && level.windows(2).any(|w| w[0] > w[1]) {
            return Err(format!("level {h} is not sorted"));
        }
        sketch.levels.push(level);
    }
    check_sketch(&sketch, rows)?;
    Ok(sketch)
}

/// A decoded sketch's counts and values agree with each other and with
/// the summary's `rows`.
fn check_sketch(sketch: &QuantileSketch, rows: u64) -> Result<(), String> {
    if sketch.count > rows {
        return Err(format!("{} values in {rows} rows", sketch.count));
    }
    if sketch.weight() != Some(sketch.count) {
        return Err(format!("its items do not weigh its count {}", sketch.count));
    }
    if sketch.count == 0 {
        return Ok(());
    }
    let (min, max) = (sketch.min, sketch.max);
    if min.is_nan() || max.is_nan() || min > max {
        return Err(format!("min {min} and max {max}"));
    }
    let outside = sketch
        .levels
        .iter()
        .flatten()
        .map(|&k| value(k))
        .find(|v| !(min..=max).contains(v));
    match outside {
        Some(v) => Err(format!("value {v} outside [{min}, {max}]")),
        None => Ok(()),
    }
}
