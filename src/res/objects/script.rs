//! Scripts (`scripts[]` and playbooks' `local_scripts[]`).
use crate::res::ids::{ObjectUuid, ScriptName};

res_object! {
    /// A script. `language` is `python` (Python 2, rejected by IBM's validator) or `python3`.
    pub struct Script {
        uuid: ObjectUuid,
        export_key: String,
        name: ScriptName,
        programmatic_name: String,
        language: String,
        object_type: String,
        script_text: String,
        playbook_handle: serde_json::Value,
    }
}
