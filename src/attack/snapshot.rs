//! The ATT&CK snapshot shipped inside the binary, so `respack attack` and `respack demo` answer
//! with no bundle, no cache and no network.
//!
//! The snapshot is an index ([`super::IndexData`]) in the cache's binary encoding
//! (`codec.rs`), gzip-compressed: a lookup inflates about 3 MB and decodes it, instead of
//! parsing MITRE's 33 MB of JSON. It is made from MITRE's published enterprise bundle by
//!
//! ```text
//! respack attack snapshot --bundle enterprise-attack-18.1.json.gz --out assets/attack
//! ```
//!
//! which writes [`FILE_NAME`] and, beside it, [`LICENSE_FILE`] with MITRE's copyright
//! designation and license, as MITRE's terms require of any copy. The same bundle always gives
//! the same bytes (the test `attack::shipped_snapshot_is_what_the_snapshot_command_makes`
//! rebuilds it and compares).
//!
//! File layout: the magic line `respack-attack-snapshot\n`, the codec format (`u32` LE, the
//! cache's format number), the ATT&CK version as a length-prefixed string (read without
//! inflating, to compare with a cached download), then the gzip stream of the encoded index.

use std::io::{Read, Write};
use std::path::Path;

use super::cache::FORMAT;
use super::index::Index;
use super::{codec, AttackError};

/// The snapshot's file name in the asset folder.
pub const FILE_NAME: &str = "enterprise-attack.snapshot";
/// MITRE's copyright designation and license, beside the snapshot.
pub const LICENSE_FILE: &str = "LICENSE-ATTACK.txt";

const MAGIC: &[u8] = b"respack-attack-snapshot\n";

/// The snapshot built into this binary.
static SHIPPED: &[u8] = include_bytes!("../../assets/attack/enterprise-attack.snapshot");

/// MITRE's ATT&CK license with its copyright designation (mitre/cti `LICENSE.txt`, ATT&CK part,
/// at the snapshot's release). Printed by `respack attack license`, written beside the snapshot.
pub const LICENSE: &str = "\
MITRE ATT&CK® data in this folder (the snapshot respack ships) comes from MITRE's
published STIX bundle (github.com/mitre/cti), indexed by `respack attack snapshot`.

\"© 2025 The MITRE Corporation. This work is reproduced and distributed with the
permission of The MITRE Corporation.\"

MITRE ATT&CK and ATT&CK are registered trademarks of The MITRE Corporation.

ATT&CK®
===========================
License
-------
The MITRE Corporation (MITRE) hereby grants you a non-exclusive, royalty-free license to use ATT&CK® for research,
development, and commercial purposes. Any copy you make for such purposes is authorized provided that you reproduce
MITRE's copyright designation and this license in any such copy.

\"© 2025 The MITRE Corporation. This work is reproduced and distributed with the permission of The MITRE Corporation.\"

Disclaimers
-----------
MITRE does not claim ATT&CK enumerates all possibilities for the types of actions and behaviors documented as part
of its adversary model and framework of techniques. Using the information contained within ATT&CK to address or
cover full categories of techniques will not guarantee full defensive coverage as there may be undisclosed techniques
or variations on existing techniques not documented by ATT&CK.

ALL DOCUMENTS AND THE INFORMATION CONTAINED THEREIN ARE PROVIDED ON AN \"AS IS\" BASIS AND THE CONTRIBUTOR, THE
ORGANIZATION HE/SHE REPRESENTS OR IS SPONSORED BY (IF ANY), THE MITRE CORPORATION, ITS BOARD OF TRUSTEES, OFFICERS,
AGENTS, AND EMPLOYEES, DISCLAIM ALL WARRANTIES, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO ANY WARRANTY THAT THE
USE OF THE INFORMATION THEREIN WILL NOT INFRINGE ANY RIGHTS OR ANY IMPLIED WARRANTIES OF MERCHANTABILITY OR FITNESS
FOR A PARTICULAR PURPOSE.
";

/// The one-line notice every output from the snapshot carries.
pub const NOTICE: &str = "© 2025 The MITRE Corporation. This work is reproduced and distributed with the permission of The MITRE Corporation (license: `respack attack license`)";

