//! What changes on every export without meaning anything (`reference/res-format.md` §1.9):
//! server ids, timestamps, audit members, version counters and server-derived back-references.
//!
//! `fmt --strip-volatile` and `diff` both remove them, so an export kept in git and a package
//! compared with a live org differ only where the configuration differs.

use serde_json::Value;

/// Audit and timestamp members, removed wherever they appear.
const AUDIT: &[&str] = &[
    "export_date",
    "create_date",
    "update_date",
    "created_date",
    "last_modified_time",
    "last_modified_by",
    "creator",
    "creator_id",
    "creator_principal",
    "last_modified_principal",
    "install_date",
    "install_principal",
];

/// Server-assigned numbers, removed when they are numbers (or null): `version` is a meaningful
/// string on apps, so only counters go.
const SERVER_NUMBERS: &[&str] = &["id", "workflow_id", "version", "content_version", "type_id"];

/// Remove every volatile member from a whole resource file, in place.
pub fn strip_volatile(res: &mut Value) {
    let Some(top) = res.as_object_mut() else {
        return;
    };
    top.remove("id");
    top.remove("export_date");
    if let Some(fns) = top.get_mut("functions").and_then(Value::as_array_mut) {
        for f in fns {
            if let Some(o) = f.as_object_mut() {
                // Derived by the server from the workflows' XML.
                o.remove("workflows");
            }
        }
    }
    for (key, list) in top.iter_mut() {
        if key == "server_version" {
            continue;
        }
        strip(list, key == "fields" || key == "types");
    }
}

/// Remove volatile members from one object (and everything below it).
pub fn strip_object(value: &mut Value) {
    strip(value, true);
}

fn strip(value: &mut Value, in_fields: bool) {
    match value {
        Value::Object(o) => {
            for k in AUDIT {
                o.remove(*k);
            }
            for k in SERVER_NUMBERS {
                if o.get(*k).is_some_and(|v| v.is_number() || v.is_null()) {
                    // `type_id` on a field says which kind of field it is (0, 6, 11) and stays;
                    // on a data-table column it is the table's server id and goes.
                    if *k == "type_id"
                        && o.get("type_id")
                            .and_then(Value::as_i64)
                            .is_some_and(|t| t < 1000)
                    {
                        continue;
                    }
                    o.remove(*k);
                }
            }
            if in_fields {
                if let Some(values) = o.get_mut("values").and_then(Value::as_array_mut) {
                    for v in values {
                        if let Some(v) = v.as_object_mut() {
                            v.remove("value");
                        }
                    }
                }
            }
            for (_, v) in o.iter_mut() {
                strip(v, in_fields);
            }
        }
        Value::Array(a) => {
            for v in a {
                strip(v, in_fields);
            }
        }
        _ => {}
    }
}
