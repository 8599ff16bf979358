//! The canonical writer: sorted keys, 2-space indent, UTF-8, trailing newline.
//!
//! The build, `fmt` and the backups all write through here, so two files with the same JSON
//! value always have the same bytes.

use super::{ResError, ResFile};

/// The canonical text of a resource file.
pub fn to_canonical(res: &ResFile) -> Result<String, ResError> {
    let value = serde_json::to_value(res).map_err(ResError::Serialise)?;
    canonical_value(&value)
}

/// The canonical text of any JSON value. Object keys come out sorted because `serde_json::Map`
/// is a `BTreeMap` in this crate (the `preserve_order` feature must stay off).
pub fn canonical_value(value: &serde_json::Value) -> Result<String, ResError> {
    let mut text = serde_json::to_string_pretty(value).map_err(ResError::Serialise)?;
    text.push('\n');
    Ok(text)
}
