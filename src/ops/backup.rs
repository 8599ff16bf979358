//! The full export written before install or uninstall changes anything.
//!
//! Nothing undoes an accepted import on SOAR (`reference/res-format.md` §2.6), so the org as it
//! was is kept in a file: `<org>-<UTC time>-before-<command>.res`, in the canonical form, written
//! through a temporary file and a rename so that a file with that name is always complete, and
//! never over an existing file.
//!
//! The name says everything `respack backups` lists and `respack restore` checks (the org, the
//! time, the command that was about to change the org), so the files need no index beside them:
//! [`list`] reads the folder, [`prune`] keeps the newest of each org.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::Value;

use super::OpsError;

/// The default `--backup-dir`.
pub const DEFAULT_DIR: &str = "respack-backups";

/// `--backup-dir`, or [`DEFAULT_DIR`] when it was not given.
pub fn dir_or_default(dir: Option<PathBuf>) -> PathBuf {
    dir.unwrap_or_else(|| PathBuf::from(DEFAULT_DIR))
}

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

/// One backup file, as its name tells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupFile {
    pub path: PathBuf,
    /// The org's name as the file name has it ([`file_safe`]).
    pub org: String,
    /// `YYYYMMDDTHHMMSSZ`, UTC.
    pub stamp: String,
    /// 1, or the `-N` of a second backup in the same second.
    pub seq: u32,
    /// The command that wrote it: `install`, `uninstall`, `restore`.
    pub command: String,
    pub size: u64,
    /// When the file was written: what orders two backups of the same second whose names differ
    /// by command (an install and the restore that undoes it), which the `-N` does not.
    #[serde(skip)]
    pub modified: SystemTime,
}

impl BackupFile {
    /// Oldest first: by the time in the name, then (for the same second) by when the file was
    /// written, then by the name's `-N`.
    fn order(&self) -> (&str, SystemTime, u32, &Path) {
        (&self.stamp, self.modified, self.seq, &self.path)
    }

    /// The time as `YYYY-MM-DD HH:MM:SS UTC`.
    pub fn when(&self) -> String {
        let s = &self.stamp;
        format!(
            "{}-{}-{} {}:{}:{} UTC",
            &s[0..4],
            &s[4..6],
            &s[6..8],
            &s[9..11],
            &s[11..13],
            &s[13..15]
        )
    }
}

/// The parts of a backup's file name `<org>-<stamp>-before-<command>[-N].res`: org, stamp,
/// command, N. `None` for any other name.
pub fn parse_name(name: &str) -> Option<(String, String, String, u32)> {
    let base = name.strip_suffix(".res")?;
    let (head, tail) = base.rsplit_once("-before-")?;
    let (command, seq) = match tail.split_once('-') {
        Some((c, n)) => (c, n.parse::<u32>().ok().filter(|n| *n >= 2)?),
        None => (tail, 1),
    };
    if command.is_empty() || !command.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    let (org, stamp) = head.rsplit_once('-')?;
    let b = stamp.as_bytes();
    let stamp_ok = b.len() == 16
        && b[8] == b'T'
        && b[15] == b'Z'
        && b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit);
    if org.is_empty() || !stamp_ok {
        return None;
    }
    Some((org.into(), stamp.into(), command.into(), seq))
}

/// The backups in `dir`, oldest first. Other files (the note of a pending import, anything an
/// admin put there) are not backups and are left out; a folder that does not exist has none.
pub fn list(dir: &Path) -> Result<Vec<BackupFile>, OpsError> {
    let io = |source| OpsError::BackupDir {
        path: dir.to_path_buf(),
        source,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(io(e)),
    };
    let mut out = vec![];
    for entry in entries {
        let entry = entry.map_err(io)?;
        let Some((org, stamp, command, seq)) = entry.file_name().to_str().and_then(parse_name)
        else {
            continue;
        };
        let meta = entry.metadata().map_err(io)?;
        if !meta.is_file() {
            continue;
        }
        out.push(BackupFile {
            path: entry.path(),
            org,
            stamp,
            seq,
            command,
            size: meta.len(),
            modified: meta.modified().unwrap_or(UNIX_EPOCH),
        });
    }
    out.sort_by(|a, b| a.order().cmp(&b.order()));
    Ok(out)
}

