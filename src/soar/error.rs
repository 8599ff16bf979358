//! Everything that can go wrong between respack and a SOAR org, worded for the person who has
//! to fix it: each error names the call (method and path, never the credentials), the server's
//! status and its own message, and its `help` line names the setting to check.

use std::path::PathBuf;

use crate::help::Help;

/// Which settings a network error points at; carried by the error so that its `help` line can
/// name the file and variables that were actually used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    /// The app.config the settings came from, if any.
    pub file: Option<PathBuf>,
    /// The host name connected to (a certificate that does not name it is the host's fault,
    /// not the CA file's).
    pub host: String,
    /// Whether the client authenticates with an API key (else email/password).
    pub api_key: bool,
    /// Whether a CA file was configured (a TLS failure then points at it).
    pub cafile: bool,
    /// Whether a proxy was configured (a connection failure then points at it too).
    pub proxy: bool,
}

impl Hint {
    fn file(&self) -> String {
        match &self.file {
            Some(p) => p.display().to_string(),
            None => "app.config".to_string(),
        }
    }

    fn credentials(&self) -> String {
        if self.api_key {
            format!(
                "check api_key_id/api_key_secret in [resilient] of {} (or RESPACK_API_KEY_ID/RESPACK_API_KEY_SECRET)",
                self.file()
            )
        } else {
            format!(
                "check email/password in [resilient] of {} (or RESPACK_EMAIL/RESPACK_PASSWORD)",
                self.file()
            )
        }
    }
}

pub use crate::http::TransportKind;

