//! A package source directory: an export as files a reviewer can read and keep in git
//! (`respack unpack`), and those files built back into the very same `.res` bytes
//! (`respack build SRC`). `docs/SOURCE.md` is the user's description of the same contract.
//!
//! # Layout
//!
//! ```text
//! SRC/
//!   respack.toml          [package] name, version; optional [tar]; [[dependencies]]
//!   .gitattributes        `* -text`, so that git keeps the bytes as they are
//!   export.json           every top-level member of the .res that is not a folder below
//!   functions/            one folder per object list, named by its key in the .res
//!     order.txt           the list's order: one file stem per line
//!     fn_x.json           one object, canonical JSON
//!   scripts/
//!     my_script.json      "script_text": {"$file": "my_script.py"}
//!     my_script.py        the script's exact text
//!   workflows/
//!     wf.json             "content": {"xml": {"$file": "wf.bpmn"}, ...}
//!     wf.bpmn             the XML, each extracted step script as "$file:<name>.py"
//!     wf.ServiceTask_1.pre.py
//!   playbooks/
//!     pb.json, pb.bpmn, pb.<local script>.py   (local scripts' "script_text" likewise)
//! ```
//!
//! # Rules that keep the round trip byte-identical
//!
//! - A top-level member becomes a folder when it is a non-empty list of JSON objects and its
//!   key is a plain lower-case name (`[a-z][a-z0-9_]*`); every other member, whatever its kind
//!   (`action_order`, `server_version`, an empty list, a `null`), stays in `export.json`. So a
//!   list respack does not know is a folder like any other: nothing is ever dropped.
//! - Every JSON file is canonical (sorted keys, 2-space indent, trailing newline), the form of
//!   `respack fmt`; `.py` and `.bpmn` files hold the exact text, byte for byte.
//! - Only four places are moved to files: `scripts[].script_text`, `workflows[].content.xml`,
//!   `playbooks[].content.xml` and `playbooks[].local_scripts[].script_text`, and only when they
//!   hold a string. In their place the JSON holds `{"$file": "<name>"}`, which the resource
//!   file model can never hold there (those members are strings), so a build cannot mistake a
//!   value for a reference. Step scripts inside the XML follow [`embed`]'s rules.
//! - File names are labels ([`names`]): the object's API name made safe, unique in its folder
//!   without regard to case. A build never decodes them; `order.txt` says which files are the
//!   list and in which order.
//!
//! A build is strict so that `unpack(build(SRC)) == SRC`: a stem in `order.txt` without its
//! `.json`, a file of a list folder no object uses, a link anywhere it reads, or a folder that
//! is also a member of `export.json` is an error naming the file (and line).
//!
//! # Safety
//!
//! Unpack computes every file first ([`unpack`], no I/O), then [`write`]s them into a new or
//! empty directory only, creating each directory and file exclusively (`O_EXCL`), so it never
//! overwrites, never writes through a symbolic link and never writes outside the directory (in
//! a directory it created itself, a folder is made under a random name and renamed into place
//! with `RENAME_NOREPLACE`, which refuses an existing name just as `O_EXCL` does). A
//! build reads no symbolic link, so a source checked out from someone else's repository cannot
//! pull a file from outside it into the package.

mod embed;
mod error;
mod locate;
mod manifest;
mod names;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::pack::Artifact;
use crate::res::{self, Kind, ResFile};

pub use error::SourceError;
pub use locate::SourceMap;
pub use manifest::{
    infer_dependencies, Dependency, Manifest, PackageMeta, TarSpec, BUILTIN_README, MANIFEST,
};
pub use names::safe_stem;

/// The file holding the resource file's own members.
pub const HEADER: &str = "export.json";
/// The file of a list folder that orders its objects.
pub const ORDER: &str = "order.txt";
/// Written by unpack so that git never rewrites line endings: the bytes are the package.
const GITATTRIBUTES: &str = ".gitattributes";
const GITATTRIBUTES_TEXT: &str =
    "# respack builds these files into the package byte for byte: no line-ending conversion.\n* -text\n";
/// The key of a reference to a file: `{"$file": "<name>"}`.
const REF_KEY: &str = "$file";

/// One file of a source directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// The list folder it is in, or `None` for the root.
    pub dir: Option<String>,
    pub name: String,
    pub bytes: Vec<u8>,
}

