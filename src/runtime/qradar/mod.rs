//! QRadar Advisor, CAFM and QRadar clients and the three QRadar functions the package's
//! workflows call:
//!
//! | function | integration | client |
//! |---|---|---|
//! | [`qradar_advisor_offense_analysis`] | QRadar Advisor 2.0 | [`advisor::AdvisorClient`] |
//! | [`qradar_advisor_map_rule`] | QRadar Advisor 2.0 | [`cafm::CafmClient`] |
//! | [`qradar_find_reference_sets`] | QRadar integration 2.0 | [`refsets::QradarClient`] |
//!
//! Each takes its inputs keyed by input API name and returns the result dict the integration
//! returns to SOAR (no ResultPayload wrapper, as in those versions), with the status messages
//! it sends on the way. Settings come from the integrations' app.config sections
//! ([`config::AppConfig`]). The clients are synchronous: the workflow engine runs one step at a
//! time.

pub mod advisor;
pub mod cafm;
pub mod config;
pub mod error;
mod http;
pub mod refsets;
pub mod stix;

use serde_json::{json, Value};

use super::{FunctionError, FunctionOutput, Inputs};
use advisor::{AdvisorClient, OffenseId, Stage};
use config::{AdvisorConfig, AppConfig, QradarConfig};
pub use error::QradarError;

/// API names of the functions this module implements.
pub const FUNCTIONS: [&str; 3] = [
    "qradar_advisor_offense_analysis",
    "qradar_advisor_map_rule",
    "qradar_find_reference_sets",
];

/// Run one of [`FUNCTIONS`] with the settings of `config`; `None` when `function` is not one of
/// them.
pub fn call(
    config: &AppConfig,
    function: &str,
    inputs: &Inputs,
) -> Option<Result<FunctionOutput, FunctionError>> {
    let fail = |e: QradarError| FunctionError::new(function, e.to_string());
    Some(match function {
        "qradar_advisor_offense_analysis" => config
            .advisor()
            .map_err(fail)
            .and_then(|cfg| qradar_advisor_offense_analysis(cfg, inputs)),
        "qradar_advisor_map_rule" => config
            .advisor()
            .map_err(fail)
            .and_then(|cfg| qradar_advisor_map_rule(cfg, &config.file, inputs)),
        "qradar_find_reference_sets" => config
            .qradar()
            .map_err(fail)
            .and_then(|cfg| qradar_find_reference_sets(cfg, inputs)),
        _ => return None,
    })
}

/// A text input as SOAR sends it: a string, or a number for numeric-looking text.
fn text_input(inputs: &Inputs, name: &str) -> Option<String> {
    match inputs.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn required_text(inputs: &Inputs, name: &str) -> Result<String, QradarError> {
    match text_input(inputs, name) {
        Some(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
        _ => Err(QradarError::BadInput {
            input: name.into(),
            reason: "a value is required".into(),
        }),
    }
}

/// `qradar_advisor_result_stage`: a select, given as its label (`"stage3"`) or as SOAR's
/// `{"id": .., "name": "stage3"}`; absent means the field's default, stage3.
fn stage_input(inputs: &Inputs) -> Result<Stage, QradarError> {
    const NAME: &str = "qradar_advisor_result_stage";
    let label = match inputs.get(NAME) {
        None | Some(Value::Null) => return Ok(Stage::Stage3),
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Object(o)) => o.get("name").and_then(Value::as_str).unwrap_or(""),
        Some(_) => "",
    };
    Stage::parse(label).ok_or_else(|| QradarError::BadInput {
        input: NAME.into(),
        reason: format!("{label:?} is not one of stage1, stage2, stage3"),
    })
}

/// A boolean input; absent or null is false (as the integration's falsy `None`).
fn bool_input(inputs: &Inputs, name: &str) -> Result<bool, QradarError> {
    match inputs.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(false),
        Some(other) => Err(QradarError::BadInput {
            input: name.into(),
            reason: format!("{other} is not a boolean"),
        }),
    }
}

