//! The index cache on disk: a built [`IndexData`] stored under a key that says exactly which
//! data it was built from, so a repeated lookup skips inflating and parsing the bundle.
//!
//! Where: `$RESPACK_CACHE_DIR`, else `$XDG_CACHE_HOME/respack`, else `~/.cache/respack`, as
//! the CLI works it out (`cli::Environment::cache_dir`) and passes in a [`super::CachePolicy`].
//! What: one file per source, named by a hash of its key. The key (bundle path, size and
//! mtime; or TAXII URL, collection and domain) and the cache format version are stored *inside*
//! the file too and compared on load: a file that doesn't parse, has another format, or another
//! key is ignored and rebuilt, never trusted because of its name. Writes go to a temporary file
//! in the same folder and are renamed into place, so a concurrent reader never sees half a file.
//!
//! File layout: the magic line `respack-attack-index\n`, the format number (`u32` LE), the key
//! as length-prefixed JSON, the creation time (`u64` seconds), a checksum of the payload
//! (`u64`), then the payload in the binary encoding of `codec.rs`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::codec;
use super::index::{Index, IndexData};
use super::AttackError;

/// Bump when [`IndexData`] or its meaning changes; older files are then rebuilt.
pub(crate) const FORMAT: u32 = 3;

const MAGIC: &[u8] = b"respack-attack-index\n";

/// What a cache entry was built from. Two sources with equal keys have equal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum CacheKey {
    /// A bundle file, by canonical path, size and modification time (nanoseconds).
    Bundle {
        path: String,
        size: u64,
        mtime_ns: u64,
    },
    /// A TAXII collection download.
    Taxii {
        url: String,
        collection: String,
        domain: String,
    },
}

impl CacheKey {
    /// The key of a bundle file as it is now on disk.
    pub fn for_bundle(path: &Path) -> Result<CacheKey, AttackError> {
        let read_err = |source| AttackError::Read {
            path: path.to_owned(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(read_err)?;
        let canonical = std::fs::canonicalize(path).map_err(read_err)?;
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        Ok(CacheKey::Bundle {
            path: canonical.to_string_lossy().into_owned(),
            size: meta.len(),
            mtime_ns,
        })
    }

    fn file_name(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        let digest = Sha256::digest(&json);
        let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        format!("attack-index-{hex}.bin")
    }
}

/// A cache folder.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

/// An index read back from the cache, with its age.
#[derive(Debug)]
pub struct Cached {
    pub index: Index,
    pub age: Duration,
}

/// Why an existing cache file was not used (for a note to the user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss {
    /// No file for this key.
    Absent,
    /// A file exists but could not be used: corrupt, another format, or another key.
    Ignored(String),
}

impl Cache {
    pub fn new(dir: impl Into<PathBuf>) -> Cache {
        Cache { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file the entry for `key` lives in.
    pub fn path_for(&self, key: &CacheKey) -> PathBuf {
        self.dir.join(key.file_name())
    }

    /// The index stored for `key`, if a valid entry exists.
    pub fn load(&self, key: &CacheKey) -> Result<Cached, Miss> {
        let path = self.path_for(key);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Miss::Absent),
            Err(e) => return Err(Miss::Ignored(format!("{}: {e}", path.display()))),
        };
        let ignored = |why: String| Miss::Ignored(format!("{}: {why}", path.display()));
        let (created, data) = parse_file(&bytes, key).map_err(ignored)?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Ok(Cached {
            index: Index::from_data(data),
            age: Duration::from_secs(now.saturating_sub(created)),
        })
    }

