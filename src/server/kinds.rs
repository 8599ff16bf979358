//! The configuration object kinds the reference org stores, how each one is identified (its
//! "API name", res-format.md §1.3), and the references between them that an import must resolve
//! (§1.7).
//!
//! The server keys every stored object by `(org, kind, API name)` and also looks it up by
//! `uuid`, which is how SOAR matches imported objects against the org.

use serde_json::Value;

pub use crate::res::Kind;

/// The object's `uuid`, when it has one.
pub fn uuid_of(obj: &Value) -> Option<String> {
    obj.get("uuid")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// How a reference names its target.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Uuid(String),
    ApiName(String),
    /// A message destination's display `name` (how rules refer to destinations).
    DisplayName(String),
}

impl Target {
    pub fn text(&self) -> &str {
        match self {
            Target::Uuid(s) | Target::ApiName(s) | Target::DisplayName(s) => s,
        }
    }

    pub fn by(&self) -> &'static str {
        match self {
            Target::Uuid(_) => "uuid",
            Target::ApiName(_) => "api_name",
            Target::DisplayName(_) => "name",
        }
    }
}

/// A reference from one object to another, as an import must resolve it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference {
    pub to_kind: Kind,
    pub target: Target,
    /// Where the reference sits, e.g. `content.xml` or `workflows[0]`.
    pub via: String,
    /// A missing target of a hard reference makes SOAR refuse the import; a missing soft one
    /// only earns a warning (built-in objects, sub-workflows the SDK itself never follows).
    pub hard: bool,
}

/// The references an object of `kind` makes (res-format.md §1.7).
pub fn references(kind: Kind, obj: &Value) -> Vec<Reference> {
    let mut out = Vec::new();
    let mut push = |to_kind, target, via: String, hard| {
        out.push(Reference {
            to_kind,
            target,
            via,
            hard,
        })
    };
    match kind {
        Kind::Rule => {
            for (i, w) in str_items(obj, "workflows") {
                push(
                    Kind::Workflow,
                    Target::ApiName(w),
                    format!("workflows[{i}]"),
                    true,
                );
            }
            for (i, d) in str_items(obj, "message_destinations") {
                push(
                    Kind::MessageDestination,
                    Target::DisplayName(d),
                    format!("message_destinations[{i}]"),
                    false,
                );
            }
            for (i, u) in field_uuid_items(obj) {
                push(
                    Kind::Field,
                    Target::Uuid(u),
                    format!("view_items[{i}]"),
                    false,
                );
            }
            if let Some(autos) = obj.get("automations").and_then(Value::as_array) {
                for (i, a) in autos.iter().enumerate() {
                    for (j, t) in str_items(a, "tasks_to_create") {
                        push(
                            Kind::AutomaticTask,
                            Target::ApiName(t),
                            format!("automations[{i}].tasks_to_create[{j}]"),
                            false,
                        );
                    }
                    if let Some(s) = a.get("scripts_to_run").and_then(Value::as_str) {
                        push(
                            Kind::Script,
                            Target::ApiName(s.trim().to_string()),
                            format!("automations[{i}].scripts_to_run"),
                            false,
                        );
                    }
                }
            }
        }
        Kind::Function => {
            if let Some(d) = obj.get("destination_handle").and_then(Value::as_str) {
                push(
                    Kind::MessageDestination,
                    Target::ApiName(d.to_string()),
                    "destination_handle".into(),
                    true,
                );
            }
            for (i, u) in field_uuid_items(obj) {
                push(
                    Kind::Field,
                    Target::Uuid(u),
                    format!("view_items[{i}]"),
                    false,
                );
            }
        }
        Kind::Workflow | Kind::Playbook => {
            if let Some(xml) = obj.pointer("/content/xml").and_then(Value::as_str) {
                let steps = xml_steps(xml);
                for u in steps.functions {
                    push(Kind::Function, Target::Uuid(u), "content.xml".into(), true);
                }
                if kind == Kind::Workflow {
                    for u in steps.scripts {
                        push(Kind::Script, Target::Uuid(u), "content.xml".into(), false);
                    }
                    for t in steps.tasks {
                        push(
                            Kind::AutomaticTask,
                            Target::ApiName(t),
                            "content.xml".into(),
                            false,
                        );
                    }
                    for w in steps.called_workflows {
                        push(
                            Kind::Workflow,
                            Target::ApiName(w),
                            "content.xml".into(),
                            false,
                        );
                    }
                }
            }
        }
        _ => {}
    }
    out.sort();
    out.dedup();
    out
}

