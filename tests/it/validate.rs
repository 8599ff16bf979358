//! `respack validate`: the real corpus judged as the issue expects, every check triggered by a
//! small hand-made file that breaks exactly one thing, the Python syntax cache, and hostile
//! input.
use std::path::{Path, PathBuf};

use respack::res::bpmn::{FunctionBody, LinearWorkflow, NodeKind};
use respack::res::{Document, Origin};
use respack::validate::{self, pysyntax::Checker, Diagnostic, Options, Severity};
use serde_json::{json, Value};

use crate::util::{respack, snapshots};

// ---------------------------------------------------------------------------------------------
// The hand-made file: one of everything, every reference resolving.

fn workflow_xml(post_script: &str, language: &str) -> String {
    let body: FunctionBody = serde_json::from_value(json!({
        "inputs": {
            "f-in": {"input_type": "static", "static_input": {"select_value": "v-1", "multiselect_value": []}}
        },
        "post_processing_script": post_script,
        "post_processing_script_language": language,
        "result_name": ""
    }))
    .unwrap();
    LinearWorkflow::new("test_workflow", "Test workflow")
        .function_step("Test function", "fn-1", body)
        .step(
            "Run the script",
            NodeKind::Script {
                uuid: "s-1".into(),
                programmatic_name: None,
            },
        )
        .step(
            "Make a task",
            NodeKind::Task {
                programmatic_name: "test_task".into(),
                uuid: "k-1".into(),
            },
        )
        .step(
            "Call the sub-workflow",
            NodeKind::SubWorkflow {
                called_element: "test_sub".into(),
            },
        )
        .build()
        .to_xml()
        .unwrap()
}

fn sub_xml() -> String {
    LinearWorkflow::new("test_sub", "Test sub-workflow")
        .build()
        .to_xml()
        .unwrap()
}

const POST_SCRIPT: &str =
    "row = incident.addRow(\"test_table\")\nrow[\"col\"] = results.get(\"value\")\n";

fn base() -> Value {
    json!({
        "export_format_version": 2,
        "export_date": 1700000000000i64,
        "server_version": {"version": "51.0.0.0.9340", "major": 0, "minor": 0, "build_number": 9340},
        "message_destinations": [{
            "uuid": "d-1", "export_key": "fn_test", "name": "Test Destination",
            "programmatic_name": "fn_test", "destination_type": 0, "expect_ack": true,
            "users": [], "api_keys": []
        }],
        "fields": [
            {"uuid": "f-in", "export_key": "__function/test_input", "name": "test_input", "type_id": 11,
             "input_type": "select", "text": "Test input",
             "values": [{"uuid": "v-1", "label": "one", "value": 1, "default": true, "enabled": true, "hidden": false}]},
            {"uuid": "f-act", "export_key": "actioninvocation/test_choice", "name": "test_choice",
             "type_id": 6, "input_type": "text", "text": "Choice"}
        ],
        "functions": [{
            "uuid": "fn-1", "export_key": "test_function", "name": "test_function",
            "display_name": "Test function", "destination_handle": "fn_test",
            "view_items": [{"element": "field_uuid", "content": "f-in", "field_type": "__function",
                            "show_if": null, "show_link_header": false, "step_label": null}]
        }],
        "workflows": [
            {"uuid": "w-1", "export_key": "test_workflow", "programmatic_name": "test_workflow",
             "name": "Test workflow", "object_type": "incident", "description": "",
             "content": {"workflow_id": "test_workflow", "xml": workflow_xml(POST_SCRIPT, "python3")}},
            {"uuid": "w-2", "export_key": "test_sub", "programmatic_name": "test_sub",
             "name": "Test sub-workflow", "object_type": "incident", "description": "",
             "content": {"workflow_id": "test_sub", "xml": sub_xml()}}
        ],
        "actions": [{
            "uuid": "r-1", "export_key": "Test rule", "name": "Test rule", "type": 1,
            "object_type": "incident", "workflows": ["test_workflow"],
            "message_destinations": ["Test Destination"],
            "view_items": [{"element": "field_uuid", "content": "f-act", "field_type": "actioninvocation"}],
            "conditions": [],
            "automations": [
                {"type": "create_task", "tasks_to_create": ["test_task"], "value": null},
                {"type": "run_script", "scripts_to_run": "Test script", "value": null}
            ]
        }],
        "action_order": ["r-1"],
        "types": [{
            "uuid": "t-1", "export_key": "test_table", "type_name": "test_table",
            "display_name": "Test table", "type_id": 8, "parent_types": ["incident"],
            "fields": {"col": {"uuid": "c-1", "export_key": "test_table/col", "name": "col",
                               "input_type": "text", "text": "Col"}}
        }],
        "scripts": [{
            "uuid": "s-1", "export_key": "Test script", "name": "Test script", "language": "python3",
            "object_type": "incident",
            "script_text": "row = incident.addRow('test_table')\nrow.col = incident.id\n"
        }],
        "phases": [{"uuid": "p-1", "export_key": "Respond", "name": "Respond"}],
        "automatic_tasks": [{
            "uuid": "k-1", "export_key": "test_task", "programmatic_name": "test_task",
            "name": "Test task", "phase_id": "Respond"
        }],
        "task_order": ["k-1"]
    })
}