impl SourceFile {
    /// Its path relative to the source directory, with `/`.
    pub fn rel_path(&self) -> String {
        match &self.dir {
            Some(d) => format!("{d}/{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// Whether a top-level key can name a list folder.
fn is_folder_name(key: &str) -> bool {
    let b = key.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
}

/// A package name from a file name: what `<name>.res` may be called.
pub fn package_name(file_stem: &str) -> String {
    let name: String = file_stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = name.trim_start_matches('.');
    if name.is_empty() {
        "package".to_owned()
    } else {
        name.to_owned()
    }
}

/// The file stem that names the package in an export: the archive member's, except for an app
/// zip's generic `export.res`, else the file's.
pub fn export_stem(doc: &res::Document, file: &Path) -> String {
    let named_by = doc
        .origin
        .member
        .as_deref()
        .map(Path::new)
        .filter(|m| m.file_stem().is_some_and(|s| s != "export"));
    named_by
        .unwrap_or(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The files of a source directory for a resource file's JSON value: `respack.toml`,
/// `export.json`, a folder per object list, and `extras` (name, bytes) at the root.
pub fn unpack(
    value: Value,
    manifest: &Manifest,
    extras: &[(&str, &[u8])],
) -> Result<Vec<SourceFile>, SourceError> {
    let Value::Object(map) = value else {
        return Err(SourceError::Layout {
            path: HEADER.into(),
            message: "a resource file is a JSON object".into(),
        });
    };
    let mut header = Map::new();
    let mut files = Vec::new();
    for (key, v) in map {
        match v {
            Value::Array(items)
                if !items.is_empty()
                    && is_folder_name(&key)
                    && items.iter().all(Value::is_object) =>
            {
                unpack_list(&key, items, &mut files)?;
            }
            v => {
                header.insert(key, v);
            }
        }
    }
    files.push(SourceFile {
        dir: None,
        name: HEADER.into(),
        bytes: res::canonical_value(&Value::Object(header))?.into_bytes(),
    });
    files.push(SourceFile {
        dir: None,
        name: MANIFEST.into(),
        bytes: manifest.render()?.into_bytes(),
    });
    files.push(SourceFile {
        dir: None,
        name: GITATTRIBUTES.into(),
        bytes: GITATTRIBUTES_TEXT.as_bytes().to_vec(),
    });
    for (name, bytes) in extras {
        files.push(SourceFile {
            dir: None,
            name: (*name).to_owned(),
            bytes: bytes.to_vec(),
        });
    }
    Ok(files)
}

/// The name a file is given for an object: its API name, or what it has that looks like one.
fn object_name(kind: Option<Kind>, object: &Value) -> String {
    if let Some(name) = kind.and_then(|k| k.api_name(object)) {
        return name.into_owned();
    }
    [
        "export_key",
        "programmatic_name",
        "name",
        "type_name",
        "uuid",
    ]
    .iter()
    .filter_map(|k| object.get(k).and_then(Value::as_str))
    .map(str::trim)
    .find(|s| !s.is_empty())
    .unwrap_or("unnamed")
    .to_owned()
}

fn unpack_list(
    key: &str,
    items: Vec<Value>,
    files: &mut Vec<SourceFile>,
) -> Result<(), SourceError> {
    let kind = Kind::from_list_key(key);
    let mut claims = names::Claims::default();
    claims.reserve(ORDER);
    let mut order = String::new();
    let mut file = |name: String, bytes: Vec<u8>| {
        files.push(SourceFile {
            dir: Some(key.to_owned()),
            name,
            bytes,
        })
    };
    for mut object in items {
        let stem = claims.claim(&safe_stem(&object_name(kind, &object)), "json");
        let aux = |claims: &mut names::Claims, stem: &str, ext: &str| {
            format!("{}.{ext}", claims.claim(stem, ext))
        };
        if key == "scripts" {
            if let Some(text) = take_string(&mut object, &["script_text"]) {
                let name = aux(&mut claims, &stem, "py");
                set_ref(&mut object, &["script_text"], &name);
                file(name, text.into_bytes());
            }
        }
        if key == "workflows" || key == "playbooks" {
            if let Some(xml) = take_string(&mut object, &["content", "xml"]) {
                let mut bpmn = String::with_capacity(xml.len());
                let mut at = 0;
                for e in embed::find(&xml) {
                    let step = e.step.as_deref().map(safe_stem);
                    let step = step.as_deref().unwrap_or("step");
                    let name = aux(&mut claims, &format!("{stem}.{step}.{}", e.which), "py");
                    bpmn.push_str(&xml[at..e.range.start]);
                    bpmn.push_str(&format!("\"{}{name}\"", embed::PLACEHOLDER));
                    at = e.range.end;
                    file(name, e.text.into_bytes());
                }
                bpmn.push_str(&xml[at..]);
                let name = aux(&mut claims, &stem, "bpmn");
                set_ref(&mut object, &["content", "xml"], &name);
                file(name, bpmn.into_bytes());
            }
        }
        if key == "playbooks" {
            let count = object
                .get("local_scripts")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            for j in 0..count {
                let Some(local) = object.get("local_scripts").and_then(|l| l.get(j)) else {
                    continue;
                };
                let local_name = object_name(Some(Kind::Script), local);
                let j = j.to_string();
                let at = ["local_scripts", j.as_str(), "script_text"];
                if let Some(text) = take_string(&mut object, &at) {
                    let name = aux(
                        &mut claims,
                        &format!("{stem}.{}", safe_stem(&local_name)),
                        "py",
                    );
                    set_ref(&mut object, &at, &name);
                    file(name, text.into_bytes());
                }
            }
        }
        file(
            format!("{stem}.json"),
            res::canonical_value(&object)?.into_bytes(),
        );
        order.push_str(&stem);
        order.push('\n');
    }
    file(ORDER.to_owned(), order.into_bytes());
    Ok(())
}

/// The member at `path` (object keys, or array indexes as digits).
fn member_mut<'v>(value: &'v mut Value, path: &[&str]) -> Option<&'v mut Value> {
    path.iter().try_fold(value, |v, k| match v {
        Value::Object(m) => m.get_mut(*k),
        Value::Array(a) => a.get_mut(k.parse::<usize>().ok()?),
        _ => None,
    })
}

/// Take the string at `path`, if it is one.
fn take_string(value: &mut Value, path: &[&str]) -> Option<String> {
    match member_mut(value, path)? {
        Value::String(s) => Some(std::mem::take(s)),
        _ => None,
    }
}

fn set_ref(value: &mut Value, path: &[&str], name: &str) {
    if let Some(slot) = member_mut(value, path) {
        *slot = serde_json::json!({ REF_KEY: name });
    }
}

/// Write `files` into `out`, which must not exist or be an empty directory. Nothing is ever
/// overwritten, and no link is followed: each directory and file is created exclusively.
pub fn write(out: &Path, files: &[SourceFile]) -> Result<(), SourceError> {
    fn create(path: &Path) -> impl FnOnce(std::io::Error) -> SourceError + '_ {
        move |source| SourceError::Create {
            path: path.to_path_buf(),
            source,
        }
    }
    let spread = match std::fs::symlink_metadata(out) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(SourceError::Symlink {
                path: out.to_path_buf(),
            })
        }
        Ok(meta) if meta.is_dir() => {
            let mut entries = std::fs::read_dir(out).map_err(create(out))?;
            if entries.next().is_some() {
                return Err(SourceError::OutNotEmpty {
                    path: out.to_path_buf(),
                });
            }
            false
        }
        Ok(_) => {
            return Err(SourceError::Create {
                path: out.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "a file of that name exists",
                ),
            })
        }
        Err(_) => {
            std::fs::create_dir_all(out).map_err(create(out))?;
            mark_top_of_hierarchy(out)
        }
    };
    // One group per folder (the root is one too), largest first: a thread creates the files of
    // one folder at a time. Creating a file locks its folder, so threads sharing a folder would
    // only wait on each other (spinning, on a small machine, on the CPU the creator needs).
    let mut groups: BTreeMap<Option<&str>, Vec<&SourceFile>> = BTreeMap::new();
    for f in files {
        groups.entry(f.dir.as_deref()).or_default().push(f);
    }
    for d in groups.keys().flatten() {
        debug_assert!(is_folder_name(d));
        let path = out.join(d);
        create_folder(out, d, spread).map_err(create(&path))?;
    }
    let mut groups: Vec<(Option<&str>, Vec<&SourceFile>)> = groups.into_iter().collect();
    groups.sort_by_key(|(_, g)| std::cmp::Reverse(g.len()));
    let write_group = |(dir, group): &(Option<&str>, Vec<&SourceFile>)| -> Result<(), SourceError> {
        let dir = match dir {
            Some(d) => out.join(d),
            None => out.to_path_buf(),
        };
        for f in group {
            debug_assert!(f.dir.is_none() || names::is_plain_file_name(&f.name));
            let path = dir.join(&f.name);
            // create_new: O_CREAT|O_EXCL, which never follows a link and never truncates.
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(create(&path))?;
            file.write_all(&f.bytes).map_err(create(&path))?;
        }
        Ok(())
    };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || loop {
        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match groups.get(i) {
            Some(g) => write_group(g)?,
            None => return Ok(()),
        }
    };
    std::thread::scope(|s| {
        let helpers: Vec<_> = (1..WRITERS.min(groups.len()))
            .map(|_| s.spawn(work))
            .collect();
        let mine: Result<(), SourceError> = work();
        helpers
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .fold(mine, Result::and)
    })
}

