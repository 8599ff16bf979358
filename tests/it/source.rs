//! Package source directories: `respack unpack`, `respack build SRC`, `respack validate SRC`.
//!
//! The round trip is byte-identical (`build(unpack(F)) == fmt(F)`, `unpack(build(SRC)) ==
//! SRC`), unknown kinds survive, and a hostile export or source cannot make respack write or
//! read outside the directory.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::util::{respack, snapshots};

/// Every file under `dir`, relative path → bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn unpack(input: &Path, out: &Path) {
    respack(["unpack"])
        .arg(input)
        .arg("--out")
        .arg(out)
        .run()
        .success();
}

/// Build `src` into `out` and return the path of the `.res` it wrote.
fn build(src: &Path, out: &Path) -> PathBuf {
    let run = respack(["build"])
        .arg(src)
        .arg("--out")
        .arg(out)
        .run()
        .success();
    let res = run
        .stdout()
        .lines()
        .filter_map(|l| l.split_once("  ").map(|(_, p)| PathBuf::from(p)))
        .find(|p| p.extension().is_some_and(|e| e == "res"))
        .unwrap_or_else(|| panic!("build printed no .res: {}", run.stdout()));
    assert!(res.starts_with(out), "{}", res.display());
    res
}

fn fmt(input: &Path) -> Vec<u8> {
    respack(["fmt"]).arg(input).run().success().out.stdout
}

const XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:resilient="http://resilient.ibm.com/bpmn" targetNamespace="http://www.camunda.org/test"><process id="demo_wf" isExecutable="true" name="Demo workflow"><documentation/><startEvent id="StartEvent_1"><outgoing>Flow_1</outgoing></startEvent><serviceTask id="ServiceTask_1" name="Demo lookup" resilient:type="function"><extensionElements><resilient:function uuid="22222222-0000-4000-8000-000000000002">{"inputs":{},"pre_processing_script":"inputs.demo_query = incident.name\nif incident.id &gt; 1:\n    inputs.demo_query += \"!\"\n","pre_processing_script_language":"python3","result_name":"r"}</resilient:function></extensionElements><incoming>Flow_1</incoming><outgoing>Flow_2</outgoing></serviceTask><endEvent id="EndEvent_1"><incoming>Flow_2</incoming></endEvent><sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="ServiceTask_1"/><sequenceFlow id="Flow_2" sourceRef="ServiceTask_1" targetRef="EndEvent_1"/></process></definitions>"#;

/// A small export written for these tests: a destination, a function with one input, a global
/// script, a workflow whose step has a pre-processing script, a rule, and a list respack does
/// not know (`widgets`).
fn small_export() -> Value {
    json!({
        "export_format_version": 2,
        "export_date": 1_700_000_000_000_i64,
        "id": 1,
        "locale": null,
        "server_version": {"build_number": 0, "major": 51, "minor": 0, "version": "51.0.0"},
        "action_order": [],
        "task_order": [],
        "overrides": [],
        "message_destinations": [{
            "name": "fn_demo", "programmatic_name": "fn_demo", "export_key": "fn_demo",
            "uuid": "11111111-0000-4000-8000-000000000001", "destination_type": 0,
            "expect_ack": true, "users": [], "tags": []
        }],
        "functions": [{
            "name": "demo_lookup", "export_key": "demo_lookup", "display_name": "Demo lookup",
            "destination_handle": "fn_demo", "uuid": "22222222-0000-4000-8000-000000000002",
            "description": {"content": "Looks things up.", "format": "text"},
            "view_items": [{"content": "33333333-0000-4000-8000-000000000003", "element": "field_uuid",
                "field_type": "__function", "show_if": null, "show_link_header": false, "step_label": null}],
            "tags": [], "version": 1, "a_member_from_a_newer_soar": {"kept": true}
        }],
        "fields": [{
            "name": "demo_query", "export_key": "__function/demo_query", "type_id": 11,
            "input_type": "text", "uuid": "33333333-0000-4000-8000-000000000003", "text": "demo_query",
            "prefix": null, "tooltip": "", "templates": [], "values": [], "tags": []
        }],
        "scripts": [{
            "name": "Add a note", "export_key": "Add a note", "programmatic_name": "add_a_note",
            "language": "python3", "object_type": "incident", "enabled": false, "description": "",
            "script_text": "incident.addNote(\"hello\")\n", "uuid": "44444444-0000-4000-8000-000000000004",
            "tags": [], "actions": []
        }],
        "workflows": [{
            "programmatic_name": "demo_wf", "export_key": "demo_wf", "name": "Demo workflow",
            "object_type": "incident", "uuid": "55555555-0000-4000-8000-000000000005", "workflow_id": 1,
            "description": "", "tags": [], "actions": [],
            "content": {"workflow_id": "demo_wf", "version": 1, "xml": XML}
        }],
        "actions": [{
            "name": "Run demo", "export_key": "Run demo", "uuid": "66666666-0000-4000-8000-000000000006",
            "object_type": "incident", "type": 1, "workflows": ["demo_wf"], "conditions": [],
            "automations": [], "message_destinations": [], "view_items": [], "tags": [],
            "timeout_seconds": 86400, "id": 1, "enabled": true, "logic_type": "all"
        }],
        "widgets": [{"name": "w1", "shape": "round"}, {"name": "w2", "shape": "square"}]
    })
}

