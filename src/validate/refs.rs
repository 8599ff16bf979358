//! The closed references of `reference/res-format.md` §1.7 that live in JSON members (the ones
//! inside workflow and playbook XML are in [`super::steps`]): rules, functions, tasks, scripts,
//! workflows' object types, data table columns, `action_order` and `task_order`.
//!
//! Every reference is looked up in the [`Index`] built once per file.

use serde_json::Value;

use super::checks::{
    function_ref, name_or_index, playbook_ref, pointer, rule_ref, script_ref, table_ref,
    workflow_ref, Index,
};
use super::{Diagnostic, ObjectRef};
use crate::res::{Kind, ResFile, ViewItem};

pub(super) fn check(res: &ResFile, index: &Index<'_>, out: &mut Vec<Diagnostic>) {
    rules(res, index, out);
    functions(res, index, out);
    object_types(res, index, out);
    tasks(res, index, out);
    columns(res, out);
    playbook_forms(res, out);
    orders(res, index, out);
}

/// The field uuids a form shows: `view_items` of element `field_uuid`.
fn field_uuids(items: &[ViewItem]) -> impl Iterator<Item = (usize, &str)> {
    items.iter().enumerate().filter_map(|(j, v)| {
        (v.element.as_str() == Some("field_uuid"))
            .then(|| v.content.get().and_then(Value::as_str))
            .flatten()
            .map(|u| (j, u))
    })
}

fn rules(res: &ResFile, index: &Index<'_>, out: &mut Vec<Diagnostic>) {
    for (i, rule) in res.rules().iter().enumerate() {
        let at = pointer(Kind::Rule, i);
        let object = || rule_ref(rule, i);
        for (j, w) in rule.workflows.get().into_iter().flatten().enumerate() {
            if !index.workflows.contains(w.as_str()) {
                out.push(
                    Diagnostic::new(
                        "ref.rule.workflow",
                        format!("{at}/workflows/{j}"),
                        format!("runs workflow '{w}', which is not in the file"),
                    )
                    .object(object())
                    .help("add the workflow to the export, or remove it from the rule"),
                );
            }
        }
        for (j, d) in rule
            .message_destinations
            .get()
            .into_iter()
            .flatten()
            .enumerate()
        {
            if !index.destination_names.contains(d.as_str()) {
                let help = if index.destination_handles.contains(d.as_str()) {
                    format!("rules name destinations by display name; '{d}' is a programmatic name")
                } else {
                    "add the message destination to the export, or remove it from the rule".into()
                };
                out.push(
                    Diagnostic::new(
                        "ref.rule.destination",
                        format!("{at}/message_destinations/{j}"),
                        format!("names message destination '{d}' (display name), which is not in the file"),
                    )
                    .object(object())
                    .help(help),
                );
            }
        }
        let items = rule.view_items.get().map(Vec::as_slice).unwrap_or(&[]);
        for (j, uuid) in field_uuids(items) {
            if !index.fields.contains_key(uuid) {
                out.push(
                    Diagnostic::new(
                        "ref.rule.field",
                        format!("{at}/view_items/{j}/content"),
                        format!("its dialog shows the field {uuid}, which is not in `fields`"),
                    )
                    .object(object())
                    .help(
                        "add the activity field to the export, or remove it from the rule's dialog",
                    ),
                );
            }
        }
        if let Some(t) = rule.object_type.as_str() {
            if !index.is_object_type(t) {
                out.push(
                    Diagnostic::new(
                        "ref.rule.object-type",
                        format!("{at}/object_type"),
                        format!("runs on '{t}', which is neither a built-in object nor a data table of the file"),
                    )
                    .object(object())
                    .help("add the data table to the export"),
                );
            }
        }
        for (j, a) in rule.automations.get().into_iter().flatten().enumerate() {
            let tasks = a.get("tasks_to_create").and_then(Value::as_array);
            for (k, t) in tasks.into_iter().flatten().enumerate() {
                if let Some(t) = t.as_str() {
                    if !index.task_names.contains(t) {
                        out.push(
                            Diagnostic::new(
                                "ref.rule.task",
                                format!("{at}/automations/{j}/tasks_to_create/{k}"),
                                format!("creates task '{t}', which is not in `automatic_tasks`"),
                            )
                            .object(object())
                            .help("add the task to the export, or remove the automation"),
                        );
                    }
                }
            }
            if let Some(s) = a.get("scripts_to_run").and_then(Value::as_str) {
                if !s.is_empty() && !index.script_names.contains(s) {
                    out.push(
                        Diagnostic::new(
                            "ref.rule.script",
                            format!("{at}/automations/{j}/scripts_to_run"),
                            format!("runs script '{s}', which is not in `scripts`"),
                        )
                        .object(object())
                        .help("add the script to the export, or remove the automation"),
                    );
                }
            }
        }
    }
}

