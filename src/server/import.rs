//! The two-phase configuration import (res-format.md §2.6), as the reference org runs it.
//!
//! Phase one ([`plan`]) matches every incoming object against the org, by `uuid` **and** API
//! name within its kind, and resolves every reference the `.res` does not satisfy itself
//! against the org. It refuses the import outright when:
//! - an object has no API name, or two incoming objects share one (or a uuid);
//! - an incoming object's uuid belongs to one org object and its API name to another;
//! - an object of a kind referred to by uuid (functions, fields, scripts, tasks, playbooks) has
//!   the API name of an org object with a different uuid (accepting it would leave the org's
//!   references to the old uuid, or the import's to the new one, dangling);
//! - a hard reference (workflow XML → function, rule → workflow, function → message
//!   destination) resolves neither in the `.res` nor in the org.
//!
//! Other kinds matched by API name with a different uuid (rules, workflows, data tables,
//! destinations, ...) are modified in place and keep the org's uuid; the PENDING answer says
//! so. Imports add and change, they never delete: a data table keeps org columns the import
//! lacks.
//!
//! Phase two ([`apply`]) re-plans against the org as it is then and writes everything in the
//! caller's one SQLite transaction.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{json, Map, Value};

use super::kinds::{self, Kind, Reference, Target};
use super::store::{ObjectId, OrgId, StoreError, StoredObject, Tx};

/// Why an import cannot go ahead.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Problems in the `.res` or against the org, each naming the object.
    #[error("import refused: {}", .0.join("; "))]
    Refused(Vec<String>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl crate::help::Help for ImportError {
    fn help(&self) -> Option<String> {
        match self {
            ImportError::Refused(_) => Some(
                "add the missing objects to the .res or install the integration that defines them first"
                    .into(),
            ),
            ImportError::Store(_) => None,
        }
    }
}

/// What an import does to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Modify,
    Unchanged,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Modify => "modify",
            Operation::Unchanged => "unchanged",
        }
    }
}

/// One incoming object and what the import does with it.
#[derive(Debug, Clone)]
pub struct Item {
    pub kind: Kind,
    pub api_name: String,
    pub uuid: Option<String>,
    pub operation: Operation,
    /// The org object it matched.
    pub existing: Option<ObjectId>,
    /// The org's uuid, kept because the object matched by API name with another uuid.
    pub keep_uuid: Option<String>,
    /// Why the object was matched the way it was, when that is worth saying.
    pub notes: Vec<String>,
    /// Position in its `.res` list.
    pub index: usize,
}

/// A reference the `.res` does not satisfy itself.
#[derive(Debug, Clone)]
pub struct External {
    pub from_kind: Kind,
    pub from: String,
    pub reference: Reference,
    /// The org object it resolves to; `None` when nothing does (soft references only, hard
    /// ones refuse the import).
    pub org_object: Option<ObjectId>,
}

/// The outcome of phase one.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub items: Vec<Item>,
    pub external: Vec<External>,
    pub warnings: Vec<String>,
}

/// The org's objects of every kind, indexed the ways imports look them up.
struct OrgIndex {
    by_kind: HashMap<Kind, Vec<StoredObject>>,
}

impl OrgIndex {
    fn load(
        load: &mut dyn FnMut(Kind) -> Result<Vec<StoredObject>, StoreError>,
    ) -> Result<OrgIndex, StoreError> {
        let mut by_kind = HashMap::new();
        for kind in Kind::ALL {
            by_kind.insert(kind, load(kind)?);
        }
        Ok(OrgIndex { by_kind })
    }

    fn all(&self, kind: Kind) -> &[StoredObject] {
        self.by_kind.get(&kind).map(Vec::as_slice).unwrap_or(&[])
    }

    fn by_uuid(&self, kind: Kind, uuid: &str) -> Option<&StoredObject> {
        self.all(kind)
            .iter()
            .find(|o| o.uuid.as_deref() == Some(uuid))
    }

    fn by_name(&self, kind: Kind, name: &str) -> Option<&StoredObject> {
        self.all(kind).iter().find(|o| o.api_name == name)
    }

