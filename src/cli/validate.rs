//! `respack validate`: check resource files, or the built-in package.
use std::path::PathBuf;

use super::{CmdResult, Format};

/// Check .res, .resz, .tar and .tar.gz files (no FILE: the built-in package).
///
/// Exit 0 without errors, 1 with errors, 2 when a file cannot be read.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files to check
    pub files: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run(_args: Args) -> CmdResult {
    super::not_built("validate")
}
