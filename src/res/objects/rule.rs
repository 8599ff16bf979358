//! Rules (`actions[]`): menu items and automatic rules.
use crate::res::ids::{ObjectUuid, RuleName, WorkflowName};

use super::ViewItem;

res_object! {
    /// A rule. `type` 0 is automatic, 1 a manual menu item; `object_type` is a built-in object
    /// (`incident`, `artifact`, ...) or a data table's `type_name`.
    pub struct Rule {
        id: serde_json::Value,
        uuid: ObjectUuid,
        export_key: String,
        name: RuleName,
        @rename("type") rule_type: i64,
        object_type: String,
        enabled: bool,
        logic_type: String,
        custom_condition: String,
        conditions: Vec<Condition>,
        automations: Vec<serde_json::Value>,
        workflows: Vec<WorkflowName>,
        /// Message destinations by **display name**.
        message_destinations: Vec<String>,
        /// The activity-field dialog.
        view_items: Vec<ViewItem>,
    }
}

res_object! {
    /// One rule condition: `field_name` is `<object>.<field>` such as `incident.properties.qradar_id`.
    pub struct Condition {
        evaluation_id: serde_json::Value,
        field_name: String,
        method: String,
        value: serde_json::Value,
    }
}
