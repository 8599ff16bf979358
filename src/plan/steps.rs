//! A workflow's steps as plain text, so that a changed workflow diffs as a list of steps with
//! their inputs and scripts instead of one line of XML.
//!
//! The text comes from the parsed BPMN model ([`crate::res::bpmn::Process`]), which leaves out
//! the diagram (`bpmndi:BPMNDiagram`, volatile per `reference/res-format.md` §1.9): two
//! workflows whose models are equal give the same text, however the designer laid them out.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::res::bpmn::{FunctionBody, Input, Node, NodeKind, Process};

/// Names for the uuids a workflow refers to: function input fields (`__function/<name>`) and
/// select values, from the package and the org.
#[derive(Debug, Default, Clone)]
pub struct Names {
    pub fields: BTreeMap<String, String>,
    pub values: BTreeMap<String, String>,
}

impl Names {
    /// Names from the `fields` list of one or more resource files.
    pub fn add_fields(&mut self, res: &serde_json::Value) {
        let Some(fields) = res.get("fields").and_then(|f| f.as_array()) else {
            return;
        };
        for f in fields {
            let text = |k: &str| f.get(k).and_then(|v| v.as_str());
            if let (Some(uuid), Some(name)) = (text("uuid"), text("name")) {
                self.fields
                    .entry(uuid.to_string())
                    .or_insert_with(|| name.to_string());
            }
            for v in f
                .get("values")
                .and_then(|v| v.as_array())
                .into_iter()
                .flatten()
            {
                let vt = |k: &str| v.get(k).and_then(|x| x.as_str());
                if let (Some(uuid), Some(label)) = (vt("uuid"), vt("label")) {
                    self.values
                        .entry(uuid.to_string())
                        .or_insert_with(|| label.to_string());
                }
            }
        }
    }

    fn field(&self, uuid: &str) -> String {
        match self.fields.get(uuid) {
            Some(name) => name.clone(),
            None => format!("<field {uuid}>"),
        }
    }

    fn value(&self, uuid: &str) -> String {
        match self.values.get(uuid) {
            Some(label) => format!("{label:?}"),
            None => format!("<value {uuid}>"),
        }
    }
}

/// The steps of a workflow as text, or `None` when its XML does not parse (the caller then
/// diffs the XML itself).
pub fn workflow_text(xml: &str, names: &Names) -> Option<String> {
    let process = Process::parse(xml).ok()?;
    let mut out = String::new();
    let _ = writeln!(out, "workflow {} {:?}", process.id, process.name);
    if let Some(doc) = process.documentation.as_deref().filter(|d| !d.is_empty()) {
        let _ = writeln!(out, "  description: {doc}");
    }
    match process.step_order() {
        Ok(order) => {
            for (i, node) in order.into_iter().enumerate() {
                node_text(&mut out, i + 1, node, names);
            }
        }
        // Not a linear workflow: every node in document order, then the flows between them.
        Err(_) => {
            for (i, node) in process.nodes.iter().enumerate() {
                node_text(&mut out, i + 1, node, names);
            }
            for flow in &process.flows {
                let _ = write!(out, "flow {} -> {}", flow.source, flow.target);
                if let Some(name) = &flow.name {
                    let _ = write!(out, " {name:?}");
                }
                out.push('\n');
                if let Some(c) = &flow.condition {
                    let _ = writeln!(out, "  condition: {c}");
                }
            }
        }
    }
    for note in &process.annotations {
        let _ = writeln!(out, "note: {}", note.text);
    }
    Some(out)
}

fn node_text(out: &mut String, n: usize, node: &Node, names: &Names) {
    let label = node.name.as_deref().unwrap_or("");
    let what = match &node.kind {
        NodeKind::Start => "start".to_string(),
        NodeKind::End { .. } => "end".to_string(),
        NodeKind::Function(call) => format!("function {:?} ({})", label, call.function_uuid),
        NodeKind::Script {
            uuid,
            programmatic_name,
        } => format!(
            "script {:?} ({})",
            programmatic_name.as_deref().unwrap_or(label),
            uuid
        ),
        NodeKind::Task {
            programmatic_name, ..
        } => format!("task {programmatic_name}"),
        NodeKind::MessageDestination {
            programmatic_name, ..
        } => format!("message destination {programmatic_name}"),
        NodeKind::SubWorkflow { called_element } => format!("sub-workflow {called_element}"),
        NodeKind::SubPlaybook { called_element, .. } => format!("sub-playbook {called_element}"),
        NodeKind::ExclusiveGateway { .. } => format!("decision {label:?}"),
        NodeKind::ParallelGateway => "parallel gateway".to_string(),
        NodeKind::Other { tag } => format!("{tag} {label:?}"),
    };
    let _ = writeln!(out, "{n}. {what}");
    match &node.kind {
        NodeKind::Function(call) => body_text(out, &call.body, names),
        NodeKind::SubPlaybook { body, .. } => body_text(out, body, names),
        NodeKind::End {
            script: Some(script),
        } => {
            if let Some(text) = script.script.as_str() {
                script_text(out, "output script", script.script_language.as_str(), text);
            }
        }
        _ => {}
    }
}

