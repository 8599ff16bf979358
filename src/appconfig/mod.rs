//! The one app.config reader: the file resilient-circuits and the integrations read, parsed by
//! the same rules, for every section respack uses (`[resilient]` for [`crate::soar`],
//! `[fn_qradar_advisor]` / `[fn_qradar_integration]` / `[fn_mitre_integration]` /
//! `[integrations]` for [`crate::runtime`], and the sections `respack serve` writes).
//!
//! Why one reader: the same file read four ways gave four answers (one of them cut
//! `stix_bundle_path = /x/enterprise#4.json.gz` at the `#`). The rules are those of the code
//! that reads the file in production, `resilient.co3argparse.ArgumentParser` (resilient 51):
//!
//! - One UTF-8 byte order mark at the start of the file is skipped; the text must be UTF-8.
//! - Python's `configparser.ConfigParser(interpolation=None)` with its defaults: `[section]`
//!   headers (case-sensitive names, everything between the first `[` and the last `]` of the
//!   line); `key = value` or `key: value` split at the first `=` or `:`; keys lower-cased, values
//!   stripped; `#` and `;` start a comment only as the first non-blank character of a line, so
//!   `#` and `;` inside a value are kept; a line indented deeper than its key continues the value
//!   (joined with `\n`, blank lines inside kept, trailing ones dropped); no `%` interpolation;
//!   `[DEFAULT]` keys show in every section unless the section sets them; a key before any
//!   section, a repeated section, a repeated key in a section (`strict=True`) and a line that is
//!   neither are errors (we name the line).
//! - `$NAME` as a whole value and `${NAME}` anywhere in a value are replaced by the environment
//!   variable's value (resilient's `AppConfigManager`), and only when the key is read. A `$` in
//!   the middle of a value (`pa$word`) is kept. Where resilient keeps an unset `$NAME` as the
//!   literal text, we refuse it, naming the file, section, key and variable: a literal `$NAME`
//!   sent as a secret only fails later, as a confusing 401. A name that cannot be a variable
//!   (`$pa#word`) is kept as written, as resilient does.
//!
//! The environment comes in as a value ([`Vars`]), read once by the CLI.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::help::Help;

#[cfg(test)]
mod tests;

/// The name of the section whose keys every other section inherits.
pub const DEFAULT_SECTION: &str = "DEFAULT";

/// Environment variables that `$NAME` / `${NAME}` values may name. `Debug` shows the names
/// only: the values may be secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Vars(BTreeMap<String, String>);

impl Vars {
    /// No variables: every `$NAME` value is reported as unset.
    pub fn none() -> Vars {
        Vars::default()
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Vars {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Vars(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl fmt::Debug for Vars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// What can be wrong with an app.config, each naming the file (and the line, section and key
/// where there is one).
#[derive(Debug, thiserror::Error)]
pub enum AppConfigError {
    #[error("cannot read {}: {source}", file.display())]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: not UTF-8 text", file.display())]
    NotUtf8 { file: PathBuf, line: usize },
    #[error("{}:{line}: a key comes before the first [section]", file.display())]
    NoSection { file: PathBuf, line: usize },
    #[error("{}:{line}: section [{section}] is given twice (first on line {first})", file.display())]
    DuplicateSection {
        file: PathBuf,
        line: usize,
        section: String,
        first: usize,
    },
    #[error("{at} is given twice (first on line {first})")]
    DuplicateKey { at: Box<Place>, first: usize },
    /// Lines that are neither a section header, nor `key = value`, nor a comment. Their text
    /// is not repeated: a line without `=` may well be a password.
    #[error("{}: line{} {} {} neither [section] nor key = value", file.display(),
            if lines.len() == 1 { "" } else { "s" }, join_lines(lines),
            if lines.len() == 1 { "is" } else { "are" })]
    Syntax { file: PathBuf, lines: Vec<usize> },
    #[error("{at} refers to the environment variable {name}, which is not set")]
    MissingVariable { at: Box<Place>, name: String },
    #[error("{}: section [{section}] is missing", file.display())]
    MissingSection { file: PathBuf, section: String },
    #[error("{at} is required")]
    MissingKey { at: Box<Place> },
    /// A value the reader of a section cannot use. `value` is never a secret: readers do not
    /// validate secrets.
    #[error("{at} = {value:?}: {reason}")]
    BadValue {
        at: Box<Place>,
        value: String,
        reason: String,
    },
}

/// Where a key is: `FILE:LINE: [section] key` (no line for a key that is absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub section: String,
    pub key: String,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": [{}] {}", self.section, self.key)
    }
}

