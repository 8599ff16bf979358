//! The text forms of [`CheckReport`] and [`Plan`], for people.
//!
//! Colour only when [`Style::for_stdout`] says so: stdout is a terminal and `NO_COLOR` is not
//! set (<https://no-color.org>). Without colour the text is the same, so tests and logs read it
//! as a terminal user does.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::Path;

use super::check::{CheckReport, IntegrationStatus, Status};
use super::install::InstallDecision;
use super::pending::Resolved;
use crate::plan::{Action, Change, Owner, Plan};
use crate::soar::{ImportId, ImportMessage, SoarError};

/// Whether to colour the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// Colour when stdout is a terminal and `no_color` (`NO_COLOR` set and not empty, as the
    /// CLI read it) is false.
    pub fn for_stdout(no_color: bool) -> Style {
        Style {
            color: !no_color && std::io::stdout().is_terminal(),
        }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.color && !text.is_empty() {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn green(self, t: &str) -> String {
        self.paint("32", t)
    }
    fn red(self, t: &str) -> String {
        self.paint("31", t)
    }
    fn yellow(self, t: &str) -> String {
        self.paint("33", t)
    }
    fn dim(self, t: &str) -> String {
        self.paint("2", t)
    }
    fn bold(self, t: &str) -> String {
        self.paint("1", t)
    }
    fn cyan(self, t: &str) -> String {
        self.paint("36", t)
    }
}

/// `respack check` as text.
pub fn check(report: &CheckReport, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Dependency integrations on org {:?}:", report.org);
    for i in &report.integrations {
        let status = match i.status {
            IntegrationStatus::Installed => style.green("installed"),
            IntegrationStatus::Different => style.yellow("different"),
            IntegrationStatus::Incomplete if i.required => style.red("incomplete"),
            IntegrationStatus::Missing if i.required => style.red("missing"),
            IntegrationStatus::Incomplete => style.yellow("incomplete"),
            IntegrationStatus::Missing => style.yellow("missing"),
        };
        let need = if i.required { "required" } else { "optional" };
        let _ = writeln!(
            out,
            "\n{} ({}, {need}): {status}",
            style.bold(&super::check::versioned(&i.name, &i.version)),
            i.package
        );
        if let Some(note) = &i.note {
            let _ = writeln!(out, "  {note}");
        }
        for o in &i.objects {
            let word = match o.status {
                Status::Present => style.green("present  "),
                Status::Different => style.yellow("different"),
                Status::Missing => style.red("missing  "),
            };
            let _ = writeln!(out, "  {word} {:<19} {}", o.kind.label(), o.name);
            for d in &o.details {
                let _ = writeln!(out, "            {d}");
            }
        }
    }
    let verdict = if report.ok {
        style.green("every required integration is installed")
    } else {
        let names: Vec<&str> = report.missing_required().map(|i| i.name.as_str()).collect();
        style.red(&format!(
            "missing required integration objects: {}",
            names.join(", ")
        ))
    };
    let _ = writeln!(out, "\n{verdict}");
    out
}

/// Which command the plan is shown for: the headings say what happens to each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanView {
    /// `diff` and `install`.
    Install,
    Uninstall,
    Restore,
}

/// A plan as text: package objects, then dependency objects, with the diffs of updates.
pub fn plan(plan: &Plan, view: PlanView, style: Style) -> String {
    let mut out = String::new();
    let owned: Vec<&Change> = plan.owned().collect();
    let deps: Vec<&Change> = plan.dependencies().collect();
    let heading = match view {
        PlanView::Install => {
            "Package objects (install creates or updates them, uninstall removes them):"
        }
        PlanView::Uninstall => "Package objects (uninstall removes them, in this order):",
        PlanView::Restore => {
            "Package objects (restore re-imports from the backup what it creates or updates, then \
             deletes what was created since, in this order):"
        }
    };
    let _ = writeln!(out, "{}", style.bold(heading));
    if owned.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for c in owned {
        change(&mut out, c, style);
    }
    if !deps.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            style.bold(
                "Dependency objects (the integrations' own: install creates only missing ones and \
                 never changes the others; uninstall never touches them):"
            )
        );
        for c in deps {
            change(&mut out, c, style);
        }
    }
    let _ = writeln!(out, "\n{}", summary(plan));
    out
}

