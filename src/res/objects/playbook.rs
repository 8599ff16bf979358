//! Playbooks (`playbooks[]`, SOAR v44+).
use crate::res::ids::{ObjectUuid, PlaybookName};

use super::{DataTable, Script};

res_object! {
    /// A playbook: BPMN in `content.xml`, its input form in `fields_type`, local scripts.
    pub struct Playbook {
        uuid: ObjectUuid,
        export_key: String,
        name: PlaybookName,
        display_name: String,
        object_type: String,
        status: String,
        content: PlaybookContent,
        fields_type: DataTable,
        local_scripts: Vec<Script>,
    }
}

res_object! {
    /// `playbooks[].content`.
    pub struct PlaybookContent {
        content_version: serde_json::Value,
        xml: String,
    }
}
