//! Settings of the QRadar functions, read from the app.config sections the integrations
//! themselves read: `[fn_qradar_advisor]` (QRadar Advisor 2.0) and `[fn_qradar_integration]`
//! (QRadar integration 2.0).
//!
//! Keys and defaults follow the integrations. Our own optional keys (the integrations ignore
//! them, so one app.config serves both):
//!
//! | section | key | meaning |
//! |---|---|---|
//! | `fn_qradar_advisor` | `api_prefix` | `investigations/offense` (QRadar Advisor 2.0.2+, default) or `offense` (2.0 and 2.0.1) |
//! | both | `http_timeout` | seconds one HTTP request may take (default 60) |
//! | both | `verify_cert` | besides `false`/`true`, a path to a PEM CA file (for `[fn_qradar_advisor]` the integration only knows `false`) |
//!
//! Proxies come from `[integrations]` `http_proxy` / `https_proxy` (chosen by the host's
//! scheme), as resilient_lib gives them to QRadar Advisor 2.0.2+.
//!
//! `offense_analysis_timeout` and `offense_analysis_period` also accept decimals (the
//! integration reads whole seconds), so tests can poll fast.
//!
//! The file is read by [`crate::appconfig`], with resilient-circuits' rules.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::QradarError;
use crate::appconfig::{self, Section, Vars};

/// Section of QRadar Advisor's settings.
pub const ADVISOR_SECTION: &str = "fn_qradar_advisor";
/// Section of the QRadar integration's settings.
pub const QRADAR_SECTION: &str = "fn_qradar_integration";

const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(60);

pub use crate::secret::Secret;
pub use crate::tls::Verify;

/// The id of a QRadar app (QRadar Advisor, CAFM) in `/console/plugins/{id}/app_proxy`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AppId(pub String);

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Verify {
    /// `verify_cert` as the integrations read it: only the exact string `false` disables
    /// verification (the QRadar integration also accepts any case); `true` (any case) or an
    /// empty value keeps it on; anything else is a CA file path, relative to the app.config.
    fn parse(value: Option<&str>, any_case_false: bool, base: &Path) -> Verify {
        match value.map(str::trim) {
            None | Some("") => Verify::System,
            Some("false") => Verify::Off,
            Some(v) if any_case_false && v.eq_ignore_ascii_case("false") => Verify::Off,
            Some(v) if v.eq_ignore_ascii_case("true") => Verify::System,
            Some(v) => Verify::CaFile(base.join(v)),
        }
    }
}

/// Which generation of the QRadar Advisor offense API to call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApiPrefix {
    /// `/offense/{id}/...`: QRadar Advisor 2.0 and 2.0.1.
    Offense,
    /// `/investigations/offense/{id}/...`: QRadar Advisor 2.0.2 and later.
    #[default]
    InvestigationsOffense,
}

impl ApiPrefix {
    /// The path segment(s) after `.../app_proxy/api/`, without slashes.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiPrefix::Offense => "offense",
            ApiPrefix::InvestigationsOffense => "investigations/offense",
        }
    }

    pub fn parse(value: &str) -> Option<ApiPrefix> {
        match value.trim().trim_matches('/') {
            "offense" => Some(ApiPrefix::Offense),
            "investigations/offense" => Some(ApiPrefix::InvestigationsOffense),
            _ => None,
        }
    }
}

/// How long and how often to poll an analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Polling {
    /// `None` waits forever (`offense_analysis_timeout = 0`).
    pub timeout: Option<Duration>,
    pub period: Duration,
}

impl Default for Polling {
    fn default() -> Self {
        Polling {
            timeout: Some(Duration::from_secs(1200)),
            period: Duration::from_secs(5),
        }
    }
}

/// `[fn_qradar_advisor]`: QRadar Advisor and its CAFM (MITRE mapping) app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisorConfig {
    /// `qradar_host` with a scheme (`https://` added when the file has none, as 2.0.2+ does).
    pub host: String,
    pub advisor_app_id: AppId,
    pub advisor_token: Secret,
    /// Needed by map rule only, so checked when that function runs.
    pub cafm_app_id: Option<AppId>,
    pub cafm_token: Option<Secret>,
    pub verify: Verify,
    pub polling: Polling,
    pub api_prefix: ApiPrefix,
    pub http_timeout: Duration,
    /// Proxy URL from `[integrations]`, for this host's scheme.
    pub proxy: Option<String>,
}

