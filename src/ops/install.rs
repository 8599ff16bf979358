//! `respack install`: check → plan → backup → import → accept → verify.
//!
//! One export serves the check, the plan and the backup. The import carries the package's own
//! objects that are missing or different, and the dependency objects that are missing on the
//! org (as the original package did, so that its references resolve); a dependency object that
//! is on the org is never sent, so a newer integration is never downgraded. After the server
//! accepts, a second export must give a plan with nothing left to import.
//!
//! If the answer to the acceptance is lost (a 500, a dropped connection), nobody knows whether
//! the org applied it: respack says so, points at the backup, and a re-run is safe because it
//! starts from a fresh export and imports only what is still missing.

use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

use super::check::CheckReport;
use super::render::{self, Style};
use super::{backup, export, object_label, pending, Consent, OpsError, Package, Printer};
use crate::plan::{Action, Change, Plan};
use crate::res::Kind;
use crate::soar::{Client, ImportDecision, ImportDto, ImportMessage, SoarError, TransportKind};

/// How to install.
#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// Show the plan and the server's preview, then reject the import.
    pub dry_run: bool,
    /// Install even when a required integration is missing.
    pub force: bool,
    pub backup_dir: PathBuf,
}

/// How an install ended (errors aside).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InstallOutcome {
    /// The org already has the package as it is: nothing was sent.
    UpToDate,
    /// A required integration is missing, or an object of the package's name belongs to
    /// someone else: nothing was sent.
    Refused,
    /// `--dry-run`: the preview was shown and the import rejected.
    DryRun,
    /// The user answered no: the import was rejected.
    Declined,
    /// Imported, accepted and verified.
    Installed,
}

/// What an install did.
#[derive(Debug, Clone, Serialize)]
pub struct InstallReport {
    pub outcome: InstallOutcome,
    pub check: CheckReport,
    pub plan: Plan,
    pub backup: Option<PathBuf>,
    pub messages: Vec<ImportMessage>,
}

/// The resource file install POSTs: the package's objects the plan imports, plus the internal
/// incident type and field (res-format.md §1.10).
pub fn import_file(package: &Package, plan: &Plan) -> Value {
    let mut res = serde_json::to_value(&package.res).unwrap_or(Value::Null);
    let wanted: Vec<(Kind, &str)> = plan
        .changes
        .iter()
        .filter(|c| c.is_imported())
        .map(|c| (c.kind, c.name.as_str()))
        .collect();
    for kind in Kind::ALL {
        let Some(Value::Array(list)) = res.get_mut(kind.list_key()) else {
            continue;
        };
        list.retain(|o| {
            super::is_internal(o)
                || kind
                    .api_name(o)
                    .is_some_and(|n| wanted.contains(&(kind, &*n)))
        });
    }
    res
}

/// The changes still standing after an install: what the verification export must not show.
fn outstanding(plan: &Plan) -> Vec<String> {
    plan.changes
        .iter()
        .filter(|c| c.is_outstanding())
        .map(|c| format!("{} ({})", object_label(c.kind, &c.name), c.action.label()))
        .collect()
}

/// What install will do, decided from the check and the plan alone, before any change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum InstallDecision {
    /// A required integration is missing and there is no `--force`: nothing is sent.
    RefuseMissing { missing: Vec<String> },
    /// Objects of the package's names belong to someone else: nothing is sent.
    RefuseConflicts { conflicts: Vec<String> },
    /// Nothing to import.
    UpToDate,
    /// Import what the plan marks (`forced_missing`: the integrations `--force` overrides).
    Import {
        forced_missing: Vec<String>,
        dry_run: bool,
    },
}

