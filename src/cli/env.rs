//! The process environment, read once when the command starts and handed to the library as
//! plain values, so that no library function depends on (or can be surprised by) the
//! environment it runs in, and tests can give any environment without touching the process.
//!
//! clap reads the `RESPACK_*` variables behind flags itself (`#[arg(env = ...)]` in this module's
//! siblings); everything else a command needs from the environment is here.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use crate::appconfig::Vars;
use crate::attack::CachePolicy;
use crate::runtime::setup::AttackDefaults;
use crate::secret::Secret;

/// What the environment says, each empty variable taken as unset.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// `HOME`: `~/.resilient/app.config`, `~` in `cafile`, the cache's last resort.
    pub home: Option<PathBuf>,
    /// `XDG_CACHE_HOME`.
    pub xdg_cache_home: Option<PathBuf>,
    /// `RESPACK_CACHE_DIR`: the cache folder, instead of the XDG one.
    pub cache_dir: Option<PathBuf>,
    /// `RESPACK_PYTHON`: the interpreter for scripts and the syntax check (a path or a name).
    pub python: Option<String>,
    /// `PATH`, where an interpreter given by name is looked up.
    pub path: Option<OsString>,
    /// `SOURCE_DATE_EPOCH`, as given (the build checks it).
    pub source_date_epoch: Option<String>,
    /// `NO_COLOR` set to anything but the empty string.
    pub no_color: bool,
    /// `RESPACK_REPORT_CALLS=1`: install, uninstall and restore print their HTTP call count.
    pub report_calls: bool,
    /// `RESPACK_PASSWORD`: the SOAR password (there is no flag: command lines show in `ps`).
    pub password: Option<Secret>,
    /// `RESPACK_TAXII_PASSWORD`: the password for `--taxii-user`.
    pub taxii_password: Option<Secret>,
    /// `RESPACK_ATTACK_BUNDLE` / `RESPACK_ATTACK_TAXII`.
    pub attack: AttackDefaults,
    /// Every variable, for `$NAME` / `${NAME}` values in an app.config.
    pub vars: Vars,
}

impl Environment {
    /// The one read of the process environment.
    pub fn from_process() -> Environment {
        Environment::from_vars(std::env::vars_os())
    }

    /// An environment made of `vars` (as `std::env::vars_os` gives them).
    pub fn from_vars(vars: impl IntoIterator<Item = (OsString, OsString)>) -> Environment {
        let all: Vec<(OsString, OsString)> = vars.into_iter().collect();
        let os = |name: &str| {
            all.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
        };
        let text = |name: &str| {
            os(name)
                .map(|v| v.to_string_lossy().into_owned())
                .filter(|v| !v.trim().is_empty())
        };
        Environment {
            home: os("HOME").map(PathBuf::from),
            xdg_cache_home: os("XDG_CACHE_HOME").map(PathBuf::from),
            cache_dir: os("RESPACK_CACHE_DIR").map(PathBuf::from),
            python: text("RESPACK_PYTHON"),
            path: os("PATH"),
            source_date_epoch: all
                .iter()
                .find(|(k, _)| k == "SOURCE_DATE_EPOCH")
                .map(|(_, v)| v.to_string_lossy().into_owned()),
            no_color: os("NO_COLOR").is_some(),
            report_calls: text("RESPACK_REPORT_CALLS").as_deref() == Some("1"),
            password: os("RESPACK_PASSWORD").map(|v| Secret::new(v.to_string_lossy().into_owned())),
            taxii_password: os("RESPACK_TAXII_PASSWORD")
                .map(|v| Secret::new(v.to_string_lossy().into_owned())),
            attack: AttackDefaults {
                bundle: text("RESPACK_ATTACK_BUNDLE").map(PathBuf::from),
                taxii: text("RESPACK_ATTACK_TAXII"),
            },
            // A variable that is not UTF-8 cannot be written into a UTF-8 app.config anyway.
            vars: all
                .iter()
                .filter_map(|(k, v)| Some((k.to_str()?, v.to_str()?)))
                .collect(),
        }
    }

    /// The interpreter to run: `RESPACK_PYTHON`, else `python3`.
    pub fn python(&self) -> String {
        self.python
            .clone()
            .unwrap_or_else(|| crate::runtime::DEFAULT_PYTHON.to_string())
    }

    /// respack's cache folder: `$RESPACK_CACHE_DIR`, else `$XDG_CACHE_HOME/respack`, else
    /// `~/.cache/respack`; `None` when none of them is set.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        self.cache_dir
            .clone()
            .or_else(|| self.xdg_cache_home.as_ref().map(|d| d.join("respack")))
            .or_else(|| self.home.as_ref().map(|h| h.join(".cache").join("respack")))
    }

    /// The ATT&CK index cache in [`Environment::cache_dir`] with a one-day TAXII age, or `Off`
    /// when no folder can be named.
    pub fn attack_cache(&self) -> CachePolicy {
        match self.cache_dir() {
            Some(dir) => CachePolicy::Dir {
                dir,
                max_age: Duration::from_secs(24 * 3600),
                refresh: false,
            },
            None => CachePolicy::Off,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Environment {
        Environment::from_vars(pairs.iter().map(|(k, v)| (k.into(), v.into())))
    }

    #[test]
    fn cache_dir_prefers_respack_then_xdg_then_home() {
        let all = [
            ("RESPACK_CACHE_DIR", "/r"),
            ("XDG_CACHE_HOME", "/x"),
            ("HOME", "/h"),
        ];
        assert_eq!(env(&all).cache_dir(), Some(PathBuf::from("/r")));
        assert_eq!(
            env(&all[1..]).cache_dir(),
            Some(PathBuf::from("/x/respack"))
        );
        assert_eq!(
            env(&all[2..]).cache_dir(),
            Some(PathBuf::from("/h/.cache/respack"))
        );
        assert_eq!(env(&[("RESPACK_CACHE_DIR", "")]).cache_dir(), None);
        assert!(matches!(env(&[]).attack_cache(), CachePolicy::Off));
    }

    #[test]
    fn empty_variables_count_as_unset() {
        let e = env(&[
            ("NO_COLOR", ""),
            ("RESPACK_PYTHON", " "),
            ("RESPACK_ATTACK_TAXII", ""),
            ("HOME", ""),
        ]);
        assert!(!e.no_color);
        assert_eq!(e.python(), "python3");
        assert_eq!(e.attack, AttackDefaults::default());
        assert_eq!(e.home, None);
        let e = env(&[("NO_COLOR", "1"), ("RESPACK_PYTHON", "/opt/py3")]);
        assert!(e.no_color);
        assert_eq!(e.python(), "/opt/py3");
    }

    #[test]
    fn app_config_variables_are_all_there_and_hidden_in_debug() {
        let e = env(&[("SOAR_SECRET", "s3cret"), ("RESPACK_PASSWORD", "pw")]);
        assert_eq!(e.vars.get("SOAR_SECRET"), Some("s3cret"));
        let shown = format!("{e:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("\"pw\""),
            "{shown}"
        );
        assert!(shown.contains("SOAR_SECRET"), "{shown}");
    }
}
