//! `respack run`: the package's workflows on a local incident or artifact, with the reference
//! function runtime, printed as the SOAR UI shows their data tables and tasks.
//!
//! - `offense-analysis --qradar-id N`: the rule "QRadar Advisor Offense Analysis with MITRE"
//!   on an incident whose `qradar_id` is N; with `--task NAME_OR_ID`, then the MITRE
//!   integration's "Create Task for MITRE ATT&CK technique" on that technique's row.
//! - `map-rule --artifact VALUE`: the QRadar integration's "Find All QRadar Reference Sets" on
//!   the artifact, then "Map rule to MITRE tactic" on every reference-set row whose `source` has a
//!   value (the rule's condition).
//!
//! Workflows come from the built-in package (or `--res FILE`); the integrations' own workflows
//! from the integrations seed. QRadar is the emulated one playing the built-in README scenario
//! unless `--config` or `--scenario` says otherwise; the output says which.
//!
//! Exit codes: 0 every workflow ran; 1 a workflow stopped with an error (printed with what ran
//! before it); 2 the runtime could not be assembled (no ATT&CK data, bad app.config, no python3).
use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{json, Map, Value};

use super::{print_json, CmdError, CmdResult, Exit, Format};
use crate::attack::CachePolicy;
use crate::res::{ResFile, WorkflowName};
use crate::runtime::engine::{Context, Engine, EngineError, Failure, Outcome};
use crate::runtime::mitre::Api;
use crate::runtime::setup::{self, AttackSpec, QradarSpec, Spec};
use crate::runtime::ui::{one_line, render_task, TableDef};

/// The workflows and tables the stories use (API names, as in the package and its dependencies).
pub const OFFENSE_WORKFLOW: &str = "qradar_advisor_offense_analysis_mitre";
pub const MAP_RULE_WORKFLOW: &str = "qradar_advisor_map_rule_to_tactic";
pub const FIND_REFERENCE_SETS_WORKFLOW: &str = "qradar_find_reference_sets_artifact";
pub const TECHNIQUE_TASK_WORKFLOW: &str = "mitre_technique_task";
pub const INCIDENT_TACTICS: &str = "mitre_attack_of_incident";
pub const ARTIFACT_TACTICS: &str = "mitre_attack_of_artifact";
pub const TECHNIQUES: &str = "mitre_attack_techniques";
pub const REFERENCE_SETS: &str = "qradar_reference_set";

/// Run the package's workflows locally with the reference function runtime.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// The offense-analysis workflow on a local incident with a QRadar offense id
    OffenseAnalysis {
        /// QRadar offense id (the incident's qradar_id)
        #[arg(long)]
        qradar_id: u64,
        /// Then create the task for this technique (name or id) from its techniques row
        #[arg(long, value_name = "NAME_OR_ID")]
        task: Option<String>,
        #[command(flatten)]
        runtime: RuntimeArgs,
    },
    /// The reference-set and map-rule workflows on a local artifact
    MapRule {
        /// Artifact value, e.g. an IP address
        #[arg(long)]
        artifact: String,
        /// Artifact type
        #[arg(long, default_value = "IP Address")]
        artifact_type: String,
        #[command(flatten)]
        runtime: RuntimeArgs,
    },
}

