//! The scenario an emulated QRadar plays: its apps' ids and tokens, the offenses QRadar Advisor
//! knows (status sequence, STIX per stage, insights, injected failures), the CAFM mappings and
//! the reference sets. A JSON file (see `templates/scenarios/readme.json`, the built-in one);
//! unknown keys are errors, so a typo does not silently change the story.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::help::Help;
use crate::runtime::qradar::advisor::Stage;
use crate::runtime::qradar::config::ApiPrefix;

/// The built-in scenario: the package README's story (offense 23; 192.168.0.155 in "RF
/// Risklist Source", added by rule "RF Risklist Source Log").
const README_SCENARIO: &str = include_str!("../../templates/scenarios/readme.json");

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario {}: {source}", file.display())]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("scenario {}: at {path}: {message}", file.display())]
    Invalid {
        file: PathBuf,
        path: String,
        message: String,
    },
}

impl Help for ScenarioError {
    fn help(&self) -> Option<String> {
        Some("compare the file with templates/scenarios/readme.json, the built-in scenario".into())
    }
}

/// Everything the emulated QRadar answers with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// What the scenario shows, for people reading the file.
    #[serde(default)]
    pub description: String,
    pub advisor: AdvisorApp,
    pub cafm: CafmApp,
    pub qradar: QradarApi,
}

/// The QRadar Advisor app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdvisorApp {
    pub app_id: String,
    /// The authorized-service token the app proxy accepts (cookie or header `SEC`).
    pub token: String,
    /// Offense API generations served: `offense` (2.0) and/or `investigations/offense`
    /// (2.0.2+); both by default.
    #[serde(default = "both_prefixes", with = "prefixes")]
    pub api_prefixes: Vec<ApiPrefix>,
    #[serde(default)]
    pub fail: AdvisorFailures,
    /// Keyed by offense id.
    #[serde(default)]
    pub offenses: BTreeMap<String, Offense>,
}

fn both_prefixes() -> Vec<ApiPrefix> {
    vec![ApiPrefix::InvestigationsOffense, ApiPrefix::Offense]
}

mod prefixes {
    use super::ApiPrefix;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[ApiPrefix], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|p| p.as_str()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ApiPrefix>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|p| {
                ApiPrefix::parse(p).ok_or_else(|| {
                    D::Error::custom(format!(
                        "{p:?} is not an API prefix (offense or investigations/offense)"
                    ))
                })
            })
            .collect()
    }
}

/// Failures of the QRadar Advisor app as a whole.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdvisorFailures {
    /// HTTP status `/about` answers with instead of 200.
    #[serde(default)]
    pub about: Option<u16>,
    /// `/about` answers 200 but sets no `XSRF-TOKEN` cookie.
    #[serde(default)]
    pub no_xsrf_cookie: bool,
}

/// One offense as QRadar Advisor knows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offense {
    /// Answers of successive status polls after a start; the last one repeats. Empty means
    /// `DONE`. `DONE`, `DONE_STAGE3`, `NO_OBSERVABLES`, `ERROR` and `ERROR_AUTH` mean what they
    /// mean to the integration; any other text keeps it waiting.
    #[serde(default)]
    pub statuses: Vec<String>,
    /// A result exists before any analysis is started (what `restart_if_existed = false` fetches).
    #[serde(default)]
    pub existing: bool,
    /// The analysis finds nothing: the result and the insights answer 404
    /// `{"error": "NO_ERROR", "status": "NO_OBSERVABLES"}`.
    #[serde(default)]
    pub no_observables: bool,
    /// The STIX 2.0 bundle of each stage; a stage left out answers 404.
    #[serde(default)]
    pub stix: BTreeMap<Stage, Value>,
    /// The insights document; left out answers 404.
    #[serde(default)]
    pub insights: Option<Value>,
    #[serde(default)]
    pub fail: OffenseFailures,
}

/// HTTP statuses to answer instead of the normal answer, per endpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OffenseFailures {
    /// `POST .../analysis`, e.g. 401 (X-Force credentials), 403, 429 (analysis limit).
    #[serde(default)]
    pub start: Option<u16>,
    /// `GET .../analysis/status`, e.g. 403.
    #[serde(default)]
    pub status: Option<u16>,
    /// `GET .../analysis/{stage}/stix`.
    #[serde(default)]
    pub stix: Option<u16>,
    /// `GET .../insights`.
    #[serde(default)]
    pub insights: Option<u16>,
}

/// QRadar Advisor's Cyber Adversary Framework Mapping app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CafmApp {
    pub app_id: String,
    pub token: String,
    #[serde(default)]
    pub fail: CafmFailures,
    /// Rule name → mapping (`{"id", "mapping": {tactic: {"confidence", "id", ...}}, ...}`).
    #[serde(default)]
    pub mappings: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CafmFailures {
    #[serde(default)]
    pub tuning: Option<u16>,
    #[serde(default)]
    pub mappings: Option<u16>,
    #[serde(default)]
    pub no_xsrf_cookie: bool,
}