fn options(cache: &Path) -> Options {
    Options {
        builtin: false,
        python: Some(Checker {
            python: "python3".into(),
            cache_dir: Some(cache.to_path_buf()),
            search_path: std::env::var_os("PATH"),
        }),
        free_memory: true,
    }
}

/// Validate `text` as a file named `test.res`.
fn validate_text(text: &str) -> Vec<Diagnostic> {
    let cache = tempfile::tempdir().unwrap();
    let doc = Document {
        origin: Origin::file("test.res"),
        text: text.to_string(),
    };
    validate::validate_document(&doc, &options(cache.path())).diagnostics
}

/// The findings for the base file changed by `change`.
fn findings(change: impl FnOnce(&mut Value)) -> Vec<Diagnostic> {
    let mut v = base();
    change(&mut v);
    validate_text(&serde_json::to_string(&v).unwrap())
}

fn at<'v>(v: &'v mut Value, pointer: &str) -> &'v mut Value {
    v.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("no {pointer} in the fixture"))
}

/// The one finding with `code`, checked to be at `path`.
#[track_caller]
fn the<'d>(found: &'d [Diagnostic], code: &str, path: &str) -> &'d Diagnostic {
    let hits: Vec<&Diagnostic> = found.iter().filter(|d| d.code == code).collect();
    assert_eq!(hits.len(), 1, "want exactly one {code}, found: {found:#?}");
    assert_eq!(
        hits[0].path, path,
        "{code} at the wrong path: {:#?}",
        hits[0]
    );
    hits[0]
}

/// Nothing but the expected finding(s) of severity error or warning.
#[track_caller]
fn only(found: &[Diagnostic], codes: &[&str]) {
    let others: Vec<&Diagnostic> = found
        .iter()
        .filter(|d| d.severity != Severity::Info && !codes.contains(&d.code))
        .collect();
    assert!(
        others.is_empty(),
        "unexpected findings besides {codes:?}: {others:#?}"
    );
}

#[track_caller]
fn one(found: &[Diagnostic], code: &str, path: &str) -> Diagnostic {
    only(found, &[code]);
    the(found, code, path).clone()
}

#[test]
fn the_hand_made_file_is_clean() {
    let found = findings(|_| {});
    assert!(found.is_empty(), "{found:#?}");
}

// ---------------------------------------------------------------------------------------------
// JSON, schema, identities

#[test]
fn json_syntax_error_gives_line_and_column() {
    let found = validate_text("{\n  \"export_format_version\": 2,\n  \"fields\": [,]\n}\n");
    let d = one(&found, "json.syntax", "");
    assert!(d.message.contains("line 3, column 14"), "{}", d.message);
}

