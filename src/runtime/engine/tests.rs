//! The engine on small hand-made workflows with a recording function double; the package's
//! real workflows are exercised in `tests/it/engine.rs`.

use std::sync::Mutex;

use serde_json::{json, Value};

use super::*;
use crate::res::bpmn::{Input, LinearWorkflow, StaticInput};

/// Answers every call with a fixed result per function and records the inputs it got.
struct Fake {
    answers: Vec<(&'static str, Result<Value, &'static str>)>,
    calls: Mutex<Vec<(String, Inputs)>>,
}

impl Fake {
    fn new(answers: Vec<(&'static str, Result<Value, &'static str>)>) -> Fake {
        Fake {
            answers,
            calls: Mutex::new(vec![]),
        }
    }
}

impl FunctionRuntime for Fake {
    fn call(
        &self,
        function: &FunctionName,
        inputs: &Inputs,
    ) -> Result<FunctionOutput, FunctionError> {
        self.calls
            .lock()
            .unwrap()
            .push((function.to_string(), inputs.clone()));
        let (_, answer) = self
            .answers
            .iter()
            .find(|(name, _)| *name == function.as_str())
            .expect("the test configures every function it calls");
        answer
            .clone()
            .map(|result| FunctionOutput {
                result,
                messages: vec!["starting...".into(), "done...".into()],
            })
            .map_err(|m| FunctionError::new(function.as_str(), m))
    }
}

const STAGE_FIELD: &str = "48819fe4-2c70-488a-9996-9581a81d886a";
const STAGE3: &str = "bee62681-b35f-4ff8-9c4f-52489e6920cf";
const OFFENSE_FIELD: &str = "6ad482db-6291-4667-abe2-88f0d9f8e644";
const RESTART_FIELD: &str = "eb4d07be-006d-41d9-9392-ed22cefff172";
const TACTIC_FIELD: &str = "3b7fd7b0-8d8c-4fc3-9c3a-4bc8bc6f7d3a";

fn body(pre: &str, post: &str, result_name: &str) -> FunctionBody {
    FunctionBody {
        pre_processing_script: pre.to_string().into(),
        post_processing_script: post.to_string().into(),
        result_name: result_name.to_string().into(),
        ..FunctionBody::default()
    }
}

/// A two-step workflow: "analyse" (static stage3 + restart, offense id from the script)
/// then "tactics" (reads the first result, writes rows, a note and a task).
fn res(first: FunctionBody, second: FunctionBody) -> ResFile {
    let xml = LinearWorkflow::new("wf_test", "Test workflow")
        .function_step("Analyse", "f-analyse", first)
        .function_step("Tactics", "f-tactics", second)
        .build()
        .to_xml()
        .unwrap();
    serde_json::from_value(json!({
        "export_format_version": 2,
        "workflows": [{"programmatic_name": "wf_test", "object_type": "incident",
                        "content": {"workflow_id": "wf_test", "xml": xml}}],
        "functions": [
            {"uuid": "f-analyse", "name": "qradar_advisor_offense_analysis"},
            {"uuid": "f-tactics", "name": "mitre_tactic_information"}
        ],
        "fields": [
            {"uuid": STAGE_FIELD, "name": "qradar_advisor_result_stage",
             "export_key": "__function/qradar_advisor_result_stage", "input_type": "select",
             "values": [{"uuid": STAGE3, "label": "stage3", "value": 703}]},
            {"uuid": OFFENSE_FIELD, "name": "qradar_offense_id",
             "export_key": "__function/qradar_offense_id", "input_type": "text"},
            {"uuid": RESTART_FIELD, "name": "qradar_analysis_restart_if_existed",
             "export_key": "__function/qradar_analysis_restart_if_existed",
             "input_type": "boolean"},
            {"uuid": TACTIC_FIELD, "name": "mitre_tactic_name",
             "export_key": "__function/mitre_tactic_name", "input_type": "text"}
        ],
        "types": [{"type_name": "mitre_attack_of_incident", "display_name": "MITRE ATT&CK of Incident",
                   "fields": {"attack_tactic": {"text": "ATT&CK Tactic"},
                              "confidence": {"text": "Confidence"},
                              "reference": {"text": "Reference"}}}]
    }))
    .unwrap()
}

fn first_step() -> FunctionBody {
    let mut first = body(
        "inputs.qradar_offense_id = str(incident.properties.qradar_id)\n",
        "",
        "analysis",
    );
    first.inputs = crate::res::Slot::Value(
        [
            (
                STAGE_FIELD.to_string(),
                Input::static_value(StaticInput::select(STAGE3)),
            ),
            (
                RESTART_FIELD.to_string(),
                Input::static_value(StaticInput::boolean(true)),
            ),
            // Overridden by the script: the script wins, as in SOAR.
            (
                OFFENSE_FIELD.to_string(),
                Input::static_value(StaticInput::text("999")),
            ),
        ]
        .into_iter()
        .collect(),
    );
    first
}

