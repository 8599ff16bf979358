//! `respack build`: write qraw_mitre.res and resqrawmitre.tar.
use std::path::PathBuf;

use super::{CmdResult, Exit};

/// Write DIR/qraw_mitre.res and DIR/resqrawmitre.tar, byte-identical on every build.
///
/// Prints one line per file, `<sha256>  <path>`, as `sha256sum` does (so `sha256sum -c` can check
/// it). SOURCE_DATE_EPOCH, when set, fixes the export date and the tar mtimes; otherwise they are
/// this release's date. The package is built into the binary: it runs from any directory.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output directory (created if missing)
    #[arg(long, default_value = "dist", value_name = "DIR")]
    pub out: PathBuf,
}

pub fn run(args: Args, env: &super::Environment) -> CmdResult {
    let source_date_epoch = crate::pack::source_date_epoch(env.source_date_epoch.as_deref())?;
    for artifact in crate::pack::build(&args.out, source_date_epoch)? {
        outln!("{}  {}", artifact.sha256, artifact.path.display())?;
    }
    Ok(Exit::Success)
}
