//! Pre- and post-processing scripts inside workflow and playbook XML, as files of their own.
//!
//! SOAR keeps a function step's scripts as JSON strings inside the step's
//! `<resilient:function>` element: `{"inputs":{...},"pre_processing_script":"x = 1\n..."}`. A
//! reviewer cannot read Python through JSON escapes, so unpack moves each script's text to a
//! `.py` file and leaves `"$file:<name>.py"` in its place; build puts back the JSON string
//! literal.
//!
//! Byte identity comes first: a script is moved out only when [`encode`] of its text gives back
//! the literal exactly as SOAR wrote it (serde_json's string escapes, then `&`, `<`, `>` as XML
//! entities), and no script of an XML is moved out when the XML already holds the text `$file:`
//! (build could not tell ours from its own). Anything else stays inline, untouched.

use std::ops::Range;

/// What stands for a script's JSON string in a `.bpmn` file: `"$file:<name>"`.
pub const PLACEHOLDER: &str = "$file:";

const KEYS: [(&str, &str); 2] = [
    ("\"pre_processing_script\":\"", "pre"),
    ("\"post_processing_script\":\"", "post"),
];

/// One script found in an XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embedded {
    /// `pre` or `post`.
    pub which: &'static str,
    /// The id of the step (service task or call activity) the script belongs to, when found.
    pub step: Option<String>,
    pub text: String,
    /// The JSON string literal with its quotes, in the XML.
    pub range: Range<usize>,
}

/// The scripts of `xml` that can be moved out without changing a byte, in document order.
pub fn find(xml: &str) -> Vec<Embedded> {
    if xml.contains(PLACEHOLDER) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (key, which) in KEYS {
        for pos in memchr::memmem::find_iter(xml.as_bytes(), key.as_bytes()) {
            let start = pos + key.len();
            let Some(len) = literal_len(&xml.as_bytes()[start..]) else {
                continue;
            };
            let raw = &xml[start..start + len];
            let Some(text) = decode(raw) else { continue };
            if encode(&text) != raw {
                continue;
            }
            out.push(Embedded {
                which,
                step: step_id(&xml[..pos]),
                text,
                range: start - 1..start + len + 1,
            });
        }
    }
    out.sort_by_key(|e| e.range.start);
    out
}

/// The length of a JSON string literal's body (up to its closing quote), if it closes before
/// the element does.
fn literal_len(bytes: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            b'<' => return None,
            _ => i += 1,
        }
    }
    None
}

fn decode(raw: &str) -> Option<String> {
    let json = quick_xml::escape::unescape(raw).ok()?;
    serde_json::from_str::<String>(&format!("\"{json}\"")).ok()
}

/// A script's text as the body of the JSON string literal SOAR writes in the XML.
pub fn encode(text: &str) -> String {
    let json = serde_json::to_string(text).unwrap_or_default();
    let body = &json[1..json.len() - 1];
    let mut out = String::with_capacity(body.len());
    for c in body.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The id of the last step element opened before `head` ends.
pub(super) fn step_id(head: &str) -> Option<String> {
    let at = ["serviceTask ", "callActivity "]
        .iter()
        .filter_map(|t| head.rfind(t))
        .max()?;
    let tag = &head[at..];
    let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
    let id = tag.split(" id=\"").nth(1)?;
    Some(id[..id.find('"')?].to_owned())
}

/// The `"$file:<name>"` placeholders of a `.bpmn` file: the range of each (quotes included)
/// and the name.
pub fn placeholders(bpmn: &str) -> Vec<(Range<usize>, &str)> {
    let needle = format!("\"{PLACEHOLDER}");
    let mut out = Vec::new();
    for pos in memchr::memmem::find_iter(bpmn.as_bytes(), needle.as_bytes()) {
        let start = pos + needle.len();
        if let Some(len) = bpmn[start..].find('"') {
            out.push((pos..start + len + 1, &bpmn[start..start + len]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = r#"<serviceTask id="ServiceTask_1" name="F"><extensionElements><resilient:function uuid="u">{"inputs":{},"post_processing_script":"if a &lt; 1:\n  note(\"x\")","pre_processing_script":"inputs.x = 1","result_name":""}</resilient:function></extensionElements></serviceTask>"#;

    #[test]
    fn scripts_are_found_with_their_step_and_put_back_byte_for_byte() {
        let found = find(XML);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].which, "post");
        assert_eq!(found[0].text, "if a < 1:\n  note(\"x\")");
        assert_eq!(found[0].step.as_deref(), Some("ServiceTask_1"));
        assert_eq!(found[1].text, "inputs.x = 1");
        for e in &found {
            assert_eq!(format!("\"{}\"", encode(&e.text)), XML[e.range.clone()]);
        }
    }

    #[test]
    fn a_literal_written_another_way_stays_inline() {
        // `\u0041` is a valid JSON escape serde_json would not write: moving it out would change
        // the bytes on the way back.
        let xml = r#"<serviceTask id="S">{"pre_processing_script":"\u0041"}</serviceTask>"#;
        assert!(find(xml).is_empty());
        let with_marker =
            r#"<serviceTask id="S">{"pre_processing_script":"$file:x"}</serviceTask>"#;
        assert!(find(with_marker).is_empty());
    }
}
