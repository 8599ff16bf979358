//! Fields (`fields[]` and data table columns): incident fields (type_id 0), activity fields
//! (6, `actioninvocation`), function inputs (11, `__function`), and table columns.
use crate::res::ids::{FieldName, ObjectUuid};

res_object! {
    /// A field. `export_key` is `<type>/<name>`; names are unique only within one type.
    pub struct Field {
        id: serde_json::Value,
        uuid: ObjectUuid,
        export_key: String,
        name: FieldName,
        type_id: serde_json::Value,
        input_type: String,
        prefix: String,
        text: String,
        tooltip: String,
        rich_text: bool,
        required: serde_json::Value,
        /// Select and multiselect values; workflows refer to them by value uuid.
        values: Vec<SelectValue>,
    }
}

res_object! {
    /// One select or multiselect value. Its `value` int is a server id, not stable.
    pub struct SelectValue {
        uuid: ObjectUuid,
        label: String,
        value: serde_json::Value,
        default: bool,
        enabled: bool,
        hidden: bool,
    }
}

impl Field {
    /// The field's type, from the `export_key` prefix (`incident`, `actioninvocation`,
    /// `__function`, or a data table name).
    pub fn type_prefix(&self) -> Option<&str> {
        self.export_key
            .get()
            .and_then(|k| k.split_once('/'))
            .map(|(t, _)| t)
    }
}
