//! [`BpmnError`]: everything that can go wrong reading, walking or writing workflow XML.

use std::fmt;

/// A BPMN element named in an error: its tag and, when it has one, its `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementRef {
    /// Local name of the element, e.g. `serviceTask`.
    pub tag: String,
    /// Its `id` attribute, when present.
    pub id: Option<String>,
}

impl fmt::Display for ElementRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.id {
            Some(id) => write!(f, "<{} id=\"{}\">", self.tag, id),
            None => write!(f, "<{}>", self.tag),
        }
    }
}

/// Why a workflow's BPMN could not be read, walked or written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BpmnError {
    /// A `<!DOCTYPE`: SOAR never writes one, and refusing it is what keeps entity declarations
    /// (entity bombs, external entities) out.
    #[error("the workflow XML has a DOCTYPE declaration at byte {position}; DOCTYPEs (and with them entity declarations) are refused")]
    Doctype { position: u64 },

    /// An entity reference other than the five XML ones and character references.
    #[error("the workflow XML refers to the unknown entity `&{entity};` at byte {position}; only &lt; &gt; &amp; &quot; &apos; and character references are allowed")]
    UnknownEntity { entity: String, position: u64 },

    /// The text is not well-formed XML.
    #[error("the workflow XML is malformed at byte {position}: {message}")]
    Malformed { position: u64, message: String },

    /// The input ended inside an element.
    #[error("the workflow XML ends before <{tag}> (opened at byte {position}) is closed")]
    Unclosed { tag: String, position: u64 },

    /// Elements nested deeper than any workflow needs; refused so that hostile input cannot
    /// exhaust the stack.
    #[error("the workflow XML nests elements deeper than {limit} levels at byte {position}")]
    TooDeep { limit: usize, position: u64 },

    /// A namespace prefix used without an `xmlns:` declaration.
    #[error("the workflow XML uses the namespace prefix `{prefix}` without declaring it (at byte {position})")]
    UndeclaredPrefix { prefix: String, position: u64 },

    /// The document element is not BPMN `<definitions>`.
    #[error("the workflow XML's root element is <{found}>; expected <definitions> in the BPMN 2.0 model namespace")]
    Root { found: String },

    /// `<definitions>` must hold exactly one `<process>`.
    #[error("<definitions> must contain exactly one <process>, found {found}")]
    ProcessCount { found: usize },

    /// A required attribute is missing.
    #[error("{element} has no `{attribute}` attribute")]
    MissingAttribute {
        element: ElementRef,
        attribute: &'static str,
    },

    /// A step's `resilient:` extension element lacks a required attribute.
    #[error("{element}: <resilient:{extension}> has no `{attribute}` attribute")]
    MissingExtensionAttribute {
        element: ElementRef,
        extension: &'static str,
        attribute: &'static str,
    },

    /// A step lacks the `resilient:` extension element its kind requires.
    #[error("{element} has no <extensionElements><resilient:{extension}> child")]
    MissingExtension {
        element: ElementRef,
        extension: &'static str,
    },

    /// The JSON inside `<resilient:function>` (or `sub-playbook`, `endEvent`) does not fit the
    /// model.
    #[error("{element}: the JSON in <{extension}> is invalid at `{path}`: {message}")]
    Body {
        element: ElementRef,
        extension: &'static str,
        path: String,
        message: String,
    },

    /// Two elements of the process share an id.
    #[error("the id `{id}` is used by more than one element of the process")]
    DuplicateId { id: String },

    /// A sequence flow points at a node that does not exist.
    #[error(
        "sequence flow `{flow}` has {attribute}=\"{target}\", which is not a node of the process"
    )]
    DanglingFlow {
        flow: String,
        attribute: &'static str,
        target: String,
    },

    /// Following the sequence flows came back to a node already visited.
    #[error("sequence flow `{flow}` closes a cycle: its target `{node}` was already reached")]
    Cycle { flow: String, node: String },

    /// No start event, or more than one.
    #[error("the process has {found} start events; a runnable workflow has exactly one")]
    StartCount { found: usize },

    /// A node the walk reached has several outgoing flows and no rule to pick one.
    #[error("node `{node}` has {count} outgoing sequence flows; only linear workflows (and exclusive gateways with a default flow) can be run")]
    Fork { node: String, count: usize },

    /// An exclusive gateway without `default`: which branch runs depends on conditions.
    #[error("exclusive gateway `{node}` has no default flow, so its branch depends on conditions that are not evaluated here")]
    NoDefaultFlow { node: String },

    /// The walk stopped at a node that is not an end event.
    #[error("node `{node}` has no outgoing sequence flow but is not an end event")]
    DeadEnd { node: String },

    /// A string holds a character XML 1.0 cannot carry, even as a character reference.
    #[error("{what} contains the character U+{code:04X}, which XML 1.0 cannot represent")]
    Unrepresentable { what: String, code: u32 },

    /// An element name that is not a valid XML name (an `Other` node built by hand).
    #[error("`{tag}` is not a valid XML element name")]
    InvalidTag { tag: String },
}

impl crate::help::Help for BpmnError {
    fn help(&self) -> Option<String> {
        use BpmnError::*;
        Some(match self {
            Doctype { .. } | UnknownEntity { .. } => {
                "SOAR's workflow designer never writes DOCTYPEs or custom entities: re-export the workflow from SOAR".into()
            }
            Malformed { .. } | Unclosed { .. } | TooDeep { .. } | UndeclaredPrefix { .. } => {
                "the workflow's `content.xml` is damaged: re-export the workflow from SOAR".into()
            }
            Root { .. } | ProcessCount { .. } | MissingAttribute { .. } | MissingExtensionAttribute { .. } | MissingExtension { .. }
            | DuplicateId { .. } | Body { .. } => {
                "open the workflow in the SOAR workflow designer, fix the named element and save it, then export again".into()
            }
            DanglingFlow { .. } | Cycle { .. } | StartCount { .. } | Fork { .. }
            | NoDefaultFlow { .. } | DeadEnd { .. } => {
                "respack runs linear workflows (start, steps, end); run this one on SOAR instead".into()
            }
            Unrepresentable { .. } | InvalidTag { .. } => {
                "remove control characters from names, descriptions and scripts before building the workflow".into()
            }
        })
    }
}
