//! One line of a [`Plan`](super::Plan): an object, what would happen to it, and why.
use serde::Serialize;

use crate::res::Kind;

/// Whose object it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Owner {
    /// Created by install, removed by uninstall.
    Package,
    /// Owned by one of the integrations the package depends on: never deleted.
    Dependency,
}

/// What happens to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Not on the org: the import creates it.
    Create,
    /// On the org, different: the import modifies it.
    Update,
    /// On the org and the same.
    Unchanged,
    /// On the org under the same API name with another uuid: SOAR would merge it into an object
    /// the package did not create.
    Conflict,
    /// Uninstall removes it.
    Delete,
    /// Uninstall keeps it, for the reason given.
    Keep,
    /// Uninstall finds it already gone: counts as done.
    Absent,
}

impl Action {
    pub fn label(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Unchanged => "unchanged",
            Action::Conflict => "conflict",
            Action::Delete => "delete",
            Action::Keep => "keep",
            Action::Absent => "absent",
        }
    }
}

/// A textual difference of one part of an object (the normalised JSON, a script, a workflow's
/// steps), as a unified diff from the org (`-`) to the package (`+`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextDiff {
    pub label: String,
    pub unified: String,
}

/// One object of the plan.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub kind: Kind,
    /// The API name (`Kind::api_name_key`).
    pub name: String,
    /// The package's uuid for the object.
    pub uuid: Option<String>,
    pub owner: Owner,
    pub action: Action,
    /// The org's server id, when the object is on the org (uninstall deletes by it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_id: Option<serde_json::Value>,
    /// The org's uuid, when it differs from the package's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_uuid: Option<String>,
    /// Why: for a conflict, a keep, or a different dependency object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For an object uninstall keeps because other objects on the org still need it: those
    /// objects (`"<kind> '<name>'"`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub used_by: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diffs: Vec<TextDiff>,
    /// Why uninstall keeps it, as the end of "used by X, which ...": what a reason for an
    /// object this one needs says about it.
    #[serde(skip)]
    pub(crate) kept_because: Option<String>,
}

impl Change {
    /// True when install sends this object to the org: the package's own objects that are new
    /// or changed, and dependency objects the org lacks. A dependency object the org has in
    /// another version (a newer integration) is reported but never overwritten.
    pub fn is_imported(&self) -> bool {
        match self.owner {
            Owner::Package => matches!(self.action, Action::Create | Action::Update),
            Owner::Dependency => self.action == Action::Create,
        }
    }

    /// True when the org is not what an install leaves: something to import, or a name conflict.
    pub fn is_outstanding(&self) -> bool {
        self.is_imported() || (self.owner == Owner::Package && self.action == Action::Conflict)
    }

    /// Package objects first; then the order SOAR needs objects removed in (rules before the
    /// workflows they run, workflows before the tables they write), then by name.
    pub(super) fn sort_key(&self) -> (Owner, u8, String) {
        // Layouts show fields, and automatic tasks sit in phases and incident types: each goes
        // before what it uses.
        let rank = match self.kind {
            Kind::Rule => 0,
            Kind::Workflow => 1,
            Kind::Playbook => 2,
            Kind::Layout => 3,
            Kind::Function => 4,
            Kind::Field => 5,
            Kind::MessageDestination => 6,
            Kind::Script => 7,
            Kind::DataTable => 8,
            Kind::AutomaticTask => 9,
            Kind::Phase => 10,
            Kind::IncidentType => 11,
            Kind::ArtifactType => 12,
            _ => 13,
        };
        (self.owner, rank, self.name.clone())
    }
}
