//! The workflow scripts: python3 files under `templates/scripts/`, embedded in the binary so that
//! `respack build` works from any directory. They are real files so they can be linted, compiled
//! and run (the tests below run each one against a small fake of SOAR's script environment).
//!
//! What the scripts rely on from SOAR's python3 script environment: `incident.properties.<field>`,
//! `row.<column>` (data-table workflows), `artifact.value`, `workflow.properties.<result_name>`
//! and `results` (read with `in` and `[...]`, so plain dicts work), `inputs.<input> = ...`,
//! `helper.createRichText(html)`, `incident.addNote(text)`, `incident.addTask(title, phase,
//! instructions)`, and rows written only as `r = incident.addRow("<table>")` then
//! `r["<column>"] = value`, the one form the validator reads. No imports.
//!
//! When there is nothing to look up — QRadar Advisor found no observables (`insights ==
//! {"status_code": 404}`), related the offense to no tactic, or has no mapping for the rule
//! (`tactics == {}`) — the MITRE step's pre-processing script raises `ValueError` with a sentence
//! saying so: the workflow stops with that message and writes no rows, instead of calling MITRE
//! with an empty input (which MITRE 1.0 answers with an opaque error).

use super::handles::ScriptDef;

macro_rules! script {
    ($name:ident, $file:literal) => {
        pub static $name: ScriptDef = ScriptDef {
            path: concat!("scripts/", $file),
            text: include_str!(concat!("../../templates/scripts/", $file)),
        };
    };
}

script!(OFFENSE_ANALYSIS_PRE, "offense_analysis_pre.py");
script!(TACTIC_INFO_PRE_OFFENSE, "tactic_info_pre_offense.py");
script!(TACTIC_INFO_POST_OFFENSE, "tactic_info_post_offense.py");
script!(MAP_RULE_PRE, "map_rule_pre.py");
script!(TACTIC_INFO_PRE_MAP_RULE, "tactic_info_pre_map_rule.py");
script!(TACTIC_INFO_POST_MAP_RULE, "tactic_info_post_map_rule.py");
script!(TECHNIQUE_TASK_PRE, "technique_task_pre.py");
script!(TECHNIQUE_TASK_POST, "technique_task_post.py");
script!(FIND_REFERENCE_SETS_PRE, "find_reference_sets_pre.py");
script!(FIND_REFERENCE_SETS_POST, "find_reference_sets_post.py");

/// Every embedded script.
pub static ALL: [&ScriptDef; 10] = [
    &OFFENSE_ANALYSIS_PRE,
    &TACTIC_INFO_PRE_OFFENSE,
    &TACTIC_INFO_POST_OFFENSE,
    &MAP_RULE_PRE,
    &TACTIC_INFO_PRE_MAP_RULE,
    &TACTIC_INFO_POST_MAP_RULE,
    &TECHNIQUE_TASK_PRE,
    &TECHNIQUE_TASK_POST,
    &FIND_REFERENCE_SETS_PRE,
    &FIND_REFERENCE_SETS_POST,
];

#[cfg(test)]
mod tests {
    //! Each script compiles with python3 and, run through the SOAR shim that ships
    //! (`templates/shim/soar_shim.py`, the one `respack run` and `serve` use), writes the rows and
    //! raises the messages the field mappings say.
    use std::process::Command;

    use serde_json::{json, Map, Value};

    use super::*;
    use crate::runtime::shim::{self, Answer, WorkflowObject};

