//! [`ResError`]: everything that can go wrong reading or writing a resource file.
use std::path::PathBuf;

use super::Origin;

/// Reading or writing a resource file failed. Every variant names the file (and the archive
/// member), and where it can, the line and column or the JSON pointer.
#[derive(Debug, thiserror::Error)]
pub enum ResError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{origin}: not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 { origin: Origin, offset: usize },
    #[error("{origin}: invalid JSON at line {line}, column {column}: {message}")]
    Json {
        origin: Origin,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{origin}: a resource file is a JSON object, but this is {found}")]
    NotAnObject { origin: Origin, found: &'static str },
    #[error("{origin}: at {pointer}: {message}")]
    Schema {
        origin: Origin,
        pointer: String,
        message: String,
    },
    #[error("{origin}: larger than the {limit_mib} MiB respack reads")]
    TooLarge { origin: Origin, limit_mib: u64 },
    #[error("{origin}: {message}")]
    Container { origin: Origin, message: String },
    #[error("{origin}: refusing unsafe archive member {member:?}: {reason}")]
    UnsafeMember {
        origin: Origin,
        member: String,
        reason: &'static str,
    },
    #[error("{path}: not a resource file: {reason}")]
    Unrecognised { path: PathBuf, reason: String },
    #[error("cannot serialise the resource file: {0}")]
    Serialise(serde_json::Error),
}

impl crate::help::Help for ResError {
    fn help(&self) -> Option<String> {
        Some(
            match self {
                ResError::Io { .. } => "check the path and its permissions",
                ResError::Write { .. } => "check that the output directory exists and is writable",
                ResError::NotUtf8 { .. } | ResError::Json { .. } | ResError::NotAnObject { .. } => {
                    "export the file again from SOAR (Administrator Settings → Organization → Export)"
                }
                ResError::Schema { .. } => "run `respack validate FILE` for every finding in the file",
                ResError::TooLarge { .. } => "split the export with `resilient-sdk extract`",
                ResError::Container { .. } | ResError::Unrecognised { .. } => {
                    "respack reads .res (JSON), .resz (zip) and .tar/.tar.gz holding one .res"
                }
                ResError::UnsafeMember { .. } => "the archive may be hostile; rebuild it with `respack build`",
                ResError::Serialise(_) => return None,
            }
            .to_string(),
        )
    }
}
