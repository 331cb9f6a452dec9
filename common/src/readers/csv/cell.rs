//! One `.csv` cell: trimming, optional surrounding double quotes, and the
//! number forms Python's `float()` accepts for plain decimals (`nan`,
//! `inf`, `-inf`, `infinity`, any case, exponents, leading `+`).

/// Longest cell text quoted in an error message.
const SHOWN_CELL_CHARS: usize = 40;

/// The cell without surrounding whitespace (which includes a CR left by a
/// CRLF line end) and without one pair of enclosing double quotes.
fn cell_text(raw: &[u8]) -> &[u8] {
    let trimmed = raw.trim_ascii();
    match trimmed {
        [b'"', inner @ .., b'"'] => inner.trim_ascii(),
        other => other,
    }
}

/// The number in a cell, or `None` when it is not one.
pub(crate) fn parse_number(raw: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(cell_text(raw)).ok()?;
    // Rust's float grammar is Python's minus digit separators, which
    // numpy's text readers do not take either.
    text.parse::<f64>().ok()
}

/// True for a line that holds nothing but whitespace (a whitespace
/// delimiter such as tab may split such a line into several empty cells).
pub(crate) fn is_blank(fields: &::csv::ByteRecord, delimiter: u8) -> bool {
    (fields.len() <= 1 || delimiter.is_ascii_whitespace())
        && fields.iter().all(|f| f.trim_ascii().is_empty())
}

/// The cell as it appears in an error message: quoted, cut short if long.
pub(crate) fn shown(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw.trim_ascii());
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(SHOWN_CELL_CHARS).collect();
    if chars.next().is_some() {
        format!("\"{head}...\"")
    } else {
        format!("\"{head}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_python_float_spellings() {
        let cases: [(&[u8], f64); 8] = [
            (b" 1.5 ", 1.5),
            (b"-2e3\r", -2000.0),
            (b"+.5", 0.5),
            (b"\"7\"", 7.0),
            (b"inf", f64::INFINITY),
            (b"-Infinity", f64::NEG_INFINITY),
            (b"INF", f64::INFINITY),
            (b"5.", 5.0),
        ];
        for (raw, expected) in cases {
            assert_eq!(
                parse_number(raw),
                Some(expected),
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
        for nan in [&b"nan"[..], b"NaN", b"-nan", b"NAN"] {
            assert!(parse_number(nan).is_some_and(f64::is_nan));
        }
        for bad in [
            &b""[..],
            b"  ",
            b"abc",
            b"1,5",
            b"0x10",
            b"1_0",
            b"\"\"",
            b"1e",
        ] {
            assert_eq!(parse_number(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn long_cells_are_cut_in_messages() {
        let long = "x".repeat(100);
        let shown = shown(long.as_bytes());
        assert!(shown.len() < 50 && shown.ends_with("...\""), "{shown}");
        assert_eq!(super::shown("é1".as_bytes()), "\"é1\"");
    }
}
