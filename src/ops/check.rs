//! `respack check`: are the objects the package needs from its dependency integrations on the
//! org, and are they the versions the package was written against?
//!
//! Each integration lists the objects the package uses ([`IntegrationSpec`]): functions (by
//! uuid and API name, with their input fields and message destination), message destinations,
//! data tables with their columns, and the incident field. Each is looked up in one export of
//! the org by API name, then by uuid, and reported as present, different (found, but with
//! another uuid, name, column set or destination: a newer or older version of the integration)
//! or missing. The check fails when a *required* integration has a missing object; an optional
//! one only costs the story that needs it.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use super::{export, OpsError, Package};
use crate::res::Kind;
use crate::soar::Client;

/// Check the org `client` is connected to (one export).
pub fn check(client: &Client, package: &Package) -> Result<CheckReport, OpsError> {
    let org = export(client)?;
    Ok(CheckReport::new(
        &client.org().name,
        &package.integrations,
        &org,
    ))
}

/// One integration the package depends on, and the objects of it the package needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntegrationSpec {
    pub name: String,
    /// The integration's Python package (and app.config section).
    pub package: String,
    /// The version the package was written against.
    pub version: String,
    pub required: bool,
    /// For an optional integration: what is unavailable without it, as the end of the sentence
    /// "without it only …", e.g. `the map-rule story is unavailable (…)`.
    pub without: Option<String>,
    pub objects: Vec<ObjectSpec>,
}

/// One object the package needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectSpec {
    pub kind: Kind,
    /// The API name ([`Kind::api_name_key`]; for fields the `export_key`, `incident/qradar_id`).
    pub name: String,
    pub uuid: String,
    /// Functions: the `programmatic_name` of the message destination they are delivered on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// Functions: their input fields; data tables: their columns.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<PartSpec>,
}

/// An input field of a function or a column of a data table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartSpec {
    pub name: String,
    pub uuid: String,
}

/// What was found for one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Present,
    /// Found, but not as the package knows it (see the details).
    Different,
    Missing,
}

/// What was found for one integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IntegrationStatus {
    /// Every object present as the package knows it.
    Installed,
    /// Every object found, some in another version.
    Different,
    /// Some objects missing.
    Incomplete,
    /// No object found.
    Missing,
}

/// The outcome for one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectReport {
    pub kind: Kind,
    pub name: String,
    pub uuid: String,
    pub status: Status,
    /// What differs, one sentence each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

/// The outcome for one integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntegrationReport {
    pub name: String,
    pub package: String,
    pub version: String,
    pub required: bool,
    pub status: IntegrationStatus,
    /// What this outcome means for the package, when it is not simply "installed".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub objects: Vec<ObjectReport>,
}

/// `respack check`'s answer: printed as text, serialised with `--format json`, and consulted by
/// `install` before it imports anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    pub org: String,
    /// True when every object of every required integration is on the org.
    pub ok: bool,
    pub integrations: Vec<IntegrationReport>,
}

impl CheckReport {
    /// Compare the integrations' objects with one export of the org.
    pub fn new(org_name: &str, specs: &[IntegrationSpec], export: &Value) -> CheckReport {
        let org = OrgIndex::new(export);
        let integrations: Vec<IntegrationReport> =
            specs.iter().map(|s| integration(s, &org)).collect();
        let ok = integrations.iter().all(|i| {
            !i.required
                || matches!(
                    i.status,
                    IntegrationStatus::Installed | IntegrationStatus::Different
                )
        });
        CheckReport {
            org: org_name.to_string(),
            ok,
            integrations,
        }
    }

    /// The required integrations with missing objects.
    pub fn missing_required(&self) -> impl Iterator<Item = &IntegrationReport> {
        self.integrations.iter().filter(|i| {
            i.required
                && matches!(
                    i.status,
                    IntegrationStatus::Incomplete | IntegrationStatus::Missing
                )
        })
    }
}