/// How the QRadar integration authenticates to QRadar's REST API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QradarAuth {
    /// `username` + `qradarpassword`: HTTP Basic (wins when a token is also set).
    Basic { username: String, password: Secret },
    /// `qradartoken`: the `SEC` header.
    Token(Secret),
}

/// `[fn_qradar_integration]`: QRadar's own REST API (reference sets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QradarConfig {
    /// `host` with a scheme (`https://` added when the file has none).
    pub host: String,
    pub auth: QradarAuth,
    pub verify: Verify,
    pub http_timeout: Duration,
    /// Proxy URL from `[integrations]`, for this host's scheme.
    pub proxy: Option<String>,
}

/// The QRadar sections of one app.config; a section the file lacks is `None`, and the function
/// needing it fails with a message naming it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppConfig {
    pub file: PathBuf,
    pub advisor: Option<AdvisorConfig>,
    pub qradar: Option<QradarConfig>,
}

impl AppConfig {
    /// Read `path` (an app.config as resilient-circuits reads it); `vars` serve `$NAME` values.
    pub fn load(path: &Path, vars: &Vars) -> Result<AppConfig, QradarError> {
        AppConfig::from_config(&appconfig::AppConfig::read(path, vars)?)
    }

    /// Parse app.config text that names no environment variable (the emulation's, a test's);
    /// `file` names it in errors and anchors relative CA paths.
    pub fn parse(text: &str, file: &Path) -> Result<AppConfig, QradarError> {
        AppConfig::from_config(&appconfig::AppConfig::parse(file, text, &Vars::none())?)
    }

    /// The QRadar sections of an app.config already read.
    pub fn from_config(config: &appconfig::AppConfig) -> Result<AppConfig, QradarError> {
        let file = config.file();
        let base = file.parent().unwrap_or(Path::new(".")).to_path_buf();
        let integrations = config.section("integrations");
        let proxy = |key: &str| -> Result<Option<String>, QradarError> {
            Ok(match &integrations {
                Some(s) => s.optional(key)?.map(String::from),
                None => None,
            })
        };
        let proxies = Proxies {
            http: proxy("http_proxy")?,
            https: proxy("https_proxy")?,
        };
        Ok(AppConfig {
            file: file.to_path_buf(),
            advisor: config
                .section(ADVISOR_SECTION)
                .map(|s| AdvisorConfig::from_section(&s, &base, &proxies))
                .transpose()?,
            qradar: config
                .section(QRADAR_SECTION)
                .map(|s| QradarConfig::from_section(&s, &base, &proxies))
                .transpose()?,
        })
    }

    /// `[fn_qradar_advisor]`, or an error naming the file and the section.
    pub fn advisor(&self) -> Result<&AdvisorConfig, QradarError> {
        self.advisor
            .as_ref()
            .ok_or_else(|| QradarError::MissingSection {
                file: self.file.clone(),
                section: ADVISOR_SECTION.into(),
            })
    }

    /// `[fn_qradar_integration]`, or an error naming the file and the section.
    pub fn qradar(&self) -> Result<&QradarConfig, QradarError> {
        self.qradar
            .as_ref()
            .ok_or_else(|| QradarError::MissingSection {
                file: self.file.clone(),
                section: QRADAR_SECTION.into(),
            })
    }
}

/// `[integrations]` proxies, one per target scheme as `requests` picks them.
struct Proxies {
    http: Option<String>,
    https: Option<String>,
}

impl Proxies {
    fn for_host(&self, host: &str) -> Option<String> {
        if host.starts_with("https://") {
            self.https.clone()
        } else {
            self.http.clone()
        }
    }
}

/// Seconds, whole or decimal, not negative.
fn seconds(s: &Section<'_>, key: &str, default: Duration) -> Result<Duration, QradarError> {
    match s.optional(key)? {
        None => Ok(default),
        Some(v) => v
            .parse::<f64>()
            .ok()
            .filter(|secs| secs.is_finite() && *secs >= 0.0)
            .map(Duration::from_secs_f64)
            .ok_or_else(|| s.bad(key, v, "expected a number of seconds").into()),
    }
}

