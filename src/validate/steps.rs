//! Workflow and playbook BPMN (`reference/res-format.md` §1.5–§1.7): the XML must read as a
//! process ([`crate::res::bpmn::Process`]), a workflow's process id should be its programmatic
//! name, and every step's reference must resolve: function uuid, input field uuids, select
//! values, script, task, message destination, sub-workflow, sub-playbook.

use std::collections::HashSet;

use super::checks::{playbook_ref, pointer, workflow_ref, Index};
use super::refs::is_function_input;
use super::{Diagnostic, ObjectRef};
use crate::help::Help;
use serde_json::Value;

use crate::res::bpmn::{BpmnError, Node, NodeKind, Process};
use crate::res::{Kind, ResFile};

/// One workflow's or playbook's process, read from its XML.
pub(super) struct Parsed<'a> {
    pub object: ObjectRef,
    /// Pointer to the XML string; findings inside it name the step in their message.
    pub path: String,
    pub process: Process,
    /// A playbook's own scripts, which its script steps find before global ones.
    pub local_scripts: HashSet<&'a str>,
}

/// The processes of every workflow and playbook, read from their XML, by list index (`None`
/// where an object has no XML string).
///
/// Reading the XML is the most expensive check; it needs only the JSON, so
/// [`super::validate_document`] reads it from the raw value on a second thread while the typed
/// model is built.
pub(super) struct ReadXml {
    workflows: Vec<Option<Result<Process, BpmnError>>>,
    playbooks: Vec<Option<Result<Process, BpmnError>>>,
}

impl ReadXml {
    pub fn from_value(doc: &Value) -> Self {
        let read = |list: &str| -> Vec<_> {
            doc.get(list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|o| {
                    o.pointer("/content/xml")
                        .and_then(Value::as_str)
                        .map(Process::parse)
                })
                .collect()
        };
        ReadXml {
            workflows: read("workflows"),
            playbooks: read("playbooks"),
        }
    }

    pub fn from_model(res: &ResFile) -> Self {
        ReadXml {
            workflows: res
                .workflows()
                .iter()
                .map(|w| {
                    w.content
                        .get()
                        .and_then(|c| c.xml.get())
                        .map(|x| Process::parse(x))
                })
                .collect(),
            playbooks: res
                .playbooks()
                .iter()
                .map(|p| {
                    p.content
                        .get()
                        .and_then(|c| c.xml.get())
                        .map(|x| Process::parse(x))
                })
                .collect(),
        }
    }
}

/// Pair the processes with their objects; XML that could not be read is a `bpmn.malformed`
/// finding, a workflow whose process id is not its programmatic name a `bpmn.process-id` one.
pub(super) fn parse<'a>(
    res: &'a ResFile,
    xml: ReadXml,
    out: &mut Vec<Diagnostic>,
) -> Vec<Parsed<'a>> {
    let mut parsed = Vec::new();
    for ((i, w), read) in res.workflows().iter().enumerate().zip(xml.workflows) {
        let Some(read) = read else { continue };
        let object = workflow_ref(w, i);
        let path = format!("{}/content/xml", pointer(Kind::Workflow, i));
        let Some(process) = accept(read, &object, &path, out) else {
            continue;
        };
        if let Some(name) = w.programmatic_name.get() {
            if process.id != name.as_str() {
                out.push(
                    Diagnostic::new(
                        "bpmn.process-id",
                        path.clone(),
                        format!(
                            "the BPMN process id is '{}', not the programmatic name '{name}'",
                            process.id
                        ),
                    )
                    .object(object.clone())
                    .help(format!(
                        "open the workflow in the SOAR designer and save it, or set <process id=\"{name}\">"
                    )),
                );
            }
        }
        parsed.push(Parsed {
            object,
            path,
            process,
            local_scripts: HashSet::new(),
        });
    }
    for ((i, p), read) in res.playbooks().iter().enumerate().zip(xml.playbooks) {
        let Some(read) = read else { continue };
        let object = playbook_ref(p, i);
        let path = format!("{}/content/xml", pointer(Kind::Playbook, i));
        let Some(process) = accept(read, &object, &path, out) else {
            continue;
        };
        let local_scripts = p
            .local_scripts
            .get()
            .into_iter()
            .flatten()
            .filter_map(|s| s.uuid.get().map(|u| u.as_str()))
            .collect();
        parsed.push(Parsed {
            object,
            path,
            process,
            local_scripts,
        });
    }
    parsed
}

fn accept(
    read: Result<Process, BpmnError>,
    object: &ObjectRef,
    path: &str,
    out: &mut Vec<Diagnostic>,
) -> Option<Process> {
    match read {
        Ok(p) => Some(p),
        Err(e) => {
            let mut d =
                Diagnostic::new("bpmn.malformed", path, e.to_string()).object(object.clone());
            if let Some(help) = e.help() {
                d = d.help(help);
            }
            out.push(d);
            None
        }
    }
}

/// How a message names a step: `step 'Name' (Id)`.
pub(super) fn step_label(node: &Node) -> String {
    match node.name.as_deref().filter(|n| !n.trim().is_empty()) {
        Some(name) => format!("step '{name}' ({})", node.id),
        None => format!("step {}", node.id),
    }
}

