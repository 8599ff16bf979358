//! Identities (`reference/res-format.md` §1.3): within one kind no two objects may share a
//! `uuid` or an API name (fields: their `export_key`, since names repeat across field types),
//! and `export_key` should say the same as the API name. SOAR matches on both on import, so a
//! duplicate makes one object silently replace the other.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::Value;

use super::checks::{name_or_index, pointer};
use super::{Diagnostic, ObjectRef};
use crate::res::Kind;

/// One object's identity members, read through [`Kind`]'s table (the one the plan, install and
/// the reference server match objects by).
struct Row<'a> {
    uuid: Option<&'a str>,
    /// The API name, and the member it was read from.
    api: Option<Cow<'a, str>>,
    api_key: &'static str,
    export_key: Option<&'a str>,
    /// What `export_key` should be, when the kind says.
    expected: Option<Cow<'a, str>>,
    /// The display name, for objects without an API name.
    display: Option<&'a str>,
    index: usize,
}

impl Row<'_> {
    /// How findings name the object.
    fn name(&self) -> String {
        name_or_index(&[self.api.as_deref(), self.display, self.uuid], self.index)
    }
}

/// Identity findings for every list of a resource file, read from its JSON value.
pub(super) fn check(res: &Value, out: &mut Vec<Diagnostic>) {
    for kind in super::checks::kinds() {
        let rows = rows(res, kind);
        check_kind(kind, &rows, out);
    }
}

fn rows(res: &Value, kind: Kind) -> Vec<Row<'_>> {
    let list = res.get(kind.list_key()).and_then(Value::as_array);
    list.into_iter()
        .flatten()
        .enumerate()
        .filter(|(_, o)| o.is_object())
        .map(|(index, o)| {
            let str_of = |k: &str| o.get(k).and_then(Value::as_str);
            let (api_key, api) = match kind.api_name_with_key(o) {
                Some((key, name)) => (key, Some(name)),
                None => (kind.api_name_key(), None),
            };
            Row {
                uuid: str_of("uuid"),
                api,
                api_key,
                export_key: str_of("export_key"),
                expected: kind.expected_export_key(o),
                display: str_of("display_name").or_else(|| str_of("name")),
                index,
            }
        })
        .collect()
}

fn check_kind(kind: Kind, rows: &[Row<'_>], out: &mut Vec<Diagnostic>) {
    let mut uuids: HashMap<&str, usize> = HashMap::with_capacity(rows.len());
    let mut names: HashMap<&str, usize> = HashMap::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        let object = || ObjectRef::new(kind, r.name());
        if let Some(u) = r.uuid {
            if let Some(&first) = uuids.get(u) {
                out.push(
                    Diagnostic::new(
                        "identity.duplicate-uuid",
                        format!("{}/uuid", pointer(kind, i)),
                        format!(
                            "uuid {u} is also the uuid of {} '{}' at {}",
                            kind,
                            rows[first].name(),
                            pointer(kind, first)
                        ),
                    )
                    .object(object())
                    .help("give each object its own uuid; on import one would replace the other"),
                );
            } else {
                uuids.insert(u, i);
            }
        }
        if let Some(n) = r.api.as_deref() {
            if let Some(&first) = names.get(n) {
                out.push(
                    Diagnostic::new(
                        "identity.duplicate-name",
                        format!("{}/{}", pointer(kind, i), r.api_key),
                        format!(
                            "{} {n:?} is also the {} of the {} at {}",
                            r.api_key,
                            r.api_key,
                            kind,
                            pointer(kind, first)
                        ),
                    )
                    .object(object())
                    .help(format!(
                        "rename one of them: SOAR looks a {kind} up by its {}",
                        r.api_key
                    )),
                );
            } else {
                names.insert(n, i);
            }
        }
        if let (Some(ek), Some(expected)) = (r.export_key, r.expected.as_deref()) {
            if ek != expected {
                out.push(
                    Diagnostic::new(
                        "identity.export-key",
                        format!("{}/export_key", pointer(kind, i)),
                        format!("export_key {ek:?} differs from the API name {expected:?}"),
                    )
                    .object(object())
                    .help(format!("set export_key to {expected:?}")),
                );
            }
        }
    }
}
