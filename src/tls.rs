//! TLS client configurations, shared by every HTTPS client respack runs (the SOAR REST client,
//! the QRadar and QRadar Advisor clients): one [`Verify`] setting, three behaviours.
//!
//! `System` uses ureq's own configuration (Mozilla roots, *ring*). `CaFile` trusts only the
//! certificates of one PEM file, as resilient-circuits' `cafile` does for a self-signed SOAR.
//! `Off` accepts any certificate but still checks that the handshake is signed by it, so the
//! only thing skipped is the question of who the server is.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// How a server's TLS certificate is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verify {
    /// The bundled Mozilla roots.
    System,
    /// Only the certificates in this PEM file (a self-signed SOAR, `respack serve`).
    CaFile(PathBuf),
    /// No check at all (`cafile = false`, `verify_cert = false`).
    Off,
}

/// A CA file that cannot be used; each client wraps it in its own error with its own help line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaFileError {
    pub path: PathBuf,
    pub message: String,
}

/// The rustls configuration for `verify`, or `None` for ureq's default (Mozilla roots).
pub fn client_config(verify: &Verify) -> Result<Option<Arc<rustls::ClientConfig>>, CaFileError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let setup_error = |e: rustls::Error| CaFileError {
        path: "(TLS setup)".into(),
        message: e.to_string(),
    };
    match verify {
        Verify::System => Ok(None),
        Verify::CaFile(path) => {
            let ca_err = |message: String| CaFileError {
                path: path.clone(),
                message,
            };
            let pem = std::fs::read(path).map_err(|e| ca_err(e.to_string()))?;
            let mut roots = rustls::RootCertStore::empty();
            for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
                let cert = cert.map_err(|e| ca_err(format!("not a PEM file: {e}")))?;
                roots
                    .add(cert)
                    .map_err(|e| ca_err(format!("a certificate cannot be used: {e}")))?;
            }
            if roots.is_empty() {
                return Err(ca_err(
                    "no PEM certificate (BEGIN CERTIFICATE) in it".into(),
                ));
            }
            let builder = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(setup_error)?;
            Ok(Some(Arc::new(
                builder.with_root_certificates(roots).with_no_client_auth(),
            )))
        }
        Verify::Off => {
            let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .map_err(setup_error)?;
            Ok(Some(Arc::new(
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
                    .with_no_client_auth(),
            )))
        }
    }
}

/// `Verify::Off`: trust whatever certificate the server shows.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
