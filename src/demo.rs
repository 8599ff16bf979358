//! `respack demo`: the package README's two stories, told on an embedded org, saying where every
//! piece comes from.
//!
//! In a temporary directory: the reference SOAR org ([`crate::server`]) seeded with the
//! dependency integrations, serving the emulated QRadar (built-in README scenario) on its own
//! HTTPS listener and running workflows with ATT&CK from `--bundle`, the cache or MITRE's TAXII
//! server. Then, through the REST API as any client would: install the package, create the
//! incident for QRadar offense 23, run "QRadar Advisor Offense Analysis with MITRE", show both
//! tables, create the task for Port Knocking (the first technique when the ATT&CK version has
//! no Port Knocking), add the artifact 192.168.0.155, find its reference sets, map the rule
//! that put it there to a tactic, show those rows, and uninstall. The org goes with the
//! directory.
//!
//! Everything it prints goes to the writer it is given, step by step, so a slow step shows
//! where it is.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{json, Value};

use crate::attack::render::Layout;
use crate::attack::{AttackError, CachePolicy};
use crate::emulate::{EmulatedQradar, Scenario};
use crate::help::Help;
use crate::package::names::{
    ARTIFACT_TACTICS, FIND_REFERENCE_SETS_RULE, INCIDENT_TACTICS, MAP_RULE_RULE, OFFENSE_RULE,
    REFERENCE_SETS, TASK_RULE, TECHNIQUES,
};
use crate::res::ResFile;
use crate::runtime::engine::{check_python, EngineError, Text, TextFormat};
use crate::runtime::mitre::Api;
use crate::runtime::setup::{self, AttackDefaults, AttackSpec, BUILTIN_SCENARIO};
use crate::runtime::ui::{render_task, TableDef};
use crate::server::actions::{AttackTarget, QradarTarget, SharedWorkflows, Workflows};
use crate::server::{self, ServerError};
use crate::soar::{self, Client, IncidentId, SoarError};

/// The README's facts.
pub const OFFENSE_ID: &str = "23";
pub const ARTIFACT: &str = "192.168.0.155";
pub const TECHNIQUE: &str = "Port Knocking";

/// What the demo needs from the command line.
#[derive(Debug, Clone)]
pub struct Options {
    /// ATT&CK bundle; `None` uses `attack`, then a newer cached download from MITRE, else the
    /// shipped snapshot.
    pub bundle: Option<PathBuf>,
    /// The ATT&CK source the environment names.
    pub attack: AttackDefaults,
    pub cache: CachePolicy,
    /// The interpreter the scripts run with.
    pub python: String,
    /// How tables and tasks are laid out (the terminal's width, colour).
    pub layout: Layout,
}