/// Which backups `--prune KEEP` removes: all but the `keep` newest of each org, oldest first.
/// Per org, so that pruning after a busy day on one org never takes another org's last backup.
pub fn prune(backups: &[BackupFile], keep: usize) -> Vec<BackupFile> {
    let mut out = vec![];
    let orgs: std::collections::BTreeSet<&str> = backups.iter().map(|b| b.org.as_str()).collect();
    for org in orgs {
        let of_org: Vec<&BackupFile> = backups.iter().filter(|b| b.org == org).collect();
        let n = of_org.len().saturating_sub(keep);
        out.extend(of_org.into_iter().take(n).cloned());
    }
    out.sort_by(|a, b| a.order().cmp(&b.order()));
    out
}

/// Remove the backups [`prune`] chose, oldest first; stop at the first that cannot be removed.
pub fn remove(backups: &[BackupFile]) -> Result<(), OpsError> {
    for b in backups {
        std::fs::remove_file(&b.path).map_err(|source| OpsError::Prune {
            path: b.path.clone(),
            source,
        })?;
    }
    Ok(())
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
    let t = crate::civil::UtcTime::from_system(t);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
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
    fn backup_names_parse_and_other_names_do_not() {
        assert_eq!(
            parse_name("Test-Organization-20240229T123456Z-before-install.res"),
            Some((
                "Test-Organization".into(),
                "20240229T123456Z".into(),
                "install".into(),
                1
            ))
        );
        assert_eq!(
            parse_name("x-20240229T123456Z-before-restore-3.res").map(|p| p.3),
            Some(3)
        );
        for other in [
            "pending-import.json",
            "x-20240229T123456Z-before-install.res.tmp",
            "x-2024022T123456Z-before-install.res",
            "-20240229T123456Z-before-install.res",
            "x-20240229T123456Z-before-.res",
            "x-20240229T123456Z-before-install-1.res",
        ] {
            assert_eq!(parse_name(other), None, "{other}");
        }
    }

    #[test]
    fn listing_is_oldest_first_and_pruning_keeps_the_newest_of_each_org() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "a-20240102T000000Z-before-uninstall.res",
            "a-20240101T000000Z-before-install.res",
            "a-20240101T000000Z-before-install-2.res",
            "b-20230101T000000Z-before-install.res",
            "notes.txt",
        ] {
            std::fs::write(dir.path().join(name), "{}").unwrap();
        }
        let all = list(dir.path()).unwrap();
        let names: Vec<String> = all
            .iter()
            .map(|b| b.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "b-20230101T000000Z-before-install.res",
                "a-20240101T000000Z-before-install.res",
                "a-20240101T000000Z-before-install-2.res",
                "a-20240102T000000Z-before-uninstall.res"
            ]
        );
        assert_eq!(all[3].when(), "2024-01-02 00:00:00 UTC");
        assert_eq!(all[3].size, 2);
        let gone = prune(&all, 1);
        assert_eq!(gone, all[1..3].to_vec(), "b's only backup stays");
        remove(&gone).unwrap();
        assert_eq!(list(dir.path()).unwrap(), [all[0].clone(), all[3].clone()]);
        assert!(dir.path().join("notes.txt").exists());
        assert!(list(&dir.path().join("none")).unwrap().is_empty());
    }

    #[test]
    fn backups_of_the_same_second_were_pruned_in_name_order() {
        // An install and the restore that undid it in the same second: `--prune 1` removed the
        // restore's backup (the newer), because "install" < "restore" decided, not the time.
        let dir = tempfile::tempdir().unwrap();
        let write_at = |name: &str, secs: u64| {
            let path = dir.path().join(name);
            let f = std::fs::File::create(&path).unwrap();
            f.set_modified(UNIX_EPOCH + Duration::from_secs(secs))
                .unwrap();
        };
        write_at("o-20240101T000000Z-before-restore.res", 2);
        write_at("o-20240101T000000Z-before-install.res", 1);
        write_at("o-20240101T000000Z-before-uninstall.res", 3);
        let all = list(dir.path()).unwrap();
        let commands: Vec<&str> = all.iter().map(|b| b.command.as_str()).collect();
        assert_eq!(commands, ["install", "restore", "uninstall"]);
        let gone: Vec<String> = prune(&all, 1).into_iter().map(|b| b.command).collect();
        assert_eq!(gone, ["install", "restore"]);
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
