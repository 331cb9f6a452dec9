//! Checks Mesos applies to identifiers on both sides (master and agent),
//! following `src/common/validation.cpp` (`validateID` and the per-kind
//! wrappers) and stout's `UUID::fromBytes` (`3rdparty/stout/include/stout/
//! uuid.hpp`), which the scheduler ACKNOWLEDGE and the executor UPDATE
//! validations call.

/// Linux's `NAME_MAX`: the longest id Mesos accepts (ids become path
/// components in agents' work dirs).
pub const NAME_MAX: usize = 255;

/// Mesos' message for a uuid that `UUID::fromBytes` refuses.
pub const NOT_A_VALID_UUID: &str = "Not a valid UUID";

/// `validateID`: not empty, at most `NAME_MAX` bytes, not `.` or `..`, no
/// control characters and no `/` or `\`.
pub fn validate_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("ID must not be empty".into());
    }
    if id.len() > NAME_MAX {
        return Err(format!("ID must not be greater than {NAME_MAX} characters"));
    }
    if id == "." || id == ".." {
        return Err(format!("'{id}' is disallowed"));
    }
    let invalid = |b: u8| b.is_ascii_control() || b == b'/' || b == b'\\';
    if id.bytes().any(invalid) {
        return Err(format!("'{id}' contains invalid characters"));
    }
    Ok(())
}

/// `UUID::fromBytes`: exactly 16 bytes whose version nibble (the high
/// four bits of byte 6) names a known RFC 4122 version. Mesos 1.12 bundles
/// Boost 1.81, whose `uuid::version()` knows versions 1 to 5 only; the
/// variant bits are not looked at.
pub fn uuid_from_bytes(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() != 16 {
        return Err(NOT_A_VALID_UUID.into());
    }
    match bytes[6] >> 4 {
        1..=5 => Ok(()),
        _ => Err(NOT_A_VALID_UUID.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_validate_id() {
        assert!(validate_id("framework-0001").is_ok());
        assert_eq!(validate_id("").unwrap_err(), "ID must not be empty");
        assert_eq!(validate_id("..").unwrap_err(), "'..' is disallowed");
        assert_eq!(
            validate_id("a/b").unwrap_err(),
            "'a/b' contains invalid characters"
        );
        assert_eq!(
            validate_id(&"x".repeat(256)).unwrap_err(),
            "ID must not be greater than 255 characters"
        );
        assert!(validate_id(&"x".repeat(255)).is_ok());
    }

    #[test]
    fn uuids_need_sixteen_bytes_and_a_known_version() {
        assert!(uuid_from_bytes(uuid::Uuid::new_v4().as_bytes()).is_ok());
        let mut bytes = *uuid::Uuid::new_v4().as_bytes();
        bytes[6] &= 0x0f; // version 0
        assert_eq!(uuid_from_bytes(&bytes).unwrap_err(), NOT_A_VALID_UUID);
        bytes[6] |= 0x60; // version 6: unknown to Boost 1.81
        assert!(uuid_from_bytes(&bytes).is_err());
        assert!(uuid_from_bytes(&[0x40; 15]).is_err());
        assert!(uuid_from_bytes(b"").is_err());
    }
}
