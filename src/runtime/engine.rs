//! The workflow engine: runs a workflow of a `.res` from its BPMN, the way SOAR runs it.
//!
//! A run walks the workflow from its start event along the flows
//! ([`crate::res::bpmn::Process::step_order`]) and, for every function step:
//!
//! 1. builds the inputs from the step's static values, mapping input-field uuids to API names
//!    and select-value uuids to labels through the `.res` `fields`;
//! 2. runs the pre-processing script, which may set `inputs.<name>` (overriding static values);
//! 3. calls the function (found by the step's function uuid in the `.res`) through a
//!    [`FunctionRuntime`];
//! 4. stores the result as `workflow.properties.<result_name>`;
//! 5. runs the post-processing script with `results`.
//!
//! Scripts run in python3 through the shim (the private `shim` module). What they do — rows added to
//! data tables, notes, tasks, artifacts, field changes — comes back as data in an [`Outcome`];
//! the caller decides where it goes (the terminal for `respack run`, SQLite for the reference
//! org). A failure names the workflow, the step and, for scripts, which script and which line;
//! it carries what the steps before it did, since SOAR keeps those too.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::shim::{self, Answer, Effects, ShimFailure};
use super::{FunctionError, FunctionOutput, Inputs};
use crate::help::Help;
use crate::res::bpmn::{BpmnError, FunctionBody, Input, NodeKind, Process};
use crate::res::{FunctionName, ResFile, TableName, WorkflowName};

/// Something that answers function calls: the reference runtime ([`super::Runtime`]) or a
/// test double.
pub trait FunctionRuntime: Sync {
    /// Call the function with this API name.
    fn call(
        &self,
        function: &FunctionName,
        inputs: &Inputs,
    ) -> Result<FunctionOutput, FunctionError>;
}

/// The objects a workflow runs on, as SOAR hands them to scripts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Context {
    /// The incident: `{"id", "name", "properties": {custom fields}, ...}`.
    pub incident: Value,
    /// The artifact, for workflows on artifacts: `{"id", "type", "value", "description"}`.
    pub artifact: Option<Value>,
    /// The data-table row, for workflows on a table: cell values keyed by column API name.
    pub row: Option<Value>,
    /// The rule that started the workflow: `{"properties": {activity field: value}}`.
    pub rule: Option<Value>,
}

impl Context {
    /// An incident with an id, a name and custom fields.
    pub fn incident(id: i64, name: &str, properties: Value) -> Context {
        Context {
            incident: json!({"id": id, "name": name, "properties": properties}),
            ..Context::default()
        }
    }
}

/// Rich (HTML) or plain text, as SOAR stores notes, task instructions and textarea cells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Text {
    pub content: String,
    pub format: TextFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TextFormat {
    Text,
    Html,
}

impl Text {
    /// The text a person reads: HTML tags dropped, block ends as line breaks, entities decoded.
    pub fn plain(&self) -> String {
        match self.format {
            TextFormat::Text => self.content.clone(),
            TextFormat::Html => html_to_text(&self.content),
        }
    }
}

/// One cell a script wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cell {
    /// A plain value (text, number, boolean, null).
    Value(Value),
    /// `helper.createRichText(...)`: HTML.
    RichText(String),
}

impl Cell {
    /// The value SOAR stores for the cell (rich text is its HTML string).
    pub fn stored(&self) -> Value {
        match self {
            Cell::Value(v) => v.clone(),
            Cell::RichText(html) => Value::String(html.clone()),
        }
    }

    /// The cell as the SOAR UI shows it: rich text as text, JSON scalars as they read.
    pub fn display(&self) -> String {
        match self {
            Cell::RichText(html) => html_to_text(html),
            Cell::Value(Value::String(s)) => s.clone(),
            Cell::Value(Value::Null) => String::new(),
            Cell::Value(v) => v.to_string(),
        }
    }
}

/// A row added to a data table (`incident.addRow`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewRow {
    pub table: TableName,
    pub cells: BTreeMap<String, Cell>,
    /// The step whose script added it.
    pub step: String,
}