/// Write `value` as a compact `.res` under `dir`.
fn write_res(dir: &Path, name: &str, value: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec(value).unwrap()).unwrap();
    path
}

#[test]
fn every_corpus_export_builds_back_from_its_source_byte_identical_to_fmt() {
    let shared = crate::require_shared!();
    let res = shared.join("corpus/res");
    let mut inputs: Vec<PathBuf> = ["", "community"]
        .iter()
        .flat_map(|d| std::fs::read_dir(res.join(d)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            (name.ends_with(".res") || name.ends_with(".resz")) && !name.contains("corrupt")
        })
        .collect();
    inputs.push(res.join("api/sdk_api_post_configurations_exports.json"));
    inputs.sort();
    assert!(inputs.len() >= 12, "corpus too small: {inputs:?}");
    let dir = tempfile::tempdir().unwrap();
    for (i, input) in inputs.iter().enumerate() {
        let src = dir.path().join(format!("src{i}"));
        unpack(input, &src);
        let built = build(&src, &dir.path().join(format!("out{i}")));
        let name = input.display();
        assert!(
            std::fs::read(&built).unwrap() == fmt(input),
            "{name}: unpack + build differs from fmt"
        );
        let files = tree(&src);
        let canonical: Value = serde_json::from_slice(&fmt(input)).unwrap();
        let has = |key: &str| canonical[key].as_array().is_some_and(|a| !a.is_empty());
        if has("scripts") || has("workflows") || has("playbooks") {
            assert!(files.keys().any(|f| f.ends_with(".py")), "{name}: no .py");
        }
        if has("workflows") || has("playbooks") {
            assert!(
                files.keys().any(|f| f.ends_with(".bpmn")),
                "{name}: no .bpmn"
            );
        }
        // Every step script moved to a .py: no JSON-escaped Python left in the XML.
        for (f, bytes) in &files {
            if f.ends_with(".bpmn") {
                let text = String::from_utf8_lossy(bytes);
                for (at, key) in text.match_indices("processing_script\":\"") {
                    let rest = &text[at + key.len()..];
                    assert!(
                        rest.starts_with("$file:") || rest.starts_with('"'),
                        "{name}: {f} still holds a step script inline"
                    );
                }
            }
        }
    }
}

#[test]
fn unpacking_a_build_gives_back_the_source() {
    let shared = crate::require_shared!();
    let dir = tempfile::tempdir().unwrap();
    for (i, name) in [
        "sdk_mock_export_w_playbook_w_scripts.res",
        "community/fn_qradar_advisor_export.res",
    ]
    .iter()
    .enumerate()
    {
        let src = dir.path().join(format!("src{i}"));
        unpack(&shared.join("corpus/res").join(name), &src);
        let built = build(&src, &dir.path().join(format!("out{i}")));
        let again = dir.path().join(format!("again{i}"));
        unpack(&built, &again);
        assert!(
            tree(&src) == tree(&again),
            "{name}: unpack(build(SRC)) != SRC"
        );
    }
}

