//! `respack backups`: the backups install, uninstall and restore wrote.
use std::path::PathBuf;

use super::{CmdResult, Exit};
use crate::ops::backup;
use crate::ops::render::{self, Event};

/// List the backups in --backup-dir, oldest first: date, org, command, size, file.
///
/// Install, uninstall and restore write a full export of the org to
/// `<org>-<UTC time>-before-<command>.res` before they change anything; `respack restore FILE`
/// brings the package's objects back to one. Other files in the folder are not listed and
/// never removed. --prune KEEP removes all but the KEEP newest backups of each org.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder the backups are in [default: ./respack-backups]
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
    /// Remove the oldest backups, keeping the KEEP newest of each org
    #[arg(long, value_name = "KEEP")]
    pub prune: Option<usize>,
}

pub fn run(args: Args) -> CmdResult {
    let dir = backup::dir_or_default(args.backup_dir);
    let list = backup::list(&dir)?;
    let Some(keep) = args.prune else {
        out!("{}", render::backups(&list, &dir))?;
        return Ok(Exit::Success);
    };
    let gone = backup::prune(&list, keep);
    for b in &gone {
        outln!("{}", render::event(&Event::Pruned(&b.path)))?;
    }
    backup::remove(&gone)?;
    out!("{}", render::backups(&backup::list(&dir)?, &dir))?;
    Ok(Exit::Success)
}
