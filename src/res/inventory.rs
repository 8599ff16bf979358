//! [`Inventory`]: what a resource file holds, as a person wants to see it first (`respack show`).
//!
//! Computed once as data from a [`ResFile`], then printed as text or serialised as JSON.

use serde::Serialize;

use super::bpmn::Process;
use super::{Field, ResFile};

/// The inventory of one resource file.
#[derive(Debug, Clone, Serialize)]
pub struct Inventory {
    pub server_version: Option<String>,
    pub rules: Vec<RuleEntry>,
    pub workflows: Vec<WorkflowEntry>,
    pub functions: Vec<FunctionEntry>,
    pub data_tables: Vec<TableEntry>,
    pub message_destinations: Vec<DestinationEntry>,
    pub fields: Vec<FieldEntry>,
    pub scripts: Vec<String>,
    pub playbooks: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleEntry {
    pub name: String,
    /// `menu item` or `automatic`.
    pub kind: &'static str,
    pub object_type: String,
    pub workflows: Vec<String>,
    pub conditions: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WorkflowEntry {
    pub programmatic_name: String,
    pub name: String,
    pub object_type: String,
    /// The functions its steps call, in step order, by API name (or uuid when not in the file).
    pub functions: Vec<String>,
    /// Set when the XML could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FunctionEntry {
    pub name: String,
    pub display_name: String,
    pub destination: String,
    pub inputs: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableEntry {
    pub type_name: String,
    pub display_name: String,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DestinationEntry {
    pub programmatic_name: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FieldEntry {
    /// `incident/qradar_id`, `__function/mitre_tactic_name`, ...
    pub export_key: String,
    pub input_type: String,
    pub label: String,
}

fn s(slot: &super::Slot<impl AsRef<str>>) -> String {
    slot.get()
        .map(|v| v.as_ref().to_string())
        .unwrap_or_default()
}

impl Inventory {
    pub fn of(res: &ResFile) -> Inventory {
        let field_name = |uuid: &str| -> String {
            res.field_by_uuid(uuid)
                .map(|f| s(&f.name))
                .unwrap_or_else(|| uuid.to_string())
        };
        let rules = res
            .rules()
            .iter()
            .map(|r| RuleEntry {
                name: s(&r.name),
                kind: if r.rule_type.get() == Some(&1) {
                    "menu item"
                } else {
                    "automatic"
                },
                object_type: s(&r.object_type),
                workflows: r
                    .workflows
                    .get()
                    .into_iter()
                    .flatten()
                    .map(ToString::to_string)
                    .collect(),
                conditions: r
                    .conditions
                    .get()
                    .into_iter()
                    .flatten()
                    .map(|c| {
                        let value = c
                            .value
                            .get()
                            .filter(|v| !v.is_null())
                            .map(|v| format!(" {v}"))
                            .unwrap_or_default();
                        format!("{} {}{}", s(&c.field_name), s(&c.method), value)
                    })
                    .collect(),
            })
            .collect();
        let workflows = res
            .workflows()
            .iter()
            .map(|w| {
                let xml = w
                    .content
                    .get()
                    .and_then(|c| c.xml.get())
                    .map(String::as_str)
                    .unwrap_or("");
                let (functions, error) = match Process::parse(xml) {
                    Ok(p) => {
                        let order = p.step_order().map(|nodes| {
                            nodes.into_iter().map(|n| n.id.clone()).collect::<Vec<_>>()
                        });
                        let mut calls: Vec<(usize, String)> = p
                            .function_calls()
                            .map(|(node, call)| {
                                let rank = order
                                    .as_ref()
                                    .ok()
                                    .and_then(|o| o.iter().position(|id| *id == node.id))
                                    .unwrap_or(usize::MAX);
                                let name = res
                                    .function_by_uuid(&call.function_uuid)
                                    .map(|f| s(&f.name))
                                    .unwrap_or_else(|| call.function_uuid.clone());
                                (rank, name)
                            })
                            .collect();
                        calls.sort();
                        (calls.into_iter().map(|(_, n)| n).collect(), None)
                    }
                    Err(e) => (vec![], Some(e.to_string())),
                };
                WorkflowEntry {
                    programmatic_name: s(&w.programmatic_name),
                    name: s(&w.name),
                    object_type: s(&w.object_type),
                    functions,
                    error,
                }
            })
            .collect();
        let functions = res
            .functions()
            .iter()
            .map(|f| FunctionEntry {
                name: s(&f.name),
                display_name: s(&f.display_name),
                destination: s(&f.destination_handle),
                inputs: f
                    .view_items
                    .get()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.content.get()?.as_str().map(field_name))
                    .collect(),
            })
            .collect();
        let data_tables = res
            .data_tables()
            .iter()
            .map(|t| TableEntry {
                type_name: s(&t.type_name),
                display_name: s(&t.display_name),
                columns: t.column_names().into_iter().map(str::to_string).collect(),
            })
            .collect();
        let message_destinations = res
            .message_destinations()
            .iter()
            .map(|d| DestinationEntry {
                programmatic_name: s(&d.programmatic_name),
                name: s(&d.name),
            })
            .collect();
        let fields = res.fields().iter().map(field_entry).collect();
        Inventory {
            server_version: res.server_version_string().map(str::to_string),
            rules,
            workflows,
            functions,
            data_tables,
            message_destinations,
            fields,
            scripts: res.scripts().iter().map(|x| s(&x.name)).collect(),
            playbooks: res.playbooks().iter().map(|p| s(&p.name)).collect(),
        }
    }

    /// The inventory as text, one section per kind.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        if let Some(v) = &self.server_version {
            let _ = writeln!(out, "SOAR server version {v}\n");
        }
        let _ = writeln!(out, "Rules ({})", self.rules.len());
        for r in &self.rules {
            let _ = writeln!(
                out,
                "  {} [{} on {}] → {}",
                r.name,
                r.kind,
                r.object_type,
                list(&r.workflows)
            );
            for c in &r.conditions {
                let _ = writeln!(out, "      when {c}");
            }
        }
        let _ = writeln!(out, "\nWorkflows ({})", self.workflows.len());
        for w in &self.workflows {
            let _ = writeln!(
                out,
                "  {} \"{}\" on {}: {}",
                w.programmatic_name,
                w.name,
                w.object_type,
                w.functions.join(" → ")
            );
            if let Some(e) = &w.error {
                let _ = writeln!(out, "      unreadable XML: {e}");
            }
        }
        let _ = writeln!(out, "\nFunctions ({})", self.functions.len());
        for f in &self.functions {
            let _ = writeln!(
                out,
                "  {} via {} ({})",
                f.name,
                f.destination,
                list(&f.inputs)
            );
        }
        let _ = writeln!(out, "\nData tables ({})", self.data_tables.len());
        for t in &self.data_tables {
            let _ = writeln!(
                out,
                "  {} \"{}\": {}",
                t.type_name,
                t.display_name,
                list(&t.columns)
            );
        }
        let _ = writeln!(
            out,
            "\nMessage destinations ({})",
            self.message_destinations.len()
        );
        for d in &self.message_destinations {
            let _ = writeln!(out, "  {} \"{}\"", d.programmatic_name, d.name);
        }
        let _ = writeln!(out, "\nFields ({})", self.fields.len());
        for f in &self.fields {
            let _ = writeln!(out, "  {} ({}) \"{}\"", f.export_key, f.input_type, f.label);
        }
        if !self.scripts.is_empty() {
            let _ = writeln!(
                out,
                "\nScripts ({}): {}",
                self.scripts.len(),
                self.scripts.join(", ")
            );
        }
        if !self.playbooks.is_empty() {
            let _ = writeln!(
                out,
                "\nPlaybooks ({}): {}",
                self.playbooks.len(),
                self.playbooks.join(", ")
            );
        }
        out
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "-".into()
    } else {
        items.join(", ")
    }
}

fn field_entry(f: &Field) -> FieldEntry {
    FieldEntry {
        export_key: s(&f.export_key),
        input_type: s(&f.input_type),
        label: s(&f.text),
    }
}