impl InstallDecision {
    /// Decide from the check and the plan; no I/O.
    pub fn decide(check: &CheckReport, plan: &Plan, options: &InstallOptions) -> InstallDecision {
        let missing: Vec<String> = check
            .missing_required()
            .map(|i| super::check::versioned(&i.name, &i.version))
            .collect();
        if !missing.is_empty() && !options.force {
            return InstallDecision::RefuseMissing { missing };
        }
        let conflicts: Vec<String> = plan
            .owned()
            .filter(|c| c.action == Action::Conflict)
            .map(|c| object_label(c.kind, &c.name))
            .collect();
        if !conflicts.is_empty() {
            return InstallDecision::RefuseConflicts { conflicts };
        }
        if !plan.changes.iter().any(Change::is_imported) {
            return InstallDecision::UpToDate;
        }
        InstallDecision::Import {
            forced_missing: missing,
            dry_run: options.dry_run,
        }
    }
}

/// What install (or restore, which imports the same way) has done so far: what an error says
/// when the next call fails.
pub(super) struct Progress<'a> {
    pub(super) command: &'static str,
    pub(super) backup: Option<PathBuf>,
    pub(super) done: Vec<String>,
    pub(super) printer: Printer<'a>,
}

impl Progress<'_> {
    /// Say what happened and remember it as done.
    pub(super) fn happened(&mut self, event: render::Event<'_>) -> Result<(), OpsError> {
        self.done.push(render::done(&event));
        self.printer.say(&render::event(&event))
    }

    /// The error for a call that failed: what was done, what is unknown, where the backup is.
    pub(super) fn stopped(
        &self,
        step: String,
        source: SoarError,
        unknown: Option<String>,
    ) -> OpsError {
        OpsError::Stopped {
            command: self.command,
            step,
            source: Box::new(source),
            done: self.done.clone(),
            unknown,
            backup: self.backup.clone(),
        }
    }
}

/// Run an install against the org `client` is connected to, writing progress to `out`:
/// resolve an import an earlier run left pending, export, decide ([`InstallDecision`]), render
/// the decision, then act on it.
pub fn install(
    client: &Client,
    package: &Package,
    options: &InstallOptions,
    consent: &mut Consent<'_>,
    out: &mut dyn Write,
    style: Style,
) -> Result<InstallReport, OpsError> {
    let mut progress = Progress {
        command: "install",
        backup: None,
        done: vec![],
        printer: Printer::new(out),
    };
    if !options.dry_run {
        resolve_pending(
            client,
            &options.backup_dir,
            "install",
            &mut progress.printer,
            &mut progress.done,
        )?;
    }
    let org_name = client.org().name.clone();
    let before =
        export(client).map_err(|e| progress.stopped("the export of the org".into(), e, None))?;
    let check = CheckReport::new(&org_name, &package.integrations, &before);
    let plan = Plan::install(&package.res, package, &before);
    let decision = InstallDecision::decide(&check, &plan, options);
    progress.printer.say(&render::install_decision(
        &decision, &check, &plan, &org_name, style,
    ))?;
    let mut report = InstallReport {
        outcome: InstallOutcome::Refused,
        check,
        plan,
        backup: None,
        messages: vec![],
    };
    let dry_run = match decision {
        InstallDecision::RefuseMissing { .. } | InstallDecision::RefuseConflicts { .. } => {
            return Ok(report)
        }
        InstallDecision::UpToDate => {
            report.outcome = InstallOutcome::UpToDate;
            return Ok(report);
        }
        InstallDecision::Import { dry_run, .. } => dry_run,
    };

    // The package's install record, read before anything changes: a damaged one stops here.
    let previous = match (&package.identity, dry_run) {
        (Some(id), false) => Some(super::record::read(
            &options.backup_dir,
            &org_name,
            &id.name,
        )?),
        _ => None,
    };
    if !dry_run {
        consent.ensure_possible("install")?;
        let path = backup::write(&options.backup_dir, &org_name, "install", &before)?;
        progress.backup = Some(path.clone());
        report.backup = Some(path.clone());
        progress.happened(render::Event::BackupWritten(&path))?;
    }

    let dto = upload(client, &import_file(package, &report.plan), &mut progress)?;
    report.messages = dto.messages.clone();

    if dry_run {
        reject(client, &dto, options, &mut progress)?;
        progress
            .printer
            .say(&render::event(&render::Event::DryRunRejected(dto.id)))?;
        report.outcome = InstallOutcome::DryRun;
        return Ok(report);
    }
    let question = format!("Accept import {} into org {org_name:?}? [y/N] ", dto.id);
    let yes = match consent.ask("install", &question) {
        Ok(yes) => yes,
        Err(e) => {
            // Leave no pending import behind; the prompt's own error is the one to report.
            reject(client, &dto, options, &mut progress)?;
            return Err(e);
        }
    };
    if !yes {
        reject(client, &dto, options, &mut progress)?;
        progress
            .printer
            .say(&render::event(&render::Event::Declined(dto.id)))?;
        report.outcome = InstallOutcome::Declined;
        return Ok(report);
    }
    accept(client, &dto, &options.backup_dir, &mut progress)?;
    if let (Some(identity), Some(previous)) = (&package.identity, &previous) {
        // Written as soon as the org has applied the import, before the verification: what the
        // import created is on the org whether or not the verification then passes.
        let record = super::record::InstallRecord::after_install(
            previous.as_ref(),
            identity,
            &org_name,
            &report.plan,
            report.backup.clone(),
        );
        let path = super::record::write(&options.backup_dir, &record)?;
        progress.happened(render::Event::RecordWritten {
            path: &path,
            created: record.created.len(),
        })?;
    }

    let after = export(client).map_err(|e| {
        progress.stopped(
            "the export that verifies the install".into(),
            e,
            Some("whether the org now matches the package (`respack diff` shows it)".into()),
        )
    })?;
    let verify = Plan::install(&package.res, package, &after);
    let remaining = outstanding(&verify);
    if !remaining.is_empty() {
        return Err(OpsError::NotApplied { remaining });
    }
    progress
        .printer
        .say(&render::event(&render::Event::Verified {
            org: &org_name,
            summary: render::summary(&verify),
        }))?;
    report.outcome = InstallOutcome::Installed;
    Ok(report)
}

