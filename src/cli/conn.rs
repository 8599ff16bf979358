//! `CONN`: how a command reaches a SOAR org (app.config, `RESPACK_*` variables, flags).
use std::path::PathBuf;

/// Connection to a SOAR org: an app.config `[resilient]` section, overridden by `RESPACK_*`
/// environment variables and by these flags. Secrets are never printed.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConnArgs {
    /// app.config to read (section [resilient]); default ~/.resilient/app.config
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
    pub api_key_secret: Option<String>,
    /// CA certificate file, or `false` to skip verification (with a warning)
    #[arg(long, env = "RESPACK_CAFILE")]
    pub cafile: Option<String>,
}
