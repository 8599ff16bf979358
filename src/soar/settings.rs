//! Connection settings: what an app.config `[resilient]` section says, overridden by values
//! given outside the file (environment variables and flags, already merged by the CLI).
//!
//! The file is read the way resilient-circuits reads it: keys are case-insensitive, `#` and `;`
//! start whole-line comments only (a password may contain either), and a value written as
//! `$NAME` or `${NAME}` is taken from the environment. Every setting remembers nothing about
//! where it came from except the file's path, which the errors name so the user knows what to
//! edit.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::SoarError;

pub use crate::secret::Secret;
pub use crate::tls::Verify;

/// How the client proves who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// HTTP Basic `id:secret` on every request (preferred by IBM).
    ApiKey { id: String, secret: Secret },
    /// A session opened with `POST /rest/session`; later calls carry its cookie and CSRF token.
    Password { email: String, password: Secret },
}

/// An HTTP CONNECT proxy between the client and SOAR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    /// `host:port` (an `http://` prefix is accepted and dropped).
    pub address: String,
    pub user: Option<String>,
    pub password: Option<Secret>,
}

/// How long the client waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To open the TCP connection.
    pub connect: Duration,
    /// For each read of the response (a full org export can take a while to produce).
    pub read: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            read: Duration::from_secs(120),
        }
    }
}

/// How idempotent calls are retried: the one policy of [`crate::http`].
pub use crate::http::RetryPolicy;

/// Everything [`crate::soar::Client::connect`] needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Host name or IP address, without scheme or port.
    pub host: String,
    pub port: u16,
    /// Cloud account, uuid or name of the org; `None` makes `connect` list the orgs available.
    pub org: Option<String>,
    pub auth: Auth,
    pub verify: Verify,
    pub proxy: Option<Proxy>,
    pub timeouts: Timeouts,
    pub retry: RetryPolicy,
    /// The app.config the settings were read from, if one was read; errors name it.
    pub config_file: Option<PathBuf>,
}

impl Settings {
    /// Settings for an API key and nothing else, as tests and the demo build them.
    pub fn api_key(
        host: impl Into<String>,
        port: u16,
        id: impl Into<String>,
        secret: Secret,
    ) -> Settings {
        Settings {
            host: host.into(),
            port,
            org: None,
            auth: Auth::ApiKey {
                id: id.into(),
                secret,
            },
            verify: Verify::System,
            proxy: None,
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            config_file: None,
        }
    }

