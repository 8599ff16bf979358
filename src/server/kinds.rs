//! The configuration object kinds the reference org stores, how each one is identified (its
//! "API name", res-format.md §1.3), and the references between them that an import must resolve
//! (§1.7).
//!
//! The server keys every stored object by `(org, kind, API name)` and also looks it up by
//! `uuid`, which is how SOAR matches imported objects against the org.

use serde_json::Value;

/// One list of a `.res` export, as the server stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Actions,
    AutomaticTasks,
    Fields,
    Functions,
    MessageDestinations,
    Workflows,
    Playbooks,
    Scripts,
    Types,
    Phases,
    IncidentTypes,
    IncidentArtifactTypes,
    Layouts,
    Roles,
    Workspaces,
    Tags,
    Apps,
    InboundDestinations,
    CaseMatchingProfiles,
}

impl Kind {
    /// Every kind, in the order imports apply them: things referred to before things referring.
    pub const ALL: [Kind; 19] = [
        Kind::Tags,
        Kind::Phases,
        Kind::IncidentTypes,
        Kind::IncidentArtifactTypes,
        Kind::Fields,
        Kind::Types,
        Kind::MessageDestinations,
        Kind::Functions,
        Kind::Scripts,
        Kind::AutomaticTasks,
        Kind::Workflows,
        Kind::Playbooks,
        Kind::Actions,
        Kind::Layouts,
        Kind::Roles,
        Kind::Workspaces,
        Kind::Apps,
        Kind::InboundDestinations,
        Kind::CaseMatchingProfiles,
    ];

    /// The name of the kind's list in a `.res` export (and the stored kind name).
    pub fn list_name(self) -> &'static str {
        match self {
            Kind::Actions => "actions",
            Kind::AutomaticTasks => "automatic_tasks",
            Kind::Fields => "fields",
            Kind::Functions => "functions",
            Kind::MessageDestinations => "message_destinations",
            Kind::Workflows => "workflows",
            Kind::Playbooks => "playbooks",
            Kind::Scripts => "scripts",
            Kind::Types => "types",
            Kind::Phases => "phases",
            Kind::IncidentTypes => "incident_types",
            Kind::IncidentArtifactTypes => "incident_artifact_types",
            Kind::Layouts => "layouts",
            Kind::Roles => "roles",
            Kind::Workspaces => "workspaces",
            Kind::Tags => "tags",
            Kind::Apps => "apps",
            Kind::InboundDestinations => "inbound_destinations",
            Kind::CaseMatchingProfiles => "case_matching_profiles",
        }
    }

    pub fn from_list_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.list_name() == name)
    }

    /// The word SOAR's app installation record uses for the kind (`customization_type`).
    pub fn customization_type(self) -> &'static str {
        match self {
            Kind::Actions => "action",
            Kind::AutomaticTasks => "automatic_task",
            Kind::Fields => "field",
            Kind::Functions => "function",
            Kind::MessageDestinations => "message_destination",
            Kind::Workflows => "workflow",
            Kind::Playbooks => "playbook",
            Kind::Scripts => "script",
            Kind::Types => "datatable",
            Kind::Phases => "phase",
            Kind::IncidentTypes => "incident_type",
            Kind::IncidentArtifactTypes => "incident_artifact_type",
            Kind::Layouts => "layout",
            Kind::Roles => "role",
            Kind::Workspaces => "workspace",
            Kind::Tags => "tag",
            Kind::Apps => "app",
            Kind::InboundDestinations => "inbound_destination",
            Kind::CaseMatchingProfiles => "case_matching_profile",
        }
    }

    /// Kinds that other objects refer to by `uuid` (workflow XML → function, function and rule
    /// view items → field, workflow XML → script and task). Giving such an object a different
    /// uuid than the org's object of the same API name would leave those references dangling,
    /// so an import doing that is refused as a conflict instead of being merged.
    pub fn referenced_by_uuid(self) -> bool {
        matches!(
            self,
            Kind::Functions | Kind::Fields | Kind::Scripts | Kind::AutomaticTasks | Kind::Playbooks
        )
    }

    /// The keys holding the API name, in order of preference (res-format.md §1.3).
    fn name_keys(self) -> &'static [&'static str] {
        match self {
            Kind::MessageDestinations
            | Kind::Workflows
            | Kind::IncidentArtifactTypes
            | Kind::AutomaticTasks => &["programmatic_name", "export_key", "name"],
            Kind::Actions | Kind::IncidentTypes | Kind::Roles | Kind::Workspaces | Kind::Tags => {
                &["name", "export_key"]
            }
            Kind::Types => &["type_name", "export_key"],
            Kind::Fields => &["export_key"],
            Kind::Functions
            | Kind::Phases
            | Kind::Scripts
            | Kind::Playbooks
            | Kind::Apps
            | Kind::Layouts
            | Kind::InboundDestinations
            | Kind::CaseMatchingProfiles => &["export_key", "name", "programmatic_name"],
        }
    }

    /// The JSON key an error message should name when the API name is missing.
    pub fn name_key(self) -> &'static str {
        self.name_keys()[0]
    }
}

