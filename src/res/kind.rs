//! [`Kind`]: the object lists of a resource file and how each kind is identified.
//!
//! One table, used by the validator (duplicate identities), `show`, the plan (matching org
//! objects to package objects), install and uninstall, and the reference server (matching on
//! import), so that every part of respack agrees on what "the same object" means
//! (`reference/res-format.md` §1.3).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A kind of configuration object, named after its list in the resource file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Rule,
    Workflow,
    Function,
    Field,
    DataTable,
    MessageDestination,
    Script,
    Phase,
    AutomaticTask,
    IncidentType,
    ArtifactType,
    Layout,
    Role,
    Workspace,
    Tag,
    App,
    Playbook,
    InboundDestination,
    CaseMatchingProfile,
}

impl Kind {
    /// Every kind, in the order an import applies them: what is referred to before what refers
    /// to it (destinations before functions, functions before workflows, workflows before rules).
    pub const ALL: [Kind; 19] = [
        Kind::Tag,
        Kind::Phase,
        Kind::IncidentType,
        Kind::ArtifactType,
        Kind::Field,
        Kind::DataTable,
        Kind::MessageDestination,
        Kind::Function,
        Kind::Script,
        Kind::AutomaticTask,
        Kind::Workflow,
        Kind::Playbook,
        Kind::Rule,
        Kind::Layout,
        Kind::Role,
        Kind::Workspace,
        Kind::App,
        Kind::InboundDestination,
        Kind::CaseMatchingProfile,
    ];

    /// The top-level key of the list holding this kind.
    pub fn list_key(self) -> &'static str {
        match self {
            Kind::Rule => "actions",
            Kind::Workflow => "workflows",
            Kind::Function => "functions",
            Kind::Field => "fields",
            Kind::DataTable => "types",
            Kind::MessageDestination => "message_destinations",
            Kind::Script => "scripts",
            Kind::Phase => "phases",
            Kind::AutomaticTask => "automatic_tasks",
            Kind::IncidentType => "incident_types",
            Kind::ArtifactType => "incident_artifact_types",
            Kind::Layout => "layouts",
            Kind::Role => "roles",
            Kind::Workspace => "workspaces",
            Kind::Tag => "tags",
            Kind::App => "apps",
            Kind::Playbook => "playbooks",
            Kind::InboundDestination => "inbound_destinations",
            Kind::CaseMatchingProfile => "case_matching_profiles",
        }
    }

    /// The kind whose list has this key.
    pub fn from_list_key(key: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.list_key() == key)
    }

    /// The members holding the API name SOAR looks this kind up by, in order of preference.
    /// Fields use `export_key` (`<type>/<name>`) because names are unique only within a type.
    pub fn api_name_keys(self) -> &'static [&'static str] {
        match self {
            Kind::Workflow
            | Kind::MessageDestination
            | Kind::AutomaticTask
            | Kind::ArtifactType => &["programmatic_name", "export_key", "name"],
            Kind::Rule | Kind::IncidentType | Kind::Role | Kind::Workspace | Kind::Tag => {
                &["name", "export_key"]
            }
            Kind::DataTable => &["type_name", "export_key"],
            Kind::Field => &["export_key"],
            Kind::Function
            | Kind::Phase
            | Kind::Script
            | Kind::Playbook
            | Kind::App
            | Kind::Layout
            | Kind::InboundDestination
            | Kind::CaseMatchingProfile => &["export_key", "name", "programmatic_name"],
        }
    }

    /// The member an error names when the API name is missing.
    pub fn api_name_key(self) -> &'static str {
        self.api_name_keys()[0]
    }

    /// The API name of one object of this kind, read from its JSON: the first non-empty member of
    /// [`Kind::api_name_keys`], trimmed as the SDK trims names before matching. A field without an
    /// `export_key` gets `<type>/<name>` from its `type_id`.
    pub fn api_name(self, object: &Value) -> Option<Cow<'_, str>> {
        self.api_name_with_key(object).map(|(_, name)| name)
    }

    /// [`Kind::api_name`], and the member it was read from (for a JSON pointer to it).
    pub fn api_name_with_key(self, object: &Value) -> Option<(&'static str, Cow<'_, str>)> {
        for key in self.api_name_keys() {
            if let Some(s) = object.get(key).and_then(Value::as_str).map(str::trim) {
                if !s.is_empty() {
                    return Some((key, Cow::Borrowed(s)));
                }
            }
        }
        if self == Kind::Field {
            return field_export_key(object).map(|k| ("name", Cow::Owned(k)));
        }
        None
    }

    /// What `export_key` should say for this object, when SOAR writes it as a copy of another
    /// member (`name`, `programmatic_name`, `type_name`) or, for fields, as `<type>/<name>`.
    /// `None` where `export_key` is itself the API name (layouts, apps, and kinds it is unknown).
    pub fn expected_export_key(self, object: &Value) -> Option<Cow<'_, str>> {
        let mirror = match self {
            Kind::Field => return field_export_key(object).map(Cow::Owned),
            Kind::Rule
            | Kind::Function
            | Kind::Script
            | Kind::Phase
            | Kind::IncidentType
            | Kind::Role
            | Kind::Workspace
            | Kind::Tag
            | Kind::Playbook => "name",
            Kind::Workflow
            | Kind::MessageDestination
            | Kind::AutomaticTask
            | Kind::ArtifactType => "programmatic_name",
            Kind::DataTable => "type_name",
            Kind::Layout | Kind::App | Kind::InboundDestination | Kind::CaseMatchingProfile => {
                return None
            }
        };
        object
            .get(mirror)
            .and_then(Value::as_str)
            .map(Cow::Borrowed)
    }

    /// Words for people: "rule", "data table", ...
    pub fn label(self) -> &'static str {
        match self {
            Kind::Rule => "rule",
            Kind::Workflow => "workflow",
            Kind::Function => "function",
            Kind::Field => "field",
            Kind::DataTable => "data table",
            Kind::MessageDestination => "message destination",
            Kind::Script => "script",
            Kind::Phase => "phase",
            Kind::AutomaticTask => "task",
            Kind::IncidentType => "incident type",
            Kind::ArtifactType => "artifact type",
            Kind::Layout => "layout",
            Kind::Role => "role",
            Kind::Workspace => "workspace",
            Kind::Tag => "tag",
            Kind::App => "app",
            Kind::Playbook => "playbook",
            Kind::InboundDestination => "inbound destination",
            Kind::CaseMatchingProfile => "case matching profile",
        }
    }

    /// The word SOAR's app installation record uses for the kind (`customization_type`).
    pub fn customization_type(self) -> &'static str {
        match self {
            Kind::Rule => "action",
            Kind::AutomaticTask => "automatic_task",
            Kind::Field => "field",
            Kind::Function => "function",
            Kind::MessageDestination => "message_destination",
            Kind::Workflow => "workflow",
            Kind::Playbook => "playbook",
            Kind::Script => "script",
            Kind::DataTable => "datatable",
            Kind::Phase => "phase",
            Kind::IncidentType => "incident_type",
            Kind::ArtifactType => "incident_artifact_type",
            Kind::Layout => "layout",
            Kind::Role => "role",
            Kind::Workspace => "workspace",
            Kind::Tag => "tag",
            Kind::App => "app",
            Kind::InboundDestination => "inbound_destination",
            Kind::CaseMatchingProfile => "case_matching_profile",
        }
    }

    /// Kinds that other objects refer to by `uuid` (workflow XML → function, script and task;
    /// view items → field). Giving such an object another uuid than the org's object of the same
    /// API name would leave those references dangling.
    pub fn referenced_by_uuid(self) -> bool {
        matches!(
            self,
            Kind::Function | Kind::Field | Kind::Script | Kind::AutomaticTask | Kind::Playbook
        )
    }
}

