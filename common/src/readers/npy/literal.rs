//! A small parser for the Python literal a `.npy` header holds: a dict of
//! strings, integers, booleans, `None`, tuples and lists. Nothing is
//! evaluated, and nesting is bounded so a hostile header cannot exhaust the
//! stack.

use std::fmt;

/// Deeper nesting than any `.npy` header needs is refused.
const MAX_DEPTH: usize = 16;

/// A parsed Python literal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Str(String),
    Int(i128),
    Bool(bool),
    None,
    Tuple(Vec<Literal>),
    List(Vec<Literal>),
    Dict(Vec<(Literal, Literal)>),
}

impl fmt::Display for Literal {
    /// Python's `repr`, close enough for error messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Str(s) => write!(f, "'{s}'"),
            Literal::Int(i) => write!(f, "{i}"),
            Literal::Bool(true) => f.write_str("True"),
            Literal::Bool(false) => f.write_str("False"),
            Literal::None => f.write_str("None"),
            Literal::Tuple(items) => {
                f.write_str("(")?;
                write_items(f, items)?;
                f.write_str(if items.len() == 1 { ",)" } else { ")" })
            }
            Literal::List(items) => {
                f.write_str("[")?;
                write_items(f, items)?;
                f.write_str("]")
            }
            Literal::Dict(entries) => {
                f.write_str("{")?;
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{key}: {value}")?;
                }
                f.write_str("}")
            }
        }
    }
}