/// A host as the integrations take it: `https://` is assumed when no scheme is given; a
/// trailing slash is dropped so paths can be appended.
fn with_scheme(host: &str) -> String {
    let host = host.trim().trim_end_matches('/');
    if host.starts_with("http://") || host.starts_with("https://") {
        host.to_string()
    } else {
        format!("https://{host}")
    }
}

impl AdvisorConfig {
    fn from_section(
        s: &Section<'_>,
        base: &Path,
        proxies: &Proxies,
    ) -> Result<AdvisorConfig, QradarError> {
        let timeout = seconds(s, "offense_analysis_timeout", Duration::from_secs(1200))?;
        let polling = Polling {
            timeout: (!timeout.is_zero()).then_some(timeout),
            period: seconds(s, "offense_analysis_period", Duration::from_secs(5))?,
        };
        let api_prefix = match s.optional("api_prefix")? {
            None => ApiPrefix::default(),
            Some(v) => ApiPrefix::parse(v).ok_or_else(|| {
                s.bad(
                    "api_prefix",
                    v,
                    "expected offense or investigations/offense",
                )
            })?,
        };
        let host = with_scheme(s.required("qradar_host")?);
        Ok(AdvisorConfig {
            proxy: proxies.for_host(&host),
            host,
            advisor_app_id: AppId(s.required("qradar_advisor_app_id")?.into()),
            advisor_token: Secret::new(s.required("qradar_advisor_token")?),
            cafm_app_id: s.optional("qradar_cafm_app_id")?.map(|v| AppId(v.into())),
            cafm_token: s.optional("qradar_cafm_token")?.map(Secret::new),
            verify: Verify::parse(s.get("verify_cert")?, false, base),
            polling,
            api_prefix,
            http_timeout: seconds(s, "http_timeout", DEFAULT_HTTP_TIMEOUT)?,
        })
    }
}