/// RUNTIME: where the functions get their data, and what to print.
#[derive(Debug, clap::Args)]
pub struct RuntimeArgs {
    /// app.config with [fn_qradar_advisor] and [fn_qradar_integration] (and optionally
    /// [fn_mitre_integration] stix_bundle_path / taxii_url / api)
    #[arg(long, value_name = "FILE", conflicts_with = "scenario")]
    config: Option<PathBuf>,
    /// Play QRadar from a scenario on an emulated server in this process: `builtin` (the
    /// default without --config) or a scenario file
    #[arg(long, value_name = "FILE|builtin")]
    scenario: Option<String>,
    /// ATT&CK STIX bundle (.json or .json.gz) [default: the TAXII cache, else MITRE's server]
    #[arg(long, value_name = "FILE")]
    bundle: Option<PathBuf>,
    /// ATT&CK TAXII 2.0/2.1 server
    #[arg(long, value_name = "URL", conflicts_with = "bundle")]
    taxii: Option<String>,
    /// Answer as MITRE integration v1 (1.0, bare dict) or v2 (2.x envelope)
    #[arg(long, value_enum)]
    mitre_api: Option<ApiArg>,
    /// Resource file whose workflows to run [default: the built-in package]
    #[arg(long, value_name = "FILE")]
    res: Option<PathBuf>,
    /// Neither read nor write the ATT&CK index cache
    #[arg(long)]
    no_cache: bool,
    /// text: tables as the SOAR UI shows them; json: everything the workflows did
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ApiArg {
    V1,
    V2,
}

pub fn run(command: Command) -> CmdResult {
    let args = match &command {
        Command::OffenseAnalysis { runtime, .. } | Command::MapRule { runtime, .. } => runtime,
    };
    let spec = Spec {
        attack: match (&args.bundle, &args.taxii) {
            (Some(b), _) => AttackSpec::Bundle(b.clone()),
            (None, Some(t)) => AttackSpec::Taxii(t.clone()),
            (None, None) => AttackSpec::Auto,
        },
        qradar: match (&args.config, &args.scenario) {
            (Some(c), _) => QradarSpec::Config(c.clone()),
            (None, Some(s)) => QradarSpec::scenario(s)?,
            (None, None) => QradarSpec::builtin(),
        },
        mitre_api: args.mitre_api.map(|a| match a {
            ApiArg::V1 => Api::V1,
            ApiArg::V2 => Api::V2,
        }),
        cache: if args.no_cache {
            CachePolicy::Off
        } else {
            CachePolicy::default_dir()
        },
    };
    let assembled = setup::assemble(&spec)?;
    for note in &assembled.notes {
        eprintln!("note: {note}");
    }
    let package = match &args.res {
        Some(path) => crate::res::read(path)?.1,
        None => crate::package::resource_file(crate::package::export_date_ms(None)),
    };
    let seed: ResFile = serde_json::from_value(crate::package::integrations_seed())
        .map_err(|e| CmdError::new(format!("the built-in integrations seed does not read: {e}")))?;
    let mut sources = vec![match &args.res {
        Some(path) => format!("Workflows: {}", path.display()),
        None => "Workflows: the built-in package qraw_mitre.res".to_string(),
    }];
    sources.push(
        "Integration workflows (reference sets, technique task): the built-in integrations seed"
            .into(),
    );
    sources.extend(assembled.sources.iter().cloned());

    let engine = Engine::new(&assembled.runtime);
    let mut story = Story::new(&engine, &package, &seed);
    let tables: &[&str] = match &command {
        Command::OffenseAnalysis {
            qradar_id, task, ..
        } => {
            story.offense(*qradar_id, task.as_deref());
            &[INCIDENT_TACTICS, TECHNIQUES]
        }
        Command::MapRule {
            artifact,
            artifact_type,
            ..
        } => {
            story.map_rule(artifact, artifact_type);
            &[REFERENCE_SETS, ARTIFACT_TACTICS, TECHNIQUES]
        }
    };
    if let Some(e) = story.fatal() {
        return Err(CmdError::new(e.to_string()).with_help(
            crate::help::Help::help(e).unwrap_or_else(|| "see the error above".into()),
        ));
    }
    match args.format {
        Format::Json => print_json(&story.json(&sources, tables))?,
        Format::Text => print!("{}", story.text(&sources, tables)),
    }
    if story.failed() {
        for e in story.errors() {
            eprintln!("error: {e}");
            if let Some(h) = crate::help::Help::help(e) {
                eprintln!("help: {h}");
            }
        }
        Ok(Exit::Findings)
    } else {
        Ok(Exit::Success)
    }
}

/// One workflow run of a story: what it ran on, and how it ended.
struct RunRecord {
    workflow: WorkflowName,
    on: String,
    outcome: Outcome,
    error: Option<Failure>,
}

/// A sequence of workflow runs, as an analyst would click through them.
pub struct Story<'a> {
    engine: &'a Engine<'a>,
    package: &'a ResFile,
    seed: &'a ResFile,
    runs: Vec<RunRecord>,
    /// Lines for the reader (a row skipped because the menu item would not show, ...).
    remarks: Vec<String>,
}

