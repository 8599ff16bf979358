//! From the element tree of `xml.rs` to a [`Process`]: which BPMN element is which step.

use std::collections::HashSet;

use super::body::{self, EndScript, FunctionBody};
use super::xml::Element;
use super::{
    Association, BpmnError, ElementRef, FunctionCall, Node, NodeKind, Process, SequenceFlow,
    TextAnnotation, BPMN_NS, RESILIENT_NS,
};

/// True for BPMN model elements. Hand-written XML without the default namespace declaration is
/// accepted as BPMN too.
fn is_bpmn(element: &Element, name: &str) -> bool {
    element.name == name && matches!(element.ns.as_deref(), None | Some(BPMN_NS))
}

fn element_ref(element: &Element) -> ElementRef {
    ElementRef {
        tag: element.name.clone(),
        id: element.attr("id").map(str::to_owned),
    }
}

fn required(element: &Element, attribute: &'static str) -> Result<String, BpmnError> {
    element
        .attr(attribute)
        .map(str::to_owned)
        .ok_or_else(|| BpmnError::MissingAttribute {
            element: element_ref(element),
            attribute,
        })
}

/// The `<extensionElements><resilient:{name}>` child of a step.
fn extension<'a>(element: &'a Element, name: &str) -> Option<&'a Element> {
    element
        .children
        .iter()
        .filter(|c| is_bpmn(c, "extensionElements"))
        .flat_map(|c| c.children.iter())
        .find(|c| c.is(Some(RESILIENT_NS), name))
}

/// A step's required extension element, with an accessor for its required attributes that
/// names the step in errors.
fn required_extension<'a>(
    element: &'a Element,
    name: &'static str,
) -> Result<Extension<'a>, BpmnError> {
    match extension(element, name) {
        Some(ext) => Ok(Extension {
            step: element,
            name,
            element: ext,
        }),
        None => Err(BpmnError::MissingExtension {
            element: element_ref(element),
            extension: name,
        }),
    }
}

struct Extension<'a> {
    step: &'a Element,
    name: &'static str,
    element: &'a Element,
}

impl Extension<'_> {
    fn required(&self, attribute: &'static str) -> Result<String, BpmnError> {
        self.element
            .attr(attribute)
            .map(str::to_owned)
            .ok_or_else(|| BpmnError::MissingExtensionAttribute {
                element: element_ref(self.step),
                extension: self.name,
                attribute,
            })
    }

    fn attr(&self, attribute: &str) -> Option<String> {
        self.element.attr(attribute).map(str::to_owned)
    }
}

fn json<T: serde::de::DeserializeOwned>(
    step: &Element,
    extension: &Element,
    tag: &'static str,
) -> Result<T, BpmnError> {
    body::from_json(&extension.text).map_err(|(path, message)| BpmnError::Body {
        element: element_ref(step),
        extension: tag,
        path,
        message,
    })
}

