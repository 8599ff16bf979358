//! `respack fmt`: rewrite an export in the canonical form.
use std::path::PathBuf;

use super::CmdResult;

/// Rewrite any export in the canonical form of the build (sorted keys, 2-space indent, UTF-8,
/// trailing newline), losslessly: the output has the same JSON value as the input.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Export to rewrite: .res, .resz, .tar or .tar.gz
    pub file: PathBuf,
    /// Where to write (default: stdout)
    #[arg(short, long = "out", value_name = "OUT")]
    pub out: Option<PathBuf>,
    /// Also drop what changes on every export (server ids, timestamps, audit fields)
    #[arg(long)]
    pub strip_volatile: bool,
}

pub fn run(_args: Args) -> CmdResult {
    super::not_built("fmt")
}