fn join_lines(lines: &[usize]) -> String {
    lines
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Help for AppConfigError {
    fn help(&self) -> Option<String> {
        use AppConfigError::*;
        Some(match self {
            Read { .. } => "give the app.config resilient-circuits uses (default ~/.resilient/app.config)".into(),
            NotUtf8 { .. } => "save the file as UTF-8, as resilient-circuits reads it".into(),
            NoSection { .. } => "put the key under its section, e.g. [resilient]".into(),
            DuplicateSection { section, .. } => {
                format!("merge the two [{section}] sections: resilient-circuits refuses the file too")
            }
            DuplicateKey { at, .. } => {
                format!("keep one `{}`: resilient-circuits refuses the file too", at.key)
            }
            Syntax { .. } => {
                "write `key = value`; indent a line to continue the value above, start it with # or ; to comment it out".into()
            }
            MissingVariable { name, .. } => {
                format!("export {name}, or write the value into the file")
            }
            MissingSection { section, .. } => {
                format!("add a [{section}] section to the app.config")
            }
            MissingKey { at } => format!("set `{}` in [{}]", at.key, at.section),
            BadValue { at, .. } => format!("correct `{}` in [{}]", at.key, at.section),
        })
    }
}

/// One key's value as written, and as read after `$NAME` substitution.
#[derive(Clone, PartialEq, Eq)]
struct Entry {
    key: String,
    line: usize,
    /// The substituted value, or the name of the unset variable it refers to.
    value: Result<String, String>,
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values may be secrets.
        write!(f, "{}@{}", self.key, self.line)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct SectionData {
    name: String,
    line: usize,
    entries: Vec<Entry>,
}

/// A parsed app.config. `Debug` shows keys and lines, never values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppConfig {
    file: PathBuf,
    /// `[DEFAULT]`, possibly empty.
    defaults: Vec<Entry>,
    sections: Vec<SectionData>,
}

impl AppConfig {
    /// Read and parse `file`.
    pub fn read(file: &Path, vars: &Vars) -> Result<AppConfig, AppConfigError> {
        let bytes = std::fs::read(file).map_err(|source| AppConfigError::Read {
            file: file.to_path_buf(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let ok = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            AppConfigError::NotUtf8 {
                file: file.to_path_buf(),
                line: 1 + ok.iter().filter(|b| **b == b'\n').count(),
            }
        })?;
        AppConfig::parse(file, &text, vars)
    }

    /// Parse app.config `text`; `file` is the name errors give it.
    pub fn parse(file: &Path, text: &str, vars: &Vars) -> Result<AppConfig, AppConfigError> {
        Parser::new(file).run(text, vars)
    }

    /// The file this was read from (or the name it was given).
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// `[name]` (not `[DEFAULT]`), with the `[DEFAULT]` keys it inherits.
    pub fn section(&self, name: &str) -> Option<Section<'_>> {
        self.sections
            .iter()
            .find(|s| s.name == name)
            .map(|data| Section { config: self, data })
    }

    /// `[name]`, or an error naming the file and the section.
    pub fn require(&self, name: &str) -> Result<Section<'_>, AppConfigError> {
        self.section(name)
            .ok_or_else(|| AppConfigError::MissingSection {
                file: self.file.clone(),
                section: name.to_string(),
            })
    }

    /// Every section but `[DEFAULT]`, in file order.
    pub fn sections(&self) -> impl Iterator<Item = Section<'_>> {
        self.sections
            .iter()
            .map(move |data| Section { config: self, data })
    }
}

/// One section of an [`AppConfig`].
#[derive(Debug, Clone, Copy)]
pub struct Section<'a> {
    config: &'a AppConfig,
    data: &'a SectionData,
}