pub(super) fn process(root: &Element) -> Result<Process, BpmnError> {
    if !is_bpmn(root, "definitions") {
        return Err(BpmnError::Root {
            found: match &root.ns {
                Some(ns) if ns != BPMN_NS => format!("{} xmlns=\"{ns}\"", root.name),
                _ => root.name.clone(),
            },
        });
    }
    let processes: Vec<&Element> = root
        .children
        .iter()
        .filter(|c| is_bpmn(c, "process"))
        .collect();
    let [element] = processes[..] else {
        return Err(BpmnError::ProcessCount {
            found: processes.len(),
        });
    };

    let mut process = Process::new(required(element, "id")?, required(element, "name")?);
    for child in &element.children {
        if child.ns.as_deref().is_some_and(|ns| ns != BPMN_NS) {
            continue;
        }
        match child.name.as_str() {
            // BPMN allows several; the designer writes one, and the first is the description.
            "documentation" if process.documentation.is_none() => {
                process.documentation = Some(child.text.clone());
            }
            "documentation" => {}
            "sequenceFlow" => process.flows.push(SequenceFlow {
                id: required(child, "id")?,
                name: child.attr("name").map(str::to_owned),
                source: required(child, "sourceRef")?,
                target: required(child, "targetRef")?,
                condition: child
                    .children
                    .iter()
                    .find(|c| is_bpmn(c, "conditionExpression"))
                    .map(|c| c.text.clone()),
            }),
            "textAnnotation" => process.annotations.push(TextAnnotation {
                id: required(child, "id")?,
                text: child
                    .children
                    .iter()
                    .find(|c| is_bpmn(c, "text"))
                    .map(|c| c.text.clone())
                    .unwrap_or_default(),
            }),
            "association" => process.associations.push(Association {
                id: required(child, "id")?,
                source: required(child, "sourceRef")?,
                target: required(child, "targetRef")?,
            }),
            _ if child.attr("id").is_some() => process.nodes.push(node(child)?),
            // Process-level extension elements, lanes without ids and the like: no behaviour.
            _ => {}
        }
    }

    let mut ids = HashSet::new();
    let all_ids = process
        .nodes
        .iter()
        .map(|n| &n.id)
        .chain(process.flows.iter().map(|f| &f.id))
        .chain(process.annotations.iter().map(|a| &a.id))
        .chain(process.associations.iter().map(|a| &a.id));
    for id in all_ids {
        if !ids.insert(id.as_str()) {
            return Err(BpmnError::DuplicateId { id: id.clone() });
        }
    }
    Ok(process)
}

fn node(element: &Element) -> Result<Node, BpmnError> {
    let step_type = element.attr_ns(RESILIENT_NS, "type");
    let kind = match (element.name.as_str(), step_type) {
        ("startEvent", _) => NodeKind::Start,
        ("endEvent", _) => NodeKind::End {
            script: extension(element, "endEvent")
                .map(|ext| json::<EndScript>(element, ext, "resilient:endEvent"))
                .transpose()?,
        },
        ("serviceTask", Some("function")) => {
            let ext = required_extension(element, "function")?;
            NodeKind::Function(FunctionCall {
                function_uuid: ext.required("uuid")?,
                body: json::<FunctionBody>(element, ext.element, "resilient:function")?,
            })
        }
        ("serviceTask", Some("messageDestination")) => {
            let ext = required_extension(element, "messageDestination")?;
            NodeKind::MessageDestination {
                programmatic_name: ext.required("programmaticName")?,
                uuid: ext.required("uuid")?,
            }
        }
        ("scriptTask", _) => {
            let ext = required_extension(element, "script")?;
            NodeKind::Script {
                uuid: ext.required("uuid")?,
                programmatic_name: ext.attr("programmaticName"),
            }
        }
        ("userTask", _) => {
            let ext = required_extension(element, "automaticTask")?;
            NodeKind::Task {
                programmatic_name: ext.required("programmaticName")?,
                uuid: ext.required("uuid")?,
            }
        }
        ("callActivity", Some("sub-playbook")) => {
            let ext = required_extension(element, "sub-playbook")?;
            NodeKind::SubPlaybook {
                called_element: required(element, "calledElement")?,
                uuid: ext.required("uuid")?,
                name: ext.attr("name"),
                body: json::<FunctionBody>(element, ext.element, "resilient:sub-playbook")?,
            }
        }
        ("callActivity", _) => NodeKind::SubWorkflow {
            called_element: required(element, "calledElement")?,
        },
        ("exclusiveGateway", _) => NodeKind::ExclusiveGateway {
            default_flow: element.attr("default").map(str::to_owned),
        },
        ("parallelGateway", _) => NodeKind::ParallelGateway,
        (tag, _) => NodeKind::Other {
            tag: tag.to_owned(),
        },
    };
    Ok(Node {
        id: required(element, "id")?,
        name: element.attr("name").map(str::to_owned),
        documentation: element
            .attr_ns(RESILIENT_NS, "documentation")
            .map(str::to_owned),
        kind,
    })
}
