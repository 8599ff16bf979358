//! The full export written before install or uninstall changes anything.
//!
//! Nothing undoes an accepted import on SOAR (`reference/res-format.md` §2.6), so the org as it
//! was is kept in a file: `<org>-<UTC time>-before-<command>.res`, in the canonical form, written
//! through a temporary file and a rename so that a file with that name is always complete, and
//! never over an existing file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::OpsError;

/// The default `--backup-dir`.
pub const DEFAULT_DIR: &str = "respack-backups";

/// Write `export` into `dir` (created if needed); returns the file's path.
pub fn write(dir: &Path, org: &str, command: &str, export: &Value) -> Result<PathBuf, OpsError> {
    let stamp = utc_stamp(SystemTime::now());
    let base = format!("{}-{stamp}-before-{command}", file_safe(org));
    let io = |path: &Path, source| OpsError::Backup {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let text = crate::res::canonical_value(export).map_err(|e| {
        io(
            dir,
            std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
        )
    })?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| io(dir, e))?;
    tmp.write_all(text.as_bytes())
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| io(tmp.path(), e))?;
    // Two backups in the same second get -2, -3, ...: an earlier backup is never replaced.
    for n in 1u32.. {
        let name = if n == 1 {
            format!("{base}.res")
        } else {
            format!("{base}-{n}.res")
        };
        let path = dir.join(name);
        match tmp.persist_noclobber(&path) {
            Ok(_) => return Ok(path),
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => tmp = e.file,
            Err(e) => return Err(io(&path, e.error)),
        }
    }
    unreachable!("u32 suffixes run out before files do")
}

/// The org name as a file name: letters, digits, `-`, `_` and `.`; anything else becomes `-`.
pub(crate) fn file_safe(org: &str) -> String {
    let s: String = org
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches(['-', '.']).to_string();
    if s.is_empty() {
        "org".into()
    } else {
        s
    }
}

/// `YYYYMMDDTHHMMSSZ` in UTC.
fn utc_stamp(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn stamps_are_utc_calendar_times() {
        assert_eq!(utc_stamp(UNIX_EPOCH), "19700101T000000Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_709_210_096); // 2024-02-29 12:34:56
        assert_eq!(utc_stamp(t), "20240229T123456Z");
    }

    #[test]
    fn org_names_become_file_names() {
        assert_eq!(file_safe("Test Organization"), "Test-Organization");
        assert_eq!(file_safe("../x/y"), "x-y");
        assert_eq!(file_safe("///"), "org");
    }

    #[test]
    fn backups_are_canonical_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let export = serde_json::json!({"b": 1, "a": [1]});
        let one = write(dir.path(), "Test Organization", "install", &export).unwrap();
        let two = write(dir.path(), "Test Organization", "install", &export).unwrap();
        assert_ne!(one, two);
        let name = one.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with("Test-Organization-"), "{name}");
        assert!(name.ends_with("-before-install.res"), "{name}");
        assert_eq!(
            std::fs::read_to_string(&one).unwrap(),
            "{\n  \"a\": [\n    1\n  ],\n  \"b\": 1\n}\n"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no temp files left"
        );
    }
}
