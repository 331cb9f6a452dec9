//! The versioned binary form of a `ColumnSummary`, carried in the `data` of
//! a Mesos `TASK_FINISHED` status update.
//!
//! Layout, all little endian: magic `RMCS`, version `u8`, `ncols: u32`,
//! `count: u64`, then seven arrays of `ncols` values each: mean, M2,
//! nonzero counts (`u64`), min, max, sum |x|, sum x^2 (`f64`). Version 1
//! ends there; version 2, written only when the job asked for optional
//! parts, goes on with them (`codec_extras.rs`).

use thiserror::Error;

use super::ColumnSummary;

const MAGIC: &[u8; 4] = b"RMCS";
const VERSION: u8 = 1;
const VERSION_WITH_PARTS: u8 = 2;
const HEADER_LEN: usize = 4 + 1 + 4 + 8;
const ARRAYS: usize = 7;

/// A malformed encoded summary.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CodecError {
    #[error("encoded summary is malformed: {0}")]
    Malformed(String),
    #[error(
        "encoded summary has version {0}, this build reads versions {VERSION} and {VERSION_WITH_PARTS}"
    )]
    Version(u8),
}

pub(crate) fn malformed(what: impl Into<String>) -> CodecError {
    CodecError::Malformed(what.into())
}

impl ColumnSummary {
    /// Encodes this summary (see the module doc for the layout).
    pub fn to_bytes(&self) -> Vec<u8> {
        let ncols = self.ncols();
        let mut out = Vec::with_capacity(HEADER_LEN + ARRAYS * 8 * ncols);
        out.extend_from_slice(MAGIC);
        let plain = self.extras.is_empty();
        out.push(if plain { VERSION } else { VERSION_WITH_PARTS });
        out.extend_from_slice(&(ncols as u32).to_le_bytes());
        out.extend_from_slice(&self.count.to_le_bytes());
        let floats = |out: &mut Vec<u8>, v: &[f64]| {
            v.iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes()))
        };
        floats(&mut out, &self.mean);
        floats(&mut out, &self.m2);
        self.nnz
            .iter()
            .for_each(|c| out.extend_from_slice(&c.to_le_bytes()));
        floats(&mut out, &self.min);
        floats(&mut out, &self.max);
        floats(&mut out, &self.norm_l1);
        floats(&mut out, &self.sum_sq);
        if !plain {
            super::codec_extras::encode(&self.extras, &mut out);
        }
        out
    }

    /// Decodes a summary, rejecting anything malformed.
    pub fn from_bytes(bytes: &[u8]) -> Result<ColumnSummary, CodecError> {
        if bytes.len() < HEADER_LEN {
            return Err(malformed(format!(
                "{} bytes is shorter than the {HEADER_LEN}-byte header",
                bytes.len()
            )));
        }
        if &bytes[..4] != MAGIC {
            return Err(malformed("bad magic (not an rmesos column summary)"));
        }
        let version = bytes[4];
        if version != VERSION && version != VERSION_WITH_PARTS {
            return Err(CodecError::Version(version));
        }
        let ncols = u32::from_le_bytes(word(&bytes[5..9])) as usize;
        let count = u64::from_le_bytes(word(&bytes[9..17]));
        let mut body = &bytes[HEADER_LEN..];
        let expected = (ncols as u64) * (ARRAYS as u64) * 8;
        let parts = if version == VERSION_WITH_PARTS && body.len() as u64 > expected {
            let (arrays, parts) = body.split_at(expected as usize);
            body = arrays;
            Some(parts)
        } else {
            None
        };
        if body.len() as u64 != expected || (version == VERSION_WITH_PARTS && parts.is_none()) {
            return Err(malformed(format!(
                "{ncols} columns need {expected} bytes of arrays, found {}",
                body.len()
            )));
        }
        let mut words = body.chunks_exact(8).map(word);
        let mut floats =
            |n: usize| -> Vec<f64> { (&mut words).take(n).map(f64::from_le_bytes).collect() };
        let mean = floats(ncols);
        let m2 = floats(ncols);
        let nnz: Vec<u64> = floats(ncols).into_iter().map(f64::to_bits).collect();
        let mut summary = ColumnSummary::new(ncols);
        summary.count = count;
        summary.mean = mean;
        summary.m2 = m2;
        summary.min = floats(ncols);
        summary.max = floats(ncols);
        summary.norm_l1 = floats(ncols);
        summary.sum_sq = floats(ncols);
        if let Some((j, c)) = nnz.iter().enumerate().find(|&(_, &c)| c > count) {
            return Err(malformed(format!(
                "column {j} has {c} nonzeros but only {count} rows"
            )));
        }
        summary.nnz = nnz;
        if let Some(parts) = parts {
            summary.extras = super::codec_extras::decode(parts, ncols, count)?;
        }
        Ok(summary)
    }
}

fn word<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut w = [0u8; N];
    w.copy_from_slice(bytes);
    w
}