/// QRadar's own REST API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QradarApi {
    /// Accepted in header `SEC`.
    pub token: String,
    /// Also accepted as HTTP Basic credentials when both are set.
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// HTTP status `GET /api/reference_data/sets` answers with instead of 200.
    #[serde(default)]
    pub fail_list: Option<u16>,
    #[serde(default)]
    pub reference_sets: Vec<ReferenceSet>,
}

/// A reference set as QRadar returns it; keys besides these (`namespace`, `collection_id`, ...)
/// are returned as given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceSet {
    pub name: String,
    #[serde(default = "default_element_type")]
    pub element_type: String,
    #[serde(default = "default_timeout_type")]
    pub timeout_type: String,
    #[serde(default)]
    pub creation_time: i64,
    #[serde(default)]
    pub data: Vec<Element>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn default_element_type() -> String {
    "IP".into()
}

fn default_timeout_type() -> String {
    "FIRST_SEEN".into()
}

/// One element of a reference set. `source` is the rule that added it, or the user who did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Element {
    pub value: String,
    pub source: String,
    #[serde(default)]
    pub first_seen: i64,
    #[serde(default)]
    pub last_seen: i64,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ReferenceSet {
    /// The set as `GET /api/reference_data/sets/{name}` returns it, with the given elements
    /// (`None`: without `data`, as in the list of all sets).
    pub fn to_json(&self, data: Option<Vec<&Element>>) -> Value {
        let mut out = self.extra.clone();
        out.insert("name".into(), self.name.clone().into());
        out.insert("element_type".into(), self.element_type.clone().into());
        out.insert("timeout_type".into(), self.timeout_type.clone().into());
        out.insert("creation_time".into(), self.creation_time.into());
        out.insert("number_of_elements".into(), self.data.len().into());
        if let Some(data) = data {
            let data = data
                .into_iter()
                .map(|e| serde_json::to_value(e).unwrap_or(Value::Null))
                .collect();
            out.insert("data".into(), Value::Array(data));
        }
        Value::Object(out)
    }
}

impl Scenario {
    /// The built-in scenario (the package README's story).
    pub fn builtin() -> Scenario {
        // The file is part of the crate and tested; a broken edit fails `cargo test`.
        Scenario::parse(
            README_SCENARIO,
            Path::new("templates/scenarios/readme.json"),
        )
        .unwrap_or_else(|e| panic!("built-in scenario: {e}"))
    }

    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            file: path.to_path_buf(),
            source,
        })?;
        Scenario::parse(&text, path)
    }

    /// Parse scenario JSON; errors name `file` and the JSON path.
    pub fn parse(text: &str, file: &Path) -> Result<Scenario, ScenarioError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(|e| ScenarioError::Invalid {
            file: file.to_path_buf(),
            path: e.path().to_string(),
            message: e.inner().to_string(),
        })
    }

    /// A scenario from a JSON value (tests build them with `json!`).
    pub fn from_value(value: Value) -> Result<Scenario, ScenarioError> {
        serde_path_to_error::deserialize(value).map_err(|e| ScenarioError::Invalid {
            file: PathBuf::from("(value)"),
            path: e.path().to_string(),
            message: e.inner().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_scenario_parses_and_tells_the_readme_story() {
        let s = Scenario::builtin();
        let offense = &s.advisor.offenses["23"];
        let tactics = offense.insights.as_ref().unwrap()["tactics"]
            .as_array()
            .unwrap();
        assert_eq!(tactics[0]["tactic_id"], "Command and Control");
        assert_eq!(tactics[0]["confidence"], 60);
        let rf = s
            .qradar
            .reference_sets
            .iter()
            .find(|r| r.name == "RF Risklist Source")
            .unwrap();
        assert!(rf
            .data
            .iter()
            .any(|e| e.value == "192.168.0.155" && e.source == "RF Risklist Source Log"));
        let mapping = &s.cafm.mappings["RF Risklist Source Log"]["mapping"]["Initial Access"];
        assert_eq!(mapping["id"], "TA0001");
        assert_eq!(mapping["confidence"], "low");
    }

    #[test]
    fn typos_are_errors_naming_the_path() {
        let mut v = serde_json::to_value(Scenario::builtin()).unwrap();
        v["advisor"]["offenses"]["23"]["statusses"] = serde_json::json!([]);
        let err = Scenario::from_value(v).unwrap_err().to_string();
        assert!(err.contains("advisor.offenses.23"), "{err}");
        assert!(err.contains("statusses"), "{err}");
        let err = Scenario::parse(
            r#"{"advisor": {"app_id": "1", "token": "t", "api_prefixes": ["v3"]}}"#,
            Path::new("s.json"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("scenario s.json: at advisor.api_prefixes"),
            "{err}"
        );
    }
}