fn body_text(out: &mut String, body: &FunctionBody, names: &Names) {
    let mut inputs: Vec<(String, String)> = body
        .input_map()
        .map(|(uuid, input)| (names.field(uuid), input_text(input, names)))
        .collect();
    inputs.sort();
    for (name, value) in inputs {
        let _ = writeln!(out, "   input {name} = {value}");
    }
    if let Some(result) = body.result_name.as_str().filter(|r| !r.is_empty()) {
        let _ = writeln!(out, "   result: {result}");
    }
    if let Some(text) = body.pre_processing_script.as_str() {
        let lang = body.pre_processing_script_language.as_str();
        script_text(out, "pre-processing script", lang, text);
    }
    if let Some(text) = body.post_processing_script.as_str() {
        let lang = body.post_processing_script_language.as_str();
        script_text(out, "post-processing script", lang, text);
    }
}

fn input_text(input: &Input, names: &Names) -> String {
    if let Some(e) = input.expression_input.get() {
        return format!("expression {:?}", e.expression.as_str().unwrap_or(""));
    }
    let Some(s) = input.static_input.get() else {
        return "(no value)".into();
    };
    if let Some(v) = s.select_value.as_str() {
        return format!("select {}", names.value(v));
    }
    if let Some(vs) = s.multiselect_value.get().filter(|v| !v.is_empty()) {
        let labels: Vec<String> = vs.iter().map(|v| names.value(v)).collect();
        return format!("multiselect [{}]", labels.join(", "));
    }
    if let Some(b) = s.boolean_value.get() {
        return format!("{b}");
    }
    if let Some(n) = s.number_value.get() {
        return format!("{n}");
    }
    if let Some(t) = s.text_value.as_str() {
        return format!("{t:?}");
    }
    if let Some(t) = s.text_content_value.get() {
        return format!("{:?}", t.content.as_str().unwrap_or(""));
    }
    if let Some(d) = s.date_value.get() {
        return format!("date {d}");
    }
    "(empty)".into()
}

fn script_text(out: &mut String, what: &str, language: Option<&str>, text: &str) {
    if text.trim().is_empty() {
        return;
    }
    let _ = writeln!(out, "   {what} ({}):", language.unwrap_or("?"));
    for line in text.lines() {
        let _ = writeln!(out, "     | {line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::res::bpmn::{FunctionBody, Input, LinearWorkflow, StaticInput};

    fn xml(script: &str) -> String {
        let mut body = FunctionBody {
            pre_processing_script: script.to_string().into(),
            pre_processing_script_language: "python3".to_string().into(),
            result_name: "r".to_string().into(),
            ..FunctionBody::default()
        };
        let mut inputs = BTreeMap::new();
        inputs.insert(
            "in-1".to_string(),
            Input::static_value(StaticInput::select("v-1")),
        );
        body.inputs = inputs.into();
        LinearWorkflow::new("wf", "Wf")
            .function_step("Do it", "fn-uuid", body)
            .build()
            .to_xml()
            .unwrap()
    }

    #[test]
    fn steps_name_inputs_values_and_show_scripts_line_by_line() {
        let mut names = Names::default();
        names.add_fields(&serde_json::json!({"fields": [
            {"uuid": "in-1", "name": "stage", "values": [{"uuid": "v-1", "label": "stage3"}]}
        ]}));
        let text = workflow_text(&xml("a = 1\nb = 2"), &names).unwrap();
        assert!(text.contains("2. function \"Do it\" (fn-uuid)"), "{text}");
        assert!(text.contains("input stage = select \"stage3\""), "{text}");
        assert!(text.contains("     | b = 2"), "{text}");
        assert!(text.contains("result: r"), "{text}");
    }

    #[test]
    fn unparseable_xml_gives_none() {
        assert!(workflow_text("<nope", &Names::default()).is_none());
    }
}
