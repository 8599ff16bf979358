//! [`Kind`]: the object lists of a resource file and how each kind is identified.
//!
//! One table, used by the validator (duplicate identities), `show`, the plan (matching org
//! objects to package objects) and the reference server (matching on import), so that every
//! part of respack agrees on what "the same object" means (`reference/res-format.md` §1.3).

use serde::{Deserialize, Serialize};

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
}

impl Kind {
    pub const ALL: [Kind; 17] = [
        Kind::Rule,
        Kind::Workflow,
        Kind::Function,
        Kind::Field,
        Kind::DataTable,
        Kind::MessageDestination,
        Kind::Script,
        Kind::Phase,
        Kind::AutomaticTask,
        Kind::IncidentType,
        Kind::ArtifactType,
        Kind::Layout,
        Kind::Role,
        Kind::Workspace,
        Kind::Tag,
        Kind::App,
        Kind::Playbook,
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
        }
    }

    /// The member holding the API name SOAR looks this kind up by. Fields use `export_key`
    /// (`<type>/<name>`) because names are unique only within one type.
    pub fn api_name_key(self) -> &'static str {
        match self {
            Kind::Workflow
            | Kind::MessageDestination
            | Kind::AutomaticTask
            | Kind::ArtifactType => "programmatic_name",
            Kind::DataTable => "type_name",
            Kind::Function
            | Kind::Field
            | Kind::Phase
            | Kind::Playbook
            | Kind::App
            | Kind::Layout => "export_key",
            Kind::Rule
            | Kind::Script
            | Kind::IncidentType
            | Kind::Role
            | Kind::Workspace
            | Kind::Tag => "name",
        }
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
        }
    }

    /// The kind whose list has this key.
    pub fn from_list_key(key: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.list_key() == key)
    }

    /// The API name of one object of this kind, read from its JSON.
    pub fn api_name(self, object: &serde_json::Value) -> Option<&str> {
        object.get(self.api_name_key()).and_then(|v| v.as_str())
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}