#[test]
fn required_key_null_names_the_object_and_the_fix() {
    let found = findings(|v| *at(v, "/functions/0/export_key") = Value::Null);
    let d = one(&found, "schema.missing", "/functions/0/export_key");
    let o = d.object.unwrap();
    assert_eq!(
        (o.kind.label(), o.name.as_str()),
        ("function", "test_function")
    );
    assert!(d.help.unwrap().contains("\"test_function\""));
}

#[test]
fn every_wrong_type_is_reported_not_just_the_first() {
    let found = findings(|v| {
        *at(v, "/actions/0/type") = json!("1");
        *at(v, "/workflows/1/content/xml") = json!(5);
        at(v, "/fields/0")
            .as_object_mut()
            .unwrap()
            .remove("type_id");
    });
    only(&found, &["schema.type", "schema.missing"]);
    the(&found, "schema.missing", "/fields/0/type_id");
    let types: Vec<&str> = found
        .iter()
        .filter(|d| d.code == "schema.type")
        .map(|d| d.path.as_str())
        .collect();
    assert_eq!(types, ["/actions/0/type", "/workflows/1/content/xml"]);
}

#[test]
fn duplicate_uuid() {
    let found = findings(|v| *at(v, "/workflows/1/uuid") = json!("w-1"));
    let d = one(&found, "identity.duplicate-uuid", "/workflows/1/uuid");
    assert!(d.message.contains("/workflows/0"), "{}", d.message);
}

#[test]
fn duplicate_api_name() {
    let found = findings(|v| {
        let mut dup = at(v, "/phases/0").clone();
        dup["uuid"] = json!("p-2");
        at(v, "/phases").as_array_mut().unwrap().push(dup);
    });
    // Phases are looked up by export_key (res-format.md §1.3), as res::Kind says.
    one(&found, "identity.duplicate-name", "/phases/1/export_key");
}

#[test]
fn duplicate_field_export_key() {
    let found = findings(|v| {
        let mut dup = at(v, "/fields/1").clone();
        dup["uuid"] = json!("f-act-2");
        at(v, "/fields").as_array_mut().unwrap().push(dup);
    });
    one(&found, "identity.duplicate-name", "/fields/2/export_key");
}

#[test]
fn export_key_differing_from_the_api_name_warns() {
    let found = findings(|v| *at(v, "/automatic_tasks/0/export_key") = json!("other_task"));
    let d = one(
        &found,
        "identity.export-key",
        "/automatic_tasks/0/export_key",
    );
    assert_eq!(d.severity, Severity::Warning);
}

// ---------------------------------------------------------------------------------------------
// References

#[test]
fn rule_runs_a_missing_workflow() {
    let found = findings(|v| *at(v, "/actions/0/workflows/0") = json!("nope"));
    one(&found, "ref.rule.workflow", "/actions/0/workflows/0");
}

#[test]
fn rule_names_a_destination_by_programmatic_name() {
    let found = findings(|v| *at(v, "/actions/0/message_destinations/0") = json!("fn_test"));
    let d = one(
        &found,
        "ref.rule.destination",
        "/actions/0/message_destinations/0",
    );
    assert!(d.help.unwrap().contains("display name"));
}

#[test]
fn rule_shows_a_missing_activity_field() {
    let found = findings(|v| *at(v, "/actions/0/view_items/0/content") = json!("f-gone"));
    one(&found, "ref.rule.field", "/actions/0/view_items/0/content");
}

#[test]
fn rule_object_type_must_be_built_in_or_a_table() {
    let found = findings(|v| *at(v, "/actions/0/object_type") = json!("no_such_table"));
    one(&found, "ref.rule.object-type", "/actions/0/object_type");
    assert!(findings(|v| *at(v, "/actions/0/object_type") = json!("test_table")).is_empty());
}

#[test]
fn rule_creates_a_missing_task_and_runs_a_missing_script() {
    let found = findings(|v| {
        *at(v, "/actions/0/automations/0/tasks_to_create/0") = json!("no_task");
        *at(v, "/actions/0/automations/1/scripts_to_run") = json!("No script");
    });
    only(&found, &["ref.rule.task", "ref.rule.script"]);
    the(
        &found,
        "ref.rule.task",
        "/actions/0/automations/0/tasks_to_create/0",
    );
    the(
        &found,
        "ref.rule.script",
        "/actions/0/automations/1/scripts_to_run",
    );
}

