//! The MITRE integration functions (`mitre_tactic_information`, `mitre_technique_information`) over the ATT&CK index.
//!
//! Two generations of the integration answer these functions differently, and orgs run both:
//!
//! * **1.0** (what the package names as its dependency): a bare dict, `mitre_tactics[]` with
//!   `tactic_name`, `tactic_id`, `tactic_ref` (trailing slash), `techs[]`; names take priority
//!   over ids and lists are split on `", "`. [`mitre_tactic_information`],
//!   [`mitre_technique_information`].
//! * **2.x**: the `ResultPayload` envelope (`version`, `success`, `reason`, `content`, `raw`,
//!   `inputs`, `metrics`) with renamed keys, `collection` labels, rich-text sanitising; ids
//!   take priority and lists are split on `,`. [`mitre_tactic_information_v2`],
//!   [`mitre_technique_information_v2`].
//!
//! Both read a shared [`Index`]; a call does no I/O and takes microseconds, so the workflow
//! engine can call them from any thread with an `Arc<Index>`.
//!
//! Where the data differs from 2019 (ATT&CK ≥ v18 has empty `x_mitre_detection`), the
//! detection text is derived from detection strategies ([`Index::detection`]); where the
//! technique-specific mitigation text moved to the `mitigates` relationship (≥ v5), it is
//! appended to the course-of-action's description.

use std::time::{Instant, SystemTime};

use serde::Serialize;
use serde_json::{json, Value};

use super::{FunctionError, FunctionOutput, Inputs};
use crate::attack::{Filter, Index, Status, TacticIdx, TechniqueIdx};

pub const TACTIC_FUNCTION: &str = "mitre_tactic_information";
pub const TECHNIQUE_FUNCTION: &str = "mitre_technique_information";

/// The integration version whose `metrics` the 2.x envelope imitates.
pub const V2_PACKAGE_VERSION: &str = "2.0.2";

/// Which generation of the integration to answer as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Api {
    /// MITRE integration 1.0: bare dict.
    #[default]
    V1,
    /// MITRE integration 2.x: `ResultPayload` envelope.
    V2,
}

/// Call `function` (`mitre_tactic_information` or `mitre_technique_information`) as `api`.
pub fn call(
    api: Api,
    function: &str,
    index: &Index,
    inputs: &Inputs,
) -> Result<FunctionOutput, FunctionError> {
    match (api, function) {
        (Api::V1, TACTIC_FUNCTION) => mitre_tactic_information(index, inputs),
        (Api::V1, TECHNIQUE_FUNCTION) => mitre_technique_information(index, inputs),
        (Api::V2, TACTIC_FUNCTION) => mitre_tactic_information_v2(index, inputs),
        (Api::V2, TECHNIQUE_FUNCTION) => mitre_technique_information_v2(index, inputs),
        _ => Err(FunctionError::new(
            function,
            "not a MITRE integration function",
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// 1.0 shapes

/// `{"url": ...}`: the only key of a reference the integration returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UrlRef {
    pub url: String,
}

/// A technique in the 1.0 output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TechV1 {
    pub name: String,
    pub description: String,
    pub external_references: Vec<UrlRef>,
    pub x_mitre_detection: String,
    pub mitre_tech_id: String,
}

/// A tactic in the 1.0 output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TacticV1 {
    pub tactic_name: String,
    pub tactic_id: String,
    /// `https://attack.mitre.org/tactics/TA0011/`, with the 1.0 trailing slash.
    pub tactic_ref: String,
    pub techs: Vec<TechV1>,
}

/// The 1.0 result of `mitre_tactic_information`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TacticsV1 {
    pub mitre_tactics: Vec<TacticV1>,
}

/// The 1.0 result of `mitre_technique_information`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TechniqueInfoV1 {
    #[serde(flatten)]
    pub tech: TechV1,
    pub mitre_mitigation: String,
}

fn references(index: &Index, t: TechniqueIdx) -> Vec<UrlRef> {
    index
        .technique(t)
        .references
        .iter()
        .map(|r| UrlRef {
            url: r.url.clone().unwrap_or_default(),
        })
        .collect()
}

/// A technique as 1.0 returns it.
pub fn tech_v1(index: &Index, t: TechniqueIdx) -> TechV1 {
    let tech = index.technique(t);
    TechV1 {
        name: tech.name.clone(),
        description: tech.description.clone(),
        external_references: references(index, t),
        x_mitre_detection: index.detection(t).to_owned(),
        mitre_tech_id: tech.attack_id.clone(),
    }
}

