//! The data server's TLS: a certificate made for this session (`rcgen`),
//! whose SHA-256 executors pin (it travels in the lease grants), so no CA
//! is involved and nothing on the way can read or change rows, results or
//! the channel's messages.

use std::io;
use std::sync::Arc;

use rmesos_common::pinned_tls::{crypto_provider, sha256_hex};
use rustls::ServerConfig;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// The name in the certificate. Clients check the pin, not the name.
const CERTIFICATE_NAME: &str = "rmesos-data-server";

/// The session's certificate and the server side of TLS with it.
#[derive(Clone)]
pub(crate) struct SessionCertificate {
    /// Lowercase hex SHA-256 of the certificate's DER.
    pub(crate) sha256: String,
    pub(crate) server_config: Arc<ServerConfig>,
}

impl std::fmt::Debug for SessionCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SessionCertificate({})", self.sha256)
    }
}

impl SessionCertificate {
    /// A fresh key pair and self-signed certificate.
    pub(crate) fn generate() -> io::Result<SessionCertificate> {
        let certified = rcgen::generate_simple_self_signed(vec![CERTIFICATE_NAME.to_owned()])
            .map_err(|e| io::Error::other(format!("making the data server's certificate: {e}")))?;
        let cert = certified.cert.der().clone();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            certified.signing_key.serialize_der(),
        ));
        let sha256 = sha256_hex(cert.as_ref());
        let mut server_config = ServerConfig::builder_with_provider(crypto_provider())
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .map_err(|e| io::Error::other(format!("using the data server's certificate: {e}")))?;
        server_config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(SessionCertificate {
            sha256,
            server_config: Arc::new(server_config),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_session_gets_its_own_certificate() {
        let a = SessionCertificate::generate().unwrap();
        let b = SessionCertificate::generate().unwrap();
        assert_eq!(a.sha256.len(), 64);
        assert_ne!(a.sha256, b.sha256);
    }
}
