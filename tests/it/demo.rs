//! The reference org running workflows (`POST .../action_invocations`), and `respack demo` end
//! to end.

use serde_json::{json, Value};

use respack::server::{self, RunningServer};
use respack::soar::{self, Client, IncidentId, SoarError};

use crate::engine::{mini_bundle, readme_org_options};
use crate::require_shared;
use crate::util::respack;

/// What the acceptance check looks for in the demo's output.
const README_STORY: [&str; 11] = [
    "Command and Control",
    "TA0011",
    "60",
    "Port Knocking",
    "T1205",
    "MITRE ATT&CK Technique: Port Knocking",
    "stateful firewalls",
    "192.168.0.155",
    "RF Risklist Source Log",
    "Initial Access",
    "TA0001",
];

#[test]
fn demo_tells_both_readme_stories_on_attack_v4() {
    let shared = require_shared!();
    let mut run = respack(["demo", "--no-cache", "--bundle"])
        .arg(shared.join("attack/enterprise-attack-4.0.json.gz"))
        .run()
        .code(0)
        .output_lacks("Traceback");
    for want in README_STORY {
        run = run.stdout_has(want);
    }
    run.stdout_has("MITRE ATT&CK Techniques (mitre_attack_techniques): 22 rows")
        .stdout_has("enterprise-attack-4.0.json.gz");
}

#[test]
fn demo_on_a_small_attack_tells_the_stories_and_says_where_each_piece_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = mini_bundle(dir.path());
    let mut run = respack(["demo", "--no-cache", "--bundle"])
        .arg(&bundle)
        .run()
        .code(0)
        .output_lacks("Traceback");
    for want in README_STORY {
        run = run.stdout_has(want);
    }
    run.stdout_has("Where every piece comes from:")
        .stdout_has("respack's integrations seed")
        .stdout_has("built-in scenario 'readme'")
        .stdout_has(&format!("MITRE ATT&CK: bundle {}", bundle.display()))
        .stdout_has("Workflow scripts: python3")
        .stdout_has("7. Uninstall the package")
        .stdout_has("removed 5 objects; the integrations' rules stay");
}

#[test]
fn demo_without_attack_data_says_so_and_names_bundle() {
    let cache = tempfile::tempdir().unwrap();
    respack(["demo"])
        .env("RESPACK_CACHE_DIR", cache.path())
        .env("RESPACK_ATTACK_TAXII", "http://127.0.0.1:9/taxii2/")
        .env_remove("RESPACK_ATTACK_BUNDLE")
        .run()
        .code(2)
        .stderr_has("the demo needs MITRE ATT&CK data")
        .stderr_has("--bundle FILE");
}

// ---- action invocations on the reference org ------------------------------------------------

struct Org {
    server: RunningServer,
    client: Client,
    _dir: tempfile::TempDir,
}

fn org() -> Org {
    let dir = tempfile::tempdir().unwrap();
    let opts = readme_org_options(dir.path());
    let server = server::start(opts).unwrap();
    let package = respack::package::resource_file(respack::package::export_date_ms(None));
    server
        .seed_from_res(&serde_json::to_value(&package).unwrap())
        .unwrap();
    let key = server.api_key();
    let mut settings = soar::Settings::api_key(
        "127.0.0.1",
        server.addr().port(),
        key.id.clone(),
        soar::Secret::new(key.secret.clone()),
    );
    settings.org = Some(server.org().name.clone());
    settings.verify = soar::Verify::CaFile(server.ca_pem_path().to_path_buf());
    let client = Client::connect(settings).unwrap();
    Org {
        server,
        client,
        _dir: dir,
    }
}

fn incident(org: &Org, properties: Value) -> IncidentId {
    let inc = org
        .client
        .create_incident(&json!({"name": "QRadar offense 23", "discovered_date": 0,
                                 "properties": properties}))
        .unwrap();
    IncidentId(inc["id"].as_u64().unwrap())
}

fn cells(row: &Value) -> Value {
    let cells = row["cells"].as_object().unwrap();
    Value::Object(
        cells
            .iter()
            .map(|(k, v)| (k.clone(), v["value"].clone()))
            .collect(),
    )
}

fn rejected(result: Result<Value, SoarError>) -> (u16, String) {
    match result {
        Err(SoarError::Http {
            status, message, ..
        }) => (status, message),
        other => panic!("expected an HTTP error, got {other:?}"),
    }
}

