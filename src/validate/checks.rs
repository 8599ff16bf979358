//! The model checks in the order they run, and the [`Index`] of every identity they share.
//!
//! The Python syntax check is started as soon as the scripts are known, so that the `python3`
//! process starts up on the other core while the reference checks run; its findings are
//! collected last.

use std::collections::{HashMap, HashSet};

use super::steps::ReadXml;
use super::{refs, scripts, steps, Diagnostic, ObjectRef, Options};
use crate::res::{DataTable, Field, Function, Kind, ResFile};

/// The objects SOAR itself defines that rules, workflows and scripts can run on besides data
/// tables (`reference/res-format.md` §1.4 `actions.object_type`, §1.8).
pub(super) const BUILTIN_OBJECT_TYPES: &[&str] = &[
    "incident",
    "task",
    "note",
    "milestone",
    "artifact",
    "attachment",
    "organization",
    "__emailmessage",
];

/// Every model check. `xml`: the workflows' and playbooks' processes when the caller has read
/// them already, else they are read here.
pub(super) fn run(res: &ResFile, options: &Options, xml: Option<ReadXml>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let index = Index::new(res);
    let xml = xml.unwrap_or_else(|| ReadXml::from_model(res));
    let processes = steps::parse(res, xml, &mut out);
    let sources = scripts::collect(res, &processes, &mut out);
    let pending = options
        .python
        .as_ref()
        .map(|checker| scripts::start_syntax_check(checker, &sources));
    refs::check(res, &index, &mut out);
    steps::check(&processes, &index, &mut out);
    scripts::check_table_writes(&sources, &index, options.builtin, &mut out);
    if let Some(pending) = pending {
        scripts::finish_syntax_check(pending, &sources, &mut out);
    }
    out
}

/// Every identity a reference can point at, built once per file.
pub(super) struct Index<'a> {
    pub workflows: HashSet<&'a str>,
    /// Message destinations by display `name` (rules) and by `programmatic_name` (functions).
    pub destination_names: HashSet<&'a str>,
    pub destination_handles: HashSet<&'a str>,
    pub fields: HashMap<&'a str, &'a Field>,
    pub functions: HashMap<&'a str, &'a Function>,
    pub tables: HashMap<&'a str, &'a DataTable>,
    pub task_names: HashSet<&'a str>,
    pub task_uuids: HashSet<&'a str>,
    pub script_names: HashSet<&'a str>,
    pub script_uuids: HashSet<&'a str>,
    pub phases: HashSet<&'a str>,
    pub rule_uuids: HashSet<&'a str>,
    pub playbook_uuids: HashSet<&'a str>,
}

impl<'a> Index<'a> {
    pub fn new(res: &'a ResFile) -> Self {
        Index {
            workflows: res
                .workflows()
                .iter()
                .filter_map(|w| w.programmatic_name.get().map(|n| n.as_str()))
                .collect(),
            destination_names: res
                .message_destinations()
                .iter()
                .filter_map(|d| d.name.as_str())
                .collect(),
            destination_handles: res
                .message_destinations()
                .iter()
                .filter_map(|d| d.programmatic_name.get().map(|n| n.as_str()))
                .collect(),
            fields: res
                .fields()
                .iter()
                .filter_map(|f| Some((f.uuid.get()?.as_str(), f)))
                .collect(),
            functions: res
                .functions()
                .iter()
                .filter_map(|f| Some((f.uuid.get()?.as_str(), f)))
                .collect(),
            tables: res
                .data_tables()
                .iter()
                .filter_map(|t| Some((t.type_name.get()?.as_str(), t)))
                .collect(),
            task_names: res
                .automatic_tasks()
                .iter()
                .filter_map(|t| t.programmatic_name.get().map(|n| n.as_str()))
                .collect(),
            task_uuids: res
                .automatic_tasks()
                .iter()
                .filter_map(|t| t.uuid.get().map(|u| u.as_str()))
                .collect(),
            script_names: res
                .scripts()
                .iter()
                .filter_map(|t| t.name.get().map(|n| n.as_str()))
                .collect(),
            script_uuids: res
                .scripts()
                .iter()
                .filter_map(|t| t.uuid.get().map(|u| u.as_str()))
                .collect(),
            phases: res
                .phases()
                .iter()
                .filter_map(|p| p.name.get().map(|n| n.as_str()))
                .collect(),
            rule_uuids: res
                .rules()
                .iter()
                .filter_map(|r| r.uuid.get().map(|u| u.as_str()))
                .collect(),
            playbook_uuids: res
                .playbooks()
                .iter()
                .filter_map(|p| p.uuid.get().map(|u| u.as_str()))
                .collect(),
        }
    }