/// "QRadar Advisor Offense Analysis": analyse an offense and return
/// `{"observables", "note", "insights", "stix"}`.
///
/// Inputs: `qradar_offense_id` (text, required), `qradar_advisor_result_stage` (select,
/// default stage3), `qradar_analysis_restart_if_existed` (boolean).
pub fn qradar_advisor_offense_analysis(
    cfg: &AdvisorConfig,
    inputs: &Inputs,
) -> Result<FunctionOutput, FunctionError> {
    const FUNCTION: &str = "qradar_advisor_offense_analysis";
    let fail = |e: QradarError| FunctionError::new(FUNCTION, e.to_string());
    let offense = OffenseId(required_text(inputs, "qradar_offense_id").map_err(fail)?);
    let stage = stage_input(inputs).map_err(fail)?;
    let restart = bool_input(inputs, "qradar_analysis_restart_if_existed").map_err(fail)?;

    let mut messages = vec!["starting...".to_string()];
    if restart {
        messages.push("Restarting a new analysis. It could take up to 15 minutes...".into());
    }
    let mut client = AdvisorClient::new(cfg).map_err(fail)?;
    let mut stix_json = client
        .offense_analysis(&offense, restart, stage, cfg.polling)
        .map_err(fail)?;
    let (observables, note) = match stix_json.get("status_code") {
        Some(code) => (vec![], stix::status_note(&offense.0, code)),
        None => stix::observables_and_note(&mut stix_json),
    };
    let insights = client.offense_insights(&offense).map_err(fail)?;
    messages.push("done...".into());
    messages.push(format!("Returning {} observables", observables.len()));
    Ok(FunctionOutput {
        result: json!({
            "observables": observables,
            "note": note,
            "insights": insights,
            "stix": stix_json,
        }),
        messages,
    })
}

/// "QRadar Advisor Map Rule": the CAFM mapping of a QRadar rule to MITRE ATT&CK tactics,
/// `{"tactics": <mapping>}`, or `{"tactics": {}}` when the rule has none.
///
/// Input: `qradar_rule_name` (text, required). `file` names the app.config in errors about
/// missing CAFM keys. (The integration fails this function with an empty message and logs the
/// cause; the error here carries the cause.)
pub fn qradar_advisor_map_rule(
    cfg: &AdvisorConfig,
    file: &std::path::Path,
    inputs: &Inputs,
) -> Result<FunctionOutput, FunctionError> {
    const FUNCTION: &str = "qradar_advisor_map_rule";
    let fail = |e: QradarError| FunctionError::new(FUNCTION, e.to_string());
    // The rule name is matched exactly, so it is not trimmed.
    let rule = match text_input(inputs, "qradar_rule_name") {
        Some(rule) if !rule.is_empty() => rule,
        _ => {
            return Err(fail(QradarError::BadInput {
                input: "qradar_rule_name".into(),
                reason: "a value is required".into(),
            }))
        }
    };
    let mut client = cafm::CafmClient::new(cfg, file).map_err(fail)?;
    let tactics = client.find_tactic_mapping(&rule).map_err(fail)?;
    Ok(FunctionOutput {
        result: json!({ "tactics": tactics }),
        messages: vec!["starting...".into(), "done...".into()],
    })
}

/// "QRadar Find Reference Sets": every reference set holding exactly the given value,
/// `{"reference_items": [<set as QRadar returns it>, ...]}`.
///
/// Input: `qradar_reference_set_item_value` (text, required).
pub fn qradar_find_reference_sets(
    cfg: &QradarConfig,
    inputs: &Inputs,
) -> Result<FunctionOutput, FunctionError> {
    const FUNCTION: &str = "qradar_find_reference_sets";
    let fail = |e: QradarError| FunctionError::new(FUNCTION, e.to_string());
    let value = match text_input(inputs, "qradar_reference_set_item_value") {
        Some(v) if !v.is_empty() => v,
        _ => {
            return Err(fail(QradarError::BadInput {
                input: "qradar_reference_set_item_value".into(),
                reason: "a value is required".into(),
            }))
        }
    };
    let client = refsets::QradarClient::new(cfg).map_err(fail)?;
    let items = client.find_all_ref_set_contains(&value).map_err(fail)?;
    Ok(FunctionOutput {
        result: json!({ "reference_items": items }),
        messages: vec!["starting...".into(), "done...".into()],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(v: Value) -> Inputs {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn stage_accepts_label_select_object_and_default() {
        assert_eq!(stage_input(&inputs(json!({}))).unwrap(), Stage::Stage3);
        assert_eq!(
            stage_input(&inputs(json!({"qradar_advisor_result_stage": "stage1"}))).unwrap(),
            Stage::Stage1
        );
        assert_eq!(
            stage_input(&inputs(
                json!({"qradar_advisor_result_stage": {"id": 7, "name": "stage2"}})
            ))
            .unwrap(),
            Stage::Stage2
        );
        let err = stage_input(&inputs(json!({"qradar_advisor_result_stage": "stage9"})))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "input qradar_advisor_result_stage: \"stage9\" is not one of stage1, stage2, stage3"
        );
    }

    #[test]
    fn offense_id_may_be_text_or_number_and_is_required() {
        assert_eq!(
            required_text(
                &inputs(json!({"qradar_offense_id": 23})),
                "qradar_offense_id"
            )
            .unwrap(),
            "23"
        );
        assert!(required_text(
            &inputs(json!({"qradar_offense_id": " "})),
            "qradar_offense_id"
        )
        .is_err());
        assert!(bool_input(&inputs(json!({"b": 3})), "b").is_err());
        assert!(!bool_input(&inputs(json!({})), "b").unwrap());
    }
}