#[test]
fn function_destination_must_exist() {
    let found = findings(|v| *at(v, "/functions/0/destination_handle") = json!("fn_gone"));
    one(
        &found,
        "ref.function.destination",
        "/functions/0/destination_handle",
    );
}

#[test]
fn function_inputs_must_be_function_input_fields() {
    let found = findings(|v| *at(v, "/functions/0/view_items/0/content") = json!("f-act"));
    let d = one(
        &found,
        "ref.function.field",
        "/functions/0/view_items/0/content",
    );
    assert!(d.message.contains("not a function input"), "{}", d.message);
}

#[test]
fn step_calls_a_missing_function() {
    let found = findings(|v| *at(v, "/functions/0/uuid") = json!("fn-other"));
    let d = one(&found, "ref.step.function", "/workflows/0/content/xml");
    assert!(
        d.message.contains("step 'Test function' (ServiceTask_1)"),
        "{}",
        d.message
    );
}

#[test]
fn step_sets_a_missing_input_field() {
    // The function still declares the input: the field itself is missing from the export.
    let found = findings(|v| {
        at(v, "/fields").as_array_mut().unwrap().remove(0);
    });
    only(&found, &["ref.step.input", "ref.function.field"]);
    the(&found, "ref.step.input", "/workflows/0/content/xml");
    the(
        &found,
        "ref.function.field",
        "/functions/0/view_items/0/content",
    );
}

#[test]
fn step_input_the_function_no_longer_declares_is_a_warning() {
    let found = findings(|v| {
        at(v, "/fields").as_array_mut().unwrap().remove(0);
        *at(v, "/functions/0/view_items") = json!([]);
    });
    let d = one(&found, "ref.step.stale-input", "/workflows/0/content/xml");
    assert_eq!(d.severity, Severity::Warning);
}

#[test]
fn step_chooses_a_missing_select_value() {
    let found = findings(|v| *at(v, "/fields/0/values/0/uuid") = json!("v-other"));
    one(&found, "ref.step.select-value", "/workflows/0/content/xml");
}

#[test]
fn step_runs_a_missing_script_and_creates_a_missing_task() {
    let found = findings(|v| {
        *at(v, "/scripts/0/uuid") = json!("s-other");
        *at(v, "/automatic_tasks/0/programmatic_name") = json!("other_task");
        *at(v, "/automatic_tasks/0/export_key") = json!("other_task");
        *at(v, "/automatic_tasks/0/uuid") = json!("k-other");
        *at(v, "/task_order") = json!([]);
        *at(v, "/actions/0/automations") = json!([]);
    });
    only(&found, &["ref.step.script", "ref.step.task"]);
    the(&found, "ref.step.script", "/workflows/0/content/xml");
    the(&found, "ref.step.task", "/workflows/0/content/xml");
}

#[test]
fn step_calls_a_missing_sub_workflow() {
    let found = findings(|v| at(v, "/workflows").as_array_mut().unwrap().truncate(1));
    let d = one(&found, "ref.step.subworkflow", "/workflows/0/content/xml");
    assert!(d.message.contains("'test_sub'"), "{}", d.message);
}

#[test]
fn task_phase_must_exist() {
    let found = findings(|v| *at(v, "/automatic_tasks/0/phase_id") = json!("Detect/Analyze"));
    one(&found, "ref.task.phase", "/automatic_tasks/0/phase_id");
}

#[test]
fn script_and_workflow_object_types() {
    let found = findings(|v| {
        *at(v, "/scripts/0/object_type") = json!("gone_table");
        *at(v, "/workflows/1/object_type") = json!("gone_table");
    });
    only(
        &found,
        &["ref.script.object-type", "ref.workflow.object-type"],
    );
    the(&found, "ref.script.object-type", "/scripts/0/object_type");
    the(
        &found,
        "ref.workflow.object-type",
        "/workflows/1/object_type",
    );
}

