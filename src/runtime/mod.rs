//! The reference function runtime: the five functions the package's workflows call, and the
//! workflow engine that runs a workflow's steps and python3 scripts locally.
//!
//! A function takes its inputs keyed by input API name (as the integration's Python component
//! receives them) and returns the JSON result the integration would send back to SOAR, or a
//! [`FunctionError`] carrying the message SOAR would show.

mod dispatch;
pub mod engine;
pub mod mitre;
pub mod qradar;
pub mod setup;
pub(crate) mod shim;
pub mod story;
pub mod ui;

pub use dispatch::Runtime;
pub use engine::{Context, Engine, FunctionRuntime, Outcome};
pub use shim::{DEFAULT_PYTHON, SHIM};

/// Inputs of one function call, keyed by input API name (for example `qradar_offense_id`).
pub type Inputs = serde_json::Map<String, serde_json::Value>;

/// A function call that failed, with the message the integration would raise.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{function}: {message}")]
pub struct FunctionError {
    /// API name of the function, e.g. `qradar_advisor_offense_analysis`.
    pub function: String,
    /// What went wrong, as the integration's `FunctionError` says it.
    pub message: String,
}

impl FunctionError {
    pub fn new(function: impl Into<String>, message: impl Into<String>) -> Self {
        FunctionError {
            function: function.into(),
            message: message.into(),
        }
    }
}

impl crate::help::Help for FunctionError {}

/// The result of a successful call, and the status messages the function sent on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionOutput {
    pub result: serde_json::Value,
    pub messages: Vec<String>,
}
