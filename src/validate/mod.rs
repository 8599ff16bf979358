//! `respack validate`: every check respack makes on a resource file, each finding a
//! [`Diagnostic`] with a stable code, a severity, the object it is about (kind and API name), a
//! JSON pointer, a message and, where there is a fix, a help line.
//!
//! The checks follow `reference/res-format.md`: required keys and their JSON types per kind
//! (§1.4), identities (§1.3), every closed reference of the cross-reference graph (§1.7), the
//! workflow and playbook BPMN (§1.5, §1.6) and the script rule IBM's own validator enforces
//! (§3.3: scripts must be `python3`). IBM's `resilient-sdk validate` does not check
//! cross-references at all; these checks are what makes an import fail half-way on a real org.
//!
//! How a file is judged:
//! 1. Its text is parsed once into a `serde_json::Value`, which the schema pass walks to report
//!    *every* missing key and wrong type with its pointer; the typed model ([`ResFile`]) is
//!    then built from that value. When the model cannot be built (a wrong type), only the
//!    schema findings are reported.
//! 2. [`validate_res`] runs the model checks with hash indexes of every identity built once, so
//!    each check is linear in the size of the file.
//! 3. Python 3 scripts are compiled by one `python3` process per file, with results cached on
//!    disk ([`pysyntax`]); this is the module's only side effect and can be turned off.
//!
//! # Codes
//!
//! | code | severity | finding |
//! |---|---|---|
//! | `json.not-utf8` | error | the file is not UTF-8 text |
//! | `json.syntax` | error | the file is not JSON (line and column given) |
//! | `json.not-object` | error | the JSON is not an object |
//! | `schema.missing` | error | a required key is absent or `null` |
//! | `schema.type` | error | a key holds the wrong JSON type |
//! | `schema.format-version` | warning | `export_format_version` is not 2 |
//! | `identity.duplicate-uuid` | error | two objects of one kind share a `uuid` |
//! | `identity.duplicate-name` | error | two objects of one kind share an API name (fields: `export_key`) |
//! | `identity.export-key` | warning | `export_key` disagrees with the API name |
//! | `ref.rule.workflow` | error | a rule runs a workflow that is not in the file |
//! | `ref.rule.destination` | error | a rule names a message destination (display name) that is not in the file |
//! | `ref.rule.field` | error | a rule's dialog shows a field that is not in the file |
//! | `ref.rule.object-type` | error | a rule's `object_type` is neither built in nor a data table of the file |
//! | `ref.rule.task` | error | a rule creates a task that is not in the file |
//! | `ref.rule.script` | error | a rule runs a script that is not in the file |
//! | `ref.function.destination` | error | a function's `destination_handle` is not a message destination of the file |
//! | `ref.function.field` | error | a function's input is not a function input field of the file |
//! | `ref.workflow.object-type` | error | a workflow's `object_type` is neither built in nor a data table |
//! | `ref.script.object-type` | error | a script's `object_type` is neither built in nor a data table |
//! | `ref.step.function` | error | a workflow or playbook step calls a function that is not in the file |
//! | `ref.step.input` | error | a step gives a value to an input field that is not a function input of the file |
//! | `ref.step.stale-input` | warning | a step sets inputs its function no longer declares (real org exports have these) |
//! | `ref.step.select-value` | error | a step chooses a select value the input field does not have |
//! | `ref.step.script` | error | a script step runs a script that is not in the file |
//! | `ref.step.task` | error | a task step creates a task that is not in the file |
//! | `ref.step.destination` | error | a message-destination step names a destination that is not in the file |
//! | `ref.step.subworkflow` | error | a workflow calls a sub-workflow that is not in the file |
//! | `ref.step.subplaybook` | error | a playbook calls a sub-playbook that is not in the file |
//! | `ref.playbook.field` | error | a playbook's form shows a field its `fields_type` lacks |
//! | `ref.task.phase` | error | a task's `phase_id` is not a phase of the file |
//! | `ref.column.table` | error | a data table column's `export_key` is not `<table>/<column>` |
//! | `ref.action-order` | error | `action_order` lists a uuid that is no rule of the file |
//! | `ref.task-order` | info | `task_order` lists uuids without a task (real org exports do) |
//! | `bpmn.malformed` | error | a workflow's or playbook's XML cannot be read |
//! | `bpmn.process-id` | warning | the BPMN process id differs from the programmatic name |
//! | `script.python2` | warning | Python 2 scripts (IBM's validator rejects them; SOAR dropped Python 2) |
//! | `script.language` | error | a script language other than `python` or `python3` |
//! | `script.syntax` | error | a Python 3 script does not compile (line given) |
//! | `script.syntax-skipped` | warning | no `python3` was found, so script syntax was not checked |
//! | `table.missing` | error (built-in package) / warning | a script adds rows to a data table the file lacks |
//! | `table.column-missing` | error (built-in package) / warning | a script writes a column the data table lacks |
//!
//! `docs/VALIDATE.md` has the same table with examples; a test keeps both in step with
//! [`CODES`].

