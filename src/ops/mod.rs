//! `check`, `diff`, `install`, `uninstall` and `restore`: the package against a live org.
//!
//! Each command works the same way: one export of the org, then a value computed from it and the
//! package alone ([`CheckReport`], [`crate::plan::Plan`], [`install::InstallDecision`],
//! [`uninstall::UninstallDecision`]), rendered by [`render`], then — for install and uninstall —
//! that value executed, and a fresh export to prove the org now is what the plan said. The value
//! is what `--format json` prints and what `--dry-run` shows, so what is shown is what is done.
//!
//! - [`check`]: are the dependency integrations' objects on the org ([`CheckReport`])?
//! - [`diff`]: the install plan, package objects and dependency objects apart.
//! - [`install`]: check → plan → decide → backup → import → accept → verify.
//! - [`uninstall`]: plan (keeping whatever kept objects need) → decide → backup → delete the
//!   package's own objects → verify.
//! - [`restore`]: read a backup → plan the package's objects back to it → decide → backup →
//!   re-import what it had (install's import and accept) → delete what was created since
//!   (uninstall's ordered deletes) → verify.
//! - [`backup`]: the full export written before anything changes; the list `respack backups`
//!   shows and prunes.
//! - `package`: a [`Package`] read from any path (`--package`): an export in any form or a
//!   source directory, its dependencies named by its manifest or inferred.
//! - [`record`]: what an install of such a package created on the org, which its uninstall
//!   (and restore) removes, and nothing the org had before.
//! - `pending`: the note of an import whose acceptance got no answer, rejected by the next run.
//! - [`render`]: the text forms, coloured only on a terminal.
//!
//! When a call fails, the error says what the command had done, what is unknown, where the
//! backup is, and that re-running is safe ([`OpsError::Stopped`] and its siblings): every
//! command starts from a fresh export, so a re-run does only what is still to do. Output that
//! cannot be written stops the command ([`OpsError::Output`]).
//!
//! Every command makes a fixed number of HTTP calls, whatever the size of the org: the session,
//! `GET /rest/const` (whether to export playbooks), one export, and for install the import POST
//! and PUT plus a second export; for uninstall one search for rows in the package's data tables,
//! one DELETE per object it removes (bounded by the package, never by the org) and a second
//! export. Everything else
//! is read from the export. Restore makes install's import calls when something comes back
//! and uninstall's DELETEs when something goes, plus one search for rows before the plan and
//! one after the verifying export, and only when the plan would delete a data table. A failed
//! acceptance adds one PUT (the rejection that finds out what
//! happened), and an import an earlier run left pending one more.

pub mod backup;
mod builtin;
pub mod check;
pub mod diff;
pub mod install;
mod package;
mod pending;
pub mod record;
pub mod render;
pub mod restore;
pub mod uninstall;

use std::path::PathBuf;

use serde_json::Value;

use crate::help::Help;
use crate::plan::Ownership;
use crate::res::{Kind, ResFile};
use crate::soar::{Client, ExportOptions, ImportId, SoarError};

pub use check::{CheckReport, IntegrationSpec, ObjectSpec, PartSpec};
pub use install::{InstallOptions, InstallOutcome, InstallReport};
pub use package::{is_internal, Identity, Provenance, INTERNAL_UUIDS};
pub use restore::{RestoreOutcome, RestoreReport, RestoreRequest};
pub use uninstall::{UninstallOutcome, UninstallReport, UninstallRequest};

/// What the commands compare the org with: the package's resource file, which of its objects
/// it owns, and the integrations it depends on. [`Package::builtin`] is the qraw_mitre package;
/// tests build smaller ones.
#[derive(Debug, Clone)]
pub struct Package {
    /// The resource file install imports (its own objects and the dependency objects it refers
    /// to, as the original package carried them).
    pub res: ResFile,
    /// The package's own objects (kind, API name), in the order uninstall removes them.
    pub owned: Vec<(Kind, String)>,
    /// The integrations whose objects the package needs.
    pub integrations: Vec<IntegrationSpec>,
    /// For a package read from a path (`--package`): its name, version and where its ownership
    /// comes from; install records what it created under that name ([`record`]). `None` for
    /// the built-in package (and test packages), whose ownership is declared in code and whose
    /// dependencies are the integrations' own: never removed, no record needed.
    pub identity: Option<Identity>,
}

impl Ownership for Package {
    fn owns(&self, kind: Kind, api_name: &str) -> bool {
        self.owned.iter().any(|(k, n)| *k == kind && n == api_name)
    }
}