#[test]
fn column_export_key_must_name_its_table() {
    let found = findings(|v| *at(v, "/types/0/fields/col/export_key") = json!("other/col"));
    one(&found, "ref.column.table", "/types/0/fields/col/export_key");
}

#[test]
fn action_order_entries_must_be_rules() {
    let found = findings(|v| *at(v, "/action_order/0") = json!("r-gone"));
    one(&found, "ref.action-order", "/action_order/0");
}

#[test]
fn task_order_entries_without_a_task_are_info_only() {
    let found = findings(|v| *at(v, "/task_order") = json!(["k-1", "k-x", "k-y"]));
    let d = one(&found, "ref.task-order", "/task_order/1");
    assert_eq!(d.severity, Severity::Info);
    assert!(d.message.starts_with("2 of 3"), "{}", d.message);
}

// ---------------------------------------------------------------------------------------------
// BPMN

#[test]
fn malformed_bpmn() {
    let found = findings(|v| *at(v, "/workflows/1/content/xml") = json!("<definitions><process"));
    one(&found, "bpmn.malformed", "/workflows/1/content/xml");
}

#[test]
fn process_id_other_than_the_programmatic_name_warns() {
    let found = findings(|v| {
        let xml = at(v, "/workflows/1/content/xml")
            .as_str()
            .unwrap()
            .replace("id=\"test_sub\"", "id=\"old_name\"");
        *at(v, "/workflows/1/content/xml") = json!(xml);
    });
    let d = one(&found, "bpmn.process-id", "/workflows/1/content/xml");
    assert_eq!(d.severity, Severity::Warning);
}

// ---------------------------------------------------------------------------------------------
// Scripts

#[test]
fn python2_scripts_warn_once_per_object() {
    let found = findings(|v| {
        *at(v, "/scripts/0/language") = json!("python");
        *at(v, "/workflows/0/content/xml") = json!(workflow_xml(POST_SCRIPT, "python"));
    });
    only(&found, &["script.python2"]);
    let paths: Vec<&str> = found.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(
        paths,
        ["/scripts/0/script_text", "/workflows/0/content/xml"]
    );
    assert!(found.iter().all(|d| d.severity == Severity::Warning));
}

#[test]
fn python2_print_statement_is_not_compiled_as_python3() {
    let found = findings(|v| {
        *at(v, "/workflows/0/content/xml") = json!(workflow_xml("print 'done'\n", "python"));
    });
    one(&found, "script.python2", "/workflows/0/content/xml");
}

#[test]
fn syntax_error_names_the_workflow_the_step_and_the_line() {
    let found = findings(|v| {
        *at(v, "/workflows/0/content/xml") =
            json!(workflow_xml("x = 1\nif x\n  pass\n", "python3"));
    });
    let d = one(&found, "script.syntax", "/workflows/0/content/xml");
    assert_eq!(d.object.as_ref().unwrap().name, "test_workflow");
    assert!(
        d.message
            .starts_with("step 'Test function' (ServiceTask_1) post-processing script, line 2:"),
        "{}",
        d.message
    );
}

#[test]
fn unknown_script_language_is_an_error() {
    let found = findings(|v| *at(v, "/scripts/0/language") = json!("javascript"));
    one(&found, "script.language", "/scripts/0/script_text");
}

#[test]
fn without_python3_the_syntax_check_is_skipped_with_a_warning() {
    let doc = Document {
        origin: Origin::file("test.res"),
        text: base().to_string(),
    };
    let opts = Options {
        builtin: false,
        python: Some(Checker {
            python: "/nonexistent/python3".into(),
            cache_dir: None,
            search_path: None,
        }),
        free_memory: true,
    };
    let found = validate::validate_document(&doc, &opts).diagnostics;
    let d = one(&found, "script.syntax-skipped", "");
    assert!(d.message.contains("/nonexistent/python3"), "{}", d.message);
}

/// A python3 that records each start in `log`, so a test can see whether it ran.
fn recording_python(dir: &Path, log: &Path) -> PathBuf {
    let real = which_python3();
    let script = dir.join("python3");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho started >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            real.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    script
}

