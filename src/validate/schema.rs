//! Required keys and their JSON types, per kind (`reference/res-format.md` §1.4), checked on the
//! raw JSON so that *every* problem is reported with its pointer, not just the first one a
//! deserializer trips over.
//!
//! "Required" means what SOAR's importer and the checks after this one rely on: the identity
//! (`uuid`, `export_key`, the API name) and the members that carry references. Every member the
//! typed model reads is type-checked here too, so a file this pass accepts always builds the
//! model.

use serde_json::Value;

use super::{Diagnostic, ObjectRef};
use crate::res::Kind;

/// The JSON type a key must hold.
#[derive(Clone, Copy)]
enum Ty {
    Str,
    Int,
    Bool,
    Arr,
    /// An array of strings.
    ArrStr,
    /// An array of objects of this shape.
    ArrOf(&'static [Key]),
    /// An object of this shape.
    ObjOf(&'static [Key]),
    /// An object whose every member has this shape (data table columns).
    MapOf(&'static [Key]),
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::Str => "a string",
            Ty::Int => "an integer",
            Ty::Bool => "a boolean",
            Ty::Arr | Ty::ArrOf(_) => "an array",
            Ty::ArrStr => "an array of strings",
            Ty::ObjOf(_) | Ty::MapOf(_) => "an object",
        }
    }

    fn fits(self, v: &Value) -> bool {
        match self {
            Ty::Str => v.is_string(),
            Ty::Int => v.is_i64(),
            Ty::Bool => v.is_boolean(),
            Ty::Arr | Ty::ArrOf(_) | Ty::ArrStr => v.is_array(),
            Ty::ObjOf(_) | Ty::MapOf(_) => v.is_object(),
        }
    }
}

#[derive(Clone, Copy)]
struct Key {
    key: &'static str,
    ty: Ty,
    required: bool,
}

const fn req(key: &'static str, ty: Ty) -> Key {
    Key {
        key,
        ty,
        required: true,
    }
}

const fn opt(key: &'static str, ty: Ty) -> Key {
    Key {
        key,
        ty,
        required: false,
    }
}

use Ty::*;

/// Values of SOAR's own select fields (`incident/country`, ...) carry `uuid: null`.
const SELECT_VALUE: &[Key] = &[
    opt("uuid", Str),
    opt("label", Str),
    opt("default", Bool),
    opt("enabled", Bool),
    opt("hidden", Bool),
];
/// Members of a field the model types, none required (playbook form fields).
const FORM_FIELD: &[Key] = &[
    opt("uuid", Str),
    opt("export_key", Str),
    opt("name", Str),
    opt("input_type", Str),
    opt("prefix", Str),
    opt("text", Str),
    opt("tooltip", Str),
    opt("rich_text", Bool),
    opt("values", ArrOf(SELECT_VALUE)),
];
const FIELD: &[Key] = &[
    req("uuid", Str),
    req("export_key", Str),
    req("name", Str),
    req("type_id", Int),
    req("input_type", Str),
    req("text", Str),
    opt("prefix", Str),
    opt("tooltip", Str),
    opt("rich_text", Bool),
    opt("values", ArrOf(SELECT_VALUE)),
];
const COLUMN: &[Key] = &[
    req("uuid", Str),
    req("export_key", Str),
    req("name", Str),
    req("input_type", Str),
    req("text", Str),
    opt("prefix", Str),
    opt("tooltip", Str),
    opt("rich_text", Bool),
    opt("values", ArrOf(SELECT_VALUE)),
];
const DATA_TABLE: &[Key] = &[
    req("uuid", Str),
    req("export_key", Str),
    req("type_name", Str),
    req("display_name", Str),
    opt("parent_types", ArrStr),
    req("fields", MapOf(COLUMN)),
];
const FORM: &[Key] = &[
    opt("uuid", Str),
    opt("export_key", Str),
    opt("type_name", Str),
    opt("display_name", Str),
    opt("parent_types", ArrStr),
    opt("fields", MapOf(FORM_FIELD)),
];
const VIEW_ITEM: &[Key] = &[opt("element", Str), opt("field_type", Str)];
const CONDITION: &[Key] = &[opt("field_name", Str), opt("method", Str)];
const RULE: &[Key] = &[
    req("uuid", Str),
    req("export_key", Str),
    req("name", Str),
    req("type", Int),
    req("object_type", Str),
    opt("enabled", Bool),
    opt("logic_type", Str),
    opt("custom_condition", Str),
    opt("conditions", ArrOf(CONDITION)),
    opt("automations", Arr),
    opt("workflows", ArrStr),
    opt("message_destinations", ArrStr),
    opt("view_items", ArrOf(VIEW_ITEM)),
];
const WORKFLOW_CONTENT: &[Key] = &[opt("workflow_id", Str), req("xml", Str)];
const WORKFLOW: &[Key] = &[
    req("uuid", Str),
    req("export_key", Str),
    req("programmatic_name", Str),
    req("name", Str),
    req("object_type", Str),
    opt("description", Str),
    req("content", ObjOf(WORKFLOW_CONTENT)),
];
const FUNCTION: &[Key] = &[
    req("uuid", Str),
    req("export_key", Str),
    req("name", Str),
    req("display_name", Str),
    req("destination_handle", Str),
    opt("view_items", ArrOf(VIEW_ITEM)),
    opt("workflows", Arr),
];
const DESTINATION: &[Key] = &[
    req("uuid", Str),
    req("export_key", Str),
    req("name", Str),
    req("programmatic_name", Str),
    opt("destination_type", Int),
    opt("expect_ack", Bool),
    opt("users", Arr),
    opt("api_keys", Arr),
];
const SCRIPT: &[Key] = &[
    req("uuid", Str),
    req("export_key", Str),
    req("name", Str),
    opt("programmatic_name", Str),
    req("language", Str),
    req("object_type", Str),
    req("script_text", Str),
];
const PHASE: &[Key] = &[req("uuid", Str), req("export_key", Str), req("name", Str)];
const TASK: &[Key] = &[
    req("uuid", Str),
    req("export_key", Str),
    req("programmatic_name", Str),
    req("name", Str),
    req("phase_id", Str),
];
const INCIDENT_TYPE: &[Key] = &[req("uuid", Str), req("export_key", Str), req("name", Str)];
const ARTIFACT_TYPE: &[Key] = &[
    req("uuid", Str),
    req("export_key", Str),
    req("name", Str),
    req("programmatic_name", Str),
];
const NAMED: &[Key] = &[req("uuid", Str), req("export_key", Str), req("name", Str)];
const CARRIED: &[Key] = &[opt("uuid", Str), opt("export_key", Str), opt("name", Str)];
const PLAYBOOK_CONTENT: &[Key] = &[req("xml", Str)];
const PLAYBOOK: &[Key] = &[
    req("uuid", Str),
    req("export_key", Str),
    req("name", Str),
    req("display_name", Str),
    opt("object_type", Str),
    opt("status", Str),
    req("content", ObjOf(PLAYBOOK_CONTENT)),
    opt("fields_type", ObjOf(FORM)),
    opt("local_scripts", ArrOf(SCRIPT)),
];

fn shape(kind: Kind) -> &'static [Key] {
    match kind {
        Kind::Rule => RULE,
        Kind::Workflow => WORKFLOW,
        Kind::Function => FUNCTION,
        Kind::Field => FIELD,
        Kind::DataTable => DATA_TABLE,
        Kind::MessageDestination => DESTINATION,
        Kind::Script => SCRIPT,
        Kind::Phase => PHASE,
        Kind::AutomaticTask => TASK,
        Kind::IncidentType => INCIDENT_TYPE,
        Kind::ArtifactType => ARTIFACT_TYPE,
        Kind::Layout | Kind::Role | Kind::Workspace | Kind::Tag | Kind::App => NAMED,
        Kind::Playbook => PLAYBOOK,
        // Carried verbatim (`extra` of the model); nothing refers to them.
        Kind::InboundDestination | Kind::CaseMatchingProfile => CARRIED,
    }
}

