//! The workflow engine on the package's real workflows and python3 scripts, against the emulated
//! QRadar and an ATT&CK index: the README's two stories, the technique task, the cases that
//! must end in a sentence (no observables, no mapping), script errors, the MITRE 2.x envelope,
//! and `respack run`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{json, Value};

use respack::attack::{load_bundle, Index};
use respack::emulate::{EmulatedServer, Scenario};
use respack::res::bpmn::Process;
use respack::res::{ResFile, WorkflowName};
use respack::runtime::engine::{Cell, Context, Engine, EngineError, Outcome};
use respack::runtime::mitre::Api;
use respack::runtime::qradar::config::AppConfig;
use respack::runtime::Runtime;

use crate::require_shared;
use crate::util::respack;

const OFFENSE: &str = "qradar_advisor_offense_analysis_mitre";
const MAP_RULE: &str = "qradar_advisor_map_rule_to_tactic";
const FIND: &str = "qradar_find_reference_sets_artifact";
const TASK: &str = "mitre_technique_task";

/// Options for a reference org in `dir` (its database `org.db`) that runs the README's
/// workflows: the integrations seeded, [`mini_bundle`] for ATT&CK, the built-in QRadar scenario
/// emulated in process, python3 for the scripts.
pub fn readme_org_options(dir: &Path) -> respack::server::Options {
    use respack::server::actions::{AttackTarget, QradarTarget, SharedWorkflows, Workflows};
    let index = std::sync::Arc::new(respack::attack::load_bundle(&mini_bundle(dir), None).unwrap());
    let db = dir.join("org.db");
    let workflows = Workflows {
        attack: AttackTarget::Ready(index),
        mitre_api: respack::runtime::mitre::Api::V1,
        qradar: QradarTarget::Emulated {
            state: respack::emulate::EmulatedQradar::new(respack::emulate::Scenario::builtin()),
            name: "readme".into(),
        },
        ca_file: respack::server::ca_path_for(&db),
        python: "python3".into(),
    };
    let mut opts = respack::server::Options::new(&db);
    opts.seed_integrations = true;
    opts.extensions
        .push(std::sync::Arc::new(SharedWorkflows(std::sync::Arc::new(
            workflows,
        ))));
    opts
}

/// A small enterprise ATT&CK: the two tactics of the README with a few techniques each, and a
/// mitigation of Port Knocking.
pub fn mini_bundle(dir: &Path) -> PathBuf {
    let ext = |id: &str, kind: &str| {
        json!([{"source_name": "mitre-attack", "external_id": id,
                "url": format!("https://attack.mitre.org/{kind}/{id}")}])
    };
    let technique = |id: &str, name: &str, phase: &str, detection: &str| {
        json!({"type": "attack-pattern", "id": format!("attack-pattern--{id}"), "name": name,
               "description": format!("{name} is how adversaries do things."),
               "x_mitre_detection": detection,
               "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": phase}],
               "external_references": ext(id, "techniques")})
    };
    let objects = vec![
        json!({"type": "x-mitre-matrix", "id": "x-mitre-matrix--1", "name": "Enterprise ATT&CK",
               "external_references": [{"source_name": "mitre-attack", "external_id": "enterprise-attack"}],
               "tactic_refs": ["x-mitre-tactic--ia", "x-mitre-tactic--c2"]}),
        json!({"type": "x-mitre-tactic", "id": "x-mitre-tactic--c2", "name": "Command and Control",
               "x_mitre_shortname": "command-and-control", "external_references": ext("TA0011", "tactics")}),
        json!({"type": "x-mitre-tactic", "id": "x-mitre-tactic--ia", "name": "Initial Access",
               "x_mitre_shortname": "initial-access", "external_references": ext("TA0001", "tactics")}),
        technique(
            "T1205",
            "Port Knocking",
            "command-and-control",
            "Record network packets sent to and from the system.",
        ),
        technique(
            "T1090",
            "Connection Proxy",
            "command-and-control",
            "Watch proxies.",
        ),
        technique("T1078", "Valid Accounts", "initial-access", "Audit logons."),
        json!({"type": "course-of-action", "id": "course-of-action--pk", "name": "Port Knocking Mitigation",
               "description": "Mitigation of some variants of this technique could be achieved through the use of stateful firewalls.",
               "external_references": ext("T1205", "mitigations")}),
        json!({"type": "relationship", "id": "relationship--pk", "relationship_type": "mitigates",
               "source_ref": "course-of-action--pk", "target_ref": "attack-pattern--T1205"}),
    ];
    let path = dir.join("mini-attack.json");
    std::fs::write(
        &path,
        serde_json::to_vec(&json!({"type": "bundle", "id": "bundle--mini", "objects": objects}))
            .unwrap(),
    )
    .unwrap();
    path
}