impl<'a> Section<'a> {
    pub fn name(&self) -> &'a str {
        &self.data.name
    }

    pub fn file(&self) -> &'a Path {
        &self.config.file
    }

    fn entry(&self, key: &str) -> Option<&'a Entry> {
        let key = lower(key);
        self.data
            .entries
            .iter()
            .chain(&self.config.defaults)
            .find(|e| e.key == key)
    }

    /// The value of `key` (any case) as written, `$NAME` substituted; `None` when the section
    /// (and `[DEFAULT]`) lacks it. An empty value is `Some("")`.
    pub fn get(&self, key: &str) -> Result<Option<&'a str>, AppConfigError> {
        match self.entry(key) {
            None => Ok(None),
            Some(Entry { value: Ok(v), .. }) => Ok(Some(v)),
            Some(Entry {
                value: Err(name),
                line,
                key,
            }) => Err(AppConfigError::MissingVariable {
                at: Box::new(self.place(key, Some(*line))),
                name: name.clone(),
            }),
        }
    }

    /// [`Section::get`], with an empty (or blank) value read as absent.
    pub fn optional(&self, key: &str) -> Result<Option<&'a str>, AppConfigError> {
        Ok(self.get(key)?.map(str::trim).filter(|v| !v.is_empty()))
    }

    /// A key that must have a non-blank value.
    pub fn required(&self, key: &str) -> Result<&'a str, AppConfigError> {
        self.optional(key)?.ok_or_else(|| self.missing(key))
    }

    /// The line `key` is on (in this section or `[DEFAULT]`).
    pub fn line(&self, key: &str) -> Option<usize> {
        self.entry(key).map(|e| e.line)
    }

    /// The keys of this section and those it inherits, lower-cased, in file order.
    pub fn keys(&self) -> Vec<&'a str> {
        let own = self.data.entries.iter().map(|e| e.key.as_str());
        let inherited = self
            .config
            .defaults
            .iter()
            .map(|e| e.key.as_str())
            .filter(|k| !self.data.entries.iter().any(|e| e.key == *k));
        own.chain(inherited).collect()
    }

    fn place(&self, key: &str, line: Option<usize>) -> Place {
        Place {
            file: self.config.file.clone(),
            line,
            section: self.data.name.clone(),
            key: key.to_string(),
        }
    }

    /// The error for a required key that is absent or empty.
    pub fn missing(&self, key: &str) -> AppConfigError {
        AppConfigError::MissingKey {
            at: Box::new(self.place(key, None)),
        }
    }

    /// The error for a value the reader cannot use (never call it with a secret's value).
    pub fn bad(&self, key: &str, value: &str, reason: &str) -> AppConfigError {
        let line = self.line(key).unwrap_or(self.data.line);
        AppConfigError::BadValue {
            at: Box::new(self.place(&lower(key), Some(line))),
            value: value.to_string(),
            reason: reason.to_string(),
        }
    }
}

/// Python's `str.lower()`, which [`str::to_lowercase`] matches (final sigma included).
fn lower(s: &str) -> String {
    s.to_lowercase()
}

/// Python's `str.isspace()`: Unicode white space plus the four ASCII separators 0x1c-0x1f.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

fn py_strip(s: &str) -> &str {
    s.trim_matches(py_space)
}