fn which_python3() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("python3"))
        .find(|p| p.is_file())
        .expect("python3 on PATH (cargo test needs it)")
}

#[test]
fn second_run_takes_syntax_verdicts_from_the_cache_without_starting_python() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("starts.log");
    let python = recording_python(dir.path(), &log);
    let file = dir.path().join("bad.res");
    let mut v = base();
    *at(&mut v, "/workflows/0/content/xml") = json!(workflow_xml("if x\n", "python3"));
    std::fs::write(&file, v.to_string()).unwrap();
    let run = || {
        respack(["validate".as_ref(), file.as_os_str()])
            .env("RESPACK_PYTHON", &python)
            .env("RESPACK_CACHE_DIR", dir.path().join("cache"))
            .run()
            .code(1)
            .stdout_has("error[script.syntax]")
    };
    run();
    let starts = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .count()
    };
    assert_eq!(starts(), 1, "the first run compiles with python3");
    run();
    assert_eq!(
        starts(),
        1,
        "the second run must take both verdicts from the cache"
    );
}

// ---------------------------------------------------------------------------------------------
// Tables written by scripts

#[test]
fn script_adding_rows_to_a_missing_table_warns_for_a_file() {
    let found = findings(|v| {
        *at(v, "/scripts/0/script_text") = json!("r = incident.addRow(\"gone_table\")\nr.a = 1\n");
    });
    let d = one(&found, "table.missing", "/scripts/0/script_text");
    assert_eq!(d.severity, Severity::Warning);
    assert!(
        d.message.contains("line 1") && d.message.contains("'gone_table'"),
        "{}",
        d.message
    );
}

#[test]
fn script_writing_a_missing_column_warns_for_a_file() {
    let found = findings(|v| {
        *at(v, "/workflows/0/content/xml") = json!(workflow_xml(
            "row = incident.addRow(\"test_table\")\nrow.other = 1\n",
            "python3"
        ));
    });
    let d = one(&found, "table.column-missing", "/workflows/0/content/xml");
    assert!(
        d.message.contains("'other'") && d.message.contains("line 2"),
        "{}",
        d.message
    );
}

#[test]
fn missing_tables_are_errors_for_the_built_in_package() {
    let mut v = base();
    *at(&mut v, "/scripts/0/script_text") = json!("r = incident.addRow(\"gone\")\n");
    let model = respack::res::parse(&Origin::file("t.res"), &v.to_string()).unwrap();
    let opts = Options {
        builtin: true,
        python: None,
        free_memory: true,
    };
    let found = validate::validate_res(&model, &opts);
    let d = one(&found, "table.missing", "/scripts/0/script_text");
    assert_eq!(d.severity, Severity::Error);
}

// ---------------------------------------------------------------------------------------------
// The command: exit codes, formats, hostile input

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn clean_file_exits_0_and_a_file_with_errors_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.res", base().to_string());
    let mut v = base();
    *at(&mut v, "/actions/0/workflows/0") = json!("nope");
    let bad = write(dir.path(), "bad.res", v.to_string());
    respack(["validate".as_ref(), good.as_os_str()])
        .env("RESPACK_CACHE_DIR", dir.path())
        .run()
        .success()
        .stdout_has("good.res: 0 errors, 0 warnings, 0 infos");
    respack(["validate".as_ref(), bad.as_os_str()])
        .env("RESPACK_CACHE_DIR", dir.path())
        .run()
        .code(1)
        .stdout_has("error[ref.rule.workflow] ")
        .stdout_has("rule 'Test rule' at /actions/0/workflows/0: runs workflow 'nope'")
        .stdout_has("  help: ");
}