    /// Store the index for `key`, replacing any older entry atomically.
    pub fn store(&self, key: &CacheKey, index: &Index) -> Result<PathBuf, AttackError> {
        let path = self.path_for(key);
        let write_err = |source| AttackError::CacheWrite {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(&self.dir).map_err(write_err)?;
        let created = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let key_json = serde_json::to_vec(key).map_err(|e| write_err(std::io::Error::other(e)))?;
        let payload = codec::encode(index.data());
        let mut bytes = Vec::with_capacity(payload.len() + key_json.len() + 64);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&FORMAT.to_le_bytes());
        bytes.extend_from_slice(&(key_json.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&key_json);
        bytes.extend_from_slice(&created.to_le_bytes());
        bytes.extend_from_slice(&codec::checksum(&payload).to_le_bytes());
        bytes.extend_from_slice(&payload);
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir).map_err(write_err)?;
        tmp.write_all(&bytes).map_err(write_err)?;
        tmp.persist(&path).map_err(|e| write_err(e.error))?;
        Ok(path)
    }
}

/// Header checks, then the payload: `(created, data)`, or why the file can't be used.
fn parse_file(bytes: &[u8], key: &CacheKey) -> Result<(u64, IndexData), String> {
    let rest = bytes
        .strip_prefix(MAGIC)
        .ok_or("not a respack ATT&CK cache file")?;
    let (format, rest) = split_u32(rest)?;
    if format != FORMAT {
        return Err(format!("cache format {format} (this build reads {FORMAT})"));
    }
    let (key_len, rest) = split_u32(rest)?;
    if key_len as usize > rest.len() {
        return Err("truncated".into());
    }
    let (key_json, rest) = rest.split_at(key_len as usize);
    let stored: CacheKey =
        serde_json::from_slice(key_json).map_err(|e| format!("unreadable key ({e})"))?;
    if stored != *key {
        return Err("built from other data".into());
    }
    let (created, rest) = split_u64(rest)?;
    let (sum, payload) = split_u64(rest)?;
    if codec::checksum(payload) != sum {
        return Err("damaged (checksum mismatch)".into());
    }
    let data = codec::decode(payload).map_err(|c| format!("damaged ({})", c.0))?;
    Ok((created, data))
}

fn split_u32(b: &[u8]) -> Result<(u32, &[u8]), String> {
    match b.split_first_chunk::<4>() {
        Some((n, rest)) => Ok((u32::from_le_bytes(*n), rest)),
        None => Err("truncated".into()),
    }
}

fn split_u64(b: &[u8]) -> Result<(u64, &[u8]), String> {
    match b.split_first_chunk::<8>() {
        Some((n, rest)) => Ok((u64::from_le_bytes(*n), rest)),
        None => Err("truncated".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attack::index::Builder;
    use crate::attack::stix;

    fn tiny_index() -> Index {
        let json = br#"{"type":"bundle","objects":[
          {"type":"x-mitre-tactic","id":"x-mitre-tactic--1","name":"Execution","x_mitre_shortname":"execution",
           "external_references":[{"source_name":"mitre-attack","external_id":"TA0002"}]}]}"#;
        let mut b = Builder::new(None);
        b.add(stix::parse(json, "t").unwrap());
        b.finish("t").unwrap()
    }

    #[test]
    fn round_trip_and_key_check() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let key = CacheKey::Taxii {
            url: "http://x/".into(),
            collection: "c".into(),
            domain: "enterprise".into(),
        };
        assert_eq!(cache.load(&key).unwrap_err(), Miss::Absent);
        let path = cache.store(&key, &tiny_index()).unwrap();
        let got = cache.load(&key).unwrap();
        assert_eq!(got.index.data().tactics[0].attack_id, "TA0002");

        // A file whose inner key differs is not trusted, even under the right name.
        let other = CacheKey::Taxii {
            url: "http://y/".into(),
            collection: "c".into(),
            domain: "enterprise".into(),
        };
        std::fs::copy(&path, cache.path_for(&other)).unwrap();
        assert!(matches!(cache.load(&other), Err(Miss::Ignored(_))));

        // A corrupt file is ignored, and the next store replaces it.
        let good = std::fs::read(&path).unwrap();
        std::fs::write(&path, &good[..good.len() - 3]).unwrap();
        assert!(matches!(cache.load(&key), Err(Miss::Ignored(_))));
        let mut flipped = good.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0x20;
        std::fs::write(&path, &flipped).unwrap();
        assert!(matches!(cache.load(&key), Err(Miss::Ignored(m)) if m.contains("checksum")));
        std::fs::write(&path, b"{\"format\":1,\"key\":").unwrap();
        assert!(matches!(cache.load(&key), Err(Miss::Ignored(_))));
        cache.store(&key, &tiny_index()).unwrap();
        assert!(cache.load(&key).is_ok());
    }
}