/// A tactic with its techniques (live ones unless `filter` includes the rest) as 1.0 returns it.
pub fn tactic_v1(index: &Index, tactic: TacticIdx, filter: Filter) -> TacticV1 {
    let t = index.tactic(tactic);
    TacticV1 {
        tactic_name: t.name.clone(),
        tactic_id: t.attack_id.clone(),
        tactic_ref: format!("{}/", t.url()),
        techs: index
            .techniques_of(tactic, filter)
            .into_iter()
            .map(|x| tech_v1(index, x))
            .collect(),
    }
}

/// The 1.0 `mitre_mitigation`: the first mitigation's description, followed by the
/// relationship's technique-specific text when the data has one. Empty when none.
pub fn mitigation_text_v1(index: &Index, t: TechniqueIdx, filter: Filter) -> String {
    let Some(link) = index.mitigations_of(t, filter).into_iter().next() else {
        return String::new();
    };
    let m = index.mitigation(link.mitigation);
    match &link.description {
        Some(d) if !m.description.trim().is_empty() => format!("{}\n\n{d}", m.description),
        Some(d) => d.clone(),
        None => m.description.clone(),
    }
}

/// A text input: absent, JSON null and "" all mean "not given".
fn text_input<'a>(inputs: &'a Inputs, key: &str) -> Option<&'a str> {
    inputs
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

fn bool_input(inputs: &Inputs, key: &str) -> bool {
    match inputs.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => {
            matches!(s.trim().to_ascii_lowercase().as_str(), "true" | "yes" | "1")
        }
        Some(Value::Number(n)) => n.as_i64().is_some_and(|n| n != 0),
        _ => false,
    }
}

/// `mitre_tactic_information` as the MITRE integration 1.0 answers it.
///
/// Inputs `mitre_tactic_name` and `mitre_tactic_id`, each a list joined by `", "`. Names win
/// when both are given. A name or id found in several domains resolves to the first domain
/// (enterprise, then mobile, then ics), as 1.0's "first match wins".
pub fn mitre_tactic_information(
    index: &Index,
    inputs: &Inputs,
) -> Result<FunctionOutput, FunctionError> {
    let fail = |m: String| FunctionError::new(TACTIC_FUNCTION, m);
    let filter = Filter::default();
    let mut tactics = Vec::new();
    if let Some(names) = text_input(inputs, "mitre_tactic_name") {
        for name in names.split(", ") {
            let found = index.find_tactics(name, filter);
            let first = found
                .first()
                .ok_or_else(|| fail(format!("Tactic with name {name} does not exist.")))?;
            tactics.push(*first);
        }
    } else if let Some(ids) = text_input(inputs, "mitre_tactic_id") {
        for id in ids.split(", ") {
            let first = index
                .find_tactics(id, filter)
                .into_iter()
                .find(|t| index.tactic(*t).attack_id.eq_ignore_ascii_case(id.trim()))
                .ok_or_else(|| fail(format!("Tactic with id {id} does not exist.")))?;
            tactics.push(first);
        }
    } else {
        return Err(fail(
            "Neither name nor id is provided for getting techniques.".into(),
        ));
    }
    let result = TacticsV1 {
        mitre_tactics: tactics
            .into_iter()
            .map(|t| tactic_v1(index, t, filter))
            .collect(),
    };
    Ok(FunctionOutput {
        result: to_value(&result),
        messages: vec!["starting...".into(), "done...".into()],
    })
}

/// `mitre_technique_information` as the MITRE integration 1.0 answers it: one technique
/// (`mitre_technique_name` wins over `mitre_technique_id`) with `mitre_mitigation`. With
/// `mitre_technique_mitigation_only` the technique fields are left empty, as 1.0 did. A revoked
/// technique is answered with the technique that replaced it.
pub fn mitre_technique_information(
    index: &Index,
    inputs: &Inputs,
) -> Result<FunctionOutput, FunctionError> {
    let fail = |m: String| FunctionError::new(TECHNIQUE_FUNCTION, m);
    let filter = Filter::default();
    let (query, what) = match (
        text_input(inputs, "mitre_technique_name"),
        text_input(inputs, "mitre_technique_id"),
    ) {
        (Some(n), _) => (n, "name"),
        (None, Some(i)) => (i, "id"),
        (None, None) => {
            return Err(fail(
                "Neither name nor id is provided for getting technique information.".into(),
            ))
        }
    };
    let found = index
        .require_techniques(query, filter)
        .map_err(|_| fail(format!("Technique with {what} {query} does not exist.")))?;
    let t = found[0].technique;
    let mitigation = mitigation_text_v1(index, t, filter);
    let mut messages = vec!["starting...".to_string()];
    if let Some(old) = found[0].replaced {
        messages.push(format!(
            "{} is revoked; answering with its replacement {}",
            index.technique(old).attack_id,
            index.technique(t).attack_id
        ));
    }
    messages.push("done...".into());
    let tech = if bool_input(inputs, "mitre_technique_mitigation_only") {
        TechV1 {
            name: text_input(inputs, "mitre_technique_name")
                .unwrap_or_default()
                .to_owned(),
            description: String::new(),
            external_references: vec![UrlRef { url: String::new() }],
            x_mitre_detection: String::new(),
            mitre_tech_id: String::new(),
        }
    } else {
        tech_v1(index, t)
    };
    Ok(FunctionOutput {
        result: to_value(&TechniqueInfoV1 {
            tech,
            mitre_mitigation: mitigation,
        }),
        messages,
    })
}