/// The emulated QRadar playing `scenario`, and a runtime pointed at it.
struct Rig {
    _server: EmulatedServer,
    runtime: Runtime,
    _dir: tempfile::TempDir,
}

fn rig_with(scenario: Scenario, index: Arc<Index>, api: Api) -> Rig {
    let server = EmulatedServer::start(scenario).unwrap();
    let qradar = AppConfig::parse(&server.app_config(), Path::new("(emulated)")).unwrap();
    Rig {
        _server: server,
        runtime: Runtime {
            attack: Some(index),
            attack_unavailable: None,
            mitre_api: api,
            qradar: Some(qradar),
        },
        _dir: tempfile::tempdir().unwrap(),
    }
}

fn mini_index() -> Arc<Index> {
    let dir = tempfile::tempdir().unwrap();
    Arc::new(load_bundle(&mini_bundle(dir.path()), None).unwrap())
}

fn rig(api: Api) -> Rig {
    rig_with(Scenario::builtin(), mini_index(), api)
}

fn package() -> ResFile {
    respack::package::resource_file(respack::package::export_date_ms(None))
}

fn seed() -> ResFile {
    serde_json::from_value(respack::package::integrations_seed()).unwrap()
}

fn offense_context(id: &str) -> Context {
    Context::incident(1, "QRadar offense", json!({ "qradar_id": id }))
}

fn run(rig: &Rig, res: &ResFile, workflow: &str, context: Context) -> Outcome {
    Engine::new(&rig.runtime)
        .run(res, &WorkflowName::new(workflow), context)
        .unwrap_or_else(|f| panic!("{workflow}: {f}"))
}

fn text(cell: Option<&Cell>) -> String {
    match cell {
        Some(Cell::Value(Value::String(s))) => s.clone(),
        Some(Cell::RichText(s)) => s.clone(),
        other => format!("{other:?}"),
    }
}

fn offense_rows_are_the_readme_story(out: &Outcome) {
    let tactics: Vec<_> = out.rows_of("mitre_attack_of_incident").collect();
    assert_eq!(tactics.len(), 1, "{tactics:?}");
    let row = &tactics[0].cells;
    assert_eq!(text(row.get("attack_tactic")), "Command and Control");
    assert_eq!(text(row.get("tactic_code")), "TA0011");
    assert_eq!(text(row.get("confidence")), "60");
    assert!(
        matches!(row.get("reference"), Some(Cell::RichText(html)) if html.contains("https://attack.mitre.org/tactics/TA0011"))
    );
    let techniques: Vec<String> = out
        .rows_of("mitre_attack_techniques")
        .map(|r| {
            format!(
                "{} {} {}",
                text(r.cells.get("tactic")),
                text(r.cells.get("technique_id")),
                text(r.cells.get("technique_name"))
            )
        })
        .collect();
    assert!(
        techniques.contains(&"Command and Control T1205 Port Knocking".to_string()),
        "{techniques:?}"
    );
}

#[test]
fn offense_analysis_writes_the_readme_tactic_and_its_techniques() {
    let rig = rig(Api::V1);
    let out = run(&rig, &package(), OFFENSE, offense_context("23"));
    offense_rows_are_the_readme_story(&out);
    assert_eq!(out.rows_of("mitre_attack_techniques").count(), 2);
    // The steps ran in flow order with the inputs SOAR would send.
    let steps: Vec<&str> = out.steps.iter().map(|s| s.function.as_str()).collect();
    assert_eq!(
        steps,
        [
            "qradar_advisor_offense_analysis",
            "mitre_tactic_information"
        ]
    );
    assert_eq!(out.steps[0].inputs["qradar_offense_id"], json!("23"));
    assert_eq!(
        out.steps[0].inputs["qradar_advisor_result_stage"]["name"],
        json!("stage3")
    );
    assert_eq!(
        out.steps[1].inputs["mitre_tactic_name"],
        json!("Command and Control")
    );
    assert!(out.properties.contains_key("qraw_offense_insights"));
}

