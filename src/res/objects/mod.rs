//! One typed struct per object kind of a resource file.
//!
//! Each struct names the members respack reads (identity, references, what `show` prints) as
//! [`Slot`](super::Slot)s and keeps every other member in `extra`, so reading and writing an
//! object never loses or reorders meaning. The member lists follow `reference/res-format.md` §1.4.

/// Declares a model struct: every named member becomes a `Slot` that is skipped when absent,
/// and unknown members are kept in `extra`.
///
/// Deserialize is written out rather than derived: serde's `flatten` buffers every member of
/// every object in an intermediate tree before sorting the known from the unknown, which made
/// reading the model twice the work of reading the same text as a `serde_json::Value`. This
/// reads each member once, straight into its slot or into `extra`, and keeps what the derive
/// did: a known member given twice is an error, an unknown one given twice keeps the last.
macro_rules! res_object {
    (
        $(#[$doc:meta])*
        pub struct $name:ident {
            $( $(#[$fdoc:meta])* $(@rename($wire:literal))? $field:ident : $ty:ty, )*
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
        pub struct $name {
            $(
                $(#[$fdoc])*
                $(#[serde(rename = $wire)])?
                #[serde(skip_serializing_if = "crate::res::Slot::is_absent")]
                pub $field: crate::res::Slot<$ty>,
            )*
            /// Members this model does not name, kept verbatim.
            #[serde(flatten)]
            pub extra: serde_json::Map<String, serde_json::Value>,
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct Visitor;
                impl<'de> serde::de::Visitor<'de> for Visitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!("struct ", stringify!($name)))
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<$name, A::Error> {
                        let mut out = $name::default();
                        while let Some(key) = map.next_key::<crate::res::slot::Key<'de>>()? {
                            $(
                                if key.0 == res_object!(@wire $field $($wire)?) {
                                    if !out.$field.is_absent() {
                                        return Err(serde::de::Error::duplicate_field(
                                            res_object!(@wire $field $($wire)?),
                                        ));
                                    }
                                    out.$field = map.next_value()?;
                                    continue;
                                }
                            )*
                            let value = map.next_value()?;
                            out.extra.insert(key.0.into_owned(), value);
                        }
                        Ok(out)
                    }
                }
                d.deserialize_map(Visitor)
            }
        }
    };
    (@wire $field:ident) => { stringify!($field) };
    (@wire $field:ident $wire:literal) => { $wire };
}

mod datatable;
mod destination;
mod field;
mod function;
mod misc;
mod playbook;
mod rule;
mod script;
mod workflow;

pub use datatable::DataTable;
pub use destination::MessageDestination;
pub use field::{Field, SelectValue};
pub use function::Function;
pub use misc::{ArtifactType, AutomaticTask, IncidentType, NamedObject, Phase, ViewItem};
pub use playbook::{Playbook, PlaybookContent};
pub use rule::{Condition, Rule};
pub use script::Script;
pub use workflow::{Workflow, WorkflowContent};

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_member_name_written_with_an_escape_is_still_the_known_member() {
        let f: Function =
            serde_json::from_str(r#"{"na\u006de": "fn_x", "other": [1, {"a": null}]}"#).unwrap();
        assert_eq!(f.name.get().map(|n| n.as_str()), Some("fn_x"));
        assert_eq!(f.extra.get("other"), Some(&json!([1, {"a": null}])));
        assert!(f.uuid.is_absent());
    }

    #[test]
    fn a_known_member_given_twice_is_refused() {
        let e = serde_json::from_str::<Function>(r#"{"name": "a", "name": "b"}"#).unwrap_err();
        assert!(e.to_string().contains("duplicate field `name`"), "{e}");
    }

    #[test]
    fn an_unknown_member_given_twice_keeps_the_last_as_a_value_does() {
        let text = r#"{"x": 1, "name": null, "x": 2}"#;
        let f: Function = serde_json::from_str(text).unwrap();
        assert_eq!(f.extra.get("x"), Some(&json!(2)));
        assert_eq!(f.name, crate::res::Slot::Null);
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_value(&f).unwrap(), value);
    }

    #[test]
    fn a_renamed_member_is_read_by_its_wire_name_and_a_wrong_type_is_named() {
        let r: Rule = serde_json::from_value(json!({"type": 1, "rule_type": "x"})).unwrap();
        assert_eq!(r.rule_type.get(), Some(&1));
        assert_eq!(r.extra.get("rule_type"), Some(&json!("x")));
        let e = serde_json::from_value::<Rule>(json!({"type": "one"})).unwrap_err();
        assert!(e.to_string().contains("expected i64"), "{e}");
        let e = serde_json::from_value::<Rule>(json!([1])).unwrap_err();
        assert!(e.to_string().contains("expected struct Rule"), "{e}");
    }
}
