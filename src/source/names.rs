//! File names for objects: an API name made safe to use as a file name on every file system a
//! source directory may be checked out on, and unique within its folder.
//!
//! Names come from the export, which may be hostile: `../x`, `/etc/passwd`, `CON`, a NUL, or
//! two names that differ only in case (`Foo`, `foo`), which one file on macOS and Windows.
//! [`safe_stem`] keeps ASCII letters, digits, `-`, `_`, `.` and inner spaces, turns `/` into
//! `.` (fields are named `incident/<name>`), and percent-encodes every other byte, a leading dot
//! or space, a trailing dot or space and the first letter of a reserved Windows device name.
//! [`Claims`] then makes the names of one folder unique, comparing them without case, by
//! appending `~2`, `~3`, ... The file name is only a label: a build reads the object's
//! identity from its JSON, so the encoding never has to be reversed.

use std::collections::HashSet;
use std::fmt::Write;

/// Longest stem kept as is; longer names are cut and given a hash, so a name stays well below
/// the 255-byte limit of common file systems even with an extension and a `~N` suffix.
const MAX_STEM: usize = 96;

/// Device names Windows reserves in every directory, with any extension.
const RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7",
    "COM8", "COM9", "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    "CONIN$", "CONOUT$",
];

/// A stem (file name without extension) for `name`: never empty, never `.` or `..`, no path
/// separator, no control character, no reserved device name, ASCII only.
pub fn safe_stem(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let last = name.len().saturating_sub(1);
    for (i, b) in name.bytes().enumerate() {
        let keep = match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' => true,
            b'.' | b' ' => i != 0 && i != last,
            _ => false,
        };
        if keep {
            out.push(b as char);
        } else if b == b'/' && i != 0 && i != last {
            out.push('.');
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    if out.is_empty() {
        return "_".to_owned();
    }
    let device = out.split('.').next().unwrap_or("").trim_end();
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(device)) {
        let first = out.as_bytes()[0];
        out.replace_range(..1, &format!("%{first:02X}"));
    }
    if out.len() > MAX_STEM {
        // Cut on a character boundary that does not split a `%XX`, then add a hash of the whole
        // name so that two long names with one prefix stay apart.
        let mut cut = MAX_STEM - 17;
        while out.as_bytes()[cut - 1] == b'%' || out.as_bytes()[cut - 2] == b'%' {
            cut -= 1;
        }
        let hash = crate::pack::sha256_hex(name.as_bytes());
        out.truncate(cut);
        let trimmed = out.trim_end_matches(['.', ' ']).len();
        out.truncate(trimmed);
        let _ = write!(out, "~{}", &hash[..16]);
    }
    out
}

/// Whether `name` is a file name respack could have written: what a source may refer to.
/// Anything else (a path, `..`, a hidden file) is refused when a source is read.
pub fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && name.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b' ' | b'%' | b'~')
        })
}

/// The file names taken in one folder, compared without case.
#[derive(Debug, Default)]
pub struct Claims {
    taken: HashSet<String>,
}

impl Claims {
    /// Take `name` (fixed names such as `order.txt`).
    pub fn reserve(&mut self, name: &str) {
        self.taken.insert(name.to_ascii_lowercase());
    }

    /// A free file name `<stem>.<ext>`, or `<stem>~N.<ext>` with the smallest free N; returns
    /// the stem actually used.
    pub fn claim(&mut self, stem: &str, ext: &str) -> String {
        let mut candidate = stem.to_owned();
        let mut n = 1;
        while !self
            .taken
            .insert(format!("{candidate}.{ext}").to_ascii_lowercase())
        {
            n += 1;
            candidate = format!("{stem}~{n}");
        }
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_become_plain_file_names() {
        for (name, want) in [
            ("fn_mitre", "fn_mitre"),
            ("incident/qradar_id", "incident.qradar_id"),
            ("../../etc/passwd", "%2E.....etc.passwd"),
            ("/abs", "%2Fabs"),
            ("..", "%2E%2E"),
            (".", "%2E"),
            ("", "_"),
            ("a\0b", "a%00b"),
            ("CON", "%43ON"),
            ("aux.txt", "%61ux.txt"),
            ("Lpt1 ", "Lpt1%20"),
            ("lpt1", "%6Cpt1"),
            ("My rule ", "My rule%20"),
            ("a\\b:c", "a%5Cb%3Ac"),
            ("ล", "%E0%B8%A5"),
        ] {
            let got = safe_stem(name);
            assert_eq!(got, want, "{name:?}");
            assert!(is_plain_file_name(&format!("{got}.json")), "{got}");
        }
    }

    #[test]
    fn long_names_are_cut_with_a_hash() {
        let a = safe_stem(&"x".repeat(300));
        let b = safe_stem(&format!("{}y", "x".repeat(299)));
        assert!(a.len() <= MAX_STEM, "{}", a.len());
        assert_ne!(a, b);
        let pct = safe_stem(&"ล".repeat(100));
        assert!(pct.len() <= MAX_STEM);
        assert!(!pct.split('~').next().unwrap().ends_with('%'), "{pct}");
    }

    #[test]
    fn case_only_clashes_get_a_suffix() {
        let mut c = Claims::default();
        c.reserve("order.txt");
        assert_eq!(c.claim("Foo", "json"), "Foo");
        assert_eq!(c.claim("foo", "json"), "foo~2");
        assert_eq!(c.claim("FOO", "json"), "FOO~3");
        assert_eq!(c.claim("foo", "py"), "foo");
        assert_eq!(c.claim("ORDER", "txt"), "ORDER~2");
    }
}
