//! One typed struct per object kind of a resource file.
//!
//! Each struct names the members respack reads (identity, references, what `show` prints) as
//! [`Slot`](super::Slot)s and keeps every other member in `extra`, so reading and writing an
//! object never loses or reorders meaning. The member lists follow `reference/res-format.md` §1.4.

/// Declares a model struct: every named member becomes a `Slot` that is skipped when absent,
/// and unknown members are kept in `extra`.
macro_rules! res_object {
    (
        $(#[$doc:meta])*
        pub struct $name:ident {
            $( $(#[$fdoc:meta])* $(@rename($wire:literal))? $field:ident : $ty:ty, )*
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
        pub struct $name {
            $(
                $(#[$fdoc])*
                $(#[serde(rename = $wire)])?
                #[serde(default, skip_serializing_if = "crate::res::Slot::is_absent")]
                pub $field: crate::res::Slot<$ty>,
            )*
            /// Members this model does not name, kept verbatim.
            #[serde(flatten)]
            pub extra: serde_json::Map<String, serde_json::Value>,
        }
    };
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