#[test]
fn the_builtin_package_unpacked_and_built_is_respack_build() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    respack(["unpack", "--out"]).arg(&src).run().success();
    let files = tree(&src);
    assert!(files.contains_key("README.md") && files.contains_key("respack.toml"));
    let manifest = String::from_utf8(files["respack.toml"].clone()).unwrap();
    assert!(manifest.contains("name = \"qraw_mitre\""), "{manifest}");
    assert!(
        manifest.contains("file = \"resqrawmitre.tar\""),
        "{manifest}"
    );
    assert!(
        manifest.contains("integration = \"fn_mitre_integration\""),
        "{manifest}"
    );
    assert!(files
        .keys()
        .any(|f| f.starts_with("workflows/") && f.ends_with(".py")));
    build(&src, &dir.path().join("out"));
    let dist = dir.path().join("dist");
    respack(["build", "--out"]).arg(&dist).run().success();
    for f in ["qraw_mitre.res", "resqrawmitre.tar"] {
        assert!(
            std::fs::read(dir.path().join("out").join(f)).unwrap()
                == std::fs::read(dist.join(f)).unwrap(),
            "{f} differs"
        );
    }
}

#[test]
fn scripts_xml_and_unknown_kinds_are_files_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_res(dir.path(), "demo.res", &small_export());
    let src = dir.path().join("src");
    unpack(&input, &src);
    let files = tree(&src);
    let text = |f: &str| String::from_utf8(files[f].clone()).unwrap();
    assert_eq!(
        text("scripts/Add a note.py"),
        "incident.addNote(\"hello\")\n"
    );
    assert_eq!(
        text("workflows/demo_wf.ServiceTask_1.pre.py"),
        "inputs.demo_query = incident.name\nif incident.id > 1:\n    inputs.demo_query += \"!\"\n"
    );
    let script: Value = serde_json::from_slice(&files["scripts/Add a note.json"]).unwrap();
    assert_eq!(script["script_text"], json!({"$file": "Add a note.py"}));
    assert!(text("workflows/demo_wf.bpmn").contains("\"$file:demo_wf.ServiceTask_1.pre.py\""));
    // The list respack does not know, and the member it does not know, are kept.
    assert_eq!(text("widgets/order.txt"), "w1\nw2\n");
    assert!(text("functions/demo_lookup.json").contains("a_member_from_a_newer_soar"));
    // The empty list stays in export.json, so it comes back as [] and not as absent.
    let header: Value = serde_json::from_slice(&files["export.json"]).unwrap();
    assert_eq!(header["overrides"], json!([]));
    assert!(header.get("functions").is_none());
    let built = build(&src, &dir.path().join("out"));
    assert!(std::fs::read(&built).unwrap() == fmt(&input));
    assert_eq!(built.file_name().unwrap(), "demo.res");
}

#[test]
fn unpacked_tree_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_res(dir.path(), "demo.res", &small_export());
    let src = dir.path().join("src");
    unpack(&input, &src);
    let files = tree(&src);
    let mut text = String::from("files:\n");
    for (f, bytes) in &files {
        text.push_str(&format!("  {f} ({} bytes)\n", bytes.len()));
    }
    for f in [
        "respack.toml",
        "scripts/Add a note.json",
        "workflows/demo_wf.json",
        "functions/order.txt",
    ] {
        text.push_str(&format!(
            "\n--- {f}\n{}",
            String::from_utf8_lossy(&files[f])
        ));
    }
    snapshots().bind(|| insta::assert_snapshot!("unpack-small-export", text));
}

