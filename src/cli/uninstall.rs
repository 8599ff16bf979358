//! `respack uninstall`: remove exactly what the package owns.
use std::path::PathBuf;

use super::{CmdResult, ConnArgs, Exit};
use crate::ops::{self, backup, UninstallOutcome, UninstallRequest};

/// Remove the package's own objects; dependency objects are never touched.
///
/// Without --package: the built-in package's two rules, two workflows and data table. With
/// --package PATH: what the install record in --backup-dir (`<org>-installed-<package>.json`,
/// written by `respack install --package`) says the package's installs created, dependency
/// objects included, and nothing the org had before. Without a record, the objects the package
/// owns (a source directory's respack.toml says which), keeping its dependency objects (and a
/// bare export's data tables and fields) with that reason.
///
/// Objects are matched by uuid and API name and removed in dependency order: rules, then
/// workflows, then the data table. An owned object changed on the org since install is listed
/// and kept (--force removes it); the data table is kept while any incident has rows in it
/// (--delete-data removes it with its rows). Whatever a kept object still needs is kept too,
/// with the reason ("used by rule 'X', which was changed on the org"): a kept rule keeps its
/// workflows, a kept workflow the data table its scripts write, and any other object on the org
/// keeps what it uses. A delete the org refuses anyway (HTTP 409, in use) is reported as kept, not as
/// a failure. A full export is written to --backup-dir first, only when something is removed.
/// Objects already gone count as done, so a re-run after a failure finishes the job. Without a
/// terminal, uninstall needs --yes.
///
/// Exit 0 when everything is removed (or already gone); 1 when objects are kept (listed with
/// the reason; --dry-run exits as the removal would) or the prompt was declined; 2 on errors
/// (the message says what was removed, what remains, where the backup is, and that re-running
/// is safe).
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub package: super::conn::PackageArgs,
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
    /// Where the full export taken before removal is written [default: ./respack-backups]
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
}

pub fn run(args: Args, env: &super::Environment) -> CmdResult {
    let request = UninstallRequest {
        dry_run: args.dry_run,
        force: args.force,
        delete_data: args.delete_data,
        backup_dir: backup::dir_or_default(args.backup_dir),
    };
    let package = args.package.load()?;
    let report =
        super::install::on_org(&args.conn, env, args.yes, |client, consent, out, style| {
            ops::uninstall::uninstall(client, &package, &request, consent, out, style)
        })?;
    let kept = super::install::report_kept("kept on the org", report.kept())?;
    Ok(match report.outcome {
        UninstallOutcome::Declined => Exit::Findings,
        _ if kept => Exit::Findings,
        _ => Exit::Success,
    })
}
