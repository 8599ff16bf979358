//! Readers for every container a resource file arrives in: plain `.res` JSON (in any of the
//! serialisations IBM's tools write), `.resz` (a zip holding one `.res`), and a `.res` member
//! of a `.tar` or `.tar.gz`.
//!
//! The container is recognised by its bytes, not its name. Archives are read in memory and
//! never extracted, and a member whose path could escape a directory (`..`, absolute) or that is
//! a link makes the whole archive refused: such a tar was not written by SOAR or by respack.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::{ResError, ResFile};

/// The most respack reads from one file or archive member (the largest real org export seen is
/// 3.2 MB; this leaves room without letting a zip bomb fill memory).
pub const MAX_BYTES: u64 = 256 * 1024 * 1024;

/// Where a document came from: a file, and the member inside it for archives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub path: PathBuf,
    pub member: Option<String>,
}

impl Origin {
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Origin {
            path: path.into(),
            member: None,
        }
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.member {
            Some(m) => write!(f, "{}[{}]", self.path.display(), m),
            None => write!(f, "{}", self.path.display()),
        }
    }
}

/// The JSON text of a resource file, and where it came from.
#[derive(Debug, Clone)]
pub struct Document {
    pub origin: Origin,
    pub text: String,
}

impl Document {
    /// Parse the text into the typed model.
    pub fn parse(&self) -> Result<ResFile, ResError> {
        parse(&self.origin, &self.text)
    }

    /// The text's JSON value, checked against the typed model: what `respack fmt`, `unpack` and
    /// the build write. The model is lossless (a value it accepts writes back as the same
    /// value), so the value is parsed directly while a second thread checks the model; it
    /// would cost a second copy of the export and half of `fmt`'s time to turn the model back
    /// into a value. Debug builds compare the two.
    pub fn parse_checked(&self) -> Result<serde_json::Value, ResError> {
        let (model, value) = std::thread::scope(|s| {
            let check = s.spawn(|| self.parse().map(|m| cfg!(debug_assertions).then_some(m)));
            let value = parse_value(&self.origin, &self.text);
            let model = check
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            (model, value)
        });
        // The model's error first: it names the member that does not fit.
        let model = model?;
        let value = value?;
        if let Some(model) = model {
            debug_assert!(
                serde_json::to_value(&model).ok().as_ref() == Some(&value),
                "the resource file model changed the value of {}",
                self.origin
            );
        }
        Ok(value)
    }
}

/// Read a file of any supported container into its JSON text.
pub fn load(path: &Path) -> Result<Document, ResError> {
    let io = |source| ResError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.len() > MAX_BYTES {
        return Err(ResError::TooLarge {
            origin: Origin::file(path),
            limit_mib: MAX_BYTES >> 20,
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    from_bytes(path, bytes)
}

/// Read a file and parse it: the one call most commands need.
pub fn read(path: &Path) -> Result<(Document, ResFile), ResError> {
    let doc = load(path)?;
    let res = doc.parse()?;
    Ok((doc, res))
}

/// Recognise the container of `bytes` (read from `path`) and return the JSON text inside.
pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Document, ResError> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return from_zip(path, &bytes);
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut inflated = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .take(MAX_BYTES + 1)
            .read_to_end(&mut inflated)
            .map_err(|e| ResError::Container {
                origin: Origin::file(path),
                message: format!("bad gzip data: {e}"),
            })?;
        if inflated.len() as u64 > MAX_BYTES {
            return Err(ResError::TooLarge {
                origin: Origin::file(path),
                limit_mib: MAX_BYTES >> 20,
            });
        }
        return if is_tar(&inflated) {
            from_tar(path, &inflated)
        } else {
            text(Origin::file(path), inflated)
        };
    }
    if is_tar(&bytes) {
        return from_tar(path, &bytes);
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let expected = match ext.as_str() {
        "tar" => Some("a tar archive"),
        "gz" | "tgz" => Some("gzip data"),
        "resz" | "zip" => Some("a zip archive"),
        _ => None,
    };
    if let Some(expected) = expected {
        return Err(ResError::Unrecognised {
            path: path.to_path_buf(),
            reason: format!("the name says {expected}, but the bytes are not"),
        });
    }
    text(Origin::file(path), bytes)
}

fn is_tar(bytes: &[u8]) -> bool {
    bytes.len() >= 512 && &bytes[257..262] == b"ustar"
}

fn text(origin: Origin, mut bytes: Vec<u8>) -> Result<Document, ResError> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Document { origin, text }),
        Err(e) => Err(ResError::NotUtf8 {
            origin,
            offset: e.utf8_error().valid_up_to(),
        }),
    }
}

fn is_res_member(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".res")
}

fn from_zip(path: &Path, bytes: &[u8]) -> Result<Document, ResError> {
    let origin = Origin::file(path);
    let bad = |e: zip::result::ZipError| ResError::Container {
        origin: origin.clone(),
        message: format!("bad zip archive: {e}"),
    };
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(bad)?;
    let names: Vec<String> = archive
        .file_names()
        .filter(|n| is_res_member(n))
        .map(str::to_string)
        .collect();
    let member = single_member(&origin, names)?;
    let mut entry = archive.by_name(&member).map_err(bad)?;
    let mut out = Vec::new();
    (&mut entry)
        .take(MAX_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| ResError::Container {
            origin: origin.clone(),
            message: format!("cannot inflate {member}: {e}"),
        })?;
    if out.len() as u64 > MAX_BYTES {
        return Err(ResError::TooLarge {
            origin,
            limit_mib: MAX_BYTES >> 20,
        });
    }
    text(
        Origin {
            path: path.to_path_buf(),
            member: Some(member),
        },
        out,
    )
}