fn change(out: &mut String, c: &Change, style: Style) {
    let word = format!("{:<9}", c.action.label());
    let word = match (c.action, c.owner) {
        (Action::Create, _) => style.green(&word),
        (Action::Update, Owner::Package) => style.yellow(&word),
        // A dependency object that differs is not changed by install: say "differs".
        (Action::Update, Owner::Dependency) => style.yellow("differs  "),
        (Action::Conflict, _) | (Action::Delete, _) => style.red(&word),
        (Action::Keep, _) => style.yellow(&word),
        (Action::Unchanged, _) | (Action::Absent, _) => style.dim(&word),
    };
    let _ = writeln!(out, "  {word} {:<19} {}", c.kind.label(), c.name);
    if let Some(reason) = &c.reason {
        let _ = writeln!(out, "            {reason}");
    }
    for d in &c.diffs {
        for line in d.unified.lines() {
            let painted = if line.starts_with("+++") || line.starts_with("---") {
                style.bold(line)
            } else if line.starts_with('+') {
                style.green(line)
            } else if line.starts_with('-') {
                style.red(line)
            } else if line.starts_with("@@") {
                style.cyan(line)
            } else {
                line.to_string()
            };
            let _ = writeln!(out, "      {painted}");
        }
    }
}

/// One line: how many objects of each action, package and dependencies apart.
pub fn summary(plan: &Plan) -> String {
    let count = |owner: Owner| {
        let mut parts = vec![];
        for action in [
            Action::Create,
            Action::Update,
            Action::Conflict,
            Action::Delete,
            Action::Keep,
            Action::Absent,
            Action::Unchanged,
        ] {
            let n = plan
                .changes
                .iter()
                .filter(|c| c.owner == owner && c.action == action)
                .count();
            if n > 0 {
                let label = match (owner, action) {
                    (Owner::Dependency, Action::Update) => "different",
                    (_, Action::Create) => "to create",
                    (_, Action::Update) => "to update",
                    (_, Action::Delete) => "to delete",
                    (_, Action::Keep) => "kept",
                    (_, Action::Absent) => "already absent",
                    (_, a) => a.label(),
                };
                parts.push(format!("{n} {label}"));
            }
        }
        if parts.is_empty() {
            "none".to_string()
        } else {
            parts.join(", ")
        }
    };
    let mut line = format!("package: {}", count(Owner::Package));
    if plan.dependencies().next().is_some() {
        line.push_str(&format!("; dependencies: {}", count(Owner::Dependency)));
    }
    line
}

/// What install says before it acts: the refusal with the check, or the integrations' state,
/// the plan and what comes next.
pub fn install_decision(
    decision: &InstallDecision,
    check: &CheckReport,
    plan: &Plan,
    org: &str,
    style: Style,
) -> String {
    let mut out = String::new();
    if let InstallDecision::RefuseMissing { missing } = decision {
        out.push_str(&self::check(check, style));
        let _ = writeln!(
            out,
            "install refused: the package needs {} on org {org:?}; nothing was changed. Install \
             the integration first, or pass --force to import the package anyway.",
            missing.join(" and ")
        );
        return out;
    }
    if let InstallDecision::Import { forced_missing, .. } = decision {
        if !forced_missing.is_empty() {
            let _ = writeln!(
                out,
                "WARNING: --force: installing although {} {} missing on org {org:?}. The \
                 package's workflows will fail until the integration is installed; the objects \
                 of it that the package carries are created now.",
                forced_missing.join(" and "),
                if forced_missing.len() == 1 {
                    "is"
                } else {
                    "are"
                }
            );
        }
    }
    for i in &check.integrations {
        let status = serde_json::to_value(i.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let note = i
            .note
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{}: {status}{note}",
            super::check::versioned(&i.name, &i.version)
        );
    }
    out.push('\n');
    out.push_str(&self::plan(plan, PlanView::Install, style));
    match decision {
        InstallDecision::RefuseConflicts { conflicts } => {
            let _ = writeln!(
                out,
                "install refused: the org has {} under the package's name but with another \
                 uuid; importing would merge the package into objects it did not create. Rename \
                 or remove them on the org first. Nothing was changed.",
                conflicts.join(", ")
            );
        }
        InstallDecision::UpToDate => {
            let _ = writeln!(
                out,
                "org {org:?} already has the package as it is: nothing to install."
            );
        }
        _ => {}
    }
    out
}

