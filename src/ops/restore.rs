//! `respack restore BACKUP`: the package's objects back to how a backup has them.
//!
//! For an admin who installed something and regrets it, or whose uninstall was interrupted. The
//! backup is a full export that install, uninstall or restore wrote before changing the org;
//! the plan ([`Plan::restore`]) compares the package's own objects in it with a fresh export:
//! what the backup has and the org lacks or has otherwise is re-imported from the backup (the
//! import and acceptance of install), what the org has and the backup lacks was created since
//! and is deleted (the ordered deletes of uninstall, keeping what something staying needs).
//! Dependency objects are never in the plan, except, for a package read with `--package`, those
//! its install record beside the backup says its installs created ([`super::record`]).
//!
//! Same shape as install and uninstall: export → plan → decide ([`RestoreDecision`]) → render →
//! ask → backup of the state it replaces → import → deletes → a fresh export to verify. Every
//! run starts from a fresh export and compares with the same backup, so a re-run after an
//! interruption does only what is still to do.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::install::{self, Progress};
use super::render::{self, Event, Style};
use super::uninstall::{remove_in_order, tables_with_rows};
use super::{backup, export, object_label, Consent, OpsError, Package, Printer};
use crate::plan::{Action, Change, Plan};
use crate::res::{Kind, ResFile};
use crate::soar::Client;

/// How to restore.
#[derive(Debug, Clone)]
pub struct RestoreRequest {
    /// The backup to bring the package's objects back to.
    pub backup: PathBuf,
    pub dry_run: bool,
    /// Where the backup of the state restore replaces is written.
    pub backup_dir: PathBuf,
}

/// How a restore ended (errors aside).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RestoreOutcome {
    /// The package's objects already are as the backup has them.
    NothingToDo,
    DryRun,
    Declined,
    /// Re-imported and removed what the plan said, and verified.
    Restored,
}

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    pub outcome: RestoreOutcome,
    pub plan: Plan,
    /// The backup of the state the restore replaced.
    pub backup: Option<PathBuf>,
    /// What was re-imported from the backup (labels).
    pub imported: Vec<String>,
    /// What was removed (labels).
    pub deleted: Vec<String>,
}

impl RestoreReport {
    /// The objects that could not be brought back, each with the reason in the plan.
    pub fn kept(&self) -> impl Iterator<Item = &Change> {
        self.plan
            .changes
            .iter()
            .filter(|c| c.action == Action::Keep)
    }
}

/// What restore will do, decided from the plan alone, before any change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum RestoreDecision {
    /// The package's objects already are as the backup has them (kept ones aside).
    NothingToDo,
    /// `--dry-run`: show the plan, change nothing.
    DryRun,
    /// Re-import these from the backup, then delete those, in this order (labels).
    Restore {
        import: Vec<String>,
        delete: Vec<String>,
    },
}

impl RestoreDecision {
    pub fn decide(plan: &Plan, request: &RestoreRequest) -> RestoreDecision {
        let labels = |pick: fn(&Change) -> bool| -> Vec<String> {
            plan.changes
                .iter()
                .filter(|c| pick(c))
                .map(|c| object_label(c.kind, &c.name))
                .collect()
        };
        let import = labels(Change::is_imported);
        let delete = labels(|c| c.action == Action::Delete);
        if import.is_empty() && delete.is_empty() {
            RestoreDecision::NothingToDo
        } else if request.dry_run {
            RestoreDecision::DryRun
        } else {
            RestoreDecision::Restore { import, delete }
        }
    }
}

/// Read the backup, and refuse one whose name says it is of another org: restoring it here
/// would delete this org's objects to match an org it never was.
fn read_backup(path: &Path, org: &str) -> Result<ResFile, OpsError> {
    let unreadable = |message: String| OpsError::BackupUnreadable {
        path: path.to_path_buf(),
        message,
    };
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if let Some((backup_org, ..)) = backup::parse_name(name) {
        if backup_org != backup::file_safe(org) {
            return Err(OpsError::BackupOfAnotherOrg {
                path: path.to_path_buf(),
                backup_org,
                org: org.to_string(),
            });
        }
    }
    let (_, res) = crate::res::read(path).map_err(|e| unreadable(e.to_string()))?;
    Ok(res)
}

/// The resource file restore imports: the backup's forms of the objects the plan re-imports
/// (install's [`install::import_file`]). A full export also carries lists that are not objects
/// (`action_order`, `overrides`, ...): those are the org's settings, not the package's, and
/// stay out.
fn import_file(backup: &ResFile, plan: &Plan) -> Value {
    let from_backup = Package {
        res: backup.clone(),
        owned: vec![],
        integrations: vec![],
        identity: None,
    };
    let mut res = install::import_file(&from_backup, plan);
    if let Some(o) = res.as_object_mut() {
        o.retain(|key, v| !v.is_array() || Kind::from_list_key(key).is_some());
    }
    res
}

