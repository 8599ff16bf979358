//! The org's TLS identity: a private CA and a server certificate for `127.0.0.1` and
//! `localhost`, made on first start and kept in the database so clients that trust the CA file
//! keep working across restarts.
//!
//! Why a CA and not one self-signed certificate: Python 3.13's default TLS context and webpki
//! (rustls) both refuse a single self-signed certificate that acts as its own trust anchor and
//! end entity; a CA certificate plus a leaf signed by it satisfies every client. The CA's PEM is
//! what app.config's `cafile` points at.
//!
//! A server allowed to listen on another address (`--allow-remote`) needs that address in its
//! certificate too: when the stored one does not name it, a new identity (CA included) is made
//! for the old names plus the new one. The CA file is rewritten at every start anyway.

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
/// The names the stored certificate covers, comma-separated (absent: the defaults).
const NAMES: &str = "tls.names";

const DEFAULT_NAMES: [&str; 2] = ["127.0.0.1", "localhost"];

fn cert_err(e: impl std::fmt::Display) -> ServerError {
    ServerError::Certificate(e.to_string())
}

/// The identity stored in `store`, made and stored first if there is none.
pub fn load_or_create(store: &Store) -> Result<Identity, ServerError> {
    load_or_create_for(store, None)
}

/// [`load_or_create`], also making a new identity when the stored one does not cover
/// `extra_name` (an IP address or host name clients will use besides the defaults).
pub fn load_or_create_for(
    store: &Store,
    extra_name: Option<&str>,
) -> Result<Identity, ServerError> {
    let mut names: Vec<String> = match store.meta(NAMES)? {
        Some(n) => n.split(',').map(str::to_string).collect(),
        None => DEFAULT_NAMES.iter().map(|n| n.to_string()).collect(),
    };
    let covered = extra_name.is_none_or(|n| names.iter().any(|have| have == n));
    if let (true, Some(ca_pem), Some(cert_pem), Some(key_pem)) = (
        covered,
        store.meta(CA)?,
        store.meta(CERT)?,
        store.meta(KEY)?,
    ) {
        return Ok(Identity {
            ca_pem,
            cert_pem,
            key_pem,
        });
    }
    if let Some(n) = extra_name.filter(|_| !covered) {
        names.push(n.to_string());
    }
    let id = generate(&names)?;
    store.set_meta(CA, &id.ca_pem)?;
    store.set_meta(CERT, &id.cert_pem)?;
    store.set_meta(KEY, &id.key_pem)?;
    store.set_meta(NAMES, &names.join(","))?;
    Ok(id)
}

fn generate(names: &[String]) -> Result<Identity, ServerError> {
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
    let mut leaf = CertificateParams::new(names.to_vec()).map_err(cert_err)?;
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
        // HTTP/1.1 only: the server runs hyper's HTTP/1 connections (see `server::start`).
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}
