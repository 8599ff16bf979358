//! Pairing package objects with org objects, and comparing them after normalisation.
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use serde_json::Value;
use similar::TextDiff as Similar;

use super::steps::{self, Names};
use super::{Action, Change, Owner, Ownership, TextDiff, UninstallOptions};
use crate::res::bpmn::Process;
use crate::res::{Kind, ResFile};

/// The internal incident type and field every importable file carries (res-format.md §1.10):
/// neither the package's nor a dependency's, so the plan does not list them.
const INTERNAL_UUIDS: &[&str] = &[
    "bfeec2d4-3770-11e8-ad39-4a0004044aa0",
    "bfeec2d4-3770-11e8-ad39-4a0004044aa1",
];

/// A package object and its counterpart on the org, if any (borrowed: an org export of a
/// thousand objects is not copied to be compared).
pub(super) struct Pair<'o> {
    pub kind: Kind,
    pub name: String,
    package: Value,
    org: Option<&'o Value>,
    /// Field and select-value names of both sides, for workflow steps as text.
    names: Rc<Names>,
}

/// Pair every object of the package with the org object of the same kind and API name (or,
/// failing that, the same uuid).
pub(super) fn objects<'o>(package: &ResFile, org: &'o Value) -> Vec<Pair<'o>> {
    let mut package = serde_json::to_value(package).unwrap_or(Value::Null);
    let mut names = Names::default();
    names.add_fields(&package);
    names.add_fields(org);
    let names = Rc::new(names);
    let mut pairs = vec![];
    for kind in Kind::ALL {
        let ours = take_list(&mut package, kind);
        if ours.is_empty() {
            continue;
        }
        let theirs = list(org, kind);
        let by_name: BTreeMap<Cow<str>, &Value> = theirs
            .iter()
            .filter_map(|o| Some((kind.api_name(o)?, *o)))
            .collect();
        let by_uuid: BTreeMap<&str, &Value> = theirs
            .iter()
            .filter_map(|o| Some((o.get("uuid")?.as_str()?, *o)))
            .collect();
        for object in ours {
            let uuid = object
                .get("uuid")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if INTERNAL_UUIDS.contains(&uuid) {
                continue;
            }
            let Some(name) = kind.api_name(&object) else {
                continue;
            };
            let counterpart = by_name.get(&name).or_else(|| by_uuid.get(uuid)).copied();
            let name = name.into_owned();
            pairs.push(Pair {
                kind,
                name,
                package: object,
                org: counterpart,
                names: names.clone(),
            });
        }
    }
    pairs
}

/// The package's objects of `kind`, moved out of it (each is kept by its pair).
fn take_list(res: &mut Value, kind: Kind) -> Vec<Value> {
    match res.get_mut(kind.list_key()) {
        Some(Value::Array(a)) => std::mem::take(a),
        Some(Value::Object(m)) => std::mem::take(m).into_iter().map(|(_, v)| v).collect(),
        _ => vec![],
    }
}

fn list(res: &Value, kind: Kind) -> Vec<&Value> {
    match res.get(kind.list_key()) {
        Some(Value::Array(a)) => a.iter().collect(),
        // `GET /types` answers a map keyed by type name; accept an export shaped that way too.
        Some(Value::Object(m)) => m.values().collect(),
        _ => vec![],
    }
}

/// The object as compared: volatile members and tags removed.
pub fn normalised(object: &Value) -> Value {
    let mut v = object.clone();
    crate::res::strip_object(&mut v);
    if let Some(o) = v.as_object_mut() {
        o.remove("tags");
    }
    v
}

/// Keep only the members of `org` that `package` sets (recursively for objects), so that what
/// a server adds on its own does not read as drift.
fn project(org: &Value, package: &Value) -> Value {
    match (org, package) {
        (Value::Object(o), Value::Object(p)) => Value::Object(
            p.iter()
                .filter_map(|(k, pv)| o.get(k).map(|ov| (k.clone(), project(ov, pv))))
                .collect(),
        ),
        _ => org.clone(),
    }
}

/// The org object as compared with the package's normalised object `ours`: restricted to the
/// members `ours` sets ([`project`]), then normalised. The same value as projecting the
/// normalised org (normalising decides on each member by its own key and value, and `ours`
/// holds no member it removes), without first copying every member of the org object.
fn comparable_org(kind: Kind, org: &Value, ours: &Value) -> Value {
    let mut theirs = project(org, ours);
    crate::res::strip_object(&mut theirs);
    if let Some(o) = theirs.as_object_mut() {
        o.remove("tags");
        if kind == Kind::Function {
            // Derived by the server from the workflows that call the function (§1.9).
            o.remove("workflows");
        }
    }
    theirs
}

fn pretty(v: &Value) -> String {
    crate::res::canonical_value(v).unwrap_or_default()
}