/// Why the demo could not tell its stories.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the demo needs MITRE ATT&CK data: {0}")]
    Attack(AttackError),
    #[error(transparent)]
    Python(Box<EngineError>),
    #[error("cannot make the temporary directory for the embedded org: {0}")]
    TempDir(std::io::Error),
    #[error("the embedded org did not start: {0}")]
    Server(#[from] ServerError),
    #[error("{step}: {source}")]
    Rest {
        step: String,
        #[source]
        source: Box<SoarError>,
    },
    /// A workflow stopped or a step did not do what the story needs.
    #[error("{step}: {message}")]
    Story { step: String, message: String },
    #[error("{step}: {source}")]
    Ops {
        step: String,
        #[source]
        source: Box<crate::ops::OpsError>,
    },
    #[error("cannot write the demo's output: {0}")]
    Output(#[from] std::io::Error),
}

impl Help for DemoError {
    fn help(&self) -> Option<String> {
        match self {
            DemoError::Attack(_) => Some(
                "run `respack demo` without --bundle to use the ATT&CK snapshot built into respack, or pass a STIX bundle with --bundle FILE (e.g. enterprise-attack-18.1.json from github.com/mitre-attack/attack-stix-data)"
                    .into(),
            ),
            DemoError::Python(e) => e.help(),
            DemoError::Server(e) => e.help(),
            DemoError::Rest { source, .. } => source.help(),
            DemoError::Ops { source, .. } => source.help(),
            _ => None,
        }
    }
}

impl DemoError {
    /// Whether the stories ran and one of them went wrong (exit 1), rather than the demo being
    /// unable to start (exit 2).
    pub fn is_story(&self) -> bool {
        matches!(
            self,
            DemoError::Story { .. } | DemoError::Rest { .. } | DemoError::Ops { .. }
        )
    }
}

/// Tell both stories, writing to `out`.
pub fn run(options: &Options, out: &mut dyn Write) -> Result<(), DemoError> {
    // Everything that can be missing on this machine is checked before the org starts.
    let (python, python_version) =
        check_python(&options.python).map_err(|e| DemoError::Python(Box::new(e)))?;
    let attack_spec = match &options.bundle {
        Some(b) => AttackSpec::Bundle(b.clone()),
        None => AttackSpec::Auto(options.attack.clone()),
    };
    let (index, attack_origin, notes) =
        setup::open_attack(&attack_spec, &options.cache).map_err(DemoError::Attack)?;
    for note in notes {
        writeln!(out, "note: {note}")?;
    }
    let attack_line = format!(
        "MITRE ATT&CK: {attack_origin} ({} tactics, {} techniques), answered as MITRE integration 1.0",
        index.data().tactics.len(),
        index.data().techniques.len()
    );

    let dir = tempfile::Builder::new()
        .prefix("respack-demo-")
        .tempdir()
        .map_err(DemoError::TempDir)?;
    let db = dir.path().join("org.db");
    let workflows = Arc::new(Workflows {
        attack: AttackTarget::Ready(index),
        mitre_api: Api::V1,
        qradar: QradarTarget::Emulated {
            state: EmulatedQradar::new(Scenario::builtin()),
            name: BUILTIN_SCENARIO.into(),
        },
        ca_file: server::ca_path_for(&db),
        python: options.python.clone(),
    });
    let mut opts = server::Options::new(&db);
    opts.seed_integrations = true;
    opts.extensions
        .push(Arc::new(SharedWorkflows(workflows.clone())));
    let org = server::start(opts)?;
    let info = org.state().info().clone();

    let package = crate::ops::Package::builtin();
    let seed_value = crate::package::integrations_seed();
    let seed: ResFile = serde_json::from_value(seed_value).map_err(|e| DemoError::Story {
        step: "reading the integrations seed".into(),
        message: e.to_string(),
    })?;

    writeln!(
        out,
        "respack demo: the package README's two stories on an embedded SOAR org\n"
    )?;
    writeln!(out, "Where every piece comes from:")?;
    for line in [
        format!(
            "SOAR org: respack's reference org at {} (org {:?}), in {} (removed at the end)",
            org.base_url(),
            org.org().name,
            dir.path().display()
        ),
        "Dependency integrations (QRadar Advisor 2.0, MITRE 1.0, QRadar 2.0): respack's integrations seed, imported at start as an admin who installed them would have them".into(),
        format!(
            "Package: the built-in qraw_mitre.res (rules {:?} and {:?}), installed and uninstalled as `respack install` and `respack uninstall` do it",
            OFFENSE_RULE,
            MAP_RULE_RULE
        ),
        workflows.qradar_source(&info),
        attack_line,
        format!("Workflow scripts: {python} {python_version}, through respack's SOAR script shim"),
    ] {
        writeln!(out, "  {line}")?;
    }

    let client = connect(&org)?;
    let backups = dir.path().join("backups");
    // Step output is indented by three columns.
    let layout = Layout {
        width: options.layout.width.saturating_sub(3),
        ..options.layout
    };
    let story = Story {
        layout,
        client: &client,
        package: &package,
        seed: &seed,
        backups: &backups,
    };
    story.tell(out)?;
    drop(client);
    org.shutdown();
    drop(dir);
    Ok(())
}

fn connect(org: &server::RunningServer) -> Result<Client, DemoError> {
    let key = org.api_key();
    let mut settings = soar::Settings::api_key(
        org.addr().ip().to_string(),
        org.addr().port(),
        key.id.clone(),
        soar::Secret::new(key.secret.clone()),
    );
    settings.org = Some(org.org().name.clone());
    settings.verify = soar::Verify::CaFile(org.ca_pem_path().to_path_buf());
    Client::connect(settings).map_err(|source| DemoError::Rest {
        step: "connecting to the embedded org".into(),
        source: Box::new(source),
    })
}

struct Story<'a> {
    layout: Layout,
    client: &'a Client,
    package: &'a crate::ops::Package,
    seed: &'a ResFile,
    /// Where install and uninstall write their backups (inside the demo's directory).
    backups: &'a std::path::Path,
}

