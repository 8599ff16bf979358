//! The configuration export (`POST /rest/orgs/{id}/configurations/exports/`): the org's stored
//! objects assembled into a full `.res` (res-format.md §1.2) with every list present, and the
//! server-derived parts written in (`functions[].workflows`, `action_order`, `task_order`).

use serde_json::{json, Map, Value};

use super::kinds::{xml_steps, Kind};
use super::store::{OrgId, Store, StoreError, StoredObject};

/// The SOAR version the reference org emulates, in the v51+ form (`major`/`minor` are 0 there).
pub fn server_version() -> Value {
    json!({
        "build_number": 0, "major": 0, "minor": 0,
        "v": 51, "r": 0, "m": 0, "f": 0,
        "version": "51.0.0.0.0",
    })
}

/// Which workflows call which function, from one read of every workflow's XML: an export or a
/// function GET reads each workflow once, not once per function.
pub struct Callers<'a> {
    by_function: std::collections::BTreeMap<String, Vec<&'a StoredObject>>,
}

impl<'a> Callers<'a> {
    pub fn new(workflows: &'a [StoredObject]) -> Self {
        let mut by_function: std::collections::BTreeMap<String, Vec<&'a StoredObject>> =
            Default::default();
        for w in workflows {
            let Some(xml) = w.body.pointer("/content/xml").and_then(Value::as_str) else {
                continue;
            };
            for f in xml_steps(xml).functions {
                by_function.entry(f).or_default().push(w);
            }
        }
        Callers { by_function }
    }

    /// `functions[].workflows`: the workflows whose XML calls `function_uuid`.
    fn back_references(&self, function_uuid: Option<&str>) -> Value {
        let callers = function_uuid
            .and_then(|u| self.by_function.get(u))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let refs: Vec<Value> = callers
            .iter()
            .map(|w| {
                json!({
                    "actions": [],
                    "description": w.body.get("description").cloned().unwrap_or(Value::Null),
                    "name": w.body.get("name").cloned().unwrap_or(Value::Null),
                    "object_type": w.body.get("object_type").cloned().unwrap_or(Value::Null),
                    "programmatic_name": w.api_name,
                    "tags": [],
                    "uuid": null,
                    "workflow_id": w.id,
                })
            })
            .collect();
        Value::Array(refs)
    }
}

/// A function as the org shows it: its stored body plus the derived `workflows`.
pub fn function_view(f: &StoredObject, callers: &Callers) -> Value {
    let mut body = f.body.clone();
    if let Some(m) = body.as_object_mut() {
        m.insert(
            "workflows".into(),
            callers.back_references(f.uuid.as_deref()),
        );
    }
    body
}

/// The full export of `org`; `id` and `date` come from the export history record.
pub fn export(store: &Store, org: OrgId, id: i64, date: i64) -> Result<Value, StoreError> {
    let mut out = Map::new();
    out.insert("id".into(), json!(id));
    out.insert("export_date".into(), json!(date));
    out.insert("export_format_version".into(), json!(2));
    out.insert("export_type".into(), json!("ORG"));
    out.insert("locale".into(), json!("en"));
    out.insert("server_version".into(), server_version());
    for key in [
        "overrides",
        "geos",
        "industries",
        "regulators",
        "timeframes",
        "notifications",
        "groups",
        "inbound_mailboxes",
    ] {
        out.insert(key.into(), Value::Null);
    }
    let workflows = store.objects(org, Kind::Workflow)?;
    let callers = Callers::new(&workflows);
    for kind in Kind::ALL {
        // Each stored body is read once and moved into the export; the workflows, which the
        // callers index borrows, are copied rather than read and parsed a second time.
        let objects = match kind {
            Kind::Workflow => workflows.clone(),
            _ => store.objects(org, kind)?,
        };
        let order = matches!(kind, Kind::Rule | Kind::AutomaticTask).then(|| {
            objects
                .iter()
                .filter_map(|o| o.uuid.clone())
                .map(Value::String)
                .collect::<Vec<_>>()
        });
        let list: Vec<Value> = objects
            .into_iter()
            .map(|o| match kind {
                Kind::Function => function_view(&o, &callers),
                Kind::DataTable => {
                    // Exports carry data tables with a null id (their columns keep the
                    // table's server id as type_id).
                    let mut b = o.body;
                    if let Some(m) = b.as_object_mut() {
                        m.insert("id".into(), Value::Null);
                    }
                    b
                }
                _ => o.body,
            })
            .collect();
        if let Some(order) = order {
            let key = if kind == Kind::Rule {
                "action_order"
            } else {
                "task_order"
            };
            out.insert(key.into(), Value::Array(order));
        }
        out.insert(kind.list_key().into(), Value::Array(list));
    }
    Ok(Value::Object(out))
}
