//! `CONN`: how a command reaches a SOAR org (app.config, `RESPACK_*` variables, flags).
use std::path::PathBuf;

use super::Environment;
use crate::soar::{Overrides, Secret, Settings, SoarError};

/// Connection to a SOAR org: an app.config `[resilient]` section, overridden by `RESPACK_*`
/// environment variables and by these flags. Secrets are never printed.
///
/// The password has no flag (command lines show in `ps`): it comes from `password` in the
/// app.config or from `RESPACK_PASSWORD`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConnArgs {
    /// app.config to read (its resilient section); default ~/.resilient/app.config
    #[arg(long, env = "RESPACK_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// SOAR host name
    #[arg(long, env = "RESPACK_HOST")]
    pub host: Option<String>,
    /// HTTPS port (default 443)
    #[arg(long, env = "RESPACK_PORT")]
    pub port: Option<u16>,
    /// org: cloud account, uuid or name
    #[arg(long, env = "RESPACK_ORG")]
    pub org: Option<String>,
    /// API key id
    #[arg(long, env = "RESPACK_API_KEY_ID", hide_env_values = true)]
    pub api_key_id: Option<String>,
    /// API key secret (prefer the app.config or the environment: flags show in `ps`)
    #[arg(long, env = "RESPACK_API_KEY_SECRET", hide_env_values = true)]
    pub api_key_secret: Option<Secret>,
    /// User email, for email/password login when no API key is set (password: RESPACK_PASSWORD or the app.config)
    #[arg(long, env = "RESPACK_EMAIL", hide_env_values = true)]
    pub email: Option<String>,
    /// CA certificate file, or `false` to skip verification (with a warning)
    #[arg(long, env = "RESPACK_CAFILE")]
    pub cafile: Option<String>,
    /// Seconds to wait for each answer from SOAR (default 120)
    #[arg(long, env = "RESPACK_TIMEOUT", value_name = "SECS")]
    pub timeout: Option<u64>,
}

impl ConnArgs {
    /// The connection settings: the app.config, then `RESPACK_*` variables, then flags.
    pub fn settings(&self, env: &Environment) -> Result<Settings, SoarError> {
        Settings::load(
            &self.overrides(env.password.as_ref().map(|p| p.expose().to_string())),
            env.home.as_deref(),
            &env.vars,
        )
    }

    /// These arguments as [`Overrides`]; `password` is `RESPACK_PASSWORD`.
    pub fn overrides(&self, password: Option<String>) -> Overrides {
        Overrides {
            config: self.config.clone(),
            host: self.host.clone(),
            port: self.port,
            org: self.org.clone(),
            api_key_id: self.api_key_id.clone(),
            api_key_secret: self.api_key_secret.clone(),
            email: self.email.clone(),
            password: password.filter(|p| !p.is_empty()).map(Secret::new),
            cafile: self.cafile.clone(),
            timeout: self.timeout,
        }
    }
}

/// `--package PATH`: which package a command works on.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct PackageArgs {
    /// The package: a .res (any serialisation), .resz, .tar, .tar.gz, an app zip, or a source
    /// directory as `respack unpack` writes it [default: the built-in package]
    #[arg(long, value_name = "PATH")]
    pub package: Option<PathBuf>,
}

