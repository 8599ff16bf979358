//! Workflows (`workflows[]`): BPMN processes, their XML kept verbatim in `content.xml`.
use crate::res::ids::{ObjectUuid, WorkflowName};

res_object! {
    /// A workflow. The XML is a string and is written back byte for byte unless changed.
    pub struct Workflow {
        uuid: ObjectUuid,
        export_key: String,
        programmatic_name: WorkflowName,
        name: String,
        description: String,
        object_type: String,
        workflow_id: serde_json::Value,
        content: WorkflowContent,
    }
}

res_object! {
    /// `workflows[].content`: the BPMN and its version.
    pub struct WorkflowContent {
        workflow_id: String,
        version: serde_json::Value,
        xml: String,
    }
}