/// A note added to the incident.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Note {
    pub text: Text,
    pub step: String,
}

/// A task added to the incident.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewTask {
    pub name: String,
    /// The phase name, e.g. `Detect/Analyze`.
    pub phase: Option<String>,
    pub instructions: Option<Text>,
    pub step: String,
}

/// An artifact added to the incident.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewArtifact {
    #[serde(rename = "type")]
    pub artifact_type: String,
    pub value: String,
    pub description: Option<Text>,
    pub step: String,
}

/// Which object a script changed a field of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Incident,
    Artifact,
    Row,
}

/// A field a script set, e.g. `incident.properties.mitre_tactic_name = ...`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub object: Target,
    /// The path as the script wrote it: `name`, `properties.qradar_id`.
    pub field: String,
    pub value: Value,
    pub step: String,
}

/// What one function step did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepLog {
    /// The BPMN node id.
    pub node: String,
    /// The step's label (the function's display name).
    pub name: String,
    pub function: FunctionName,
    /// The inputs the function got, by API name.
    pub inputs: Inputs,
    /// The function's status messages.
    pub messages: Vec<String>,
    /// The scripts' `log.*` calls and `print` output.
    pub log: Vec<String>,
    /// The workflow property the result was saved as, when the step names one.
    pub result_name: Option<String>,
}

/// Everything a run did, in the order it happened.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Outcome {
    pub workflow: Option<WorkflowName>,
    pub steps: Vec<StepLog>,
    pub rows: Vec<NewRow>,
    pub notes: Vec<Note>,
    pub tasks: Vec<NewTask>,
    pub artifacts: Vec<NewArtifact>,
    pub changes: Vec<FieldChange>,
    /// `workflow.properties` at the end: result name → function result.
    pub properties: Map<String, Value>,
}

impl Outcome {
    /// The rows added to `table`, in order.
    pub fn rows_of<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a NewRow> + 'a {
        self.rows.iter().filter(move |r| r.table.as_str() == table)
    }
}

/// Which script of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ScriptKind {
    Pre,
    Post,
}

impl fmt::Display for ScriptKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ScriptKind::Pre => "pre-processing script",
            ScriptKind::Post => "post-processing script",
        })
    }
}

/// Where in a workflow something happened: `workflow W, step "S"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At {
    pub workflow: WorkflowName,
    pub step: String,
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "workflow {}, step \"{}\"", self.workflow, self.step)
    }
}

/// `, line N` when the line is known.
struct LineSuffix(Option<u32>);

impl fmt::Display for LineSuffix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(n) => write!(f, ", line {n}"),
            None => Ok(()),
        }
    }
}

