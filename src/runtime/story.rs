//! A story: workflows run one after the other on the same local incident, as an analyst would
//! click through them (`respack run`), and its tables, tasks and errors as text or JSON.
use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::attack::render::Layout;
use crate::package::names::{
    FIND_REFERENCE_SETS_WORKFLOW, MAP_RULE_WORKFLOW, OFFENSE_WORKFLOW, REFERENCE_SETS, TECHNIQUES,
    TECHNIQUE_TASK_WORKFLOW,
};
use crate::res::{ResFile, WorkflowName};
use crate::runtime::engine::{Context, Engine, EngineError, Failure, Outcome};
use crate::runtime::ui::{one_line, render_task, TableDef};

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
    /// The technique asked for with `--task` that no techniques row has: the command's
    /// answer is then a failure, said last.
    missing_task: Option<String>,
}

impl<'a> Story<'a> {
    pub fn new(engine: &'a Engine<'a>, package: &'a ResFile, seed: &'a ResFile) -> Self {
        Story {
            engine,
            package,
            seed,
            runs: vec![],
            remarks: vec![],
            missing_task: None,
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
            self.missing_task = Some(wanted.to_owned());
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
    pub fn fatal(&self) -> Option<&EngineError> {
        self.runs
            .iter()
            .filter_map(|r| r.error.as_ref())
            .map(|f| &*f.error)
            .find(|e| matches!(e, EngineError::PythonMissing { .. }))
    }

    pub fn errors(&self) -> impl Iterator<Item = &Failure> {
        self.runs.iter().filter_map(|r| r.error.as_ref())
    }

    pub fn failed(&self) -> bool {
        self.runs.iter().any(|r| r.error.is_some()) || self.missing_task.is_some()
    }

    /// Why the task asked for was not created, when no techniques row has that technique.
    pub fn task_error(&self) -> Option<String> {
        self.missing_task.as_ref().map(|wanted| {
            format!("no {TECHNIQUES} row has technique {wanted:?}, so no task was created")
        })
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

    /// The story as text, laid out for `layout`.
    pub fn text(&self, sources: &[String], tables: &[&str], layout: Layout) -> String {
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
            let _ = write!(out, "\n{}", def.render(&rows, layout));
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
                        task.instructions.as_ref(),
                        layout
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
        out.insert("task_error".into(), json!(self.task_error()));
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
