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
use super::render::{self, PlanView, Style};
use super::{backup, export, object_label, Consent, OpsError, Package};
use crate::plan::{Action, Change, Plan};
use crate::res::Kind;
use crate::soar::{Client, ImportDecision, ImportMessage};

/// The internal incident type and field every importable file carries (res-format.md §1.10).
const INTERNAL_UUIDS: &[&str] = &[
    "bfeec2d4-3770-11e8-ad39-4a0004044aa0",
    "bfeec2d4-3770-11e8-ad39-4a0004044aa1",
];

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
            let internal = o
                .get("uuid")
                .and_then(Value::as_str)
                .is_some_and(|u| INTERNAL_UUIDS.contains(&u));
            internal
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

/// Run an install against the org `client` is connected to, writing progress to `out`.
pub fn install(
    client: &Client,
    package: &Package,
    options: &InstallOptions,
    consent: &mut Consent<'_>,
    out: &mut dyn Write,
    style: Style,
) -> Result<InstallReport, OpsError> {
    let org_name = client.org().name.clone();
    let before = export(client)?;
    let check = CheckReport::new(&org_name, &package.integrations, &before);
    let plan = Plan::install(&package.res, package, &before);
    let mut report = InstallReport {
        outcome: InstallOutcome::Refused,
        check,
        plan,
        backup: None,
        messages: vec![],
    };
    let say = |out: &mut dyn Write, text: &str| {
        let _ = writeln!(out, "{text}");
    };

    let missing: Vec<String> = report
        .check
        .missing_required()
        .map(|i| format!("{} {}", i.name, i.version))
        .collect();
    if !missing.is_empty() {
        if !options.force {
            say(out, &render::check(&report.check, style));
            say(
                out,
                &format!(
                    "install refused: the package needs {} on org {org_name:?}; nothing was changed. \
                     Install the integration first, or pass --force to import the package anyway.",
                    missing.join(" and ")
                ),
            );
            return Ok(report);
        }
        say(
            out,
            &format!(
                "WARNING: --force: installing although {} {} missing on org {org_name:?}. The \
                 package's workflows will fail until the integration is installed; the objects of \
                 it that the package carries are created now.",
                missing.join(" and "),
                if missing.len() == 1 { "is" } else { "are" }
            ),
        );
    }
    for i in &report.check.integrations {
        say(
            out,
            &format!(
                "{} {}: {}{}",
                i.name,
                i.version,
                serde_json::to_value(i.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                i.note
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            ),
        );
    }
    say(out, "");
    say(out, &render::plan(&report.plan, PlanView::Install, style));

    let conflicts: Vec<String> = report
        .plan
        .owned()
        .filter(|c| c.action == Action::Conflict)
        .map(|c| object_label(c.kind, &c.name))
        .collect();
    if !conflicts.is_empty() {
        say(
            out,
            &format!(
                "install refused: the org has {} under the package's name but with another uuid; \
                 importing would merge the package into objects it did not create. Rename or \
                 remove them on the org first. Nothing was changed.",
                conflicts.join(", ")
            ),
        );
        return Ok(report);
    }
    if !report.plan.changes.iter().any(Change::is_imported) {
        say(
            out,
            &format!("org {org_name:?} already has the package as it is: nothing to install."),
        );
        report.outcome = InstallOutcome::UpToDate;
        return Ok(report);
    }
    if !options.dry_run {
        consent.ensure_possible("install")?;
        let path = backup::write(&options.backup_dir, &org_name, "install", &before)?;
        say(
            out,
            &format!("backup of the org written to {}", path.display()),
        );
        report.backup = Some(path);
    }

    let res = import_file(package, &report.plan);
    let dto = client.import_start(&res)?;
    say(
        out,
        &format!("import {} is pending; the server says:", dto.id),
    );
    for m in &dto.messages {
        say(out, &format!("  {m}"));
    }
    if dto.messages.is_empty() {
        say(out, "  (no messages)");
    }
    report.messages = dto.messages.clone();

    if options.dry_run {
        client.import_finish(&dto, ImportDecision::Reject)?;
        say(
            out,
            &format!("dry run: import {} rejected; nothing was changed.", dto.id),
        );
        report.outcome = InstallOutcome::DryRun;
        return Ok(report);
    }
    let question = format!("Accept import {} into org {org_name:?}? [y/N] ", dto.id);
    let yes = match consent.ask("install", &question) {
        Ok(yes) => yes,
        Err(e) => {
            // Leave no pending import behind; the prompt's own error is the one to report.
            let _ = client.import_finish(&dto, ImportDecision::Reject);
            return Err(e);
        }
    };
    if !yes {
        client.import_finish(&dto, ImportDecision::Reject)?;
        say(
            out,
            &format!("import {} rejected; nothing was changed.", dto.id),
        );
        report.outcome = InstallOutcome::Declined;
        return Ok(report);
    }
    let backup = report.backup.clone().unwrap_or_default();
    if let Err(source) = client.import_finish(&dto, ImportDecision::Accept) {
        say(
            out,
            &format!(
                "import {} sent for acceptance; no answer could be read: its state on the org is unknown.",
                dto.id
            ),
        );
        return Err(OpsError::AcceptUnknown {
            source: Box::new(source),
            backup,
        });
    }
    say(out, &format!("import {} accepted.", dto.id));

    let after = export(client)?;
    let verify = Plan::install(&package.res, package, &after);
    let remaining = outstanding(&verify);
    if !remaining.is_empty() {
        return Err(OpsError::NotApplied { remaining });
    }
    say(
        out,
        &format!(
            "verified: a fresh export of org {org_name:?} matches the package ({}).",
            render::summary(&verify)
        ),
    );
    report.outcome = InstallOutcome::Installed;
    Ok(report)
}

#[cfg(test)]
mod tests {
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
}
