//! `respack uninstall`: remove the package's own objects, and nothing else.
//!
//! The plan ([`Plan::uninstall`]) lists only owned objects, each matched by API name *and*
//! uuid, in dependency order (rules, then the workflows they run, then the data table). An
//! owned object that was changed on the org since install is kept unless `--force`; the data
//! table is kept while any incident has rows in it unless `--delete-data`. Whether it has rows
//! is one `POST /rest/search_ex` for data-table rows of the package's tables, whatever the
//! number of incidents. Dependency objects are never in the plan, so never touched.
//!
//! A package read with `--package` goes by its install record instead ([`super::record`],
//! read from `--backup-dir`): what the package's installs created is removed, dependency
//! objects included, and what the org had before is left alone. Without a record, the objects
//! the package owns are removed and its dependency objects kept and listed with the reason, so
//! the run exits 1. Objects of kinds SOAR's API has no DELETE for ([`deletable`]) are kept with
//! that reason.
//!
//! Objects already gone count as done, so a re-run after a failure (or after a delete whose
//! answer was lost) finishes the job.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{json, Value};

use super::render::{self, Event, PlanView, Style};
use super::{backup, export, object_label, Consent, OpsError, Package, Printer};
use crate::plan::{Action, Change, Ownership, Plan, UninstallOptions};
use crate::res::Kind;
use crate::soar::{Client, SoarError, TransportKind};

/// How to uninstall.
#[derive(Debug, Clone)]
pub struct UninstallRequest {
    pub dry_run: bool,
    /// Remove owned objects even when they changed on the org since install.
    pub force: bool,
    /// Remove the data table even when incidents have rows in it.
    pub delete_data: bool,
    pub backup_dir: PathBuf,
}

/// How an uninstall ended (errors aside).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UninstallOutcome {
    /// None of the package's objects that may be removed is on the org.
    NothingToDo,
    DryRun,
    Declined,
    /// Everything in the plan marked delete was removed (kept objects stay, with reasons).
    Removed,
}

/// What an uninstall did.
#[derive(Debug, Clone, Serialize)]
pub struct UninstallReport {
    pub outcome: UninstallOutcome,
    pub plan: Plan,
    pub backup: Option<PathBuf>,
    pub deleted: Vec<String>,
}

impl UninstallReport {
    /// The package's objects left on the org on purpose (changed since install, or with rows).
    pub fn kept(&self) -> impl Iterator<Item = &Change> {
        self.plan
            .changes
            .iter()
            .filter(|c| c.action == Action::Keep)
    }
}

/// Which of `tables` have rows on any incident, in one search. A server that cannot answer the
/// search leaves the answer unknown: those tables are then treated as having rows (kept unless
/// `--delete-data`), with the reason in the second set.
pub fn tables_with_rows(
    client: &Client,
    tables: &[String],
) -> Result<(BTreeSet<String>, Option<String>), SoarError> {
    if tables.is_empty() {
        return Ok((BTreeSet::new(), None));
    }
    let query = json!({
        "query": "*",
        "min_required_results": 0,
        "types": ["datatable"],
        "filters": {"datatable": [{"conditions": [
            {"field_name": "type_name", "method": "in", "value": tables}
        ]}]},
    });
    let answer = match client.search_ex(&query) {
        Ok(a) => a,
        Err(SoarError::Http {
            status, message, ..
        }) if status != 401 && status != 403 => {
            let why = format!(
                "could not ask the org whether incidents have rows in it (search: HTTP {status} {message})"
            );
            return Ok((tables.iter().cloned().collect(), Some(why)));
        }
        Err(e) => return Err(e),
    };
    let mut found = BTreeSet::new();
    let hits = answer
        .get("results")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for hit in hits {
        if hit.get("type_id").and_then(Value::as_str) != Some("datatable") {
            continue;
        }
        let name = ["type_name", "type_handle", "table_name"]
            .iter()
            .find_map(|k| hit.pointer(&format!("/result/{k}")).and_then(Value::as_str))
            .or_else(|| hit.get("obj_type_name").and_then(Value::as_str));
        match name {
            Some(n) if tables.iter().any(|t| t == n) => {
                found.insert(n.to_string());
            }
            Some(_) => {}
            // A row hit that does not say its table: assume it is in one of ours.
            None => found.extend(tables.iter().cloned()),
        }
    }
    Ok((found, None))
}

/// Whether respack deletes objects of `kind` through SOAR's REST API, with the call
/// [`remove`] makes: rules, workflows, functions, message destinations, scripts, data tables
/// and fields of every type (`reference/res-format.md` §2.9), and the kinds SOAR's UI deletes
/// through the same API at `/{collection}/{id}`: playbooks, phases, incident types, artifact
/// types (`/artifact_types`), layouts, automatic tasks (`/automatic_tasks`, the resource
/// resilient-circuits reads them from), roles, workspaces and tags. Apps (§2.8: no endpoint in
/// any source), inbound destinations and case matching profiles have no DELETE respack knows
/// of: uninstall keeps them and says so.
pub fn deletable(kind: Kind) -> bool {
    api_kind(kind).is_some() || matches!(kind, Kind::DataTable | Kind::Field)
}

