//! `.npy` element types: parsing a `descr` string such as `'<f8'` into a
//! supported numeric type, and decoding raw elements of that type into
//! `f64`.

use std::fmt;

/// The numeric element kinds the statistics accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElementKind {
    Bool,
    Int,
    UInt,
    Float,
}

/// A supported element type: kind, size in bytes and byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NpyDtype {
    pub kind: ElementKind,
    pub size: usize,
    pub big_endian: bool,
}

impl fmt::Display for NpyDtype {
    /// The canonical numpy `descr` of this type, e.g. `<f8` or `|u1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let order = if self.size == 1 {
            '|'
        } else if self.big_endian {
            '>'
        } else {
            '<'
        };
        let kind = match self.kind {
            ElementKind::Bool => 'b',
            ElementKind::Int => 'i',
            ElementKind::UInt => 'u',
            ElementKind::Float => 'f',
        };
        write!(f, "{order}{kind}{}", self.size)
    }
}

impl NpyDtype {
    /// Parses a numpy type string (`[<>|=]?` kind letter, item size).
    /// The error names the type and why it is refused.
    pub fn parse(descr: &str) -> Result<NpyDtype, String> {
        let (big_endian, rest) = match descr.as_bytes().first() {
            Some(b'>') => (true, &descr[1..]),
            Some(b'<') => (false, &descr[1..]),
            // `|` (not applicable) and `=` (native) both mean this machine's order.
            Some(b'|' | b'=') => (cfg!(target_endian = "big"), &descr[1..]),
            _ => (cfg!(target_endian = "big"), descr),
        };
        let mut chars = rest.chars();
        let Some(kind_char) = chars.next() else {
            return Err(format!("'{descr}' names no element type"));
        };
        let size_text = chars.as_str();
        let kind = match kind_char {
            'f' => ElementKind::Float,
            'i' => ElementKind::Int,
            'u' => ElementKind::UInt,
            'b' | '?' => ElementKind::Bool,
            'c' => return Err(format!("complex dtype '{descr}' is not supported")),
            'O' => return Err(format!("object dtype '{descr}' is not supported")),
            'U' | 'S' | 'a' => return Err(format!("string dtype '{descr}' is not supported")),
            'V' => return Err(format!("void/record dtype '{descr}' is not supported")),
            'M' | 'm' => {
                return Err(format!(
                    "datetime/timedelta dtype '{descr}' is not supported"
                ));
            }
            _ => return Err(format!("unrecognized dtype '{descr}'")),
        };
        let size = if size_text.is_empty() && kind == ElementKind::Bool {
            1
        } else {
            size_text
                .parse::<usize>()
                .map_err(|_| format!("dtype '{descr}' has no valid item size"))?
        };
        let supported = match kind {
            ElementKind::Float => matches!(size, 2 | 4 | 8),
            ElementKind::Int | ElementKind::UInt => matches!(size, 1 | 2 | 4 | 8),
            ElementKind::Bool => size == 1,
        };
        if !supported {
            return Err(format!(
                "dtype '{descr}' ({size}-byte {kind:?}) is not supported"
            ));
        }
        Ok(NpyDtype {
            kind,
            size,
            big_endian,
        })
    }

    /// True when elements are `f64` in this machine's byte order, so the
    /// raw bytes can be read as `f64` in place.
    pub fn is_native_f64(&self) -> bool {
        self.kind == ElementKind::Float
            && self.size == 8
            && self.big_endian == cfg!(target_endian = "big")
    }

    /// Decodes the consecutive elements in `src` into `dst[0]`,
    /// `dst[stride]`, `dst[2 * stride]`, ... (as many as both allow).
    pub fn decode_strided(&self, src: &[u8], dst: &mut [f64], stride: usize) {
        // `$t::from_{le,be}_bytes` of `$n` bytes, widened to f64 (exact for
        // all but 64-bit integers, which round to nearest as numpy does).
        macro_rules! decode_as {
            ($t:ty, $n:literal) => {
                decode::<$n>(
                    src,
                    dst,
                    stride,
                    self.big_endian,
                    |b| <$t>::from_le_bytes(b) as f64,
                    |b| <$t>::from_be_bytes(b) as f64,
                )
            };
        }
        match (self.kind, self.size) {
            (ElementKind::Float, 8) => decode_as!(f64, 8),
            (ElementKind::Float, 4) => decode_as!(f32, 4),
            (ElementKind::Float, _) => decode::<2>(
                src,
                dst,
                stride,
                self.big_endian,
                |b| f16_to_f64(u16::from_le_bytes(b)),
                |b| f16_to_f64(u16::from_be_bytes(b)),
            ),
            (ElementKind::Int, 8) => decode_as!(i64, 8),
            (ElementKind::Int, 4) => decode_as!(i32, 4),
            (ElementKind::Int, 2) => decode_as!(i16, 2),
            (ElementKind::Int, _) => decode_as!(i8, 1),
            (ElementKind::UInt, 8) => decode_as!(u64, 8),
            (ElementKind::UInt, 4) => decode_as!(u32, 4),
            (ElementKind::UInt, 2) => decode_as!(u16, 2),
            (ElementKind::UInt, _) => decode_as!(u8, 1),
            // numpy stores True as 1, but any nonzero byte reads as True.
            (ElementKind::Bool, _) => decode::<1>(
                src,
                dst,
                stride,
                self.big_endian,
                |b| bool_value(b[0]),
                |b| bool_value(b[0]),
            ),
        }
    }
}