#[test]
fn the_mitre_2x_envelope_gives_the_same_rows() {
    let rig = rig(Api::V2);
    let out = run(&rig, &package(), OFFENSE, offense_context("23"));
    offense_rows_are_the_readme_story(&out);
}

#[test]
fn offense_analysis_on_attack_v4_lists_the_22_command_and_control_techniques() {
    let shared = require_shared!();
    let index =
        Arc::new(load_bundle(&shared.join("attack/enterprise-attack-4.0.json.gz"), None).unwrap());
    let rig = rig_with(Scenario::builtin(), index, Api::V1);
    let out = run(&rig, &package(), OFFENSE, offense_context("23"));
    offense_rows_are_the_readme_story(&out);
    assert_eq!(out.rows_of("mitre_attack_techniques").count(), 22);
}

#[test]
fn map_rule_goes_from_the_reference_set_row_to_the_artifact_and_technique_rows() {
    let rig = rig(Api::V1);
    let found = run(
        &rig,
        &seed(),
        FIND,
        Context {
            artifact: Some(json!({"id": 1, "type": "IP Address", "value": "192.168.0.155"})),
            ..offense_context("23")
        },
    );
    let sets: Vec<_> = found.rows_of("qradar_reference_set").collect();
    assert_eq!(sets.len(), 1);
    let row: serde_json::Map<String, Value> = sets[0]
        .cells
        .iter()
        .map(|(k, c)| (k.clone(), c.stored()))
        .collect();
    assert_eq!(
        Value::Object(row.clone()),
        json!({"reference_set": "RF Risklist Source", "item_value": "192.168.0.155",
               "source": "RF Risklist Source Log"})
    );

    let mapped = run(
        &rig,
        &package(),
        MAP_RULE,
        Context {
            row: Some(Value::Object(row)),
            ..offense_context("23")
        },
    );
    let artifact_rows: Vec<_> = mapped.rows_of("mitre_attack_of_artifact").collect();
    assert_eq!(artifact_rows.len(), 1);
    let a = &artifact_rows[0].cells;
    assert_eq!(text(a.get("artifact")), "192.168.0.155");
    assert_eq!(text(a.get("attack_tactic")), "Initial Access");
    assert_eq!(text(a.get("tactic_code")), "TA0001");
    assert_eq!(text(a.get("confidence")), "low");
    let techniques: Vec<String> = mapped
        .rows_of("mitre_attack_techniques")
        .map(|r| text(r.cells.get("technique_id")))
        .collect();
    assert_eq!(techniques, ["T1078"]);
    assert_eq!(
        mapped.steps[0].inputs["qradar_rule_name"],
        json!("RF Risklist Source Log")
    );
}

#[test]
fn an_artifact_in_no_reference_set_gets_a_note_and_no_rows() {
    let rig = rig(Api::V1);
    let out = run(
        &rig,
        &seed(),
        FIND,
        Context {
            artifact: Some(json!({"id": 1, "type": "IP Address", "value": "10.20.30.40"})),
            ..offense_context("23")
        },
    );
    assert_eq!(out.rows.len(), 0);
    assert_eq!(
        out.notes[0].text.plain(),
        "No reference sets contain artifact: 10.20.30.40"
    );
}

#[test]
fn the_technique_task_has_description_detection_and_mitigation() {
    let rig = rig(Api::V1);
    let out = run(
        &rig,
        &seed(),
        TASK,
        Context {
            row: Some(
                json!({"tactic": "Command and Control", "technique_id": "T1205",
                             "technique_name": "Port Knocking"}),
            ),
            ..offense_context("23")
        },
    );
    assert_eq!(out.tasks.len(), 1);
    let task = &out.tasks[0];
    assert_eq!(task.name, "MITRE ATT&CK Technique: Port Knocking");
    assert_eq!(task.phase.as_deref(), Some("Detect/Analyze"));
    let text = task.instructions.as_ref().unwrap().plain();
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle} in {text}"))
    };
    assert!(at("Description") < at("Port Knocking is how"));
    assert!(at("Detection") < at("Record network packets"));
    assert!(at("Mitigation") < at("stateful firewalls"));
}