/// What restore says before it acts: which backup, and the plan.
pub fn restore_plan(plan: &Plan, backup: &Path, org: &str, style: Style) -> String {
    let mut out = format!(
        "Bringing the package's objects on org {org:?} back to the backup {}\n\n",
        backup.display()
    );
    out.push_str(&self::plan(plan, PlanView::Restore, style));
    out
}

/// The backups in `dir`, oldest first: date, org, command, size, file.
pub fn backups(list: &[super::backup::BackupFile], dir: &Path) -> String {
    if list.is_empty() {
        return format!("no backups in {}\n", dir.display());
    }
    let mut out = String::new();
    let org_w = list.iter().map(|b| b.org.len()).max().unwrap_or(0).max(3);
    let cmd_w = list
        .iter()
        .map(|b| b.command.len())
        .max()
        .unwrap_or(0)
        .max(7);
    let _ = writeln!(
        out,
        "{:<23}  {:<org_w$}  {:<cmd_w$}  {:>10}  FILE",
        "DATE", "ORG", "COMMAND", "SIZE"
    );
    for b in list {
        let _ = writeln!(
            out,
            "{:<23}  {:<org_w$}  {:<cmd_w$}  {:>10}  {}",
            b.when(),
            b.org,
            format!("before {}", b.command),
            size(b.size),
            b.path.display()
        );
    }
    let total: u64 = list.iter().map(|b| b.size).sum();
    let _ = writeln!(out, "{} backup(s), {}", list.len(), size(total));
    out
}

/// A file size for people: bytes, KiB or MiB.
fn size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
    }
}