/// Why a workflow run stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    #[error("the resource file has no workflow {workflow}")]
    NoWorkflow { workflow: WorkflowName },

    #[error("workflow {workflow}: its BPMN cannot be run: {source}")]
    Bpmn {
        workflow: WorkflowName,
        #[source]
        source: Box<BpmnError>,
    },

    #[error("workflow {workflow} runs on {object}, and none was given")]
    MissingObject {
        workflow: WorkflowName,
        object: String,
    },

    #[error("{at}: the engine runs function steps only, not {kind} steps")]
    UnsupportedStep { at: At, kind: &'static str },

    #[error("{at}: calls function uuid {uuid}, which the resource file does not define")]
    UnknownFunction { at: At, uuid: String },

    #[error("{at}: input field uuid {uuid} is not a function input field of the resource file")]
    UnknownInputField { at: At, uuid: String },

    #[error("{at}: input {input} selects value uuid {uuid}, which the field does not have")]
    UnknownSelectValue { at: At, input: String, uuid: String },

    #[error("{at}: input {input} is an expression; the engine takes static values and pre-processing scripts only")]
    ExpressionInput { at: At, input: String },

    #[error("{at}: function {function} failed: {message}")]
    Function {
        at: At,
        function: FunctionName,
        message: String,
    },

    #[error("{at}, {script}{}: {exception}: {message}", LineSuffix(*line))]
    Script {
        at: At,
        script: ScriptKind,
        line: Option<u32>,
        exception: String,
        message: String,
    },

    #[error("{at}, {script}{}: incident.addRow(\"{table}\"): the resource file has no data table {table}", LineSuffix(*line))]
    UnknownTable {
        at: At,
        script: ScriptKind,
        line: Option<u32>,
        table: TableName,
    },

    #[error("{at}, {script}{}: data table {table} has no column {column}", LineSuffix(*line))]
    UnknownColumn {
        at: At,
        script: ScriptKind,
        line: Option<u32>,
        table: TableName,
        column: String,
    },

    #[error("{at}, {script}: stopped after {seconds} s")]
    ScriptTimeout {
        at: At,
        script: ScriptKind,
        seconds: u64,
    },

    #[error("workflow scripts run in python3, and `{program}` was not found")]
    PythonMissing { program: String },

    #[error("workflow scripts run in python3, and `{program}` cannot run them: {reason}")]
    PythonUnusable { program: String, reason: String },

    #[error("{at}, {script}: could not start `{program}`: {source}")]
    PythonSpawn {
        at: At,
        script: ScriptKind,
        program: String,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "{at}, {script}: `{program}` ended ({status}) without an answer{}",
        stderr_suffix(stderr)
    )]
    PythonFailed {
        at: At,
        script: ScriptKind,
        program: String,
        status: String,
        stderr: String,
    },
}

fn stderr_suffix(stderr: &str) -> String {
    if stderr.trim().is_empty() {
        String::new()
    } else {
        format!(": {}", stderr.trim())
    }
}

impl Help for EngineError {
    fn help(&self) -> Option<String> {
        match self {
            EngineError::PythonMissing { .. } => Some(
                "install python3 (3.6 or newer), or set RESPACK_PYTHON to a python3 interpreter"
                    .into(),
            ),
            EngineError::PythonFailed { .. } | EngineError::PythonUnusable { .. } => {
                Some("the shim needs python3 3.6 or newer; set RESPACK_PYTHON to pick one".into())
            }
            EngineError::NoWorkflow { .. } => {
                Some("`respack show FILE` lists the workflows of a resource file".into())
            }
            // A step that stopped the run: the message is the function's or the script's own, so
            // the next move is to look at what the step was given.
            EngineError::Function { .. } => Some(
                "check the step's inputs above (does QRadar have that offense or rule?) and the \
                 integration's settings (--config, --scenario); --format json shows every step's \
                 inputs and results"
                    .into(),
            ),
            EngineError::Script { .. } => Some(
                "the sentence above is the workflow script's; --format json shows every step's \
                 inputs and the functions' results that led to it"
                    .into(),
            ),
            EngineError::UnknownFunction { .. } | EngineError::UnknownInputField { .. } => Some(
                "run `respack validate` on the resource file: it names every dangling reference"
                    .into(),
            ),
            _ => None,
        }
    }
}

/// The interpreter the engine would run scripts with and its version, or the error a run
/// would stop with (python3 missing or too old), so that callers can check before starting.
pub fn check_python(program: &str) -> Result<(String, String), EngineError> {
    let program = program.to_string();
    match shim::python_version(&program) {
        Ok(version) => Ok((program, version)),
        Err(ShimFailure::NotFound { program }) => Err(EngineError::PythonMissing { program }),
        Err(ShimFailure::Spawn { program, source }) => Err(EngineError::PythonUnusable {
            program,
            reason: source.to_string(),
        }),
        Err(ShimFailure::NoAnswer {
            program, stderr, ..
        }) => Err(EngineError::PythonUnusable {
            program,
            reason: stderr,
        }),
        Err(ShimFailure::Timeout { seconds }) => Err(EngineError::PythonUnusable {
            program,
            reason: format!("no answer in {seconds} s"),
        }),
    }
}

