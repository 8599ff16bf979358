//! The deterministic writers: the canonical `.res` bytes and the `resqrawmitre.tar` archive.
//!
//! Same inputs, same bytes (DESIGN.md "Rules for the build"): the resource file is
//! [`crate::res::to_canonical`] of [`crate::package::resource_file`] (sorted keys, 2-space indent,
//! UTF-8, trailing newline); the tar holds `README.md` and `qraw_mitre.res` at its root, sorted,
//! as ustar entries with mode 0644, uid/gid 0, empty owner names and one mtime — the export
//! date, which is fixed per release and follows `SOURCE_DATE_EPOCH` when set. Nothing depends on
//! the clock, the working directory, the user or the file system.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::package::{self, ADMIN_README, RES_FILE_NAME, TAR_FILE_NAME};
use crate::res::{self, ResError, ResFile};

/// The largest mtime a ustar header holds (11 octal digits): year 2242.
const MAX_USTAR_MTIME: i64 = 0o77_777_777_777;

/// Writing the package failed.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("SOURCE_DATE_EPOCH={value:?} is not a valid build date: {reason}")]
    SourceDateEpoch { value: String, reason: String },
    #[error(transparent)]
    Res(#[from] ResError),
    #[error("cannot create the output directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the tar member {member}: {source}")]
    Tar {
        member: String,
        source: std::io::Error,
    },
}

impl crate::help::Help for PackError {
    fn help(&self) -> Option<String> {
        Some(
            match self {
                PackError::SourceDateEpoch { .. } => {
                    "set SOURCE_DATE_EPOCH to whole seconds since 1970 (as `date +%s` prints), or unset it to use the release date"
                }
                PackError::Res(e) => return crate::help::Help::help(e),
                PackError::CreateDir { .. } | PackError::Write { .. } => {
                    "choose a writable directory with --out DIR"
                }
                PackError::Tar { .. } => return None,
            }
            .to_owned(),
        )
    }
}

/// One file the build wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub path: PathBuf,
    /// Lower-case hex sha256 of the file's bytes.
    pub sha256: String,
}

/// `SOURCE_DATE_EPOCH` as the environment gave it (the CLI reads it): `None` when unset, an
/// error when set to anything but whole, non-negative seconds a tar header can hold.
pub fn source_date_epoch(value: Option<&str>) -> Result<Option<i64>, PackError> {
    value.map(parse_source_date_epoch).transpose()
}

/// Parse a `SOURCE_DATE_EPOCH` value (reproducible-builds.org: decimal seconds since the epoch).
pub fn parse_source_date_epoch(value: &str) -> Result<i64, PackError> {
    let bad = |reason: &str| PackError::SourceDateEpoch {
        value: value.to_owned(),
        reason: reason.to_owned(),
    };
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("expected whole seconds since 1970, digits only"));
    }
    let secs: i64 = value.parse().map_err(|_| bad("too large"))?;
    if secs > MAX_USTAR_MTIME {
        return Err(bad("after the year 2242, which a tar header cannot hold"));
    }
    Ok(secs)
}

/// The canonical bytes of a resource file.
pub fn res_bytes(res: &ResFile) -> Result<Vec<u8>, PackError> {
    Ok(res::to_canonical(res)?.into_bytes())
}

/// A ustar archive of `members` (name, bytes), written in name order whatever order they come
/// in, each with mode 0644, uid/gid 0, empty owner names and mtime `mtime_secs`.
pub fn tar_bytes(members: &[(&str, &[u8])], mtime_secs: u64) -> Result<Vec<u8>, PackError> {
    let mut sorted = members.to_vec();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut builder = tar::Builder::new(Vec::new());
    for (name, bytes) in sorted {
        let err = |source| PackError::Tar {
            member: name.to_owned(),
            source,
        };
        let mut header = tar::Header::new_ustar();
        header.set_path(name).map_err(err)?;
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_username("").map_err(err)?;
        header.set_groupname("").map_err(err)?;
        header.set_mtime(mtime_secs);
        header.set_cksum();
        builder.append(&header, bytes).map_err(err)?;
    }
    builder.into_inner().map_err(|source| PackError::Tar {
        member: "(end of archive)".to_owned(),
        source,
    })
}

/// The two files of a build, as (file name, bytes): `qraw_mitre.res` and `resqrawmitre.tar`.
pub fn build_bytes(
    source_date_epoch: Option<i64>,
) -> Result<[(&'static str, Vec<u8>); 2], PackError> {
    let export_date_ms = package::export_date_ms(source_date_epoch);
    let res = res_bytes(&package::resource_file(export_date_ms))?;
    // The export date is at or after 1970 (SOURCE_DATE_EPOCH is checked non-negative).
    let mtime = u64::try_from(export_date_ms / 1000).unwrap_or(0);
    let tar = tar_bytes(
        &[
            ("README.md", ADMIN_README.as_bytes()),
            (RES_FILE_NAME, &res),
        ],
        mtime,
    )?;
    Ok([(RES_FILE_NAME, res), (TAR_FILE_NAME, tar)])
}

/// Write `qraw_mitre.res` and `resqrawmitre.tar` into `out` (created if missing).
pub fn build(out: &Path, source_date_epoch: Option<i64>) -> Result<Vec<Artifact>, PackError> {
    let files = build_bytes(source_date_epoch)?;
    std::fs::create_dir_all(out).map_err(|source| PackError::CreateDir {
        path: out.to_path_buf(),
        source,
    })?;
    let mut artifacts = Vec::new();
    for (name, bytes) in files {
        let path = out.join(name);
        std::fs::write(&path, &bytes).map_err(|source| PackError::Write {
            path: path.clone(),
            source,
        })?;
        artifacts.push(Artifact {
            path,
            sha256: sha256_hex(&bytes),
        });
    }
    Ok(artifacts)
}

/// Lower-case hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_date_epoch_accepts_only_whole_seconds() {
        assert_eq!(parse_source_date_epoch("0").unwrap(), 0);
        assert_eq!(
            parse_source_date_epoch("1700000000").unwrap(),
            1_700_000_000
        );
        for bad in [
            "",
            "-1",
            "1.5",
            " 1",
            "abc",
            "99999999999999999999",
            "8589934592",
        ] {
            let e = parse_source_date_epoch(bad).unwrap_err();
            assert!(e.to_string().contains("SOURCE_DATE_EPOCH"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn tar_members_are_sorted_with_fixed_metadata() {
        let bytes = tar_bytes(&[("b.txt", b"bb"), ("a.txt", b"a")], 1234).unwrap();
        let mut archive = tar::Archive::new(bytes.as_slice());
        let mut seen = vec![];
        for entry in archive.entries().unwrap() {
            let e = entry.unwrap();
            let h = e.header();
            assert_eq!(h.mode().unwrap(), 0o644);
            assert_eq!(h.uid().unwrap(), 0);
            assert_eq!(h.gid().unwrap(), 0);
            assert_eq!(h.mtime().unwrap(), 1234);
            assert_eq!(h.username().unwrap(), Some(""));
            assert!(h.as_ustar().is_some());
            seen.push(e.path().unwrap().to_string_lossy().into_owned());
        }
        assert_eq!(seen, ["a.txt", "b.txt"]);
        assert_eq!(
            bytes,
            tar_bytes(&[("a.txt", b"a"), ("b.txt", b"bb")], 1234).unwrap()
        );
    }

    #[test]
    fn sha256_is_lower_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
