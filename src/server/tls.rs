//! The org's TLS identity: a private CA and a server certificate for `127.0.0.1` and
//! `localhost`, made on first start and kept in the database so clients that trust the CA file
//! keep working across restarts.
//!
//! Why a CA and not one self-signed certificate: Python 3.13's default TLS context and webpki
//! (rustls) both refuse a single self-signed certificate that acts as its own trust anchor and
//! end entity; a CA certificate plus a leaf signed by it satisfies every client. The CA's PEM is
//! what app.config's `cafile` points at.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

use super::error::ServerError;
use super::store::Store;

/// PEM texts of the CA, the server certificate and its private key.
#[derive(Clone)]
pub struct Identity {
    pub ca_pem: String,
    pub cert_pem: String,
    key_pem: String,
}

const CA: &str = "tls.ca_pem";
const CERT: &str = "tls.cert_pem";
const KEY: &str = "tls.key_pem";

fn cert_err(e: impl std::fmt::Display) -> ServerError {
    ServerError::Certificate(e.to_string())
}

/// The identity stored in `store`, made and stored first if there is none.
pub fn load_or_create(store: &Store) -> Result<Identity, ServerError> {
    if let (Some(ca_pem), Some(cert_pem), Some(key_pem)) =
        (store.meta(CA)?, store.meta(CERT)?, store.meta(KEY)?)
    {
        return Ok(Identity {
            ca_pem,
            cert_pem,
            key_pem,
        });
    }
    let id = generate()?;
    store.set_meta(CA, &id.ca_pem)?;
    store.set_meta(CERT, &id.cert_pem)?;
    store.set_meta(KEY, &id.key_pem)?;
    Ok(id)
}

fn generate() -> Result<Identity, ServerError> {
    let ca_key = KeyPair::generate().map_err(cert_err)?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(cert_err)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "respack reference org CA");
    dn.push(DnType::OrganizationName, "respack");
    ca.distinguished_name = dn;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key).map_err(cert_err)?;

    let key = KeyPair::generate().map_err(cert_err)?;
    let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .map_err(cert_err)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "localhost");
    leaf.distinguished_name = dn;
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.use_authority_key_identifier_extension = true;
    let cert = leaf.signed_by(&key, &ca_cert, &ca_key).map_err(cert_err)?;
    Ok(Identity {
        ca_pem: ca_cert.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

impl Identity {
    /// The rustls server configuration serving the certificate chain (leaf, then CA).
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, ServerError> {
        let mut chain = Vec::new();
        for pem in [&self.cert_pem, &self.ca_pem] {
            chain.extend(crate::tls::pem_certificates(pem.as_bytes()).map_err(cert_err)?);
        }
        let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes())
            .map_err(|e| cert_err(format!("the stored private key cannot be read: {e}")))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(cert_err)?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(cert_err)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}