#[test]
fn no_observables_ends_in_a_sentence_not_a_traceback() {
    let mut scenario = Scenario::builtin();
    let offense = scenario.advisor.offenses.get_mut("23").unwrap();
    offense.statuses = vec!["NO_OBSERVABLES".into()];
    offense.no_observables = true;
    let rig = rig_with(scenario, mini_index(), Api::V1);
    let failure = Engine::new(&rig.runtime)
        .run(&package(), &OFFENSE.into(), offense_context("23"))
        .unwrap_err();
    let message = failure.to_string();
    assert!(
        matches!(&*failure.error, EngineError::Script { exception, line: Some(_), .. } if exception == "ValueError"),
        "{message}"
    );
    assert!(
        message.starts_with(
            "workflow qradar_advisor_offense_analysis_mitre, step \"MITRE Tactic Information\", pre-processing script, line "
        ),
        "{message}"
    );
    assert!(
        message.contains("QRadar Advisor found no observables for offense 23"),
        "{message}"
    );
    assert!(!message.contains("Traceback"), "{message}");
    // The analysis step ran and its result is kept; no rows were written.
    assert_eq!(failure.partial.steps.len(), 1);
    assert!(failure.partial.rows.is_empty());
}

#[test]
fn a_rule_without_a_mapping_ends_in_a_sentence_not_a_traceback() {
    let rig = rig(Api::V1);
    let failure = Engine::new(&rig.runtime)
        .run(
            &package(),
            &MAP_RULE.into(),
            Context {
                row: Some(json!({"reference_set": "Sample Suspect IPs",
                                 "item_value": "198.51.100.7", "source": "admin"})),
                ..offense_context("23")
            },
        )
        .unwrap_err();
    let message = failure.to_string();
    assert!(
        message
            .contains("QRadar Advisor has no MITRE ATT&CK mapping for the QRadar rule \"admin\""),
        "{message}"
    );
    assert!(message.contains("step \"MITRE Tactic Information\", pre-processing script, line "));
    assert!(!message.contains("Traceback"), "{message}");
}

/// The package with one step's post-processing script replaced.
fn with_post_script(workflow: &str, step: &str, script: &str) -> ResFile {
    let mut res = package();
    let wf = res
        .workflows
        .get_mut()
        .unwrap()
        .iter_mut()
        .find(|w| {
            w.programmatic_name
                .get()
                .is_some_and(|n| n.as_str() == workflow)
        })
        .unwrap();
    let content = wf.content.get_mut().unwrap();
    let mut process = Process::parse(content.xml.as_str().unwrap()).unwrap();
    for node in &mut process.nodes {
        if node.name.as_deref() == Some(step) {
            if let respack::res::bpmn::NodeKind::Function(call) = &mut node.kind {
                call.body.post_processing_script = script.to_string().into();
            }
        }
    }
    content.xml = process.to_xml().unwrap().into();
    res
}

#[test]
fn a_script_error_names_workflow_step_script_and_line() {
    let rig = rig(Api::V1);
    let res = with_post_script(
        OFFENSE,
        "MITRE Tactic Information",
        "tactics = results['mitre_tactics']\n\nfirst = tactics[5]\n",
    );
    let failure = Engine::new(&rig.runtime)
        .run(&res, &OFFENSE.into(), offense_context("23"))
        .unwrap_err();
    assert_eq!(
        failure.to_string(),
        "workflow qradar_advisor_offense_analysis_mitre, step \"MITRE Tactic Information\", post-processing script, line 3: IndexError: list index out of range"
    );
}

// ---- respack run ----------------------------------------------------------------------------

#[test]
fn run_offense_analysis_prints_the_tables_and_the_task() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = mini_bundle(dir.path());
    let out = respack([
        "run",
        "offense-analysis",
        "--qradar-id",
        "23",
        "--task",
        "Port Knocking",
    ])
    .arg("--bundle")
    .arg(&bundle)
    .arg("--no-cache")
    .run()
    .code(0);
    out.stdout_has("built-in scenario 'readme'")
        .stdout_has("MITRE ATT&CK of Incident (mitre_attack_of_incident): 1 row")
        .stdout_has("Command and Control")
        .stdout_has("TA0011")
        .stdout_has("Task: MITRE ATT&CK Technique: Port Knocking")
        .stdout_has("stateful firewalls");
}

