//! `respack uninstall`: remove exactly what the package owns.
use std::path::PathBuf;

use super::{CmdResult, ConnArgs};

/// Remove the package's own rules, workflows and data table; dependency objects are never touched.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Show what would be removed, remove nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Remove without asking
    #[arg(long)]
    pub yes: bool,
    /// Also remove the data table when incidents still have rows in it
    #[arg(long)]
    pub delete_data: bool,
    /// Also remove owned objects that were changed on the org since install
    #[arg(long)]
    pub force: bool,
    /// Where the full export taken before removal is written
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
}

pub fn run(_args: Args) -> CmdResult {
    super::not_built("uninstall")
}