fn from_tar(path: &Path, bytes: &[u8]) -> Result<Document, ResError> {
    let origin = Origin::file(path);
    let bad = |e: std::io::Error| ResError::Container {
        origin: origin.clone(),
        message: format!("bad tar archive: {e}"),
    };
    let mut archive = tar::Archive::new(bytes);
    let mut found: Vec<(String, Vec<u8>)> = Vec::new();
    for entry in archive.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let unsafe_member = |reason| ResError::UnsafeMember {
            origin: origin.clone(),
            member: name.clone(),
            reason,
        };
        let entry_type = entry.header().entry_type();
        if entry_type.is_symlink() || entry_type.is_hard_link() {
            return Err(unsafe_member("links are not allowed in a package archive"));
        }
        let p = Path::new(&name);
        if p.is_absolute() || name.starts_with('/') {
            return Err(unsafe_member("absolute member paths are not allowed"));
        }
        if p.components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            return Err(unsafe_member(
                "`..` in a member path could write outside the target directory",
            ));
        }
        if entry_type.is_file() && is_res_member(&name) {
            if entry.size() > MAX_BYTES {
                return Err(ResError::TooLarge {
                    origin,
                    limit_mib: MAX_BYTES >> 20,
                });
            }
            let mut out = Vec::new();
            entry.read_to_end(&mut out).map_err(bad)?;
            found.push((name, out));
        }
    }
    // One member exactly, or single_member says why not.
    single_member(&origin, found.iter().map(|(n, _)| n.clone()).collect())?;
    let (member, bytes) = found.swap_remove(0);
    text(
        Origin {
            path: path.to_path_buf(),
            member: Some(member),
        },
        bytes,
    )
}

fn single_member(origin: &Origin, names: Vec<String>) -> Result<String, ResError> {
    match names.len() {
        1 => Ok(names.into_iter().next().unwrap_or_default()),
        0 => Err(ResError::Container {
            origin: origin.clone(),
            message: "the archive holds no .res member".into(),
        }),
        _ => Err(ResError::Container {
            origin: origin.clone(),
            message: format!(
                "the archive holds several .res members ({}); respack reads one",
                names.join(", ")
            ),
        }),
    }
}

/// Parse JSON text into the typed model: syntax errors carry line and column, type errors the
/// JSON pointer of the offending member.
pub fn parse(origin: &Origin, text: &str) -> Result<ResFile, ResError> {
    check_top_level(origin, text)?;
    let mut de = serde_json::Deserializer::from_str(text);
    let res: ResFile = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let pointer = json_pointer(e.path());
        json_error(origin, e.into_inner(), Some(pointer))
    })?;
    de.end().map_err(|e| json_error(origin, e, None))?;
    Ok(res)
}

/// Parse JSON text into an untyped value, with the same error reporting as [`parse`].
pub fn parse_value(origin: &Origin, text: &str) -> Result<serde_json::Value, ResError> {
    check_top_level(origin, text)?;
    serde_json::from_str(text).map_err(|e| json_error(origin, e, None))
}

fn check_top_level(origin: &Origin, text: &str) -> Result<(), ResError> {
    let found = match text.trim_start().as_bytes().first() {
        None => "empty",
        Some(b'{') => return Ok(()),
        // Name the kind only of what is valid JSON: text such as `nope` or `1,2,3` is a syntax
        // error with its line and column, not "null" or "a JSON number".
        Some(_) => match serde_json::from_str::<serde_json::Value>(text) {
            Err(e) => return Err(json_error(origin, e, None)),
            Ok(serde_json::Value::Object(_)) => return Ok(()),
            Ok(serde_json::Value::Array(_)) => "a JSON array",
            Ok(serde_json::Value::String(_)) => "a JSON string",
            Ok(serde_json::Value::Bool(_)) => "a JSON boolean",
            Ok(serde_json::Value::Null) => "null",
            Ok(serde_json::Value::Number(_)) => "a JSON number",
        },
    };
    Err(ResError::NotAnObject {
        origin: origin.clone(),
        found,
    })
}

fn json_error(origin: &Origin, e: serde_json::Error, pointer: Option<String>) -> ResError {
    use serde_json::error::Category;
    match (e.classify(), pointer) {
        (Category::Data, Some(pointer)) => ResError::Schema {
            origin: origin.clone(),
            pointer,
            message: strip_position(&e.to_string()),
        },
        _ => ResError::Json {
            origin: origin.clone(),
            line: e.line(),
            column: e.column(),
            message: strip_position(&e.to_string()),
        },
    }
}

/// serde_json appends " at line L column C"; the error carries those as fields already.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// The JSON pointer (RFC 6901) of a serde path: where in a document a value failed to fit.
pub(crate) fn json_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        out.push('/');
        match seg {
            Segment::Seq { index } => out.push_str(&index.to_string()),
            Segment::Map { key } => out.push_str(&key.replace('~', "~0").replace('/', "~1")),
            Segment::Enum { variant } => out.push_str(variant),
            Segment::Unknown => out.push('?'),
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}
