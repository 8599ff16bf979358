//! `respack build`: write qraw_mitre.res and resqrawmitre.tar, or build a package source
//! directory.
use std::path::PathBuf;

use super::{CmdResult, Exit};

/// Write DIR/qraw_mitre.res and DIR/resqrawmitre.tar (SRC: DIR/<name>.res), byte-identical
///
/// Prints one line per file, `<sha256>  <path>`, as `sha256sum` does (so `sha256sum -c` can check
/// it). Without SRC: SOURCE_DATE_EPOCH, when set, fixes the export date and the tar mtimes;
/// otherwise they are this release's date, and the package built into the binary is built from
/// any directory. With SRC (made by `respack unpack`, described in docs/SOURCE.md): the
/// export date is the one in SRC/export.json, and the tar is written when SRC/respack.toml has
/// a [tar] table.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A package source directory (default: the built-in package)
    #[arg(value_name = "SRC")]
    pub src: Option<PathBuf>,
    /// Output directory (created if missing)
    #[arg(long, default_value = "dist", value_name = "DIR")]
    pub out: PathBuf,
}

pub fn run(args: Args, env: &super::Environment) -> CmdResult {
    let artifacts = match &args.src {
        // The process exits right after: the source read is left to the OS to take back.
        Some(src) => crate::source::build_then(src, &args.out, std::mem::forget)?,
        None => {
            let source_date_epoch =
                crate::pack::source_date_epoch(env.source_date_epoch.as_deref())?;
            crate::pack::build(&args.out, source_date_epoch)?
        }
    };
    for artifact in artifacts {
        outln!("{}  {}", artifact.sha256, artifact.path.display())?;
    }
    Ok(Exit::Success)
}