/// A field's `export_key` as SOAR builds it: `<type>/<name>`, the type from `type_id`.
fn field_export_key(object: &Value) -> Option<String> {
    let name = object.get("name").and_then(Value::as_str)?.trim();
    let prefix = match object.get("type_id").and_then(Value::as_i64)? {
        0 => "incident",
        6 => "actioninvocation",
        11 => "__function",
        _ => return None,
    };
    Some(format!("{prefix}/{name}"))
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn api_names_follow_the_sdk_keys() {
        let f = json!({"export_key": "fn_x", "name": "fn_x", "uuid": "u"});
        assert_eq!(Kind::Function.api_name(&f).as_deref(), Some("fn_x"));
        let rule = json!({"name": "  My rule ", "export_key": "My rule"});
        assert_eq!(Kind::Rule.api_name(&rule).as_deref(), Some("My rule"));
        let field = json!({"name": "qradar_id", "type_id": 0});
        assert_eq!(
            Kind::Field.api_name(&field).as_deref(),
            Some("incident/qradar_id")
        );
        let table = json!({"type_name": "mitre_attack_techniques"});
        assert_eq!(
            Kind::DataTable.api_name(&table).as_deref(),
            Some("mitre_attack_techniques")
        );
        assert_eq!(Kind::Function.api_name(&json!({"export_key": null})), None);
    }

    #[test]
    fn export_key_mirrors_the_member_soar_copies_it_from() {
        let wf = json!({"programmatic_name": "wf", "export_key": "wf", "name": "Display"});
        assert_eq!(
            Kind::Workflow.expected_export_key(&wf).as_deref(),
            Some("wf")
        );
        let field = json!({"name": "x", "type_id": 11, "export_key": "__function/x"});
        assert_eq!(
            Kind::Field.expected_export_key(&field).as_deref(),
            Some("__function/x")
        );
        let layout = json!({"export_key": "INCIDENT_TABS/incident/null", "name": "incident"});
        assert_eq!(Kind::Layout.expected_export_key(&layout), None);
        // The corrupt corpus file's function without export_key is still named by `name`.
        let f = json!({"export_key": null, "name": "mock_function_one"});
        assert_eq!(
            Kind::Function.api_name_with_key(&f),
            Some(("name", "mock_function_one".into()))
        );
    }

    #[test]
    fn every_kind_round_trips_through_its_list_key() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_list_key(k.list_key()), Some(k));
        }
    }
}