#[test]
fn several_files_each_judged_then_a_total_and_unreadable_wins() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.res", base().to_string());
    let broken = write(dir.path(), "broken.res", "{\"export_format_version\": 2,");
    let missing = dir.path().join("missing.res");
    respack(["validate".as_ref(), good.as_os_str(), broken.as_os_str()])
        .env("RESPACK_CACHE_DIR", dir.path())
        .run()
        .code(1)
        .stdout_has("2 files: 1 error, 0 warnings, 0 infos");
    let run = respack([
        "validate".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        good.as_os_str(),
        missing.as_os_str(),
    ])
    .env("RESPACK_CACHE_DIR", dir.path())
    .run()
    .code(2)
    .stderr_has("1 of 2 files could not be read");
    let out = run.json();
    assert_eq!(out["unreadable"], 1);
    assert_eq!(out["files"][0]["errors"], 0);
    assert!(out["files"][1]["read_error"]["message"]
        .as_str()
        .unwrap()
        .contains("missing.res"));
}

#[test]
fn hostile_input_gets_clear_findings_or_exit_2_and_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let deep = "[".repeat(100_000);
    let cases: Vec<(&str, Vec<u8>, i32, &str)> = vec![
        ("truncated.res", b"{\"export_format_version\": 2, \"functions\": [".to_vec(), 1, "json.syntax"),
        ("array.res", b"[1, 2]".to_vec(), 1, "json.not-object"),
        ("empty.res", b"".to_vec(), 1, "json.not-object"),
        ("latin1.res", b"{\"name\": \"caf\xe9\"}".to_vec(), 1, "json.not-utf8"),
        ("deep.res", format!("{{\"a\": {deep}").into_bytes(), 1, "json.syntax"),
        ("lists.res", b"{\"export_format_version\": 2, \"export_date\": 0, \"functions\": [1, null], \"workflows\": \"x\"}".to_vec(), 1, "schema.type"),
        ("random.tar", (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect(), 2, "not a resource file"),
        ("zip.resz", b"PK\x03\x04garbage".to_vec(), 2, "bad zip archive"),
    ];
    for (name, bytes, code, needle) in cases {
        let p = write(dir.path(), name, bytes);
        let run = respack(["validate".as_ref(), p.as_os_str()])
            .env("RESPACK_CACHE_DIR", dir.path())
            .run()
            .no_panic();
        assert_eq!(
            run.out.status.code(),
            Some(code),
            "{name}: {}{}",
            run.stdout(),
            run.stderr()
        );
        let all = run.stdout() + &run.stderr();
        assert!(all.contains(needle), "{name}: no {needle:?} in {all}");
    }
    respack(["validate".as_ref(), dir.path().as_os_str()])
        .run()
        .code(2)
        .no_panic();
}

#[test]
fn text_that_is_not_json_was_called_null_or_a_number() {
    // The top-level check guessed the JSON kind from the first byte, so `nope` was "null",
    // `true_story` "a JSON boolean" and a CSV line "a JSON number": they are syntax errors.
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("nope.res", &b"nope"[..]),
        ("bool.res", &b"true_story"[..]),
        ("csv.res", &b"1,2,3\n"[..]),
    ] {
        let p = write(dir.path(), name, bytes);
        let run = respack(["validate".as_ref(), p.as_os_str()])
            .env("RESPACK_CACHE_DIR", dir.path())
            .run()
            .code(1)
            .stdout_has("json.syntax");
        assert!(
            !run.stdout().contains("json.not-object"),
            "{name}: {}",
            run.stdout()
        );
        respack(["show".as_ref(), p.as_os_str()])
            .run()
            .code(2)
            .stderr_has("invalid JSON at line 1");
    }
    // Valid JSON that is not an object still gets its kind named.
    let p = write(dir.path(), "null.res", b" null ");
    respack(["show".as_ref(), p.as_os_str()])
        .run()
        .code(2)
        .stderr_has("but this is null");
}

#[test]
fn built_in_package_validates_without_errors() {
    respack(["validate"])
        .env(
            "RESPACK_CACHE_DIR",
            std::env::temp_dir().join("respack-test-cache"),
        )
        .run()
        .success()
        .stdout_has("(built-in package): 0 errors");
}

// ---------------------------------------------------------------------------------------------
// The real corpus

