//! The JSON a workflow step carries inside `<resilient:function>` (and `<resilient:sub-playbook>`,
//! `<resilient:endEvent>`): which input fields get which values, the pre/post-processing
//! scripts, and the name the result is stored under.
//!
//! Every key the SOAR designer writes is a typed member; anything else lands in `extra`. Each
//! member is a [`Member`], so that a key that was absent stays absent and a key that was `null`
//! stays `null` when the body is written again.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Number, Value};

/// A JSON object member that may be missing, `null`, or set: the model's [`Slot`](crate::res::Slot), under the
/// name this module's callers already use.
///
/// `Option<T>` cannot tell the first two apart, and SOAR writes both (`"pre_processing_script":
/// null` in sub-playbook calls, no key at all in older functions).
pub use crate::res::Slot as Member;

/// The body of a function step (`<resilient:function uuid="…">`) or of a sub-playbook call.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FunctionBody {
    /// Input values keyed by the uuid of the function's input field (a `__function` field).
    #[serde(default, skip_serializing_if = "Member::is_absent")]
    pub inputs: Member<BTreeMap<String, Input>>,
    /// Python run before the call; it sets `inputs.<api_name>`.
    #[serde(default, skip_serializing_if = "Member::is_absent")]
    pub pre_processing_script: Member<String>,
    /// `python` (Jython 2) or `python3`.
    #[serde(default, skip_serializing_if = "Member::is_absent")]
    pub pre_processing_script_language: Member<String>,
    /// Python run after the call; it reads `results`. Playbooks have none.
    #[serde(default, skip_serializing_if = "Member::is_absent")]
    pub post_processing_script: Member<String>,
    /// `python` (Jython 2) or `python3`.
    #[serde(default, skip_serializing_if = "Member::is_absent")]
    pub post_processing_script_language: Member<String>,
    /// Name under which later steps read the result (`workflow.properties.<result_name>`);
    /// often `""`.
    #[serde(default, skip_serializing_if = "Member::is_absent")]
    pub result_name: Member<String>,
    /// Keys this model does not know, kept as they were.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl FunctionBody {
    /// The inputs, or an empty map when the body has none.
    pub fn input_map(&self) -> impl Iterator<Item = (&String, &Input)> {
        self.inputs.get().into_iter().flatten()
    }
}

/// The value given to one function input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Input {
    /// `static` or `expression`.
    #[serde(default, skip_serializing_if = "Member::is_absent")]
    pub input_type: Member<String>,
    /// The value, when `input_type` is `static`.
    #[serde(default, skip_serializing_if = "Member::is_absent")]
    pub static_input: Member<StaticInput>,
    /// The expression, when `input_type` is `expression`.
    #[serde(default, skip_serializing_if = "Member::is_absent")]
    pub expression_input: Member<ExpressionInput>,
    /// Keys this model does not know, kept as they were.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Input {
    /// A static input, as the designer writes it.
    pub fn static_value(value: StaticInput) -> Self {
        Input {
            input_type: "static".into(),
            static_input: value.into(),
            ..Input::default()
        }
    }

    /// An expression input.
    pub fn expression(expression: impl Into<String>) -> Self {
        Input {
            input_type: "expression".into(),
            expression_input: ExpressionInput {
                expression: Member::Value(expression.into()),
                extra: Map::new(),
            }
            .into(),
            ..Input::default()
        }
    }
}

/// A static input value. The designer always writes `multiselect_value` (often `[]`) next to the
/// one member that holds the value.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StaticInput {
    #[serde(default, skip_serializing_if = "Member::is_absent")]
    pub boolean_value: Member<bool>,
    /// Epoch milliseconds.
    #[serde(default, skip_serializing_if = "Member::is_absent")]
    pub date_value: Member<i64>,
    /// The uuids of the chosen values of a multiselect input field.
    #[serde(default, skip_serializing_if = "Member::is_absent")]
    pub multiselect_value: Member<Vec<String>>,
    #[serde(default, skip_serializing_if = "Member::is_absent")]
    pub number_value: Member<Number>,
    /// The uuid of the chosen value of a select input field.
    #[serde(default, skip_serializing_if = "Member::is_absent")]
    pub select_value: Member<String>,
    #[serde(default, skip_serializing_if = "Member::is_absent")]
    pub text_content_value: Member<TextContent>,
    #[serde(default, skip_serializing_if = "Member::is_absent")]
    pub text_value: Member<String>,
    /// Keys this model does not know, kept as they were.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl StaticInput {
    /// A text value, as the designer writes it (with an empty `multiselect_value`).
    pub fn text(value: impl Into<String>) -> Self {
        StaticInput {
            text_value: Member::Value(value.into()),
            ..StaticInput::designer_default()
        }
    }

    /// A boolean value, as the designer writes it.
    pub fn boolean(value: bool) -> Self {
        StaticInput {
            boolean_value: Member::Value(value),
            ..StaticInput::designer_default()
        }
    }

    /// The value `value_uuid` of a select input field, as the designer writes it.
    pub fn select(value_uuid: impl Into<String>) -> Self {
        StaticInput {
            select_value: Member::Value(value_uuid.into()),
            ..StaticInput::designer_default()
        }
    }

    fn designer_default() -> Self {
        StaticInput {
            multiselect_value: Member::Value(Vec::new()),
            ..StaticInput::default()
        }
    }
}