fn functions(res: &ResFile, index: &Index<'_>, out: &mut Vec<Diagnostic>) {
    for (i, f) in res.functions().iter().enumerate() {
        let at = pointer(Kind::Function, i);
        let object = || function_ref(f, i);
        if let Some(d) = f.destination_handle.get() {
            if !index.destination_handles.contains(d.as_str()) {
                out.push(
                    Diagnostic::new(
                        "ref.function.destination",
                        format!("{at}/destination_handle"),
                        format!(
                            "is delivered on message destination '{d}', which is not in the file"
                        ),
                    )
                    .object(object())
                    .help("add the message destination to the export"),
                );
            }
        }
        let items = f.view_items.get().map(Vec::as_slice).unwrap_or(&[]);
        for (j, uuid) in field_uuids(items) {
            let problem = match index.fields.get(uuid) {
                None => format!("has the input field {uuid}, which is not in `fields`"),
                Some(field) if !is_function_input(field) => format!(
                    "has the input field {uuid} ('{}'), which is not a function input (`__function`) field",
                    field.export_key.as_str().unwrap_or("?")
                ),
                Some(_) => continue,
            };
            out.push(
                Diagnostic::new(
                    "ref.function.field",
                    format!("{at}/view_items/{j}/content"),
                    problem,
                )
                .object(object())
                .help("add the function's input fields (`__function/...`) to the export"),
            );
        }
    }
}

/// A `__function` field: type 11, or an export key in that type.
pub(super) fn is_function_input(field: &crate::res::Field) -> bool {
    field.type_id.get().and_then(Value::as_i64) == Some(11)
        || field.type_prefix() == Some("__function")
}

fn object_types(res: &ResFile, index: &Index<'_>, out: &mut Vec<Diagnostic>) {
    let mut bad = |code, at: String, object: ObjectRef, t: &str| {
        out.push(
            Diagnostic::new(
                code,
                format!("{at}/object_type"),
                format!("runs on '{t}', which is neither a built-in object nor a data table of the file"),
            )
            .object(object)
            .help("add the data table to the export"),
        )
    };
    for (i, w) in res.workflows().iter().enumerate() {
        if let Some(t) = w.object_type.as_str().filter(|t| !index.is_object_type(t)) {
            bad(
                "ref.workflow.object-type",
                pointer(Kind::Workflow, i),
                workflow_ref(w, i),
                t,
            );
        }
    }
    for (i, s) in res.scripts().iter().enumerate() {
        if let Some(t) = s.object_type.as_str().filter(|t| !index.is_object_type(t)) {
            bad(
                "ref.script.object-type",
                pointer(Kind::Script, i),
                script_ref(s, i),
                t,
            );
        }
    }
}