/// Mark a directory unpack has just created as the top of a hierarchy (`chattr +T`), a hint
/// to ext4's allocator to spread its folders over block groups of their own instead of packing
/// them, and every file in them, into its parent's. Best effort: where the file system has no
/// such flag nothing changes. Returns whether the flag is set.
///
/// Why: without a journal, ext4 does not reuse an inode freed in the last minute (up to six
/// while its block is dirty) and skips over every such inode of the group, one lookup each, to
/// create a file. After `rm -rf SRC` of a previous unpack, or next to any program that deletes
/// many files, each of unpack's thousand and more creates then walks the same thousand deleted
/// inodes: 0.4-0.8 s of kernel time on the VM of docs/PERFORMANCE.md, against 0.1 s with the
/// folders spread ("Unpack and build").
#[cfg(target_os = "linux")]
fn mark_top_of_hierarchy(dir: &Path) -> bool {
    use rustix::fs::{IFlags, Mode, OFlags};
    // The directory itself, not a link put in its place since it was created.
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let Ok(fd) = rustix::fs::open(dir, flags, Mode::empty()) else {
        return false;
    };
    match rustix::fs::ioctl_getflags(&fd) {
        Ok(f) if f.contains(IFlags::TOPDIR) => true,
        Ok(f) => rustix::fs::ioctl_setflags(&fd, f | IFlags::TOPDIR).is_ok(),
        Err(_) => false,
    }
}