// ---------------------------------------------------------------------------------------------
// 2.x shapes

/// A technique as 2.x returns it (without the technique-information extras).
pub fn tech_v2(index: &Index, t: TechniqueIdx) -> Value {
    let tech = index.technique(t);
    json!({
        "name": tech.name,
        "description": sanitise(&deprecated_prefix(tech.status, &tech.description)),
        "external_references": references(index, t),
        "x_mitre_detection": sanitise(index.detection(t)),
        "id": tech.attack_id,
        "collection": tech.domain.collection_title(),
    })
}

/// A tactic as 2.x returns it.
pub fn tactic_v2(index: &Index, tactic: TacticIdx, filter: Filter) -> Value {
    let t = index.tactic(tactic);
    let techs: Vec<Value> = index
        .techniques_of(tactic, filter)
        .into_iter()
        .map(|x| tech_v2(index, x))
        .collect();
    json!({
        "name": t.name,
        "id": t.attack_id,
        "ref": t.url(),
        "collection": t.domain.collection_title(),
        "mitre_techniques": techs,
    })
}

/// `mitre_tactic_information` as the MITRE integration 2.x answers it, in the envelope.
///
/// Ids win over names; both are split on `,` and trimmed. A name in several domains gives
/// one entry per domain.
pub fn mitre_tactic_information_v2(
    index: &Index,
    inputs: &Inputs,
) -> Result<FunctionOutput, FunctionError> {
    let start = Instant::now();
    let fail = |m: String| FunctionError::new(TACTIC_FUNCTION, m);
    let filter = Filter::default();
    let mut tactics: Vec<TacticIdx> = Vec::new();
    let (list, by_id) = match (
        text_input(inputs, "mitre_tactic_id"),
        text_input(inputs, "mitre_tactic_name"),
    ) {
        (Some(ids), _) => (ids, true),
        (None, Some(names)) => (names, false),
        (None, None) => {
            return Err(fail(
                "Neither name nor id is provided for getting techniques.".into(),
            ))
        }
    };
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let found: Vec<TacticIdx> = index
            .find_tactics(item, filter)
            .into_iter()
            .filter(|t| !by_id || index.tactic(*t).attack_id.eq_ignore_ascii_case(item))
            .collect();
        if found.is_empty() {
            let what = if by_id { "id" } else { "name" };
            return Err(fail(format!("Tactics with {what} {item} do not exist.")));
        }
        for t in found {
            if !tactics.contains(&t) {
                tactics.push(t);
            }
        }
    }
    let content = json!({
        "mitre_tactics": tactics.into_iter().map(|t| tactic_v2(index, t, filter)).collect::<Vec<_>>(),
    });
    Ok(FunctionOutput {
        result: result_payload(content, inputs, start),
        messages: vec![
            "starting...".into(),
            "query MITRE STIX TAXII server, and it can take several minutes....".into(),
            "done...".into(),
        ],
    })
}