/// Upload `res` as an import, and say what the server previews. A pending import changes
/// nothing on the org until it is accepted.
pub(super) fn upload(
    client: &Client,
    res: &Value,
    progress: &mut Progress<'_>,
) -> Result<ImportDto, OpsError> {
    let dto = client.import_start(res).map_err(|e| {
        let unknown = (!sent_nothing(&e)).then(|| {
            "whether the server kept the upload as a pending import; a pending import changes \
             nothing on the org unless someone accepts it"
                .to_string()
        });
        progress.stopped(
            "the import upload (nothing is applied before it is accepted)".into(),
            e,
            unknown,
        )
    })?;
    progress.happened(render::Event::ImportPending {
        id: dto.id,
        messages: &dto.messages,
    })?;
    Ok(dto)
}

/// Accept a pending import. When the answer is lost, rejecting the import finds out what
/// happened: a pending import is discarded (nothing changed); one the org applied is no longer
/// pending. When even that cannot be asked, the import is noted in `backup_dir` for the next
/// run to reject.
pub(super) fn accept(
    client: &Client,
    dto: &ImportDto,
    backup_dir: &std::path::Path,
    progress: &mut Progress<'_>,
) -> Result<(), OpsError> {
    let backup = progress.backup.clone().unwrap_or_default();
    match client.import_finish(dto, ImportDecision::Accept) {
        Ok(_) => progress.happened(render::Event::Accepted(dto.id))?,
        Err(source) => {
            // Whether the org applied it is unknown. Rejecting it finds out: a pending import
            // is discarded (nothing changed); one the org applied is no longer pending.
            match client.import_finish(dto, ImportDecision::Reject) {
                Ok(_) => {
                    return Err(OpsError::AcceptFailed {
                        command: progress.command,
                        id: dto.id,
                        source: Box::new(source),
                        backup,
                    })
                }
                Err(SoarError::Http {
                    status: 404 | 409, ..
                }) => progress.happened(render::Event::AcceptAnswerLost {
                    id: dto.id,
                    error: &source,
                })?,
                Err(_) => {
                    let journal = pending::remember(backup_dir, client, dto)?;
                    progress
                        .printer
                        .say(&render::event(&render::Event::AcceptUnknown(dto.id)))?;
                    return Err(OpsError::AcceptUnknown {
                        command: progress.command,
                        id: dto.id,
                        source: Box::new(source),
                        backup,
                        journal,
                    });
                }
            }
        }
    }
    Ok(())
}

