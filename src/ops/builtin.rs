//! The qraw_mitre package as [`Package`]: its resource file, its own objects, and what
//! `check` looks for in each dependency integration, read from [`crate::package`].

use super::check::{IntegrationSpec, ObjectSpec, PartSpec};
use super::Package;
use crate::package::{self, handles::ObjectType, owned, Integration};
use crate::res::Kind;

impl Package {
    /// The qraw_mitre package.
    pub fn builtin() -> Package {
        Package {
            res: package::resource_file(package::export_date_ms(None)),
            owned: package::owned()
                .into_iter()
                .map(|o| (o.kind, o.api_name))
                .collect(),
            integrations: package::dependencies()
                .into_iter()
                .map(integration)
                .collect(),
            identity: None,
        }
    }
}

/// The stories (as `respack run` names them) that need an integration: those whose rule runs on
/// rows of one of its data tables.
fn stories_needing(i: &Integration) -> Vec<String> {
    owned::RULES
        .iter()
        .filter(|r| match r.object_type {
            ObjectType::Table(t) => i.tables.iter().any(|it| it.type_name == t.type_name),
            _ => false,
        })
        .map(|r| {
            let story = if std::ptr::eq(*r, &owned::MAP_RULE_RULE) {
                "map-rule"
            } else {
                "offense-analysis"
            };
            format!(
                "the {story} story is unavailable (rule {:?} runs on rows of {})",
                r.name,
                r.object_type.as_str()
            )
        })
        .collect()
}

fn integration(i: &'static Integration) -> IntegrationSpec {
    let mut objects = vec![];
    for f in i.functions {
        objects.push(ObjectSpec {
            kind: Kind::Function,
            name: f.name.to_string(),
            uuid: f.uuid.to_string(),
            destination: Some(f.destination.programmatic_name.to_string()),
            parts: f
                .inputs
                .iter()
                .map(|p| PartSpec {
                    name: p.name.to_string(),
                    uuid: p.uuid.to_string(),
                })
                .collect(),
        });
    }
    for d in i.destinations {
        objects.push(ObjectSpec {
            kind: Kind::MessageDestination,
            name: d.programmatic_name.to_string(),
            uuid: d.uuid.to_string(),
            destination: None,
            parts: vec![],
        });
    }
    for t in i.tables {
        objects.push(ObjectSpec {
            kind: Kind::DataTable,
            name: t.type_name.to_string(),
            uuid: t.uuid(),
            destination: None,
            parts: t
                .columns
                .iter()
                .map(|c| PartSpec {
                    name: c.name.to_string(),
                    uuid: t.column_uuid(c),
                })
                .collect(),
        });
    }
    for f in i.incident_fields {
        objects.push(ObjectSpec {
            kind: Kind::Field,
            name: format!("incident/{}", f.name),
            uuid: f.uuid.to_string(),
            destination: None,
            parts: vec![],
        });
    }
    let stories = stories_needing(i);
    IntegrationSpec {
        name: i.name.to_string(),
        package: i.package.to_string(),
        version: i.version.to_string(),
        required: i.required,
        without: (!stories.is_empty()).then(|| stories.join(" and ")),
        objects,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_package_owns_two_rules_two_workflows_and_a_table() {
        let p = Package::builtin();
        let kinds: Vec<Kind> = p.owned.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            kinds,
            [
                Kind::Rule,
                Kind::Rule,
                Kind::Workflow,
                Kind::Workflow,
                Kind::DataTable
            ]
        );
        let optional: Vec<_> = p.integrations.iter().filter(|i| !i.required).collect();
        assert_eq!(optional.len(), 1);
        let without = optional[0].without.as_deref().unwrap();
        assert!(without.starts_with("the map-rule story"), "{without}");
    }

    #[test]
    fn the_package_check_passes_on_its_own_seed() {
        let p = Package::builtin();
        let r =
            super::super::CheckReport::new("seed", &p.integrations, &package::integrations_seed());
        assert!(r.ok, "{r:#?}");
        assert!(
            r.integrations
                .iter()
                .all(|i| i.status == super::super::check::IntegrationStatus::Installed),
            "{r:#?}"
        );
    }
}
