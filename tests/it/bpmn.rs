//! The workflow BPMN model against every workflow and playbook of the real corpus, and against
//! hostile XML.
//!
//! The corpus exports are read as plain JSON here, independent of the typed `.res` model.

use std::io::Read;
use std::path::{Path, PathBuf};

use respack::help::Help;
use respack::res::bpmn::{
    Association, BpmnError, EndScript, FunctionBody, Input, LinearWorkflow, Member, Node, NodeKind,
    Process, SequenceFlow, StaticInput, TextAnnotation,
};
use serde_json::Value;

use crate::require_shared;

/// One `content.xml` of the corpus, with where it came from.
struct Sample {
    file: String,
    kind: &'static str,
    programmatic_name: String,
    xml: String,
}

fn read_export(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap();
    let text = if path.extension().is_some_and(|e| e == "resz") {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let name = zip
            .file_names()
            .find(|n| n.ends_with(".res"))
            .unwrap()
            .to_owned();
        let mut text = String::new();
        zip.by_name(&name)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text
    } else {
        String::from_utf8(bytes).unwrap()
    };
    serde_json::from_str(&text).unwrap()
}

fn corpus_files(shared: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let root = shared.join("corpus/res");
    for dir in [root.clone(), root.join("community"), root.join("api")] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let wanted = name.ends_with(".res")
                || name.ends_with(".resz")
                || (dir.ends_with("api") && name.contains("exports") && name.ends_with(".json"));
            if wanted {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn samples(shared: &Path) -> Vec<Sample> {
    let mut out = Vec::new();
    for path in corpus_files(shared) {
        let export = read_export(&path);
        for kind in ["workflows", "playbooks"] {
            for object in export[kind].as_array().into_iter().flatten() {
                let Some(xml) = object["content"]["xml"].as_str() else {
                    continue;
                };
                let programmatic_name = object["programmatic_name"]
                    .as_str()
                    .or(object["name"].as_str())
                    .unwrap_or_default()
                    .to_owned();
                out.push(Sample {
                    file: path.file_name().unwrap().to_string_lossy().into_owned(),
                    kind,
                    programmatic_name,
                    xml: xml.to_owned(),
                });
            }
        }
    }
    out
}

#[test]
fn every_corpus_workflow_and_playbook_parses_and_keeps_its_xml() {
    let shared = require_shared!();
    let samples = samples(&shared);
    assert!(samples.len() > 100, "only {} samples found", samples.len());
    let mut playbooks = 0;
    for sample in &samples {
        let label = format!(
            "{} {} {}",
            sample.file, sample.kind, sample.programmatic_name
        );
        let process = Process::parse(&sample.xml).unwrap_or_else(|e| panic!("{label}: {e}"));
        playbooks += usize::from(sample.kind == "playbooks");

        // A naive count of the function steps in the text.
        let naive = sample.xml.matches("<resilient:function ").count();
        assert_eq!(process.function_calls().count(), naive, "{label}");
        let scripts = sample.xml.matches("<resilient:script ").count();
        assert_eq!(
            process
                .nodes
                .iter()
                .filter(|n| matches!(n.kind, NodeKind::Script { .. }))
                .count(),
            scripts,
            "{label}"
        );
        assert_eq!(
            process.flows.len(),
            sample.xml.matches("<sequenceFlow ").count(),
            "{label}"
        );
        if sample.kind == "workflows" && sample.file != "sdk_mock_reload_export.res" {
            assert_eq!(process.id, sample.programmatic_name, "{label}");
        }

        // Unchanged: written back as the very same text.
        assert_eq!(process.to_xml().unwrap(), sample.xml, "{label}");

        // Regenerated: another text, the same model.
        let mut regenerated = process.clone();
        regenerated.name.push('!');
        let xml = regenerated.to_xml().unwrap();
        assert_ne!(xml, sample.xml);
        let reparsed = Process::parse(&xml).unwrap_or_else(|e| panic!("{label}: {e}\n{xml}"));
        assert_eq!(reparsed, regenerated, "{label}");
    }
    assert!(playbooks >= 5, "only {playbooks} playbooks found");
}

/// Runs a python3 script with `input` on stdin and returns its stdout as JSON.
fn python(script: &str, input: &[u8]) -> Value {
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 is needed by the tests");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "python3 failed");
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn regenerated_corpus_workflows_read_the_same_in_python() {
    let shared = require_shared!();
    // Written by our writer, read by expat: names and function bodies must be what we hold.
    let mut processes = Vec::new();
    let mut xmls = Vec::new();
    for sample in samples(&shared) {
        let mut process = Process::parse(&sample.xml).unwrap();
        process.name.push_str(" <edited> & \"quoted\"\r\n");
        xmls.push(process.to_xml().unwrap());
        processes.push(process);
    }
    let script = r#"
import sys, json, xml.etree.ElementTree as ET
out = []
for text in json.load(sys.stdin):
    proc = ET.fromstring(text.encode()).find("{http://www.omg.org/spec/BPMN/20100524/MODEL}process")
    bodies = [json.loads(f.text) for f in proc.iter("{http://resilient.ibm.com/bpmn}function")]
    out.append({"name": proc.get("name"), "bodies": bodies})
print(json.dumps(out))
"#;
    let seen = python(script, &serde_json::to_vec(&xmls).unwrap());
    for (i, process) in processes.iter().enumerate() {
        assert_eq!(seen[i]["name"], process.name.as_str(), "{}", process.id);
        let bodies: Vec<Value> = process
            .function_calls()
            .map(|(_, call)| serde_json::to_value(&call.body).unwrap())
            .collect();
        assert_eq!(seen[i]["bodies"], Value::Array(bodies), "{}", process.id);
    }
}

#[test]
fn step_order_follows_the_linear_corpus_workflows() {
    let shared = require_shared!();
    let mut linear = 0;
    for sample in samples(&shared) {
        let label = format!("{} {}", sample.file, sample.programmatic_name);
        let process = Process::parse(&sample.xml).unwrap();
        let is_linear = process
            .nodes
            .iter()
            .all(|n| process.flows.iter().filter(|f| f.source == n.id).count() <= 1);
        let order = process.step_order();
        if !is_linear {
            continue;
        }
        let order = order.unwrap_or_else(|e| panic!("{label}: {e}"));
        linear += 1;
        assert_eq!(order.first().unwrap().kind, NodeKind::Start, "{label}");
        assert!(
            matches!(order.last().unwrap().kind, NodeKind::End { .. }),
            "{label}"
        );
        // Every step of the walk is joined to the next by a flow.
        for pair in order.windows(2) {
            assert!(
                process
                    .flows
                    .iter()
                    .any(|f| f.source == pair[0].id && f.target == pair[1].id),
                "{label}"
            );
        }
    }
    assert!(linear > 100, "only {linear} linear workflows");
}

#[test]
fn offense_analysis_workflow_reads_as_documented() {
    let shared = require_shared!();
    let export = read_export(&shared.join("corpus/res/community/fn_qradar_advisor_export.res"));
    let workflow = export["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["programmatic_name"] == "qradar_advisor_offense_analysis")
        .unwrap();
    let process = Process::parse(workflow["content"]["xml"].as_str().unwrap()).unwrap();
    assert_eq!(process.name, "Example of QRadar Advisor Offense Analysis");
    assert!(process
        .documentation
        .as_deref()
        .unwrap()
        .contains("MITRE ATT&CK tactic name"));
    let steps: Vec<&str> = process
        .step_order()
        .unwrap()
        .iter()
        .map(|n| n.id.as_str())
        .collect();
    assert_eq!(
        steps,
        [
            "StartEvent_155asxm",
            "ServiceTask_024fq4j",
            "EndEvent_0epxc1j"
        ]
    );
    let (node, call) = process.function_calls().next().unwrap();
    assert_eq!(
        node.name.as_deref(),
        Some("QRadar Advisor Offense Analysis")
    );
    assert_eq!(call.function_uuid, "744e9c8b-f00f-4a71-9ae6-c3dde388d6fa");
    assert_eq!(
        call.body.pre_processing_script_language.as_str(),
        Some("python3")
    );
    assert!(call
        .body
        .pre_processing_script
        .as_str()
        .unwrap()
        .ends_with("inputs.qradar_offense_id = incident.properties.qradar_id"));
    assert_eq!(call.body.result_name.as_str(), Some(""));
    assert_eq!(
        process
            .referenced_select_value_uuids()
            .into_iter()
            .collect::<Vec<_>>(),
        ["bee62681-b35f-4ff8-9c4f-52489e6920cf"]
    );
    assert_eq!(process.referenced_input_field_uuids().len(), 2);
    assert_eq!(process.annotations.len(), 2);
}

#[test]
fn reload_export_process_id_differs_from_programmatic_name() {
    let shared = require_shared!();
    let export = read_export(&shared.join("corpus/res/sdk_mock_reload_export.res"));
    let workflow = export["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["programmatic_name"] == "wf_new_mock_workflow")
        .unwrap();
    let process = Process::parse(workflow["content"]["xml"].as_str().unwrap()).unwrap();
    assert_eq!(process.id, "mock_workflow_two");
}

#[test]
fn sub_workflows_tasks_scripts_and_sub_playbooks_are_found() {
    let shared = require_shared!();
    let samples = samples(&shared);
    let all: Vec<Process> = samples
        .iter()
        .map(|s| Process::parse(&s.xml).unwrap())
        .collect();
    let called: Vec<&str> = all.iter().flat_map(|p| p.called_workflows()).collect();
    assert!(called.contains(&"example_get_incident_contact_info"));
    assert!(all.iter().any(|p| p.tasks().next().is_some()));
    assert!(all.iter().any(|p| !p.script_uuids().is_empty()));
    assert!(all.iter().any(|p| !p.message_destinations().is_empty()));
    let sub_playbook = all
        .iter()
        .flat_map(|p| &p.nodes)
        .find_map(|n| match &n.kind {
            NodeKind::SubPlaybook { uuid, body, .. } => Some((uuid, body)),
            _ => None,
        })
        .unwrap();
    assert_eq!(sub_playbook.0, "9e580fbd-5c66-4246-9ea4-e2379ea13ebf");
    assert_eq!(sub_playbook.1.pre_processing_script, Member::Null);
    assert_eq!(sub_playbook.1.result_name.as_str(), Some("sub_pb_output"));
    // Conditions of gateway branches are kept as their JSON text.
    assert!(all.iter().flat_map(|p| &p.flows).any(|f| f
        .condition
        .as_deref()
        .is_some_and(|c| c.contains("\"logic_type\""))));
}

fn body(pre: &str, post: &str, result: &str) -> FunctionBody {
    let mut inputs = std::collections::BTreeMap::new();
    inputs.insert(
        "48819fe4-2c70-488a-9996-9581a81d886a".to_owned(),
        Input::static_value(StaticInput {
            multiselect_value: Member::Value(vec![]),
            select_value: "bee62681-b35f-4ff8-9c4f-52489e6920cf".into(),
            ..StaticInput::default()
        }),
    );
    inputs.insert(
        "eb4d07be-006d-41d9-9392-ed22cefff172".to_owned(),
        Input::expression("incident.id"),
    );
    FunctionBody {
        inputs: Member::Value(inputs),
        pre_processing_script: pre.into(),
        pre_processing_script_language: "python3".into(),
        post_processing_script: post.into(),
        post_processing_script_language: "python3".into(),
        result_name: result.into(),
        ..FunctionBody::default()
    }
}

fn package_like_workflow() -> Process {
    LinearWorkflow::new(
        "qradar_advisor_map_rule_to_tactic",
        "Example of mapping QRadar rule to tactic <&> \"ATT&CK\"",
    )
    .documentation("Maps a rule to a tactic.\nSecond line: a < b && c > d 'é' ✓")
    .function_step(
        "QRadar Advisor Map Rule",
        "f1dbf8b7-0000-4000-8000-000000000001",
        body(
            "inputs.qradar_rule_name = row.source  # <rule> & \"name\"\r\n",
            "if results['x'] < 3 and a & b:\n    incident.addNote(u\"Täktik ✓ ]]> end\")\n",
            "qraw_rule_map",
        ),
    )
    .note("Output: workflow.properties.qraw_rule_map")
    .function_step(
        "MITRE Tactic Information",
        "f1dbf8b7-0000-4000-8000-000000000002",
        body(
            "inputs.mitre_tactic_name = workflow.properties.qraw_rule_map.tactics[0]",
            "row = incident.addRow(\"mitre_attack_of_artifact\")\t# tab",
            "",
        ),
    )
    .build()
}

#[test]
fn generated_workflow_round_trips_exactly() {
    let process = package_like_workflow();
    let xml = process.to_xml().unwrap();
    assert_eq!(process.to_xml().unwrap(), xml, "same process, same bytes");
    let reparsed = Process::parse(&xml).unwrap();
    assert_eq!(reparsed, process);
    // The reparsed process is unchanged, so it is written as the text it came from.
    assert_eq!(reparsed.to_xml().unwrap(), xml);

    let order: Vec<&str> = reparsed
        .step_order()
        .unwrap()
        .iter()
        .map(|n| n.id.as_str())
        .collect();
    assert_eq!(
        order,
        [
            "StartEvent_1",
            "ServiceTask_1",
            "ServiceTask_2",
            "EndEvent_1"
        ]
    );
    assert!(xml.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:omgdc="http://www.omg.org/spec/DD/20100524/DC" xmlns:omgdi="http://www.omg.org/spec/DD/20100524/DI" xmlns:resilient="http://resilient.ibm.com/bpmn" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" targetNamespace="http://www.camunda.org/test"><process id="qradar_advisor_map_rule_to_tactic" isExecutable="true" name="Example of mapping QRadar rule to tactic &lt;&amp;&gt; &quot;ATT&amp;CK&quot;">"#));
    assert!(xml.contains(r#"<serviceTask id="ServiceTask_1" name="QRadar Advisor Map Rule" resilient:type="function"><extensionElements><resilient:function uuid="f1dbf8b7-0000-4000-8000-000000000001">{"inputs":{"#));
    assert!(xml.contains(
        "<incoming>SequenceFlow_1</incoming><outgoing>SequenceFlow_2</outgoing></serviceTask>"
    ));
    assert!(xml.contains(r#"<bpmndi:BPMNShape bpmnElement="ServiceTask_2" id="ServiceTask_2_di">"#));
    assert!(
        xml.contains(r#"<bpmndi:BPMNEdge bpmnElement="SequenceFlow_3" id="SequenceFlow_3_di">"#)
    );
}

#[test]
fn generated_workflow_is_read_by_python_as_the_same_json() {
    // An independent XML parser (Python's expat) must see the same bodies, byte for byte.
    let process = package_like_workflow();
    let xml = process.to_xml().unwrap();
    let script = r#"
import sys, json, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
ns = {"b": "http://www.omg.org/spec/BPMN/20100524/MODEL", "r": "http://resilient.ibm.com/bpmn"}
proc = root.find("b:process", ns)
out = {"name": proc.get("name"), "doc": proc.find("b:documentation", ns).text,
       "bodies": [json.loads(f.text) for f in proc.iter("{http://resilient.ibm.com/bpmn}function")]}
print(json.dumps(out, sort_keys=True))
"#;
    let seen = python(script, xml.as_bytes());
    assert_eq!(seen["name"], process.name.as_str());
    assert_eq!(seen["doc"], process.documentation.as_deref().unwrap());
    let calls: Vec<_> = process.function_calls().collect();
    for (i, (_, call)) in calls.iter().enumerate() {
        assert_eq!(seen["bodies"][i], serde_json::to_value(&call.body).unwrap());
    }
    assert_eq!(
        seen["bodies"][0]["pre_processing_script"],
        "inputs.qradar_rule_name = row.source  # <rule> & \"name\"\r\n"
    );
}

/// Parses hostile input, which must fail clearly (with a help line).
fn refuse(xml: &str) -> BpmnError {
    let error = Process::parse(xml).expect_err("hostile XML was accepted");
    assert!(error.help().is_some());
    error
}

const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:resilient="http://resilient.ibm.com/bpmn">"#;

#[test]
fn billion_laughs_is_refused_at_the_doctype() {
    let mut xml =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", i - 1)
        };
        xml.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">\n",
            format!("&{prev};").repeat(10)
        ));
    }
    xml.push_str("]>\n<definitions><process id=\"a\" name=\"&lol9;\"/></definitions>");
    let error = refuse(&xml);
    assert!(
        matches!(error, BpmnError::Doctype { position: 22 }),
        "{error:?}"
    );
    assert!(error.to_string().contains("DOCTYPE"));
}

#[test]
fn external_entity_is_refused() {
    let xml = r#"<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="a" name="&xxe;"/></definitions>"#;
    let error = refuse(xml);
    assert!(matches!(error, BpmnError::Doctype { .. }), "{error:?}");
    assert!(
        !error.to_string().contains("root:"),
        "nothing of the file may leak"
    );
}

#[test]
fn doctype_alone_is_refused() {
    let error = refuse("<!DOCTYPE definitions>");
    assert!(
        matches!(error, BpmnError::Doctype { position: 0 }),
        "{error:?}"
    );
}

#[test]
fn unknown_entity_is_refused_with_its_position() {
    let xml = format!(
        r#"{HEAD}<process id="a" name="b"><documentation>x &foo; y</documentation></process></definitions>"#
    );
    let error = refuse(&xml);
    let at = xml.find("&foo;").unwrap() as u64;
    assert_eq!(
        error,
        BpmnError::UnknownEntity {
            entity: "foo".into(),
            position: at
        }
    );
    assert!(error.to_string().contains("&foo;"));

    let in_attribute = format!(r#"{HEAD}<process id="a" name="&bar;"/></definitions>"#);
    assert!(
        matches!(refuse(&in_attribute), BpmnError::UnknownEntity { entity, .. } if entity == "bar")
    );
}

#[test]
fn truncated_xml_is_refused() {
    let xml = package_like_workflow().to_xml().unwrap();
    for cut in [10, xml.len() / 3, xml.len() / 2, xml.len() - 1] {
        let mut end = cut;
        while !xml.is_char_boundary(end) {
            end -= 1;
        }
        let error = refuse(&xml[..end]);
        assert!(
            matches!(
                error,
                BpmnError::Unclosed { .. } | BpmnError::Malformed { .. }
            ),
            "cut at {end}: {error:?}"
        );
    }
    let error = refuse(&format!(r#"{HEAD}<process id="a" name="b">"#));
    assert!(error.to_string().contains("<process>"), "{error}");
}

#[test]
fn two_processes_or_none_are_refused() {
    let two =
        format!(r#"{HEAD}<process id="a" name="a"/><process id="b" name="b"/></definitions>"#);
    assert_eq!(refuse(&two), BpmnError::ProcessCount { found: 2 });
    let none = format!("{HEAD}</definitions>");
    let error = refuse(&none);
    assert_eq!(error, BpmnError::ProcessCount { found: 0 });
    assert!(error.to_string().contains("exactly one <process>"));
}

#[test]
fn wrong_root_is_named() {
    let error = refuse(r#"<process id="a" name="b"/>"#);
    assert_eq!(
        error,
        BpmnError::Root {
            found: "process".into()
        }
    );
    assert!(error.to_string().contains("<process>"));
}

#[test]
fn random_bytes_are_refused_without_panic() {
    // A fixed xorshift stream: reproducible, and no dependency on `rand`'s algorithms.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut kinds = std::collections::HashSet::new();
    for round in 0..200 {
        let len = 1 + (round * 37) % 400;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Bias towards markup so that the reader gets past the first byte.
                let alphabet = b"<>/=\"'&;!?[]-: abcdefgh\n";
                alphabet[(state % alphabet.len() as u64) as usize]
            })
            .collect();
        let text = String::from_utf8_lossy(&bytes);
        // The alphabet cannot spell `definitions`, so no input may be taken for a workflow.
        let error = Process::parse(&text).expect_err(&format!(
            "random bytes were accepted as a workflow: {text:?}"
        ));
        // An error that points into the input points inside it, and says where.
        let position = match &error {
            BpmnError::Doctype { position }
            | BpmnError::UnknownEntity { position, .. }
            | BpmnError::Malformed { position, .. }
            | BpmnError::Unclosed { position, .. }
            | BpmnError::TooDeep { position, .. }
            | BpmnError::UndeclaredPrefix { position, .. } => Some(*position),
            _ => None,
        };
        if let Some(position) = position {
            assert!(
                position as usize <= text.len(),
                "{error} points past the end of {} bytes",
                text.len()
            );
            assert!(
                error.to_string().contains(&format!("byte {position}")),
                "{error}"
            );
        }
        kinds.insert(std::mem::discriminant(&error));
    }
    // The generator reaches more than one of the reader's refusals, or it tests nothing.
    assert!(
        kinds.len() >= 3,
        "only {} kinds of error reached",
        kinds.len()
    );
    let error = refuse("\u{0}\u{1}garbage\u{7f}");
    assert!(matches!(error, BpmnError::Malformed { .. }), "{error:?}");
}

#[test]
fn deep_nesting_is_refused() {
    let xml = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
    assert!(matches!(refuse(&xml), BpmnError::TooDeep { .. }));
}

#[test]
fn function_step_without_uuid_names_the_element() {
    let xml = format!(
        r#"{HEAD}<process id="a" name="b"><serviceTask id="ServiceTask_9" name="f" resilient:type="function"><extensionElements><resilient:function>{{}}</resilient:function></extensionElements></serviceTask></process></definitions>"#
    );
    let error = refuse(&xml);
    assert_eq!(
        error.to_string(),
        r#"<serviceTask id="ServiceTask_9">: <resilient:function> has no `uuid` attribute"#
    );
}

fn node(id: &str, name: Option<&str>, kind: NodeKind) -> Node {
    Node {
        id: id.into(),
        name: name.map(Into::into),
        documentation: None,
        kind,
    }
}

fn flow(id: &str, source: &str, target: &str, condition: Option<&str>) -> SequenceFlow {
    SequenceFlow {
        id: id.into(),
        name: None,
        source: source.into(),
        target: target.into(),
        condition: condition.map(Into::into),
    }
}

/// A process with every node kind and every awkward character the writer must escape.
fn every_kind() -> Process {
    let mut p = Process::new("all_kinds", "Tab\tnew\nline \"q\" <&> \r\n done");
    p.documentation = Some(String::new());
    p.nodes = vec![
        node("S", None, NodeKind::Start),
        node(
            "F",
            Some("f"),
            NodeKind::Function(respack::res::bpmn::FunctionCall {
                function_uuid: "u-f".into(),
                body: body("a\u{FFFE}b", "", "r"),
            }),
        ),
        node(
            "X",
            Some("script"),
            NodeKind::Script {
                uuid: "u-s".into(),
                programmatic_name: Some("s".into()),
            },
        ),
        node(
            "T",
            Some("task"),
            NodeKind::Task {
                programmatic_name: "t".into(),
                uuid: "u-t".into(),
            },
        ),
        node(
            "M",
            Some("dest"),
            NodeKind::MessageDestination {
                programmatic_name: "d".into(),
                uuid: "u-d".into(),
            },
        ),
        node(
            "G",
            None,
            NodeKind::ExclusiveGateway {
                default_flow: Some("f5".into()),
            },
        ),
        node(
            "W",
            Some("sub"),
            NodeKind::SubWorkflow {
                called_element: "other_wf".into(),
            },
        ),
        node(
            "P",
            Some("pb"),
            NodeKind::SubPlaybook {
                called_element: "playbook_x".into(),
                uuid: "u-p".into(),
                name: Some("pb".into()),
                body: FunctionBody {
                    pre_processing_script: Member::Null,
                    ..FunctionBody::default()
                },
            },
        ),
        node("J", None, NodeKind::ParallelGateway),
        node(
            "O",
            Some("other"),
            NodeKind::Other {
                tag: "intermediateThrowEvent".into(),
            },
        ),
        Node {
            documentation: Some("End point".into()),
            ..node(
                "E",
                None,
                NodeKind::End {
                    script: Some(EndScript {
                        script: "x = 1 < 2".into(),
                        script_language: "python3".into(),
                        ..EndScript::default()
                    }),
                },
            )
        },
    ];
    p.flows = vec![
        flow("f1", "S", "F", None),
        flow("f2", "F", "X", None),
        flow("f3", "X", "T", None),
        flow("f4", "T", "G", None),
        flow("f5", "G", "M", Some("{\"a\": \"]]>\", \"b\": \"\r\n<&>\"}")),
        flow("f6", "G", "W", Some("")),
        flow("f7", "M", "P", None),
        flow("f8", "W", "J", None),
        flow("f9", "P", "J", None),
        flow("f10", "J", "O", None),
        flow("f11", "O", "E", None),
    ];
    p.flows[5].name = Some("Failure".into());
    p.annotations = vec![TextAnnotation {
        id: "A".into(),
        text: "note\u{2028}with a line separator".into(),
    }];
    p.associations = vec![Association {
        id: "L".into(),
        source: "A".into(),
        target: "F".into(),
    }];
    p
}

#[test]
fn every_node_kind_round_trips() {
    let process = every_kind();
    let xml = process.to_xml().unwrap();
    let reparsed = Process::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    assert_eq!(reparsed, process);
    assert_eq!(every_kind().to_xml().unwrap(), xml);
    assert!(xml.contains(r#"xmlns:camunda="http://camunda.org/schema/1.0/bpmn""#));
    assert!(xml.contains(r#"<camunda:in source="RESILIENT_CONTEXT" target="RESILIENT_CONTEXT"/>"#));

    let order: Vec<&str> = reparsed
        .step_order()
        .unwrap()
        .iter()
        .map(|n| n.id.as_str())
        .collect();
    assert_eq!(order, ["S", "F", "X", "T", "G", "M", "P", "J", "O", "E"]);
    assert_eq!(
        reparsed.called_workflows().into_iter().collect::<Vec<_>>(),
        ["other_wf"]
    );
    assert_eq!(reparsed.tasks().collect::<Vec<_>>(), [("t", "u-t")]);
    assert_eq!(
        reparsed.script_uuids().into_iter().collect::<Vec<_>>(),
        ["u-s"]
    );
    assert_eq!(
        reparsed
            .message_destinations()
            .into_iter()
            .collect::<Vec<_>>(),
        ["d"]
    );
    assert_eq!(
        reparsed
            .referenced_function_uuids()
            .into_iter()
            .collect::<Vec<_>>(),
        ["u-f"]
    );

    // Python's parser sees the same strings: CR, tabs and newlines in attributes survive.
    let script = r#"
import sys, json, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
b = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
proc = root.find(b + "process")
conds = [c.text for c in proc.iter(b + "conditionExpression")]
print(json.dumps({"name": proc.get("name"), "conditions": conds}))
"#;
    let seen = python(script, xml.as_bytes());
    assert_eq!(seen["name"], process.name.as_str());
    assert_eq!(
        seen["conditions"][0],
        process.flows[4].condition.as_deref().unwrap()
    );
}

#[test]
fn characters_xml_cannot_carry_are_refused_when_writing() {
    let mut process = every_kind();
    process.nodes[1].name = Some("bell \u{7}".into());
    let error = process.to_xml().unwrap_err();
    assert_eq!(
        error,
        BpmnError::Unrepresentable {
            what: "node `F`".into(),
            code: 7
        }
    );
    assert!(error.to_string().contains("U+0007"), "{error}");

    let mut process = every_kind();
    process.nodes[9].kind = NodeKind::Other { tag: "a b".into() };
    assert!(matches!(
        process.to_xml(),
        Err(BpmnError::InvalidTag { .. })
    ));
}

#[test]
fn an_edited_export_workflow_is_regenerated() {
    let original = package_like_workflow().to_xml().unwrap();
    let mut process = Process::parse(&original).unwrap();
    assert_eq!(process.source_xml(), Some(original.as_str()));
    if let NodeKind::Function(call) = &mut process.nodes[1].kind {
        call.body.result_name = "renamed".into();
    }
    let xml = process.to_xml().unwrap();
    assert_ne!(xml, original);
    assert!(xml.contains(r#""result_name":"renamed""#));
    assert_eq!(Process::parse(&xml).unwrap(), process);
}
