//! What an object on the org needs in order to stay: the closure an uninstall must keep.
//!
//! SOAR refuses to delete an object another object still refers to (HTTP 409: a rule's
//! workflows, a workflow's functions and scripts, a function's message destination, the data
//! table a rule or script is defined on). So when uninstall keeps an object (changed on the org,
//! not the package's, with rows, or simply not part of the package), whatever that object needs
//! must be kept too, or the delete fails half way and every re-run fails the same way. A kept
//! workflow also keeps the data tables its scripts write: the org would refuse nothing, but the
//! workflow would fail on its next run.
//!
//! Everything here reads one export; the references are those the reference org enforces
//! (`server::kinds`) plus the tables scripts write (`incident.addRow("table")`).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::res::bpmn::{NodeKind, Process};
use crate::res::Kind;
use crate::validate::scripts::table_writes;

/// An object by kind and API name.
pub(super) type Key = (Kind, String);

/// `"<kind> '<name>'"`, the way a reason names an object.
pub(super) fn label(key: &Key) -> String {
    format!("{} '{}'", key.0, key.1)
}

/// Every object of the export, with its key.
pub(super) fn objects(org: &Value) -> Vec<(Key, &Value)> {
    let mut out = vec![];
    for kind in Kind::ALL {
        let list: Vec<&Value> = match org.get(kind.list_key()) {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(Value::Object(m)) => m.values().collect(),
            _ => continue,
        };
        for o in list {
            if kind == Kind::DataTable && !is_data_table(o) {
                continue;
            }
            if let Some(name) = kind.api_name(o) {
                out.push(((kind, name.into_owned()), o));
            }
        }
    }
    out
}

/// The `types` list holds incident types' siblings too; data tables have `type_id` 8.
fn is_data_table(o: &Value) -> bool {
    o.get("type_id")
        .and_then(Value::as_i64)
        .is_none_or(|t| t == 8)
}

/// Functions and scripts are referred to by uuid: their API names, from the export.
pub(super) struct UuidIndex(BTreeMap<(Kind, String), String>);

impl UuidIndex {
    pub(super) fn new(objects: &[(Key, &Value)]) -> UuidIndex {
        let mut map = BTreeMap::new();
        for ((kind, name), o) in objects {
            if let Some(u) = o.get("uuid").and_then(Value::as_str) {
                map.insert((*kind, u.to_string()), name.clone());
            }
        }
        UuidIndex(map)
    }

    fn name(&self, kind: Kind, uuid: &str) -> Option<String> {
        self.0.get(&(kind, uuid.to_string())).cloned()
    }
}

/// The objects `object` (of `kind`, as it is on the org) needs to keep working.
pub(super) fn needs(kind: Kind, object: &Value, index: &UuidIndex) -> Vec<Key> {
    let mut out = vec![];
    let text = |k: &str| object.get(k).and_then(Value::as_str).map(str::trim);
    // A rule or script defined on a data table's rows (`object_type`) needs that table, and so
    // does a workflow started on them.
    if matches!(kind, Kind::Rule | Kind::Script | Kind::Workflow) {
        if let Some(t) = text("object_type").filter(|t| !t.is_empty()) {
            out.push((Kind::DataTable, t.to_string()));
        }
    }
    match kind {
        Kind::Rule => {
            for w in object
                .get("workflows")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                out.push((Kind::Workflow, w.trim().to_string()));
            }
        }
        Kind::Function => {
            if let Some(d) = text("destination_handle") {
                out.push((Kind::MessageDestination, d.to_string()));
            }
        }
        Kind::Script => {
            if let Some(code) = text("script_text") {
                out.extend(written_tables(code));
            }
        }
        Kind::Workflow => {
            if let Some(process) = object
                .pointer("/content/xml")
                .and_then(Value::as_str)
                .and_then(|xml| Process::parse(xml).ok())
            {
                out.extend(workflow_needs(&process, index));
            }
        }
        _ => {}
    }
    out.sort();
    out.dedup();
    out
}

fn workflow_needs(process: &Process, index: &UuidIndex) -> Vec<Key> {
    let mut out = vec![];
    for u in process.referenced_function_uuids() {
        out.extend(index.name(Kind::Function, u).map(|n| (Kind::Function, n)));
    }
    for u in process.script_uuids() {
        out.extend(index.name(Kind::Script, u).map(|n| (Kind::Script, n)));
    }
    for w in process.called_workflows() {
        out.push((Kind::Workflow, w.to_string()));
    }
    for (_, call) in process.function_calls() {
        for script in [
            &call.body.pre_processing_script,
            &call.body.post_processing_script,
        ] {
            out.extend(script.as_str().map(written_tables).into_iter().flatten());
        }
    }
    for node in &process.nodes {
        if let NodeKind::End {
            script: Some(end), ..
        } = &node.kind
        {
            out.extend(
                end.script
                    .as_str()
                    .map(written_tables)
                    .into_iter()
                    .flatten(),
            );
        }
    }
    out
}

/// The data tables a script adds rows to.
fn written_tables(code: &str) -> Vec<Key> {
    table_writes(code)
        .into_iter()
        .filter(|w| w.column.is_none())
        .map(|w| (Kind::DataTable, w.table.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::res::bpmn::{FunctionBody, LinearWorkflow};
    use serde_json::json;
    use std::collections::BTreeSet;

    #[test]
    fn a_workflow_needs_its_function_and_the_tables_its_scripts_write() {
        let body = FunctionBody {
            post_processing_script:
                "row = incident.addRow(\"t_out\")\nrow.a = 1\n# incident.addRow(\"not_this\")"
                    .to_string()
                    .into(),
            ..FunctionBody::default()
        };
        let xml = LinearWorkflow::new("wf", "Wf")
            .function_step("F", "fn-uuid", body)
            .build()
            .to_xml()
            .unwrap();
        let org = json!({
            "functions": [{"uuid": "fn-uuid", "name": "fn_x", "export_key": "fn_x", "destination_handle": "dest"}],
            "workflows": [{"programmatic_name": "wf", "object_type": "t_rows", "content": {"xml": xml}}],
        });
        let objects = objects(&org);
        let index = UuidIndex::new(&objects);
        let wf = &org["workflows"][0];
        let want: BTreeSet<Key> = [
            (Kind::Function, "fn_x"),
            (Kind::DataTable, "t_out"),
            (Kind::DataTable, "t_rows"),
        ]
        .into_iter()
        .map(|(k, n)| (k, n.to_string()))
        .collect();
        let got: BTreeSet<Key> = needs(Kind::Workflow, wf, &index).into_iter().collect();
        assert_eq!(got, want);
        assert_eq!(
            needs(Kind::Function, &org["functions"][0], &index),
            [(Kind::MessageDestination, "dest".to_string())]
        );
    }

    #[test]
    fn a_rule_needs_its_workflows_and_its_table() {
        let rule = json!({"name": "r", "workflows": ["wf_a", " wf_b "], "object_type": "t"});
        let index = UuidIndex::new(&[]);
        let got: BTreeSet<Key> = needs(Kind::Rule, &rule, &index).into_iter().collect();
        let want: BTreeSet<Key> = [
            (Kind::Workflow, "wf_a"),
            (Kind::Workflow, "wf_b"),
            (Kind::DataTable, "t"),
        ]
        .into_iter()
        .map(|(k, n)| (k, n.to_string()))
        .collect();
        assert_eq!(got, want);
    }
}
