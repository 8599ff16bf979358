//! `respack restore BACKUP`: the package's objects back to how a backup has them.
use std::path::PathBuf;

use super::{CmdResult, ConnArgs, Exit};
use crate::ops::{self, backup, RestoreOutcome, RestoreRequest};

/// Bring the package's objects back to a backup that install, uninstall or restore wrote.
///
/// For an org where an install is regretted, or an uninstall was interrupted. The package's own
/// objects in the backup are compared with a fresh export of the org: what the backup has and
/// the org lacks or has otherwise is re-imported with the backup's definitions, and what the
/// org has and the backup lacks (created since) is deleted, in uninstall's order. Dependency
/// objects are never touched, except, with --package PATH, those the install record beside
/// BACKUP (`<org>-installed-<package>.json`) says that package's installs created. A data table created since that now holds incidents' rows, an
/// object of the backup's name with another uuid, and whatever an object staying on the org
/// needs are kept, with the reason. `respack backups` lists the backups.
///
/// A full export of the state it replaces is written to --backup-dir first, only when
/// something changes. Objects already as the backup has them count as done, so a re-run after
/// an interruption finishes the job. Without a terminal, restore needs --yes. A backup whose
/// name says it is of another org is refused.
///
/// Exit 0 when the package's objects are as the backup has them (or after --dry-run, which
/// changes nothing); 1 when objects could not be brought back (listed with the reason) or the
/// prompt was declined; 2 on errors (the message says what was done, where the backup is, and
/// that re-running is safe).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The backup to restore: a `<org>-<time>-before-<command>.res` file
    #[arg(value_name = "BACKUP")]
    pub backup: PathBuf,
    #[command(flatten)]
    pub package: super::conn::PackageArgs,
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Show what would be re-imported and removed, change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Restore without asking
    #[arg(long)]
    pub yes: bool,
    /// Where the full export taken before the restore is written [default: ./respack-backups]
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
}

pub fn run(args: Args, env: &super::Environment) -> CmdResult {
    let request = RestoreRequest {
        backup: args.backup,
        dry_run: args.dry_run,
        backup_dir: backup::dir_or_default(args.backup_dir),
    };
    let package = args.package.load()?;
    let report =
        super::install::on_org(&args.conn, env, args.yes, |client, consent, out, style| {
            ops::restore::restore(client, &package, &request, consent, out, style)
        })?;
    let kept = super::install::report_kept("not brought back", report.kept())?;
    Ok(match report.outcome {
        RestoreOutcome::DryRun => Exit::Success,
        RestoreOutcome::Declined => Exit::Findings,
        _ if kept => Exit::Findings,
        _ => Exit::Success,
    })
}
