//! Identifier newtypes, one per kind of reference, so that a workflow name can never be passed
//! where a function name is expected.
//!
//! They are plain strings on the wire (`#[serde(transparent)]`): SOAR's API names are free text
//! in some kinds (rule names carry spaces, `::` and non-ASCII), so nothing is normalised here.

macro_rules! ident {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn new(s: impl Into<String>) -> Self {
                $name(s.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_string())
            }
        }
    };
}

ident!(
    /// An object's `uuid`: the identity SOAR matches on import, together with the API name.
    ObjectUuid
);
ident!(
    /// A workflow's `programmatic_name` (rules and sub-workflow calls refer to it).
    WorkflowName
);
ident!(
    /// A function's API name (`export_key` = `name`); workflows refer to functions by uuid.
    FunctionName
);
ident!(
    /// A data table's `type_name`.
    TableName
);
ident!(
    /// A rule's name: rules have no programmatic name, the display name is the API name.
    RuleName
);
ident!(
    /// A message destination's `programmatic_name` (functions refer to it as `destination_handle`).
    DestinationName
);
ident!(
    /// A field's `name`, unique within its type (incident, actioninvocation, __function, a table).
    FieldName
);
ident!(
    /// A script's name; rules point at scripts by display name.
    ScriptName
);
ident!(
    /// An automatic task's `programmatic_name`.
    TaskName
);
ident!(
    /// A phase's name (tasks refer to phases by name in `phase_id`).
    PhaseName
);
ident!(
    /// A playbook's API name.
    PlaybookName
);