    /// Lines the user must see before anything is sent (for example that TLS verification is
    /// off). [`crate::soar::Client::connect`] prints them on stderr as `warning: ...`.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = vec![];
        if self.verify == Verify::Off {
            out.push(format!(
                "TLS certificate verification is off (cafile = false{}): anyone between here and \
                 {} can read the credentials; point cafile at the server's certificate instead",
                self.source_suffix(),
                self.host
            ));
        }
        out
    }

    /// `" in FILE"` when the settings came from a file, for messages.
    fn source_suffix(&self) -> String {
        match &self.config_file {
            Some(p) => format!(" in {}", p.display()),
            None => String::new(),
        }
    }

    /// The secrets these settings hold, so that text received from elsewhere (a server's
    /// message) can be scrubbed of them before it is shown.
    pub(crate) fn secrets(&self) -> Vec<&str> {
        let mut out = vec![];
        match &self.auth {
            Auth::ApiKey { secret, .. } => out.push(secret.expose()),
            Auth::Password { password, .. } => out.push(password.expose()),
        }
        if let Some(Proxy {
            password: Some(p), ..
        }) = &self.proxy
        {
            out.push(p.expose());
        }
        out.retain(|s| !s.is_empty());
        out
    }

    /// Read the app.config (if any) and apply `overrides` on top.
    ///
    /// The file is `overrides.config` when given (it must exist), else
    /// `~/.resilient/app.config` when it exists. `$NAME`/`${NAME}` values come from the process
    /// environment.
    pub fn load(overrides: &Overrides) -> Result<Settings, SoarError> {
        let env = |name: &str| std::env::var(name).ok();
        let (path, explicit) = match &overrides.config {
            Some(p) => (Some(p.clone()), true),
            None => (default_config_path(), false),
        };
        let file = match path {
            Some(p) if explicit || p.is_file() => {
                let text = std::fs::read_to_string(&p).map_err(|e| SoarError::ConfigRead {
                    file: p.clone(),
                    message: e.to_string(),
                })?;
                Some((p, text))
            }
            _ => None,
        };
        let default_shown = default_config_path().unwrap_or_else(|| "app.config".into());
        Self::resolve(
            file.as_ref().map(|(p, t)| (p.as_path(), t.as_str())),
            &default_shown,
            overrides,
            &env,
        )
    }

    /// The pure part of [`Settings::load`]: `file` is `(path, text)` of the app.config read,
    /// `default_file` the path named in "missing setting" errors when no file was read, and
    /// `env` resolves `$NAME` values.
    pub fn resolve(
        file: Option<(&Path, &str)>,
        default_file: &Path,
        overrides: &Overrides,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Settings, SoarError> {
        let conf = match file {
            Some((path, text)) => AppConfig::parse(path, text, env)?,
            None => AppConfig::default(),
        };
        let shown_file = conf
            .path
            .clone()
            .unwrap_or_else(|| default_file.to_path_buf());
        let missing = |setting: &'static str| SoarError::MissingSetting {
            setting,
            file: shown_file.clone(),
            file_read: conf.path.is_some(),
        };
        let invalid =
            |setting: &'static str, value: &str, reason: &str| SoarError::InvalidSetting {
                setting,
                value: value.to_string(),
                reason: reason.to_string(),
                file: conf.path.clone(),
            };

        let host =
            pick(&overrides.host, conf.get("resilient", "host")).ok_or_else(|| missing("host"))?;
        let host = normalise_host(&host)
            .map_err(|reason| invalid("host", &without_userinfo(&host), reason))?;

        let port = match overrides.port {
            Some(p) => p,
            None => match conf.get("resilient", "port") {
                Some(text) => text
                    .parse::<u16>()
                    .map_err(|_| invalid("port", &text, "not a port number (1-65535)"))?,
                None => 443,
            },
        };

        let org = pick(&overrides.org, conf.get("resilient", "org"));

        let key_id = pick(&overrides.api_key_id, conf.get("resilient", "api_key_id"));
        let key_secret = overrides
            .api_key_secret
            .clone()
            .or_else(|| conf.get("resilient", "api_key_secret").map(Secret::new))
            .filter(|s| !s.expose().is_empty());
        let email = pick(&overrides.email, conf.get("resilient", "email"));
        let password = overrides
            .password
            .clone()
            .or_else(|| conf.get("resilient", "password").map(Secret::new))
            .filter(|s| !s.expose().is_empty());
        // As in IBM's client, a complete API key wins over email/password.
        let auth = match (key_id, key_secret, email, password) {
            (Some(id), Some(secret), _, _) => Auth::ApiKey { id, secret },
            (Some(_), None, _, _) => return Err(missing("api_key_secret")),
            (None, Some(_), _, _) => return Err(missing("api_key_id")),
            (None, None, Some(email), Some(password)) => Auth::Password { email, password },
            (None, None, Some(_), None) => return Err(missing("password")),
            (None, None, None, _) => return Err(missing("api_key_id")),
        };

        let cafile = pick(&overrides.cafile, conf.get("resilient", "cafile"));
        let verify = match cafile.as_deref() {
            None => Verify::System,
            Some(v) if v.eq_ignore_ascii_case("false") => Verify::Off,
            Some(v) if v.eq_ignore_ascii_case("true") => Verify::System,
            Some(v) => Verify::CaFile(expand_home(v)),
        };

        let mut timeouts = Timeouts::default();
        let timeout = match overrides.timeout {
            Some(t) => Some(t),
            None => match conf.get("resilient", "timeout") {
                Some(text) => Some(
                    text.parse::<u64>()
                        .map_err(|_| invalid("timeout", &text, "not a whole number of seconds"))?,
                ),
                None => None,
            },
        };
        if let Some(secs) = timeout {
            if secs == 0 {
                return Err(invalid("timeout", "0", "must be at least 1 second"));
            }
            timeouts.read = Duration::from_secs(secs);
        }

        let proxy = conf
            .proxy()
            .map_err(|(setting, value, reason)| invalid(setting, &value, reason))?;

        Ok(Settings {
            host,
            port,
            org,
            auth,
            verify,
            proxy,
            timeouts,
            retry: RetryPolicy::default(),
            config_file: conf.path,
        })
    }
}