mod checks;
mod identity;
pub mod pysyntax;
mod refs;
mod schema;
pub(crate) mod scripts;
mod steps;
mod text;

use std::path::Path;

use serde::Serialize;

use crate::res::{self, Document, Kind, ResError, ResFile};

/// How bad a finding is. Only errors make `respack validate` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        })
    }
}

/// The object a finding is about: its kind and its API name (or, when it has none, the best
/// name it has: display name, uuid, or its index in the list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectRef {
    pub kind: Kind,
    pub name: String,
}

impl ObjectRef {
    pub fn new(kind: Kind, name: impl Into<String>) -> Self {
        ObjectRef {
            kind,
            name: name.into(),
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Stable code from [`CODES`], e.g. `ref.step.subworkflow`.
    pub code: &'static str,
    pub severity: Severity,
    pub object: Option<ObjectRef>,
    /// JSON pointer into the file (RFC 6901), e.g. `/functions/3/export_key`; `""` is the
    /// whole document. Findings inside workflow XML point at its `content/xml` string and name
    /// the step in the message.
    pub path: String,
    pub message: String,
    /// What to change, when there is something to say.
    pub help: Option<String>,
    /// For a package source directory: the file (and `:line`) the finding is about, relative
    /// to the directory (`crate::source::validate` fills it in).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

impl Diagnostic {
    /// A finding with the severity its code documents.
    pub fn new(code: &'static str, path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: severity_of(code),
            object: None,
            path: path.into(),
            message: message.into(),
            help: None,
            location: None,
        }
    }

    pub fn object(mut self, object: ObjectRef) -> Self {
        self.object = Some(object);
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
}

/// A documented code: what [`Diagnostic::code`] can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeInfo {
    pub code: &'static str,
    /// The usual severity (`table.*` are errors for the built-in package only).
    pub severity: Severity,
    pub summary: &'static str,
}

macro_rules! codes {
    ($($code:literal $sev:ident $summary:literal,)*) => {
        /// Every code a finding can carry, with its usual severity.
        pub const CODES: &[CodeInfo] = &[
            $(CodeInfo { code: $code, severity: Severity::$sev, summary: $summary },)*
        ];
    };
}

codes! {
    "json.not-utf8" Error "the file is not UTF-8 text",
    "json.syntax" Error "the file is not JSON",
    "json.not-object" Error "the JSON is not an object",
    "schema.missing" Error "a required key is absent or null",
    "schema.type" Error "a key holds the wrong JSON type",
    "schema.format-version" Warning "export_format_version is not 2",
    "identity.duplicate-uuid" Error "two objects of one kind share a uuid",
    "identity.duplicate-name" Error "two objects of one kind share an API name",
    "identity.export-key" Warning "export_key disagrees with the API name",
    "ref.rule.workflow" Error "a rule runs a workflow that is not in the file",
    "ref.rule.destination" Error "a rule names a message destination that is not in the file",
    "ref.rule.field" Error "a rule's dialog shows a field that is not in the file",
    "ref.rule.object-type" Error "a rule's object type is neither built in nor a data table",
    "ref.rule.task" Error "a rule creates a task that is not in the file",
    "ref.rule.script" Error "a rule runs a script that is not in the file",
    "ref.function.destination" Error "a function's destination is not in the file",
    "ref.function.field" Error "a function's input is not a function input field of the file",
    "ref.workflow.object-type" Error "a workflow's object type is neither built in nor a data table",
    "ref.script.object-type" Error "a script's object type is neither built in nor a data table",
    "ref.step.function" Error "a step calls a function that is not in the file",
    "ref.step.input" Error "a step sets an input field that is not a function input of the file",
    "ref.step.stale-input" Warning "a step sets an input its function no longer has",
    "ref.step.select-value" Error "a step chooses a select value the input field does not have",
    "ref.step.script" Error "a script step runs a script that is not in the file",
    "ref.step.task" Error "a task step creates a task that is not in the file",
    "ref.step.destination" Error "a message-destination step names a destination that is not in the file",
    "ref.step.subworkflow" Error "a workflow calls a sub-workflow that is not in the file",
    "ref.step.subplaybook" Error "a playbook calls a sub-playbook that is not in the file",
    "ref.playbook.field" Error "a playbook's form shows a field its fields_type lacks",
    "ref.task.phase" Error "a task's phase is not in the file",
    "ref.column.table" Error "a column's export_key is not <table>/<column>",
    "ref.action-order" Error "action_order lists a uuid that is no rule of the file",
    "ref.task-order" Info "task_order lists uuids without a task",
    "bpmn.malformed" Error "a workflow's or playbook's XML cannot be read",
    "bpmn.process-id" Warning "the BPMN process id differs from the programmatic name",
    "script.python2" Warning "Python 2 scripts",
    "script.language" Error "a script language other than python or python3",
    "script.syntax" Error "a Python 3 script does not compile",
    "script.syntax-skipped" Warning "python3 was not found: script syntax not checked",
    "table.missing" Warning "a script adds rows to a data table the file lacks",
    "table.column-missing" Warning "a script writes a column the data table lacks",
}

fn severity_of(code: &str) -> Severity {
    CODES
        .iter()
        .find(|c| c.code == code)
        .map(|c| c.severity)
        // Unreachable for the codes this module emits (a unit test checks every one of them).
        .unwrap_or(Severity::Error)
}

/// The findings for one file (or for the built-in package).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The path as given, or `(built-in package)`.
    pub file: String,
    /// The `.res` member read from a `.resz`, `.tar` or `.tar.gz`.
    pub member: Option<String>,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    pub fn new(
        file: impl Into<String>,
        member: Option<String>,
        diagnostics: Vec<Diagnostic>,
    ) -> Self {
        let count = |s| diagnostics.iter().filter(|d| d.severity == s).count();
        Report {
            file: file.into(),
            member,
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
            diagnostics,
        }
    }

    /// True when the file has no error (warnings and infos do not count).
    pub fn is_ok(&self) -> bool {
        self.errors == 0
    }

    /// The file as the text output names it: `path` or `path[member]`.
    pub fn display_name(&self) -> String {
        match &self.member {
            Some(m) => format!("{}[{}]", self.file, m),
            None => self.file.clone(),
        }
    }
}

/// What the checks may do besides reading the model.
#[derive(Debug, Clone)]
pub struct Options {
    /// The file is the built-in package: a data table or column its scripts write that is
    /// missing is an error instead of a warning.
    pub builtin: bool,
    /// How Python 3 scripts are compiled; `None` skips the syntax check without a finding
    /// (library callers that only want the model checks).
    pub python: Option<pysyntax::Checker>,
    /// `false` when the caller is a process that exits right after: the parsed file is then
    /// leaked instead of freed, since freeing a large export's value and model costs about a
    /// fifth of the whole run and the OS takes the memory back at exit anyway. `respack
    /// validate` sets it for a single file only, so that many files never pile up.
    pub free_memory: bool,
}

impl Options {
    /// Options for files named on the command line, with the python3 syntax check `python`
    /// (the CLI builds it from `RESPACK_PYTHON`, `PATH` and the cache folder).
    pub fn with_python(python: pysyntax::Checker) -> Self {
        Options {
            builtin: false,
            python: Some(python),
            free_memory: true,
        }
    }

