//! The "QRadar Advisor and MITRE ATT&CK" package (`qraw_mitre.res`) as typed definitions.

/// The dependency integrations' objects (functions, input fields, message destinations, data
/// tables, incident field, and their own workflows and rules), as a `.res` JSON value, for
/// `respack serve --seed-integrations`: what an admin who had installed those integrations has.
pub fn integrations_seed() -> serde_json::Value {
    // Filled in by the package definitions; an empty export until then.
    serde_json::json!({"export_format_version": 2})
}
