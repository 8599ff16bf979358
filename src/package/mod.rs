//! The "QRadar Advisor and MITRE ATT&CK" package (`qraw_mitre.res`) as typed definitions.
//!
//! - [`mod@owned`]: the package's own objects (two rules, two workflows, the data table
//!   `mitre_attack_of_artifact`), which install creates and uninstall removes;
//! - [`deps`]: the dependency integrations' objects the package refers to (QRadar Advisor 2.0,
//!   MITRE 1.0, QRadar 2.0 optional), with their real uuids;
//! - [`handles`]: the typed handles both are written in, so that a reference to an object that
//!   does not exist does not compile;
//! - [`scripts`]: the python3 workflow scripts, real files under `templates/scripts/`;
//! - `build`: the JSON SOAR exports for all of it.
//!
//! Nothing here does I/O: [`resource_file`] and [`integrations_seed`] are values, and
//! `crate::pack` writes them.

pub mod deps;
pub mod handles;
pub mod owned;
pub mod scripts;

mod build;

use crate::res::{Kind, ObjectUuid, ResFile};

pub use build::{
    internal_objects, step_body, workflow_xml, INTERNAL_FIELD_UUID, INTERNAL_INCIDENT_TYPE_UUID,
};
pub use deps::{dependencies, DependencyObject, Integration};

/// The admin's guide shipped at the root of `resqrawmitre.tar` (`package/README.md`).
pub const ADMIN_README: &str = include_str!("../../package/README.md");

/// File name of the resource file, inside and next to the tar.
pub const RES_FILE_NAME: &str = "qraw_mitre.res";
/// File name of the archive.
pub const TAR_FILE_NAME: &str = "resqrawmitre.tar";

/// The package's resource file, with `export_date` set to `export_date_ms` (epoch ms).
///
/// It carries the package's own rules, workflows and data table, and — as the original package
/// did — the dependency objects they use: the functions the workflows call with their input
/// fields and message destinations, the data tables the scripts write or the rules run on, and
/// the incident field `qradar_id`; not the integrations' own workflows and rules.
pub fn resource_file(export_date_ms: i64) -> ResFile {
    from_value(build::assemble(&package_content(), export_date_ms))
}

/// What [`resource_file`] carries.
fn package_content() -> build::Content {
    let mut content = build::Content {
        rules: owned::RULES.to_vec(),
        workflows: owned::WORKFLOWS.to_vec(),
        tables: owned::TABLES.to_vec(),
        ..Default::default()
    };
    for w in owned::WORKFLOWS {
        for step in w.steps {
            content.functions.push(step.function);
        }
    }
    content.functions.sort_by_key(|f| f.name);
    content.functions.dedup_by_key(|f| f.name);
    for f in &content.functions {
        if !content
            .destinations
            .iter()
            .any(|d| d.programmatic_name == f.destination.programmatic_name)
        {
            content.destinations.push(f.destination);
        }
    }
    content.tables.extend([
        &deps::MITRE_ATTACK_OF_INCIDENT,
        &deps::MITRE_ATTACK_TECHNIQUES,
        &deps::QRADAR_REFERENCE_SET,
    ]);
    content.incident_fields.push(&deps::QRADAR_ID);
    content
}

/// The export date of this release in epoch ms, or `SOURCE_DATE_EPOCH` (seconds) when the
/// caller passes it.
pub fn export_date_ms(source_date_epoch: Option<i64>) -> i64 {
    source_date_epoch
        .map(|s| s.saturating_mul(1000))
        .unwrap_or(RELEASE_EXPORT_DATE_MS)
}

/// Fixed per release so that two builds of one release are byte-identical.
pub const RELEASE_EXPORT_DATE_MS: i64 = 1_795_737_600_000;

