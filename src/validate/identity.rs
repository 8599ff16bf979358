//! Identities (`reference/res-format.md` §1.3): within one kind no two objects may share a
//! `uuid` or an API name (fields: their `export_key`, since names repeat across field types),
//! and `export_key` should say the same as the API name. SOAR matches on both on import, so a
//! duplicate makes one object silently replace the other.

use std::collections::HashMap;

use super::checks::{name_or_index, pointer};
use super::{Diagnostic, ObjectRef};
use crate::res::{Kind, NamedObject, ResFile, Slot};

/// One object's identity members.
struct Row<'a> {
    uuid: Option<&'a str>,
    /// The API name, and the key it was read from.
    api: Option<&'a str>,
    api_key: &'static str,
    export_key: Option<&'a str>,
    /// What `export_key` should be, when the kind says.
    expected: Option<Expected<'a>>,
    /// The display name, for objects without an API name.
    display: Option<&'a str>,
    index: usize,
}

/// An expected `export_key`, compared without building it.
enum Expected<'a> {
    /// The API name itself.
    Same(&'a str),
    /// `<type>/<name>` (fields).
    Typed(&'static str, &'a str),
}

impl Expected<'_> {
    fn matches(&self, export_key: &str) -> bool {
        match self {
            Expected::Same(s) => export_key == *s,
            Expected::Typed(t, n) => export_key
                .strip_prefix(t)
                .and_then(|r| r.strip_prefix('/'))
                .is_some_and(|r| r == *n),
        }
    }

    fn render(&self) -> String {
        match self {
            Expected::Same(s) => s.to_string(),
            Expected::Typed(t, n) => format!("{t}/{n}"),
        }
    }
}

impl Row<'_> {
    /// How findings name the object.
    fn name(&self) -> String {
        name_or_index(&[self.api, self.display, self.uuid], self.index)
    }
}

fn s<T: AsRef<str>>(slot: &Slot<T>) -> Option<&str> {
    slot.get().map(AsRef::as_ref)
}

pub(super) fn check(res: &ResFile, out: &mut Vec<Diagnostic>) {
    for kind in super::checks::kinds() {
        let rows = rows(res, kind);
        check_kind(kind, &rows, out);
    }
}

fn row<'a>(
    i: usize,
    uuid: Option<&'a str>,
    api: Option<&'a str>,
    api_key: &'static str,
    export_key: Option<&'a str>,
    expected: Option<&'a str>,
    display: Option<&'a str>,
) -> Row<'a> {
    Row {
        uuid,
        api,
        api_key,
        export_key,
        expected: expected.map(Expected::Same),
        display,
        index: i,
    }
}

fn named(list: &Slot<Vec<NamedObject>>, api_is_export_key: bool) -> Vec<Row<'_>> {
    list.get()
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .map(|(i, o)| {
            if api_is_export_key {
                row(
                    i,
                    s(&o.uuid),
                    s(&o.export_key),
                    "export_key",
                    s(&o.export_key),
                    None,
                    s(&o.name),
                )
            } else {
                row(
                    i,
                    s(&o.uuid),
                    s(&o.name),
                    "name",
                    s(&o.export_key),
                    s(&o.name),
                    None,
                )
            }
        })
        .collect()
}

/// Kinds the model carries in `extra`, read from their JSON.
fn carried(res: &ResFile, kind: Kind) -> Vec<Row<'_>> {
    let list = res.extra.get(kind.list_key()).and_then(|v| v.as_array());
    list.into_iter()
        .flatten()
        .enumerate()
        .map(|(i, o)| {
            let str_of = |k: &str| o.get(k).and_then(|v| v.as_str());
            let api_key = kind.api_name_key();
            row(
                i,
                str_of("uuid"),
                str_of(api_key),
                api_key,
                str_of("export_key"),
                None,
                str_of("name"),
            )
        })
        .collect()
}

