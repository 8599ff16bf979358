//! From the typed definitions to the JSON SOAR exports: one builder for the package's resource
//! file and for the integrations seed, so that both spell every object the same way.
//!
//! Each object carries the member set SOAR writes for its kind (read from the integrations' real
//! exports, `reference/res-format.md` §1.4), with fixed values where the server would put
//! something volatile: server ids count up from 1 in file order, timestamps are the export
//! date, versions are 1. Audit principals (`creator`, `last_modified_by`) are left out, as IBM's
//! own extract does with `creator`. Lists are sorted by API name, so the file depends only on
//! the definitions and the export date.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::res::bpmn::{FunctionBody, Input, LinearWorkflow, StaticInput};

use super::handles::*;

/// The oldest SOAR the package runs on: v38.2, the first release with python3 scripting.
pub fn server_version() -> Value {
    json!({"build_number": 0, "major": 38, "minor": 2, "version": "38.2.0"})
}

/// The internal incident type every import needs (`reference/res-format.md` §1.10).
pub const INTERNAL_INCIDENT_TYPE_UUID: &str = "bfeec2d4-3770-11e8-ad39-4a0004044aa0";
/// The internal incident field every import needs (§1.10).
pub const INTERNAL_FIELD_UUID: &str = "bfeec2d4-3770-11e8-ad39-4a0004044aa1";

/// What one resource file carries.
#[derive(Debug, Default)]
pub struct Content {
    pub rules: Vec<&'static RuleDef>,
    pub workflows: Vec<&'static WorkflowDef>,
    pub functions: Vec<&'static FunctionDef>,
    pub destinations: Vec<&'static DestinationDef>,
    pub tables: Vec<&'static TableDef>,
    pub incident_fields: Vec<&'static IncidentFieldDef>,
}

/// The resource file's JSON value: `content`, plus the internal incident type and field.
///
/// Rules keep the order given (it is the menu order, `action_order`); every other list is
/// sorted by API name.
pub fn assemble(content: &Content, export_date_ms: i64) -> Value {
    let mut ids = Ids::default();

    let mut functions = content.functions.clone();
    functions.sort_by_key(|f| f.name);
    functions.dedup_by_key(|f| f.name);
    let mut workflows = content.workflows.clone();
    workflows.sort_by_key(|w| w.programmatic_name);
    let mut tables = content.tables.clone();
    tables.sort_by_key(|t| t.type_name);
    let mut destinations = content.destinations.clone();
    destinations.sort_by_key(|d| d.programmatic_name);

    // Server ids of the workflows, for the functions' back-references.
    let workflow_ids: BTreeMap<&str, i64> = workflows
        .iter()
        .map(|w| (w.programmatic_name, ids.next("workflow")))
        .collect();

    // Fields: every input of every function, the incident fields, and the internal field.
    let mut fields: Vec<(String, Value)> = Vec::new();
    for f in &functions {
        for input in f.inputs {
            fields.push((
                format!("__function/{}", input.name),
                input_json(input, &mut ids),
            ));
        }
    }
    for field in &content.incident_fields {
        fields.push((
            format!("incident/{}", field.name),
            incident_field_json(field, &mut ids),
        ));
    }
    fields.push((
        "incident/internal_customizations_field".to_owned(),
        internal_field_json(),
    ));
    fields.sort_by(|a, b| a.0.cmp(&b.0));
    fields.dedup_by(|a, b| a.0 == b.0);

    let functions_json: Vec<Value> = functions
        .iter()
        .map(|f| function_json(f, &workflows, &workflow_ids, export_date_ms, &mut ids))
        .collect();
    let types_json: Vec<Value> = tables
        .iter()
        .enumerate()
        .map(|(i, t)| table_json(t, 1000 + i as i64, &mut ids))
        .collect();
    let workflows_json: Vec<Value> = workflows
        .iter()
        .map(|w| workflow_json(w, workflow_ids[w.programmatic_name], export_date_ms))
        .collect();
    let rules_json: Vec<Value> = content
        .rules
        .iter()
        .map(|r| rule_json(r, ids.next("rule")))
        .collect();
    let action_order: Vec<Value> = content.rules.iter().map(|r| json!(r.uuid())).collect();

    json!({
        "action_order": action_order,
        "actions": rules_json,
        "apps": [],
        "automatic_tasks": [],
        "export_date": export_date_ms,
        "export_format_version": 2,
        "fields": fields.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
        "functions": functions_json,
        "geos": null,
        "groups": null,
        "id": 1,
        "inbound_mailboxes": null,
        "incident_artifact_types": [],
        "incident_types": [internal_incident_type_json(export_date_ms)],
        "industries": null,
        "layouts": [],
        "locale": null,
        "message_destinations": destinations.iter().map(|d| destination_json(d)).collect::<Vec<_>>(),
        "notifications": null,
        "overrides": null,
        "phases": [],
        "regulators": null,
        "roles": [],
        "scripts": [],
        "server_version": server_version(),
        "tags": [],
        "task_order": [],
        "timeframes": null,
        "types": types_json,
        "workflows": workflows_json,
        "workspaces": [],
    })
}