fn unified(label: &str, org: &str, package: &str) -> TextDiff {
    let diff = Similar::from_lines(org, package)
        .unified_diff()
        .context_radius(3)
        .header(&format!("org/{label}"), &format!("package/{label}"))
        .to_string();
    TextDiff {
        label: label.to_string(),
        unified: diff,
    }
}

impl Pair<'_> {
    fn uuid(&self) -> Option<String> {
        self.package
            .get("uuid")
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    fn org_uuid(&self) -> Option<String> {
        self.org.as_ref()?.get("uuid")?.as_str().map(str::to_string)
    }

    fn base(&self, owner: Owner, action: Action) -> Change {
        Change {
            kind: self.kind,
            name: self.name.clone(),
            uuid: self.uuid(),
            owner,
            action,
            org_id: self
                .org
                .as_ref()
                .and_then(|o| o.get("id"))
                .filter(|v| !v.is_null())
                .cloned(),
            org_uuid: None,
            reason: None,
            used_by: vec![],
            diffs: vec![],
            kept_because: None,
        }
    }

    /// The differences between the two sides, empty when they are the same.
    fn diffs(&self) -> Vec<TextDiff> {
        let Some(org) = self.org else { return vec![] };
        let mut ours = normalised(&self.package);
        if self.kind == Kind::Function {
            // Derived by the server from the workflows that call the function (§1.9).
            if let Some(o) = ours.as_object_mut() {
                o.remove("workflows");
            }
        }
        let mut theirs = comparable_org(self.kind, org, &ours);
        if self.kind == Kind::Workflow {
            same_model_same_xml(&mut theirs, &ours);
        }
        if ours == theirs {
            return vec![];
        }
        let mut diffs = vec![];
        // Long text members get a diff of their own, line by line; the JSON diff shows the rest.
        let (json_ours, json_theirs) = (
            without_text(self.kind, &ours),
            without_text(self.kind, &theirs),
        );
        if json_ours != json_theirs {
            diffs.push(unified(
                &format!("{}/{}", self.kind.list_key(), self.name),
                &pretty(&json_theirs),
                &pretty(&json_ours),
            ));
        }
        diffs.extend(text_parts(self.kind, &theirs, &ours, &self.names));
        diffs
    }

    pub(super) fn into_change(self, ownership: &dyn Ownership) -> Change {
        let owner = if ownership.owns(self.kind, &self.name) {
            Owner::Package
        } else {
            Owner::Dependency
        };
        let Some(org) = &self.org else {
            return self.base(owner, Action::Create);
        };
        let (ours, theirs) = (self.uuid(), self.org_uuid());
        if owner == Owner::Package && ours.is_some() && theirs.is_some() && ours != theirs {
            let mut c = self.base(owner, Action::Conflict);
            c.org_uuid = theirs.clone();
            c.reason = Some(format!(
                "the org has a {} named {:?} with uuid {}, not the package's {}",
                self.kind,
                self.name,
                theirs.unwrap_or_default(),
                ours.unwrap_or_default()
            ));
            return c;
        }
        let diffs = self.diffs();
        if diffs.is_empty() {
            return self.base(owner, Action::Unchanged);
        }
        let mut c = self.base(owner, Action::Update);
        if self.kind == Kind::DataTable {
            c.reason = column_reason(org, &self.package);
        }
        c.diffs = diffs;
        c
    }

    pub(super) fn into_removal(
        self,
        tables_with_rows: &BTreeSet<String>,
        options: UninstallOptions,
    ) -> Change {
        if self.org.is_none() {
            return self.base(Owner::Package, Action::Absent);
        }
        let (ours, theirs) = (self.uuid(), self.org_uuid());
        if ours.is_some() && theirs.is_some() && ours != theirs {
            let mut c = self.base(Owner::Package, Action::Keep);
            c.org_uuid = theirs;
            c.reason =
                Some("same name, another uuid: the package did not create this object".into());
            c.kept_because = Some("the package did not create".into());
            return c;
        }
        let diffs = self.diffs();
        if !diffs.is_empty() && !options.force {
            let mut c = self.base(Owner::Package, Action::Keep);
            c.reason = Some(
                "changed on the org since it was installed (use --force to remove it anyway)"
                    .into(),
            );
            c.diffs = diffs;
            c.kept_because = Some("was changed on the org".into());
            return c;
        }
        if self.kind == Kind::DataTable
            && tables_with_rows.contains(&self.name)
            && !options.delete_data
        {
            let mut c = self.base(Owner::Package, Action::Keep);
            c.reason = Some(
                "incidents still have rows in it (use --delete-data to remove it with its rows)"
                    .into(),
            );
            c.kept_because = Some("still holds incidents' rows".into());
            return c;
        }
        self.base(Owner::Package, Action::Delete)
    }
}