/// A run that stopped: the error, and what the steps before it did.
#[derive(Debug)]
pub struct Failure {
    pub error: Box<EngineError>,
    pub partial: Box<Outcome>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&*self.error)
    }
}

impl Help for Failure {
    fn help(&self) -> Option<String> {
        self.error.help()
    }
}

/// Runs workflows with one function runtime.
pub struct Engine<'a> {
    functions: &'a dyn FunctionRuntime,
    python: String,
}

impl<'a> Engine<'a> {
    /// An engine calling `functions`, running scripts with [`shim::DEFAULT_PYTHON`].
    pub fn new(functions: &'a dyn FunctionRuntime) -> Self {
        Engine {
            functions,
            python: shim::DEFAULT_PYTHON.to_string(),
        }
    }

    /// Run scripts with this interpreter instead.
    pub fn with_python(mut self, program: impl Into<String>) -> Self {
        self.python = program.into();
        self
    }

    /// Run `workflow` of `res` on `context`.
    pub fn run(
        &self,
        res: &ResFile,
        workflow: &WorkflowName,
        context: Context,
    ) -> Result<Outcome, Failure> {
        let mut run = Run {
            res,
            python: &self.python,
            workflow: workflow.clone(),
            context,
            outcome: Outcome {
                workflow: Some(workflow.clone()),
                ..Outcome::default()
            },
        };
        match run.all(self.functions) {
            Ok(()) => Ok(run.outcome),
            Err(error) => Err(Failure {
                error: Box::new(error),
                partial: Box::new(run.outcome),
            }),
        }
    }
}

struct Run<'r> {
    res: &'r ResFile,
    python: &'r str,
    workflow: WorkflowName,
    context: Context,
    outcome: Outcome,
}