/// Whether an install or uninstall may go ahead once it has shown what it will do.
pub enum Consent<'a> {
    /// `--yes`.
    Yes,
    /// Ask on the terminal; the function shows the question and returns the answer.
    Ask(&'a mut dyn FnMut(&str) -> std::io::Result<bool>),
    /// No terminal to ask on and no `--yes`: the command stops before changing anything.
    NoTerminal,
}

impl Consent<'_> {
    /// Whether the command may go on; `NoTerminal` is an error naming the flag.
    fn ask(&mut self, command: &'static str, question: &str) -> Result<bool, OpsError> {
        match self {
            Consent::Yes => Ok(true),
            Consent::Ask(f) => f(question).map_err(OpsError::Prompt),
            Consent::NoTerminal => Err(OpsError::NeedsYes { command }),
        }
    }

    /// Fail early, before any change, when there will be no way to ask.
    fn ensure_possible(&self, command: &'static str) -> Result<(), OpsError> {
        match self {
            Consent::NoTerminal => Err(OpsError::NeedsYes { command }),
            _ => Ok(()),
        }
    }
}

/// Where a command writes its prose: every write error stops the command
/// ([`OpsError::Output`]), since a report nobody can read must not pass for success.
pub(crate) struct Printer<'a> {
    out: &'a mut dyn std::io::Write,
}

impl<'a> Printer<'a> {
    pub(crate) fn new(out: &'a mut dyn std::io::Write) -> Printer<'a> {
        Printer { out }
    }

    /// Write `text` (rendered by [`render`]) and a newline unless it ends with one.
    pub(crate) fn say(&mut self, text: &str) -> Result<(), OpsError> {
        let nl = if text.ends_with('\n') { "" } else { "\n" };
        write!(self.out, "{text}{nl}")
            .and_then(|()| self.out.flush())
            .map_err(OpsError::Output)
    }
}

/// The org as one export, and the client that took it.
pub(crate) fn export(client: &Client) -> Result<Value, SoarError> {
    client.export(&ExportOptions::default())
}

/// Everything that stops check, diff, install or uninstall.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error(transparent)]
    Soar(#[from] SoarError),

    #[error("`respack {command}` needs confirmation, and there is no terminal to ask on")]
    NeedsYes { command: &'static str },

    #[error("cannot read the answer to the prompt: {0}")]
    Prompt(std::io::Error),

    #[error("cannot write the backup {}: {source}", path.display())]
    Backup {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "import {id} was sent for acceptance, but the org's answer was lost ({source}), and \
         respack could not reach the org again to find out: whether it was applied is unknown. \
         If it is still pending it changes nothing until accepted; the next `respack install`, \
         `respack uninstall` or `respack restore` rejects it (noted in {}). The org as it was \
         before is saved in {}",
        journal.display(), backup.display()
    )]
    AcceptUnknown {
        command: &'static str,
        id: ImportId,
        source: Box<SoarError>,
        backup: PathBuf,
        journal: PathBuf,
    },

    #[error(
        "import {id} was not accepted ({source}); respack rejected it, so nothing was changed on \
         the org. The org as it was before is saved in {}",
        backup.display()
    )]
    AcceptFailed {
        command: &'static str,
        id: ImportId,
        source: Box<SoarError>,
        backup: PathBuf,
    },

    #[error(
        "the import was accepted, but the org still differs from the package: {}",
        remaining.join("; ")
    )]
    NotApplied { remaining: Vec<String> },

    #[error(
        "{command} stopped at {step}: {source}. Done: {}.{} {}",
        list_or(done, "nothing, the org was not changed"),
        unknown.as_ref().map(|u| format!(" Unknown: {u}.")).unwrap_or_default(),
        match backup {
            Some(b) => format!("The org as it was before is saved in {}", b.display()),
            None => "No backup was needed: nothing had been changed".to_string(),
        }
    )]
    Stopped {
        command: &'static str,
        /// The call that failed, in words.
        step: String,
        source: Box<SoarError>,
        /// What the command had done, in order.
        done: Vec<String>,
        /// What nobody knows after the failure.
        unknown: Option<String>,
        backup: Option<PathBuf>,
    },

    #[error(
        "{command} stopped at {failed}: {source}. Removed: {}. Not removed (or not confirmed): {}.{} \
         The org as it was before is saved in {}",
        list_or(deleted, "nothing"), remaining.join(", "),
        if *answer_lost { format!(" Unknown: whether {failed} was removed (the org's answer was lost).") } else { String::new() },
        backup.display()
    )]
    UninstallInterrupted {
        /// `uninstall`, or `restore` deleting what was created since its backup.
        command: &'static str,
        failed: String,
        /// The request may have reached the org: whether it removed `failed` is unknown.
        answer_lost: bool,
        deleted: Vec<String>,
        remaining: Vec<String>,
        source: Box<SoarError>,
        backup: PathBuf,
    },

    #[error("cannot read or write {}, where respack notes an import left pending: {source}", path.display())]
    Journal {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("cannot write the output: {0}")]
    Output(std::io::Error),

    #[error("uninstall deleted {}, but the org still has them", still.join(", "))]
    NotRemoved { still: Vec<String> },

    #[error("respack cannot remove a {kind} ({name})")]
    CannotRemove { kind: Kind, name: String },

    #[error("cannot read the backup {}: {message}", path.display())]
    BackupUnreadable { path: PathBuf, message: String },

    #[error(
        "the backup {} is of org {backup_org:?}, but the connection is to org {org:?}",
        path.display()
    )]
    BackupOfAnotherOrg {
        path: PathBuf,
        backup_org: String,
        org: String,
    },

    #[error(
        "restore finished, but the org still differs from the backup: {}",
        remaining.join("; ")
    )]
    NotRestored { remaining: Vec<String> },

    #[error("cannot read or write the install record {}: {source}", path.display())]
    Record {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("cannot read the backups in {}: {source}", path.display())]
    BackupDir {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("cannot remove the backup {}: {source}", path.display())]
    Prune {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What a re-run of `command` does, the end of "re-running is safe: it ...".
fn rerun_does(command: &str) -> &'static str {
    match command {
        "install" => "imports only what is still missing or different",
        "restore" => {
            "brings back only what still differs from the backup; objects already removed count as done"
        }
        _ => "objects already removed count as done",
    }
}