/// The plan against `org`, asking the org (one search) whether the data tables it would
/// delete have rows.
fn plan_against(
    client: &Client,
    package: &Package,
    backup: &ResFile,
    org: &Value,
) -> Result<Plan, crate::soar::SoarError> {
    let probe = Plan::restore(&package.res, package, backup, org, &BTreeSet::new());
    let tables: Vec<String> = probe
        .changes
        .iter()
        .filter(|c| c.kind == Kind::DataTable && c.action == Action::Delete)
        .map(|c| c.name.clone())
        .collect();
    if tables.is_empty() {
        let mut plan = probe;
        super::uninstall::keep_what_soar_cannot_delete(&mut plan, org);
        return Ok(plan);
    }
    let (with_rows, unknown) = tables_with_rows(client, &tables)?;
    let mut plan = Plan::restore(&package.res, package, backup, org, &with_rows);
    super::uninstall::keep_what_soar_cannot_delete(&mut plan, org);
    if let Some(why) = unknown {
        // The org could not say: the tables are kept as if they had rows, and the reason says so.
        for c in plan.changes.iter_mut() {
            if c.kind == Kind::DataTable
                && c.action == Action::Keep
                && with_rows.contains(&c.name)
                && c.used_by.is_empty()
            {
                c.reason = Some(format!("created since the backup, but kept: {why}"));
            }
        }
    }
    Ok(plan)
}

/// For a package read from a path, the package owning also what its install record (beside
/// the backup: `--backup-dir` of the install) says its installs created, dependency objects
/// included: restoring a backup from before the install then removes them, as the backup
/// proves the org lacked them. `None` when there is nothing to add.
fn with_created(package: &Package, backup: &Path, org: &str) -> Result<Option<Package>, OpsError> {
    let Some(identity) = &package.identity else {
        return Ok(None);
    };
    let dir = backup.parent().unwrap_or(Path::new("."));
    let Some(record) = super::record::read(dir, org, &identity.name)? else {
        return Ok(None);
    };
    let mut package = package.clone();
    for o in &record.created {
        if let Some(kind) = Kind::from_list_key(&o.list) {
            if !crate::plan::Ownership::owns(&package, kind, &o.name) {
                package.owned.push((kind, o.name.clone()));
            }
        }
    }
    Ok(Some(package))
}