/// Server ids, counted per kind from 1 in the order objects are written.
#[derive(Default)]
struct Ids(BTreeMap<&'static str, i64>);

impl Ids {
    fn next(&mut self, kind: &'static str) -> i64 {
        let n = self.0.entry(kind).or_insert(0);
        *n += 1;
        *n
    }
}

/// What distinguishes one field from another; [`field_base`] adds the members SOAR fills in.
struct FieldLabel<'a> {
    export_key: String,
    uuid: String,
    name: &'a str,
    text: &'a str,
    tooltip: &'a str,
    placeholder: &'a str,
    input_type: InputType,
}

/// The members every field, input and column shares, as SOAR writes them.
fn field_base(label: FieldLabel<'_>, id: i64) -> Map<String, Value> {
    let FieldLabel {
        export_key,
        uuid,
        name,
        text,
        tooltip,
        placeholder,
        input_type,
    } = label;
    let Value::Object(map) = json!({
        "allow_default_value": false,
        "blank_option": false,
        "calculated": false,
        "changeable": true,
        "chosen": false,
        "default_chosen_by_server": false,
        "deprecated": false,
        "export_key": export_key,
        "hide_notification": false,
        "id": id,
        "input_type": input_type.as_str(),
        "internal": false,
        "is_tracked": false,
        "name": name,
        "operation_perms": {},
        "operations": [],
        "placeholder": placeholder,
        "prefix": null,
        "read_only": false,
        "rich_text": false,
        "tags": [],
        "templates": [],
        "text": text,
        "tooltip": tooltip,
        "type_id": 11,
        "uuid": uuid,
        "values": [],
    }) else {
        unreachable!("json! of an object literal is an object")
    };
    map
}

fn input_json(input: &InputDef, ids: &mut Ids) -> Value {
    let label = FieldLabel {
        export_key: format!("__function/{}", input.name),
        uuid: input.uuid.to_owned(),
        name: input.name,
        text: input.text,
        tooltip: input.tooltip,
        placeholder: input.placeholder,
        input_type: input.input_type,
    };
    let mut map = field_base(label, ids.next("field"));
    let values: Vec<Value> = input
        .values
        .iter()
        .map(|v| {
            json!({
                "default": v.default,
                "enabled": true,
                "hidden": false,
                "label": v.label,
                "properties": null,
                "uuid": v.uuid,
                "value": ids.next("select_value"),
            })
        })
        .collect();
    map.insert("values".into(), Value::Array(values));
    Value::Object(map)
}

fn incident_field_json(field: &IncidentFieldDef, ids: &mut Ids) -> Value {
    let label = FieldLabel {
        export_key: format!("incident/{}", field.name),
        uuid: field.uuid.to_owned(),
        name: field.name,
        text: field.text,
        tooltip: field.tooltip,
        placeholder: field.placeholder,
        input_type: field.input_type,
    };
    let mut map = field_base(label, ids.next("field"));
    map.insert("prefix".into(), json!("properties"));
    map.insert("type_id".into(), json!(0));
    Value::Object(map)
}

