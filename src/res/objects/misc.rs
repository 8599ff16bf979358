//! The smaller kinds: phases, automatic tasks, incident and artifact types, view items, and the
//! kinds respack only carries (layouts, roles, workspaces, tags, apps).
use crate::res::ids::{ObjectUuid, PhaseName, TaskName};

res_object! {
    /// A phase (`phases[]`); tasks refer to it by name.
    pub struct Phase {
        uuid: ObjectUuid,
        export_key: String,
        name: PhaseName,
        order: serde_json::Value,
    }
}

res_object! {
    /// An automatic task template (`automatic_tasks[]`).
    pub struct AutomaticTask {
        uuid: ObjectUuid,
        export_key: String,
        programmatic_name: TaskName,
        name: String,
        /// The phase's **name**.
        phase_id: PhaseName,
    }
}

res_object! {
    /// An incident type (`incident_types[]`).
    pub struct IncidentType {
        uuid: ObjectUuid,
        export_key: String,
        name: String,
        parent_id: serde_json::Value,
    }
}

res_object! {
    /// An artifact type (`incident_artifact_types[]`).
    pub struct ArtifactType {
        uuid: ObjectUuid,
        export_key: String,
        name: String,
        programmatic_name: String,
    }
}

res_object! {
    /// A layout, role, workspace, tag definition or app: carried, identified by name.
    pub struct NamedObject {
        uuid: ObjectUuid,
        export_key: String,
        name: String,
    }
}

res_object! {
    /// One element of a form (`view_items[]`): `field_uuid` elements name a field by uuid.
    pub struct ViewItem {
        element: String,
        content: serde_json::Value,
        field_type: String,
        show_if: serde_json::Value,
        show_link_header: serde_json::Value,
        step_label: serde_json::Value,
    }
}