/// The REST collection of a kind deleted at `/{collection}/{id}`.
fn api_kind(kind: Kind) -> Option<crate::soar::Kind> {
    use crate::soar::Kind as Api;
    Some(match kind {
        Kind::Rule => Api::Rule,
        Kind::Workflow => Api::Workflow,
        Kind::Function => Api::Function,
        Kind::MessageDestination => Api::MessageDestination,
        Kind::Script => Api::Script,
        Kind::Playbook => Api::Playbook,
        Kind::Phase => Api::Phase,
        Kind::IncidentType => Api::IncidentType,
        Kind::ArtifactType => Api::ArtifactType,
        Kind::Layout => Api::Layout,
        Kind::AutomaticTask => Api::AutomaticTask,
        Kind::Role => Api::Role,
        Kind::Workspace => Api::Workspace,
        Kind::Tag => Api::Tag,
        _ => return None,
    })
}

/// Turn every planned delete SOAR has no REST call for into a keep, with the reason, and keep
/// what those objects need in turn.
pub(super) fn keep_what_soar_cannot_delete(plan: &mut Plan, org: &Value) {
    let mut changed = false;
    for c in plan
        .changes
        .iter_mut()
        .filter(|c| c.action == Action::Delete && !deletable(c.kind))
    {
        c.action = Action::Keep;
        c.reason = Some(format!(
            "kept: SOAR's REST API has no call to delete this {}; remove it in the SOAR UI if it \
             is no longer wanted",
            c.kind
        ));
        c.kept_because = Some("SOAR cannot delete through its API".into());
        changed = true;
    }
    if changed {
        plan.keep_what_kept_objects_need(org);
    }
}

/// Remove one object by the org's id (or its API name when the export had no id).
fn remove(client: &Client, c: &Change) -> Result<(), OpsError> {
    let handle = match &c.org_id {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => c.name.clone(),
    };
    let result = match c.kind {
        kind if api_kind(kind).is_some() => {
            client.delete(api_kind(kind).expect("checked just above"), &handle)
        }
        Kind::DataTable => client.delete_type(&c.name),
        Kind::Field => match c.name.split_once('/') {
            Some((ty, name)) => client.delete_field(ty, name),
            None => {
                return Err(OpsError::CannotRemove {
                    kind: c.kind,
                    name: c.name.clone(),
                })
            }
        },
        _ => {
            return Err(OpsError::CannotRemove {
                kind: c.kind,
                name: c.name.clone(),
            })
        }
    };
    match result {
        // Gone already (removed by hand, or by an earlier attempt whose answer was lost).
        Err(SoarError::Http { status: 404, .. }) => Ok(()),
        other => other.map_err(OpsError::from),
    }
}