fn column_json(table: &TableDef, column: &ColumnDef, table_id: i64, ids: &mut Ids) -> Value {
    let label = FieldLabel {
        export_key: table.column_key(column),
        uuid: table.column_uuid(column),
        name: column.name,
        text: column.text,
        tooltip: column.tooltip,
        placeholder: "",
        input_type: column.input_type,
    };
    let mut map = field_base(label, ids.next("field"));
    // The table designer offers a blank option and lists plain text columns as "chosen"; rich
    // text areas have neither (as in the MITRE integration's tables).
    let plain = !column.rich_text;
    map.insert("blank_option".into(), json!(plain));
    map.insert("chosen".into(), json!(plain));
    map.insert("rich_text".into(), json!(column.rich_text));
    map.insert("order".into(), json!(column.order));
    map.insert("width".into(), json!(column.width));
    map.insert("type_id".into(), json!(table_id));
    Value::Object(map)
}

fn table_json(table: &TableDef, table_id: i64, ids: &mut Ids) -> Value {
    let mut columns = table.columns.to_vec();
    columns.sort_by_key(|c| c.name);
    let fields: Map<String, Value> = columns
        .iter()
        .map(|c| (c.name.to_owned(), column_json(table, c, table_id, ids)))
        .collect();
    json!({
        "actions": [],
        "display_name": table.display_name,
        "export_key": table.type_name,
        "fields": fields,
        "for_actions": false,
        "for_custom_fields": false,
        "for_notifications": false,
        "for_workflows": false,
        "id": null,
        "parent_types": ["incident"],
        "properties": {"can_create": false, "can_destroy": false, "for_who": []},
        "scripts": [],
        "tags": [],
        "type_id": 8,
        "type_name": table.type_name,
        "uuid": table.uuid(),
    })
}

/// The internal incident type and field as a resource file: what every SOAR org has once
/// anything was imported into it, and what `respack serve` gives a new org.
pub fn internal_objects(export_date_ms: i64) -> Value {
    json!({
        "incident_types": [internal_incident_type_json(export_date_ms)],
        "fields": [internal_field_json()],
    })
}

fn internal_field_json() -> Value {
    json!({
        "export_key": "incident/internal_customizations_field",
        "id": 0,
        "input_type": "text",
        "internal": true,
        "name": "internal_customizations_field",
        "read_only": true,
        "text": "Customizations Field (internal)",
        "type_id": 0,
        "uuid": INTERNAL_FIELD_UUID,
    })
}

fn internal_incident_type_json(export_date_ms: i64) -> Value {
    json!({
        "create_date": export_date_ms,
        "description": "Customization Packages (internal)",
        "enabled": false,
        "export_key": "Customization Packages (internal)",
        "hidden": false,
        "id": 0,
        "name": "Customization Packages (internal)",
        "parent_id": null,
        "system": false,
        "update_date": export_date_ms,
        "uuid": INTERNAL_INCIDENT_TYPE_UUID,
    })
}

fn destination_json(d: &DestinationDef) -> Value {
    json!({
        "api_keys": [],
        "destination_type": 0,
        "expect_ack": true,
        "export_key": d.programmatic_name,
        "name": d.name,
        "programmatic_name": d.programmatic_name,
        "tags": [],
        "users": [],
        "uuid": d.uuid,
    })
}

