//! Data tables (`types[]`, type_id 8).
use std::collections::BTreeMap;

use crate::res::ids::{ObjectUuid, TableName};

use super::Field;

res_object! {
    /// A data table; `fields` is an object keyed by column API name.
    pub struct DataTable {
        id: serde_json::Value,
        uuid: ObjectUuid,
        export_key: String,
        type_name: TableName,
        display_name: String,
        type_id: serde_json::Value,
        parent_types: Vec<String>,
        fields: BTreeMap<String, Field>,
    }
}

impl DataTable {
    /// Column API names, in `order` then name order.
    pub fn column_names(&self) -> Vec<&str> {
        let Some(fields) = self.fields.get() else {
            return vec![];
        };
        let mut cols: Vec<(i64, &str)> = fields
            .iter()
            .map(|(k, f)| {
                (
                    f.extra
                        .get("order")
                        .and_then(|o| o.as_i64())
                        .unwrap_or(i64::MAX),
                    k.as_str(),
                )
            })
            .collect();
        cols.sort();
        cols.into_iter().map(|(_, k)| k).collect()
    }
}