impl PackageArgs {
    /// Read the package (before any connection: a bad path costs no call to the org).
    pub fn load(&self) -> Result<crate::ops::Package, super::CmdError> {
        match &self.package {
            None => Ok(crate::ops::Package::builtin()),
            // The error names the file and what is wrong with it, with a help line.
            Some(path) => Ok(crate::ops::Package::load(path)?),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appconfig::Vars;
    use clap::Parser;

    /// clap reads `RESPACK_*` from the process: tests that parse hold this lock, which first
    /// removes the variables a developer (or the isolation check) may have set, and only the
    /// precedence test sets variables (and removes them before releasing it).
    static ENV: std::sync::Mutex<()> = std::sync::Mutex::new(());

    const CONN_VARS: [&str; 9] = [
        "RESPACK_CONFIG",
        "RESPACK_HOST",
        "RESPACK_PORT",
        "RESPACK_ORG",
        "RESPACK_API_KEY_ID",
        "RESPACK_API_KEY_SECRET",
        "RESPACK_EMAIL",
        "RESPACK_CAFILE",
        "RESPACK_TIMEOUT",
    ];

    fn lock() -> std::sync::MutexGuard<'static, ()> {
        let guard = ENV.lock().unwrap_or_else(|p| p.into_inner());
        for k in CONN_VARS {
            std::env::remove_var(k);
        }
        guard
    }

    #[derive(Debug, Parser)]
    struct T {
        #[command(flatten)]
        conn: ConnArgs,
    }

    fn write_config(dir: &std::path::Path) -> PathBuf {
        let p = dir.join("app.config");
        std::fs::write(
            &p,
            "[resilient]\nhost = file-host\nport = 1111\norg = File Org\napi_key_id = file-id\n\
             api_key_secret = file-secret\ncafile = false\n",
        )
        .unwrap();
        p
    }

    /// The one test that sets `RESPACK_*` variables: clap reads them from the process, so the
    /// three layers can only be seen together here.
    #[test]
    fn precedence_is_file_then_environment_then_flags() {
        let _env = lock();
        let dir = tempfile::tempdir().unwrap();
        let cfg = write_config(dir.path());
        let vars = [
            ("RESPACK_CONFIG", cfg.to_str().unwrap()),
            ("RESPACK_HOST", "env-host"),
            ("RESPACK_PORT", "2222"),
            ("RESPACK_API_KEY_ID", "env-id"),
        ];
        for (k, v) in vars {
            std::env::set_var(k, v);
        }
        let parsed = T::try_parse_from(["t", "--port", "3333", "--org", "Flag Org"]);
        for (k, _) in vars {
            std::env::remove_var(k);
        }
        let s = parsed
            .unwrap()
            .conn
            .settings(&Environment::default())
            .unwrap();
        assert_eq!(s.host, "env-host", "env beats file");
        assert_eq!(s.port, 3333, "flag beats env");
        assert_eq!(s.org.as_deref(), Some("Flag Org"), "flag beats file");
        assert_eq!(
            s.auth,
            crate::soar::Auth::ApiKey {
                id: "env-id".into(),
                secret: Secret::new("file-secret")
            },
            "env id, file secret"
        );
        assert_eq!(s.verify, crate::soar::Verify::Off);
        assert!(s.warnings()[0].contains("cafile = false"));
    }

    #[test]
    fn email_flag_and_password_variable_make_a_password_login() {
        let _env = lock();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("app.config");
        std::fs::write(&p, "[resilient]\nhost = h\norg = o\n").unwrap();
        let t =
            T::try_parse_from(["t", "--config", p.to_str().unwrap(), "--email", "a@b.c"]).unwrap();
        let s = Settings::load(&t.conn.overrides(Some("pw".into())), None, &Vars::none()).unwrap();
        assert_eq!(
            s.auth,
            crate::soar::Auth::Password {
                email: "a@b.c".into(),
                password: Secret::new("pw")
            }
        );
        let e = Settings::load(&t.conn.overrides(None), None, &Vars::none()).unwrap_err();
        let help = crate::help::Help::help(&e).unwrap();
        assert!(e.to_string().contains("password"), "{e}");
        assert!(help.contains("RESPACK_PASSWORD"), "{help}");
    }

    #[test]
    fn debug_of_the_arguments_hides_the_secret() {
        let _env = lock();
        let t = T::try_parse_from(["t", "--api-key-secret", "very-secret"]).unwrap();
        assert!(!format!("{t:?}").contains("very-secret"));
    }

    #[test]
    fn there_is_no_password_flag() {
        let _env = lock();
        assert!(T::try_parse_from(["t", "--password", "x"]).is_err());
    }

    #[test]
    fn missing_explicit_config_file_is_an_error() {
        let _env = lock();
        let t = T::try_parse_from(["t", "--config", "/nonexistent/app.config"]).unwrap();
        let e = Settings::load(&t.conn.overrides(None), None, &Vars::none()).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/app.config"), "{e}");
    }
}