#[cfg(not(target_os = "linux"))]
fn mark_top_of_hierarchy(_dir: &Path) -> bool {
    false
}

/// Create the folder `out/<name>`. Under a directory marked top of a hierarchy, ext4 starts
/// looking for a new folder's block group at a hash of its name, so the same name lands in the
/// same group every time: the group whose inodes the previous unpack, just deleted, left
/// "recently deleted". Made under a random name and renamed (never over anything), a folder
/// lands in a group of its own choosing instead.
#[cfg(target_os = "linux")]
fn create_folder(out: &Path, name: &str, spread: bool) -> std::io::Result<()> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    let path = out.join(name);
    if !spread {
        return std::fs::create_dir(&path);
    }
    let tmp = out.join(format!(".respack-{:016x}.{name}", rand::random::<u64>()));
    std::fs::create_dir(&tmp)?;
    match renameat_with(CWD, &tmp, CWD, &path, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_dir(&tmp);
            if e == rustix::io::Errno::INVAL {
                // A file system without RENAME_NOREPLACE: no spreading there.
                return std::fs::create_dir(&path);
            }
            Err(e.into())
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn create_folder(out: &Path, name: &str, _spread: bool) -> std::io::Result<()> {
    std::fs::create_dir(out.join(name))
}

/// Threads [`write`] creates files with.
const WRITERS: usize = 4;
/// Threads [`load`] reads list folders with.
const READERS: usize = 4;

/// A source directory read back: the manifest, the resource file's JSON value, the files the
/// tar includes, and (when asked for) where each object came from.
#[derive(Debug)]
pub struct Loaded {
    pub manifest: Manifest,
    pub value: Value,
    /// `[tar] include` files: (name, bytes).
    pub includes: Vec<(String, Vec<u8>)>,
    pub map: SourceMap,
}

/// Read a source directory. `with_map` keeps what [`SourceMap::locate`] needs to turn a JSON
/// pointer into a file and line (validate wants it; a build does not).
pub fn load(src: &Path, with_map: bool) -> Result<Loaded, SourceError> {
    let manifest_path = src.join(MANIFEST);
    if !manifest_path.exists() && std::fs::symlink_metadata(&manifest_path).is_err() {
        return Err(SourceError::NotASource {
            path: src.to_path_buf(),
        });
    }
    let manifest = Manifest::parse(&manifest_path, &read_text(&manifest_path)?)?;
    let header_path = src.join(HEADER);
    let header = match parse_json(&header_path, &read_text(&header_path)?)? {
        Value::Object(m) => m,
        _ => {
            return Err(SourceError::Layout {
                path: header_path,
                message: "must hold a JSON object".into(),
            })
        }
    };
    let mut map = SourceMap::new(with_map);
    map.header(&header);
    let mut value = header;
    let mut folders = Vec::new();
    for entry in read_dir(src)? {
        let (name, kind) = entry;
        if name.starts_with('.') {
            continue;
        }
        let path = src.join(&name);
        match kind {
            EntryKind::Link => return Err(SourceError::Symlink { path }),
            EntryKind::File => {}
            EntryKind::Dir => {
                let has_order = std::fs::symlink_metadata(path.join(ORDER)).is_ok();
                if !has_order {
                    if Kind::from_list_key(&name).is_some() {
                        return Err(SourceError::Layout {
                            path: path.join(ORDER),
                            message: format!("is missing: it lists the objects of {name}"),
                        });
                    }
                    continue;
                }
                if !is_folder_name(&name) {
                    return Err(SourceError::Layout {
                        path,
                        message: "a list folder is named by its key in the .res: lower-case letters, digits and '_'".into(),
                    });
                }
                if value.contains_key(&name) {
                    return Err(SourceError::Layout {
                        path: header_path,
                        message: format!(
                            "has a member {name:?} and there is a folder {name}/ too: keep one"
                        ),
                    });
                }
                folders.push(name);
            }
        }
    }
    // The folders are independent: read them side by side (a large export has a thousand and
    // more files, and opening each is most of a build's time).
    let keep = map.keeps();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut loaded: Vec<(usize, FolderResult)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..READERS.min(folders.len()))
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(name) = folders.get(i) else { break };
                        let mut part = SourceMap::new(keep);
                        let result = load_list(src, name, &mut part).map(|list| (list, part));
                        done.push((i, result));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    loaded.sort_by_key(|(i, _)| *i);
    for (name, (_, result)) in folders.into_iter().zip(loaded) {
        let (list, part) = result?;
        map.merge(part);
        value.insert(name, Value::Array(list));
    }
    let mut includes = Vec::new();
    if let Some(tar) = &manifest.tar {
        for f in &tar.include {
            let path = src.join(f);
            includes.push((f.clone(), read_bytes(&path)?));
        }
    }
    Ok(Loaded {
        manifest,
        value: Value::Object(value),
        includes,
        map,
    })
}