const POST: &str = r#"# rows from the result
conf = workflow.properties.analysis.insights.tactics[0]["confidence"]
for t in results.mitre_tactics:
    r = incident.addRow("mitre_attack_of_incident")
    r["attack_tactic"] = t["tactic_name"]
    r.confidence = str(conf)
    r["reference"] = helper.createRichText('<a href="x">x</a><br>')
incident.addNote("two steps ran")
incident.addTask("Look at " + t["tactic_name"], "Respond", helper.createRichText("<h1> Do </h1>it"))
incident.properties.mitre_tactic_name = t["tactic_name"]
log.info("wrote %d rows", 1)
print("hello")
"#;

fn fake() -> Fake {
    Fake::new(vec![
        (
            "qradar_advisor_offense_analysis",
            Ok(
                json!({"insights": {"tactics": [{"tactic_id": "Command and Control", "confidence": 60}]}}),
            ),
        ),
        (
            "mitre_tactic_information",
            Ok(
                json!({"mitre_tactics": [{"tactic_name": "Command and Control", "tactic_id": "TA0011"}]}),
            ),
        ),
    ])
}

fn incident() -> Context {
    Context::incident(7, "Offense 23", json!({"qradar_id": 23}))
}

#[test]
fn runs_steps_in_order_with_static_and_script_inputs_and_collects_effects() {
    let fake = fake();
    let second = body(
        "inputs.mitre_tactic_name = ', '.join(t['tactic_id'] for t in workflow.properties.analysis.insights.tactics)\n",
        POST,
        "",
    );
    let out = Engine::new(&fake)
        .run(&res(first_step(), second), &"wf_test".into(), incident())
        .unwrap();

    let calls = fake.calls.lock().unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].0, "qradar_advisor_offense_analysis");
    assert_eq!(
        Value::Object(calls[0].1.clone()),
        json!({"qradar_advisor_result_stage": {"id": 703, "name": "stage3"},
               "qradar_analysis_restart_if_existed": true,
               "qradar_offense_id": "23"})
    );
    assert_eq!(
        Value::Object(calls[1].1.clone()),
        json!({"mitre_tactic_name": "Command and Control"})
    );

    assert_eq!(out.rows.len(), 1);
    let row = &out.rows[0];
    assert_eq!(row.table.as_str(), "mitre_attack_of_incident");
    assert_eq!(
        row.cells["attack_tactic"],
        Cell::Value(json!("Command and Control"))
    );
    assert_eq!(row.cells["confidence"], Cell::Value(json!("60")));
    assert_eq!(row.cells["reference"].display(), "x");
    assert_eq!(row.step, "Tactics");
    assert_eq!(out.notes[0].text.plain(), "two steps ran");
    assert_eq!(out.tasks[0].name, "Look at Command and Control");
    assert_eq!(out.tasks[0].phase.as_deref(), Some("Respond"));
    assert_eq!(
        out.tasks[0].instructions.as_ref().unwrap().plain(),
        "Do\nit"
    );
    assert_eq!(out.changes[0].field, "properties.mitre_tactic_name");
    assert_eq!(out.changes[0].object, Target::Incident);
    assert!(out.properties.contains_key("analysis"));
    assert_eq!(out.steps.len(), 2);
    assert_eq!(out.steps[1].log, ["INFO: wrote 1 rows", "PRINT: hello"]);
    assert_eq!(out.steps[0].result_name.as_deref(), Some("analysis"));
}

#[test]
fn a_script_error_names_workflow_step_script_and_line() {
    let fake = fake();
    let second = body(
        "x = 1\n\nraise ValueError('no tactics for this offense')\n",
        POST,
        "",
    );
    let failure = Engine::new(&fake)
        .run(&res(first_step(), second), &"wf_test".into(), incident())
        .unwrap_err();
    assert_eq!(
        failure.to_string(),
        "workflow wf_test, step \"Tactics\", pre-processing script, line 3: ValueError: no tactics for this offense"
    );
    // The first step ran and its result is kept.
    assert_eq!(failure.partial.steps.len(), 1);
    assert!(failure.partial.properties.contains_key("analysis"));
}

#[test]
fn errors_inside_functions_the_script_defines_report_the_script_line() {
    let fake = fake();
    let post = "def f(d):\n    return d['missing']\n\nf(results)\n";
    let failure = Engine::new(&fake)
        .run(
            &res(first_step(), body("", post, "")),
            &"wf_test".into(),
            incident(),
        )
        .unwrap_err();
    assert_eq!(
        failure.to_string(),
        "workflow wf_test, step \"Tactics\", post-processing script, line 2: KeyError: 'missing'"
    );
}

#[test]
fn a_syntax_error_has_its_line() {
    let fake = fake();
    let failure = Engine::new(&fake)
        .run(
            &res(first_step(), body("a = 1\nif a\n  pass\n", "", "")),
            &"wf_test".into(),
            incident(),
        )
        .unwrap_err();
    let text = failure.to_string();
    assert!(
        text.starts_with(
            "workflow wf_test, step \"Tactics\", pre-processing script, line 2: SyntaxError:"
        ),
        "{text}"
    );
}