const CLEAN: &[&str] = &[
    "sdk_app_zip_export.res",
    "sdk_app_zip_export_with_payload_samples.res",
    "sdk_fn_main_mock_integration_export.res",
    "sdk_fn_main_mock_integration_export_previous.res",
    "sdk_mock_reload_export_w_playbook.res",
    "sdk_mock_export_w_playbook_w_scripts.res",
    "sdk_mock_export_w_playbook.res",
    "sdk_mock_reload_export.res",
    "api/sdk_api_post_configurations_exports.json",
    "api/sdk_api_post_configurations_exports_with_playbooks.json",
    "community/fn_qradar_advisor_export.res",
    "community/fn_mitre_integration_export.res",
    "community/fn_qradar_integration_export.res",
];

fn corpus_json(shared: &Path, file: &str) -> (i32, Value) {
    let run = respack([
        "validate".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        shared.join("corpus/res").join(file).as_os_str(),
    ])
    .env(
        "RESPACK_CACHE_DIR",
        std::env::temp_dir().join("respack-test-cache"),
    )
    .run()
    .no_panic();
    (run.out.status.code().unwrap_or(-1), run.json())
}

fn codes_of(out: &Value) -> Vec<String> {
    out["files"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| format!("{} {} {}", d["code"], d["path"], d["message"]))
        .collect()
}

#[test]
fn every_server_produced_corpus_export_validates_without_errors() {
    let shared = crate::require_shared!();
    for file in CLEAN {
        let (code, out) = corpus_json(&shared, file);
        assert_eq!(code, 0, "{file}: {:#?}", codes_of(&out));
        assert_eq!(out["errors"], 0, "{file}");
    }
}

#[test]
fn mock_export_fails_naming_the_missing_sub_workflow() {
    let shared = crate::require_shared!();
    let (code, out) = corpus_json(&shared, "sdk_mock_export.res");
    assert_eq!(code, 1);
    let errors = codes_of(&out);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0].contains("ref.step.subworkflow"), "{errors:#?}");
    assert!(
        errors[0].contains("'example_get_incident_contact_info'"),
        "{errors:#?}"
    );
}

#[test]
fn mock_export_resz_is_read_through_the_zip_and_fails_the_same_way() {
    let shared = crate::require_shared!();
    let (code, out) = corpus_json(&shared, "sdk_mock_export.resz");
    assert_eq!(code, 1);
    assert_eq!(out["files"][0]["member"], "mock_export.res");
    let errors = codes_of(&out);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0].contains("example_get_incident_contact_info"));
}

#[test]
fn corrupt_export_names_the_function_without_export_key_and_the_broken_artifact_type() {
    let shared = crate::require_shared!();
    let (code, out) = corpus_json(&shared, "sdk_mock_export_corrupt.res");
    assert_eq!(code, 1);
    let diags = out["files"][0]["diagnostics"].as_array().unwrap();
    let find = |kind: &str, name: &str| {
        diags.iter().any(|d| {
            d["severity"] == "error"
                && d["code"] == "schema.missing"
                && d["object"]["kind"] == kind
                && d["object"]["name"] == name
                && d["path"].as_str().unwrap().ends_with("/export_key")
        })
    };
    assert!(find("function", "mock_function_one"), "{diags:#?}");
    assert!(find("artifact_type", "xxx"), "{diags:#?}");
}

#[test]
fn corrupt_export_json_output_snapshot() {
    let shared = crate::require_shared!();
    let (_, out) = corpus_json(&shared, "sdk_mock_export_corrupt.res");
    snapshots().bind(|| {
        insta::assert_json_snapshot!("validate_corrupt_export", out, {
            ".files[].file" => "[corpus]/sdk_mock_export_corrupt.res",
        })
    });
}

#[test]
fn reload_export_process_id_is_a_warning_only() {
    let shared = crate::require_shared!();
    let (code, out) = corpus_json(&shared, "sdk_mock_reload_export.res");
    assert_eq!(code, 0);
    let diags = out["files"][0]["diagnostics"].as_array().unwrap();
    assert!(diags.iter().any(|d| d["code"] == "bpmn.process-id"
        && d["severity"] == "warning"
        && d["object"]["name"] == "wf_new_mock_workflow"));
}