/// The API name of an object of `kind`: what SOAR and the SDK look it up by. Names are trimmed,
/// as the SDK strips them before matching. Fields without an `export_key` get
/// `"<type>/<name>"` from their `type_id`.
pub fn api_name(kind: Kind, obj: &Value) -> Option<String> {
    for key in kind.name_keys() {
        if let Some(s) = obj.get(key).and_then(Value::as_str) {
            let s = s.trim();
            if !s.is_empty() {
                return Some(s.to_string());
            }
        }
    }
    if kind == Kind::Fields {
        let name = obj.get("name").and_then(Value::as_str)?.trim();
        let ty = match obj.get("type_id").and_then(Value::as_i64)? {
            0 => "incident",
            6 => "actioninvocation",
            11 => "__function",
            _ => return None,
        };
        return Some(format!("{ty}/{name}"));
    }
    None
}

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
        Kind::Actions => {
            for (i, w) in str_items(obj, "workflows") {
                push(
                    Kind::Workflows,
                    Target::ApiName(w),
                    format!("workflows[{i}]"),
                    true,
                );
            }
            for (i, d) in str_items(obj, "message_destinations") {
                push(
                    Kind::MessageDestinations,
                    Target::DisplayName(d),
                    format!("message_destinations[{i}]"),
                    false,
                );
            }
            for (i, u) in field_uuid_items(obj) {
                push(
                    Kind::Fields,
                    Target::Uuid(u),
                    format!("view_items[{i}]"),
                    false,
                );
            }
            if let Some(autos) = obj.get("automations").and_then(Value::as_array) {
                for (i, a) in autos.iter().enumerate() {
                    for (j, t) in str_items(a, "tasks_to_create") {
                        push(
                            Kind::AutomaticTasks,
                            Target::ApiName(t),
                            format!("automations[{i}].tasks_to_create[{j}]"),
                            false,
                        );
                    }
                    if let Some(s) = a.get("scripts_to_run").and_then(Value::as_str) {
                        push(
                            Kind::Scripts,
                            Target::ApiName(s.trim().to_string()),
                            format!("automations[{i}].scripts_to_run"),
                            false,
                        );
                    }
                }
            }
        }
        Kind::Functions => {
            if let Some(d) = obj.get("destination_handle").and_then(Value::as_str) {
                push(
                    Kind::MessageDestinations,
                    Target::ApiName(d.to_string()),
                    "destination_handle".into(),
                    true,
                );
            }
            for (i, u) in field_uuid_items(obj) {
                push(
                    Kind::Fields,
                    Target::Uuid(u),
                    format!("view_items[{i}]"),
                    false,
                );
            }
        }
        Kind::Workflows | Kind::Playbooks => {
            if let Some(xml) = obj.pointer("/content/xml").and_then(Value::as_str) {
                let steps = xml_steps(xml);
                for u in steps.functions {
                    push(Kind::Functions, Target::Uuid(u), "content.xml".into(), true);
                }
                if kind == Kind::Workflows {
                    for u in steps.scripts {
                        push(Kind::Scripts, Target::Uuid(u), "content.xml".into(), false);
                    }
                    for t in steps.tasks {
                        push(
                            Kind::AutomaticTasks,
                            Target::ApiName(t),
                            "content.xml".into(),
                            false,
                        );
                    }
                    for w in steps.called_workflows {
                        push(
                            Kind::Workflows,
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
    fn api_names_follow_the_sdk_keys() {
        let f = json!({"export_key": "fn_x", "name": "fn_x", "uuid": "u"});
        assert_eq!(api_name(Kind::Functions, &f).as_deref(), Some("fn_x"));
        let rule = json!({"name": "  My rule ", "export_key": "My rule"});
        assert_eq!(api_name(Kind::Actions, &rule).as_deref(), Some("My rule"));
        let field = json!({"name": "qradar_id", "type_id": 0});
        assert_eq!(
            api_name(Kind::Fields, &field).as_deref(),
            Some("incident/qradar_id")
        );
        let table = json!({"type_name": "mitre_attack_techniques"});
        assert_eq!(
            api_name(Kind::Types, &table).as_deref(),
            Some("mitre_attack_techniques")
        );
        assert_eq!(
            api_name(Kind::Functions, &json!({"export_key": null})),
            None
        );
    }

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
        let refs = references(Kind::Actions, &rule);
        assert!(refs
            .iter()
            .any(|r| r.to_kind == Kind::Workflows && r.hard && r.target.text() == "wf_a"));
        assert!(refs
            .iter()
            .any(|r| r.to_kind == Kind::MessageDestinations && !r.hard));
    }
}