/// Make the snapshot bytes from a bundle file. `attack_version` overrides what the bundle or
/// its file name says.
pub fn make(bundle: &Path, attack_version: Option<&str>) -> Result<Vec<u8>, AttackError> {
    let index = super::load_bundle(bundle, None)?;
    let mut data = index.data().clone();
    // Only the file name: the bytes must not depend on where the bundle sits.
    let name = bundle
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    data.origin = format!("the ATT&CK snapshot built into respack (made from {name})");
    if let Some(v) = attack_version {
        data.attack_version = Some(v.to_owned());
    }
    let version = data.attack_version.clone().unwrap_or_default();
    let payload = codec::encode(&data);
    let mut out = Vec::with_capacity(payload.len() / 3);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.extend_from_slice(&(version.len() as u32).to_le_bytes());
    out.extend_from_slice(version.as_bytes());
    // GzBuilder writes mtime 0 and no file name: the same payload gives the same bytes.
    let mut gz = flate2::GzBuilder::new().write(out, flate2::Compression::best());
    gz.write_all(&payload)
        .and_then(|()| gz.finish())
        .map_err(|e| AttackError::Snapshot {
            reason: format!("cannot compress: {e}"),
        })
}

/// Write the snapshot and the license beside it into `dir`; returns the snapshot's path.
pub fn write(
    dir: &Path,
    bundle: &Path,
    attack_version: Option<&str>,
) -> Result<std::path::PathBuf, AttackError> {
    let bytes = make(bundle, attack_version)?;
    let io = |path: &Path, e: std::io::Error| AttackError::Snapshot {
        reason: format!("cannot write {}: {e}", path.display()),
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let path = dir.join(FILE_NAME);
    std::fs::write(&path, bytes).map_err(|e| io(&path, e))?;
    let license = dir.join(LICENSE_FILE);
    std::fs::write(&license, LICENSE).map_err(|e| io(&license, e))?;
    Ok(path)
}

/// The ATT&CK version of the shipped snapshot, read from its header (no inflating).
pub fn shipped_version() -> Option<String> {
    header(SHIPPED)
        .ok()
        .map(|(v, _)| v)
        .filter(|v| !v.is_empty())
}

/// The index of the snapshot built into the binary.
pub fn load_shipped() -> Result<Index, AttackError> {
    load(SHIPPED)
}

/// The index of snapshot bytes.
pub fn load(bytes: &[u8]) -> Result<Index, AttackError> {
    let corrupt = |reason: String| AttackError::Snapshot { reason };
    let (_, gz) = header(bytes).map_err(corrupt)?;
    let mut payload = Vec::with_capacity(4 << 20);
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut payload)
        .map_err(|e| corrupt(format!("does not inflate: {e}")))?;
    let data = codec::decode(&payload).map_err(|e| corrupt(e.0))?;
    Ok(Index::from_data(data))
}

/// The version string and the gzip stream of snapshot bytes.
fn header(bytes: &[u8]) -> Result<(String, &[u8]), String> {
    let rest = bytes
        .strip_prefix(MAGIC)
        .ok_or("not a respack ATT&CK snapshot")?;
    let (format, rest) = rest.split_first_chunk::<4>().ok_or("truncated")?;
    if u32::from_le_bytes(*format) != FORMAT {
        return Err(format!(
            "format {} (this respack reads {FORMAT}): run `respack attack snapshot` again",
            u32::from_le_bytes(*format)
        ));
    }
    let (len, rest) = rest.split_first_chunk::<4>().ok_or("truncated")?;
    let len = u32::from_le_bytes(*len) as usize;
    if len > rest.len() {
        return Err("truncated".into());
    }
    let (version, gz) = rest.split_at(len);
    let version = std::str::from_utf8(version).map_err(|_| "version is not UTF-8")?;
    Ok((version.to_owned(), gz))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_snapshot_loads_and_names_its_version() {
        let index = load_shipped().unwrap();
        assert_eq!(index.attack_version(), shipped_version().as_deref());
        assert!(index.data().tactics.len() >= 14);
        assert!(index.origin().contains("snapshot built into respack"));
    }

    #[test]
    fn damaged_snapshots_are_errors_not_panics() {
        for cut in [0, 5, MAGIC.len() + 2, MAGIC.len() + 9, SHIPPED.len() / 2] {
            assert!(load(&SHIPPED[..cut]).is_err(), "cut at {cut}");
        }
        let mut other = SHIPPED.to_vec();
        other[MAGIC.len()] ^= 0xff;
        let err = load(&other).unwrap_err().to_string();
        assert!(err.contains("format"), "{err}");
    }
}