/// Delete the plan's deletes in its order (rules, workflows, data tables). A delete the org
/// refuses as in use (HTTP 409) turns into a keep, with what the object needs (judged on
/// `org`), and the rest goes on; any other failure stops with what was removed and what
/// remains. Objects already gone count as done.
pub(super) fn remove_in_order(
    client: &Client,
    command: &'static str,
    plan: &mut Plan,
    org: &Value,
    printer: &mut Printer<'_>,
    deleted: &mut Vec<String>,
    backup: &Path,
) -> Result<(), OpsError> {
    let to_delete: Vec<Change> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .cloned()
        .collect();
    for (i, planned) in to_delete.iter().enumerate() {
        // A refusal earlier in the loop may have turned this delete into a keep.
        let still_planned = plan.changes.iter().any(|c| {
            c.kind == planned.kind && c.name == planned.name && c.action == Action::Delete
        });
        if !still_planned {
            continue;
        }
        let label = object_label(planned.kind, &planned.name);
        match remove(client, planned) {
            Ok(()) => {
                printer.say(&render::event(&Event::Removed(&label)))?;
                deleted.push(label);
            }
            // In use by an object the plan could not see (created meanwhile, or a reference
            // the plan does not know): keep it, and what it needs, and go on.
            Err(OpsError::Soar(SoarError::Http {
                status: 409,
                message,
                ..
            })) => {
                printer.say(&render::event(&Event::KeptInUse {
                    label: &label,
                    message: &message,
                }))?;
                plan.refused_delete(planned.kind, &planned.name, &message, org);
            }
            Err(OpsError::Soar(source)) => {
                let remaining = to_delete[i..]
                    .iter()
                    .filter(|c| {
                        plan.changes.iter().any(|p| {
                            p.kind == c.kind && p.name == c.name && p.action == Action::Delete
                        })
                    })
                    .map(|c| object_label(c.kind, &c.name))
                    .collect();
                return Err(OpsError::UninstallInterrupted {
                    command,
                    answer_lost: matches!(
                        source,
                        SoarError::Transport {
                            kind: TransportKind::Io | TransportKind::Timeout,
                            ..
                        }
                    ),
                    failed: label,
                    deleted: deleted.clone(),
                    remaining,
                    source: Box::new(source),
                    backup: backup.to_path_buf(),
                });
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Which of a package's objects uninstall may remove: what its install record says the
/// package's installs created ([`super::record`]), else what the package owns (the built-in
/// package, or a package read from a path with no record: a bare export then owns neither its
/// data tables nor its fields, `Package::load`).
struct Removable<'a> {
    package: &'a Package,
    record: Option<&'a super::record::InstallRecord>,
}

impl Ownership for Removable<'_> {
    fn owns(&self, kind: Kind, name: &str) -> bool {
        let declared = self.package.owns(kind, name);
        let Some(record) = self.record else {
            return declared;
        };
        let inferred = self
            .package
            .identity
            .as_ref()
            .is_some_and(|i| i.provenance == super::Provenance::Inferred);
        record.created(kind, name) || (declared && !inferred && !record.found(kind, name))
    }
}

/// What uninstall will do, decided from the plan alone, before any change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum UninstallDecision {
    /// Nothing the plan may remove is on the org.
    NothingToDo,
    /// `--dry-run`: show the plan, remove nothing.
    DryRun,
    /// Remove these objects, in this order (labels).
    Remove { objects: Vec<String> },
}

impl UninstallDecision {
    pub fn decide(plan: &Plan, request: &UninstallRequest) -> UninstallDecision {
        let objects: Vec<String> = plan
            .changes
            .iter()
            .filter(|c| c.action == Action::Delete)
            .map(|c| object_label(c.kind, &c.name))
            .collect();
        if objects.is_empty() {
            UninstallDecision::NothingToDo
        } else if request.dry_run {
            UninstallDecision::DryRun
        } else {
            UninstallDecision::Remove { objects }
        }
    }
}

/// The error for a call that failed before any object was removed.
fn stopped(step: &str, source: SoarError, done: &[String], backup: Option<PathBuf>) -> OpsError {
    OpsError::Stopped {
        command: "uninstall",
        step: step.into(),
        source: Box::new(source),
        done: done.to_vec(),
        unknown: None,
        backup,
    }
}

/// Run an uninstall against the org `client` is connected to, writing progress to `out`:
/// resolve an import an earlier install left pending, export, plan (keeping what kept objects
/// need), decide ([`UninstallDecision`]), render, then remove.
pub fn uninstall(
    client: &Client,
    package: &Package,
    request: &UninstallRequest,
    consent: &mut Consent<'_>,
    out: &mut dyn Write,
    style: Style,
) -> Result<UninstallReport, OpsError> {
    let mut printer = Printer::new(out);
    let mut done = vec![];
    if !request.dry_run {
        super::install::resolve_pending(
            client,
            &request.backup_dir,
            "uninstall",
            &mut printer,
            &mut done,
        )?;
    }
    let org_name = client.org().name.clone();
    let record = match &package.identity {
        Some(id) => {
            let path = super::record::path(&request.backup_dir, &org_name, &id.name);
            Some((
                super::record::read(&request.backup_dir, &org_name, &id.name)?,
                path,
            ))
        }
        None => None,
    };
    let removable = Removable {
        package,
        record: record.as_ref().and_then(|(r, _)| r.as_ref()),
    };
    let before = export(client).map_err(|e| stopped("the export of the org", e, &done, None))?;

    // Only the package's tables that are on the org need the question, and not with --delete-data.
    let probe = Plan::install(&package.res, &removable, &before);
    let tables: Vec<String> = probe
        .owned()
        .filter(|c| c.kind == Kind::DataTable && c.action != Action::Create)
        .map(|c| c.name.clone())
        .collect();
    let (with_rows, unknown) = if request.delete_data {
        (BTreeSet::new(), None)
    } else {
        tables_with_rows(client, &tables).map_err(|e| {
            stopped(
                "the search for rows in the package's data table",
                e,
                &done,
                None,
            )
        })?
    };
    let options = UninstallOptions {
        force: request.force,
        delete_data: request.delete_data,
    };
    let mut plan = Plan::uninstall(&package.res, &removable, &before, &with_rows, options);
    // What a package read from a path carries but cannot prove is its own: kept and listed
    // without a record, left alone (it is not the package's) with one.
    let mut found_before = vec![];
    if let Some((record, path)) = &record {
        for c in probe.changes.iter().filter(|c| {
            !matches!(c.action, Action::Create | Action::Absent)
                && !c
                    .uuid
                    .as_deref()
                    .is_some_and(|u| super::INTERNAL_UUIDS.contains(&u))
                && !removable.owns(c.kind, &c.name)
        }) {
            if record.is_some() {
                found_before.push(object_label(c.kind, &c.name));
                continue;
            }
            let mut kept = c.clone();
            kept.owner = crate::plan::Owner::Package;
            kept.action = Action::Keep;
            kept.diffs = vec![];
            kept.reason = Some(format!(
                "kept: no install record ({}) says this package's install created it, and \
                 respack removes only what it can prove is the package's",
                path.display()
            ));
            kept.kept_because = Some("has no install record".into());
            plan.changes.push(kept);
        }
        plan.sort();
        plan.keep_what_kept_objects_need(&before);
    }
    if let Some(why) = &unknown {
        for c in plan.changes.iter_mut() {
            if c.kind == Kind::DataTable
                && c.action == Action::Keep
                && with_rows.contains(&c.name)
                && c.used_by.is_empty()
            {
                c.reason = Some(format!("{why}; use --delete-data to remove it anyway"));
            }
        }
    }
    keep_what_soar_cannot_delete(&mut plan, &before);
    let decision = UninstallDecision::decide(&plan, request);
    let mut report = UninstallReport {
        outcome: UninstallOutcome::NothingToDo,
        plan,
        backup: None,
        deleted: vec![],
    };
    printer.say(&render::plan(&report.plan, PlanView::Uninstall, style))?;
    match &record {
        Some((None, path)) if report.kept().next().is_some() => {
            printer.say(&render::event(&Event::NoRecord { record: path }))?
        }
        Some((Some(_), path)) if !found_before.is_empty() => {
            printer.say(&render::event(&Event::FoundBefore {
                record: path,
                objects: &found_before,
            }))?
        }
        _ => {}
    }
    match &decision {
        UninstallDecision::NothingToDo => {
            // Nothing will change, so no backup either: a re-run that removes nothing leaves
            // no new file behind.
            printer.say(&render::event(&Event::NothingToRemove(&org_name)))?;
            return Ok(report);
        }
        UninstallDecision::DryRun => {
            printer.say(&render::event(&Event::UninstallDryRun))?;
            report.outcome = UninstallOutcome::DryRun;
            return Ok(report);
        }
        UninstallDecision::Remove { .. } => {}
    }
    let to_delete: Vec<Change> = report
        .plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .cloned()
        .collect();
    consent.ensure_possible("uninstall")?;
    let question = format!(
        "Remove {} object(s) from org {org_name:?}? [y/N] ",
        to_delete.len()
    );
    if !consent.ask("uninstall", &question)? {
        printer.say(&render::event(&Event::UninstallDeclined))?;
        report.outcome = UninstallOutcome::Declined;
        return Ok(report);
    }
    let backup = backup::write(&request.backup_dir, &org_name, "uninstall", &before)?;
    printer.say(&render::event(&Event::BackupWritten(&backup)))?;
    report.backup = Some(backup.clone());

    remove_in_order(
        client,
        "uninstall",
        &mut report.plan,
        &before,
        &mut printer,
        &mut report.deleted,
        &backup,
    )?;

    let after = export(client).map_err(|e| OpsError::Stopped {
        command: "uninstall",
        step: "the export that verifies the removal".into(),
        source: Box::new(e),
        done: report
            .deleted
            .iter()
            .map(|d| format!("removed {d}"))
            .collect(),
        unknown: Some(
            "nothing: each removal was confirmed by the org, only the final check is missing"
                .into(),
        ),
        backup: Some(backup.clone()),
    })?;
    let verify = Plan::uninstall(
        &package.res,
        &removable,
        &after,
        &BTreeSet::new(),
        UninstallOptions {
            force: true,
            delete_data: true,
        },
    );
    let still: Vec<String> = verify
        .changes
        .iter()
        .filter(|v| v.action != Action::Absent)
        .filter(|v| {
            report
                .deleted
                .iter()
                .any(|d| *d == object_label(v.kind, &v.name))
        })
        .map(|v| object_label(v.kind, &v.name))
        .collect();
    if !still.is_empty() {
        return Err(OpsError::NotRemoved { still });
    }
    if let Some((Some(r), _)) = &record {
        let removed: Vec<(Kind, String)> = report
            .plan
            .changes
            .iter()
            .filter(|c| c.action == Action::Delete)
            .map(|c| (c.kind, c.name.clone()))
            .collect();
        super::record::write(&request.backup_dir, &r.clone().after_uninstall(&removed))?;
    }
    printer.say(&render::event(&Event::UninstallVerified {
        org: &org_name,
        removed: report.deleted.len(),
        kept: report.kept().count(),
    }))?;
    report.outcome = UninstallOutcome::Removed;
    Ok(report)
}
