//! `respack serve`: the reference SOAR org.
use std::path::PathBuf;

use super::{CmdError, CmdResult, Exit};
use crate::server;

/// Run the reference SOAR org: an emulation of the SOAR REST API subset respack and IBM's
/// clients use, over HTTPS, with its state in SQLite.
///
/// On first start it creates the org, an API key, an admin user and a certificate for
/// 127.0.0.1 and localhost, all kept in the database so the org survives a restart.
/// --write-config writes an app.config (host, port, org, api_key_id, api_key_secret, cafile)
/// once the server listens. Stop it with Ctrl-C or SIGTERM.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on; port 0 picks a free port
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub listen: String,
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
}

pub fn run(args: Args) -> CmdResult {
    let mut opts = server::Options::new(args.db);
    opts.listen = args.listen;
    opts.org = args.org;
    opts.write_config = args.write_config;
    opts.seed_integrations = args.seed_integrations;
    let workflows = server::actions::Workflows::for_cli(&opts.db, &args.scenario, args.bundle)?;
    let about = workflows.describe();
    opts.extensions
        .push(std::sync::Arc::new(server::actions::SharedWorkflows(
            std::sync::Arc::new(workflows),
        )));
    let running = server::start(opts)?;
    outln!(
        "listening on {} (org {:?})",
        running.base_url(),
        running.org().name
    )?;
    outln!("CA certificate: {}", running.ca_pem_path().display())?;
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