fn function_json(
    f: &FunctionDef,
    workflows: &[&WorkflowDef],
    workflow_ids: &BTreeMap<&str, i64>,
    export_date_ms: i64,
    ids: &mut Ids,
) -> Value {
    let view_items: Vec<Value> = f
        .inputs
        .iter()
        .map(|i| {
            json!({
                "content": i.uuid,
                "element": "field_uuid",
                "field_type": "__function",
                "show_if": null,
                "show_link_header": false,
                "step_label": null,
            })
        })
        .collect();
    // The server's back-references: the workflows of this file that call the function.
    let used_by: Vec<Value> = workflows
        .iter()
        .filter(|w| w.steps.iter().any(|s| s.function.uuid == f.uuid))
        .map(|w| {
            json!({
                "actions": [],
                "description": w.description,
                "name": w.name,
                "object_type": w.object_type.as_str(),
                "programmatic_name": w.programmatic_name,
                "tags": [],
                "uuid": null,
                "workflow_id": workflow_ids[w.programmatic_name],
            })
        })
        .collect();
    json!({
        "created_date": export_date_ms,
        "description": {"content": f.description, "format": "text"},
        "destination_handle": f.destination.programmatic_name,
        "display_name": f.display_name,
        "export_key": f.name,
        "id": ids.next("function"),
        "last_modified_time": export_date_ms,
        "name": f.name,
        "output_description": {"content": null, "format": "text"},
        "tags": [],
        "uuid": f.uuid,
        "version": 1,
        "view_items": view_items,
        "workflows": used_by,
    })
}

/// The step body the designer stores inside `<resilient:function>`.
pub fn step_body(step: &StepDef) -> FunctionBody {
    let inputs: BTreeMap<String, Input> = step
        .inputs
        .iter()
        .map(|s| {
            let value = match s.value {
                StaticValue::Select(v) => StaticInput::select(v.uuid),
                StaticValue::Boolean(b) => StaticInput::boolean(b),
                StaticValue::Text(t) => StaticInput::text(t),
            };
            (s.input.uuid.to_owned(), Input::static_value(value))
        })
        .collect();
    let mut body = FunctionBody {
        inputs: inputs.into(),
        result_name: step.result_name.into(),
        ..FunctionBody::default()
    };
    if let Some(pre) = step.pre {
        body.pre_processing_script = pre.text.into();
        body.pre_processing_script_language = "python3".into();
    }
    if let Some(post) = step.post {
        body.post_processing_script = post.text.into();
        body.post_processing_script_language = "python3".into();
    }
    body
}

/// The workflow's BPMN: start → one function step per [`StepDef`] → end.
pub fn workflow_xml(w: &WorkflowDef) -> String {
    let mut builder = LinearWorkflow::new(w.programmatic_name, w.name).documentation(w.description);
    for step in w.steps {
        builder = builder.function_step(
            step.function.display_name,
            step.function.uuid,
            step_body(step),
        );
    }
    // Writing fails only on text XML cannot carry (control characters); the definitions are
    // ours and a unit test writes every workflow.
    builder
        .build()
        .to_xml()
        .unwrap_or_else(|e| panic!("workflow {} cannot be written: {e}", w.programmatic_name))
}

fn workflow_json(w: &WorkflowDef, workflow_id: i64, export_date_ms: i64) -> Value {
    json!({
        "actions": [],
        "content": {
            "version": 1,
            "workflow_id": w.programmatic_name,
            "xml": workflow_xml(w),
        },
        "content_version": 1,
        "description": w.description,
        "export_key": w.programmatic_name,
        "last_modified_time": export_date_ms,
        "name": w.name,
        "object_type": w.object_type.as_str(),
        "programmatic_name": w.programmatic_name,
        "tags": [],
        "uuid": w.uuid(),
        "workflow_id": workflow_id,
    })
}

fn rule_json(r: &RuleDef, id: i64) -> Value {
    let conditions: Vec<Value> = r
        .conditions
        .iter()
        .map(|c| {
            json!({
                "evaluation_id": null,
                "field_name": c.field.field_name(),
                "method": c.method.as_str(),
                "type": null,
                "value": null,
            })
        })
        .collect();
    json!({
        "automations": [],
        "conditions": conditions,
        "enabled": true,
        "export_key": r.name,
        "id": id,
        "logic_type": "all",
        "message_destinations": [],
        "name": r.name,
        "object_type": r.object_type.as_str(),
        "tags": [],
        "timeout_seconds": 86400,
        "type": 1,
        "uuid": r.uuid(),
        "view_items": [],
        "workflows": r.workflows.iter().map(|w| w.programmatic_name).collect::<Vec<_>>(),
    })
}
