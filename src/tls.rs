//! TLS client configurations, shared by every HTTPS client respack runs (through
//! [`crate::http`]: the SOAR REST client, the TAXII client, the QRadar and QRadar Advisor
//! clients): one [`Verify`] setting, three behaviours, one crypto provider (*ring*).
//!
//! - `System` trusts Mozilla's roots (`webpki-roots`), as IBM's Python client trusts certifi's.
//! - `CaFile` trusts only the certificates of one PEM file, as resilient-circuits' `cafile`
//!   does. Admins make a self-signed SOAR certificate with `openssl req -x509`, which marks it
//!   `CA:TRUE`; webpki refuses such a certificate as the server's own (`CaUsedAsEndEntity`)
//!   while OpenSSL (IBM's client, curl) accepts it. So a server certificate that *is* one of
//!   the file's certificates is accepted when it is valid for the host name (its validity
//!   period has been checked by then); everything else goes through webpki unchanged.
//! - `Off` accepts any certificate but still checks that the handshake is signed by it, so the
//!   only thing skipped is the question of who the server is.
//!
//! [`problem`] reads a failed handshake's typed error, so that each client's help line names
//! the real cause (untrusted issuer, host name, expiry) instead of always blaming `cafile`.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

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

/// Why a server's certificate was refused, read from rustls's typed error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// Not signed by anything trusted (a wrong `cafile`, or none for a private CA).
    Untrusted,
    /// Trusted, but not made for the host name the client connected to.
    Name,
    /// Trusted, but outside its validity period (expired, or not yet valid).
    Expired,
    /// Any other handshake failure (protocol, algorithms).
    Other,
}

/// Every certificate in a PEM text (rustls-pki-types' parser), in order.
pub fn pem_certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not a PEM file: {e}"))
}

/// The rustls configuration for `verify`.
pub fn client_config(verify: &Verify) -> Result<Arc<rustls::ClientConfig>, CaFileError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let setup_error = |e: rustls::Error| CaFileError {
        path: "(TLS setup)".into(),
        message: e.to_string(),
    };
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(setup_error)?;
    let config = match verify {
        Verify::System => {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        Verify::CaFile(path) => {
            let ca_err = |message: String| CaFileError {
                path: path.clone(),
                message,
            };
            let pem = std::fs::read(path).map_err(|e| ca_err(e.to_string()))?;
            let certs = pem_certificates(&pem).map_err(ca_err)?;
            let mut roots = rustls::RootCertStore::empty();
            for cert in &certs {
                roots
                    .add(cert.clone())
                    .map_err(|e| ca_err(format!("a certificate cannot be used: {e}")))?;
            }
            if roots.is_empty() {
                return Err(ca_err(
                    "no PEM certificate (BEGIN CERTIFICATE) in it".into(),
                ));
            }
            let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| ca_err(format!("cannot build a verifier: {e}")))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(CaFileVerifier {
                    webpki,
                    pinned: certs,
                }))
                .with_no_client_auth()
        }
        Verify::Off => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// Why the handshake failed, when `error` is a certificate refusal.
pub fn problem(error: &rustls::Error) -> Problem {
    match error {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                Problem::Name
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => Problem::Expired,
            _ => Problem::Untrusted,
        },
        _ => Problem::Other,
    }
}

/// `Verify::CaFile`: webpki against the file's certificates, plus the server's own self-signed
/// `CA:TRUE` certificate when it is one of them.
#[derive(Debug)]
struct CaFileVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    /// The file's certificates, compared byte for byte with the server's.
    pinned: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for CaFileVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(e) if is_ca_used_as_end_entity(&e) && self.is_pinned(end_entity) => {
                // webpki checks the validity period before the basic constraints, so the
                // certificate is current; what is left is the name, as for any certificate.
                let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
                rustls::client::verify_server_name(&parsed, server_name)?;
                Ok(ServerCertVerified::assertion())
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

impl CaFileVerifier {
    fn is_pinned(&self, cert: &CertificateDer<'_>) -> bool {
        self.pinned.iter().any(|p| p.as_ref() == cert.as_ref())
    }
}

fn is_ca_used_as_end_entity(e: &rustls::Error) -> bool {
    match e {
        rustls::Error::InvalidCertificate(CertificateError::Other(other)) => {
            other.0.downcast_ref::<webpki::Error>() == Some(&webpki::Error::CaUsedAsEndEntity)
        }
        _ => false,
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