/// Values given outside the app.config, each replacing the file's value when present. The CLI
/// fills it from `RESPACK_*` variables and flags (flags win, as clap applies them).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// The app.config to read instead of `~/.resilient/app.config`.
    pub config: Option<PathBuf>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub org: Option<String>,
    pub api_key_id: Option<String>,
    pub api_key_secret: Option<Secret>,
    pub email: Option<String>,
    pub password: Option<Secret>,
    /// A PEM file path, or `false`.
    pub cafile: Option<String>,
    /// Read timeout in seconds.
    pub timeout: Option<u64>,
}

/// `~/.resilient/app.config`, where resilient-circuits looks by default.
pub fn default_config_path() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".resilient").join("app.config"))
}

fn pick(over: &Option<String>, file: Option<String>) -> Option<String> {
    over.clone()
        .or(file)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// `value` with any `user:password@` part shown as `***@`: a host written as a URL with
/// credentials must not put the password into an error message.
fn without_userinfo(value: &str) -> String {
    let start = value.find("://").map(|i| i + 3).unwrap_or(0);
    let end = value[start..]
        .find(['/', '?', '#'])
        .map(|i| start + i)
        .unwrap_or(value.len());
    match value[start..end].rfind('@') {
        Some(at) => format!("{}***{}", &value[..start], &value[start + at..]),
        None => value.to_string(),
    }
}

/// Accept `soar.example.com`, `https://soar.example.com/` and keep just the host name; a
/// port or path in `host` is an error because `port` says where to connect.
fn normalise_host(raw: &str) -> Result<String, &'static str> {
    let mut h = raw.trim();
    if let Some(rest) = h.strip_prefix("https://") {
        h = rest;
    } else if h.starts_with("http://") {
        return Err("SOAR only speaks HTTPS; give the host name without http://");
    }
    let h = h.trim_end_matches('/');
    if h.is_empty() {
        return Err("empty host name");
    }
    // An IPv6 literal keeps its brackets; anything else with ':' or '/' is a URL, not a host.
    let bare = h.starts_with('[') && h.ends_with(']');
    if !bare && (h.contains('/') || h.contains(':') || h.contains(char::is_whitespace)) {
        return Err("give only the host name here and the port in `port`");
    }
    Ok(h.to_string())
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// The parsed app.config: sections of lower-cased keys, with `$NAME` values resolved.
#[derive(Debug, Default)]
struct AppConfig {
    path: Option<PathBuf>,
    sections: std::collections::HashMap<String, std::collections::HashMap<String, Option<String>>>,
}

impl AppConfig {
    fn parse(
        path: &Path,
        text: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<AppConfig, SoarError> {
        let mut defaults = configparser::ini::IniDefault::default();
        // Python's configparser only treats whole lines as comments; passwords may hold `#`.
        defaults.enable_inline_comments = false;
        let mut ini = configparser::ini::Ini::new_from_defaults(defaults);
        let mut sections = ini
            .read(text.to_string())
            .map_err(|message| SoarError::ConfigRead {
                file: path.to_path_buf(),
                message,
            })?;
        for (section, keys) in sections.iter_mut() {
            for (key, value) in keys.iter_mut() {
                if let Some(v) = value {
                    *v = substitute_env(v, env).map_err(|name| SoarError::ConfigEnv {
                        file: path.to_path_buf(),
                        section: section.clone(),
                        key: key.clone(),
                        name,
                    })?;
                }
            }
        }
        Ok(AppConfig {
            path: Some(path.to_path_buf()),
            sections,
        })
    }

    fn get(&self, section: &str, key: &str) -> Option<String> {
        self.sections
            .get(section)?
            .get(key)?
            .as_ref()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// `[integrations] https_proxy`/`http_proxy` (a URL, possibly with `user:password@`), else
    /// `[resilient] proxy_host`/`proxy_port`/`proxy_user`/`proxy_password`.
    #[allow(clippy::type_complexity)]
    fn proxy(&self) -> Result<Option<Proxy>, (&'static str, String, &'static str)> {
        for key in ["https_proxy", "http_proxy"] {
            let Some(url) = self.get("integrations", key) else {
                continue;
            };
            let setting = if key == "https_proxy" {
                "https_proxy"
            } else {
                "http_proxy"
            };
            let rest = url
                .strip_prefix("http://")
                .or_else(|| url.strip_prefix("https://"))
                .unwrap_or(&url);
            let rest = rest.trim_end_matches('/');
            let (creds, address) = match rest.rsplit_once('@') {
                Some((c, a)) => (Some(c), a),
                None => (None, rest),
            };
            if address.is_empty() || !address.contains(':') {
                // Never echo the URL back: it may hold a password.
                return Err((
                    setting,
                    "(hidden)".into(),
                    "expected http://[user:password@]host:port",
                ));
            }
            let (user, password) = match creds.map(|c| c.split_once(':').unwrap_or((c, ""))) {
                Some((u, p)) => (
                    Some(decode(u)),
                    Some(Secret::new(decode(p))).filter(|s| !s.expose().is_empty()),
                ),
                None => (None, None),
            };
            return Ok(Some(Proxy {
                address: address.to_string(),
                user,
                password,
            }));
        }
        let Some(host) = self.get("resilient", "proxy_host") else {
            return Ok(None);
        };
        let host = host
            .strip_prefix("http://")
            .or_else(|| host.strip_prefix("https://"))
            .unwrap_or(&host)
            .trim_end_matches('/')
            .to_string();
        let port = match self.get("resilient", "proxy_port") {
            Some(p) => p
                .parse::<u16>()
                .map_err(|_| ("proxy_port", p.clone(), "not a port number (1-65535)"))?,
            None => 8080,
        };
        Ok(Some(Proxy {
            address: format!("{host}:{port}"),
            user: self.get("resilient", "proxy_user"),
            password: self.get("resilient", "proxy_password").map(Secret::new),
        }))
    }
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Replace `$NAME` and `${NAME}` with the environment's value, as resilient-circuits does for
/// secrets kept out of the file. `$$` is a literal `$`. An unset variable is an error naming
/// it, because silently sending an empty secret gives a confusing 401 later.
fn substitute_env(value: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    if !value.contains('$') {
        return Ok(value.to_string());
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
            continue;
        }
        let (name, tail) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) => (&braced[..end], &braced[end + 1..]),
                None => {
                    out.push('$');
                    rest = after;
                    continue;
                }
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            // Not a variable reference (a `$` inside a password, say): keep it as written.
            out.push('$');
            rest = after;
            continue;
        }
        match env(name) {
            Some(v) => out.push_str(&v),
            None => return Err(name.to_string()),
        }
        rest = tail;
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_none(_: &str) -> Option<String> {
        None
    }

    fn resolve(text: &str, o: &Overrides) -> Result<Settings, SoarError> {
        Settings::resolve(
            Some((Path::new("/cfg/app.config"), text)),
            Path::new("/home/u/.resilient/app.config"),
            o,
            &env_none,
        )
    }

    const FILE: &str = "[resilient]\nhost = soar.example.com\nport = 8443\norg = Test Org\n\
                        api_key_id = file-id\napi_key_secret = file#secret;x\ncafile = /ca.pem\n";

    #[test]
    fn file_values_are_read_and_inline_hash_is_kept() {
        let s = resolve(FILE, &Overrides::default()).unwrap();
        assert_eq!(s.host, "soar.example.com");
        assert_eq!(s.port, 8443);
        assert_eq!(s.org.as_deref(), Some("Test Org"));
        assert_eq!(
            s.auth,
            Auth::ApiKey {
                id: "file-id".into(),
                secret: Secret::new("file#secret;x")
            }
        );
        assert_eq!(s.verify, Verify::CaFile("/ca.pem".into()));
        assert_eq!(s.config_file.as_deref(), Some(Path::new("/cfg/app.config")));
    }

    #[test]
    fn overrides_win_over_the_file() {
        let o = Overrides {
            host: Some("other.example.com".into()),
            port: Some(9443),
            org: Some("Other".into()),
            api_key_id: Some("flag-id".into()),
            cafile: Some("false".into()),
            ..Default::default()
        };
        let s = resolve(FILE, &o).unwrap();
        assert_eq!(s.host, "other.example.com");
        assert_eq!(s.port, 9443);
        assert_eq!(s.org.as_deref(), Some("Other"));
        assert_eq!(
            s.auth,
            Auth::ApiKey {
                id: "flag-id".into(),
                secret: Secret::new("file#secret;x")
            }
        );
        assert_eq!(s.verify, Verify::Off);
        let w = s.warnings();
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("verification is off"), "{w:?}");
        assert!(w[0].contains("/cfg/app.config"), "{w:?}");
    }

    #[test]
    fn defaults_port_443_and_system_roots() {
        let s = resolve(
            "[resilient]\nhost=h\napi_key_id=i\napi_key_secret=s\n",
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(s.port, 443);
        assert_eq!(s.verify, Verify::System);
        assert_eq!(s.org, None);
        assert!(s.warnings().is_empty());
    }

    #[test]
    fn email_and_password_when_no_key() {
        let s = resolve(
            "[resilient]\nhost=h\nemail=a@b.c\npassword=pw\n",
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(
            s.auth,
            Auth::Password {
                email: "a@b.c".into(),
                password: Secret::new("pw")
            }
        );
    }

    #[test]
    fn missing_settings_name_setting_file_and_variable() {
        let e = resolve("[resilient]\napi_key_id=i\n", &Overrides::default()).unwrap_err();
        let text = format!("{e}");
        assert!(text.contains("host"), "{text}");
        let help = crate::help::Help::help(&e).unwrap();
        assert!(help.contains("RESPACK_HOST"), "{help}");
        assert!(help.contains("/cfg/app.config"), "{help}");

        let e = resolve("[resilient]\nhost=h\napi_key_id=i\n", &Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("api_key_secret"), "{e}");
        let e = resolve("[resilient]\nhost=h\nemail=x\n", &Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("password"), "{e}");

        // No file at all: the error says which file was looked for.
        let e = Settings::resolve(
            None,
            Path::new("/home/u/.resilient/app.config"),
            &Overrides::default(),
            &env_none,
        )
        .unwrap_err();
        let help = crate::help::Help::help(&e).unwrap();
        assert!(help.contains("/home/u/.resilient/app.config"), "{help}");
    }

    #[test]
    fn invalid_port_is_named() {
        let e = resolve(
            "[resilient]\nhost=h\nport=https\napi_key_id=i\napi_key_secret=s\n",
            &Overrides::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("port"), "{e}");
        assert!(e.to_string().contains("https"), "{e}");
    }

    #[test]
    fn a_password_written_into_host_was_repeated_in_the_error() {
        for bad in [
            "bob:hunter2@127.0.0.1",
            "https://bob:hunter2@soar.example.com/x",
        ] {
            let e = resolve(
                &format!("[resilient]\nhost={bad}\napi_key_id=i\napi_key_secret=s\n"),
                &Overrides::default(),
            )
            .unwrap_err();
            let text = format!(
                "{e} {e:?} {}",
                crate::help::Help::help(&e).unwrap_or_default()
            );
            assert!(
                text.contains("host") && !text.contains("hunter2"),
                "{bad}: {text}"
            );
        }
    }

    #[test]
    fn host_given_as_url_is_reduced_or_refused() {
        let s = resolve(
            "[resilient]\nhost=https://soar.example.com/\napi_key_id=i\napi_key_secret=s\n",
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(s.host, "soar.example.com");
        for bad in ["http://h", "h:443", "h/x"] {
            let e = resolve(
                &format!("[resilient]\nhost={bad}\napi_key_id=i\napi_key_secret=s\n"),
                &Overrides::default(),
            )
            .unwrap_err();
            assert!(e.to_string().contains("host"), "{bad}: {e}");
        }
    }

    #[test]
    fn environment_values_are_substituted() {
        let env = |n: &str| match n {
            "SOAR_SECRET" => Some("from-env".to_string()),
            "SOAR_HOST" => Some("envhost".to_string()),
            _ => None,
        };
        let s = Settings::resolve(
            Some((
                Path::new("/a"),
                "[resilient]\nhost=${SOAR_HOST}\napi_key_id=i\napi_key_secret=$SOAR_SECRET\n",
            )),
            Path::new("/d"),
            &Overrides::default(),
            &env,
        )
        .unwrap();
        assert_eq!(s.host, "envhost");
        assert_eq!(
            s.auth,
            Auth::ApiKey {
                id: "i".into(),
                secret: Secret::new("from-env")
            }
        );
        let e = Settings::resolve(
            Some((
                Path::new("/a"),
                "[resilient]\nhost=h\napi_key_secret=$NOPE\n",
            )),
            Path::new("/d"),
            &Overrides::default(),
            &env,
        )
        .unwrap_err();
        assert!(e.to_string().contains("NOPE"), "{e}");
        assert!(e.to_string().contains("api_key_secret"), "{e}");
    }

    #[test]
    fn substitution_keeps_literal_dollars() {
        assert_eq!(substitute_env("a$$b", &env_none).unwrap(), "a$b");
        assert_eq!(substitute_env("pa$", &env_none).unwrap(), "pa$");
        assert_eq!(substitute_env("x${", &env_none).unwrap(), "x${");
        assert_eq!(substitute_env("p$-1", &env_none).unwrap(), "p$-1");
    }

    #[test]
    fn proxy_from_integrations_or_resilient_section() {
        let s = resolve(
            &format!("{FILE}[integrations]\nhttps_proxy = http://u%40x:p%3Aw@proxy.local:3128/\n"),
            &Overrides::default(),
        )
        .unwrap();
        let p = s.proxy.unwrap();
        assert_eq!(p.address, "proxy.local:3128");
        assert_eq!(p.user.as_deref(), Some("u@x"));
        assert_eq!(p.password, Some(Secret::new("p:w")));

        let s = resolve(
            &format!("{FILE}proxy_host = proxy2\nproxy_port = 8000\nproxy_user = v\nproxy_password = q\n"),
            &Overrides::default(),
        )
        .unwrap();
        let p = s.proxy.clone().unwrap();
        assert_eq!(p.address, "proxy2:8000");
        assert_eq!(p.user.as_deref(), Some("v"));
        assert!(s.secrets().contains(&"q"));
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let s = resolve(
            &format!("{FILE}proxy_host = p\nproxy_password = proxypass\n"),
            &Overrides::default(),
        )
        .unwrap();
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("file#secret"), "{dbg}");
        assert!(!dbg.contains("proxypass"), "{dbg}");
        assert!(dbg.contains("***"));
        assert_eq!(format!("{}", Secret::new("x")), "***");
    }

    #[test]
    fn timeout_from_file_and_override() {
        let s = resolve(&format!("{FILE}timeout = 30\n"), &Overrides::default()).unwrap();
        assert_eq!(s.timeouts.read, Duration::from_secs(30));
        let o = Overrides {
            timeout: Some(5),
            ..Default::default()
        };
        let s = resolve(&format!("{FILE}timeout = 30\n"), &o).unwrap();
        assert_eq!(s.timeouts.read, Duration::from_secs(5));
        assert!(resolve(&format!("{FILE}timeout = soon\n"), &Overrides::default()).is_err());
    }
}
