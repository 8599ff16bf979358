//! The SOAR REST client: connection settings, authentication, org lookup, export, two-phase
//! import, and list/get/delete of configuration objects.
//!
//! It is the only module that talks to a SOAR org. It knows the REST protocol (paths, session,
//! CSRF header, error bodies) and nothing of the .res model: objects come and go as
//! `serde_json::Value`, so that the typed model in [`crate::res`] and the planner decide what
//! they mean.
//!
//! - [`Settings`] come from an app.config `[resilient]` section as resilient-circuits reads it,
//!   overridden by `RESPACK_*` variables and flags ([`Overrides`]).
//! - [`Client::connect`] opens the session and finds the org; every later call is scoped to it.
//! - Errors ([`SoarError`]) name the call, the status and the server's own message, and their
//!   `help` line the setting to check. No secret appears in any of them, nor in `Debug`.

mod client;
mod error;
mod settings;

pub use client::{
    Client, ExportOptions, ImportDecision, ImportDto, ImportId, ImportMessage, IncidentId, Kind,
    Org, OrgId, Principal, ServerVersion,
};
pub use error::{Hint, SoarError, TransportKind};
pub use settings::{
    default_config_path, Auth, Overrides, Proxy, RetryPolicy, Secret, Settings, Timeouts, Verify,
};