/// Rich text (`textarea` inputs): `{format: "text" | "html", content}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TextContent {
    #[serde(default, skip_serializing_if = "Member::is_absent")]
    pub content: Member<String>,
    #[serde(default, skip_serializing_if = "Member::is_absent")]
    pub format: Member<String>,
    /// Keys this model does not know, kept as they were.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An expression input: `{expression}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ExpressionInput {
    #[serde(default, skip_serializing_if = "Member::is_absent")]
    pub expression: Member<String>,
    /// Keys this model does not know, kept as they were.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The output script of a sub-playbook's end event (`<resilient:endEvent>`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EndScript {
    #[serde(default, skip_serializing_if = "Member::is_absent")]
    pub script: Member<String>,
    #[serde(default, skip_serializing_if = "Member::is_absent")]
    pub script_language: Member<String>,
    /// Keys this model does not know, kept as they were.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Reads a body, naming the JSON path of the first member that does not fit.
pub(super) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, (String, String)> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| (e.path().to_string(), e.inner().to_string()))?;
    de.end().map_err(|e| ("(end)".to_owned(), e.to_string()))?;
    Ok(value)
}

/// Writes a body as compact JSON with every object's keys sorted, whatever order `extra` kept
/// them in, so that the same body always gives the same bytes.
pub(super) fn to_sorted_json<T: Serialize>(body: &T) -> String {
    // Serialising these types to a `Value` cannot fail: every key is a string.
    let value = serde_json::to_value(body).unwrap_or(Value::Null);
    serde_json::to_string(&Sorted(&value)).unwrap_or_default()
}

struct Sorted<'a>(&'a Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            Value::Object(map) => {
                let sorted: BTreeMap<&String, &Value> = map.iter().collect();
                let mut out = serializer.serialize_map(Some(sorted.len()))?;
                for (k, v) in sorted {
                    out.serialize_entry(k, &Sorted(v))?;
                }
                out.end()
            }
            Value::Array(items) => {
                let mut out = serializer.serialize_seq(Some(items.len()))?;
                for v in items {
                    out.serialize_element(&Sorted(v))?;
                }
                out.end()
            }
            other => other.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_null_and_value_round_trip() {
        let text = r#"{"inputs":{},"pre_processing_script":null,"result_name":"x","zzz":[1,{"b":1,"a":2}]}"#;
        let body: FunctionBody = from_json(text).unwrap();
        assert_eq!(body.pre_processing_script, Member::Null);
        assert_eq!(body.post_processing_script, Member::Absent);
        assert_eq!(body.result_name.as_str(), Some("x"));
        assert_eq!(
            to_sorted_json(&body),
            r#"{"inputs":{},"pre_processing_script":null,"result_name":"x","zzz":[1,{"a":2,"b":1}]}"#
        );
    }

    #[test]
    fn static_inputs_keep_every_member() {
        let text = r#"{"input_type":"static","static_input":{"boolean_value":false,"date_value":1600000000000,"multiselect_value":["a","b"],"number_value":1.5,"select_value":null,"text_content_value":{"content":"<p>x</p>","format":"html"},"text_value":"t","unknown":7}}"#;
        let input: Input = from_json(text).unwrap();
        let s = input.static_input.get().unwrap();
        assert_eq!(s.select_value, Member::Null);
        assert_eq!(s.extra["unknown"], 7);
        assert_eq!(to_sorted_json(&input), text);
    }

    #[test]
    fn constructors_write_what_the_designer_writes() {
        // As in the QRadar Advisor integration's offense-analysis workflow.
        assert_eq!(
            to_sorted_json(&Input::static_value(StaticInput::select("bee62681"))),
            r#"{"input_type":"static","static_input":{"multiselect_value":[],"select_value":"bee62681"}}"#
        );
        assert_eq!(
            to_sorted_json(&Input::static_value(StaticInput::boolean(true))),
            r#"{"input_type":"static","static_input":{"boolean_value":true,"multiselect_value":[]}}"#
        );
    }

    #[test]
    fn wrong_type_names_the_path() {
        let err = from_json::<FunctionBody>(
            r#"{"inputs":{"f1":{"input_type":"static","static_input":{"boolean_value":"yes"}}}}"#,
        )
        .unwrap_err();
        assert_eq!(err.0, "inputs.f1.static_input.boolean_value");
    }
}