/// Run a restore against the org `client` is connected to, writing progress to `out`: read
/// the backup, resolve an import an earlier run left pending, export, plan, decide
/// ([`RestoreDecision`]), render, then act.
pub fn restore(
    client: &Client,
    package: &Package,
    request: &RestoreRequest,
    consent: &mut Consent<'_>,
    out: &mut dyn Write,
    style: Style,
) -> Result<RestoreReport, OpsError> {
    let org_name = client.org().name.clone();
    let backup_res = read_backup(&request.backup, &org_name)?;
    let with_record = with_created(package, &request.backup, &org_name)?;
    let package = with_record.as_ref().unwrap_or(package);
    let mut progress = Progress {
        command: "restore",
        backup: None,
        done: vec![],
        printer: Printer::new(out),
    };
    if !request.dry_run {
        install::resolve_pending(
            client,
            &request.backup_dir,
            "restore",
            &mut progress.printer,
            &mut progress.done,
        )?;
    }
    let before =
        export(client).map_err(|e| progress.stopped("the export of the org".into(), e, None))?;
    let plan = plan_against(client, package, &backup_res, &before).map_err(|e| {
        progress.stopped(
            "the search for rows in the package's data table".into(),
            e,
            None,
        )
    })?;
    let decision = RestoreDecision::decide(&plan, request);
    let mut report = RestoreReport {
        outcome: RestoreOutcome::NothingToDo,
        plan,
        backup: None,
        imported: vec![],
        deleted: vec![],
    };
    progress.printer.say(&render::restore_plan(
        &report.plan,
        &request.backup,
        &org_name,
        style,
    ))?;
    let (import, delete) = match decision {
        RestoreDecision::NothingToDo => {
            // Nothing will change, so no backup either.
            progress
                .printer
                .say(&render::event(&Event::NothingToRestore(&org_name)))?;
            return Ok(report);
        }
        RestoreDecision::DryRun => {
            progress
                .printer
                .say(&render::event(&Event::RestoreDryRun))?;
            report.outcome = RestoreOutcome::DryRun;
            return Ok(report);
        }
        RestoreDecision::Restore { import, delete } => (import, delete),
    };
    consent.ensure_possible("restore")?;
    let question = format!(
        "Re-import {} and remove {} object(s) on org {org_name:?}? [y/N] ",
        import.len(),
        delete.len()
    );
    if !consent.ask("restore", &question)? {
        progress
            .printer
            .say(&render::event(&Event::RestoreDeclined))?;
        report.outcome = RestoreOutcome::Declined;
        return Ok(report);
    }
    let replaced = backup::write(&request.backup_dir, &org_name, "restore", &before)?;
    progress.backup = Some(replaced.clone());
    report.backup = Some(replaced.clone());
    progress.happened(Event::BackupWritten(&replaced))?;

    // Re-import first: an object coming back may be what stops a delete (a rule the backup
    // has, running a workflow created since), and the plan judged the deletes on the org with
    // the re-imported objects in it.
    if !import.is_empty() {
        let dto = install::upload(
            client,
            &import_file(&backup_res, &report.plan),
            &mut progress,
        )?;
        install::accept(client, &dto, &request.backup_dir, &mut progress)?;
        report.imported = import;
    }
    if !delete.is_empty() {
        let after_import = report.plan.org_after_import(&backup_res, &before);
        remove_in_order(
            client,
            "restore",
            &mut report.plan,
            &after_import,
            &mut progress.printer,
            &mut report.deleted,
            &replaced,
        )?;
    }

    let after = export(client).map_err(|e| {
        progress.stopped(
            "the export that verifies the restore".into(),
            e,
            Some(
                "whether the org now matches the backup (`respack restore --dry-run` shows it)"
                    .into(),
            ),
        )
    })?;
    let verify = plan_against(client, package, &backup_res, &after).map_err(|e| {
        progress.stopped(
            "the search for rows in the package's data table".into(),
            e,
            Some(
                "whether the org now matches the backup (`respack restore --dry-run` shows it)"
                    .into(),
            ),
        )
    })?;
    let remaining: Vec<String> = verify
        .changes
        .iter()
        .filter(|c| matches!(c.action, Action::Create | Action::Update | Action::Delete))
        .filter(|c| {
            // Kept on purpose this run (a delete the org refused as in use) is not a failure.
            !report.kept().any(|k| k.kind == c.kind && k.name == c.name)
        })
        .map(|c| format!("{} ({})", object_label(c.kind, &c.name), c.action.label()))
        .collect();
    if !remaining.is_empty() {
        return Err(OpsError::NotRestored { remaining });
    }
    progress
        .printer
        .say(&render::event(&Event::RestoreVerified {
            org: &org_name,
            imported: report.imported.len(),
            removed: report.deleted.len(),
            kept: report.kept().count(),
        }))?;
    report.outcome = RestoreOutcome::Restored;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::res;
    use serde_json::json;

    #[test]
    fn the_decision_follows_the_plan_and_dry_run() {
        let backup = res::parse(
            &res::Origin::file("b.res"),
            &json!({"actions": [{"uuid": "r-1", "name": "My rule", "export_key": "My rule"}]})
                .to_string(),
        )
        .unwrap();
        let owns = |k: Kind, n: &str| k == Kind::Rule && n == "My rule";
        let request = |dry_run| RestoreRequest {
            backup: "b.res".into(),
            dry_run,
            backup_dir: "unused".into(),
        };
        let gone = Plan::restore(&backup, &owns, &backup, &json!({}), &BTreeSet::new());
        assert_eq!(
            RestoreDecision::decide(&gone, &request(false)),
            RestoreDecision::Restore {
                import: vec!["rule My rule".into()],
                delete: vec![]
            }
        );
        assert_eq!(
            RestoreDecision::decide(&gone, &request(true)),
            RestoreDecision::DryRun
        );
        let org = serde_json::to_value(&backup).unwrap();
        let same = Plan::restore(&backup, &owns, &backup, &org, &BTreeSet::new());
        assert_eq!(
            RestoreDecision::decide(&same, &request(false)),
            RestoreDecision::NothingToDo
        );
    }

    #[test]
    fn the_import_carries_the_backups_objects_and_not_the_orgs_other_lists() {
        let backup = res::parse(
            &res::Origin::file("b.res"),
            &json!({
                "export_format_version": 2,
                "action_order": ["x"],
                "actions": [{"uuid": "r-1", "name": "My rule", "export_key": "My rule"},
                            {"uuid": "r-2", "name": "Other", "export_key": "Other"}]
            })
            .to_string(),
        )
        .unwrap();
        let owns = |k: Kind, n: &str| k == Kind::Rule && n == "My rule";
        let plan = Plan::restore(&backup, &owns, &backup, &json!({}), &BTreeSet::new());
        let res = import_file(&backup, &plan);
        assert_eq!(res["actions"].as_array().unwrap().len(), 1, "{res}");
        assert_eq!(res["actions"][0]["name"], "My rule");
        assert!(res.get("action_order").is_none(), "{res}");
        assert_eq!(res["export_format_version"], 2);
    }
}
