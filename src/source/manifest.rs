//! `respack.toml`: the package's name and version, the tar a build also writes, and the
//! dependencies — objects the package carries because it needs them, not because it owns them.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::names::is_plain_file_name;
use super::SourceError;
use crate::res::Kind;

/// The manifest's file name, at the root of a source directory.
pub const MANIFEST: &str = "respack.toml";

/// What `respack.toml` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub package: PackageMeta,
    /// Present when a build also writes a tar holding the `.res` and other files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tar: Option<TarSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<Dependency>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageMeta {
    /// The build writes `<name>.res`.
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TarSpec {
    /// The archive's file name, e.g. `resqrawmitre.tar`.
    pub file: String,
    /// Files of the source directory's root that go into the archive beside the `.res`.
    #[serde(default)]
    pub include: Vec<String>,
}

/// One integration (or app) the package needs, and the objects of it the package carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
// No `deny_unknown_fields`: serde does not support it beside `flatten`; the map takes the rest.
pub struct Dependency {
    /// Its Python package, which is also its message destination's programmatic name.
    pub integration: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
    /// API names per object list (`functions`, `fields`, `message_destinations`, `types`).
    #[serde(flatten)]
    pub objects: BTreeMap<String, Vec<String>>,
}

impl Manifest {
    /// Parse and check a manifest's text (`path` names it in errors).
    pub fn parse(path: &Path, text: &str) -> Result<Manifest, SourceError> {
        let bad = |message: String| SourceError::Manifest {
            path: path.to_path_buf(),
            message,
        };
        let m: Manifest = toml::from_str(text).map_err(|e| bad(e.message().to_owned()))?;
        m.check().map_err(bad)?;
        Ok(m)
    }

    fn check(&self) -> Result<(), String> {
        let name = &self.package.name;
        if !is_plain_file_name(&format!("{name}.res")) || name.contains(['%', '~']) {
            return Err(format!(
                "package name {name:?} cannot name a file: use letters, digits, '-', '_' and '.'"
            ));
        }
        if let Some(tar) = &self.tar {
            for f in std::iter::once(&tar.file).chain(&tar.include) {
                if !is_plain_file_name(f) {
                    return Err(format!(
                        "tar file {f:?} is not a plain file name in the source directory"
                    ));
                }
            }
            if tar.include.iter().any(|f| *f == format!("{name}.res")) {
                return Err(format!(
                    "tar.include names {name}.res, which the build writes"
                ));
            }
        }
        Ok(())
    }

    /// The manifest's text: a comment saying what the file is, then TOML.
    pub fn render(&self) -> Result<String, SourceError> {
        let body = toml::to_string(self).map_err(|e| SourceError::Manifest {
            path: MANIFEST.into(),
            message: e.to_string(),
        })?;
        Ok(format!(
            "# A respack package source: `respack build DIR` turns this directory into <name>.res.\n\
             # docs/SOURCE.md describes the layout.\n\n{body}"
        ))
    }

    /// The manifest for the built-in package: `respack build` writes its tar with the admin's
    /// README, and its dependencies are the integrations the package names.
    pub fn builtin() -> Manifest {
        let dependencies = crate::package::dependencies()
            .iter()
            .map(|i| {
                let mut objects: BTreeMap<String, Vec<String>> = BTreeMap::new();
                for o in i.objects() {
                    objects
                        .entry(o.kind.list_key().to_owned())
                        .or_default()
                        .push(o.api_name);
                }
                Dependency {
                    integration: i.package.to_owned(),
                    title: Some(i.name.to_owned()),
                    version: Some(i.version.to_owned()),
                    optional: !i.required,
                    objects,
                }
            })
            .collect();
        Manifest {
            package: PackageMeta {
                name: crate::package::RES_FILE_NAME
                    .trim_end_matches(".res")
                    .to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
            },
            tar: Some(TarSpec {
                file: crate::package::TAR_FILE_NAME.to_owned(),
                include: vec![BUILTIN_README.to_owned()],
            }),
            dependencies,
        }
    }

