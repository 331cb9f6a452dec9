//! Framework credentials: the principal and a `Secret` that never shows up
//! in `Debug`, `Display`, logs or error text.

use std::fmt;
use std::path::{Path, PathBuf};

/// What a secret shows as wherever it is formatted.
pub const REDACTED: &str = "***";

/// Where a secret could not be read from. Never carries the secret itself.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("cannot read the framework secret from file {path}: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the framework secret file {path} is empty")]
    EmptyFile { path: PathBuf },
    #[error("environment variable {var} holding the framework secret is not set")]
    EnvMissing { var: String },
    #[error("environment variable {var} holding the framework secret is not valid UTF-8")]
    EnvNotUnicode { var: String },
    #[error("environment variable {var} holding the framework secret is empty")]
    EnvEmpty { var: String },
}

/// A password-like value. Formatting it prints a placeholder, so it can sit
/// inside configs that are logged with `{:?}`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value already in memory (tests, or callers with their own store).
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// Reads the secret from a file; one trailing newline (as editors add) is
    /// not part of it.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, SecretError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| SecretError::File {
            path: path.to_path_buf(),
            source,
        })?;
        let value = text
            .strip_suffix("\r\n")
            .or_else(|| text.strip_suffix('\n'))
            .unwrap_or(&text);
        if value.is_empty() {
            return Err(SecretError::EmptyFile {
                path: path.to_path_buf(),
            });
        }
        Ok(Secret(value.to_owned()))
    }

    /// Reads the secret from an environment variable.
    pub fn from_env(var: &str) -> Result<Self, SecretError> {
        match std::env::var(var) {
            Ok(value) if value.is_empty() => Err(SecretError::EnvEmpty { var: var.into() }),
            Ok(value) => Ok(Secret(value)),
            Err(std::env::VarError::NotPresent) => Err(SecretError::EnvMissing { var: var.into() }),
            Err(std::env::VarError::NotUnicode(_)) => {
                Err(SecretError::EnvNotUnicode { var: var.into() })
            }
        }
    }

    /// The raw value, for building the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Replaces every occurrence of the secret in `text`, so that text coming
    /// back from a server can be shown without leaking it.
    pub fn scrub(&self, text: &str) -> String {
        if self.0.is_empty() {
            text.to_owned()
        } else {
            text.replace(&self.0, REDACTED)
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({REDACTED})")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// HTTP Basic credentials of the framework; `principal` must equal
/// `framework_info.principal`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub principal: String,
    pub secret: Secret,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn debug_and_display_hide_the_value() {
        let creds = Credentials {
            principal: "fw".into(),
            secret: Secret::new("hunter2"),
        };
        assert!(!format!("{creds:?}").contains("hunter2"));
        assert!(!format!("{}", creds.secret).contains("hunter2"));
        assert_eq!(creds.secret.expose(), "hunter2");
    }

    #[test]
    fn file_secret_drops_one_trailing_newline() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(b"s3cret\n").unwrap();
        assert_eq!(Secret::from_file(file.path()).unwrap().expose(), "s3cret");
    }

    #[test]
    fn missing_file_error_names_the_file() {
        let err = Secret::from_file("/nonexistent/rmesos-secret").unwrap_err();
        assert!(err.to_string().contains("/nonexistent/rmesos-secret"));
    }

    #[test]
    fn empty_file_is_rejected() {
        let file = tempfile::NamedTempFile::new().unwrap();
        assert!(matches!(
            Secret::from_file(file.path()),
            Err(SecretError::EmptyFile { .. })
        ));
    }

    #[test]
    fn unset_env_var_is_named() {
        let err = Secret::from_env("RMESOS_TEST_SECRET_THAT_IS_NOT_SET").unwrap_err();
        assert!(
            err.to_string()
                .contains("RMESOS_TEST_SECRET_THAT_IS_NOT_SET")
        );
    }

    #[test]
    fn scrub_removes_every_occurrence() {
        let secret = Secret::new("pw");
        assert_eq!(secret.scrub("a pw b pw"), "a *** b ***");
    }
}
