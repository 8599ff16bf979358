//! Where ATT&CK data comes from: a bundle file, a TAXII server, the index cache in front of
//! either, or the snapshot shipped in the binary. This is the one place that decides; callers
//! describe the [`Source`] the user named, if any, and call [`resolve`] (or [`open`]).
//!
//! Order: a named bundle, a named TAXII server, then (nothing named) a cached download from
//! MITRE's TAXII server when its ATT&CK version is newer than the snapshot's, else the
//! snapshot. Nothing named never touches the network, so a newcomer's first command works
//! offline and in milliseconds.
//!
//! * Bundle: the cache entry for the file's current path, size and mtime is used when valid;
//!   otherwise the file is read (gzip detected by its magic bytes), parsed, indexed and cached.
//! * TAXII: a cache entry younger than `max_age` is used as is; otherwise the collection is
//!   downloaded and cached. When the download fails and an older entry exists, that entry is
//!   used with a note saying how old it is, so a laptop offline keeps working.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::cache::{Cache, CacheKey, Miss};
use super::index::{Builder, Domain, Index};
use super::taxii;
use super::AttackError;

/// Where to read ATT&CK from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A STIX 2.0/2.1 bundle file, plain JSON or gzip.
    Bundle(PathBuf),
    /// A TAXII 2.0/2.1 server: discovery endpoint or API root.
    Taxii(TaxiiSource),
}

/// A TAXII server and the collection to read from it.
#[derive(Debug, Clone)]
pub struct TaxiiSource {
    /// Discovery URL or API root, without credentials.
    pub url: String,
    /// The domain to read; picks the collection unless `collection` names one.
    pub domain: Domain,
    /// Collection id, alias or title.
    pub collection: Option<String>,
    pub options: taxii::Options,
}

impl TaxiiSource {
    /// A source for `url`; credentials in the URL (`user:pass@`) move into the options.
    pub fn new(url: &str, domain: Domain) -> TaxiiSource {
        let (url, creds) = taxii::split_credentials(url);
        let mut options = taxii::Options::default();
        if let Some((u, p)) = creds {
            options.user = Some(u);
            options.password = Some(crate::secret::Secret::new(p));
        }
        TaxiiSource {
            url,
            domain,
            collection: None,
            options,
        }
    }

    /// MITRE's public TAXII 2.1 server.
    pub fn mitre(domain: Domain) -> TaxiiSource {
        TaxiiSource::new(taxii::MITRE_TAXII_URL, domain)
    }
}

/// How to use the index cache.
#[derive(Debug, Clone)]
pub enum CachePolicy {
    /// Neither read nor write a cache.
    Off,
    /// Use the cache in this folder.
    Dir {
        dir: PathBuf,
        /// Download again when a TAXII entry is older than this.
        max_age: Duration,
        /// Ignore existing entries (download or read the bundle again), then store.
        refresh: bool,
    },
}

/// Which source an [`Opened`] index came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Used {
    Bundle(PathBuf),
    /// The TAXII URL (without credentials).
    Taxii(String),
    /// The snapshot built into the binary ([`super::snapshot`]).
    Snapshot,
}

/// An opened index and how it was obtained.
#[derive(Debug)]
pub struct Opened {
    pub index: Index,
    /// Which source answered.
    pub used: Used,
    /// Served from the cache (no bundle parse, no download).
    pub from_cache: bool,
    /// Things the user may want to know (a stale cache used, a corrupt cache ignored, a cache
    /// that could not be written). The CLI prints them on stderr.
    pub notes: Vec<String>,
}

impl Opened {
    /// One line saying which source answered and its ATT&CK version, for every output.
    pub fn describe(&self) -> String {
        let version = match self.index.attack_version() {
            Some(v) => format!("ATT&CK {v}"),
            None => "ATT&CK version not stated by the data".to_owned(),
        };
        match &self.used {
            Used::Bundle(p) if self.from_cache => format!(
                "bundle {} (indexed copy from the cache), {version}",
                p.display()
            ),
            Used::Bundle(p) => format!("bundle {}, {version}", p.display()),
            Used::Taxii(url) if self.from_cache => format!("TAXII {url} (cached copy), {version}"),
            Used::Taxii(url) => format!("TAXII {url}, {version}"),
            Used::Snapshot => format!(
                "the snapshot built into respack, {version} (enterprise); {}",
                super::snapshot::NOTICE
            ),
        }
    }
}

