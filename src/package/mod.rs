//! The "QRadar Advisor and MITRE ATT&CK" package (`qraw_mitre.res`) as typed definitions.

use crate::res::ResFile;

/// The package's resource file, with `export_date` set to `export_date_ms` (epoch ms).
pub fn resource_file(export_date_ms: i64) -> ResFile {
    // Replaced by the package definitions.
    ResFile {
        export_format_version: 2.into(),
        export_date: export_date_ms.into(),
        ..Default::default()
    }
}

/// The export date of this release in epoch ms, or `SOURCE_DATE_EPOCH` (seconds) when the
/// caller passes it.
pub fn export_date_ms(source_date_epoch: Option<i64>) -> i64 {
    source_date_epoch
        .map(|s| s * 1000)
        .unwrap_or(RELEASE_EXPORT_DATE_MS)
}

/// Fixed per release so that two builds of one release are byte-identical.
pub const RELEASE_EXPORT_DATE_MS: i64 = 1_795_737_600_000;

/// The dependency integrations' objects (functions, input fields, message destinations, data
/// tables, incident field, and their own workflows and rules), as a `.res` JSON value, for
/// `respack serve --seed-integrations`: what an admin who had installed those integrations has.
pub fn integrations_seed() -> serde_json::Value {
    // Filled in by the package definitions; an empty export until then.
    serde_json::json!({"export_format_version": 2})
}
