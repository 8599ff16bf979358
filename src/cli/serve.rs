//! `respack serve`: the reference SOAR org.
use std::path::PathBuf;

use super::{CmdError, CmdResult, Exit};
use crate::runtime::setup::AttackSpec;
use crate::server;

/// Run the reference SOAR org: an emulation of the SOAR REST API subset respack and IBM's
/// clients use, over HTTPS, with its state in SQLite.
///
/// On first start it creates the org, an admin user and a certificate for 127.0.0.1 and
/// localhost, kept in the database so the org survives a restart. Secrets are kept only hashed,
/// so every start issues a new API key and admin password (the keys of the last 5 starts keep
/// working); --write-config writes them in an app.config (host, port, org, api_key_id,
/// api_key_secret, cafile) once the server listens. Stop it with Ctrl-C or SIGTERM.
///
/// The same address serves web pages (https://ADDR/): log in with the email and password the
/// app.config carries, import a .res under Administrator Settings, open incidents, run rules.
///
/// It listens on loopback only: anyone who holds the API key can import a workflow whose
/// python3 scripts then run on this host, so another address needs --allow-remote.
///
/// Limits: bodies of requests without valid credentials are refused over 64 KiB (413), a
/// connection must send its request headers within 30 s, login sessions end after an hour
/// unused, imports left pending expire after 15 minutes, and a file uploaded on the Import
/// Settings page is refused over 32 MiB.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on; port 0 picks a free port. Loopback only unless --allow-remote
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub listen: String,
    /// Allow a --listen address beyond loopback (such as 0.0.0.0:8443). Anyone who reaches it
    /// with the org's API key can run python3 scripts on this host: use it only on a network
    /// you trust
    #[arg(long)]
    pub allow_remote: bool,
    /// SQLite database file holding the org
    #[arg(long, default_value = "respack-org.db")]
    pub db: PathBuf,
    /// Name of the org created on first start
    #[arg(long, default_value = "Test Organization")]
    pub org: String,
    /// Write an app.config pointing at this server
    #[arg(long, value_name = "FILE")]
    pub write_config: Option<PathBuf>,
    /// Install the dependency integrations' objects
    #[arg(long)]
    pub seed_integrations: bool,
    /// Scenario the emulated QRadar / QRadar Advisor endpoints play: `builtin` (the package
    /// README's story) or a scenario file
    #[arg(long, value_name = "FILE|builtin", default_value = "builtin")]
    pub scenario: String,
    /// ATT&CK STIX bundle for the MITRE functions [default: the TAXII cache, else MITRE's
    /// server, on first use]
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    /// Close connections whose request headers are not complete after this many milliseconds
    /// (tests set it small)
    #[arg(long, value_name = "MS", hide = true)]
    pub header_timeout_ms: Option<u64>,
}

pub fn run(args: Args, env: &super::Environment) -> CmdResult {
    let mut opts = server::Options::new(args.db);
    opts.listen = args.listen;
    opts.org = args.org;
    opts.write_config = args.write_config;
    opts.seed_integrations = args.seed_integrations;
    opts.allow_remote = args.allow_remote;
    if let Some(ms) = args.header_timeout_ms {
        opts.limits.header_timeout = std::time::Duration::from_millis(ms);
    }
    let attack = match args.bundle {
        Some(b) => AttackSpec::Bundle(b),
        None => AttackSpec::Auto(env.attack.clone()),
    };
    let workflows = server::actions::Workflows::for_cli(
        &opts.db,
        &args.scenario,
        attack,
        env.attack_cache(),
        env.python(),
    )?;
    let about = workflows.describe();
    opts.extensions
        .push(std::sync::Arc::new(server::actions::SharedWorkflows(
            std::sync::Arc::new(workflows),
        )));
    let running = server::start(opts)?;
    if !running.addr().ip().is_loopback() {
        eprintln!(
            "warning: listening on {}, beyond loopback: anyone who reaches it with the org's API key can run python3 scripts on this host",
            running.addr()
        );
    }
    outln!(
        "listening on {} (org {:?})",
        running.base_url(),
        running.org().name
    )?;
    outln!("CA certificate: {}", running.ca_pem_path().display())?;
    outln!(
        "web pages: {}/ (log in with the email and password in the app.config)",
        running.base_url()
    )?;
    for line in about {
        outln!("{line}")?;
    }
    wait_for_stop()?;
    running.shutdown();
    Ok(Exit::Success)
}

/// Block until Ctrl-C or SIGTERM.
fn wait_for_stop() -> Result<(), CmdError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CmdError::new(format!("cannot wait for signals: {e}")))?;
    rt.block_on(async {
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .map_err(|e| CmdError::new(format!("cannot wait for SIGTERM: {e}")))?;
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        Ok(())
    })
}