impl Run<'_> {
    fn all(&mut self, functions: &dyn FunctionRuntime) -> Result<(), EngineError> {
        let wf =
            self.res
                .workflow(self.workflow.as_str())
                .ok_or_else(|| EngineError::NoWorkflow {
                    workflow: self.workflow.clone(),
                })?;
        self.check_object(wf.object_type.as_str().unwrap_or("incident"))?;
        let xml = wf
            .content
            .get()
            .and_then(|c| c.xml.as_str())
            .unwrap_or_default();
        let bpmn = |source| EngineError::Bpmn {
            workflow: self.workflow.clone(),
            source: Box::new(source),
        };
        let process = Process::parse(xml).map_err(bpmn)?;
        let order = process.step_order().map_err(bpmn)?;
        for node in order {
            let at = At {
                workflow: self.workflow.clone(),
                step: node
                    .name
                    .clone()
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| node.id.clone()),
            };
            match &node.kind {
                NodeKind::Start | NodeKind::End { .. } => {}
                NodeKind::ExclusiveGateway { .. } | NodeKind::ParallelGateway => {}
                NodeKind::Function(call) => {
                    self.step(functions, &at, &node.id, &call.function_uuid, &call.body)?
                }
                other => {
                    return Err(EngineError::UnsupportedStep {
                        at,
                        kind: kind_word(other),
                    })
                }
            }
        }
        Ok(())
    }

    /// A workflow on an artifact needs an artifact, one on a data table a row.
    fn check_object(&self, object_type: &str) -> Result<(), EngineError> {
        let missing = match object_type {
            "incident" | "" => false,
            "artifact" => self.context.artifact.is_none(),
            "task" | "note" | "attachment" | "milestone" => false,
            _ => self.context.row.is_none(),
        };
        if missing {
            return Err(EngineError::MissingObject {
                workflow: self.workflow.clone(),
                object: if object_type == "artifact" {
                    "an artifact".into()
                } else {
                    format!("a row of data table {object_type}")
                },
            });
        }
        Ok(())
    }

    fn step(
        &mut self,
        functions: &dyn FunctionRuntime,
        at: &At,
        node: &str,
        function_uuid: &str,
        body: &FunctionBody,
    ) -> Result<(), EngineError> {
        let function = self
            .res
            .function_by_uuid(function_uuid)
            .and_then(|f| f.name.get().or(f.export_key.get()))
            .cloned()
            .ok_or_else(|| EngineError::UnknownFunction {
                at: at.clone(),
                uuid: function_uuid.to_string(),
            })?;
        let mut log = StepLog {
            node: node.to_string(),
            name: at.step.clone(),
            function: function.clone(),
            inputs: Inputs::new(),
            messages: vec![],
            log: vec![],
            result_name: body
                .result_name
                .as_str()
                .filter(|n| !n.trim().is_empty())
                .map(str::to_string),
        };
        let mut inputs = self.static_inputs(at, body)?;

        if let Some(script) = script_text(&body.pre_processing_script) {
            let effects =
                self.script(at, ScriptKind::Pre, script, Some(&inputs), None, &mut log)?;
            inputs = effects.inputs.clone();
            self.apply(at, ScriptKind::Pre, effects)?;
        }
        log.inputs = inputs.clone();

        let output = match functions.call(&function, &inputs) {
            Ok(output) => output,
            Err(e) => {
                log.messages.push(format!("error: {}", e.message));
                self.outcome.steps.push(log);
                return Err(EngineError::Function {
                    at: at.clone(),
                    function,
                    message: e.message,
                });
            }
        };
        log.messages = output.messages;
        if let Some(name) = &log.result_name {
            self.outcome
                .properties
                .insert(name.clone(), output.result.clone());
        }

        let post = script_text(&body.post_processing_script)
            .map(|script| {
                self.script(
                    at,
                    ScriptKind::Post,
                    script,
                    None,
                    Some(&output.result),
                    &mut log,
                )
            })
            .transpose();
        self.outcome.steps.push(log);
        if let Some(effects) = post? {
            self.apply(at, ScriptKind::Post, effects)?;
        }
        Ok(())
    }

    /// The step's static inputs by API name: selects as `{"id", "name"}` as resilient-circuits
    /// hands them to a function, multiselects as a list of those.
    fn static_inputs(&self, at: &At, body: &FunctionBody) -> Result<Inputs, EngineError> {
        let mut inputs = Inputs::new();
        for (uuid, input) in body.input_map() {
            let field = self
                .res
                .field_by_uuid(uuid)
                .filter(|f| f.type_prefix().is_none_or(|p| p == "__function"))
                .ok_or_else(|| EngineError::UnknownInputField {
                    at: at.clone(),
                    uuid: uuid.clone(),
                })?;
            let name = field
                .name
                .get()
                .map(|n| n.as_str().to_string())
                .ok_or_else(|| EngineError::UnknownInputField {
                    at: at.clone(),
                    uuid: uuid.clone(),
                })?;
            if let Some(value) = static_value(at, &name, field, input)? {
                inputs.insert(name, value);
            }
        }
        Ok(inputs)
    }

    fn script(
        &self,
        at: &At,
        kind: ScriptKind,
        script: &str,
        inputs: Option<&Inputs>,
        results: Option<&Value>,
        log: &mut StepLog,
    ) -> Result<Effects, EngineError> {
        let request = shim::Request {
            script,
            incident: &self.context.incident,
            artifact: self.context.artifact.as_ref(),
            row: self.context.row.as_ref(),
            rule: self.context.rule.as_ref(),
            workflow: shim::WorkflowObject {
                properties: &self.outcome.properties,
            },
            inputs,
            results,
        };
        let answer = shim::run(self.python, &request).map_err(|f| match f {
            ShimFailure::NotFound { program } => EngineError::PythonMissing { program },
            ShimFailure::Spawn { program, source } => EngineError::PythonSpawn {
                at: at.clone(),
                script: kind,
                program,
                source,
            },
            ShimFailure::Timeout { seconds } => EngineError::ScriptTimeout {
                at: at.clone(),
                script: kind,
                seconds,
            },
            ShimFailure::NoAnswer {
                program,
                status,
                stderr,
            } => EngineError::PythonFailed {
                at: at.clone(),
                script: kind,
                program,
                status,
                stderr,
            },
        })?;
        match answer {
            Answer::Ok(effects) => {
                log.log.extend(effects.log.iter().cloned());
                Ok(effects)
            }
            Answer::Error(raised) => {
                log.log.extend(raised.log);
                Err(EngineError::Script {
                    at: at.clone(),
                    script: kind,
                    line: raised.line,
                    exception: raised.exception,
                    message: raised.message,
                })
            }
        }
    }

    /// Check a script's effects against the resource file and add them to the outcome; field
    /// changes also update the context, so later scripts see them.
    fn apply(&mut self, at: &At, kind: ScriptKind, effects: Effects) -> Result<(), EngineError> {
        let step = at.step.clone();
        let mut rows = Vec::new();
        for raw in effects.rows {
            let table = TableName::new(raw.table);
            let Some(def) = self.res.data_table(table.as_str()) else {
                return Err(EngineError::UnknownTable {
                    at: at.clone(),
                    script: kind,
                    line: raw.line,
                    table,
                });
            };
            let mut cells = BTreeMap::new();
            for (column, cell) in raw.cells {
                if !def.fields.get().is_some_and(|f| f.contains_key(&column)) {
                    return Err(EngineError::UnknownColumn {
                        at: at.clone(),
                        script: kind,
                        line: cell.line,
                        table,
                        column,
                    });
                }
                let cell = match cell.rich_text {
                    Some(html) => Cell::RichText(html),
                    None => Cell::Value(cell.value.unwrap_or(Value::Null)),
                };
                cells.insert(column, cell);
            }
            rows.push(NewRow {
                table,
                cells,
                step: step.clone(),
            });
        }
        self.outcome.rows.extend(rows);
        self.outcome
            .notes
            .extend(effects.notes.into_iter().map(|n| Note {
                text: text(n),
                step: step.clone(),
            }));
        self.outcome
            .tasks
            .extend(effects.tasks.into_iter().map(|t| NewTask {
                name: t.name,
                phase: t.phase,
                instructions: t.instructions.map(text),
                step: step.clone(),
            }));
        self.outcome
            .artifacts
            .extend(effects.artifacts.into_iter().map(|a| NewArtifact {
                artifact_type: a.artifact_type,
                value: a.value,
                description: a.description.map(text),
                step: step.clone(),
            }));
        for (target, changes) in [
            (Target::Incident, effects.incident_changes),
            (Target::Artifact, effects.artifact_changes),
            (Target::Row, effects.row_changes),
        ] {
            for change in changes {
                let object = match target {
                    Target::Incident => Some(&mut self.context.incident),
                    Target::Artifact => self.context.artifact.as_mut(),
                    Target::Row => self.context.row.as_mut(),
                };
                if let Some(object) = object {
                    set_path(object, &change.field, change.value.clone());
                }
                self.outcome.changes.push(FieldChange {
                    object: target,
                    field: change.field,
                    value: change.value,
                    step: step.clone(),
                });
            }
        }
        self.outcome.properties.extend(effects.workflow_properties);
        Ok(())
    }
}

