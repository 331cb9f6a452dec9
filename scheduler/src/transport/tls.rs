//! Trust for `https` masters signed by a private CA: the PEM file is read
//! here so that a wrong path or a non-PEM file fails with its name.

use std::path::Path;

use reqwest::Certificate;

use super::error::TransportError;

/// Loads every certificate of a PEM bundle.
pub fn load_ca_file(path: &Path) -> Result<Vec<Certificate>, TransportError> {
    let ca_error = |reason: String| TransportError::CaFile {
        path: path.to_path_buf(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| ca_error(e.to_string()))?;
    if !pem
        .windows(b"-----BEGIN CERTIFICATE-----".len())
        .any(|w| w == b"-----BEGIN CERTIFICATE-----")
    {
        return Err(ca_error(
            "it holds no PEM certificate (BEGIN CERTIFICATE)".into(),
        ));
    }
    Certificate::from_pem_bundle(&pem).map_err(|e| ca_error(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn missing_file_is_named() {
        let err = load_ca_file(Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    }

    #[test]
    fn non_pem_file_is_rejected_with_its_name() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(b"not a certificate").unwrap();
        let err = load_ca_file(file.path()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(&file.path().display().to_string()), "{text}");
        assert!(text.contains("no PEM certificate"), "{text}");
    }
}