/// For data tables, say in words which columns differ: the usual drift is a newer integration
/// version renaming columns (MITRE 2.x `technique_description` for 1.0's `tech_description`).
fn column_reason(org: &Value, package: &Value) -> Option<String> {
    let cols = |v: &Value| -> BTreeSet<String> {
        v.get("fields")
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let (ours, theirs) = (cols(package), cols(org));
    let missing: Vec<_> = ours.difference(&theirs).cloned().collect();
    let extra: Vec<_> = theirs.difference(&ours).cloned().collect();
    if missing.is_empty() && extra.is_empty() {
        return None;
    }
    let mut parts = vec![];
    if !missing.is_empty() {
        parts.push(format!(
            "columns missing on the org: {}",
            missing.join(", ")
        ));
    }
    if !extra.is_empty() {
        parts.push(format!("columns only on the org: {}", extra.join(", ")));
    }
    Some(parts.join("; "))
}

/// The member of a kind that holds a long text (a workflow's XML, a script), diffed as text.
fn text_member(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::Workflow => Some("/content/xml"),
        Kind::Script => Some("/script_text"),
        _ => None,
    }
}

/// The object with its long text member replaced by a marker, for the JSON diff.
fn without_text(kind: Kind, v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(slot) = text_member(kind).and_then(|m| v.pointer_mut(m)) {
        if slot.is_string() {
            *slot = Value::String("(shown as text below)".into());
        }
    }
    v
}

/// Two workflows whose BPMN models are equal are the same workflow, whatever the diagram
/// coordinates or attribute order of their XML (res-format.md §1.9): give `org` the package's
/// text so that only real changes remain.
fn same_model_same_xml(org: &mut Value, package: &Value) {
    let (Some(a), Some(b)) = (
        org.pointer("/content/xml").and_then(Value::as_str),
        package.pointer("/content/xml").and_then(Value::as_str),
    ) else {
        return;
    };
    if a == b {
        return;
    }
    if let (Ok(pa), Ok(pb)) = (Process::parse(a), Process::parse(b)) {
        if pa == pb {
            let b = b.to_string();
            if let Some(slot) = org.pointer_mut("/content/xml") {
                *slot = Value::String(b);
            }
        }
    }
}

/// Scripts and workflows diffed as text: a script's code line by line, a workflow as its
/// steps with their inputs and scripts (or its XML when either side does not parse).
fn text_parts(kind: Kind, org: &Value, package: &Value, names: &Names) -> Vec<TextDiff> {
    let Some(member) = text_member(kind) else {
        return vec![];
    };
    let (Some(a), Some(b)) = (
        org.pointer(member).and_then(Value::as_str),
        package.pointer(member).and_then(Value::as_str),
    ) else {
        return vec![];
    };
    if a == b {
        return vec![];
    }
    if kind == Kind::Workflow {
        if let (Some(ta), Some(tb)) = (
            steps::workflow_text(a, names),
            steps::workflow_text(b, names),
        ) {
            if ta != tb {
                return vec![unified("workflow steps", &ta, &tb)];
            }
        }
    }
    vec![unified(&format!("{kind}{member}"), a, b)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// What `Pair::diffs` compared before it stopped copying whole org objects.
    fn normalise_then_project(kind: Kind, org: &Value, ours: &Value) -> Value {
        let mut org = normalised(org);
        if kind == Kind::Function {
            if let Some(o) = org.as_object_mut() {
                o.remove("workflows");
            }
        }
        project(&org, ours)
    }

    #[test]
    fn projecting_before_normalising_compares_the_same_value() {
        let package = json!({
            "name": "fn_x", "uuid": "u", "id": "a string id is kept", "version": "1.0",
            "display_name": "X", "tags": [{"tag_handle": "t"}],
            "view_items": [{"content": "c", "id": 3}],
            "values": [{"label": "a", "value": 7, "uuid": "v"}],
            "nested": {"type_id": 1001, "keep": 1, "create_date": 5},
        });
        let org = json!({
            "name": "fn_x", "uuid": "u", "id": 42, "version": 3, "display_name": "X (org)",
            "export_key": "fn_x", "tags": [], "workflows": [{"name": "w"}],
            "creator": {"id": 1}, "last_modified_time": 9,
            "view_items": [{"content": "c", "id": 4, "element": "field_uuid"}],
            "values": [{"label": "a", "value": 8, "uuid": "v", "id": 5}],
            "nested": {"type_id": 1002, "keep": 2, "create_date": 6, "extra": true},
        });
        let mut ours = normalised(&package);
        for kind in [Kind::Function, Kind::Field, Kind::Workflow] {
            if let Some(o) = ours.as_object_mut() {
                o.remove("workflows");
            }
            let want = normalise_then_project(kind, &org, &ours);
            assert_eq!(comparable_org(kind, &org, &ours), want, "{kind}");
            // The test compares something: the org's own display name and nested value remain.
            assert_eq!(want["display_name"], "X (org)");
            assert_eq!(want["nested"], json!({"keep": 2}));
            assert!(want.get("id").is_none() && want.get("tags").is_none());
        }
    }
}