fn kind_word(kind: &NodeKind) -> &'static str {
    match kind {
        NodeKind::Script { .. } => "script",
        NodeKind::Task { .. } => "task",
        NodeKind::MessageDestination { .. } => "message destination",
        NodeKind::SubWorkflow { .. } => "sub-workflow",
        NodeKind::SubPlaybook { .. } => "sub-playbook",
        _ => "other",
    }
}

fn script_text(slot: &crate::res::Slot<String>) -> Option<&str> {
    slot.as_str().filter(|s| !s.trim().is_empty())
}

fn text(raw: shim::RawText) -> Text {
    Text {
        content: raw.content,
        format: if raw.format == "html" {
            TextFormat::Html
        } else {
            TextFormat::Text
        },
    }
}

/// Set `a.b.c` in a JSON object, creating objects on the way.
fn set_path(object: &mut Value, path: &str, value: Value) {
    let mut parts = path.split('.').peekable();
    let mut here = object;
    while let Some(part) = parts.next() {
        if !here.is_object() {
            *here = Value::Object(Map::new());
        }
        let Value::Object(map) = here else { return };
        if parts.peek().is_none() {
            map.insert(part.to_string(), value);
            return;
        }
        here = map.entry(part.to_string()).or_insert(Value::Null);
    }
}

