//! A package from any path (`--package PATH`): what the commands need to know about it, read
//! by the one reader of exports and source directories ([`crate::source`]).
//!
//! - A source directory (as `respack unpack` writes it): its `respack.toml` names the package
//!   and its dependencies ([`Provenance::Manifest`]).
//! - Any export (`.res` in every serialisation, `.resz`, a tar, an app zip with `export.res`):
//!   named by its file (or archive member), and its dependencies inferred the way `respack
//!   unpack` infers them for a bare export ([`crate::source::infer_dependencies`]): each message
//!   destination, the functions delivered on it and their input fields ([`Provenance::Inferred`]).
//!
//! The package owns every object it holds except its dependencies and the internal incident
//! type and field every export carries (`reference/res-format.md` §1.10); a bare export, which
//! says nothing of who created what, does not own its data tables and fields either (but for
//! its rules' activity fields): apps carry tables and incident fields other apps created, and
//! an older copy of one must never overwrite the org's. Like dependencies, install creates
//! those when missing and never changes them. What an install created on an org is what
//! [`super::record`] keeps: uninstall trusts that record, not the file, for everything the file
//! alone cannot prove is the package's.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::check::{IntegrationSpec, ObjectSpec, PartSpec};
use super::Package;
use crate::res::{self, Kind, ResFile};
use crate::source::{self, Dependency, Manifest, SourceError};

/// The internal incident type and field every importable file carries (res-format.md §1.10):
/// neither the package's nor a dependency's; install sends them as SOAR needs, uninstall never
/// touches them.
pub const INTERNAL_UUIDS: &[&str] = &[
    crate::package::INTERNAL_INCIDENT_TYPE_UUID,
    crate::package::INTERNAL_FIELD_UUID,
];

/// Whether an object is the internal incident type or field.
pub fn is_internal(object: &Value) -> bool {
    object
        .get("uuid")
        .and_then(Value::as_str)
        .is_some_and(|u| INTERNAL_UUIDS.contains(&u))
}

/// Where a package's line between owned objects and dependencies comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Provenance {
    /// A source directory's `respack.toml` names the dependencies.
    Manifest,
    /// A bare export: the dependencies are inferred (message destinations, their functions and
    /// those functions' inputs); the rest is assumed owned, which only an install record can
    /// confirm.
    Inferred,
}

/// A package read from a path: its name, version and where its ownership comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The manifest's name, or the export's file stem ([`source::export_name`]).
    pub name: String,
    pub version: String,
    pub provenance: Provenance,
    pub path: PathBuf,
}

impl Package {
    /// Read the package at `path`: a source directory or an export in any form respack reads.
    /// Errors name the file, what is wrong with it, and what to do.
    pub fn load(path: &Path) -> Result<Package, SourceError> {
        let (value, manifest, provenance) = if path.is_dir() {
            let loaded = source::load(path, false)?;
            (loaded.value, loaded.manifest, Provenance::Manifest)
        } else {
            let (doc, value) = source::read_export(path)?;
            let name = source::package_name(&source::export_stem(&doc, path));
            let manifest = Manifest::for_export(&name, &value);
            (value, manifest, Provenance::Inferred)
        };
        let res: ResFile = match serde_json::from_value(value.clone()) {
            Ok(res) => res,
            Err(e) => {
                if provenance == Provenance::Manifest {
                    // Read again keeping what names the file and line, as `respack build` does.
                    source::res_bytes(&source::load(path, true)?)?;
                }
                return Err(SourceError::Res(res::ResError::Schema {
                    origin: res::Origin::file(path),
                    pointer: String::new(),
                    message: e.to_string(),
                }));
            }
        };
        Ok(Package::from_parts(
            res,
            &value,
            &manifest,
            Identity {
                name: manifest.package.name.clone(),
                version: manifest.package.version.clone(),
                provenance,
                path: path.to_path_buf(),
            },
        ))
    }

