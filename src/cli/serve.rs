//! `respack serve`: the reference SOAR org.
use std::path::PathBuf;

use super::CmdResult;

/// Run the reference SOAR org: an emulation of the SOAR REST API subset respack and IBM's
/// clients use, over HTTPS, with its state in SQLite.
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
}

pub fn run(_args: Args) -> CmdResult {
    super::not_built("serve")
}