pub(super) fn check(processes: &[Parsed<'_>], index: &Index<'_>, out: &mut Vec<Diagnostic>) {
    for p in processes {
        for node in &p.process.nodes {
            step(p, node, index, out);
        }
    }
}

fn step(p: &Parsed<'_>, node: &Node, index: &Index<'_>, out: &mut Vec<Diagnostic>) {
    let mut push = |code, message: String, help: &str| {
        out.push(
            Diagnostic::new(
                code,
                p.path.clone(),
                format!("{} {message}", step_label(node)),
            )
            .object(p.object.clone())
            .help(help),
        )
    };
    match &node.kind {
        NodeKind::Function(call) => {
            let function = index.functions.get(call.function_uuid.as_str());
            if function.is_none() {
                push(
                    "ref.step.function",
                    format!("calls function {}, which is not in `functions`", call.function_uuid),
                    "add the function to the export (resilient-sdk extract does not add the functions a workflow calls)",
                );
            }
            let declared: HashSet<&str> = function
                .and_then(|f| f.view_items.get())
                .into_iter()
                .flatten()
                .filter(|v| v.element.as_str() == Some("field_uuid"))
                .filter_map(|v| v.content.get().and_then(|c| c.as_str()))
                .collect();
            let mut stale_inputs = Vec::new();
            for (uuid, input) in call.body.input_map() {
                let stale = function.is_some() && !declared.contains(uuid.as_str());
                let Some(field) = index.fields.get(uuid.as_str()) else {
                    if stale {
                        stale_inputs.push(uuid.as_str());
                    } else {
                        push(
                            "ref.step.input",
                            format!("sets input field {uuid}, which is not in `fields`"),
                            "add the function's input fields (`__function/...`) to the export",
                        );
                    }
                    continue;
                };
                if !is_function_input(field) {
                    push(
                        "ref.step.input",
                        format!(
                            "sets input field {uuid} ('{}'), which is not a function input field",
                            field.export_key.as_str().unwrap_or("?")
                        ),
                        "open the workflow in the SOAR designer and choose the function's inputs again",
                    );
                    continue;
                }
                let Some(value) = input.static_input.get() else {
                    continue;
                };
                let chosen = value.select_value.as_str().into_iter().chain(
                    value
                        .multiselect_value
                        .get()
                        .into_iter()
                        .flatten()
                        .map(String::as_str),
                );
                for v in chosen {
                    let known = field
                        .values
                        .get()
                        .into_iter()
                        .flatten()
                        .any(|sv| sv.uuid.get().is_some_and(|u| u.as_str() == v));
                    if !known {
                        push(
                            "ref.step.select-value",
                            format!(
                                "chooses value {v} for input '{}', which has no value with that uuid",
                                field.name.get().map(|n| n.as_str()).unwrap_or(uuid.as_str())
                            ),
                            "export the input field with its current values, or choose the value again in the designer",
                        );
                    }
                }
            }
            if !stale_inputs.is_empty() {
                // Real org exports carry these: the function lost the inputs after the step was
                // designed, and the server still exports the step's old values.
                push(
                    "ref.step.stale-input",
                    format!(
                        "sets {} input field(s) that are neither in `fields` nor inputs of the function it calls: {}",
                        stale_inputs.len(),
                        stale_inputs.join(", ")
                    ),
                    "open the step in the SOAR designer and save it to drop the stale inputs",
                );
            }
        }
        NodeKind::Script { uuid, .. }
            if !p.local_scripts.contains(uuid.as_str())
                && !index.script_uuids.contains(uuid.as_str()) =>
        {
            push(
                "ref.step.script",
                format!("runs script {uuid}, which is not in `scripts`"),
                "add the script to the export",
            );
        }
        NodeKind::Task {
            programmatic_name,
            uuid,
        } if !index.task_names.contains(programmatic_name.as_str())
            && !index.task_uuids.contains(uuid.as_str()) =>
        {
            push(
                "ref.step.task",
                format!("creates task '{programmatic_name}', which is not in `automatic_tasks`"),
                "add the task to the export",
            );
        }
        NodeKind::MessageDestination {
            programmatic_name, ..
        } if !index
            .destination_handles
            .contains(programmatic_name.as_str()) =>
        {
            push(
                "ref.step.destination",
                format!(
                    "posts to message destination '{programmatic_name}', which is not in the file"
                ),
                "add the message destination to the export",
            );
        }
        NodeKind::SubWorkflow { called_element }
            if !index.workflows.contains(called_element.as_str()) =>
        {
            push(
                "ref.step.subworkflow",
                format!("calls workflow '{called_element}', which is not in the file"),
                "add the sub-workflow to the export (resilient-sdk extract does not follow sub-workflow calls)",
            );
        }
        NodeKind::SubPlaybook { uuid, name, .. }
            if !index.playbook_uuids.contains(uuid.as_str()) =>
        {
            let named = name
                .as_deref()
                .map(|n| format!(" ('{n}')"))
                .unwrap_or_default();
            push(
                "ref.step.subplaybook",
                format!("calls sub-playbook {uuid}{named}, which is not in `playbooks`"),
                "add the sub-playbook to the export",
            );
        }
        _ => {}
    }
}