#[test]
fn invoking_the_offense_rule_runs_the_workflow_and_stores_its_rows() {
    let org = org();
    let inc = incident(&org, json!({"qradar_id": "23"}));
    let answer = org
        .client
        .invoke_action(
            inc,
            &json!({"action_id": "QRadar Advisor Offense Analysis with MITRE"}),
        )
        .unwrap();
    assert_eq!(answer["workflows"][0]["status"], "completed", "{answer}");
    assert_eq!(
        answer["workflows"][0]["workflow"],
        "qradar_advisor_offense_analysis_mitre"
    );
    let rows = org
        .client
        .table_rows(inc, "mitre_attack_of_incident")
        .unwrap();
    assert_eq!(rows.len(), 1);
    let row = cells(&rows[0]);
    assert_eq!(row["attack_tactic"], "Command and Control");
    assert_eq!(row["tactic_code"], "TA0011");
    assert_eq!(row["confidence"], "60");
    let techniques = org
        .client
        .table_rows(inc, "mitre_attack_techniques")
        .unwrap();
    let port_knocking = techniques
        .iter()
        .find(|r| cells(r)["technique_name"] == "Port Knocking")
        .unwrap();

    // The MITRE integration's menu item on that row creates the task.
    let answer = org
        .client
        .invoke_action(
            inc,
            &json!({"action_id": "Create Task for MITRE ATT&CK technique",
                    "row_id": port_knocking["id"]}),
        )
        .unwrap();
    assert_eq!(answer["workflows"][0]["status"], "completed", "{answer}");
    let tasks = org.client.tasks(inc).unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["name"], "MITRE ATT&CK Technique: Port Knocking");
    assert_eq!(tasks[0]["phase_id"], "Detect/Analyze");
    let instructions = tasks[0]["instructions"].as_str().unwrap();
    for part in [
        "Description",
        "Detection",
        "Mitigation",
        "stateful firewalls",
    ] {
        assert!(instructions.contains(part), "{part} in {instructions}");
    }
    drop(org.server);
}

#[test]
fn invoking_on_an_artifact_and_a_row_tells_the_map_rule_story() {
    let org = org();
    let inc = incident(&org, json!({"qradar_id": "23"}));
    let artifact = org
        .client
        .add_artifact(
            inc,
            &json!({"type": "IP Address", "value": "192.168.0.155"}),
        )
        .unwrap();
    let answer = org
        .client
        .invoke_action(
            inc,
            &json!({"action_id": "Find All QRadar Reference Sets", "artifact_id": artifact["id"]}),
        )
        .unwrap();
    assert_eq!(answer["workflows"][0]["status"], "completed", "{answer}");
    let sets = org.client.table_rows(inc, "qradar_reference_set").unwrap();
    assert_eq!(sets.len(), 1);
    assert_eq!(cells(&sets[0])["source"], "RF Risklist Source Log");

    let answer = org
        .client
        .invoke_action(
            inc,
            &json!({"action_id": "Map rule to MITRE tactic", "row_id": sets[0]["id"]}),
        )
        .unwrap();
    assert_eq!(answer["workflows"][0]["status"], "completed", "{answer}");
    let rows = org
        .client
        .table_rows(inc, "mitre_attack_of_artifact")
        .unwrap();
    assert_eq!(
        cells(&rows[0]),
        json!({"artifact": "192.168.0.155", "attack_tactic": "Initial Access",
               "tactic_code": "TA0001", "confidence": "low",
               "reference": "<a href=\"https://attack.mitre.org/tactics/TA0001/\">https://attack.mitre.org/tactics/TA0001/</a><br>"})
    );
}

#[test]
fn a_failed_workflow_is_reported_with_its_sentence_and_keeps_earlier_notes() {
    let org = org();
    let inc = incident(&org, json!({"qradar_id": "23"}));
    let artifact = org
        .client
        .add_artifact(inc, &json!({"type": "IP Address", "value": "10.20.30.40"}))
        .unwrap();
    org.client
        .invoke_action(
            inc,
            &json!({"action_id": "Find All QRadar Reference Sets", "artifact_id": artifact["id"]}),
        )
        .unwrap();
    let notes = org.client.comments(inc).unwrap();
    assert_eq!(
        notes[0]["text"],
        "No reference sets contain artifact: 10.20.30.40"
    );

    // A row added by hand with a user as source: the menu item shows, the mapping is empty.
    let row = org
        .client
        .add_table_row(
            inc,
            "qradar_reference_set",
            json!({"reference_set": "Sample Suspect IPs", "item_value": "198.51.100.7",
                   "source": "admin"})
            .as_object()
            .unwrap(),
        )
        .unwrap();
    let answer = org
        .client
        .invoke_action(
            inc,
            &json!({"action_id": "Map rule to MITRE tactic", "row_id": row["id"]}),
        )
        .unwrap();
    assert_eq!(answer["workflows"][0]["status"], "failed");
    let error = answer["workflows"][0]["error"].as_str().unwrap();
    assert!(
        error.contains("QRadar Advisor has no MITRE ATT&CK mapping for the QRadar rule \"admin\""),
        "{error}"
    );
}

#[test]
fn invocations_the_ui_would_not_offer_are_refused_with_a_reason() {
    let org = org();
    let no_offense = incident(&org, json!({}));
    let (status, message) = rejected(org.client.invoke_action(
        no_offense,
        &json!({"action_id": "QRadar Advisor Offense Analysis with MITRE"}),
    ));
    assert_eq!(status, 400);
    assert!(
        message.contains("incident.properties.qradar_id has a value"),
        "{message}"
    );

    let inc = incident(&org, json!({"qradar_id": "23"}));
    let (status, message) = rejected(
        org.client
            .invoke_action(inc, &json!({"action_id": "Map rule to MITRE tactic"})),
    );
    assert_eq!(status, 400);
    assert!(message.contains("give \"row_id\""), "{message}");

    let (status, _) = rejected(
        org.client
            .invoke_action(inc, &json!({"action_id": "No such rule"})),
    );
    assert_eq!(status, 404);
}
