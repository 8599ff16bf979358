//! `respack show`: the inventory of a file.
use crate::util::respack;

#[test]
fn show_lists_rules_workflows_functions_and_tables_of_a_real_export() {
    let shared = crate::require_shared!();
    let file = shared.join("corpus/res/community/fn_qradar_advisor_export.res");
    let run = respack(["show", "--format", "json"])
        .arg(&file)
        .run()
        .success();
    let v = run.json();
    let wf = v["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["programmatic_name"] == "qradar_advisor_offense_analysis")
        .unwrap();
    assert_eq!(
        wf["functions"],
        serde_json::json!(["qradar_advisor_offense_analysis"])
    );
    let f = v["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "qradar_advisor_offense_analysis")
        .unwrap();
    assert_eq!(f["destination"], "fn_qradar_advisor");
    assert_eq!(
        f["inputs"],
        serde_json::json!([
            "qradar_offense_id",
            "qradar_advisor_result_stage",
            "qradar_analysis_restart_if_existed"
        ])
    );
    let rule = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "QRadar Advisor: Offense Analysis")
        .unwrap();
    assert_eq!(
        rule["workflows"],
        serde_json::json!(["qradar_advisor_offense_analysis"])
    );
    assert!(v["data_tables"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["type_name"] == "qradar_advisor_observable"
            && t["columns"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == "qradar_advisor_toxicity")));
    let text = respack(["show"]).arg(&file).run().success();
    text.stdout_has("Workflows (4)")
        .stdout_has("qradar_advisor_offense_analysis via fn_qradar_advisor");
}

#[test]
fn show_of_a_missing_file_exits_2_with_help() {
    respack(["show", "/nonexistent/x.res"])
        .run()
        .code(2)
        .stderr_has("cannot read")
        .stderr_has("help:");
}