fn bool_value(byte: u8) -> f64 {
    if byte != 0 { 1.0 } else { 0.0 }
}

/// One loop per byte order, so the order test is not paid per element.
fn decode<const N: usize>(
    src: &[u8],
    dst: &mut [f64],
    stride: usize,
    big_endian: bool,
    from_le: impl Fn([u8; N]) -> f64,
    from_be: impl Fn([u8; N]) -> f64,
) {
    let convert = |chunk: &[u8], from: &dyn Fn([u8; N]) -> f64| {
        let mut raw = [0u8; N];
        raw.copy_from_slice(chunk);
        from(raw)
    };
    let slots = dst.iter_mut().step_by(stride.max(1));
    if big_endian {
        for (slot, chunk) in slots.zip(src.chunks_exact(N)) {
            *slot = convert(chunk, &from_be);
        }
    } else {
        for (slot, chunk) in slots.zip(src.chunks_exact(N)) {
            *slot = convert(chunk, &from_le);
        }
    }
}

/// IEEE 754 half precision to double (exact: every half is a double).
fn f16_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exponent = i32::from((bits >> 10) & 0x1f);
    let fraction = f64::from(bits & 0x3ff);
    match exponent {
        0 => sign * fraction * 2f64.powi(-24),
        0x1f if fraction == 0.0 => sign * f64::INFINITY,
        0x1f => f64::NAN,
        _ => sign * (1.0 + fraction / 1024.0) * 2f64.powi(exponent - 15),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_supported_types_and_names_refused_ones() {
        let f8 = NpyDtype::parse("<f8").unwrap();
        assert_eq!(
            (f8.kind, f8.size, f8.big_endian),
            (ElementKind::Float, 8, false)
        );
        assert!(NpyDtype::parse(">i2").unwrap().big_endian);
        assert_eq!(NpyDtype::parse("|b1").unwrap().kind, ElementKind::Bool);
        for (descr, word) in [
            ("<c16", "complex"),
            ("|O", "object"),
            ("<U5", "string"),
            ("|S3", "string"),
            ("<M8[ns]", "datetime"),
            ("|V8", "void"),
        ] {
            let err = NpyDtype::parse(descr).unwrap_err();
            assert!(err.contains(word) && err.contains(descr), "{descr}: {err}");
        }
        assert!(NpyDtype::parse("<f16").is_err());
        assert!(NpyDtype::parse("<i3").is_err());
    }

    #[test]
    fn decodes_both_byte_orders_into_strided_slots() {
        let values: [i32; 3] = [-7, 0, 123_456];
        let le: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let be: Vec<u8> = values.iter().flat_map(|v| v.to_be_bytes()).collect();
        let mut out = [f64::NAN; 6];
        NpyDtype::parse("<i4")
            .unwrap()
            .decode_strided(&le, &mut out, 2);
        NpyDtype::parse(">i4")
            .unwrap()
            .decode_strided(&be, &mut out[1..], 2);
        assert_eq!(out, [-7.0, -7.0, 0.0, 0.0, 123_456.0, 123_456.0]);
    }

    #[test]
    fn half_precision_decodes_known_bit_patterns() {
        // 1.0, -2.5, smallest subnormal, 65504 (largest finite), +inf.
        let cases = [
            (0x3c00u16, 1.0),
            (0xc100, -2.5),
            (0x0001, 2f64.powi(-24)),
            (0x7bff, 65504.0),
            (0x7c00, f64::INFINITY),
        ];
        for (bits, expected) in cases {
            assert_eq!(f16_to_f64(bits), expected, "{bits:#06x}");
        }
        assert!(f16_to_f64(0x7e00).is_nan());
    }
}
