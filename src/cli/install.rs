//! `respack install`: import the package into the org, with a backup first.
use std::path::PathBuf;

use super::{CmdResult, ConnArgs};

/// Import the package: check, plan, backup export, import, accept, verify.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Show the plan and the server's preview, then reject the import
    #[arg(long)]
    pub dry_run: bool,
    /// Accept the import without asking
    #[arg(long)]
    pub yes: bool,
    /// Where the full export taken before the import is written
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
    /// Install even when a required integration is missing
    #[arg(long)]
    pub force: bool,
}

pub fn run(_args: Args) -> CmdResult {
    super::not_built("install")
}