    /// The package of a resource file (`value` is its JSON) whose dependencies `manifest`
    /// names: it owns every other object but the internal ones.
    pub fn from_parts(
        res: ResFile,
        value: &Value,
        manifest: &Manifest,
        identity: Identity,
    ) -> Package {
        let deps = dependency_keys(&manifest.dependencies);
        let carried = |kind: Kind, name: &str| {
            identity.provenance == Provenance::Inferred
                && (kind == Kind::DataTable
                    || (kind == Kind::Field && !name.starts_with("actioninvocation/")))
        };
        let mut owned = Vec::new();
        for kind in Kind::ALL {
            for o in list(value, kind) {
                if is_internal(o) {
                    continue;
                }
                let Some(name) = kind.api_name(o) else {
                    continue;
                };
                if !deps.contains(&(kind, name.to_string())) && !carried(kind, &name) {
                    owned.push((kind, name.into_owned()));
                }
            }
        }
        let integrations = manifest
            .dependencies
            .iter()
            .map(|d| integration(d, value))
            .collect();
        Package {
            res,
            owned,
            integrations,
            identity: Some(identity),
        }
    }
}

fn list(value: &Value, kind: Kind) -> &[Value] {
    value
        .get(kind.list_key())
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Every (kind, API name) the manifest's dependencies name.
fn dependency_keys(deps: &[Dependency]) -> BTreeSet<(Kind, String)> {
    deps.iter()
        .flat_map(|d| d.objects.iter())
        .filter_map(|(key, names)| Some((Kind::from_list_key(key)?, names)))
        .flat_map(|(kind, names)| names.iter().map(move |n| (kind, n.clone())))
        .collect()
}

/// What `check` looks for of one dependency: each object it names, as the package has it.
fn integration(dep: &Dependency, value: &Value) -> IntegrationSpec {
    let find = |kind: Kind, name: &str| {
        list(value, kind)
            .iter()
            .find(|o| kind.api_name(o).as_deref() == Some(name))
    };
    let uuid = |o: &Value| {
        o.get("uuid")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let field_by_uuid = |u: &str| {
        list(value, Kind::Field)
            .iter()
            .find(|f| f.get("uuid").and_then(Value::as_str) == Some(u))
    };
    let mut objects = Vec::new();
    let names = |key: &str| dep.objects.get(key).cloned().unwrap_or_default();
    for name in names("functions") {
        let Some(f) = find(Kind::Function, &name) else {
            continue;
        };
        let parts = f
            .get("view_items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|item| field_by_uuid(item.get("content")?.as_str()?))
            .filter_map(|field| {
                Some(PartSpec {
                    name: field.get("name")?.as_str()?.to_string(),
                    uuid: uuid(field),
                })
            })
            .collect();
        objects.push(ObjectSpec {
            kind: Kind::Function,
            name,
            uuid: uuid(f),
            destination: f
                .get("destination_handle")
                .and_then(Value::as_str)
                .map(str::to_string),
            parts,
        });
    }
    for name in names("message_destinations") {
        if let Some(d) = find(Kind::MessageDestination, &name) {
            objects.push(ObjectSpec {
                kind: Kind::MessageDestination,
                name,
                uuid: uuid(d),
                destination: None,
                parts: vec![],
            });
        }
    }
    for name in names("types") {
        if let Some(t) = find(Kind::DataTable, &name) {
            let parts = t
                .get("fields")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|m| m.iter())
                .map(|(col, c)| PartSpec {
                    name: col.clone(),
                    uuid: uuid(c),
                })
                .collect();
            objects.push(ObjectSpec {
                kind: Kind::DataTable,
                name,
                uuid: uuid(t),
                destination: None,
                parts,
            });
        }
    }
    // Function inputs are checked with their function; other fields stand alone.
    for name in names("fields") {
        if name.starts_with("__function/") {
            continue;
        }
        if let Some(f) = find(Kind::Field, &name) {
            objects.push(ObjectSpec {
                kind: Kind::Field,
                name,
                uuid: uuid(f),
                destination: None,
                parts: vec![],
            });
        }
    }
    IntegrationSpec {
        name: dep.title.clone().unwrap_or_else(|| dep.integration.clone()),
        package: dep.integration.clone(),
        version: dep.version.clone().unwrap_or_default(),
        required: !dep.optional,
        without: None,
        objects,
    }
}