#[test]
fn unknown_table_and_column_are_errors_with_the_line() {
    let fake = fake();
    let failure = Engine::new(&fake)
        .run(
            &res(
                first_step(),
                body("", "\nr = incident.addRow('nope')\nr['a'] = 1\n", ""),
            ),
            &"wf_test".into(),
            incident(),
        )
        .unwrap_err();
    assert_eq!(
        failure.to_string(),
        "workflow wf_test, step \"Tactics\", post-processing script, line 2: incident.addRow(\"nope\"): the resource file has no data table nope"
    );
    let failure = Engine::new(&fake)
        .run(
            &res(
                first_step(),
                body(
                    "",
                    "r = incident.addRow('mitre_attack_of_incident')\nr.tactic = 1\n",
                    "",
                ),
            ),
            &"wf_test".into(),
            incident(),
        )
        .unwrap_err();
    assert_eq!(
        failure.to_string(),
        "workflow wf_test, step \"Tactics\", post-processing script, line 2: data table mitre_attack_of_incident has no column tactic"
    );
}

#[test]
fn a_function_error_names_the_step_and_stops_before_the_post_script() {
    let fake = Fake::new(vec![
        (
            "qradar_advisor_offense_analysis",
            Err("the about endpoint returns status 500"),
        ),
        ("mitre_tactic_information", Ok(json!({}))),
    ]);
    let mut first = first_step();
    first.post_processing_script = "incident.addNote('never')".to_string().into();
    let failure = Engine::new(&fake)
        .run(&res(first, body("", "", "")), &"wf_test".into(), incident())
        .unwrap_err();
    assert_eq!(
        failure.to_string(),
        "workflow wf_test, step \"Analyse\": function qradar_advisor_offense_analysis failed: the about endpoint returns status 500"
    );
    assert!(failure.partial.notes.is_empty());
    assert_eq!(fake.calls.lock().unwrap().len(), 1);
}

#[test]
fn missing_python_is_named() {
    let fake = fake();
    let failure = Engine::new(&fake)
        .with_python("/nonexistent/python3-for-respack-tests")
        .run(
            &res(first_step(), body("", "", "")),
            &"wf_test".into(),
            incident(),
        )
        .unwrap_err();
    assert!(matches!(*failure.error, EngineError::PythonMissing { .. }));
    assert!(failure.to_string().contains("python3"));
    assert!(failure.help().unwrap().contains("RESPACK_PYTHON"));
}

#[test]
fn unknown_workflow_and_missing_row_are_errors() {
    let fake = fake();
    let res = res(first_step(), body("", "", ""));
    let e = Engine::new(&fake)
        .run(&res, &"nope".into(), incident())
        .unwrap_err();
    assert_eq!(e.to_string(), "the resource file has no workflow nope");

    let mut on_table = res.clone();
    if let Some(wfs) = on_table.workflows.get_mut() {
        wfs[0].object_type = "qradar_reference_set".to_string().into();
    }
    let e = Engine::new(&fake)
        .run(&on_table, &"wf_test".into(), incident())
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "workflow wf_test runs on a row of data table qradar_reference_set, and none was given"
    );
}

#[test]
fn html_reads_as_the_ui_shows_it() {
    assert_eq!(
        html_to_text("<a href=\"https://x/\">https://x/</a><br><a href=\"y\">y</a><br>"),
        "https://x/\ny"
    );
    assert_eq!(
        html_to_text(
            "<h1> Description </h1>\nA &amp; B\n<h1> Mitigation </h1>\n<b>M</b><p>d</p>\n"
        ),
        "Description\nA & B\n\nMitigation\nM\nd"
    );
    assert_eq!(html_to_text("plain"), "plain");
}

#[test]
fn the_shim_offers_the_other_forms_scripts_use() {
    let fake = fake();
    let post = r#"
incident.addTask({"name": "Dict task", "phase_id": "Respond", "instructions": "plain words"})
incident.addArtifact("IP Address", "10.0.0.1", helper.createRichText("<b>seen</b>"))
incident.addNote(helper.createPlainText("a <plain> note"))
incident.description = "changed"
workflow.addProperty("extra", {"a": {"b": 1}})
assert workflow.properties.extra.a.b == 1
assert rule.properties.missing is None
assert results.mitre_tactics[0].tactic_id == "TA0011"
assert incident.properties.nothing is None
"#;
    let out = Engine::new(&fake)
        .run(
            &res(first_step(), body("", post, "")),
            &"wf_test".into(),
            incident(),
        )
        .unwrap();
    assert_eq!(out.tasks[0].name, "Dict task");
    assert_eq!(out.tasks[0].phase.as_deref(), Some("Respond"));
    assert_eq!(
        out.tasks[0].instructions,
        Some(Text {
            content: "plain words".into(),
            format: TextFormat::Text
        })
    );
    assert_eq!(out.artifacts[0].value, "10.0.0.1");
    assert_eq!(
        out.artifacts[0].description.as_ref().unwrap().plain(),
        "seen"
    );
    assert_eq!(out.notes[0].text.plain(), "a <plain> note");
    assert_eq!(out.changes[0].field, "description");
    assert_eq!(out.properties["extra"], json!({"a": {"b": 1}}));
}