/// True when the request surely never reached the server (no connection was made).
fn sent_nothing(e: &SoarError) -> bool {
    matches!(
        e,
        SoarError::Transport {
            kind: TransportKind::Dns
                | TransportKind::Connect
                | TransportKind::Tls
                | TransportKind::Proxy,
            ..
        }
    )
}

/// Reject a pending import (dry run, declined, prompt failed). When the rejection fails, note the
/// import so that the next run rejects it, and say so.
fn reject(
    client: &Client,
    dto: &ImportDto,
    options: &InstallOptions,
    progress: &mut Progress<'_>,
) -> Result<(), OpsError> {
    match client.import_finish(dto, ImportDecision::Reject) {
        Ok(_) => Ok(()),
        Err(e) => {
            let journal = pending::remember(&options.backup_dir, client, dto)?;
            Err(progress.stopped(
                format!("the rejection of import {}", dto.id),
                e,
                Some(format!(
                    "whether import {} is still pending; it changes nothing unless accepted, and \
                     the next install or uninstall rejects it (noted in {})",
                    dto.id,
                    journal.display()
                )),
            ))
        }
    }
}

/// Reject the import an earlier run left pending on this org (see [`pending`]), and say so.
pub(super) fn resolve_pending(
    client: &Client,
    dir: &std::path::Path,
    command: &'static str,
    printer: &mut Printer<'_>,
    done: &mut Vec<String>,
) -> Result<(), OpsError> {
    match pending::resolve(dir, client) {
        Ok(None) => Ok(()),
        Ok(Some(resolved)) => {
            let event = render::Event::PendingResolved(resolved);
            done.push(render::done(&event));
            printer.say(&render::event(&event))
        }
        Err(pending::ResolveError::Note(e)) => Err(*e),
        Err(pending::ResolveError::Soar(id, source)) => Err(OpsError::Stopped {
            command,
            step: format!("the rejection of import {id}, which an earlier run left pending"),
            source: Box::new(source),
            done: vec![],
            unknown: Some(format!(
                "whether import {id} is still pending (it changes nothing unless accepted)"
            )),
            backup: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::INTERNAL_UUIDS;
    use super::*;
    use crate::res;
    use serde_json::json;

    fn package() -> Package {
        let v = json!({
            "export_format_version": 2,
            "actions": [{"uuid": "r-1", "name": "My rule", "export_key": "My rule"}],
            "workflows": [{"uuid": "w-1", "programmatic_name": "my_wf", "name": "W", "content": {"xml": "<x/>"}}],
            "functions": [{"uuid": "f-1", "export_key": "dep_fn", "name": "dep_fn"},
                          {"uuid": "f-2", "export_key": "dep_fn2", "name": "dep_fn2"}],
            "incident_types": [{"uuid": INTERNAL_UUIDS[0], "name": "Customization Packages (internal)"}],
            "fields": [{"uuid": INTERNAL_UUIDS[1], "export_key": "incident/internal_customizations_field", "name": "internal_customizations_field"}]
        });
        Package {
            res: res::parse(&res::Origin::file("t.res"), &v.to_string()).unwrap(),
            owned: vec![
                (Kind::Rule, "My rule".into()),
                (Kind::Workflow, "my_wf".into()),
            ],
            integrations: vec![],
            identity: None,
        }
    }

    #[test]
    fn import_carries_owned_changes_missing_dependencies_and_the_internal_objects() {
        let p = package();
        let org = json!({
            "actions": [{"uuid": "r-1", "name": "My rule", "export_key": "My rule"}],
            "functions": [{"uuid": "f-1", "export_key": "dep_fn", "name": "dep_fn", "display_name": "changed"}],
        });
        let plan = Plan::install(&p.res, &p, &org);
        let res = import_file(&p, &plan);
        let names = |list: &str, key: &str| -> Vec<String> {
            res[list]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|o| o[key].as_str().unwrap().to_string())
                        .collect()
                })
                .unwrap_or_default()
        };
        assert_eq!(
            names("actions", "name"),
            Vec::<String>::new(),
            "unchanged rule not sent"
        );
        assert_eq!(names("workflows", "programmatic_name"), ["my_wf"]);
        assert_eq!(
            names("functions", "export_key"),
            ["dep_fn2"],
            "the missing dependency is sent, the present one is not"
        );
        assert_eq!(names("incident_types", "uuid"), [INTERNAL_UUIDS[0]]);
        assert_eq!(names("fields", "uuid"), [INTERNAL_UUIDS[1]]);
    }

    #[test]
    fn outstanding_ignores_differing_dependencies_but_not_owned_updates() {
        let p = package();
        let org = json!({
            "actions": [{"uuid": "r-1", "name": "My rule", "export_key": "My rule"}],
            "workflows": [{"uuid": "w-1", "programmatic_name": "my_wf", "name": "W", "content": {"xml": "<x/>"}}],
            "functions": [{"uuid": "f-1", "export_key": "dep_fn", "name": "dep_fn", "display_name": "v2"},
                          {"uuid": "f-2", "export_key": "dep_fn2", "name": "dep_fn2"}],
        });
        let plan = Plan::install(&p.res, &p, &org);
        assert!(outstanding(&plan).is_empty(), "{:?}", outstanding(&plan));
        let mut org2 = org.clone();
        org2["workflows"][0]["name"] = json!("changed");
        let plan = Plan::install(&p.res, &p, &org2);
        assert_eq!(outstanding(&plan), ["workflow my_wf (update)"]);
    }

    #[test]
    fn the_decision_follows_the_plan_and_the_options() {
        let p = package();
        let check = CheckReport::new("Org", &[], &json!({}));
        let opts = |dry_run| InstallOptions {
            dry_run,
            force: false,
            backup_dir: PathBuf::from("unused"),
        };
        let empty = Plan::install(&p.res, &p, &json!({}));
        assert_eq!(
            InstallDecision::decide(&check, &empty, &opts(true)),
            InstallDecision::Import {
                forced_missing: vec![],
                dry_run: true
            }
        );
        let installed = json!({
            "actions": [{"uuid": "r-1", "name": "My rule", "export_key": "My rule"}],
            "workflows": [{"uuid": "w-1", "programmatic_name": "my_wf", "name": "W", "content": {"xml": "<x/>"}}],
            "functions": [{"uuid": "f-1", "export_key": "dep_fn", "name": "dep_fn"},
                          {"uuid": "f-2", "export_key": "dep_fn2", "name": "dep_fn2"}],
        });
        let clean = Plan::install(&p.res, &p, &installed);
        assert_eq!(
            InstallDecision::decide(&check, &clean, &opts(false)),
            InstallDecision::UpToDate
        );
        let mut foreign = installed.clone();
        foreign["actions"][0]["uuid"] = json!("someone-elses");
        let conflict = Plan::install(&p.res, &p, &foreign);
        assert_eq!(
            InstallDecision::decide(&check, &conflict, &opts(false)),
            InstallDecision::RefuseConflicts {
                conflicts: vec!["rule My rule".into()]
            }
        );
    }
}
