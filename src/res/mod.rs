//! The typed model of SOAR resource files (`.res`): every object kind, the readers for every
//! container IBM tools write, the canonical writer, and the workflow BPMN model.
//!
//! The model is lossless by construction: each kind names the members respack uses as
//! [`Slot`]s (absent, null or typed) and keeps all others in `extra`, so read → write → read
//! gives the same JSON value for every real export.

#[macro_use]
mod objects;
mod error;
mod file;
mod ids;
mod inventory;
mod kind;
pub(crate) mod read;
mod slot;
mod volatile;
mod write;

pub mod bpmn;

pub use error::ResError;
pub use file::ResFile;
pub use ids::*;
pub use inventory::Inventory;
pub use kind::Kind;
pub use objects::*;
pub use read::{from_bytes, load, parse, parse_value, read, Document, Origin, MAX_BYTES};
pub use slot::Slot;
pub use volatile::{strip_object, strip_volatile};
pub use write::{canonical_value, to_canonical};