/// `name version`, or the name alone when the package names no version (a dependency a
/// manifest or a bare export names without one).
pub(crate) fn versioned(name: &str, version: &str) -> String {
    if version.is_empty() {
        name.to_string()
    } else {
        format!("{name} {version}")
    }
}

fn integration(spec: &IntegrationSpec, org: &OrgIndex) -> IntegrationReport {
    let objects: Vec<ObjectReport> = spec.objects.iter().map(|o| object(o, org)).collect();
    let missing = objects
        .iter()
        .filter(|o| o.status == Status::Missing)
        .count();
    let status = if objects.iter().all(|o| o.status == Status::Present) {
        IntegrationStatus::Installed
    } else if missing == objects.len() {
        IntegrationStatus::Missing
    } else if missing > 0 {
        IntegrationStatus::Incomplete
    } else {
        IntegrationStatus::Different
    };
    let note = match (status, spec.required) {
        (IntegrationStatus::Installed, _) => None,
        (IntegrationStatus::Different, _) => Some(format!(
            "installed, but not as {} defines it: the package may not work as described \
             where the objects below differ",
            if spec.version.is_empty() {
                "the package".to_string()
            } else {
                format!("version {}", spec.version)
            }
        )),
        (_, true) => Some(format!(
            "required: install {}{} first; `respack install` refuses without it",
            versioned(&spec.name, &spec.version),
            if spec.version.is_empty() {
                ""
            } else {
                " (or newer)"
            }
        )),
        (_, false) => Some(match &spec.without {
            Some(what) => format!("optional: without it only {what}"),
            None => "optional".to_string(),
        }),
    };
    IntegrationReport {
        name: spec.name.clone(),
        package: spec.package.clone(),
        version: spec.version.clone(),
        required: spec.required,
        status,
        note,
        objects,
    }
}

fn object(spec: &ObjectSpec, org: &OrgIndex) -> ObjectReport {
    let mut report = ObjectReport {
        kind: spec.kind,
        name: spec.name.clone(),
        uuid: spec.uuid.clone(),
        status: Status::Missing,
        details: vec![],
    };
    let found = match org.find(spec.kind, &spec.name, &spec.uuid) {
        Found::None => return report,
        Found::ByName(o) => {
            if let Some(u) = o.get("uuid").and_then(Value::as_str) {
                if u != spec.uuid {
                    report.details.push(format!(
                        "its uuid on the org is {u}, not {} (the package refers to it by uuid)",
                        spec.uuid
                    ));
                }
            }
            o
        }
        Found::ByUuid(o, name) => {
            report
                .details
                .push(format!("it is named {name:?} on the org"));
            o
        }
    };
    if let Some(want) = &spec.destination {
        let have = found.get("destination_handle").and_then(Value::as_str);
        if have != Some(want.as_str()) {
            report.details.push(format!(
                "it is delivered on message destination {}, not {want}",
                have.unwrap_or("(none)")
            ));
        }
    }
    match spec.kind {
        Kind::Function => {
            for part in &spec.parts {
                let key = format!("__function/{}", part.name);
                match org.find(Kind::Field, &key, &part.uuid) {
                    Found::None => report
                        .details
                        .push(format!("input field {} is missing", part.name)),
                    Found::ByName(f) => {
                        if f.get("uuid").and_then(Value::as_str) != Some(part.uuid.as_str()) {
                            report.details.push(format!(
                                "input field {} has another uuid on the org",
                                part.name
                            ));
                        }
                    }
                    Found::ByUuid(_, other) => report.details.push(format!(
                        "input field {} is named {other:?} on the org",
                        part.name
                    )),
                }
            }
        }
        Kind::DataTable => columns(spec, found, &mut report.details),
        _ => {}
    }
    report.status = if report.details.is_empty() {
        Status::Present
    } else {
        Status::Different
    };
    report
}