const TOP: &[Key] = &[
    req("export_format_version", Int),
    req("export_date", Int),
    opt("export_type", Str),
    opt("locale", Str),
    opt("action_order", ArrStr),
    opt("task_order", ArrStr),
];

/// Every missing key and wrong type in a whole resource file.
pub(super) fn check(doc: &Value) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut ptr = String::new();
    walk(doc, TOP, &mut ptr, None, &mut out);
    if let Some(v) = doc.get("export_format_version").and_then(Value::as_i64) {
        if v != 2 {
            out.push(
                Diagnostic::new(
                    "schema.format-version",
                    "/export_format_version",
                    format!("export_format_version is {v}; every SOAR release since v31 writes 2"),
                )
                .help("respack and SOAR read version 2; export the file again from SOAR"),
            );
        }
    }
    for kind in super::checks::kinds() {
        let key = kind.list_key();
        let Some(list) = doc.get(key) else { continue };
        ptr.clear();
        ptr.push('/');
        ptr.push_str(key);
        let Some(items) = list.as_array() else {
            if !list.is_null() {
                out.push(wrong_type(&ptr, key, Arr, list, None));
            }
            continue;
        };
        let keys = shape(kind);
        for (i, item) in items.iter().enumerate() {
            let len = ptr.len();
            ptr.push('/');
            ptr.push_str(&i.to_string());
            let owner = Owner {
                kind,
                item,
                index: i,
            };
            if item.is_object() {
                walk(item, keys, &mut ptr, Some(&owner), &mut out);
            } else {
                out.push(
                    Diagnostic::new(
                        "schema.type",
                        ptr.clone(),
                        format!(
                            "each member of `{key}` is an object, this is {}",
                            json_type(item)
                        ),
                    )
                    .object(owner.object()),
                );
            }
            ptr.truncate(len);
        }
    }
    out
}