impl<'a> Story<'a> {
    pub fn new(engine: &'a Engine<'a>, package: &'a ResFile, seed: &'a ResFile) -> Self {
        Story {
            engine,
            package,
            seed,
            runs: vec![],
            remarks: vec![],
        }
    }

    fn run(&mut self, res: &ResFile, workflow: &str, on: String, context: Context) -> bool {
        let workflow = WorkflowName::new(workflow);
        let (outcome, error) = match self.engine.run(res, &workflow, context) {
            Ok(o) => (o, None),
            Err(f) => ((*f.partial).clone(), Some(f)),
        };
        let ok = error.is_none();
        self.runs.push(RunRecord {
            workflow,
            on,
            outcome,
            error,
        });
        ok
    }

    /// Offense analysis on a new incident, then optionally the technique task.
    pub fn offense(&mut self, qradar_id: u64, task: Option<&str>) {
        let context = Context::incident(
            1,
            &format!("QRadar offense {qradar_id}"),
            json!({"qradar_id": qradar_id.to_string()}),
        );
        let package = self.package;
        let ok = self.run(
            package,
            OFFENSE_WORKFLOW,
            format!("incident 1 (qradar_id {qradar_id})"),
            context.clone(),
        );
        let Some(wanted) = task.filter(|_| ok) else {
            return;
        };
        let row = self.rows(TECHNIQUES).into_iter().find(|r| {
            [r.get("technique_name"), r.get("technique_id")]
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .any(|v| v.eq_ignore_ascii_case(wanted))
        });
        let Some(row) = row else {
            self.remarks.push(format!(
                "no {TECHNIQUES} row has technique {wanted:?}, so no task was created"
            ));
            return;
        };
        let label = format!(
            "{TECHNIQUES} row \"{}\"",
            row.get("technique_name")
                .and_then(Value::as_str)
                .unwrap_or(wanted)
        );
        let seed = self.seed;
        self.run(
            seed,
            TECHNIQUE_TASK_WORKFLOW,
            label,
            Context {
                row: Some(Value::Object(row.into_iter().collect())),
                ..context
            },
        );
    }

    /// Reference sets for a new artifact, then map-rule on each row with a source.
    pub fn map_rule(&mut self, value: &str, artifact_type: &str) {
        let incident = Context::incident(1, "Artifact investigation", json!({}));
        let artifact = json!({"id": 1, "type": artifact_type, "value": value, "description": null});
        let seed = self.seed;
        let ok = self.run(
            seed,
            FIND_REFERENCE_SETS_WORKFLOW,
            format!("artifact {value} ({artifact_type})"),
            Context {
                artifact: Some(artifact),
                ..incident.clone()
            },
        );
        if !ok {
            return;
        }
        let package = self.package;
        for row in self.rows(REFERENCE_SETS) {
            let set = row
                .get("reference_set")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let source = row
                .get("source")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if source.trim().is_empty() {
                self.remarks.push(format!(
                    "{REFERENCE_SETS} row \"{set}\" has no source: \"Map rule to MITRE tactic\" is not offered on it"
                ));
                continue;
            }
            let label = format!("{REFERENCE_SETS} row \"{set}\" (source \"{source}\")");
            self.run(
                package,
                MAP_RULE_WORKFLOW,
                label,
                Context {
                    row: Some(Value::Object(row.into_iter().collect())),
                    ..incident.clone()
                },
            );
        }
    }

    /// The rows every run so far added to `table`, as stored values.
    pub fn rows(&self, table: &str) -> Vec<BTreeMap<String, Value>> {
        self.runs
            .iter()
            .flat_map(|r| r.outcome.rows_of(table))
            .map(|row| {
                row.cells
                    .iter()
                    .map(|(k, c)| (k.clone(), c.stored()))
                    .collect()
            })
            .collect()
    }

    /// An error that is about the machine, not the workflow (python3 missing): the command
    /// cannot run at all.
    fn fatal(&self) -> Option<&EngineError> {
        self.runs
            .iter()
            .filter_map(|r| r.error.as_ref())
            .map(|f| &*f.error)
            .find(|e| matches!(e, EngineError::PythonMissing { .. }))
    }