#[test]
fn run_map_rule_as_json_has_the_tables_rows() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = mini_bundle(dir.path());
    let out = respack([
        "run",
        "map-rule",
        "--artifact",
        "192.168.0.155",
        "--format",
        "json",
    ])
    .arg("--bundle")
    .arg(&bundle)
    .arg("--no-cache")
    .run()
    .code(0);
    let v: Value = serde_json::from_str(&out.stdout()).unwrap();
    let table = |name: &str| {
        v["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()["rows"]
            .clone()
    };
    assert_eq!(
        table("qradar_reference_set"),
        json!([{"reference_set": "RF Risklist Source", "item_value": "192.168.0.155",
                "source": "RF Risklist Source Log"}])
    );
    let artifact = table("mitre_attack_of_artifact");
    assert_eq!(artifact[0]["attack_tactic"], "Initial Access");
    assert_eq!(artifact[0]["tactic_code"], "TA0001");
    assert_eq!(artifact[0]["confidence"], "low");
    assert_eq!(v["runs"].as_array().unwrap().len(), 2);
    assert!(v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["ok"] == true));
}

#[test]
fn run_map_rule_on_a_manually_added_value_exits_1_with_the_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = mini_bundle(dir.path());
    respack(["run", "map-rule", "--artifact", "198.51.100.7"])
        .arg("--bundle")
        .arg(&bundle)
        .arg("--no-cache")
        .run()
        .code(1)
        .stdout_has("QRadar Advisor has no MITRE ATT&CK mapping for the QRadar rule \"admin\"")
        .stderr_has("error: workflow qradar_advisor_map_rule_to_tactic");
}

#[test]
fn run_stopped_by_a_function_or_script_error_had_no_help_line() {
    // `--qradar-id 0` (an offense QRadar does not have) and an artifact whose rule has no
    // mapping stopped with `error:` and nothing saying what to do next.
    let dir = tempfile::tempdir().unwrap();
    let bundle = mini_bundle(dir.path());
    respack(["run", "offense-analysis", "--qradar-id", "0"])
        .arg("--bundle")
        .arg(&bundle)
        .arg("--no-cache")
        .run()
        .code(1)
        .stderr_has("function qradar_advisor_offense_analysis failed")
        .stderr_has("help: check the step's inputs above");
    respack(["run", "map-rule", "--artifact", "198.51.100.7"])
        .arg("--bundle")
        .arg(&bundle)
        .arg("--no-cache")
        .run()
        .code(1)
        .stderr_has("ValueError")
        .stderr_has("help: the sentence above is the workflow script's");
}

#[test]
fn run_without_python_names_python3() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = mini_bundle(dir.path());
    respack(["run", "offense-analysis", "--qradar-id", "23"])
        .arg("--bundle")
        .arg(&bundle)
        .arg("--no-cache")
        .env("RESPACK_PYTHON", "/nonexistent/python3")
        .run()
        .code(2)
        .stderr_has("workflow scripts run in python3")
        .stderr_has("help: install python3");
}

#[test]
fn run_reads_the_integrations_sections_of_an_app_config() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = mini_bundle(dir.path());
    let server = EmulatedServer::start(Scenario::builtin()).unwrap();
    let config = dir.path().join("app.config");
    std::fs::write(
        &config,
        format!(
            "{}\n[fn_mitre_integration]\nstix_bundle_path = {}\napi = v2\n",
            server.app_config(),
            bundle.file_name().unwrap().to_string_lossy()
        ),
    )
    .unwrap();
    respack([
        "run",
        "offense-analysis",
        "--qradar-id",
        "23",
        "--no-cache",
        "--config",
    ])
    .arg(&config)
    .run()
    .code(0)
    .stdout_has(&format!("([fn_qradar_advisor] of {})", config.display()))
    .stdout_has(&format!("MITRE ATT&CK: bundle {}", bundle.display()))
    .stdout_has("answered as MITRE integration 2.x")
    .stdout_has("TA0011")
    .output_lacks("emulated");
    // The emulation saw the analysis: the runtime really went to the configured host.
    assert!(server
        .state()
        .requests()
        .iter()
        .any(|r| r.path.contains("/offense/23/analysis")));
}

#[test]
fn run_with_a_config_lacking_fn_qradar_advisor_started_anyway() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = mini_bundle(dir.path());
    let config = dir.path().join("app.config");
    std::fs::write(
        &config,
        "[fn_qradar_integration]\nhost = 127.0.0.1\nqradartoken = t\n",
    )
    .unwrap();
    respack([
        "run",
        "offense-analysis",
        "--qradar-id",
        "23",
        "--no-cache",
        "--bundle",
    ])
    .arg(&bundle)
    .arg("--config")
    .arg(&config)
    .run()
    .code(2)
    .stderr_has("fn_qradar_advisor")
    .stderr_has("help:")
    .output_lacks("Workflow qradar_advisor_offense_analysis_mitre");
}
