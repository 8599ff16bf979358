//! Connection settings: what an app.config `[resilient]` section says, overridden by values
//! given outside the file (environment variables and flags, already merged by the CLI).
//!
//! The file is read by [`crate::appconfig`], the way resilient-circuits reads it: keys are
//! case-insensitive, `#` and `;` start whole-line comments only (a password may contain either),
//! and a value written as `$NAME` or `${NAME}` is taken from the environment. Every setting
//! remembers nothing about where it came from except the file's path, which the errors name so
//! the user knows what to edit.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::SoarError;
use crate::appconfig::{AppConfig, Vars};

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
    /// `~/.resilient/app.config` (under `home`) when it exists. `vars` serve `$NAME` values.
    pub fn load(
        overrides: &Overrides,
        home: Option<&Path>,
        vars: &Vars,
    ) -> Result<Settings, SoarError> {
        let (path, explicit) = match &overrides.config {
            Some(p) => (Some(p.clone()), true),
            None => (default_config_path(home), false),
        };
        let conf = match path {
            Some(p) if explicit || p.is_file() => Some(AppConfig::read(&p, vars)?),
            _ => None,
        };
        let default_shown = default_config_path(home).unwrap_or_else(|| "app.config".into());
        Self::resolve(conf.as_ref(), &default_shown, overrides, home)
    }

    /// The pure part of [`Settings::load`]: `conf` is the app.config read, if one was,
    /// `default_file` the path named in "missing setting" errors when none was, and `home`
    /// expands `~/` in `cafile`.
    pub fn resolve(
        conf: Option<&AppConfig>,
        default_file: &Path,
        overrides: &Overrides,
        home: Option<&Path>,
    ) -> Result<Settings, SoarError> {
        let conf = Resilient(conf);
        let file = conf.0.map(|c| c.file().to_path_buf());
        let shown_file = file.clone().unwrap_or_else(|| default_file.to_path_buf());
        let missing = |setting: &'static str| SoarError::MissingSetting {
            setting,
            file: shown_file.clone(),
            file_read: file.is_some(),
        };
        let invalid =
            |setting: &'static str, value: &str, reason: &str| SoarError::InvalidSetting {
                setting,
                value: value.to_string(),
                reason: reason.to_string(),
                file: file.clone(),
            };

        let host = conf
            .pick(&overrides.host, "host")?
            .ok_or_else(|| missing("host"))?;
        let host = normalise_host(&host)
            .map_err(|reason| invalid("host", &without_userinfo(&host), reason))?;

        let port = match overrides.port {
            Some(p) => p,
            None => match conf.get("resilient", "port")? {
                Some(text) => text
                    .parse::<u16>()
                    .map_err(|_| invalid("port", &text, "not a port number (1-65535)"))?,
                None => 443,
            },
        };

        let org = conf.pick(&overrides.org, "org")?;

        let key_id = conf.pick(&overrides.api_key_id, "api_key_id")?;
        let key_secret = overrides
            .api_key_secret
            .clone()
            .map_or_else(|| conf.secret("api_key_secret"), |s| Ok(Some(s)))?
            .filter(|s| !s.expose().is_empty());
        let email = conf.pick(&overrides.email, "email")?;
        let password = overrides
            .password
            .clone()
            .map_or_else(|| conf.secret("password"), |s| Ok(Some(s)))?
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

        let cafile = conf.pick(&overrides.cafile, "cafile")?;
        let verify = match cafile.as_deref() {
            None => Verify::System,
            Some(v) if v.eq_ignore_ascii_case("false") => Verify::Off,
            Some(v) if v.eq_ignore_ascii_case("true") => Verify::System,
            Some(v) => Verify::CaFile(expand_home(v, home)),
        };

        let mut timeouts = Timeouts::default();
        let timeout = match overrides.timeout {
            Some(t) => Some(t),
            None => match conf.get("resilient", "timeout")? {
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

        let proxy = conf.proxy()?;

        Ok(Settings {
            host,
            port,
            org,
            auth,
            verify,
            proxy,
            timeouts,
            retry: RetryPolicy::default(),
            config_file: file,
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

/// `~/.resilient/app.config` (`home` being `HOME`), where resilient-circuits looks by default.
pub fn default_config_path(home: Option<&Path>) -> Option<PathBuf> {
    home.map(|h| h.join(".resilient").join("app.config"))
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

fn expand_home(path: &str, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

/// The sections of the app.config the connection reads (`[resilient]`, `[integrations]`); no
/// file reads as empty sections.
struct Resilient<'a>(Option<&'a AppConfig>);

impl Resilient<'_> {
    /// A non-blank value, trimmed; an unset `$NAME` is an error naming it.
    fn get(&self, section: &str, key: &str) -> Result<Option<String>, SoarError> {
        let Some(s) = self.0.and_then(|c| c.section(section)) else {
            return Ok(None);
        };
        Ok(s.optional(key)?.map(String::from))
    }

    /// `over` when given, else `[resilient] key`, trimmed; blank is absent. The file's value is
    /// not read when `over` replaces it, so an unset `$NAME` there does not matter.
    fn pick(&self, over: &Option<String>, key: &str) -> Result<Option<String>, SoarError> {
        let value = match over {
            Some(v) => Some(v.clone()),
            None => self.get("resilient", key)?,
        };
        Ok(value
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()))
    }

    /// A secret of `[resilient]`.
    fn secret(&self, key: &str) -> Result<Option<Secret>, SoarError> {
        Ok(self.get("resilient", key)?.map(Secret::new))
    }

    /// `[integrations] https_proxy`/`http_proxy` (a URL, possibly with `user:password@`), else
    /// `[resilient] proxy_host`/`proxy_port`/`proxy_user`/`proxy_password`.
    fn proxy(&self) -> Result<Option<Proxy>, SoarError> {
        let invalid =
            |setting: &'static str, value: String, reason: &str| SoarError::InvalidSetting {
                setting,
                value,
                reason: reason.to_string(),
                file: self.0.map(|c| c.file().to_path_buf()),
            };
        for key in ["https_proxy", "http_proxy"] {
            let Some(url) = self.get("integrations", key)? else {
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
                return Err(invalid(
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
        let Some(host) = self.get("resilient", "proxy_host")? else {
            return Ok(None);
        };
        let host = host
            .strip_prefix("http://")
            .or_else(|| host.strip_prefix("https://"))
            .unwrap_or(&host)
            .trim_end_matches('/')
            .to_string();
        let port = match self.get("resilient", "proxy_port")? {
            Some(p) => p
                .parse::<u16>()
                .map_err(|_| invalid("proxy_port", p.clone(), "not a port number (1-65535)"))?,
            None => 8080,
        };
        Ok(Some(Proxy {
            address: format!("{host}:{port}"),
            user: self.get("resilient", "proxy_user")?,
            password: self.get("resilient", "proxy_password")?.map(Secret::new),
        }))
    }
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve_with(text: &str, o: &Overrides, vars: &Vars) -> Result<Settings, SoarError> {
        let conf = AppConfig::parse(Path::new("/cfg/app.config"), text, vars)?;
        Settings::resolve(
            Some(&conf),
            Path::new("/home/u/.resilient/app.config"),
            o,
            Some(Path::new("/home/u")),
        )
    }

    fn resolve(text: &str, o: &Overrides) -> Result<Settings, SoarError> {
        resolve_with(text, o, &Vars::none())
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
            None,
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
        let vars: Vars = [("SOAR_SECRET", "from-env"), ("SOAR_HOST", "envhost")]
            .into_iter()
            .collect();
        let s = resolve_with(
            "[resilient]\nhost=${SOAR_HOST}\napi_key_id=i\napi_key_secret=$SOAR_SECRET\n",
            &Overrides::default(),
            &vars,
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
        let e = resolve_with(
            "[resilient]\nhost=h\napi_key_secret=$NOPE\n",
            &Overrides::default(),
            &vars,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "/cfg/app.config:3: [resilient] api_key_secret refers to the environment variable NOPE, which is not set"
        );
        assert_eq!(
            crate::help::Help::help(&e).unwrap(),
            "export NOPE, or write the value into the file"
        );
    }

    /// The old reader took the `$word` of `pa$word` for a variable and refused the file;
    /// resilient-circuits substitutes only a whole `$NAME` value or `${NAME}`.
    #[test]
    fn a_dollar_inside_a_password_was_taken_for_a_variable() {
        let s = resolve(
            "[resilient]\nhost=h\nemail=a@b.c\npassword=pa$word$$x\n",
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(
            s.auth,
            Auth::Password {
                email: "a@b.c".into(),
                password: Secret::new("pa$word$$x")
            }
        );
    }

    #[test]
    fn a_repeated_key_is_refused_with_both_lines() {
        let e = resolve(
            "[resilient]\nhost=a\napi_key_id=i\napi_key_secret=s\nHOST=b\n",
            &Overrides::default(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "/cfg/app.config:5: [resilient] host is given twice (first on line 2)"
        );
    }

    #[test]
    fn an_overridden_value_is_not_read_so_its_variable_need_not_be_set() {
        let o = Overrides {
            api_key_secret: Some(Secret::new("flag")),
            ..Default::default()
        };
        let s = resolve(
            "[resilient]\nhost=h\napi_key_id=i\napi_key_secret=$UNSET\n",
            &o,
        )
        .unwrap();
        assert!(matches!(s.auth, Auth::ApiKey { ref secret, .. } if secret.expose() == "flag"));
    }

    /// `[Resilient]` is not `[resilient]` to resilient-circuits (section names keep their case);
    /// the old reader folded it and connected where resilient-circuits would not.
    #[test]
    fn section_names_keep_their_case() {
        let e = resolve(
            "[Resilient]\nhost=h\napi_key_id=i\napi_key_secret=s\n",
            &Overrides::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("host"), "{e}");
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