/// Something install, uninstall or restore did (or found), as it is reported.
#[derive(Debug)]
pub enum Event<'a> {
    /// An import an earlier run left pending, dealt with.
    PendingResolved(Resolved),
    BackupWritten(&'a Path),
    ImportPending {
        id: ImportId,
        messages: &'a [ImportMessage],
    },
    DryRunRejected(ImportId),
    Declined(ImportId),
    Accepted(ImportId),
    /// The answer to the acceptance was lost, but the import is no longer pending.
    AcceptAnswerLost {
        id: ImportId,
        error: &'a SoarError,
    },
    /// The answer to the acceptance was lost and the org could not be asked again.
    AcceptUnknown(ImportId),
    Verified {
        org: &'a str,
        summary: String,
    },
    Removed(&'a str),
    /// The org refused a delete because the object is in use: kept.
    KeptInUse {
        label: &'a str,
        message: &'a str,
    },
    NothingToRemove(&'a str),
    UninstallDryRun,
    UninstallDeclined,
    UninstallVerified {
        org: &'a str,
        removed: usize,
        kept: usize,
    },
    NothingToRestore(&'a str),
    RestoreDryRun,
    RestoreDeclined,
    RestoreVerified {
        org: &'a str,
        imported: usize,
        removed: usize,
        kept: usize,
    },
    /// `respack backups --prune`: a backup removed.
    Pruned(&'a Path),
    /// Install noted what it created ([`super::record`]).
    RecordWritten {
        path: &'a Path,
        created: usize,
    },
    /// Uninstall leaves alone what the org had before the package's install.
    FoundBefore {
        record: &'a Path,
        objects: &'a [String],
    },
    /// Uninstall found no install record: dependency objects are kept.
    NoRecord {
        record: &'a Path,
    },
}

/// The line an event prints.
pub fn event(e: &Event<'_>) -> String {
    match e {
        Event::PendingResolved(Resolved::Rejected(id)) => {
            format!("import {id}, left pending by an earlier run, is rejected now (it had changed nothing).")
        }
        Event::PendingResolved(Resolved::NotPending(id)) => format!(
            "import {id}, which an earlier run could not finish, is no longer pending on the org; \
             the plan below starts from the org as it is now."
        ),
        Event::BackupWritten(path) => format!("backup of the org written to {}", path.display()),
        Event::RecordWritten { path, created } => format!(
            "install record written to {}: {created} object(s) created by this package's installs (uninstall removes those)",
            path.display()
        ),
        Event::FoundBefore { record, objects } => {
            // The first few name the kind of thing left; all of them are in the record.
            const SHOWN: usize = 12;
            let more = objects.len().saturating_sub(SHOWN);
            format!(
                "left alone: {} object(s) the package carries that the org had before its install ({}): {}{}",
                objects.len(),
                record.display(),
                objects[..objects.len().min(SHOWN)].join(", "),
                if more > 0 { format!(" and {more} more") } else { String::new() }
            )
        }
        Event::NoRecord { record } => format!(
            "no install record {}: respack cannot tell what this package's install created, so it \
             keeps the objects it cannot prove are the package's (listed as kept)",
            record.display()
        ),
        Event::ImportPending { id, messages } => {
            let mut s = format!("import {id} is pending; the server says:");
            for m in *messages {
                s.push_str(&format!("\n  {m}"));
            }
            if messages.is_empty() {
                s.push_str("\n  (no messages)");
            }
            s
        }
        Event::DryRunRejected(id) => {
            format!("dry run: import {id} rejected; nothing was changed.")
        }
        Event::Declined(id) => format!("import {id} rejected; nothing was changed."),
        Event::Accepted(id) => format!("import {id} accepted."),
        Event::AcceptAnswerLost { id, error } => format!(
            "import {id} sent for acceptance; its answer was lost ({error}), but the org no longer \
             has it pending: it was applied. Verifying with a fresh export."
        ),
        Event::AcceptUnknown(id) => format!(
            "import {id} sent for acceptance; no answer could be read: its state on the org is unknown."
        ),
        Event::Verified { org, summary } => {
            format!("verified: a fresh export of org {org:?} matches the package ({summary}).")
        }
        Event::Removed(label) => format!("removed {label}"),
        Event::KeptInUse { label, message } => {
            format!("kept {label}, in use: the org refused to delete it ({message})")
        }
        Event::NothingToRemove(org) => format!("nothing to remove from org {org:?}."),
        Event::UninstallDryRun => "dry run: nothing was removed.".into(),
        Event::UninstallDeclined => "nothing was removed.".into(),
        Event::UninstallVerified { org, removed, kept } => {
            let mut s = format!(
                "verified: a fresh export of org {org:?} no longer has the {removed} removed object(s)."
            );
            if *kept > 0 {
                s.push_str(&format!(" {kept} object(s) kept, as listed above."));
            }
            s
        }
        Event::NothingToRestore(org) => format!(
            "nothing to restore on org {org:?}: every package object the plan lists is as the \
             backup has it, or kept for the reason given."
        ),
        Event::RestoreDryRun => "dry run: nothing was changed.".into(),
        Event::RestoreDeclined => "nothing was changed.".into(),
        Event::RestoreVerified {
            org,
            imported,
            removed,
            kept,
        } => {
            let mut s = format!(
                "verified: a fresh export of org {org:?} has the package's objects as the backup \
                 has them ({imported} re-imported, {removed} removed)."
            );
            if *kept > 0 {
                s.push_str(&format!(
                    " {kept} object(s) could not be brought back, as listed above."
                ));
            }
            s
        }
        Event::Pruned(path) => format!("removed {}", path.display()),
    }
}

/// The event as an entry of "Done: ..." in an error.
pub fn done(e: &Event<'_>) -> String {
    match e {
        Event::PendingResolved(Resolved::Rejected(id)) => {
            format!("rejected import {id} left pending by an earlier run")
        }
        Event::PendingResolved(Resolved::NotPending(id)) => {
            format!("found import {id} of an earlier run no longer pending")
        }
        Event::BackupWritten(path) => format!("backup written to {}", path.display()),
        Event::RecordWritten { path, .. } => {
            format!("install record written to {}", path.display())
        }
        Event::FoundBefore { .. } | Event::NoRecord { .. } => String::new(),
        Event::ImportPending { id, .. } => {
            format!("import {id} uploaded and pending (a pending import changes nothing)")
        }
        Event::Accepted(id) | Event::AcceptAnswerLost { id, .. } => {
            format!("import {id} accepted: the org has the package's objects")
        }
        Event::Removed(label) => format!("removed {label}"),
        other => event(other),
    }
}