/// An export whose object names try to escape the output directory or clash.
fn hostile_export() -> Value {
    let f = |name: &str| json!({"name": name, "export_key": name, "display_name": name});
    json!({
        "export_format_version": 2,
        "export_date": 0,
        "functions": [
            f("../escaped"), f("/abs/path"), f("..\\win"), f("nul\u{0}byte"), f("CON"),
            f("aux.json"), f("Foo"), f("foo"), f(".hidden"), f(""), f("x".repeat(400).as_str())
        ],
        "../../outside": [{"name": "list key that is a path"}],
        "CamelKey": [{"name": "kept in export.json"}]
    })
}

#[test]
fn hostile_names_never_leave_the_output_directory() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_res(dir.path(), "hostile.res", &hostile_export());
    let parent = dir.path().join("parent");
    std::fs::create_dir(&parent).unwrap();
    let src = parent.join("src");
    unpack(&input, &src);
    // Nothing beside the output directory, nothing above it.
    let beside: Vec<_> = std::fs::read_dir(&parent).unwrap().collect();
    assert_eq!(beside.len(), 1);
    let mut top: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, ["hostile.res", "parent"]);
    let files = tree(&src);
    let functions: Vec<&str> = files
        .keys()
        .filter_map(|f| f.strip_prefix("functions/"))
        .collect();
    for want in [
        "%2E..escaped.json",
        "%2Fabs.path.json",
        "%2E.%5Cwin.json",
        "nul%00byte.json",
        "%43ON.json",
        "%61ux.json.json",
        "Foo.json",
        "foo~2.json",
        "%2Ehidden.json",
        "unnamed.json",
    ] {
        assert!(functions.contains(&want), "{want} not in {functions:?}");
    }
    for f in &functions {
        assert!(f.len() <= 120 && !f.starts_with('.'), "{f}");
    }
    // Lowercase names are unique: the tree checks out on a case-insensitive file system.
    let lower: std::collections::BTreeSet<String> =
        files.keys().map(|f| f.to_lowercase()).collect();
    assert_eq!(lower.len(), files.len());
    // A list key that is a path is no folder: it stays in export.json, as does an upper-case one.
    let header: Value = serde_json::from_slice(&files["export.json"]).unwrap();
    assert!(header.get("../../outside").is_some() && header.get("CamelKey").is_some());
    let built = build(&src, &dir.path().join("out"));
    assert!(std::fs::read(built).unwrap() == fmt(&input));
}

#[cfg(unix)]
#[test]
fn a_symlink_planted_in_the_output_directory_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_res(dir.path(), "demo.res", &small_export());
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::os::unix::fs::symlink(&elsewhere, out.join("functions")).unwrap();
    respack(["unpack"])
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .run()
        .code(2)
        .stderr_has("is not empty");
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    // The output directory itself a link: refused too.
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
    respack(["unpack"])
        .arg(&input)
        .arg("--out")
        .arg(&link)
        .run()
        .code(2)
        .stderr_has("symbolic link");
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
}

#[cfg(unix)]
#[test]
fn a_build_reads_no_symlink_and_no_path_outside_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_res(dir.path(), "demo.res", &small_export());
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, "TOP SECRET").unwrap();
    // A script file replaced by a link to a file outside the source.
    let src = dir.path().join("src");
    unpack(&input, &src);
    let py = src.join("scripts/Add a note.py");
    std::fs::remove_file(&py).unwrap();
    std::os::unix::fs::symlink(&secret, &py).unwrap();
    respack(["build"])
        .arg(&src)
        .arg("--out")
        .arg(dir.path().join("out"))
        .run()
        .code(2)
        .stderr_has("symbolic link")
        .output_lacks("TOP SECRET");
    // A reference that climbs out of its folder.
    let src2 = dir.path().join("src2");
    unpack(&input, &src2);
    let json_path = src2.join("scripts/Add a note.json");
    let text = std::fs::read_to_string(&json_path)
        .unwrap()
        .replace("\"Add a note.py\"", "\"../../secret.txt\"");
    std::fs::write(&json_path, text).unwrap();
    respack(["build"])
        .arg(&src2)
        .arg("--out")
        .arg(dir.path().join("out2"))
        .run()
        .code(2)
        .stderr_has("not a plain file name")
        .output_lacks("TOP SECRET");
}