/// Open the source the user named or, with none, the freshest of a cached download from MITRE's
/// TAXII server and the shipped snapshot (see the module docs for the order).
pub fn resolve(
    named: Option<&Source>,
    domain: Option<Domain>,
    cache: &CachePolicy,
) -> Result<Opened, AttackError> {
    if let Some(source) = named {
        return open(source, domain, cache);
    }
    let mut notes = Vec::new();
    if let CachePolicy::Dir {
        dir,
        refresh: false,
        ..
    } = cache
    {
        let mitre = TaxiiSource::mitre(Domain::Enterprise);
        let key = CacheKey::Taxii {
            url: mitre.url.clone(),
            collection: String::new(),
            domain: Domain::Enterprise.short().to_owned(),
        };
        match Cache::new(dir).load(&key) {
            Ok(c)
                if newer(
                    c.index.attack_version(),
                    super::snapshot::shipped_version().as_deref(),
                ) =>
            {
                return Ok(Opened {
                    index: c.index,
                    used: Used::Taxii(mitre.url),
                    from_cache: true,
                    notes,
                });
            }
            Ok(_) | Err(Miss::Absent) => {}
            Err(Miss::Ignored(why)) => notes.push(format!("ignored ATT&CK cache {why}")),
        }
    }
    Ok(Opened {
        index: super::snapshot::load_shipped()?,
        used: Used::Snapshot,
        from_cache: false,
        notes,
    })
}

