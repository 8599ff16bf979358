//! `AttackError`: everything that can go wrong while getting ATT&CK data or answering a lookup.

use std::path::PathBuf;

use crate::help::Help;

/// The one error type of the `attack` module. Wording lives here; `help` says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum AttackError {
    /// The bundle file could not be read at all.
    #[error("cannot read ATT&CK bundle {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file starts like gzip but does not inflate (truncated, corrupt).
    #[error("ATT&CK bundle {path} is not a valid gzip file: {reason}")]
    Gzip { path: PathBuf, reason: String },
    /// The (inflated) bytes are not JSON, or not the JSON of a STIX bundle.
    #[error("ATT&CK bundle {origin} is not a STIX bundle: {reason}")]
    NotABundle { origin: String, reason: String },
    /// The data parsed but holds no ATT&CK tactics, so no lookup could ever succeed.
    #[error("{origin} holds no ATT&CK tactics (x-mitre-tactic objects)")]
    NoTactics { origin: String },
    /// A TAXII request failed (connection, HTTP status, or an unexpected answer).
    #[error("TAXII server {url}: {reason}")]
    Taxii { url: String, reason: String },
    /// The TAXII server answered, but has no collection for the requested domain.
    #[error("TAXII server {url} has no collection for {wanted} (collections: {available})")]
    NoCollection {
        url: String,
        wanted: String,
        available: String,
    },
    /// Neither a bundle nor a TAXII server was given, and MITRE's server was not reachable.
    #[error("no ATT&CK source: {reason}")]
    NoSource { reason: String },
    /// The cache folder could not be written (reading problems only ever cause a rebuild).
    #[error("cannot write the ATT&CK cache {path}: {source}")]
    CacheWrite {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The ATT&CK snapshot could not be made, written or read.
    #[error("ATT&CK snapshot: {reason}")]
    Snapshot { reason: String },
    /// A tactic name, shortname or TA id that the data does not have.
    #[error("Tactic {query:?} does not exist in {scope}.")]
    UnknownTactic { query: String, scope: String },
    /// A technique name or T id that the data does not have.
    #[error("Technique {query:?} does not exist in {scope}.")]
    UnknownTechnique { query: String, scope: String },
    /// The object exists but is revoked or deprecated and hidden by default.
    #[error("{kind} {query:?} is {status} in this ATT&CK version{replacement}")]
    Hidden {
        kind: &'static str,
        query: String,
        status: &'static str,
        replacement: String,
    },
}

impl Help for AttackError {
    fn help(&self) -> Option<String> {
        Some(match self {
            AttackError::Read { .. } | AttackError::Gzip { .. } | AttackError::NotABundle { .. } => {
                "pass a STIX 2.0/2.1 bundle as MITRE publishes it (enterprise-attack-18.1.json, plain or .gz) with --bundle FILE".into()
            }
            AttackError::NoTactics { .. } => {
                "check that the file or collection is an ATT&CK domain (enterprise, mobile, ics)".into()
            }
            AttackError::Taxii { .. } | AttackError::NoSource { .. } => {
                "work offline with --bundle FILE (e.g. enterprise-attack-18.1.json from github.com/mitre-attack/attack-stix-data), or point --taxii at a reachable TAXII 2.0/2.1 server".into()
            }
            AttackError::NoCollection { .. } => {
                "choose another --domain, or name the collection with --collection ID".into()
            }
            AttackError::CacheWrite { .. } => {
                "set RESPACK_CACHE_DIR to a writable folder, or pass --no-cache".into()
            }
            AttackError::Snapshot { .. } => {
                "rebuild it with `respack attack snapshot --bundle enterprise-attack-<version>.json.gz --out assets/attack` (see assets/attack/README.md), or pass --bundle FILE".into()
            }
            AttackError::UnknownTactic { .. } => {
                "give a tactic name (\"Command and Control\"), shortname (command-and-control) or id (TA0011); `--domain` selects enterprise, mobile or ics".into()
            }
            AttackError::UnknownTechnique { .. } => {
                "give a technique name (\"Port Knocking\") or id (T1205, T1205.001)".into()
            }
            AttackError::Hidden { .. } => {
                "pass --include-revoked to see revoked and deprecated objects".into()
            }
        })
    }
}
