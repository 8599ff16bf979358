//! [`SourceMap`]: where each part of a built resource file came from, so that a finding about
//! `/functions/3/export_key` names `functions/fn_x.json:5`, and a syntax error in a step's
//! pre-processing script names its `.py` file and the line in it.

use std::collections::HashMap;

use serde_json::{Map, Value};

/// Where the objects, and the files they refer to, of one source directory are.
#[derive(Debug, Default)]
pub struct SourceMap {
    /// Keep JSON values and XML text to compute line numbers (off for a plain build).
    keep: bool,
    header: Option<Value>,
    /// (list key, index) → the object's file and, when kept, its JSON as written in the file.
    objects: HashMap<(String, usize), (String, Option<Value>)>,
    /// JSON pointer of a member moved to a file → that file and, for XML, its text.
    files: HashMap<String, (String, String)>,
    /// JSON pointer of an XML → the step scripts moved out of it.
    embedded: HashMap<String, Vec<Embedded>>,
}

#[derive(Debug)]
struct Embedded {
    step: Option<String>,
    which: &'static str,
    file: String,
}

impl SourceMap {
    pub(super) fn new(keep: bool) -> Self {
        SourceMap {
            keep,
            ..Default::default()
        }
    }

    pub(super) fn keeps(&self) -> bool {
        self.keep
    }

    /// Add what another map (of other list folders) knows.
    pub(super) fn merge(&mut self, other: SourceMap) {
        self.objects.extend(other.objects);
        self.files.extend(other.files);
        self.embedded.extend(other.embedded);
    }

    pub(super) fn header(&mut self, header: &Map<String, Value>) {
        if self.keep {
            self.header = Some(Value::Object(header.clone()));
        }
    }

    pub(super) fn object(&mut self, key: &str, index: usize, file: String, value: &Value) {
        let kept = self.keep.then(|| value.clone());
        self.objects.insert((key.to_owned(), index), (file, kept));
    }

    pub(super) fn file(&mut self, pointer: &str, file: String, text: &str) {
        let text = if self.keep {
            text.to_owned()
        } else {
            String::new()
        };
        self.files.insert(pointer.to_owned(), (file, text));
    }

    /// A step script put back into the XML at `pointer`; `head` is the XML before it.
    pub(super) fn embedded(&mut self, pointer: &str, head: &str, _name: &str, file: &str) {
        let which = if head.ends_with("\"post_processing_script\":") {
            "post"
        } else {
            "pre"
        };
        self.embedded
            .entry(pointer.to_owned())
            .or_default()
            .push(Embedded {
                step: super::embed::step_id(head),
                which,
                file: file.to_owned(),
            });
    }

    /// The file (relative to the source directory) and line a finding at `pointer` is about.
    /// `message` is the finding's text: a script finding says `..., line N: ...` and names the
    /// step, which picks the `.py` file and its line.
    pub fn locate(&self, pointer: &str, message: &str) -> Option<(String, Option<usize>)> {
        let tokens: Vec<String> = pointer
            .split('/')
            .skip(1)
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect();
        if tokens.is_empty() {
            return None;
        }
        let index = tokens.get(1).and_then(|i| i.parse::<usize>().ok());
        let Some((file, value)) = index.and_then(|i| self.objects.get(&(tokens[0].clone(), i)))
        else {
            let line = self.header.as_ref().map(|h| json_line(h, &tokens));
            return Some((super::HEADER.to_owned(), line));
        };
        // The longest pointer moved to a file that this pointer is in.
        let moved = self
            .files
            .iter()
            .filter(|(p, _)| pointer == p.as_str() || pointer.starts_with(&format!("{p}/")))
            .max_by_key(|(p, _)| p.len());
        if let Some((p, (moved_file, text))) = moved {
            for e in self.embedded.get(p).into_iter().flatten() {
                let label = format!("{}-processing script", e.which);
                let step_named = e.step.as_deref().is_some_and(|s| {
                    message.contains(&format!("({s}) {label}"))
                        || message.contains(&format!("step {s} {label}"))
                });
                if step_named {
                    return Some((e.file.clone(), script_line(message)));
                }
            }
            let line = if moved_file.ends_with(".py") {
                script_line(message)
            } else {
                step_line(text, message)
            };
            return Some((moved_file.clone(), line));
        }
        let line = value.as_ref().map(|v| json_line(v, &tokens[2..]));
        Some((file.clone(), line))
    }
}

/// `..., line N: ...` in a script finding.
fn script_line(message: &str) -> Option<usize> {
    let at = message.find(", line ")? + ", line ".len();
    let digits: String = message[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The line of the step a finding names (`(ServiceTask_1)`) in its XML.
fn step_line(xml: &str, message: &str) -> Option<usize> {
    let open = message.find(") ").or_else(|| message.rfind(')'))?;
    let start = message[..open].rfind('(')? + 1;
    let id = &message[start..open];
    let at = xml.find(&format!(" id=\"{id}\""))?;
    Some(1 + xml[..at].bytes().filter(|b| *b == b'\n').count())
}

/// The line `tokens` point at in `value` written as canonical JSON (`serde_json`'s pretty
/// printer: a scalar or empty container takes one line, a container its members plus two).
/// A pointer that does not resolve stops at the deepest member it reaches.
pub(super) fn json_line(value: &Value, tokens: &[String]) -> usize {
    let mut line = 1;
    let mut v = value;
    for t in tokens {
        let mut at = line + 1;
        let next = match v {
            Value::Object(m) => {
                let mut found = None;
                for (k, child) in m {
                    if k == t {
                        found = Some(child);
                        break;
                    }
                    at += height(child);
                }
                found
            }
            Value::Array(a) => match t.parse::<usize>() {
                Ok(i) if i < a.len() => {
                    at += a[..i].iter().map(height).sum::<usize>();
                    Some(&a[i])
                }
                _ => None,
            },
            _ => None,
        };
        match next {
            Some(child) => {
                line = at;
                v = child;
            }
            None => break,
        }
    }
    line
}

fn height(v: &Value) -> usize {
    match v {
        Value::Object(m) if !m.is_empty() => 2 + m.values().map(height).sum::<usize>(),
        Value::Array(a) if !a.is_empty() => 2 + a.iter().map(height).sum::<usize>(),
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_line_matches_the_canonical_text() {
        let v = serde_json::json!({
            "a": 1,
            "b": {"c": [1, {"d": null, "e": []}, 3], "f": {}},
            "g": "x"
        });
        let text = crate::res::canonical_value(&v).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (pointer, want) in [
            ("/a", "\"a\": 1"),
            ("/b", "\"b\": {"),
            ("/b/c/1/e", "\"e\": []"),
            ("/b/c/2", "3"),
            ("/b/f", "\"f\": {}"),
            ("/g", "\"g\": \"x\""),
        ] {
            let tokens: Vec<String> = pointer.split('/').skip(1).map(str::to_owned).collect();
            let line = json_line(&v, &tokens);
            assert_eq!(
                lines[line - 1].trim().trim_end_matches(','),
                want,
                "{pointer}"
            );
        }
    }

    #[test]
    fn a_script_finding_names_its_line() {
        assert_eq!(script_line("the script, line 12: invalid syntax"), Some(12));
        assert_eq!(script_line("no line here"), None);
        let xml = "<a>\n<serviceTask id=\"S_1\" name=\"x\">\n</a>";
        assert_eq!(step_line(xml, "step 'x' (S_1) calls function 'f'"), Some(2));
    }
}
