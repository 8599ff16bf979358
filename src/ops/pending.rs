//! An import respack could not finish, noted so that the next run finds it and rejects it.
//!
//! SOAR's REST API documents no way to list pending imports (`reference/res-format.md` §2.6:
//! only POST, and PUT of the DTO with `ACCEPTED` or `REJECTED`), so an import whose acceptance
//! or rejection got no answer can only be found again through its id. respack writes that id
//! and the DTO beside the backups (`<org>-pending-import.json` in `--backup-dir`) and, at the
//! start of the next install or uninstall of the same org, sends the DTO back with `REJECTED`:
//! a pending import is discarded (it had changed nothing), one that was applied or discarded
//! meanwhile is refused (HTTP 404 or 409) and only forgotten. Either way the note is removed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::OpsError;
use crate::soar::{Client, ImportDecision, ImportDto, ImportId, SoarError};

/// What the note holds.
#[derive(Debug, Serialize, Deserialize)]
struct Note {
    org_id: u64,
    org: String,
    import_id: u64,
    dto: Value,
}

/// What became of an import left pending by an earlier run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// It was still pending: now rejected.
    Rejected(ImportId),
    /// The org no longer had it pending (applied or discarded meanwhile).
    NotPending(ImportId),
}

/// The note's path for the org `client` works in.
pub fn path(dir: &Path, client: &Client) -> PathBuf {
    dir.join(format!(
        "{}-pending-import.json",
        super::backup::file_safe(&client.org().name)
    ))
}

/// Note `dto` as left pending; returns the note's path.
pub fn remember(dir: &Path, client: &Client, dto: &ImportDto) -> Result<PathBuf, OpsError> {
    let path = path(dir, client);
    let note = Note {
        org_id: client.org().id.0,
        org: client.org().name.clone(),
        import_id: dto.id.0,
        dto: dto.raw.clone(),
    };
    let io = |source| OpsError::Journal {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let text = serde_json::to_string_pretty(&note).map_err(|e| io(e.into()))?;
    std::fs::write(&path, text + "\n").map_err(io)?;
    Ok(path)
}

/// Reject the import an earlier run left pending on this org, if it noted one. An error of the
/// rejection itself is returned as is (the note stays for the next run).
pub fn resolve(dir: &Path, client: &Client) -> Result<Option<Resolved>, ResolveError> {
    let path = path(dir, client);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(ResolveError::Note(Box::new(OpsError::Journal {
                path,
                source,
            })))
        }
    };
    let note: Note = serde_json::from_str(&text).map_err(|e| {
        ResolveError::Note(Box::new(OpsError::Journal {
            path: path.clone(),
            source: e.into(),
        }))
    })?;
    if note.org_id != client.org().id.0 {
        // Another org of the same name (another server): not this org's import.
        return Ok(None);
    }
    let id = ImportId(note.import_id);
    let dto = ImportDto {
        id,
        status: "PENDING".into(),
        messages: vec![],
        raw: note.dto,
    };
    let resolved = match client.import_finish(&dto, ImportDecision::Reject) {
        Ok(_) => Resolved::Rejected(id),
        Err(SoarError::Http {
            status: 404 | 409, ..
        }) => Resolved::NotPending(id),
        Err(e) => return Err(ResolveError::Soar(id, e)),
    };
    std::fs::remove_file(&path)
        .map_err(|source| ResolveError::Note(Box::new(OpsError::Journal { path, source })))?;
    Ok(Some(resolved))
}

/// Why an earlier run's pending import could not be resolved.
#[derive(Debug)]
pub enum ResolveError {
    /// The note could not be read or removed.
    Note(Box<OpsError>),
    /// The rejection failed.
    Soar(ImportId, SoarError),
}