/// `mitre_technique_information` as the MITRE integration 2.x answers it, in the envelope:
/// `content.mitre_techniques[]`, each with `tactic` and `mitre_mitigations[]`.
pub fn mitre_technique_information_v2(
    index: &Index,
    inputs: &Inputs,
) -> Result<FunctionOutput, FunctionError> {
    let start = Instant::now();
    let fail = |m: String| FunctionError::new(TECHNIQUE_FUNCTION, m);
    let filter = Filter::default();
    let name = text_input(inputs, "mitre_technique_name");
    let id = text_input(inputs, "mitre_technique_id");
    let query = match (id, name) {
        (Some(i), _) => i,
        (None, Some(n)) => n,
        (None, None) => {
            return Err(fail(
                "Neither name nor id is provided for getting technique information.".into(),
            ))
        }
    };
    let found = index.require_techniques(query, filter).map_err(|_| {
        fail(format!(
            "Technique with name/id {}/{} can't be found",
            name.unwrap_or("None"),
            id.unwrap_or("None")
        ))
    })?;
    let techniques: Vec<Value> = found
        .iter()
        .map(|r| {
            let t = r.technique;
            let tech = index.technique(t);
            let mut v = tech_v2(index, t);
            let tactics: Vec<String> = index
                .tactics_of(t, filter)
                .into_iter()
                .map(|ta| index.tactic(ta).name.clone())
                .collect();
            let mitigations: Vec<Value> = index
                .mitigations_of(t, filter)
                .into_iter()
                .map(|l| {
                    let m = index.mitigation(l.mitigation);
                    let text = match &l.description {
                        Some(d) => format!("{}\n\n{d}", m.description),
                        None => m.description.clone(),
                    };
                    json!({
                        "description": sanitise(&deprecated_prefix(m.status, &text)),
                        "name": m.name,
                        "id": m.attack_id,
                        "collection": tech.domain.collection_title(),
                    })
                })
                .collect();
            if let Value::Object(map) = &mut v {
                map.insert("tactic".into(), Value::String(tactics.join(", ")));
                map.insert("mitre_mitigations".into(), Value::Array(mitigations));
            }
            v
        })
        .collect();
    Ok(FunctionOutput {
        result: result_payload(json!({ "mitre_techniques": techniques }), inputs, start),
        messages: vec!["starting...".into(), "done...".into()],
    })
}

/// Wrap `content` in the 2.x `ResultPayload` envelope, as resilient-lib builds it.
pub fn result_payload(content: Value, inputs: &Inputs, started: Instant) -> Value {
    json!({
        "version": "1.0",
        "success": true,
        "reason": null,
        "content": content,
        "raw": "",
        "inputs": inputs,
        "metrics": {
            "version": "1.0",
            "package": "fn-mitre-integration",
            "package_version": V2_PACKAGE_VERSION,
            "host": host_name(),
            "execution_time_ms": started.elapsed().as_millis() as u64,
            "timestamp": timestamp_now(),
        },
    })
}

fn deprecated_prefix(status: Status, text: &str) -> String {
    if status == Status::Deprecated {
        format!("Deprecated. {text}")
    } else {
        text.to_owned()
    }
}

/// SOAR rich text as 2.x writes it: Markdown links `[text](url)` become `<a href="url">text</a>`,
/// `<code>` becomes `<tt>`. `(Citation: ...)` stays.
pub fn sanitise(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let (before, from) = rest.split_at(open);
        out.push_str(before);
        let link = from[1..].find(']').and_then(|close| {
            let label = &from[1..1 + close];
            let after = &from[1 + close + 1..];
            let url_end = after.strip_prefix('(')?.find(')')?;
            let url = &after[1..1 + url_end];
            (!label.contains('[') && !url.contains(char::is_whitespace))
                .then(|| (label, url, 1 + close + 1 + 1 + url_end + 1))
        });
        match link {
            Some((label, url, len)) => {
                out.push_str(&format!("<a href=\"{url}\">{label}</a>"));
                rest = &from[len..];
            }
            None => {
                out.push('[');
                rest = &from[1..];
            }
        }
    }
    out.push_str(rest);
    out.replace("<code>", "<tt>").replace("</code>", "</tt>")
}

/// The kernel's host name, as Python's `socket.gethostname()` gives it to the integration
/// (not `$HOSTNAME`, a shell variable most processes never see).
fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .map(|s| s.trim().to_owned())
        .find(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// `2022-09-26 12:56:58` in UTC, as the 2.x metrics show it.
fn timestamp_now() -> String {
    let t = crate::civil::UtcTime::from_system(SystemTime::now());
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

fn to_value<T: Serialize>(v: &T) -> Value {
    // Serialising these plain structs cannot fail; Null would only hide a bug in a test.
    serde_json::to_value(v).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_links_become_anchors() {
        assert_eq!(
            sanitise("use [Proxy](https://attack.mitre.org/techniques/T1090) and <code>x</code> [not a link]"),
            "use <a href=\"https://attack.mitre.org/techniques/T1090\">Proxy</a> and <tt>x</tt> [not a link]"
        );
    }

    #[test]
    fn timestamp_shape() {
        let t = timestamp_now();
        assert_eq!(t.len(), 19, "{t}");
        assert_eq!(&t[4..5], "-");
        assert_eq!(&t[10..11], " ");
    }
}