    /// A manifest for an export, named `name`, with the dependencies [`infer_dependencies`]
    /// finds.
    pub fn for_export(name: &str, value: &Value) -> Manifest {
        Manifest {
            package: PackageMeta {
                name: name.to_owned(),
                version: "0.0.0".to_owned(),
            },
            tar: None,
            dependencies: infer_dependencies(value),
        }
    }
}

/// The admin's guide the built-in package's tar carries, as the source directory names it.
pub const BUILTIN_README: &str = "README.md";

/// What a bare export's dependencies safely are: every function runs in an integration, which
/// owns the function, its input fields and its message destination. So each message
/// destination is one dependency, with the functions sent to it and their input fields. Data
/// tables and incident fields are not listed: an export does not say whether it created them.
pub fn infer_dependencies(value: &Value) -> Vec<Dependency> {
    let list = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    };
    let field_by_uuid: BTreeMap<&str, String> = list("fields")
        .iter()
        .filter_map(|f| {
            let uuid = f.get("uuid")?.as_str()?;
            Some((uuid, Kind::Field.api_name(f)?.into_owned()))
        })
        .collect();
    let mut out = Vec::new();
    for d in list("message_destinations") {
        let Some(dest) = Kind::MessageDestination.api_name(d) else {
            continue;
        };
        let mut objects: BTreeMap<String, Vec<String>> = BTreeMap::new();
        objects.insert("message_destinations".into(), vec![dest.to_string()]);
        for f in list("functions") {
            if f.get("destination_handle").and_then(Value::as_str) != Some(&dest) {
                continue;
            }
            let Some(name) = Kind::Function.api_name(f) else {
                continue;
            };
            objects
                .entry("functions".into())
                .or_default()
                .push(name.into_owned());
            let inputs = f.get("view_items").and_then(Value::as_array);
            for item in inputs.into_iter().flatten() {
                let input = item.get("content").and_then(Value::as_str);
                if let Some(field) = input.and_then(|u| field_by_uuid.get(u)) {
                    let fields = objects.entry("fields".into()).or_default();
                    if !fields.contains(field) {
                        fields.push(field.clone());
                    }
                }
            }
        }
        out.push(Dependency {
            integration: dest.into_owned(),
            title: None,
            version: None,
            optional: false,
            objects,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_manifest_round_trips_through_its_text() {
        let m = Manifest::builtin();
        let text = m.render().unwrap();
        assert_eq!(Manifest::parse(Path::new(MANIFEST), &text).unwrap(), m);
        assert!(
            text.contains("integration = \"fn_qradar_advisor\""),
            "{text}"
        );
        assert!(text.contains("qradar_advisor_offense_analysis"), "{text}");
    }

    #[test]
    fn unsafe_names_in_the_manifest_are_refused() {
        for bad in [
            "[package]\nname = \"../x\"\nversion = \"1\"\n",
            "[package]\nname = \"x\"\nversion = \"1\"\n[tar]\nfile = \"/etc/x.tar\"\n",
            "[package]\nname = \"x\"\nversion = \"1\"\n[tar]\nfile = \"x.tar\"\ninclude = [\"../secret\"]\n",
            "[package]\nname = \"x\"\n",
            "[package]\nname = \"x\"\nversion = \"1\"\nsurprise = 1\n",
        ] {
            let e = Manifest::parse(Path::new("respack.toml"), bad).unwrap_err();
            assert!(e.to_string().starts_with("respack.toml: "), "{e}");
        }
    }

    #[test]
    fn functions_and_their_inputs_are_dependencies_of_a_bare_export() {
        let v = serde_json::json!({
            "message_destinations": [{"programmatic_name": "fn_x"}],
            "functions": [
                {"export_key": "f1", "destination_handle": "fn_x", "view_items": [{"content": "u1"}]},
                {"export_key": "f2", "destination_handle": "other"}
            ],
            "fields": [{"export_key": "__function/a", "uuid": "u1"}]
        });
        let deps = infer_dependencies(&v);
        assert_eq!(deps.len(), 1);
        assert_eq!(deps[0].integration, "fn_x");
        assert_eq!(deps[0].objects["functions"], ["f1"]);
        assert_eq!(deps[0].objects["fields"], ["__function/a"]);
    }
}
