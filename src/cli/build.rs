//! `respack build`: write qraw_mitre.res and resqrawmitre.tar.
use std::path::PathBuf;

use super::CmdResult;

/// Write DIR/qraw_mitre.res and DIR/resqrawmitre.tar, byte-identical on every build.
///
/// `SOURCE_DATE_EPOCH`, when set, fixes the export date and the tar mtimes.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output directory
    #[arg(long, default_value = "dist", value_name = "DIR")]
    pub out: PathBuf,
}

pub fn run(_args: Args) -> CmdResult {
    super::not_built("build")
}