fn tasks(res: &ResFile, index: &Index<'_>, out: &mut Vec<Diagnostic>) {
    for (i, t) in res.automatic_tasks().iter().enumerate() {
        let Some(phase) = t.phase_id.get() else {
            continue;
        };
        if !index.phases.contains(phase.as_str()) {
            let name = name_or_index(
                &[
                    t.programmatic_name.get().map(|n| n.as_str()),
                    t.name.as_str(),
                ],
                i,
            );
            out.push(
                Diagnostic::new(
                    "ref.task.phase",
                    format!("{}/phase_id", pointer(Kind::AutomaticTask, i)),
                    format!("is in phase '{phase}', which is not in `phases`"),
                )
                .object(ObjectRef::new(Kind::AutomaticTask, name))
                .help("add the phase to the export (tasks name their phase by its name)"),
            );
        }
    }
}

fn columns(res: &ResFile, out: &mut Vec<Diagnostic>) {
    for (i, t) in res.data_tables().iter().enumerate() {
        let Some(table) = t.type_name.get() else {
            continue;
        };
        for (column, field) in t.fields.get().into_iter().flatten() {
            let Some(key) = field.export_key.get() else {
                continue;
            };
            let expected = format!("{table}/{column}");
            if *key != expected {
                let mut at = format!("{}/fields/", pointer(Kind::DataTable, i));
                super::schema::push_escaped(&mut at, column);
                at.push_str("/export_key");
                out.push(
                    Diagnostic::new(
                        "ref.column.table",
                        at,
                        format!("column '{column}' has export_key {key:?}, which does not name this table"),
                    )
                    .object(table_ref(t, i))
                    .help(format!("set the column's export_key to {expected:?}")),
                );
            }
        }
    }
}

/// A playbook's manual form shows fields of its own `fields_type`.
fn playbook_forms(res: &ResFile, out: &mut Vec<Diagnostic>) {
    for (i, p) in res.playbooks().iter().enumerate() {
        let Some(items) = p
            .extra
            .get("manual_settings")
            .and_then(|m| m.get("view_items"))
            .and_then(Value::as_array)
        else {
            continue;
        };
        let form: std::collections::HashSet<&str> = p
            .fields_type
            .get()
            .and_then(|t| t.fields.get())
            .into_iter()
            .flatten()
            .filter_map(|(_, f)| f.uuid.get().map(|u| u.as_str()))
            .collect();
        for (j, item) in items.iter().enumerate() {
            if item.get("element").and_then(Value::as_str) != Some("field_uuid") {
                continue;
            }
            let Some(uuid) = item.get("content").and_then(Value::as_str) else {
                continue;
            };
            if !form.contains(uuid) {
                out.push(
                    Diagnostic::new(
                        "ref.playbook.field",
                        format!(
                            "{}/manual_settings/view_items/{j}/content",
                            pointer(Kind::Playbook, i)
                        ),
                        format!(
                            "its form shows the field {uuid}, which is not in its `fields_type`"
                        ),
                    )
                    .object(playbook_ref(p, i))
                    .help("open the playbook in SOAR, fix its activation form and export it again"),
                );
            }
        }
    }
}

fn orders(res: &ResFile, index: &Index<'_>, out: &mut Vec<Diagnostic>) {
    for (i, u) in res.action_order().iter().enumerate() {
        if !index.rule_uuids.contains(u.as_str()) {
            out.push(
                Diagnostic::new(
                    "ref.action-order",
                    format!("/action_order/{i}"),
                    format!("lists {u}, which is the uuid of no rule in `actions`"),
                )
                .help("remove the uuid from action_order, or add the rule"),
            );
        }
    }
    // Real org exports list hundreds of task uuids that are not exported: one finding, info.
    let dangling: Vec<usize> = res
        .task_order()
        .iter()
        .enumerate()
        .filter(|(_, u)| !index.task_uuids.contains(u.as_str()))
        .map(|(i, _)| i)
        .collect();
    if let Some(&first) = dangling.first() {
        out.push(Diagnostic::new(
            "ref.task-order",
            format!("/task_order/{first}"),
            format!(
                "{} of {} task_order uuids name no task in `automatic_tasks` (SOAR's own org exports do this)",
                dangling.len(),
                res.task_order().len()
            ),
        ));
    }
}