#[test]
fn a_broken_source_is_refused_with_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_res(dir.path(), "demo.res", &small_export());
    let fresh = |n: &str| {
        let src = dir.path().join(n);
        unpack(&input, &src);
        src
    };
    let build_fails = |src: &Path, needle: &str| {
        respack(["build"])
            .arg(src)
            .arg("--out")
            .arg(dir.path().join("never"))
            .run()
            .code(2)
            .stderr_has(needle);
    };
    // A stem in order.txt without its file.
    let src = fresh("a");
    std::fs::write(src.join("functions/order.txt"), "demo_lookup\ngone\n").unwrap();
    build_fails(
        &src,
        "functions/order.txt:2: functions/gone.json does not exist",
    );
    // A file no object uses.
    let src = fresh("b");
    std::fs::write(src.join("functions/stray.json"), "{}").unwrap();
    build_fails(
        &src,
        "no object listed in functions/order.txt uses this file",
    );
    // Invalid JSON names file, line and column.
    let src = fresh("c");
    std::fs::write(
        src.join("functions/demo_lookup.json"),
        "{\n  \"name\": ,\n}\n",
    )
    .unwrap();
    build_fails(&src, "demo_lookup.json:2:11: invalid JSON");
    // A member of the wrong type names the object's file and the member's line.
    let src = fresh("d");
    let path = src.join("functions/demo_lookup.json");
    let mut f: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    f["uuid"] = json!(42);
    std::fs::write(&path, respack::res::canonical_value(&f).unwrap()).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let line = 1 + text
        .lines()
        .position(|l| l.contains("\"uuid\": 42"))
        .unwrap();
    build_fails(
        &src,
        &format!("demo_lookup.json:{line}: the object does not fit"),
    );
    // Not a source at all.
    build_fails(dir.path(), "has no respack.toml");
    // Unpacking over an existing source never overwrites it.
    respack(["unpack"])
        .arg(&input)
        .arg("--out")
        .arg(dir.path().join("a"))
        .run()
        .code(2)
        .stderr_has("is not empty");
}

#[test]
fn validate_names_the_source_file_and_line_of_each_finding() {
    crate::util::python3();
    let dir = tempfile::tempdir().unwrap();
    let input = write_res(dir.path(), "demo.res", &small_export());
    let src = dir.path().join("src");
    unpack(&input, &src);
    respack(["validate"]).arg(&src).run().success();
    // A syntax error in a global script, on its line 2.
    std::fs::write(src.join("scripts/Add a note.py"), "x = 1\ndef (:\n").unwrap();
    // A syntax error in the step's pre-processing script, on its line 3.
    std::fs::write(
        src.join("workflows/demo_wf.ServiceTask_1.pre.py"),
        "a = 1\nb = 2\nif:\n",
    )
    .unwrap();
    // A rule that runs a workflow the source does not have.
    let rule = src.join("actions/Run demo.json");
    let text = std::fs::read_to_string(&rule)
        .unwrap()
        .replace("\"demo_wf\"", "\"no_such_wf\"");
    std::fs::write(&rule, &text).unwrap();
    let line = 1 + text.lines().position(|l| l.contains("no_such_wf")).unwrap();
    let run = respack(["validate"]).arg(&src).run().code(1);
    let out = run.stdout();
    assert!(out.contains("at scripts/Add a note.py:2 "), "{out}");
    assert!(
        out.contains("at workflows/demo_wf.ServiceTask_1.pre.py:3 "),
        "{out}"
    );
    assert!(
        out.contains(&format!("at actions/Run demo.json:{line} ")),
        "{out}"
    );
    let json = respack(["validate", "--format", "json"])
        .arg(&src)
        .run()
        .code(1)
        .json();
    let locations: Vec<&str> = json["files"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["location"].as_str())
        .collect();
    assert!(
        locations.contains(&"scripts/Add a note.py:2"),
        "{locations:?}"
    );
}