/// One list folder read: its objects and where they came from.
type FolderResult = Result<(Vec<Value>, SourceMap), SourceError>;

enum EntryKind {
    File,
    Dir,
    Link,
}

/// The entries of a directory, sorted, without following links.
fn read_dir(dir: &Path) -> Result<Vec<(String, EntryKind)>, SourceError> {
    let err = |source| SourceError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(err)? {
        let entry = entry.map_err(err)?;
        let t = entry.file_type().map_err(err)?;
        let kind = if t.is_symlink() {
            EntryKind::Link
        } else if t.is_dir() {
            EntryKind::Dir
        } else {
            EntryKind::File
        };
        match entry.file_name().into_string() {
            Ok(name) => out.push((name, kind)),
            Err(name) => {
                return Err(SourceError::Layout {
                    path: dir.join(name),
                    message: "the file name is not UTF-8".into(),
                })
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, SourceError> {
    let meta = std::fs::symlink_metadata(path).map_err(|source| SourceError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.file_type().is_symlink() {
        return Err(SourceError::Symlink {
            path: path.to_path_buf(),
        });
    }
    if meta.len() > res::MAX_BYTES {
        return Err(SourceError::Layout {
            path: path.to_path_buf(),
            message: format!("is larger than {} MiB", res::MAX_BYTES >> 20),
        });
    }
    std::fs::read(path).map_err(|source| SourceError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Read a file [`read_dir`] listed as a regular file (not a link): no second look at it.
fn read_listed(path: &Path) -> Result<String, SourceError> {
    use std::io::Read;
    let err = |source| SourceError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(err)?;
    // Sized up front: one read for the file instead of a doubling buffer's several.
    let size = file.metadata().map_or(0, |m| m.len()).min(res::MAX_BYTES);
    let mut bytes = Vec::with_capacity(size as usize + 1);
    file.take(res::MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(err)?;
    if bytes.len() as u64 > res::MAX_BYTES {
        return Err(SourceError::Layout {
            path: path.to_path_buf(),
            message: format!("is larger than {} MiB", res::MAX_BYTES >> 20),
        });
    }
    utf8(path, bytes)
}

fn read_text(path: &Path) -> Result<String, SourceError> {
    utf8(path, read_bytes(path)?)
}

fn utf8(path: &Path, bytes: Vec<u8>) -> Result<String, SourceError> {
    String::from_utf8(bytes).map_err(|e| SourceError::Layout {
        path: path.to_path_buf(),
        message: format!(
            "is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ),
    })
}

fn parse_json(path: &Path, text: &str) -> Result<Value, SourceError> {
    serde_json::from_str(text).map_err(|e| {
        let message = e.to_string();
        let message = match message.rfind(" at line ") {
            Some(i) => message[..i].to_owned(),
            None => message,
        };
        SourceError::Json {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message,
        }
    })
}

/// The objects of one list folder, in `order.txt`'s order, with their files put back.
fn load_list(src: &Path, key: &str, map: &mut SourceMap) -> Result<Vec<Value>, SourceError> {
    let dir = src.join(key);
    let mut unused = BTreeSet::new();
    for (name, kind) in read_dir(&dir)? {
        match kind {
            EntryKind::Link => {
                return Err(SourceError::Symlink {
                    path: dir.join(name),
                })
            }
            EntryKind::Dir => {
                return Err(SourceError::Layout {
                    path: dir.join(name),
                    message: "a list folder holds files only".into(),
                })
            }
            EntryKind::File if name == ORDER => {}
            EntryKind::File => {
                unused.insert(name);
            }
        }
    }
    let order_path = dir.join(ORDER);
    let order = read_text(&order_path)?;
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let mut folder = Folder {
        dir: &dir,
        key,
        unused: &mut unused,
    };
    for (n, stem) in order.lines().enumerate() {
        let line = n + 1;
        if stem.is_empty() {
            continue;
        }
        let bad = |message: String| SourceError::Order {
            path: order_path.clone(),
            line,
            message,
        };
        let json = format!("{stem}.json");
        if !names::is_plain_file_name(&json) {
            return Err(bad(format!("{stem:?} is not a plain file name")));
        }
        if !seen.insert(stem.to_owned()) {
            return Err(bad(format!("{stem} is listed twice")));
        }
        if !folder.unused.remove(&json) {
            return Err(bad(format!("{key}/{json} does not exist")));
        }
        let path = dir.join(&json);
        let mut object = parse_json(&path, &read_listed(&path)?)?;
        if !object.is_object() {
            return Err(SourceError::Layout {
                path,
                message: "must hold a JSON object".into(),
            });
        }
        let index = out.len();
        map.object(key, index, format!("{key}/{json}"), &object);
        if key == "scripts" {
            folder.resolve(&mut object, &["script_text"], map, index)?;
        }
        if key == "workflows" || key == "playbooks" {
            folder.resolve(&mut object, &["content", "xml"], map, index)?;
        }
        if key == "playbooks" {
            let count = object
                .get("local_scripts")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            for j in 0..count {
                let j = j.to_string();
                folder.resolve(
                    &mut object,
                    &["local_scripts", j.as_str(), "script_text"],
                    map,
                    index,
                )?;
            }
        }
        out.push(object);
    }
    if let Some(stray) = unused.iter().next() {
        return Err(SourceError::Layout {
            path: dir.join(stray),
            message: format!(
                "no object listed in {key}/{ORDER} uses this file: list it there or remove it"
            ),
        });
    }
    Ok(out)
}

/// A list folder being read: what it is and which of its files no object has used yet.
struct Folder<'a> {
    dir: &'a Path,
    key: &'a str,
    unused: &'a mut BTreeSet<String>,
}

impl Folder<'_> {
    /// Replace a `{"$file": name}` at `path` with the file's text (a `.bpmn` with its step
    /// scripts put back).
    fn resolve(
        &mut self,
        object: &mut Value,
        path: &[&str],
        map: &mut SourceMap,
        index: usize,
    ) -> Result<(), SourceError> {
        let Some(slot) = member_mut(object, path) else {
            return Ok(());
        };
        let Some(name) = reference(slot) else {
            return Ok(());
        };
        let name = name.to_owned();
        let mut text = self.take(&name)?;
        let pointer = format!("/{}/{index}/{}", self.key, path.join("/"));
        if name.ends_with(".bpmn") {
            let mut xml = String::with_capacity(text.len());
            let mut at = 0;
            for (range, script) in embed::placeholders(&text) {
                let script_text = self.take(script)?;
                map.embedded(
                    &pointer,
                    &text[..range.start],
                    script,
                    &format!("{}/{script}", self.key),
                );
                xml.push_str(&text[at..range.start]);
                xml.push('"');
                xml.push_str(&embed::encode(&script_text));
                xml.push('"');
                at = range.end;
            }
            xml.push_str(&text[at..]);
            map.file(&pointer, format!("{}/{name}", self.key), &text);
            text = xml;
        } else {
            map.file(&pointer, format!("{}/{name}", self.key), "");
        }
        *slot = Value::String(text);
        Ok(())
    }

    /// Read a file of the folder an object refers to, once.
    fn take(&mut self, name: &str) -> Result<String, SourceError> {
        let path = self.dir.join(name);
        if !names::is_plain_file_name(name) {
            return Err(SourceError::Layout {
                path: self.dir.to_path_buf(),
                message: format!(
                    "refers to {name:?}, which is not a plain file name in {}/",
                    self.key
                ),
            });
        }
        if !self.unused.remove(name) {
            return Err(SourceError::Layout {
                path,
                message: "is referred to but does not exist (or is used twice)".into(),
            });
        }
        read_listed(&path)
    }
}

/// The file name of a `{"$file": name}` reference.
fn reference(value: &Value) -> Option<&str> {
    match value {
        Value::Object(m) if m.len() == 1 => m.get(REF_KEY)?.as_str(),
        _ => None,
    }
}

/// Check a loaded source against the resource file model and return its canonical bytes: the
/// bytes `respack fmt` writes for the same value. A member of the wrong type is named by file
/// and line.
///
/// The model is lossless (`crate::res`): a value it accepts writes back as the same value. So
/// the bytes are the canonical text of the value itself, written while a second thread checks
/// the value against the model; debug builds also compare with the model's own text.
pub fn res_bytes(loaded: &Loaded) -> Result<Vec<u8>, SourceError> {
    let (model, text) = std::thread::scope(|s| {
        let check = s.spawn(|| {
            let model: Result<ResFile, _> = serde_path_to_error::deserialize(&loaded.value);
            model.map(|m| cfg!(debug_assertions).then(|| res::to_canonical(&m)))
        });
        let text = res::canonical_value(&loaded.value);
        let model = check
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (model, text)
    });
    let from_model = model.map_err(|e| {
        let pointer = crate::res::read::json_pointer(e.path());
        let (path, line) = match loaded.map.locate(&pointer, "") {
            Some((file, line)) => (PathBuf::from(file), line),
            None => (PathBuf::from(HEADER), None),
        };
        SourceError::Model {
            path,
            line,
            message: format!("{} at {pointer}", e.into_inner()),
        }
    })?;
    let text = text?;
    if let Some(from_model) = from_model {
        debug_assert!(
            from_model? == text,
            "the resource file model changed the value of a source"
        );
    }
    Ok(text.into_bytes())
}

/// Read an export of any container and return its document and JSON value, checked against the
/// resource file model as `respack fmt` reads it (on a second thread; the value is what the
/// model would write back, since the model is lossless).
pub fn read_export(path: &Path) -> Result<(res::Document, Value), SourceError> {
    let doc = res::load(path)?;
    let value = doc.parse_checked()?;
    Ok((doc, value))
}

/// Build a source directory into `out/<name>.res`, and the tar when the manifest asks for one
/// (its mtime is the export date, as for the built-in package).
pub fn build(src: &Path, out: &Path) -> Result<Vec<Artifact>, SourceError> {
    build_then(src, out, drop)
}

/// [`build`], handing the source it read to `release` at the end instead of dropping it: a
/// process about to exit passes [`std::mem::forget`], since freeing a large export's value
/// object by object is a sizeable part of a build and the OS takes the memory back anyway.
pub fn build_then(
    src: &Path,
    out: &Path,
    release: impl FnOnce(Loaded),
) -> Result<Vec<Artifact>, SourceError> {
    let loaded = load(src, false)?;
    let res = match res_bytes(&loaded) {
        Ok(res) => res,
        // Read again, keeping what it takes to name the line: only on the failing path, as
        // keeping every object's JSON costs a copy of the whole export.
        Err(SourceError::Model { .. }) => res_bytes(&load(src, true)?)?,
        Err(e) => return Err(e),
    };
    let name = format!("{}.res", loaded.manifest.package.name);
    let mut outputs = vec![(name.clone(), res)];
    if let Some(tar) = &loaded.manifest.tar {
        let export_date = loaded
            .value
            .get("export_date")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let mtime = u64::try_from(export_date / 1000).unwrap_or(0);
        let mut members: Vec<(&str, &[u8])> = vec![(name.as_str(), outputs[0].1.as_slice())];
        for (n, bytes) in &loaded.includes {
            members.push((n.as_str(), bytes.as_slice()));
        }
        let bytes = crate::pack::tar_bytes(&members, mtime)?;
        outputs.push((tar.file.clone(), bytes));
    }
    std::fs::create_dir_all(out).map_err(|source| SourceError::Create {
        path: out.to_path_buf(),
        source,
    })?;
    let mut artifacts = Vec::new();
    for (name, bytes) in outputs {
        let path = out.join(name);
        std::fs::write(&path, &bytes).map_err(|source| SourceError::Create {
            path: path.clone(),
            source,
        })?;
        artifacts.push(Artifact {
            path,
            sha256: crate::pack::sha256_hex(&bytes),
        });
    }
    release(loaded);
    Ok(artifacts)
}

/// Validate a source directory: the checks of `respack validate` on the resource file it
/// builds, each finding located in the file (and line) it comes from.
pub fn validate(
    src: &Path,
    options: &crate::validate::Options,
) -> Result<crate::validate::Report, SourceError> {
    let loaded = load(src, true)?;
    let doc = res::Document {
        origin: res::Origin::file(src),
        text: res::canonical_value(&loaded.value)?,
    };
    let mut report = crate::validate::validate_document(&doc, options);
    for d in &mut report.diagnostics {
        if let Some((file, line)) = loaded.map.locate(&d.path, &d.message) {
            d.location = Some(match line {
                Some(l) => format!("{file}:{l}"),
                None => file,
            });
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `dir` carries the top-of-hierarchy flag (false where flags cannot be read).
    #[cfg(target_os = "linux")]
    fn is_marked(dir: &Path) -> bool {
        use rustix::fs::{IFlags, Mode, OFlags};
        rustix::fs::open(dir, OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty())
            .and_then(rustix::fs::ioctl_getflags)
            .is_ok_and(|f| f.contains(IFlags::TOPDIR))
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn marking_a_new_source_directory_says_whether_it_took_and_follows_no_link() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        std::fs::create_dir(&src).unwrap();
        let applied = mark_top_of_hierarchy(&src);
        assert_eq!(applied, is_marked(&src));
        // A link in the directory's place is refused, and its target left alone.
        let target = dir.path().join("target");
        std::fs::create_dir(&target).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(!mark_top_of_hierarchy(&link));
        assert!(!is_marked(&target));
    }

    #[test]
    fn unpack_marks_only_a_directory_it_creates() {
        let dir = tempfile::tempdir().unwrap();
        let files = [SourceFile {
            dir: Some("functions".into()),
            name: "f.json".into(),
            bytes: b"{}\n".to_vec(),
        }];
        let given = dir.path().join("given");
        std::fs::create_dir(&given).unwrap();
        write(&given, &files).unwrap();
        let created = dir.path().join("created");
        write(&created, &files).unwrap();
        assert_eq!(
            std::fs::read(created.join("functions/f.json")).unwrap(),
            b"{}\n"
        );
        // The folder made under a random name was renamed: nothing else is left behind.
        let names: Vec<String> = std::fs::read_dir(&created)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["functions"]);
        #[cfg(target_os = "linux")]
        {
            assert!(
                !is_marked(&given),
                "an empty directory the user gave is left as it is"
            );
            assert_eq!(is_marked(&created), mark_top_of_hierarchy(&created));
        }
    }
}