/// Errors of the SOAR client and its settings.
#[derive(Debug, thiserror::Error)]
pub enum SoarError {
    /// The app.config cannot be read, or a value it names is unset ([`crate::appconfig`]).
    #[error(transparent)]
    Config(#[from] crate::appconfig::AppConfigError),

    #[error("missing setting `{setting}` for the SOAR connection{}", if *file_read { format!(" (not in {})", file.display()) } else { String::new() })]
    MissingSetting {
        setting: &'static str,
        /// The app.config read, or the default path when none was found.
        file: PathBuf,
        /// Whether `file` was actually read (else it does not exist).
        file_read: bool,
    },

    #[error("invalid setting `{setting}` = {value:?}{}: {reason}", file.as_ref().map(|f| format!(" in {}", f.display())).unwrap_or_default())]
    InvalidSetting {
        setting: &'static str,
        /// The offending value; never a secret (secret values are not validated).
        value: String,
        reason: String,
        file: Option<PathBuf>,
    },

    #[error("cannot use the CA file {}: {message}", path.display())]
    CaFile { path: PathBuf, message: String },

    #[error("{method} {path}: HTTP {status} {reason}{}", if message.is_empty() { String::new() } else { format!(": {message}") })]
    Http {
        method: &'static str,
        /// URL path and query; holds no credentials.
        path: String,
        status: u16,
        reason: String,
        /// The server's own message (its JSON `message`/`title`, or the body text), shortened
        /// and scrubbed of any configured secret.
        message: String,
        hint: Box<Hint>,
    },

    #[error("{method} {url}: {kind}: {message}")]
    Transport {
        method: &'static str,
        /// `https://host:port/path`, without credentials.
        url: String,
        kind: TransportKind,
        message: String,
        hint: Box<Hint>,
    },

    #[error("{}; orgs this account can use: {}", match wanted { Some(w) => format!("no org matches {w:?}"), None => "no org configured".to_string() }, if available.is_empty() { "(none)".to_string() } else { available.join(", ") })]
    NoOrg {
        wanted: Option<String>,
        available: Vec<String>,
        hint: Box<Hint>,
    },

    #[error("org {name:?} is disabled for this account (an IP or authentication-provider restriction of the org)")]
    OrgDisabled { name: String, hint: Box<Hint> },

    #[error("{method} {path}: unexpected response: {message}")]
    BadResponse {
        method: &'static str,
        path: String,
        message: String,
    },

    #[error("the server did not accept the import for review: status {status:?} instead of \"PENDING\"{}", messages.iter().map(|m| format!("\n  {m}")).collect::<String>())]
    ImportNotPending {
        status: String,
        /// The DTO's `messages`, as `type: text`.
        messages: Vec<String>,
    },
}

impl SoarError {
    /// The HTTP status, when the server answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            SoarError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// `RESPACK_*` variable and flag for a setting, for the "missing setting" help line.
fn env_and_flag(setting: &str) -> (&'static str, Option<&'static str>) {
    match setting {
        "host" => ("RESPACK_HOST", Some("--host")),
        "port" => ("RESPACK_PORT", Some("--port")),
        "org" => ("RESPACK_ORG", Some("--org")),
        "api_key_id" => ("RESPACK_API_KEY_ID", Some("--api-key-id")),
        "api_key_secret" => ("RESPACK_API_KEY_SECRET", None),
        "email" => ("RESPACK_EMAIL", Some("--email")),
        "password" => ("RESPACK_PASSWORD", None),
        "cafile" => ("RESPACK_CAFILE", Some("--cafile")),
        "timeout" => ("RESPACK_TIMEOUT", Some("--timeout")),
        _ => ("", None),
    }
}

impl Help for SoarError {
    fn help(&self) -> Option<String> {
        Some(match self {
            SoarError::Config(crate::appconfig::AppConfigError::Read { .. }) => {
                "fix the file, or give another one with --config / RESPACK_CONFIG".to_string()
            }
            SoarError::Config(e) => return e.help(),
            SoarError::MissingSetting {
                setting,
                file,
                file_read,
            } => {
                let (env, flag) = env_and_flag(setting);
                let place = if *file_read {
                    format!("add `{setting} = ...` to [resilient] in {}", file.display())
                } else {
                    format!(
                        "write an app.config at {} with `{setting} = ...` in [resilient] (or pass --config FILE)",
                        file.display()
                    )
                };
                let extra = if *setting == "api_key_id" {
                    " (or email and password)"
                } else {
                    ""
                };
                match flag {
                    Some(flag) => format!("{place}{extra}, or set {env}, or pass {flag}"),
                    None => format!("{place}{extra}, or set {env}"),
                }
            }
            SoarError::InvalidSetting { setting, .. } => {
                let (env, _) = env_and_flag(setting);
                if env.is_empty() {
                    format!("correct `{setting}` in the app.config")
                } else {
                    format!("correct `{setting}` in the app.config or {env}")
                }
            }
            SoarError::CaFile { .. } => {
                "point cafile (RESPACK_CAFILE, --cafile) at a PEM file holding the server's certificate or its CA".to_string()
            }
            SoarError::Http { status, hint, .. } => match status {
                401 => hint.credentials(),
                403 => format!(
                    "the {} has no permission for this in the org: check its role and permissions, and `org` in {}",
                    if hint.api_key { "API key" } else { "user" },
                    hint.file()
                ),
                404 => format!(
                    "check host/port in {} point at SOAR, and that the object exists",
                    hint.file()
                ),
                409 => "the object changed on the server meanwhile; run the command again".to_string(),
                429 | 500..=599 => "the server is busy or failing; try again later, or ask its administrator".to_string(),
                _ => "the server refused the request; its message above says why".to_string(),
            },
            SoarError::Transport { kind, hint, .. } => match kind {
                TransportKind::Dns => format!("check host in {} (RESPACK_HOST, --host)", hint.file()),
                TransportKind::Connect | TransportKind::Io => format!(
                    "check host and port in {} (RESPACK_HOST/RESPACK_PORT){} and that SOAR is reachable",
                    hint.file(),
                    if hint.proxy { " and the proxy settings" } else { "" }
                ),
                TransportKind::Proxy => format!(
                    "check the proxy settings in {} ([integrations] https_proxy or [resilient] proxy_host/proxy_port)",
                    hint.file()
                ),
                TransportKind::Tls => {
                    if hint.cafile {
                        format!(
                            "check cafile in {} (RESPACK_CAFILE): it must hold the server's certificate or its CA",
                            hint.file()
                        )
                    } else {
                        format!(
                            "set cafile in {} (RESPACK_CAFILE) to the server's certificate or its CA",
                            hint.file()
                        )
                    }
                }
                TransportKind::CertificateName => format!(
                    "{}; host in {} (RESPACK_HOST, --host) must be a name the certificate lists",
                    crate::http::name_help(&hint.host),
                    hint.file()
                ),
                TransportKind::CertificateExpired => crate::http::expiry_help(&hint.host),
                TransportKind::Timeout => format!(
                    "raise `timeout` (seconds) in [resilient] of {} (RESPACK_TIMEOUT, --timeout), or check the server is up",
                    hint.file()
                ),
            },
            SoarError::NoOrg { hint, .. } => format!(
                "set org in [resilient] of {} (RESPACK_ORG, --org) to one of the names listed",
                hint.file()
            ),
            SoarError::OrgDisabled { hint, .. } => format!(
                "ask the org's administrator, or choose another org in {} (RESPACK_ORG, --org)",
                hint.file()
            ),
            SoarError::BadResponse { .. } => {
                "check host/port point at a SOAR server; the answer was not what SOAR sends".to_string()
            }
            SoarError::ImportNotPending { .. } => {
                "nothing was imported; read the server's messages above".to_string()
            }
        })
    }
}
