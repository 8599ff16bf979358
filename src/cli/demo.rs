//! `respack demo`: the whole story on an embedded org.
use std::path::PathBuf;

use super::CmdResult;

/// Seed an embedded org, install the package, run both workflows, show the results, uninstall.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// ATT&CK STIX bundle (.json or .json.gz) to use offline
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
}

pub fn run(_args: Args) -> CmdResult {
    super::not_built("demo")
}