fn str_items(obj: &Value, key: &str) -> Vec<(usize, String)> {
    obj.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .enumerate()
                .filter_map(|(i, v)| v.as_str().map(|s| (i, s.trim().to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn field_uuid_items(obj: &Value) -> Vec<(usize, String)> {
    obj.get("view_items")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .enumerate()
                .filter(|(_, v)| v.get("element").and_then(Value::as_str) == Some("field_uuid"))
                .filter_map(|(i, v)| {
                    v.get("content")
                        .and_then(Value::as_str)
                        .map(|s| (i, s.to_string()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What a workflow's BPMN calls: function, script and task uuids/names, sub-workflows.
#[derive(Debug, Default, PartialEq)]
pub struct XmlSteps {
    pub functions: Vec<String>,
    pub scripts: Vec<String>,
    pub tasks: Vec<String>,
    pub called_workflows: Vec<String>,
}

/// The calls a workflow (or playbook) XML makes, read with [`crate::res::bpmn`]. XML that does
/// not parse calls nothing (the importer reports it separately).
pub fn xml_steps(xml: &str) -> XmlSteps {
    let Ok(process) = crate::res::bpmn::Process::parse(xml) else {
        return XmlSteps::default();
    };
    let owned =
        |set: std::collections::BTreeSet<&str>| set.into_iter().map(str::to_string).collect();
    XmlSteps {
        functions: owned(process.referenced_function_uuids()),
        scripts: owned(process.script_uuids()),
        tasks: process.tasks().map(|(name, _)| name.to_string()).collect(),
        called_workflows: owned(process.called_workflows()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn workflow_xml_steps_are_read() {
        let xml = r#"<?xml version="1.0"?><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:resilient="http://resilient.ibm.com/bpmn" xmlns:camunda="http://camunda.org/schema/1.0/bpmn">
          <process id="wf" name="Workflow"><serviceTask id="s1" resilient:type="function"><extensionElements>
          <resilient:function uuid="f-1">{"inputs":{}}</resilient:function></extensionElements></serviceTask>
          <scriptTask id="s2"><extensionElements><resilient:script uuid="s-1"/></extensionElements><script>script</script></scriptTask>
          <userTask id="t"><extensionElements><resilient:automaticTask programmaticName="task_a" uuid="t-1"/></extensionElements></userTask>
          <callActivity id="c" calledElement="other_wf"><extensionElements><camunda:in source="RESILIENT_CONTEXT" target="RESILIENT_CONTEXT"/></extensionElements></callActivity></process></definitions>"#;
        let steps = xml_steps(xml);
        assert_eq!(steps.functions, ["f-1"]);
        assert_eq!(steps.scripts, ["s-1"]);
        assert_eq!(steps.tasks, ["task_a"]);
        assert_eq!(steps.called_workflows, ["other_wf"]);
    }

    #[test]
    fn rule_references_workflows_hard_and_destinations_soft() {
        let rule = json!({"name": "r", "workflows": ["wf_a"], "message_destinations": ["Dest"]});
        let refs = references(Kind::Rule, &rule);
        assert!(refs
            .iter()
            .any(|r| r.to_kind == Kind::Workflow && r.hard && r.target.text() == "wf_a"));
        assert!(refs
            .iter()
            .any(|r| r.to_kind == Kind::MessageDestination && !r.hard));
    }
}