    fn errors(&self) -> impl Iterator<Item = &Failure> {
        self.runs.iter().filter_map(|r| r.error.as_ref())
    }

    fn failed(&self) -> bool {
        self.runs.iter().any(|r| r.error.is_some())
    }

    fn table_defs(&self, tables: &[&str]) -> Vec<(TableDef, Vec<BTreeMap<String, Value>>)> {
        tables
            .iter()
            .map(|t| {
                let rows = self.rows(t);
                (TableDef::find(t, &[self.package, self.seed], &rows), rows)
            })
            .collect()
    }

    /// The story as text.
    pub fn text(&self, sources: &[String], tables: &[&str]) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(out, "Sources:");
        for s in sources {
            let _ = writeln!(out, "  {s}");
        }
        for run in &self.runs {
            let _ = writeln!(out, "\nWorkflow {} on {}:", run.workflow, run.on);
            for (i, step) in run.outcome.steps.iter().enumerate() {
                let inputs = step
                    .inputs
                    .iter()
                    .map(|(k, v)| format!("{k}={}", short_value(v)))
                    .collect::<Vec<_>>()
                    .join(", ");
                let _ = writeln!(
                    out,
                    "  {}. {} ({}) with {}",
                    i + 1,
                    step.name,
                    step.function,
                    if inputs.is_empty() {
                        "no inputs".into()
                    } else {
                        inputs
                    }
                );
                if !step.messages.is_empty() {
                    let _ = writeln!(out, "     messages: {}", step.messages.join(" | "));
                }
                for line in &step.log {
                    let _ = writeln!(out, "     {line}");
                }
            }
            match &run.error {
                None => {
                    let _ = writeln!(out, "  done");
                }
                Some(f) => {
                    let _ = writeln!(out, "  stopped: {f}");
                }
            }
        }
        for remark in &self.remarks {
            let _ = writeln!(out, "\n{remark}");
        }
        for (def, rows) in self.table_defs(tables) {
            let _ = write!(out, "\n{}", def.render(&rows));
        }
        for run in &self.runs {
            for note in &run.outcome.notes {
                let _ = writeln!(out, "\nNote: {}", note.text.plain());
            }
            for task in &run.outcome.tasks {
                let _ = write!(
                    out,
                    "\n{}",
                    render_task(
                        &task.name,
                        task.phase.as_deref(),
                        task.instructions.as_ref()
                    )
                );
            }
        }
        out
    }

    /// The story as JSON: sources, every run with its outcome, the tables, notes and tasks.
    pub fn json(&self, sources: &[String], tables: &[&str]) -> Value {
        let runs: Vec<Value> = self
            .runs
            .iter()
            .map(|r| {
                json!({
                    "workflow": r.workflow,
                    "on": r.on,
                    "ok": r.error.is_none(),
                    "error": r.error.as_ref().map(|e| e.to_string()),
                    "outcome": r.outcome,
                })
            })
            .collect();
        let tables: Vec<Value> = self
            .table_defs(tables)
            .into_iter()
            .map(|(def, rows)| {
                json!({
                    "name": def.name,
                    "display_name": def.display_name,
                    "columns": def.columns,
                    "rows": rows,
                })
            })
            .collect();
        let notes: Vec<Value> = self
            .runs
            .iter()
            .flat_map(|r| &r.outcome.notes)
            .map(|n| json!(n))
            .collect();
        let tasks: Vec<Value> = self
            .runs
            .iter()
            .flat_map(|r| &r.outcome.tasks)
            .map(|t| json!(t))
            .collect();
        let mut out = Map::new();
        out.insert("sources".into(), json!(sources));
        out.insert("runs".into(), Value::Array(runs));
        out.insert("remarks".into(), json!(self.remarks));
        out.insert("tables".into(), Value::Array(tables));
        out.insert("notes".into(), Value::Array(notes));
        out.insert("tasks".into(), Value::Array(tasks));
        Value::Object(out)
    }
}

/// An input value on one line: strings as they are, selects by label.
fn short_value(v: &Value) -> String {
    match v {
        Value::String(s) => one_line(s, 60),
        Value::Object(o) if o.contains_key("name") => {
            o.get("name").map(short_value).unwrap_or_default()
        }
        other => one_line(&other.to_string(), 60),
    }
}