    /// Model checks only: no subprocess, no cache.
    pub fn offline() -> Self {
        Options {
            builtin: false,
            python: None,
            free_memory: true,
        }
    }
}

/// A file that could not be read at all: exit code 2. Everything wrong *inside* a file that
/// could be read (not UTF-8, not JSON, wrong keys) is a [`Diagnostic`] instead.
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    #[error(transparent)]
    Read(ResError),
}

impl crate::help::Help for ValidateError {
    fn help(&self) -> Option<String> {
        match self {
            ValidateError::Read(e) => e.help(),
        }
    }
}

/// Read and validate one file of any container respack reads (.res, .resz, .tar, .tar.gz).
///
/// `Err` only when the file cannot be read (missing, unreadable, a broken or unsafe archive,
/// too large); a file that was read but is not valid is an `Ok` report with errors.
pub fn validate_file(path: &Path, options: &Options) -> Result<Report, ValidateError> {
    let file = path.display().to_string();
    let doc = match res::load(path) {
        Ok(doc) => doc,
        Err(ResError::NotUtf8 { origin, offset }) => {
            let d = Diagnostic::new(
                "json.not-utf8",
                "",
                format!("not UTF-8 text: invalid byte at offset {offset}"),
            )
            .help("a .res file is UTF-8 JSON; export it again from SOAR");
            return Ok(Report::new(file, origin.member, vec![d]));
        }
        Err(e) => return Err(ValidateError::Read(e)),
    };
    Ok(validate_document(&doc, options))
}

