//! `respack show`: the inventory of a resource file.
use std::path::PathBuf;

use super::{CmdResult, Format};

/// List rules, workflows, functions, data tables and fields of a file (no FILE: the package).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// File to read: .res, .resz, .tar or .tar.gz
    pub file: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run(_args: Args) -> CmdResult {
    super::not_built("show")
}