/// Compare a data table's columns by name, then by uuid (a renamed column keeps its uuid).
fn columns(spec: &ObjectSpec, table: &Value, details: &mut Vec<String>) {
    let org: BTreeMap<&str, &str> = table
        .get("fields")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(name, f)| {
                    let uuid = f.get("uuid").and_then(Value::as_str).unwrap_or("");
                    (name.as_str(), uuid)
                })
                .collect()
        })
        .unwrap_or_default();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for part in &spec.parts {
        if org.contains_key(part.name.as_str()) {
            seen.insert(part.name.as_str());
            continue;
        }
        match org.iter().find(|(_, u)| **u == part.uuid) {
            Some((other, _)) => {
                seen.insert(other);
                details.push(format!(
                    "column {} is named {other} on the org (same uuid)",
                    part.name
                ));
            }
            None => details.push(format!("column {} is missing", part.name)),
        }
    }
    let extra: Vec<&str> = org.keys().filter(|k| !seen.contains(*k)).copied().collect();
    if !extra.is_empty() {
        details.push(format!("columns only on the org: {}", extra.join(", ")));
    }
}

/// How an object was found on the org.
enum Found<'a> {
    None,
    ByName(&'a Value),
    /// By uuid, under another API name (given).
    ByUuid(&'a Value, String),
}

/// The org's objects of the kinds check looks at, by API name and by uuid.
struct OrgIndex<'a> {
    by_name: BTreeMap<(Kind, Cow<'a, str>), &'a Value>,
    by_uuid: BTreeMap<(Kind, &'a str), &'a Value>,
}

impl<'a> OrgIndex<'a> {
    fn new(export: &'a Value) -> Self {
        let mut by_name = BTreeMap::new();
        let mut by_uuid = BTreeMap::new();
        for kind in [
            Kind::Function,
            Kind::MessageDestination,
            Kind::DataTable,
            Kind::Field,
        ] {
            let items: Vec<&Value> = match export.get(kind.list_key()) {
                Some(Value::Array(a)) => a.iter().collect(),
                Some(Value::Object(m)) => m.values().collect(),
                _ => vec![],
            };
            for o in items {
                if let Some(n) = kind.api_name(o) {
                    by_name.insert((kind, n), o);
                }
                if let Some(u) = o.get("uuid").and_then(Value::as_str) {
                    by_uuid.insert((kind, u), o);
                }
            }
        }
        OrgIndex { by_name, by_uuid }
    }

    fn find(&self, kind: Kind, name: &str, uuid: &str) -> Found<'a> {
        if let Some(o) = self.by_name.get(&(kind, Cow::Borrowed(name))) {
            return Found::ByName(o);
        }
        match self.by_uuid.get(&(kind, uuid)) {
            Some(o) => Found::ByUuid(
                o,
                kind.api_name(o)
                    .map(Cow::into_owned)
                    .unwrap_or_else(|| "?".into()),
            ),
            None => Found::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn specs() -> Vec<IntegrationSpec> {
        vec![
            IntegrationSpec {
                name: "MITRE integration".into(),
                package: "fn_mitre_integration".into(),
                version: "1.0".into(),
                required: true,
                without: None,
                objects: vec![
                    ObjectSpec {
                        kind: Kind::Function,
                        name: "mitre_tactic_information".into(),
                        uuid: "f-1".into(),
                        destination: Some("fn_mitre_integration".into()),
                        parts: vec![PartSpec {
                            name: "mitre_tactic_name".into(),
                            uuid: "i-1".into(),
                        }],
                    },
                    ObjectSpec {
                        kind: Kind::DataTable,
                        name: "mitre_attack_techniques".into(),
                        uuid: "t-1".into(),
                        destination: None,
                        parts: vec![
                            PartSpec {
                                name: "tactic".into(),
                                uuid: "c-1".into(),
                            },
                            PartSpec {
                                name: "tech_description".into(),
                                uuid: "c-2".into(),
                            },
                        ],
                    },
                ],
            },
            IntegrationSpec {
                name: "QRadar integration".into(),
                package: "fn_qradar_integration".into(),
                version: "2.0".into(),
                required: false,
                without: Some("the map-rule story is unavailable".into()),
                objects: vec![ObjectSpec {
                    kind: Kind::MessageDestination,
                    name: "fn_qradar_integration".into(),
                    uuid: "d-9".into(),
                    destination: None,
                    parts: vec![],
                }],
            },
        ]
    }

    fn org_v1() -> Value {
        json!({
            "functions": [{"export_key": "mitre_tactic_information", "name": "mitre_tactic_information", "uuid": "f-1", "destination_handle": "fn_mitre_integration"}],
            "fields": [{"export_key": "__function/mitre_tactic_name", "name": "mitre_tactic_name", "uuid": "i-1"}],
            "types": [{"type_name": "mitre_attack_techniques", "uuid": "t-1", "fields": {
                "tactic": {"name": "tactic", "uuid": "c-1"},
                "tech_description": {"name": "tech_description", "uuid": "c-2"}}}]
        })
    }

    #[test]
    fn empty_org_fails_and_says_what_the_optional_integration_costs() {
        let r = CheckReport::new("o", &specs(), &json!({}));
        assert!(!r.ok);
        assert_eq!(r.integrations[0].status, IntegrationStatus::Missing);
        assert_eq!(r.missing_required().count(), 1);
        let note = r.integrations[1].note.as_deref().unwrap();
        assert!(
            note.contains("only the map-rule story is unavailable"),
            "{note}"
        );
    }

    #[test]
    fn required_present_and_optional_missing_passes() {
        let r = CheckReport::new("o", &specs(), &org_v1());
        assert!(r.ok, "{r:#?}");
        assert_eq!(r.integrations[0].status, IntegrationStatus::Installed);
        assert_eq!(r.integrations[1].status, IntegrationStatus::Missing);
    }

    #[test]
    fn newer_columns_are_differences_named_by_column() {
        let mut org = org_v1();
        org["types"][0]["fields"] = json!({
            "tactic": {"name": "tactic", "uuid": "c-1"},
            "technique_description": {"name": "technique_description", "uuid": "c-2"},
            "collection": {"name": "collection", "uuid": "c-3"}});
        let r = CheckReport::new("o", &specs(), &org);
        assert!(r.ok, "a different version is still installed");
        let t = &r.integrations[0].objects[1];
        assert_eq!(t.status, Status::Different);
        assert!(
            t.details.iter().any(|d| d
                == "column tech_description is named technique_description on the org (same uuid)"),
            "{:?}",
            t.details
        );
        assert!(
            t.details
                .iter()
                .any(|d| d == "columns only on the org: collection"),
            "{:?}",
            t.details
        );
        assert_eq!(r.integrations[0].status, IntegrationStatus::Different);
    }

    #[test]
    fn function_with_missing_input_or_other_uuid_is_different() {
        let mut org = org_v1();
        org["fields"] = json!([]);
        org["functions"][0]["uuid"] = json!("other");
        let r = CheckReport::new("o", &specs(), &org);
        let f = &r.integrations[0].objects[0];
        assert_eq!(f.status, Status::Different);
        assert!(f
            .details
            .iter()
            .any(|d| d.contains("uuid on the org is other")));
        assert!(f
            .details
            .iter()
            .any(|d| d == "input field mitre_tactic_name is missing"));
    }

    #[test]
    fn found_by_uuid_under_another_name() {
        let mut org = org_v1();
        org["functions"][0]["export_key"] = json!("renamed");
        let r = CheckReport::new("o", &specs(), &org);
        let f = &r.integrations[0].objects[0];
        assert_eq!(f.status, Status::Different);
        assert!(f.details[0].contains("\"renamed\""), "{:?}", f.details);
    }
}
