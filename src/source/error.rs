//! [`SourceError`]: everything that can go wrong reading, writing or building a package source
//! directory, with the wording in one place.

use std::path::PathBuf;

use crate::res::ResError;

/// A source directory could not be written, read or built.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Res(#[from] ResError),
    #[error("{path} is not empty: respack unpacks into a new or empty directory only")]
    OutNotEmpty { path: PathBuf },
    #[error("{path} is a symbolic link: respack neither writes through nor reads through links in a source directory")]
    Symlink { path: PathBuf },
    #[error("cannot create {path}: {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a package source directory: it has no respack.toml")]
    NotASource { path: PathBuf },
    #[error("{path}: {message}")]
    Manifest { path: PathBuf, message: String },
    #[error("{path}:{line}:{column}: invalid JSON: {message}")]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Layout { path: PathBuf, message: String },
    #[error("{path}:{line}: {message}")]
    Order {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}{}: the object does not fit the resource file model: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Model {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },
    #[error("cannot write the package: {0}")]
    Pack(#[from] crate::pack::PackError),
}

impl crate::help::Help for SourceError {
    fn help(&self) -> Option<String> {
        Some(
            match self {
                SourceError::Res(e) => return e.help(),
                SourceError::Pack(e) => return e.help(),
                SourceError::OutNotEmpty { .. } => {
                    "choose a new directory with --out DIR (an existing source is never overwritten)"
                }
                SourceError::Symlink { .. } => "replace the link with the file or directory itself",
                SourceError::Create { .. } => "choose a writable directory with --out DIR",
                SourceError::Read { .. } => "check the path and its permissions",
                SourceError::NotASource { .. } => {
                    "`respack unpack FILE --out DIR` makes a source directory from an export"
                }
                SourceError::Manifest { .. } => {
                    "respack.toml needs [package] name = \"...\" and version = \"...\"; docs/SOURCE.md describes it"
                }
                SourceError::Json { .. } => "fix the JSON syntax at that line",
                SourceError::Layout { .. } | SourceError::Order { .. } => {
                    "docs/SOURCE.md describes the layout of a source directory"
                }
                SourceError::Model { .. } => "fix the member's type at that line",
            }
            .to_owned(),
        )
    }
}
