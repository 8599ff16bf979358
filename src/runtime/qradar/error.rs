//! The one error type of the QRadar side of the runtime: configuration, inputs and the three
//! clients.
//!
//! Where the integrations raise an exception, the message starts with that exception's exact
//! text (so a result compares with what SOAR shows for the real integration), and may go on with
//! what the integration only wrote to its log, in parentheses. The bracketed numbers in
//! `Query [..] failed with status [1]` and `timed out. Final Status was [2]` are the
//! integration's own internal poll codes (1 = stop on error, 2 = still waiting), kept as is.

use std::path::PathBuf;

use crate::help::Help;

/// Everything that can go wrong between an app.config and a QRadar / QRadar Advisor answer.
#[derive(Debug, thiserror::Error)]
pub enum QradarError {
    /// The app.config itself, or a key the QRadar sections need (see [`crate::appconfig`]).
    #[error(transparent)]
    Config(#[from] crate::appconfig::AppConfigError),
    #[error("{}: section [{section}] is missing", file.display())]
    MissingSection { file: PathBuf, section: String },
    #[error("{}: [{section}] {key} is required", file.display())]
    MissingKey {
        file: PathBuf,
        section: String,
        key: String,
    },
    #[error("verify_cert: cannot use {} as a CA file: {reason}", path.display())]
    CaFile { path: PathBuf, reason: String },
    #[error("[integrations] proxy {proxy:?} is not usable: {reason}")]
    BadProxy { proxy: String, reason: String },

    /// A function input is missing or has a value the integration cannot use.
    #[error("input {input}: {reason}")]
    BadInput { input: String, reason: String },

    /// The `/about` (QRadar Advisor) or `/config/tuning` (CAFM) token bootstrap failed; the
    /// integrations' `CsrfTokenError` / `TacticsTokenError`.
    #[error("Requests to url [{url}] throws exception. Error [{message}]")]
    Token { url: String, message: String },

    /// HTTP 401 on starting an analysis: QRadar Advisor's X-Force credentials or the token.
    #[error("Unauthorized XFE credentials used for the following: Offense analysis for {offense}")]
    XfeCredentials { offense: String },

    /// The analysis could not be started (the integration's `SearchJobFailure`).
    #[error("Failed to create search job for query [{offense}] ({reason})")]
    StartFailed { offense: String, reason: String },

    /// Polling stopped on an error, or fetching the result failed (`SearchFailure`).
    #[error(
        "Query [{search_id}] failed with status [{status}]{}",
        detail_suffix(detail)
    )]
    SearchFailure {
        search_id: String,
        status: String,
        detail: Option<String>,
    },

    /// The analysis did not finish within `offense_analysis_timeout` (`SearchTimeout`).
    #[error(
        "Query [{search_id}] timed out. Final Status was [{status}]{}",
        detail_suffix(detail)
    )]
    SearchTimeout {
        search_id: String,
        status: String,
        detail: Option<String>,
    },

    /// Fetching the offense insights failed (`OffenseInsightsError`).
    #[error("Offense insights using [{url}] throws exception. Error [{message}]")]
    OffenseInsights { url: String, message: String },

    /// Fetching the CAFM mappings failed (`GetAllMappingsError`).
    #[error("Requests to url [{url}] throws exception. Error [{message}]")]
    GetAllMappings { url: String, message: String },

    /// A QRadar reference-set call failed (the QRadar integration's `IntegrationError`).
    #[error("Request to url [{url}] throws exception. Error [{message}]")]
    ReferenceSets { url: String, message: String },
}

fn detail_suffix(detail: &Option<String>) -> String {
    match detail {
        Some(d) => format!(" ({d})"),
        None => String::new(),
    }
}

impl Help for QradarError {
    fn help(&self) -> Option<String> {
        use QradarError::*;
        Some(match self {
            Config(e) => return e.help(),
            // Name the file: "app.config" alone is ambiguous when --config points elsewhere.
            MissingSection { file, section } => format!(
                "add a [{section}] section to {} (keys as the integration documents them), or run without --config to use the emulated QRadar",
                file.display()
            ),
            MissingKey { file, section, .. } => format!(
                "fix the [{section}] section of {} (keys as the integration documents them)",
                file.display()
            ),
            CaFile { .. } => {
                "set verify_cert to a PEM file holding the server's CA certificate, true, or false".into()
            }
            BadProxy { .. } => {
                "set http_proxy / https_proxy in [integrations] to a URL like http://host:3128".into()
            }
            BadInput { .. } => "check the function inputs the workflow passes".into(),
            Token { .. } => {
                "check qradar_host, the app id and the token in app.config, and that the app is running on QRadar".into()
            }
            XfeCredentials { .. } => {
                "check the X-Force credentials configured in QRadar Advisor and qradar_advisor_token".into()
            }
            StartFailed { .. } | SearchFailure { .. } => {
                "check the offense id and the QRadar Advisor app's status on the QRadar console".into()
            }
            SearchTimeout { .. } => {
                "raise offense_analysis_timeout in [fn_qradar_advisor] (0 waits forever)".into()
            }
            OffenseInsights { .. } => "check the offense id and the QRadar Advisor app".into(),
            GetAllMappings { .. } => {
                "check qradar_cafm_app_id and qradar_cafm_token in [fn_qradar_advisor]".into()
            }
            ReferenceSets { .. } => {
                "check host, credentials and verify_cert in [fn_qradar_integration]".into()
            }
        })
    }
}