/// One static input's value as the function receives it, or `None` when the designer left it
/// empty.
fn static_value(
    at: &At,
    name: &str,
    field: &crate::res::Field,
    input: &Input,
) -> Result<Option<Value>, EngineError> {
    if input.input_type.as_str() == Some("expression") {
        return Err(EngineError::ExpressionInput {
            at: at.clone(),
            input: name.to_string(),
        });
    }
    let Some(value) = input.static_input.get() else {
        return Ok(None);
    };
    let select = |uuid: &str| -> Result<Value, EngineError> {
        let v = field
            .values
            .get()
            .into_iter()
            .flatten()
            .find(|v| v.uuid.get().is_some_and(|u| u.as_str() == uuid))
            .ok_or_else(|| EngineError::UnknownSelectValue {
                at: at.clone(),
                input: name.to_string(),
                uuid: uuid.to_string(),
            })?;
        Ok(json!({
            "id": v.value.get().cloned().unwrap_or(Value::Null),
            "name": v.label.as_str().unwrap_or_default(),
        }))
    };
    if let Some(b) = value.boolean_value.get() {
        return Ok(Some(Value::Bool(*b)));
    }
    if let Some(uuid) = value.select_value.as_str() {
        return select(uuid).map(Some);
    }
    if let Some(n) = value.number_value.get() {
        return Ok(Some(Value::Number(n.clone())));
    }
    if let Some(d) = value.date_value.get() {
        return Ok(Some(json!(d)));
    }
    if let Some(t) = value.text_value.get() {
        return Ok(Some(Value::String(t.clone())));
    }
    if let Some(t) = value.text_content_value.get() {
        return Ok(Some(json!({
            "format": t.format.as_str().unwrap_or("text"),
            "content": t.content.as_str().unwrap_or_default(),
        })));
    }
    if let Some(uuids) = value.multiselect_value.get().filter(|u| !u.is_empty()) {
        let values = uuids
            .iter()
            .map(|u| select(u))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Some(Value::Array(values)));
    }
    Ok(None)
}

/// Rich text as the SOAR UI renders it, reduced to text: tags dropped, line breaks in the text
/// read as spaces (HTML), `<br>`, paragraphs, list items and headings end lines, a heading opens
/// a paragraph, the XML entities and `&nbsp;` decoded, runs of blank lines folded.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    // In HTML a line break in the text is a space; only tags break lines.
    let spaced = |text: &str| text.replace(['\r', '\n'], " ");
    while let Some(start) = rest.find('<') {
        out.push_str(&spaced(&rest[..start]));
        let Some(end) = rest[start..].find('>') else {
            out.push_str(&spaced(&rest[start..]));
            rest = "";
            break;
        };
        let inside = rest[start + 1..start + end].trim();
        let closing = inside.starts_with('/');
        let tag = inside
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match tag.as_str() {
            // A heading starts a new paragraph.
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" if !closing => out.push_str("\n\n"),
            "br" | "p" | "div" | "li" | "ul" | "ol" | "tr" | "h1" | "h2" | "h3" | "h4" | "h5"
            | "h6" => out.push('\n'),
            _ => {}
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(&spaced(rest));
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    let mut lines: Vec<&str> = Vec::new();
    for line in decoded.lines().map(str::trim) {
        if line.is_empty() && lines.is_empty() {
            continue;
        }
        if line.is_empty() && lines.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        lines.push(line);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests;