fn walk(
    v: &Value,
    keys: &[Key],
    ptr: &mut String,
    object: Option<&Owner<'_>>,
    out: &mut Vec<Diagnostic>,
) {
    for k in keys {
        let len = ptr.len();
        ptr.push('/');
        push_escaped(ptr, k.key);
        match v.get(k.key) {
            None | Some(Value::Null) if k.required => {
                let absent = v.get(k.key).is_none();
                let message = if absent {
                    format!("has no `{}`", k.key)
                } else {
                    format!("`{}` is null", k.key)
                };
                let mut d = Diagnostic::new(
                    "schema.missing",
                    ptr.clone(),
                    format!("{message}; it must be {}", k.ty.name()),
                );
                if let Some(o) = object {
                    d = d.object(o.object());
                    if k.key == "export_key" {
                        if let Some(expected) = expected_export_key(o.kind, v) {
                            d = d.help(format!(
                                "set `export_key` to {expected:?}, the {}'s API name",
                                o.kind
                            ));
                        }
                    }
                }
                if d.help.is_none() {
                    d = d.help(format!("add `{}`: SOAR's importer needs it", k.key));
                }
                out.push(d);
            }
            None | Some(Value::Null) => {}
            Some(x) if !k.ty.fits(x) => out.push(wrong_type(ptr, k.key, k.ty, x, object)),
            Some(x) => match k.ty {
                ObjOf(inner) => walk(x, inner, ptr, object, out),
                ArrOf(_) | ArrStr => {
                    for (i, item) in x.as_array().into_iter().flatten().enumerate() {
                        let fits = match k.ty {
                            ArrOf(inner) if item.is_object() => {
                                let len = ptr.len();
                                ptr.push('/');
                                ptr.push_str(&i.to_string());
                                walk(item, inner, ptr, object, out);
                                ptr.truncate(len);
                                true
                            }
                            ArrStr => item.is_string(),
                            _ => false,
                        };
                        if !fits {
                            let at = format!("{ptr}/{i}");
                            out.push(element_type(&at, k.key, k.ty, item, object));
                        }
                    }
                }
                MapOf(inner) => {
                    for (name, item) in x.as_object().into_iter().flatten() {
                        let len = ptr.len();
                        ptr.push('/');
                        push_escaped(ptr, name);
                        if item.is_object() {
                            walk(item, inner, ptr, object, out);
                        } else {
                            out.push(element_type(ptr, k.key, ObjOf(inner), item, object));
                        }
                        ptr.truncate(len);
                    }
                }
                _ => {}
            },
        }
        ptr.truncate(len);
    }
}

fn wrong_type(
    ptr: &str,
    key: &str,
    ty: Ty,
    found: &Value,
    object: Option<&Owner<'_>>,
) -> Diagnostic {
    let d = Diagnostic::new(
        "schema.type",
        ptr,
        format!("`{key}` must be {}, found {}", ty.name(), json_type(found)),
    );
    match object {
        Some(o) => d.object(o.object()),
        None => d,
    }
}