    fn resolve(&self, kind: Kind, target: &Target) -> Option<&StoredObject> {
        match target {
            Target::Uuid(u) => self.by_uuid(kind, u),
            Target::ApiName(n) => self.by_name(kind, n.trim()),
            Target::DisplayName(n) => self.all(kind).iter().find(|o| {
                o.body.get("name").and_then(Value::as_str).map(str::trim) == Some(n.trim())
            }),
        }
    }
}

/// The objects of one `.res`, validated and indexed.
struct Incoming<'a> {
    objects: Vec<(Kind, usize, &'a Value, String, Option<String>)>,
}

impl<'a> Incoming<'a> {
    fn read(res: &'a Value, problems: &mut Vec<String>) -> Incoming<'a> {
        let mut objects = Vec::new();
        let Some(top) = res.as_object() else {
            problems.push("the body is not a JSON object (a .res export)".into());
            return Incoming { objects };
        };
        for kind in Kind::ALL {
            let list = kind.list_key();
            let items = match top.get(list) {
                None | Some(Value::Null) => continue,
                Some(Value::Array(a)) => a,
                Some(_) => {
                    problems.push(format!("/{list} is not a list"));
                    continue;
                }
            };
            let mut names = HashSet::new();
            let mut uuids = HashSet::new();
            for (i, obj) in items.iter().enumerate() {
                if !obj.is_object() {
                    problems.push(format!("/{list}/{i} is not an object"));
                    continue;
                }
                let Some(name) = kind.api_name(obj).map(|n| n.into_owned()) else {
                    problems.push(format!(
                        "/{list}/{i} has no API name ({})",
                        kind.api_name_key()
                    ));
                    continue;
                };
                let uuid = kinds::uuid_of(obj);
                if !names.insert(name.clone()) {
                    problems.push(format!(
                        "{} {name:?} appears twice in the import",
                        kind.customization_type()
                    ));
                    continue;
                }
                if let Some(u) = &uuid {
                    if !uuids.insert(u.clone()) {
                        problems.push(format!(
                            "{} {name:?}: uuid {u} is used by two objects of the import",
                            kind.customization_type()
                        ));
                        continue;
                    }
                }
                objects.push((kind, i, obj, name, uuid));
            }
        }
        Incoming { objects }
    }

    fn resolves(&self, kind: Kind, target: &Target) -> bool {
        self.objects.iter().any(|(k, _, obj, name, uuid)| {
            *k == kind
                && match target {
                    Target::Uuid(u) => uuid.as_deref() == Some(u.as_str()),
                    Target::ApiName(n) => name == n.trim(),
                    Target::DisplayName(n) => {
                        obj.get("name").and_then(Value::as_str).map(str::trim) == Some(n.trim())
                    }
                }
        })
    }
}

/// Phase one: what importing `res` into the org would do. `load` reads the org's objects of a
/// kind (from the store or from an open transaction).
pub fn plan(
    res: &Value,
    load: &mut dyn FnMut(Kind) -> Result<Vec<StoredObject>, StoreError>,
) -> Result<Plan, ImportError> {
    let mut problems = Vec::new();
    let incoming = Incoming::read(res, &mut problems);
    let org = OrgIndex::load(load)?;
    let mut plan = Plan::default();

    for (kind, index, obj, name, uuid) in &incoming.objects {
        let (kind, what) = (*kind, kind.customization_type());
        let by_uuid = uuid.as_deref().and_then(|u| org.by_uuid(kind, u));
        let by_name = org.by_name(kind, name);
        let mut item = Item {
            kind,
            api_name: name.clone(),
            uuid: uuid.clone(),
            operation: Operation::Create,
            existing: None,
            keep_uuid: None,
            notes: vec![],
            index: *index,
        };
        let matched = match (by_uuid, by_name) {
            (None, None) => None,
            (Some(a), Some(b)) if a.id != b.id => {
                problems.push(format!(
                    "{what} {name:?}: its uuid belongs to the org's {what} {:?} and its name to another {what}",
                    a.api_name
                ));
                continue;
            }
            (Some(a), _) => {
                if a.api_name != *name {
                    item.notes
                        .push(format!("renamed from {:?} (matched by uuid)", a.api_name));
                }
                Some(a)
            }
            (None, Some(b)) => {
                match (&b.uuid, uuid) {
                    (Some(org_uuid), Some(new_uuid)) if org_uuid != new_uuid => {
                        if kind.referenced_by_uuid() {
                            problems.push(format!(
                                "{what} {name:?} exists on the org with uuid {org_uuid}, the import has uuid {new_uuid}: objects are matched by uuid and API name, so give it the org's uuid or another name"
                            ));
                            continue;
                        }
                        item.keep_uuid = Some(org_uuid.clone());
                        item.notes.push(format!(
                            "matched by API name; keeps the org's uuid {org_uuid} instead of {new_uuid}"
                        ));
                    }
                    (Some(org_uuid), None) => item.keep_uuid = Some(org_uuid.clone()),
                    _ => {}
                }
                Some(b)
            }
        };
        if let Some(existing) = matched {
            item.existing = Some(existing.id);
            let merged = merge(kind, Some(&existing.body), obj);
            item.operation = if item.notes.is_empty()
                && normalized(kind, &existing.body) == normalized(kind, &merged)
            {
                Operation::Unchanged
            } else {
                Operation::Modify
            };
        }
        plan.items.push(item);

        if matches!(kind, Kind::Workflow | Kind::Playbook) {
            let xml = obj
                .pointer("/content/xml")
                .and_then(Value::as_str)
                .unwrap_or("");
            if let Err(e) = crate::res::bpmn::Process::parse(xml) {
                // SOAR's designer cannot open what this server cannot read.
                problems.push(format!(
                    "{what} {name:?} has unreadable BPMN in content.xml: {e}"
                ));
                continue;
            }
        }

        for reference in kinds::references(kind, obj) {
            if incoming.resolves(reference.to_kind, &reference.target) {
                continue;
            }
            let found = org.resolve(reference.to_kind, &reference.target);
            if found.is_none() {
                let text = format!(
                    "{what} {name:?} ({}) refers to {} {} {:?}, which neither the import nor the org has",
                    reference.via,
                    reference.to_kind.customization_type(),
                    reference.target.by(),
                    reference.target.text()
                );
                if reference.hard {
                    problems.push(text);
                    continue;
                }
                plan.warnings.push(text);
            }
            plan.external.push(External {
                from_kind: kind,
                from: name.clone(),
                reference,
                org_object: found.map(|o| o.id),
            });
        }
    }
    if problems.is_empty() {
        Ok(plan)
    } else {
        Err(ImportError::Refused(problems))
    }
}

/// The body to store for an incoming object of `kind`, given what the org has now.
fn merge(kind: Kind, existing: Option<&Value>, incoming: &Value) -> Value {
    let mut body = incoming.clone();
    if kind == Kind::DataTable {
        // Imports never delete: org columns the import lacks stay.
        if let (Some(old), Some(Value::Object(new))) = (
            existing
                .and_then(|e| e.get("fields"))
                .and_then(Value::as_object),
            body.get_mut("fields"),
        ) {
            for (col, def) in old {
                new.entry(col.clone()).or_insert_with(|| def.clone());
            }
        }
    }
    body
}

/// `obj` without the values that change on every import (ids, versions, audit fields,
/// server-derived back-references), so "modify" and "unchanged" can be told apart.
fn normalized(kind: Kind, obj: &Value) -> Value {
    const VOLATILE: &[&str] = &[
        "id",
        "workflow_id",
        "version",
        "content_version",
        "last_modified_time",
        "last_modified_by",
        "creator",
        "creator_id",
        "created_date",
        "create_date",
        "update_date",
    ];
    let mut v = obj.clone();
    if let Some(m) = v.as_object_mut() {
        for k in VOLATILE {
            m.remove(*k);
        }
        if kind == Kind::Function {
            m.remove("workflows");
        }
        if let Some(Value::Object(c)) = m.get_mut("content") {
            c.remove("version");
        }
        if let Some(Value::Object(cols)) = m.get_mut("fields") {
            for col in cols.values_mut() {
                if let Some(c) = col.as_object_mut() {
                    c.remove("id");
                    c.remove("type_id");
                }
            }
        }
        if let Some(Value::Array(values)) = m.get_mut("values") {
            for val in values {
                if let Some(o) = val.as_object_mut() {
                    o.remove("value");
                }
            }
        }
    }
    v
}

/// The body stored for an object with server id `id`: the server's ids written in.
pub fn finalize(kind: Kind, mut body: Value, id: ObjectId, keep_uuid: Option<&str>) -> Value {
    if let Some(m) = body.as_object_mut() {
        m.insert("id".into(), json!(id.0));
        if let Some(u) = keep_uuid {
            m.insert("uuid".into(), json!(u));
        }
        match kind {
            Kind::Workflow => {
                m.insert("workflow_id".into(), json!(id.0));
            }
            Kind::Function => {
                // Derived on every read from the workflows that call the function.
                m.remove("workflows");
            }
            Kind::DataTable => {
                if let Some(Value::Object(cols)) = m.get_mut("fields") {
                    for col in cols.values_mut() {
                        if let Some(c) = col.as_object_mut() {
                            c.insert("type_id".into(), json!(id.0));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    body
}

/// Phase two: re-plan `res` against the org inside `tx` and write every object. Returns the
/// plan with the ids of created objects filled in.
pub fn apply(tx: &mut Tx<'_>, org: OrgId, res: &Value) -> Result<Plan, ImportError> {
    let mut plan = plan(res, &mut |kind| tx.objects(org, kind))?;
    let mut existing: HashMap<ObjectId, Value> = HashMap::new();
    for kind in Kind::ALL {
        for o in tx.objects(org, kind)? {
            existing.insert(o.id, o.body);
        }
    }
    for item in &mut plan.items {
        let Some(obj) = res
            .get(item.kind.list_key())
            .and_then(|l| l.get(item.index))
        else {
            continue;
        };
        let uuid = item.keep_uuid.clone().or_else(|| item.uuid.clone());
        match (item.operation, item.existing) {
            (Operation::Unchanged, _) => {}
            (_, Some(id)) => {
                let body = merge(item.kind, existing.get(&id), obj);
                let body = finalize(item.kind, body, id, item.keep_uuid.as_deref());
                tx.update_object(id, uuid.as_deref(), &item.api_name, &body)?;
            }
            (_, None) => {
                let (kind, keep) = (item.kind, item.keep_uuid.clone());
                let id = tx.insert_object(org, kind, uuid.as_deref(), &item.api_name, |id| {
                    finalize(kind, obj.clone(), id, keep.as_deref())
                })?;
                item.existing = Some(id);
            }
        }
    }
    Ok(plan)
}

/// The import DTO (the answer to POST and PUT on `/configurations/imports`).
///
/// `{"id", "status", "create_date", "org_id", "messages": [{"type", "text"}],
/// "items": [{"customization_type", "kind", "name", "uuid", "operation", "object_id", "notes"}],
/// "unresolved_references": [{"from": {"kind", "name"}, "via", "to": {"kind", "by", "value"},
/// "resolved_by": "org" | null, "org_object_id"}], "summary": {"create", "modify", "unchanged",
/// "unresolved_references"}}`
pub fn dto(id: i64, org: OrgId, status: &str, created: i64, plan: &Plan) -> Value {
    let mut messages = Vec::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let items: Vec<Value> = plan
        .items
        .iter()
        .map(|it| {
            *counts.entry(it.operation.as_str()).or_default() += 1;
            let what = it.kind.customization_type();
            if it.operation != Operation::Unchanged {
                let verb = match it.operation {
                    Operation::Create => "Create",
                    _ => "Modify",
                };
                messages.push(
                    json!({"type": "INFO", "text": format!("{verb} {what} '{}'", it.api_name)}),
                );
            }
            for n in &it.notes {
                messages.push(
                    json!({"type": "WARNING", "text": format!("{what} '{}': {n}", it.api_name)}),
                );
            }
            json!({
                "customization_type": what,
                "kind": it.kind.list_key(),
                "name": it.api_name,
                "uuid": it.keep_uuid.as_ref().or(it.uuid.as_ref()),
                "operation": it.operation.as_str(),
                "object_id": it.existing,
                "notes": it.notes,
            })
        })
        .collect();
    let external: Vec<Value> = plan
        .external
        .iter()
        .map(|e| {
            json!({
                "from": {"kind": e.from_kind.list_key(), "name": e.from},
                "via": e.reference.via,
                "to": {
                    "kind": e.reference.to_kind.list_key(),
                    "by": e.reference.target.by(),
                    "value": e.reference.target.text(),
                },
                "resolved_by": e.org_object.map(|_| "org"),
                "org_object_id": e.org_object,
            })
        })
        .collect();
    for e in &plan.external {
        if e.org_object.is_some() {
            messages.push(json!({"type": "INFO", "text": format!(
                "{} '{}' uses {} {} '{}' already on the org",
                e.from_kind.customization_type(), e.from, e.reference.to_kind.customization_type(),
                e.reference.target.by(), e.reference.target.text())}));
        }
    }
    for w in &plan.warnings {
        messages.push(json!({"type": "WARNING", "text": w}));
    }
    let mut summary = Map::new();
    for op in ["create", "modify", "unchanged"] {
        summary.insert(op.into(), json!(counts.get(op).copied().unwrap_or(0)));
    }
    summary.insert("unresolved_references".into(), json!(external.len()));
    json!({
        "id": id,
        "org_id": org,
        "status": status,
        "create_date": created,
        "messages": messages,
        "items": items,
        "unresolved_references": external,
        "summary": summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty(_: Kind) -> Result<Vec<StoredObject>, StoreError> {
        Ok(vec![])
    }

    const BPMN_CALLING_F404: &str = r#"<?xml version="1.0"?><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:resilient="http://resilient.ibm.com/bpmn"><process id="wf" name="wf"><startEvent id="s"/><serviceTask id="t" resilient:type="function"><extensionElements><resilient:function uuid="f-404">{"inputs":{}}</resilient:function></extensionElements></serviceTask></process></definitions>"#;

    #[test]
    fn workflow_with_unreadable_bpmn_is_refused() {
        let res = json!({"workflows": [{"programmatic_name": "wf", "uuid": "w1",
            "content": {"xml": "<!DOCTYPE x [<!ENTITY a \"b\">]><definitions/>"}}]});
        let Err(ImportError::Refused(p)) = plan(&res, &mut empty) else {
            panic!()
        };
        assert!(p[0].contains("unreadable BPMN"), "{p:?}");
    }

    #[test]
    fn workflow_calling_an_unknown_function_is_refused() {
        let res = json!({"workflows": [{"programmatic_name": "wf", "uuid": "w1",
            "content": {"xml": BPMN_CALLING_F404}}]});
        let err = plan(&res, &mut empty).unwrap_err();
        let ImportError::Refused(p) = err else {
            panic!("{err:?}")
        };
        assert!(p[0].contains("f-404"), "{p:?}");
    }

    #[test]
    fn duplicate_and_nameless_objects_are_refused() {
        let res = json!({"functions": [{"export_key": "a"}, {"export_key": "a"}, {"name": null}]});
        let Err(ImportError::Refused(p)) = plan(&res, &mut empty) else {
            panic!()
        };
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p.iter().any(|m| m.contains("/functions/2 has no API name")));
    }

    #[test]
    fn data_table_import_keeps_org_columns() {
        let old = json!({"type_name": "t", "fields": {"a": {"name": "a"}, "b": {"name": "b"}}});
        let new = json!({"type_name": "t", "fields": {"a": {"name": "a"}}});
        let merged = merge(Kind::DataTable, Some(&old), &new);
        assert!(merged.pointer("/fields/b").is_some());
    }
}
