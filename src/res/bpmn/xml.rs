//! A small, strict XML reader: quick-xml events folded into an element tree with resolved
//! namespaces, refusing DOCTYPEs and unknown entities before anything is interpreted.
//!
//! Workflow XML is a few kilobytes to a few hundred, so a tree is cheap and keeps the BPMN
//! interpretation in `parse.rs` free of reader state.

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use super::BpmnError;

/// Deeper than any workflow (the designer's deepest path is 6 levels); also bounds the recursion
/// of dropping the tree.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Default)]
pub(super) struct Element {
    /// Namespace URI, `None` when unbound.
    pub ns: Option<String>,
    /// Local name.
    pub name: String,
    /// (namespace URI, local name, unescaped value).
    pub attrs: Vec<(Option<String>, String, String)>,
    pub children: Vec<Element>,
    /// All text and CDATA directly inside, concatenated.
    pub text: String,
    /// Byte offset of the start tag.
    pub position: u64,
}

impl Element {
    /// The value of an attribute without namespace.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(ns, n, _)| ns.is_none() && n == name)
            .map(|(_, _, v)| v.as_str())
    }

    /// The value of an attribute in namespace `ns`.
    pub fn attr_ns(&self, ns: &str, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n_ns, n, _)| n_ns.as_deref() == Some(ns) && n == name)
            .map(|(_, _, v)| v.as_str())
    }

    /// True when the element is `name` in namespace `ns` (`None`: no namespace).
    pub fn is(&self, ns: Option<&str>, name: &str) -> bool {
        self.ns.as_deref() == ns && self.name == name
    }
}

/// Reads `xml` into its root element.
pub(super) fn read(xml: &str) -> Result<Element, BpmnError> {
    let mut reader = NsReader::from_str(xml);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let position = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(error) => return Err(malformed(&reader, error)),
        };
        match event {
            Event::DocType(_) => return Err(BpmnError::Doctype { position }),
            Event::Start(_) | Event::Empty(_) if stack.len() >= MAX_DEPTH => {
                return Err(BpmnError::TooDeep {
                    limit: MAX_DEPTH,
                    position,
                });
            }
            Event::Start(start) => {
                let element = open(&reader, &start, position)?;
                stack.push(element);
            }
            Event::Empty(start) => {
                let element = open(&reader, &start, position)?;
                close(element, &mut stack, &mut root, position)?;
            }
            Event::End(_) => {
                // quick-xml has already checked that the end tag matches the open one.
                let Some(element) = stack.pop() else {
                    return Err(BpmnError::Malformed {
                        position,
                        message: "end tag without a start tag".into(),
                    });
                };
                close(element, &mut stack, &mut root, position)?;
            }
            Event::Text(text) => {
                let value = text.unescape().map_err(|e| escape_error(e, position))?;
                check_chars(&value, position)?;
                match stack.last_mut() {
                    Some(top) => top.text.push_str(&value),
                    None if value.trim().is_empty() => {}
                    None => {
                        return Err(BpmnError::Malformed {
                            position,
                            message: "text outside the root element".into(),
                        })
                    }
                }
            }
            Event::CData(data) => {
                let value = std::str::from_utf8(&data).map_err(|e| BpmnError::Malformed {
                    position,
                    message: e.to_string(),
                })?;
                check_chars(value, position)?;
                match stack.last_mut() {
                    Some(top) => top.text.push_str(value),
                    None => {
                        return Err(BpmnError::Malformed {
                            position,
                            message: "CDATA outside the root element".into(),
                        })
                    }
                }
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    // The innermost open element is where the text was cut.
    if let Some(open) = stack.pop() {
        return Err(BpmnError::Unclosed {
            tag: open.name,
            position: open.position,
        });
    }
    root.ok_or(BpmnError::Malformed {
        position: xml.len() as u64,
        message: "no root element".into(),
    })
}

fn open(
    reader: &NsReader<&[u8]>,
    start: &BytesStart<'_>,
    position: u64,
) -> Result<Element, BpmnError> {
    let (resolved, _) = reader.resolve_element(start.name());
    let ns = namespace(resolved, position)?;
    let name = utf8(start.local_name().as_ref(), position)?;
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| BpmnError::Malformed {
            position,
            message: e.to_string(),
        })?;
        if attr.key.as_namespace_binding().is_some() {
            continue;
        }
        let (resolved, local) = reader.resolve_attribute(attr.key);
        let attr_ns = namespace(resolved, position)?;
        let value = attr
            .unescape_value()
            .map_err(|e| escape_error(e, position))?;
        check_chars(&value, position)?;
        attrs.push((attr_ns, utf8(local.as_ref(), position)?, value.into_owned()));
    }
    Ok(Element {
        ns,
        name,
        attrs,
        position,
        ..Element::default()
    })
}

fn close(
    element: Element,
    stack: &mut [Element],
    root: &mut Option<Element>,
    position: u64,
) -> Result<(), BpmnError> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None if root.is_none() => *root = Some(element),
        None => {
            return Err(BpmnError::Malformed {
                position,
                message: "more than one root element".into(),
            })
        }
    }
    Ok(())
}

fn namespace(resolved: ResolveResult<'_>, position: u64) -> Result<Option<String>, BpmnError> {
    match resolved {
        ResolveResult::Unbound => Ok(None),
        ResolveResult::Bound(ns) => Ok(Some(utf8(ns.as_ref(), position)?)),
        ResolveResult::Unknown(prefix) => Err(BpmnError::UndeclaredPrefix {
            prefix: String::from_utf8_lossy(&prefix).into_owned(),
            position,
        }),
    }
}

fn utf8(bytes: &[u8], position: u64) -> Result<String, BpmnError> {
    String::from_utf8(bytes.to_vec()).map_err(|e| BpmnError::Malformed {
        position,
        message: e.to_string(),
    })
}

fn malformed(reader: &NsReader<&[u8]>, error: quick_xml::Error) -> BpmnError {
    match error {
        quick_xml::Error::Escape(e) => {
            escape_error(quick_xml::Error::Escape(e), reader.error_position())
        }
        other => BpmnError::Malformed {
            position: reader.error_position(),
            message: other.to_string(),
        },
    }
}

fn escape_error(error: quick_xml::Error, position: u64) -> BpmnError {
    use quick_xml::escape::EscapeError;
    match error {
        quick_xml::Error::Escape(EscapeError::UnrecognizedEntity(range, entity)) => {
            BpmnError::UnknownEntity {
                entity,
                // The range is the entity's name; point at its `&`.
                position: position + range.start.saturating_sub(1) as u64,
            }
        }
        other => BpmnError::Malformed {
            position,
            message: other.to_string(),
        },
    }
}

/// XML 1.0 allows no other control characters, not even as `&#1;`; refusing them here means
/// whatever was read can be written again.
fn check_chars(text: &str, position: u64) -> Result<(), BpmnError> {
    match text.chars().find(|&c| !is_xml_char(c)) {
        None => Ok(()),
        Some(c) => Err(BpmnError::Malformed {
            position,
            message: format!("the character U+{:04X} is not allowed in XML 1.0", c as u32),
        }),
    }
}

/// The `Char` production of XML 1.0.
pub(super) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}