fn rows(res: &ResFile, kind: Kind) -> Vec<Row<'_>> {
    fn e(o: &Slot<String>) -> Option<&str> {
        s(o)
    }
    match kind {
        Kind::Rule => res
            .rules()
            .iter()
            .enumerate()
            .map(|(i, o)| {
                row(
                    i,
                    s(&o.uuid),
                    s(&o.name),
                    "name",
                    e(&o.export_key),
                    s(&o.name),
                    None,
                )
            })
            .collect(),
        Kind::Workflow => res
            .workflows()
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let api = s(&o.programmatic_name);
                row(
                    i,
                    s(&o.uuid),
                    api,
                    "programmatic_name",
                    e(&o.export_key),
                    api,
                    s(&o.name),
                )
            })
            .collect(),
        Kind::Function => res
            .functions()
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let mut r = row(
                    i,
                    s(&o.uuid),
                    s(&o.export_key),
                    "export_key",
                    s(&o.export_key),
                    s(&o.name),
                    s(&o.name),
                );
                if r.api.is_none() {
                    // The corrupt corpus file: still catch two functions sharing a name.
                    r.api = s(&o.name);
                    r.api_key = "name";
                }
                r
            })
            .collect(),
        Kind::Field => res
            .fields()
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let prefix = match o.type_id.get().and_then(|t| t.as_i64()) {
                    Some(0) => Some("incident"),
                    Some(6) => Some("actioninvocation"),
                    Some(11) => Some("__function"),
                    _ => None,
                };
                let expected = prefix.zip(s(&o.name)).map(|(p, n)| Expected::Typed(p, n));
                let mut r = row(
                    i,
                    s(&o.uuid),
                    e(&o.export_key),
                    "export_key",
                    e(&o.export_key),
                    None,
                    s(&o.name),
                );
                r.expected = expected;
                r
            })
            .collect(),
        Kind::DataTable => res
            .data_tables()
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let api = s(&o.type_name);
                row(
                    i,
                    s(&o.uuid),
                    api,
                    "type_name",
                    e(&o.export_key),
                    api,
                    s(&o.display_name),
                )
            })
            .collect(),
        Kind::MessageDestination => res
            .message_destinations()
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let api = s(&o.programmatic_name);
                row(
                    i,
                    s(&o.uuid),
                    api,
                    "programmatic_name",
                    e(&o.export_key),
                    api,
                    s(&o.name),
                )
            })
            .collect(),
        Kind::Script => res
            .scripts()
            .iter()
            .enumerate()
            .map(|(i, o)| {
                row(
                    i,
                    s(&o.uuid),
                    s(&o.name),
                    "name",
                    e(&o.export_key),
                    s(&o.name),
                    None,
                )
            })
            .collect(),
        Kind::Phase => res
            .phases()
            .iter()
            .enumerate()
            .map(|(i, o)| {
                row(
                    i,
                    s(&o.uuid),
                    s(&o.name),
                    "name",
                    e(&o.export_key),
                    s(&o.name),
                    None,
                )
            })
            .collect(),
        Kind::AutomaticTask => res
            .automatic_tasks()
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let api = s(&o.programmatic_name);
                row(
                    i,
                    s(&o.uuid),
                    api,
                    "programmatic_name",
                    e(&o.export_key),
                    api,
                    s(&o.name),
                )
            })
            .collect(),
        Kind::IncidentType => res
            .incident_types()
            .iter()
            .enumerate()
            .map(|(i, o)| {
                row(
                    i,
                    s(&o.uuid),
                    s(&o.name),
                    "name",
                    e(&o.export_key),
                    s(&o.name),
                    None,
                )
            })
            .collect(),
        Kind::ArtifactType => res
            .artifact_types()
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let api = s(&o.programmatic_name);
                row(
                    i,
                    s(&o.uuid),
                    api,
                    "programmatic_name",
                    e(&o.export_key),
                    api,
                    s(&o.name),
                )
            })
            .collect(),
        Kind::Layout => named(&res.layouts, true),
        Kind::App => named(&res.apps, true),
        Kind::Role => named(&res.roles, false),
        Kind::Workspace => named(&res.workspaces, false),
        Kind::Tag => named(&res.tags, false),
        Kind::InboundDestination | Kind::CaseMatchingProfile => carried(res, kind),
        Kind::Playbook => res
            .playbooks()
            .iter()
            .enumerate()
            .map(|(i, o)| {
                row(
                    i,
                    s(&o.uuid),
                    s(&o.name),
                    "name",
                    e(&o.export_key),
                    s(&o.name),
                    s(&o.display_name),
                )
            })
            .collect(),
    }
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
        if let Some(n) = r.api {
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
        if let (Some(ek), Some(expected)) = (r.export_key, r.expected.as_ref()) {
            if !expected.matches(ek) {
                let expected = expected.render();
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