fn element_type(
    ptr: &str,
    key: &str,
    ty: Ty,
    found: &Value,
    object: Option<&Owner<'_>>,
) -> Diagnostic {
    let want = match ty {
        ArrStr => "a string",
        _ => "an object",
    };
    let d = Diagnostic::new(
        "schema.type",
        ptr,
        format!(
            "each member of `{key}` must be {want}, found {}",
            json_type(found)
        ),
    );
    match object {
        Some(o) => d.object(o.object()),
        None => d,
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// RFC 6901: `~` → `~0`, `/` → `~1`.
pub(super) fn push_escaped(ptr: &mut String, key: &str) {
    for c in key.chars() {
        match c {
            '~' => ptr.push_str("~0"),
            '/' => ptr.push_str("~1"),
            c => ptr.push(c),
        }
    }
}

/// The top-level object a finding is about. Its name is only worked out for a finding, not for
/// every object walked.
struct Owner<'v> {
    kind: Kind,
    item: &'v Value,
    index: usize,
}

impl Owner<'_> {
    fn object(&self) -> ObjectRef {
        ObjectRef::new(self.kind, object_name(self.kind, self.item, self.index))
    }
}

/// The name a finding uses for an object read from JSON: its API name, else its display name,
/// its uuid, or `#index`.
pub(super) fn object_name(kind: Kind, v: &Value, index: usize) -> String {
    let s = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    kind.api_name(v)
        .map(|n| n.into_owned())
        .or_else(|| s("programmatic_name"))
        .or_else(|| s("name"))
        .or_else(|| s("display_name"))
        .or_else(|| s("uuid"))
        .unwrap_or_else(|| format!("#{index}"))
}

/// What `export_key` should be for this object (§1.3), when that can be told.
fn expected_export_key(kind: Kind, v: &Value) -> Option<String> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    match kind {
        Kind::Function
        | Kind::Rule
        | Kind::Script
        | Kind::Phase
        | Kind::IncidentType
        | Kind::Role
        | Kind::Workspace
        | Kind::Tag
        | Kind::App
        | Kind::Playbook => s("name"),
        Kind::Workflow | Kind::MessageDestination | Kind::AutomaticTask | Kind::ArtifactType => {
            s("programmatic_name")
        }
        Kind::DataTable => s("type_name"),
        Kind::Field => {
            let prefix = match v.get("type_id").and_then(Value::as_i64)? {
                0 => "incident",
                6 => "actioninvocation",
                11 => "__function",
                _ => return None,
            };
            Some(format!("{prefix}/{}", s("name")?))
        }
        Kind::Layout | Kind::InboundDestination | Kind::CaseMatchingProfile => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn codes(v: Value) -> Vec<(String, String)> {
        check(&v)
            .into_iter()
            .map(|d| (d.code.to_string(), d.path))
            .collect()
    }

    #[test]
    fn minimal_file_is_clean() {
        assert!(codes(json!({"export_format_version": 2, "export_date": 0})).is_empty());
    }

    #[test]
    fn every_problem_is_reported_with_its_pointer() {
        let got = codes(json!({
            "export_format_version": "2",
            "functions": [
                {"uuid": "u", "export_key": null, "name": "f", "display_name": "F",
                 "destination_handle": 7, "view_items": [{"element": 1}]}
            ],
            "types": [{"uuid": "t", "export_key": "t", "type_name": "t", "display_name": "T",
                       "fields": {"a/b": {"uuid": "c", "export_key": "t/a", "name": "a", "text": "A"}}}],
            "workflows": {}
        }));
        assert_eq!(
            got,
            [
                ("schema.type", "/export_format_version"),
                ("schema.missing", "/export_date"),
                ("schema.missing", "/functions/0/export_key"),
                ("schema.type", "/functions/0/destination_handle"),
                ("schema.type", "/functions/0/view_items/0/element"),
                ("schema.missing", "/types/0/fields/a~1b/input_type"),
                ("schema.type", "/workflows"),
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
    }

    #[test]
    fn missing_export_key_names_the_object_and_the_fix() {
        let d = check(
            &json!({"export_format_version": 2, "export_date": 0, "functions": [
            {"uuid": "u", "export_key": null, "name": "mock_function_one", "display_name": "F",
             "destination_handle": "d"}]}),
        );
        assert_eq!(d.len(), 1);
        let o = d[0].object.as_ref().unwrap();
        assert_eq!(
            (o.kind, o.name.as_str()),
            (Kind::Function, "mock_function_one")
        );
        assert!(d[0]
            .help
            .as_deref()
            .unwrap()
            .contains("\"mock_function_one\""));
    }

    #[test]
    fn format_version_other_than_2_warns() {
        assert_eq!(
            codes(json!({"export_format_version": 3, "export_date": 0})),
            [(
                "schema.format-version".to_string(),
                "/export_format_version".to_string()
            )]
        );
    }
}