fn list_or(items: &[String], none: &str) -> String {
    if items.is_empty() {
        none.into()
    } else {
        items.join(", ")
    }
}

impl Help for OpsError {
    fn help(&self) -> Option<String> {
        match self {
            OpsError::Soar(e) => e.help(),
            OpsError::NeedsYes { command } => Some(format!(
                "pass --yes to go ahead without asking, or --dry-run to see what `respack {command}` would do"
            )),
            OpsError::Prompt(_) => Some("pass --yes to go ahead without asking".into()),
            OpsError::Backup { .. } => Some(
                "choose a writable folder with --backup-dir; nothing was changed on the org".into(),
            ),
            OpsError::AcceptUnknown { command, .. } | OpsError::AcceptFailed { command, .. } => {
                Some(format!(
                    "re-running `respack {command}` is safe: it compares the org again and {}",
                    rerun_does(command)
                ))
            }
            OpsError::Stopped {
                command, source, ..
            } => Some(format!(
                "{}re-running `respack {command}` is safe: it starts again from a fresh export of \
                 the org and {}",
                source.help().map(|h| format!("{h}; ")).unwrap_or_default(),
                rerun_does(command)
            )),
            OpsError::Journal { path, .. } => Some(format!(
                "check that {} is readable and writable (or remove it if no import is pending)",
                path.display()
            )),
            OpsError::Output(_) => None,
            OpsError::NotApplied { .. } => Some(
                "run `respack diff` to see the differences; the server may have refused part of \
                 the import"
                    .into(),
            ),
            OpsError::UninstallInterrupted { command, .. } => Some(format!(
                "re-run `respack {command}`: it is safe, it starts from a fresh export and {}",
                rerun_does(command)
            )),
            OpsError::NotRemoved { .. } => Some("run `respack diff` to see what is left".into()),
            OpsError::CannotRemove { .. } => None,
            OpsError::BackupUnreadable { .. } => Some(
                "name a backup that `respack install`, `uninstall` or `restore` wrote; \
                 `respack backups` lists them"
                    .into(),
            ),
            OpsError::BackupOfAnotherOrg { backup_org, .. } => Some(format!(
                "connect to org {backup_org:?} (--org, or the app.config), or choose one of this \
                 org's backups (`respack backups` lists them); nothing was changed"
            )),
            OpsError::NotRestored { .. } => Some(
                "re-run `respack restore` with the same backup: it compares the org again and does \
                 only what is still to do"
                    .into(),
            ),
            OpsError::Record { path, .. } => Some(format!(
                "check {}: it is the JSON file in which install notes what it created (deleting \
                 it makes uninstall keep every dependency object and say so)",
                path.display()
            )),
            OpsError::BackupDir { .. } => {
                Some("choose the folder the backups are in with --backup-dir".into())
            }
            OpsError::Prune { .. } => Some(
                "check the folder's permissions; the backups listed before it were removed, the \
                 others are still there"
                    .into(),
            ),
        }
    }
}

/// `"<kind> <name>"`, the way every message names an object.
pub(crate) fn object_label(kind: Kind, name: &str) -> String {
    format!("{kind} {name}")
}
