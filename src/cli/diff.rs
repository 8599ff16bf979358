//! `respack diff`: the package against the live org.
use super::{CmdResult, ConnArgs, Format};

/// Compare the package with the org: create / update / unchanged / conflict per object.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Exit 1 when the org differs from the package
    #[arg(long)]
    pub exit_code: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run(_args: Args) -> CmdResult {
    super::not_built("diff")
}
