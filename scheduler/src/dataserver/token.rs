//! The access tokens: the first path segment of every secret data-server
//! URL, the session's (channels) or one published job's (its rows).
//! Generated from 32 random bytes, written as lowercase hex, compared in
//! constant time, and never formatted.

use std::fmt;

use rand::RngCore;
use subtle::ConstantTimeEq;

/// Random bytes in a token.
const TOKEN_BYTES: usize = 32;

/// The secret path segment. `Debug` prints a placeholder.
#[derive(Clone)]
pub(crate) struct Token(String);

impl Token {
    /// A fresh token from the thread-local CSPRNG.
    pub(crate) fn generate() -> Token {
        let mut bytes = [0u8; TOKEN_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        Token(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Whether `candidate` is this token. Constant time in the content;
    /// the length (always 64) is no secret.
    pub(crate) fn matches(&self, candidate: &str) -> bool {
        self.0.as_bytes().ct_eq(candidate.as_bytes()).into()
    }

    /// Whether `text` has a token's shape (64 hex digits, any case), to
    /// keep it out of logs.
    pub(crate) fn looks_like(text: &str) -> bool {
        text.len() == TOKEN_BYTES * 2 && text.bytes().all(|b| b.is_ascii_hexdigit())
    }

    /// The token text, only for building URLs and scrubbing logs.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_64_hex_chars_and_differ() {
        let (a, b) = (Token::generate(), Token::generate());
        assert_eq!(a.expose().len(), 64);
        assert!(a.expose().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn only_the_exact_token_matches() {
        let token = Token::generate();
        let text = token.expose().to_owned();
        assert!(token.matches(&text));
        assert!(!token.matches(&text[..63]));
        assert!(!token.matches(&format!("{text}0")));
        assert!(!token.matches(""));
        let flipped = if text.starts_with('0') { "1" } else { "0" };
        assert!(!token.matches(&format!("{flipped}{}", &text[1..])));
        assert!(!format!("{token:?}").contains(&text));
    }
}
