//! The SOAR client's TLS configuration: [`crate::tls`], with its errors as [`SoarError`]s.
use std::sync::Arc;

use super::error::SoarError;
use super::settings::Verify;

/// The rustls configuration for `verify`, or `None` for ureq's default (system roots).
pub(crate) fn client_config(
    verify: &Verify,
) -> Result<Option<Arc<rustls::ClientConfig>>, SoarError> {
    crate::tls::client_config(verify).map_err(|e| SoarError::CaFile {
        path: e.path,
        message: e.message,
    })
}