    /// python3, which `cargo test` requires: absent, the test fails saying so.
    fn python3() -> &'static str {
        let ok = Command::new("python3")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            ok,
            "python3 is not on PATH: `cargo test` needs it to run the workflow scripts"
        );
        "python3"
    }

    /// Run `script` through the shim with the objects of `case` (`incident` holds the incident's
    /// custom fields, `workflow` the earlier steps' results); the effects, flattened to JSON:
    /// `inputs`, `rows` (`{table, cells}` with rich text as `{"rich_text": ..}`), `notes` (text),
    /// `tasks` (`{title, phase, instructions}`), and `error` (`"Type: message"` or null).
    fn run(script: &ScriptDef, case: Value) -> Value {
        let incident = json!({"properties": case.get("incident").cloned().unwrap_or(json!({}))});
        let properties: Map<String, Value> = case
            .get("workflow")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let request = shim::Request {
            script: script.text,
            incident: &incident,
            artifact: case.get("artifact"),
            row: case.get("row"),
            rule: None,
            workflow: WorkflowObject {
                properties: &properties,
            },
            inputs: None,
            results: case.get("results"),
        };
        let answer = shim::run(python3(), &request)
            .unwrap_or_else(|e| panic!("{}: the shim gave no answer: {e:?}", script.path));
        let effects = match answer {
            Answer::Error(raised) => {
                return json!({"inputs": {}, "rows": [], "notes": [], "tasks": [],
                              "error": format!("{}: {}", raised.exception, raised.message)})
            }
            Answer::Ok(effects) => effects,
        };
        let rich = |t: &shim::RawText| match t.format.as_str() {
            "html" => json!({"rich_text": t.content}),
            _ => json!(t.content),
        };
        let rows: Vec<Value> = effects
            .rows
            .iter()
            .map(|r| {
                let cells: Map<String, Value> = r
                    .cells
                    .iter()
                    .map(|(k, c)| {
                        let v = match &c.rich_text {
                            Some(html) => json!({"rich_text": html}),
                            None => c.value.clone().unwrap_or(Value::Null),
                        };
                        (k.clone(), v)
                    })
                    .collect();
                json!({"table": r.table, "cells": cells})
            })
            .collect();
        let tasks: Vec<Value> = effects
            .tasks
            .iter()
            .map(|t| json!({"title": t.name, "phase": t.phase, "instructions": t.instructions.as_ref().map(rich)}))
            .collect();
        let notes: Vec<Value> = effects.notes.iter().map(|n| json!(n.content)).collect();
        json!({"inputs": effects.inputs, "rows": rows, "notes": notes, "tasks": tasks, "error": null})
    }

    fn rows<'a>(effects: &'a Value, table: &str) -> Vec<&'a Value> {
        effects["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["table"] == table)
            .map(|r| &r["cells"])
            .collect()
    }

    fn ok(effects: &Value) {
        assert!(
            effects["error"].is_null(),
            "script failed: {}",
            effects["error"]
        );
    }

    #[test]
    fn every_template_compiles_with_python3() {
        let python = python3();
        let check = "import sys\nfor p in sys.argv[1:]:\n    compile(open(p, encoding='utf-8').read(), p, 'exec')\n";
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates/");
        let paths: Vec<String> = ALL.iter().map(|s| format!("{dir}{}", s.path)).collect();
        let out = Command::new(python)
            .arg("-c")
            .arg(check)
            .args(&paths)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // And every file under templates/scripts is embedded.
        let on_disk = std::fs::read_dir(format!("{dir}scripts")).unwrap().count();
        assert_eq!(
            on_disk,
            ALL.len(),
            "a script under templates/scripts is not embedded"
        );
    }

    /// QRadar Advisor's insights for offense 23 (README example).
    fn offense_insights() -> Value {
        json!({"insights": {"tactics": [
            {"id": "TA0011", "tactic_id": "Command and Control", "confidence": 60, "techniques": []}
        ], "insights": "...", "stage3_insights": ""}})
    }

    fn mitre_1_0() -> Value {
        json!({"mitre_tactics": [{
            "tactic_name": "Command and Control", "tactic_id": "TA0011",
            "tactic_ref": "https://attack.mitre.org/tactics/TA0011/",
            "techs": [{"name": "Proxy", "description": "Proxies traffic.",
                       "external_references": [{"url": "https://attack.mitre.org/techniques/T1090"},
                                               {"url": "https://example.com/x"}],
                       "x_mitre_detection": "Watch flows.", "mitre_tech_id": "T1090"}]}]})
    }

    fn mitre_2_x() -> Value {
        json!({"version": "1.0", "success": true, "reason": null, "content": {"mitre_tactics": [{
            "name": "Command and Control", "id": "TA0011",
            "ref": "https://attack.mitre.org/tactics/TA0011", "collection": "Enterprise ATT&CK",
            "mitre_techniques": [{"name": "Proxy", "description": "Proxies traffic.",
                                  "external_references": [{"url": "https://attack.mitre.org/techniques/T1090"}],
                                  "x_mitre_detection": "Watch flows.", "id": "T1090",
                                  "collection": "Enterprise ATT&CK"}]}]}})
    }

    #[test]
    fn offense_pre_sets_the_offense_id_or_says_there_is_none() {
        let e = run(
            &OFFENSE_ANALYSIS_PRE,
            json!({"incident": {"qradar_id": "23"}}),
        );
        ok(&e);
        assert_eq!(e["inputs"], json!({"qradar_offense_id": "23"}));
        let e = run(
            &OFFENSE_ANALYSIS_PRE,
            json!({"incident": {"qradar_id": null}}),
        );
        assert!(
            e["error"]
                .as_str()
                .unwrap()
                .contains("no QRadar offense id"),
            "{e}"
        );
    }

    #[test]
    fn tactic_pre_offense_joins_qraw_tactic_names() {
        let case = json!({"incident": {"qradar_id": "23"}, "workflow": {"qraw_offense_insights": {"insights": {"tactics": [
            {"tactic_id": "Initial Access", "confidence": 40}, {"tactic_id": "Execution", "confidence": 20}]}}}});
        let e = run(&TACTIC_INFO_PRE_OFFENSE, case);
        ok(&e);
        assert_eq!(
            e["inputs"]["mitre_tactic_name"],
            "Initial Access, Execution"
        );
    }

    #[test]
    fn tactic_pre_offense_explains_no_observables_and_no_tactics() {
        let case = json!({"incident": {"qradar_id": "23"},
                          "workflow": {"qraw_offense_insights": {"insights": {"status_code": 404}}}});
        let e = run(&TACTIC_INFO_PRE_OFFENSE, case);
        let error = e["error"].as_str().unwrap();
        assert!(
            error.starts_with(
                "ValueError: QRadar Advisor found no observables for offense 23 (status code 404)"
            ),
            "{error}"
        );
        let case = json!({"incident": {"qradar_id": "23"},
                          "workflow": {"qraw_offense_insights": {"insights": {"tactics": []}}}});
        let e = run(&TACTIC_INFO_PRE_OFFENSE, case);
        assert!(
            e["error"]
                .as_str()
                .unwrap()
                .contains("did not relate offense 23 to any MITRE ATT&CK tactic"),
            "{e}"
        );
        assert!(e["inputs"].as_object().unwrap().is_empty());
    }

    #[test]
    fn tactic_post_offense_writes_rows_from_1_0_and_2_x() {
        for (results, tactic_ref) in [
            (mitre_1_0(), "https://attack.mitre.org/tactics/TA0011/"),
            (mitre_2_x(), "https://attack.mitre.org/tactics/TA0011"),
        ] {
            let case = json!({"workflow": {"qraw_offense_insights": offense_insights()}, "results": results});
            let e = run(&TACTIC_INFO_POST_OFFENSE, case);
            ok(&e);
            let tactics = rows(&e, "mitre_attack_of_incident");
            assert_eq!(tactics.len(), 1);
            assert_eq!(tactics[0]["attack_tactic"], "Command and Control");
            assert_eq!(tactics[0]["tactic_code"], "TA0011");
            assert_eq!(tactics[0]["confidence"], "60");
            assert_eq!(
                tactics[0]["reference"]["rich_text"],
                format!("<a href=\"{tactic_ref}\">{tactic_ref}</a><br>")
            );
            let techniques = rows(&e, "mitre_attack_techniques");
            assert_eq!(techniques.len(), 1);
            let t = techniques[0];
            assert_eq!(t["tactic"], "Command and Control");
            assert_eq!(t["technique_name"], "Proxy");
            assert_eq!(t["technique_id"], "T1090");
            assert_eq!(t["tech_description"], "Proxies traffic.");
            assert_eq!(t["detection"], "Watch flows.");
            assert!(t["references"]["rich_text"]
                .as_str()
                .unwrap()
                .starts_with("<a href=\"https://attack.mitre.org/techniques/T1090\">https://attack.mitre.org/techniques/T1090</a><br>"));
        }
    }

    fn rule_map() -> Value {
        json!({"tactics": {"id": "c0df", "mapping": {"Initial Access": {
            "confidence": "high", "enabled": true, "id": "TA0001",
            "techniques": {"Valid Accounts": {"confidence": "high", "id": "T1078"}}}}}})
    }

    #[test]
    fn map_rule_pre_reads_the_rows_source() {
        let e = run(
            &MAP_RULE_PRE,
            json!({"row": {"source": "RF Risklist Source Log"}}),
        );
        ok(&e);
        assert_eq!(e["inputs"]["qradar_rule_name"], "RF Risklist Source Log");
        let e = run(&MAP_RULE_PRE, json!({"row": {"source": ""}}));
        assert!(
            e["error"].as_str().unwrap().contains("has no source"),
            "{e}"
        );
    }

    #[test]
    fn tactic_pre_map_rule_joins_the_mapping_or_names_the_unmapped_rule() {
        let case = json!({"row": {"source": "RF Risklist Source Log"}, "workflow": {"qraw_rule_map": rule_map()}});
        let e = run(&TACTIC_INFO_PRE_MAP_RULE, case);
        ok(&e);
        assert_eq!(e["inputs"]["mitre_tactic_name"], "Initial Access");
        let case =
            json!({"row": {"source": "admin"}, "workflow": {"qraw_rule_map": {"tactics": {}}}});
        let e = run(&TACTIC_INFO_PRE_MAP_RULE, case);
        assert_eq!(
            e["error"],
            "ValueError: QRadar Advisor has no MITRE ATT&CK mapping for the QRadar rule \"admin\", so there is no tactic to look up."
        );
    }

    #[test]
    fn tactic_post_map_rule_writes_artifact_rows_from_1_0_and_2_x() {
        let initial_access_1_0 = json!({"mitre_tactics": [{"tactic_name": "Initial Access", "tactic_id": "TA0001",
            "tactic_ref": "https://attack.mitre.org/tactics/TA0001/",
            "techs": [{"name": "Valid Accounts", "description": "d", "external_references": [],
                       "x_mitre_detection": "x", "mitre_tech_id": "T1078"}]}]});
        let initial_access_2_x = json!({"content": {"mitre_tactics": [{"name": "Initial Access", "id": "TA0001",
            "ref": "https://attack.mitre.org/tactics/TA0001",
            "mitre_techniques": [{"name": "Valid Accounts", "description": "d", "external_references": [],
                                  "x_mitre_detection": "x", "id": "T1078"}]}]}});
        for results in [initial_access_1_0, initial_access_2_x] {
            let case = json!({"row": {"source": "RF Risklist Source Log", "item_value": "192.168.0.155",
                                      "reference_set": "RF Risklist Source"},
                              "workflow": {"qraw_rule_map": rule_map()}, "results": results});
            let e = run(&TACTIC_INFO_POST_MAP_RULE, case);
            ok(&e);
            let a = rows(&e, "mitre_attack_of_artifact");
            assert_eq!(a.len(), 1);
            assert_eq!(a[0]["artifact"], "192.168.0.155");
            assert_eq!(a[0]["attack_tactic"], "Initial Access");
            assert_eq!(a[0]["tactic_code"], "TA0001");
            assert_eq!(a[0]["confidence"], "high");
            assert!(a[0]["reference"]["rich_text"]
                .as_str()
                .unwrap()
                .contains("tactics/TA0001"));
            let t = rows(&e, "mitre_attack_techniques");
            assert_eq!(t.len(), 1);
            assert_eq!(t[0]["technique_id"], "T1078");
            assert_eq!(t[0]["references"]["rich_text"], "");
            assert!(rows(&e, "mitre_attack_of_incident").is_empty());
        }
    }

    #[test]
    fn technique_task_creates_the_task_from_1_0_and_2_x() {
        let row = json!({"technique_id": "T1090", "technique_name": "Proxy"});
        let e = run(&TECHNIQUE_TASK_PRE, json!({"row": row}));
        ok(&e);
        assert_eq!(
            e["inputs"],
            json!({"mitre_technique_id": "T1090", "mitre_technique_name": "Proxy"})
        );

        let v1 = json!({"name": "Proxy", "description": "Proxies traffic.", "x_mitre_detection": "Watch flows.",
                        "mitre_mitigation": "Filter traffic.", "mitre_tech_id": "T1090"});
        let v2 = json!({"content": {"mitre_techniques": [{"name": "Proxy", "description": "Proxies traffic.",
                        "x_mitre_detection": "Watch flows.", "id": "T1090",
                        "mitre_mitigations": [{"name": "Filter Network Traffic", "description": "Filter traffic.", "id": "M1037"}]}]}});
        for (results, mitigation) in [
            (v1, "Filter traffic."),
            (v2, "<b>Filter Network Traffic</b><p>Filter traffic.</p>"),
        ] {
            let e = run(
                &TECHNIQUE_TASK_POST,
                json!({"row": row, "results": results}),
            );
            ok(&e);
            let tasks = e["tasks"].as_array().unwrap();
            assert_eq!(tasks.len(), 1);
            assert_eq!(tasks[0]["title"], "MITRE ATT&CK Technique: Proxy");
            assert_eq!(tasks[0]["phase"], "Detect/Analyze");
            let text = tasks[0]["instructions"]["rich_text"].as_str().unwrap();
            let (d, det, m) = (
                text.find("<h1> Description </h1>\nProxies traffic.")
                    .unwrap(),
                text.find("<h1> Detection </h1>\nWatch flows.").unwrap(),
                text.find(&format!("<h1> Mitigation </h1>\n{mitigation}"))
                    .unwrap(),
            );
            assert!(d < det && det < m, "{text}");
        }
    }

    #[test]
    fn find_reference_sets_adds_rows_or_a_note() {
        let artifact = json!({"value": "192.168.0.155"});
        let e = run(&FIND_REFERENCE_SETS_PRE, json!({"artifact": artifact}));
        ok(&e);
        assert_eq!(
            e["inputs"]["qradar_reference_set_item_value"],
            "192.168.0.155"
        );

        let results = json!({"reference_items": [{"name": "RF Risklist Source", "data": [
            {"value": "10.0.0.1", "source": "admin"},
            {"value": "192.168.0.155", "source": "RF Risklist Source Log"}]}]});
        let e = run(
            &FIND_REFERENCE_SETS_POST,
            json!({"artifact": artifact, "results": results}),
        );
        ok(&e);
        let r = rows(&e, "qradar_reference_set");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0]["reference_set"], "RF Risklist Source");
        assert_eq!(r[0]["item_value"], "192.168.0.155");
        assert_eq!(r[0]["source"], "RF Risklist Source Log");

        let e = run(
            &FIND_REFERENCE_SETS_POST,
            json!({"artifact": artifact, "results": {"reference_items": []}}),
        );
        ok(&e);
        assert_eq!(
            e["notes"],
            json!(["No reference sets contain artifact: 192.168.0.155"])
        );
    }
}