/// The dependency integrations' objects (functions, input fields, message destinations, data
/// tables, incident field, and their own workflows and rules), as a `.res` JSON value, for
/// `respack serve --seed-integrations`: what an admin who had installed those integrations has.
///
/// The definitions are those the package's resource file carries, so that installing the
/// package on a seeded org changes only the package's own objects.
pub fn integrations_seed() -> serde_json::Value {
    let mut content = build::Content::default();
    for integration in dependencies() {
        content.functions.extend(integration.functions);
        content.destinations.extend(integration.destinations);
        content.tables.extend(integration.tables);
        content.incident_fields.extend(integration.incident_fields);
        content.workflows.extend(integration.workflows);
        content.rules.extend(integration.rules);
    }
    build::assemble(&content, RELEASE_EXPORT_DATE_MS)
}

/// One of the package's own objects: what uninstall removes and diff calls "owned".
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OwnedObject {
    pub kind: Kind,
    /// The API name SOAR looks the kind up by ([`Kind::api_name_key`]): a rule's name, a
    /// workflow's programmatic name, a data table's type name.
    pub api_name: String,
    pub uuid: ObjectUuid,
}

/// The package's own objects, in the order uninstall removes them: rules (they refer to the
/// workflows), workflows, then the data table (its columns go with it).
pub fn owned() -> Vec<OwnedObject> {
    let rules = owned::RULES.iter().map(|r| OwnedObject {
        kind: Kind::Rule,
        api_name: r.name.to_owned(),
        uuid: ObjectUuid(r.uuid()),
    });
    let workflows = owned::WORKFLOWS.iter().map(|w| OwnedObject {
        kind: Kind::Workflow,
        api_name: w.programmatic_name.to_owned(),
        uuid: ObjectUuid(w.uuid()),
    });
    let tables = owned::TABLES.iter().map(|t| OwnedObject {
        kind: Kind::DataTable,
        api_name: t.type_name.to_owned(),
        uuid: ObjectUuid(t.uuid()),
    });
    rules.chain(workflows).chain(tables).collect()
}

/// True when the package owns the object of this kind and API name (for `crate::plan`).
pub fn owns(kind: Kind, api_name: &str) -> bool {
    owned()
        .iter()
        .any(|o| o.kind == kind && o.api_name == api_name)
}

/// The builder's JSON always fits the model; the unit tests build both files to prove it.
fn from_value(value: serde_json::Value) -> ResFile {
    serde_json::from_value(value)
        .unwrap_or_else(|e| panic!("the package definitions do not fit the .res model: {e}"))
}

#[cfg(test)]
mod tests;

/// The API names the local runtime, the demo and the tests click through, read from the
/// definitions so that a rename in one place cannot leave a stale copy elsewhere.
pub mod names {
    use super::{deps, owned};

    pub const OFFENSE_WORKFLOW: &str = owned::OFFENSE_ANALYSIS_MITRE.programmatic_name;
    pub const MAP_RULE_WORKFLOW: &str = owned::MAP_RULE_TO_TACTIC.programmatic_name;
    pub const FIND_REFERENCE_SETS_WORKFLOW: &str =
        deps::QRADAR_FIND_REFERENCE_SETS_ARTIFACT.programmatic_name;
    pub const TECHNIQUE_TASK_WORKFLOW: &str = deps::MITRE_TECHNIQUE_TASK.programmatic_name;
    pub const OFFENSE_RULE: &str = owned::OFFENSE_ANALYSIS_RULE.name;
    pub const MAP_RULE_RULE: &str = owned::MAP_RULE_RULE.name;
    pub const TASK_RULE: &str = deps::CREATE_TASK_FOR_TECHNIQUE.name;
    pub const FIND_REFERENCE_SETS_RULE: &str = deps::FIND_ALL_QRADAR_REFERENCE_SETS.name;
    pub const INCIDENT_TACTICS: &str = deps::MITRE_ATTACK_OF_INCIDENT.type_name;
    pub const ARTIFACT_TACTICS: &str = owned::MITRE_ATTACK_OF_ARTIFACT.type_name;
    pub const TECHNIQUES: &str = deps::MITRE_ATTACK_TECHNIQUES.type_name;
    pub const REFERENCE_SETS: &str = deps::QRADAR_REFERENCE_SET.type_name;
}