/// Whether ATT&CK version `a` ("18.1") is newer than `b`; an unknown version is never newer.
fn newer(a: Option<&str>, b: Option<&str>) -> bool {
    let parse = |v: &str| -> Option<Vec<u32>> { v.split('.').map(|p| p.parse().ok()).collect() };
    match (a.and_then(parse), b.and_then(parse)) {
        (Some(a), Some(b)) => a > b,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// Open an index from `source`, through the cache as `cache` says.
///
/// `domain` is the domain of bundle objects that don't name one (an old single-domain bundle);
/// `None` lets the bundle's own matrix decide.
pub fn open(
    source: &Source,
    domain: Option<Domain>,
    cache: &CachePolicy,
) -> Result<Opened, AttackError> {
    match source {
        Source::Bundle(path) => open_bundle(path, domain, cache),
        Source::Taxii(t) => open_taxii(t, cache),
    }
}

fn open_bundle(
    path: &Path,
    domain: Option<Domain>,
    policy: &CachePolicy,
) -> Result<Opened, AttackError> {
    let mut notes = Vec::new();
    let cache = match policy {
        CachePolicy::Off => None,
        CachePolicy::Dir { dir, refresh, .. } => {
            let key = CacheKey::for_bundle(path)?;
            let cache = Cache::new(dir);
            if !refresh {
                match cache.load(&key) {
                    Ok(c) => {
                        return Ok(Opened {
                            index: c.index,
                            used: Used::Bundle(path.to_owned()),
                            from_cache: true,
                            notes,
                        })
                    }
                    Err(Miss::Absent) => {}
                    Err(Miss::Ignored(why)) => {
                        notes.push(format!("ignored ATT&CK cache {why}; rebuilt it"))
                    }
                }
            }
            Some((cache, key))
        }
    };
    let index = load_bundle(path, domain)?;
    if let Some((cache, key)) = cache {
        if let Err(e) = cache.store(&key, &index) {
            notes.push(e.to_string());
        }
    }
    Ok(Opened {
        index,
        used: Used::Bundle(path.to_owned()),
        from_cache: false,
        notes,
    })
}

fn open_taxii(t: &TaxiiSource, policy: &CachePolicy) -> Result<Opened, AttackError> {
    let key = CacheKey::Taxii {
        url: t.url.clone(),
        collection: t.collection.clone().unwrap_or_default(),
        domain: t.domain.short().to_owned(),
    };
    let mut notes = Vec::new();
    let mut stale = None;
    let cache = match policy {
        CachePolicy::Off => None,
        CachePolicy::Dir {
            dir,
            max_age,
            refresh,
        } => {
            let cache = Cache::new(dir);
            match cache.load(&key) {
                Ok(c) if !refresh && c.age < *max_age => {
                    return Ok(Opened {
                        index: c.index,
                        used: Used::Taxii(t.url.clone()),
                        from_cache: true,
                        notes,
                    })
                }
                Ok(c) => stale = Some(c),
                Err(Miss::Absent) => {}
                Err(Miss::Ignored(why)) => notes.push(format!("ignored ATT&CK cache {why}")),
            }
            Some(cache)
        }
    };
    match download(t) {
        Ok(index) => {
            if let Some(cache) = cache {
                if let Err(e) = cache.store(&key, &index) {
                    notes.push(e.to_string());
                }
            }
            Ok(Opened {
                index,
                used: Used::Taxii(t.url.clone()),
                from_cache: false,
                notes,
            })
        }
        Err(e) => match stale {
            Some(c) => {
                notes.push(format!(
                    "{e}; using the cached copy from {} ago",
                    human_age(c.age)
                ));
                Ok(Opened {
                    index: c.index,
                    used: Used::Taxii(t.url.clone()),
                    from_cache: true,
                    notes,
                })
            }
            None => Err(e),
        },
    }
}

/// Download one collection and index it (no cache involved).
pub fn download(t: &TaxiiSource) -> Result<Index, AttackError> {
    let client = taxii::Client::new(t.options.clone())?;
    let root = client.api_root(&t.url)?;
    let collection = client.pick_collection(&root, t.domain, t.collection.as_deref())?;
    let mut builder = Builder::new(Some(t.domain));
    client.fetch(&root, &collection, &mut builder)?;
    let origin = format!("TAXII {}collections/{}/", root.url, collection.id);
    builder.finish(&origin)
}

/// Read, inflate, parse and index a bundle file (no cache involved).
pub fn load_bundle(path: &Path, domain: Option<Domain>) -> Result<Index, AttackError> {
    let index = load_bundle_data(path, domain)?;
    if index.attack_version().is_some() {
        return Ok(index);
    }
    Ok(index.with_attack_version(version_from_file_name(path)))
}

/// The ATT&CK release a bundle's file name states, as MITRE names its release files
/// (`enterprise-attack-18.1.json`, `ics-attack-18.1.json.gz`).
pub fn version_from_file_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let stem = name
        .strip_suffix(".gz")
        .unwrap_or(name)
        .strip_suffix(".json")?;
    let (_, version) = stem.rsplit_once('-')?;
    let numeric = !version.is_empty()
        && version
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    numeric.then(|| version.to_owned())
}

fn load_bundle_data(path: &Path, domain: Option<Domain>) -> Result<Index, AttackError> {
    let origin = path.display().to_string();
    let raw = std::fs::read(path).map_err(|source| AttackError::Read {
        path: path.to_owned(),
        source,
    })?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        if let Some(builder) = super::pipeline::load_gzip(&raw, &origin, domain) {
            return builder.finish(&origin);
        }
    }
    // Plain JSON, or a gzip file the two-thread path could not read: this path's errors say
    // precisely what is wrong with the file.
    drop(raw);
    let bytes = read_bundle(path)?;
    let env = super::stix::parse(&bytes, &origin)?;
    let mut builder = Builder::new(domain);
    builder.add(env);
    drop(bytes);
    builder.finish(&origin)
}

/// The JSON bytes of a bundle file, inflated when the file is gzip.
pub fn read_bundle(path: &Path) -> Result<Vec<u8>, AttackError> {
    let raw = std::fs::read(path).map_err(|source| AttackError::Read {
        path: path.to_owned(),
        source,
    })?;
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(raw);
    }
    // The gzip trailer holds the inflated size mod 2^32: a good capacity hint, bounded so a
    // hostile trailer can't make us reserve gigabytes up front.
    let hint = raw
        .len()
        .checked_sub(4)
        .map(|i| u32::from_le_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3]]) as usize)
        .unwrap_or(0)
        .min(raw.len().saturating_mul(20))
        .min(1 << 30);
    let mut out = Vec::with_capacity(hint + 1);
    flate2::read::MultiGzDecoder::new(&raw[..])
        .read_to_end(&mut out)
        .map_err(|e| AttackError::Gzip {
            path: path.to_owned(),
            reason: if e.kind() == std::io::ErrorKind::UnexpectedEof {
                "truncated (unexpected end of the compressed data)".into()
            } else {
                e.to_string()
            },
        })?;
    Ok(out)
}

fn human_age(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s / 60),
        7200..=172_799 => format!("{} h", s / 3600),
        _ => format!("{} days", s / 86400),
    }
}