fn write_items(f: &mut fmt::Formatter<'_>, items: &[Literal]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

/// Parses `text` as one Python literal surrounded by optional whitespace.
/// The error says what was expected and at which character offset.
pub(crate) fn parse(text: &str) -> Result<Literal, String> {
    let mut parser = Parser {
        bytes: text.as_bytes(),
        pos: 0,
    };
    let value = parser.value(0)?;
    parser.skip_space();
    if parser.pos < parser.bytes.len() {
        return Err(parser.unexpected("the end of the header"));
    }
    Ok(value)
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    fn unexpected(&self, expected: &str) -> String {
        match self.peek() {
            None => format!(
                "expected {expected} at character {}, found the end",
                self.pos
            ),
            Some(b) => {
                let shown = if b.is_ascii_graphic() {
                    (b as char).to_string()
                } else {
                    format!("byte 0x{b:02x}")
                };
                format!(
                    "expected {expected} at character {}, found {shown}",
                    self.pos
                )
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Literal, String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "nesting deeper than {MAX_DEPTH} levels at character {}",
                self.pos
            ));
        }
        self.skip_space();
        match self.peek() {
            Some(b'\'' | b'"') => self.string().map(Literal::Str),
            Some(b'0'..=b'9' | b'-' | b'+') => self.integer(),
            Some(b'(') => self
                .sequence(b')', depth)
                .map(|(mut items, trailing_comma)| {
                    // `(x)` is just `x`; only a comma makes a one-item tuple.
                    if items.len() == 1 && !trailing_comma {
                        items.remove(0)
                    } else {
                        Literal::Tuple(items)
                    }
                }),
            Some(b'[') => self
                .sequence(b']', depth)
                .map(|(items, _)| Literal::List(items)),
            Some(b'{') => self.dict(depth),
            Some(b) if b.is_ascii_alphabetic() => self.word(),
            _ => Err(self.unexpected("a value")),
        }
    }

    /// `True`, `False`, `None`, or a `u'...'`/`b'...'` string prefix.
    fn word(&mut self) -> Result<Literal, String> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            self.pos += 1;
        }
        let word = &self.bytes[start..self.pos];
        match word {
            b"True" => Ok(Literal::Bool(true)),
            b"False" => Ok(Literal::Bool(false)),
            b"None" => Ok(Literal::None),
            b"u" | b"U" | b"b" | b"B" if matches!(self.peek(), Some(b'\'' | b'"')) => {
                self.string().map(Literal::Str)
            }
            _ => Err(format!(
                "unknown name '{}' at character {start}",
                String::from_utf8_lossy(word)
            )),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        let start = self.pos;
        let Some(quote) = self.peek() else {
            return Err(self.unexpected("a string"));
        };
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => {
                    return Err(format!(
                        "string starting at character {start} is not closed"
                    ));
                }
                Some(b) if b == quote => {
                    self.pos += 1;
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let Some(escaped) = self.peek() else { continue };
                    self.pos += 1;
                    out.push(match escaped {
                        b'n' => b'\n',
                        b't' => b'\t',
                        b'r' => b'\r',
                        b'0' => 0,
                        other => other,
                    });
                }
                Some(b'\n') => {
                    return Err(format!(
                        "string starting at character {start} is not closed"
                    ));
                }
                Some(b) => {
                    self.pos += 1;
                    out.push(b);
                }
            }
        }
    }

    /// A decimal integer, optionally signed, optionally with Python 2's `L`.
    fn integer(&mut self) -> Result<Literal, String> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if matches!(self.peek(), Some(b'-' | b'+')) {
            self.pos += 1;
        }
        let digits_start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == digits_start {
            return Err(self.unexpected("a digit"));
        }
        let digits = &self.bytes[digits_start..self.pos];
        if matches!(self.peek(), Some(b'L' | b'l')) {
            self.pos += 1;
        }
        if self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
        {
            return Err(self.unexpected("an integer (no floats or other numbers)"));
        }
        let magnitude = std::str::from_utf8(digits)
            .ok()
            .and_then(|d| d.parse::<i128>().ok())
            .ok_or_else(|| format!("integer at character {start} is too large"))?;
        Ok(Literal::Int(if negative { -magnitude } else { magnitude }))
    }

    /// Items up to `close`, separated by commas; says whether a comma
    /// followed the last item.
    fn sequence(&mut self, close: u8, depth: usize) -> Result<(Vec<Literal>, bool), String> {
        self.pos += 1;
        let mut items = Vec::new();
        let mut trailing_comma = false;
        loop {
            self.skip_space();
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok((items, trailing_comma));
            }
            if !items.is_empty() && !trailing_comma {
                return Err(self.unexpected(&format!("',' or '{}'", close as char)));
            }
            items.push(self.value(depth + 1)?);
            self.skip_space();
            trailing_comma = self.peek() == Some(b',');
            if trailing_comma {
                self.pos += 1;
            }
        }
    }

    fn dict(&mut self, depth: usize) -> Result<Literal, String> {
        self.pos += 1;
        let mut entries = Vec::new();
        let mut after_comma = true;
        loop {
            self.skip_space();
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(Literal::Dict(entries));
            }
            if !after_comma {
                return Err(self.unexpected("',' or '}'"));
            }
            let key = self.value(depth + 1)?;
            self.skip_space();
            if self.peek() != Some(b':') {
                return Err(self.unexpected("':'"));
            }
            self.pos += 1;
            let value = self.value(depth + 1)?;
            entries.push((key, value));
            self.skip_space();
            after_comma = self.peek() == Some(b',');
            if after_comma {
                self.pos += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_numpy_header_in_any_key_order_with_trailing_comma() {
        let text = "{'shape': (3, 4), 'fortran_order': False, 'descr': '<f8', }   \n";
        let Literal::Dict(entries) = parse(text).unwrap() else {
            panic!("not a dict")
        };
        assert_eq!(entries.len(), 3);
        assert_eq!(
            entries[0].1,
            Literal::Tuple(vec![Literal::Int(3), Literal::Int(4)])
        );
        assert_eq!(entries[1].1, Literal::Bool(false));
        assert_eq!(entries[2].1, Literal::Str("<f8".into()));
    }

    #[test]
    fn one_item_tuples_need_a_comma() {
        assert_eq!(
            parse("(5,)").unwrap(),
            Literal::Tuple(vec![Literal::Int(5)])
        );
        assert_eq!(parse("(5)").unwrap(), Literal::Int(5));
        assert_eq!(parse("()").unwrap(), Literal::Tuple(vec![]));
        assert_eq!(
            parse("(3L, 4L)").unwrap(),
            Literal::Tuple(vec![Literal::Int(3), Literal::Int(4)])
        );
    }

    #[test]
    fn rejects_malformed_text_with_a_position() {
        for bad in [
            "{'a' 1}",
            "{'a': 1",
            "(1 2)",
            "'open",
            "{'a': 1.5}",
            "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]",
        ] {
            let err = parse(bad).unwrap_err();
            assert!(
                err.contains("character") || err.contains("nesting"),
                "{bad}: {err}"
            );
        }
    }
}