/// Validate a document already read: parse, schema pass, model checks, scripts.
pub fn validate_document(doc: &Document, options: &Options) -> Report {
    let file = doc.origin.path.display().to_string();
    let member = doc.origin.member.clone();
    let value = match res::parse_value(&doc.origin, &doc.text) {
        Ok(v) => v,
        Err(e) => return Report::new(file, member, vec![parse_failure(e)]),
    };
    // The schema pass and the workflows' XML need only the JSON value: they run on a second
    // thread while this one builds the typed model (`docs/PERFORMANCE.md`, Validate).
    let (model, (mut diagnostics, xml)) = std::thread::scope(|s| {
        let side = s.spawn(|| (json_checks(&value), steps::ReadXml::from_value(&value)));
        let model = <ResFile as serde::Deserialize>::deserialize(&value);
        let side = side
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (model, side)
    });
    release(value, options);
    match model {
        Ok(model) => {
            diagnostics.extend(checks::run(&model, options, Some(xml)));
            release(model, options);
        }
        Err(e) => {
            // The schema pass covers every member the model types; should it ever miss one,
            // the model's own error is still a finding rather than silence.
            if !diagnostics.iter().any(|d| d.severity == Severity::Error) {
                diagnostics.push(Diagnostic::new("schema.type", "", e.to_string()));
            }
        }
    }
    Report::new(file, member, diagnostics)
}

/// The checks that read the file's JSON value: required members and types, and identities.
fn json_checks(value: &serde_json::Value) -> Vec<Diagnostic> {
    let mut out = schema::check(value);
    identity::check(value, &mut out);
    out
}

/// Free `value`, or leak it when the process is about to exit ([`Options::free_memory`]).
fn release<T>(value: T, options: &Options) {
    if options.free_memory {
        drop(value);
    } else {
        std::mem::forget(value);
    }
}

/// Validate a model: every check but the schema pass (a typed model has the right types, but
/// its required keys are still checked through its JSON form).
pub fn validate_res(res: &ResFile, options: &Options) -> Vec<Diagnostic> {
    let mut diagnostics = match serde_json::to_value(res) {
        Ok(value) => json_checks(&value),
        Err(e) => vec![Diagnostic::new("schema.type", "", e.to_string())],
    };
    diagnostics.extend(checks::run(res, options, None));
    diagnostics
}

/// Validate the built-in package as `respack build` would write it.
pub fn validate_builtin(options: &Options) -> Report {
    let res = crate::package::resource_file(crate::package::export_date_ms(None));
    let options = Options {
        builtin: true,
        ..options.clone()
    };
    Report::new(BUILTIN_NAME, None, validate_res(&res, &options))
}

/// How reports name the built-in package.
pub const BUILTIN_NAME: &str = "(built-in package)";

fn parse_failure(e: ResError) -> Diagnostic {
    let export = "export the file again from SOAR (Administrator Settings → Organization → Export)";
    match e {
        ResError::Json {
            line,
            column,
            message,
            ..
        } => Diagnostic::new(
            "json.syntax",
            "",
            format!("invalid JSON at line {line}, column {column}: {message}"),
        )
        .help(export),
        ResError::NotAnObject { found, .. } => Diagnostic::new(
            "json.not-object",
            "",
            format!("a resource file is a JSON object, but this is {found}"),
        )
        .help(export),
        ResError::NotUtf8 { offset, .. } => Diagnostic::new(
            "json.not-utf8",
            "",
            format!("not UTF-8 text: invalid byte at offset {offset}"),
        )
        .help(export),
        other => Diagnostic::new("json.syntax", "", other.to_string()),
    }
}

pub use text::render_text;

/// Everything `respack validate` prints for several files: the JSON form of its output.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub files: Vec<FileOutcome>,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Files that could not be read (exit 2).
    pub unreadable: usize,
}

/// One file's entry in [`Outcome`]: its report, or why it could not be read.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum FileOutcome {
    Report(Report),
    Unreadable {
        file: String,
        read_error: ReadFailure,
    },
}

/// Why a file could not be read, with what to do about it.
#[derive(Debug, Clone, Serialize)]
pub struct ReadFailure {
    pub message: String,
    pub help: Option<String>,
}

impl Outcome {
    pub fn new(files: Vec<FileOutcome>) -> Self {
        let mut o = Outcome {
            errors: 0,
            warnings: 0,
            infos: 0,
            unreadable: 0,
            files: vec![],
        };
        for f in &files {
            match f {
                FileOutcome::Report(r) => {
                    o.errors += r.errors;
                    o.warnings += r.warnings;
                    o.infos += r.infos;
                }
                FileOutcome::Unreadable { .. } => o.unreadable += 1,
            }
        }
        o.files = files;
        o
    }

    /// The exit code: 2 when a file could not be read, else 1 with errors, else 0.
    pub fn exit_code(&self) -> u8 {
        if self.unreadable > 0 {
            2
        } else if self.errors > 0 {
            1
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests;