    /// A built-in object type or a data table of the file.
    pub fn is_object_type(&self, t: &str) -> bool {
        BUILTIN_OBJECT_TYPES.contains(&t) || self.tables.contains_key(t)
    }
}

/// Every kind, in the order of its list key: findings come out in one order whatever order
/// [`Kind::ALL`] has.
pub(super) fn kinds() -> Vec<Kind> {
    let mut kinds = Kind::ALL.to_vec();
    kinds.sort_by_key(|k| k.list_key());
    kinds
}

/// `/list/index`.
pub(super) fn pointer(kind: Kind, index: usize) -> String {
    format!("/{}/{index}", kind.list_key())
}

/// The first non-empty name, else `#index`: how findings name an object whose API name is
/// missing.
pub(super) fn name_or_index(names: &[Option<&str>], index: usize) -> String {
    names
        .iter()
        .flatten()
        .find(|s| !s.is_empty())
        .map(|s| s.to_string())
        .unwrap_or_else(|| format!("#{index}"))
}

/// How findings name each kind's objects in the typed model (API name first, §1.3).
pub(super) fn rule_ref(r: &crate::res::Rule, i: usize) -> ObjectRef {
    ObjectRef::new(
        Kind::Rule,
        name_or_index(
            &[
                r.name.get().map(|n| n.as_str()),
                r.uuid.get().map(|u| u.as_str()),
            ],
            i,
        ),
    )
}

pub(super) fn workflow_ref(w: &crate::res::Workflow, i: usize) -> ObjectRef {
    ObjectRef::new(
        Kind::Workflow,
        name_or_index(
            &[
                w.programmatic_name.get().map(|n| n.as_str()),
                w.name.as_str(),
                w.uuid.get().map(|u| u.as_str()),
            ],
            i,
        ),
    )
}

pub(super) fn function_ref(f: &Function, i: usize) -> ObjectRef {
    ObjectRef::new(
        Kind::Function,
        name_or_index(
            &[
                f.export_key.get().map(|n| n.as_str()),
                f.name.get().map(|n| n.as_str()),
                f.uuid.get().map(|u| u.as_str()),
            ],
            i,
        ),
    )
}

pub(super) fn table_ref(t: &DataTable, i: usize) -> ObjectRef {
    ObjectRef::new(
        Kind::DataTable,
        name_or_index(
            &[
                t.type_name.get().map(|n| n.as_str()),
                t.uuid.get().map(|u| u.as_str()),
            ],
            i,
        ),
    )
}

pub(super) fn script_ref(s: &crate::res::Script, i: usize) -> ObjectRef {
    ObjectRef::new(
        Kind::Script,
        name_or_index(
            &[
                s.name.get().map(|n| n.as_str()),
                s.uuid.get().map(|u| u.as_str()),
            ],
            i,
        ),
    )
}

pub(super) fn playbook_ref(p: &crate::res::Playbook, i: usize) -> ObjectRef {
    ObjectRef::new(
        Kind::Playbook,
        name_or_index(
            &[
                p.name.get().map(|n| n.as_str()),
                p.display_name.as_str(),
                p.uuid.get().map(|u| u.as_str()),
            ],
            i,
        ),
    )
}
