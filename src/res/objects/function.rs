//! Functions (`functions[]`): what a workflow step calls, delivered through a message destination.
use crate::res::ids::{DestinationName, FunctionName, ObjectUuid};

use super::ViewItem;

res_object! {
    /// A function definition. Its inputs are the `__function` fields its `view_items` name by uuid.
    pub struct Function {
        id: serde_json::Value,
        uuid: ObjectUuid,
        export_key: FunctionName,
        name: FunctionName,
        display_name: String,
        destination_handle: DestinationName,
        view_items: Vec<ViewItem>,
        /// Server-derived back-references to the workflows that call this function.
        workflows: Vec<serde_json::Value>,
    }
}