/// Lines as Python's universal newlines split them: `\r\n`, `\r` or `\n`; a line ending at the
/// end of the text ends the last line rather than starting an empty one.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let body = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix(['\n', '\r']))
        .unwrap_or(text);
    let mut rest = (!text.is_empty()).then_some(body);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.find(['\r', '\n']) {
            Some(i) => {
                let skip = if r[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&r[i + skip..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// Where the parser is writing: `[DEFAULT]` or the index of a section.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Defaults,
    Section(usize),
}

/// A value being read, before its lines are joined.
struct Pending {
    target: Target,
    index: usize,
    parts: Vec<String>,
}

/// A key, its line and its value's lines, before they are joined.
type RawEntry = (String, usize, Vec<String>);

/// CPython's `RawConfigParser._read`, step for step (see the module docs).
struct Parser {
    file: PathBuf,
    defaults: Vec<RawEntry>,
    sections: Vec<(String, usize, Vec<RawEntry>)>,
    bad_lines: Vec<usize>,
}

impl Parser {
    fn new(file: &Path) -> Parser {
        Parser {
            file: file.to_path_buf(),
            defaults: vec![],
            sections: vec![],
            bad_lines: vec![],
        }
    }

    fn entries(&mut self, t: Target) -> &mut Vec<RawEntry> {
        match t {
            Target::Defaults => &mut self.defaults,
            Target::Section(i) => &mut self.sections[i].2,
        }
    }

    fn run(mut self, text: &str, vars: &Vars) -> Result<AppConfig, AppConfigError> {
        // resilient skips one BOM before handing the file to configparser.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut target: Option<Target> = None;
        let mut current: Option<Pending> = None;
        let mut indent_level = 0usize;
        for (lineno, line) in (1..).zip(lines(text)) {
            let value = py_strip(line);
            if value.starts_with(['#', ';']) {
                continue;
            }
            if value.is_empty() {
                // A blank line may be inside a multi-line value; trailing ones are dropped
                // when the value is joined.
                if let Some(p) = current.as_mut() {
                    p.parts.push(String::new());
                }
                continue;
            }
            let indent = line.chars().take_while(|c| py_space(*c)).count();
            if let (Some(p), true) = (current.as_mut(), indent > indent_level) {
                p.parts.push(value.to_string());
                continue;
            }
            self.finish(current.take());
            indent_level = indent;
            if let Some(name) = section_header(value) {
                target = Some(if name == DEFAULT_SECTION {
                    Target::Defaults
                } else if let Some(first) = self.sections.iter().find(|s| s.0 == name) {
                    return Err(AppConfigError::DuplicateSection {
                        file: self.file,
                        line: lineno,
                        section: name.to_string(),
                        first: first.1,
                    });
                } else {
                    self.sections.push((name.to_string(), lineno, vec![]));
                    Target::Section(self.sections.len() - 1)
                });
                continue;
            }
            let Some(t) = target else {
                return Err(AppConfigError::NoSection {
                    file: self.file,
                    line: lineno,
                });
            };
            let Some((key, val)) = option(value) else {
                self.bad_lines.push(lineno);
                continue;
            };
            if key.is_empty() {
                // configparser records the error and reads on, as for a line without `=`.
                self.bad_lines.push(lineno);
                continue;
            }
            let key = lower(key);
            if let Some(first) = self.entries(t).iter().find(|e| e.0 == key).map(|e| e.1) {
                let section = match t {
                    Target::Defaults => DEFAULT_SECTION.to_string(),
                    Target::Section(i) => self.sections[i].0.clone(),
                };
                return Err(AppConfigError::DuplicateKey {
                    at: Box::new(Place {
                        file: self.file,
                        line: Some(lineno),
                        section,
                        key,
                    }),
                    first,
                });
            }
            let entries = self.entries(t);
            entries.push((key, lineno, vec![]));
            current = Some(Pending {
                target: t,
                index: entries.len() - 1,
                parts: vec![val.to_string()],
            });
        }
        self.finish(current.take());
        if !self.bad_lines.is_empty() {
            return Err(AppConfigError::Syntax {
                file: self.file,
                lines: self.bad_lines,
            });
        }
        let convert = |entries: Vec<RawEntry>| -> Vec<Entry> {
            entries
                .into_iter()
                .map(|(key, line, parts)| {
                    let joined = parts.join("\n");
                    let raw = joined.trim_end_matches(py_space);
                    Entry {
                        key,
                        line,
                        value: substitute(raw, vars),
                    }
                })
                .collect()
        };
        Ok(AppConfig {
            defaults: convert(self.defaults),
            sections: self
                .sections
                .into_iter()
                .map(|(name, line, entries)| SectionData {
                    name,
                    line,
                    entries: convert(entries),
                })
                .collect(),
            file: self.file,
        })
    }

    fn finish(&mut self, pending: Option<Pending>) {
        if let Some(p) = pending {
            self.entries(p.target)[p.index].2 = p.parts;
        }
    }
}

/// `SECTCRE`: `[` at the start, then everything up to the last `]` of the line (at least one
/// character, not trimmed).
fn section_header(value: &str) -> Option<&str> {
    let rest = value.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    (end > 0).then(|| &rest[..end])
}

/// `OPTCRE`: the key is what comes before the first `=` or `:`, both sides stripped.
fn option(value: &str) -> Option<(&str, &str)> {
    let at = value.find(['=', ':'])?;
    Some((
        value[..at].trim_end_matches(py_space),
        py_strip(&value[at + 1..]),
    ))
}

/// resilient's `$NAME` / `${NAME}` substitution (`AppConfigManager.__getitem__` and
/// `replace_secret_in_config`): `${...}` anywhere when the value holds `${`, else a value
/// starting with `$` names one variable. `Err(name)` when a variable is not set.
fn substitute(item: &str, vars: &Vars) -> Result<String, String> {
    let prefix = if item.contains("${") {
        "${"
    } else if item.starts_with('$') {
        "$"
    } else {
        return Ok(item.to_string());
    };
    let mut item = item.to_string();
    let mut start = item.find(prefix);
    while let Some(at) = start {
        // The reference runs to the next `}`, or to the end of the value.
        let end = item[at..]
            .find('}')
            .map(|i| at + i + 1)
            .unwrap_or(item.len());
        let reference = item[at..end].to_string();
        let name = reference.replace(prefix, "").replace('}', "");
        let name = name.trim_start_matches('$');
        let value = match vars.get(name) {
            Some(v) => v.to_string(),
            None if is_variable_name(name) => return Err(name.to_string()),
            // Not something a variable could be called (a password starting with `$`, say):
            // resilient finds no such variable and keeps the text as written.
            None => reference,
        };
        item.replace_range(at..end, &value);
        let next = at + value.len();
        start = item[next..].find(prefix).map(|i| next + i);
    }
    Ok(item)
}

/// What a POSIX shell accepts as a variable name.
fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