/// A row read back over REST: its id and cell values.
struct Row {
    id: i64,
    cells: BTreeMap<String, Value>,
}

impl Story<'_> {
    fn rest<T>(&self, step: &str, r: Result<T, SoarError>) -> Result<T, DemoError> {
        r.map_err(|source| DemoError::Rest {
            step: step.to_string(),
            source: Box::new(source),
        })
    }

    fn tell(&self, out: &mut dyn Write) -> Result<(), DemoError> {
        // 1. Install, as `respack install --yes` does it.
        let step = "1. Install the package (respack install)";
        writeln!(out, "\n{step}")?;
        let mut buffer = Vec::new();
        let report = crate::ops::install::install(
            self.client,
            self.package,
            &crate::ops::InstallOptions {
                dry_run: false,
                force: false,
                backup_dir: self.backups.to_path_buf(),
            },
            &mut crate::ops::Consent::Yes,
            &mut buffer,
            crate::ops::render::Style::default(),
        )
        .map_err(|e| DemoError::Ops {
            step: step.into(),
            source: Box::new(e),
        })?;
        indent(out, &buffer)?;
        if report.outcome != crate::ops::InstallOutcome::Installed {
            return Err(DemoError::Story {
                step: step.into(),
                message: format!("the install ended {:?}, not installed", report.outcome),
            });
        }

        // 2. The incident.
        let step = "2. Create the incident for QRadar offense 23";
        writeln!(out, "\n{step}")?;
        let incident = self.rest(
            step,
            self.client.create_incident(&json!({
                "name": format!("QRadar offense {OFFENSE_ID}"),
                "discovered_date": crate::server::store::now_ms(),
                "properties": {"qradar_id": OFFENSE_ID},
            })),
        )?;
        let inc = IncidentId(incident.get("id").and_then(Value::as_u64).unwrap_or(0));
        writeln!(
            out,
            "   incident {inc} \"QRadar offense {OFFENSE_ID}\", qradar_id = {OFFENSE_ID}"
        )?;

        // 3. Offense analysis.
        let step = format!("3. Run \"{OFFENSE_RULE}\" on incident {inc}");
        writeln!(out, "\n{step}")?;
        let answer = self.invoke(&step, inc, json!({"action_id": OFFENSE_RULE}), out)?;
        self.print_rows(out, inc, INCIDENT_TACTICS, None)?;
        let techniques = self.rows(&step, inc, TECHNIQUES, Some(&added(&answer, TECHNIQUES)))?;
        self.print_table(out, TECHNIQUES, &techniques)?;

        // 4. The task for a technique.
        let chosen = techniques
            .iter()
            .find(|r| cell(r, "technique_name") == TECHNIQUE)
            .or_else(|| techniques.first());
        let Some(chosen) = chosen else {
            return Err(DemoError::Story {
                step,
                message: "the workflow wrote no technique rows, so there is no task to create"
                    .into(),
            });
        };
        let name = cell(chosen, "technique_name");
        let step = format!(
            "4. Run \"{TASK_RULE}\" on the techniques row \"{name}\" ({})",
            cell(chosen, "technique_id")
        );
        writeln!(out, "\n{step}")?;
        if name != TECHNIQUE {
            writeln!(
                out,
                "   (this ATT&CK version has no {TECHNIQUE}: taking the first technique)"
            )?;
        }
        let answer = self.invoke(
            &step,
            inc,
            json!({"action_id": TASK_RULE, "row_id": chosen.id}),
            out,
        )?;
        let task_ids: Vec<i64> = answer
            .get("tasks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| t.get("id").and_then(Value::as_i64))
            .collect();
        let tasks = self.rest(&step, self.client.tasks(inc))?;
        for task in tasks.iter().filter(|t| {
            t.get("id")
                .and_then(Value::as_i64)
                .is_some_and(|id| task_ids.contains(&id))
        }) {
            let instructions = task
                .get("instructions")
                .and_then(Value::as_str)
                .map(|c| Text {
                    content: c.to_string(),
                    format: TextFormat::Html,
                });
            let text = render_task(
                task.get("name").and_then(Value::as_str).unwrap_or(""),
                task.get("phase_id").and_then(Value::as_str),
                instructions.as_ref(),
                self.layout,
            );
            for line in text.lines() {
                writeln!(out, "   {line}")?;
            }
        }

        // 5. The artifact and its reference sets.
        let step =
            format!("5. Add artifact {ARTIFACT} and run \"{FIND_REFERENCE_SETS_RULE}\" on it");
        writeln!(out, "\n{step}")?;
        let artifact = self.rest(
            &step,
            self.client
                .add_artifact(inc, &json!({"type": "IP Address", "value": ARTIFACT})),
        )?;
        let artifact_id = artifact.get("id").and_then(Value::as_i64).unwrap_or(0);
        writeln!(out, "   artifact {artifact_id}: IP Address {ARTIFACT}")?;
        let answer = self.invoke(
            &step,
            inc,
            json!({"action_id": FIND_REFERENCE_SETS_RULE, "artifact_id": artifact_id}),
            out,
        )?;
        let sets = self.rows(
            &step,
            inc,
            REFERENCE_SETS,
            Some(&added(&answer, REFERENCE_SETS)),
        )?;
        self.print_table(out, REFERENCE_SETS, &sets)?;
        for note in self.rest(&step, self.client.comments(inc))? {
            if let Some(text) = note.get("text").and_then(Value::as_str) {
                writeln!(
                    out,
                    "   Note: {}",
                    crate::runtime::engine::html_to_text(text)
                )?;
            }
        }

        // 6. Map the rule behind each reference-set row.
        let mut mapped = false;
        for row in &sets {
            let source = cell(row, "source");
            let set = cell(row, "reference_set");
            let step = format!(
                "6. Run \"{MAP_RULE_RULE}\" on the reference-set row \"{set}\" (source \"{source}\")"
            );
            writeln!(out, "\n{step}")?;
            if source.trim().is_empty() {
                writeln!(
                    out,
                    "   the row has no source: the menu item is not offered"
                )?;
                continue;
            }
            let answer = self.invoke(
                &step,
                inc,
                json!({"action_id": MAP_RULE_RULE, "row_id": row.id}),
                out,
            )?;
            let tactics = self.rows(
                &step,
                inc,
                ARTIFACT_TACTICS,
                Some(&added(&answer, ARTIFACT_TACTICS)),
            )?;
            self.print_table(out, ARTIFACT_TACTICS, &tactics)?;
            let techniques =
                self.rows(&step, inc, TECHNIQUES, Some(&added(&answer, TECHNIQUES)))?;
            self.print_table(out, TECHNIQUES, &techniques)?;
            mapped = true;
        }
        if !mapped {
            return Err(DemoError::Story {
                step: "6. Map rule to MITRE tactic".into(),
                message: format!(
                    "no reference-set row for {ARTIFACT} has a source, so no rule was mapped"
                ),
            });
        }

        // 7. Uninstall, as `respack uninstall --yes --delete-data` does it.
        let step = "7. Uninstall the package (respack uninstall --delete-data)";
        writeln!(out, "\n{step}")?;
        let mut buffer = Vec::new();
        let report = crate::ops::uninstall::uninstall(
            self.client,
            self.package,
            &crate::ops::UninstallRequest {
                dry_run: false,
                force: false,
                delete_data: true,
                backup_dir: self.backups.to_path_buf(),
            },
            &mut crate::ops::Consent::Yes,
            &mut buffer,
            crate::ops::render::Style::default(),
        )
        .map_err(|e| DemoError::Ops {
            step: step.into(),
            source: Box::new(e),
        })?;
        indent(out, &buffer)?;
        let left: Vec<String> = self
            .rest(step, self.client.list(soar::Kind::Rule))?
            .iter()
            .filter_map(|r| {
                r.get("name")
                    .and_then(Value::as_str)
                    .map(|n| format!("\"{n}\""))
            })
            .collect();
        writeln!(
            out,
            "   removed {} objects; the integrations' rules stay: {}",
            report.deleted.len(),
            left.join(", ")
        )?;
        Ok(())
    }

    /// Invoke a rule, print what its workflows did, and fail the story when one failed.
    fn invoke(
        &self,
        step: &str,
        inc: IncidentId,
        invocation: Value,
        out: &mut dyn Write,
    ) -> Result<Value, DemoError> {
        let answer = self.rest(step, self.client.invoke_action(inc, &invocation))?;
        for wf in answer
            .get("workflows")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = wf.get("workflow").and_then(Value::as_str).unwrap_or("?");
            let status = wf.get("status").and_then(Value::as_str).unwrap_or("?");
            writeln!(out, "   workflow {name}: {status}")?;
            for s in wf
                .get("steps")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let messages: Vec<&str> = s
                    .get("messages")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                writeln!(
                    out,
                    "     {} ({}): {}",
                    s.get("name").and_then(Value::as_str).unwrap_or("?"),
                    s.get("function").and_then(Value::as_str).unwrap_or("?"),
                    messages.join(" | ")
                )?;
            }
            if let Some(error) = wf.get("error").and_then(Value::as_str) {
                return Err(DemoError::Story {
                    step: step.to_string(),
                    message: error.to_string(),
                });
            }
        }
        Ok(answer)
    }

    /// Rows of `table` on the incident; only those with an id in `only` when given.
    fn rows(
        &self,
        step: &str,
        inc: IncidentId,
        table: &str,
        only: Option<&[i64]>,
    ) -> Result<Vec<Row>, DemoError> {
        let rows = self.rest(step, self.client.table_rows(inc, table))?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let id = r.get("id").and_then(Value::as_i64)?;
                if only.is_some_and(|ids| !ids.contains(&id)) {
                    return None;
                }
                let cells = r
                    .get("cells")
                    .and_then(Value::as_object)
                    .map(|c| {
                        c.iter()
                            .map(|(k, v)| {
                                (k.clone(), v.get("value").cloned().unwrap_or(Value::Null))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                Some(Row { id, cells })
            })
            .collect())
    }

    fn print_rows(
        &self,
        out: &mut dyn Write,
        inc: IncidentId,
        table: &str,
        only: Option<&[i64]>,
    ) -> Result<(), DemoError> {
        let rows = self.rows("reading the table", inc, table, only)?;
        self.print_table(out, table, &rows)
    }

    fn print_table(&self, out: &mut dyn Write, table: &str, rows: &[Row]) -> Result<(), DemoError> {
        let cells: Vec<BTreeMap<String, Value>> = rows.iter().map(|r| r.cells.clone()).collect();
        let def = TableDef::find(table, &[&self.package.res, self.seed], &cells);
        writeln!(out)?;
        for line in def.render(&cells, self.layout).lines() {
            writeln!(out, "   {line}")?;
        }
        Ok(())
    }
}

/// Another command's output, indented under the demo's step.
fn indent(out: &mut dyn Write, text: &[u8]) -> std::io::Result<()> {
    for line in String::from_utf8_lossy(text).lines() {
        if line.trim().is_empty() {
            continue;
        }
        writeln!(out, "   {line}")?;
    }
    Ok(())
}

/// Row ids an invocation added to `table`.
fn added(answer: &Value, table: &str) -> Vec<i64> {
    answer
        .get("rows")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|r| r.get("table").and_then(Value::as_str) == Some(table))
        .filter_map(|r| r.get("id").and_then(Value::as_i64))
        .collect()
}

fn cell<'a>(row: &'a Row, column: &str) -> &'a str {
    row.cells.get(column).and_then(Value::as_str).unwrap_or("")
}