impl QradarConfig {
    fn from_section(
        s: &Section<'_>,
        base: &Path,
        proxies: &Proxies,
    ) -> Result<QradarConfig, QradarError> {
        let auth = match (
            s.optional("username")?,
            s.optional("qradarpassword")?,
            s.optional("qradartoken")?,
        ) {
            (Some(user), Some(password), _) => QradarAuth::Basic {
                username: user.into(),
                password: Secret::new(password),
            },
            (_, _, Some(token)) => QradarAuth::Token(Secret::new(token)),
            _ => {
                return Err(s
                    .missing("qradartoken (or username and qradarpassword)")
                    .into())
            }
        };
        let host = with_scheme(s.required("host")?);
        Ok(QradarConfig {
            proxy: proxies.for_host(&host),
            host,
            auth,
            verify: Verify::parse(s.get("verify_cert")?, true, base),
            http_timeout: seconds(s, "http_timeout", DEFAULT_HTTP_TIMEOUT)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<AppConfig, QradarError> {
        AppConfig::parse(text, Path::new("/etc/res/app.config"))
    }

    const FULL: &str = "[resilient]\nhost = soar\n\n[fn_qradar_advisor]\nQRADAR_HOST = qradar.example:8443/\nqradar_advisor_token = tok#1\nqradar_advisor_app_id = 1301\nqradar_cafm_token = cafm\nqradar_cafm_app_id = 1051\nverify_cert = false\noffense_analysis_timeout = 0\noffense_analysis_period = 0.5\napi_prefix = /offense/\n\n[fn_qradar_integration]\nhost = https://qradar.example\nusername = admin\nqradarpassword = pw\nqradartoken = t\nverify_cert = ca.pem\n";

    #[test]
    fn reads_both_sections_like_the_integrations() {
        let cfg = parse(FULL).unwrap();
        let a = cfg.advisor().unwrap();
        assert_eq!(a.host, "https://qradar.example:8443");
        // No inline comments: a '#' inside a token is part of it, as in Python's configparser.
        assert_eq!(a.advisor_token.expose(), "tok#1");
        assert_eq!(a.advisor_app_id, AppId("1301".into()));
        assert_eq!(a.cafm_app_id, Some(AppId("1051".into())));
        assert_eq!(a.verify, Verify::Off);
        assert_eq!(a.polling.timeout, None);
        assert_eq!(a.polling.period, Duration::from_millis(500));
        assert_eq!(a.api_prefix, ApiPrefix::Offense);
        let q = cfg.qradar().unwrap();
        assert!(matches!(&q.auth, QradarAuth::Basic { username, .. } if username == "admin"));
        assert_eq!(q.verify, Verify::CaFile(PathBuf::from("/etc/res/ca.pem")));
        assert_eq!(a.proxy, None);
    }

    #[test]
    fn proxies_come_from_integrations_by_scheme() {
        let text = "[integrations]\nhttp_proxy = http://p:3128\nhttps_proxy = http://sp:3128\n[fn_qradar_advisor]\nqradar_host=h\nqradar_advisor_token=t\nqradar_advisor_app_id=1\n[fn_qradar_integration]\nhost=http://q\nqradartoken=t\n";
        let cfg = parse(text).unwrap();
        assert_eq!(
            cfg.advisor().unwrap().proxy.as_deref(),
            Some("http://sp:3128")
        );
        assert_eq!(
            cfg.qradar().unwrap().proxy.as_deref(),
            Some("http://p:3128")
        );
    }

    #[test]
    fn defaults_follow_the_integration() {
        let cfg = parse(
            "[fn_qradar_advisor]\nqradar_host=h\nqradar_advisor_token=t\nqradar_advisor_app_id=1\n",
        )
        .unwrap();
        let a = cfg.advisor().unwrap();
        assert_eq!(a.polling, Polling::default());
        assert_eq!(a.api_prefix, ApiPrefix::InvestigationsOffense);
        assert_eq!(a.verify, Verify::System);
        assert_eq!(a.cafm_token, None);
        assert!(cfg.qradar.is_none());
        let err = cfg.qradar().unwrap_err().to_string();
        assert!(err.contains("[fn_qradar_integration] is missing"), "{err}");
    }

    #[test]
    fn only_exact_false_disables_verification_for_the_advisor() {
        let base = Path::new("/x");
        assert_eq!(Verify::parse(Some("false"), false, base), Verify::Off);
        assert_eq!(Verify::parse(Some("True"), false, base), Verify::System);
        assert_eq!(
            Verify::parse(Some("FALSE"), false, base),
            Verify::CaFile(PathBuf::from("/x/FALSE"))
        );
        assert_eq!(Verify::parse(Some("FALSE"), true, base), Verify::Off);
    }

    #[test]
    fn missing_and_bad_keys_name_file_section_and_key() {
        let err = parse("[fn_qradar_advisor]\nqradar_host=h\nqradar_advisor_app_id=1\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "/etc/res/app.config: [fn_qradar_advisor] qradar_advisor_token is required"
        );
        let err = parse("[fn_qradar_advisor]\nqradar_host=h\nqradar_advisor_token=t\nqradar_advisor_app_id=1\noffense_analysis_period=soon\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("offense_analysis_period = \"soon\""), "{err}");
        let err = parse("[fn_qradar_integration]\nhost=h\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("qradartoken"), "{err}");
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let cfg = parse(FULL).unwrap();
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("tok#1") && !shown.contains("pw"), "{shown}");
    }

    #[test]
    fn qradar_sections_go_through_the_one_reader() {
        // A BOM, a token from the environment, CRLF lines: read as resilient-circuits reads them.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.config");
        std::fs::write(
            &path,
            "\u{feff}[fn_qradar_advisor]\r\nqradar_host = h\r\nqradar_advisor_token = $QRA_TOKEN\r\nqradar_advisor_app_id = 7\r\n",
        )
        .unwrap();
        let vars: Vars = [("QRA_TOKEN", "from-env#1")].into_iter().collect();
        let cfg = AppConfig::load(&path, &vars).unwrap();
        assert_eq!(cfg.advisor().unwrap().advisor_token.expose(), "from-env#1");

        let e = AppConfig::load(&path, &Vars::none())
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with("app.config:3: [fn_qradar_advisor] qradar_advisor_token refers to the environment variable QRA_TOKEN, which is not set"),
            "{e}"
        );
        let e = parse("[fn_qradar_integration]\nhost = a\nqradartoken = t\nHost = b\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "/etc/res/app.config:4: [fn_qradar_integration] host is given twice (first on line 2)"
        );
    }
}
