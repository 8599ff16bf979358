//! The workflow BPMN model: what a SOAR workflow (or playbook) does, read from and written to
//! the XML the SOAR designer stores in `workflows[].content.xml` (`playbooks[].content.xml`).
//!
//! This module owns the XML side of a workflow, so that the rest of respack works on typed
//! steps instead of strings:
//! - [`Process::parse`] reads the XML into a [`Process`]: its id and name, its [`Node`]s (start
//!   and end events, function calls with their [`FunctionBody`], scripts, tasks, sub-workflows,
//!   sub-playbooks, gateways) and its [`SequenceFlow`]s. The validator asks it which objects the
//!   workflow refers to ([`Process::referenced_function_uuids`] and friends), the workflow engine
//!   asks it for the order of the steps ([`Process::step_order`]).
//! - [`Process::to_xml`] writes it back. A process read from XML and not changed is written as
//!   the very text it was read from, so round-tripping an export never touches its workflows;
//!   anything else is written the way the designer writes a workflow, with a simple
//!   left-to-right diagram so that the designer can open it.
//! - [`LinearWorkflow`] builds the start → steps → end workflows the package ships.
//!
//! The reader refuses any DOCTYPE before looking further, so no entity is ever declared or
//! expanded (entity bombs, external entities); references to unknown entities are errors. The
//! layout part of the XML (`bpmndi:BPMNDiagram`) is not modelled: it carries no behaviour.
//!
//! Facts: `reference/res-format.md` §1.5 (workflows), §1.6 (playbooks), §1.7 (references).

mod body;
mod builder;
mod error;
mod parse;
mod write;
mod xml;

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;

pub use body::{EndScript, ExpressionInput, FunctionBody, Input, Member, StaticInput, TextContent};
pub use builder::LinearWorkflow;
pub use error::{BpmnError, ElementRef};

/// Namespace of BPMN 2.0 model elements (the default namespace of every export).
pub const BPMN_NS: &str = "http://www.omg.org/spec/BPMN/20100524/MODEL";
/// Namespace of SOAR's extensions (`resilient:function`, `resilient:type`, …).
pub const RESILIENT_NS: &str = "http://resilient.ibm.com/bpmn";
/// Namespace of `camunda:in`, which passes the context to sub-workflows.
pub const CAMUNDA_NS: &str = "http://camunda.org/schema/1.0/bpmn";

/// One workflow: the `<process>` of a workflow's BPMN.
///
/// Equality compares the model only, not the text a process was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Process {
    /// `process@id`: the workflow's programmatic name (one known export differs; the validator
    /// warns about that, the parser does not).
    pub id: String,
    /// `process@name`: the display name.
    pub name: String,
    /// `<documentation>`: the description. `Some("")` for an empty element.
    pub documentation: Option<String>,
    /// Flow nodes in document order.
    pub nodes: Vec<Node>,
    /// Sequence flows in document order.
    pub flows: Vec<SequenceFlow>,
    /// Designer notes (`<textAnnotation>`), in document order.
    pub annotations: Vec<TextAnnotation>,
    /// Links between notes and nodes (`<association>`), in document order.
    pub associations: Vec<Association>,
    source: Source,
}

/// One flow node of a process.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// `id`, e.g. `ServiceTask_024fq4j`.
    pub id: String,
    /// `name`: the label shown in the designer (function steps: the function's display name).
    pub name: Option<String>,
    /// `resilient:documentation` (playbooks put it on end events and gateways).
    pub documentation: Option<String>,
    /// What the node does.
    pub kind: NodeKind,
}

/// What a node does.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// `<startEvent>`.
    Start,
    /// `<endEvent>`; a sub-playbook's end event may carry its output script.
    End { script: Option<EndScript> },
    /// `<serviceTask resilient:type="function">`: a function call.
    Function(FunctionCall),
    /// `<scriptTask>`: runs the script `uuid` (playbooks: a local script first, then a global one).
    Script {
        uuid: String,
        programmatic_name: Option<String>,
    },
    /// `<userTask>`: creates the task (automatic task template) `programmatic_name` / `uuid`.
    Task {
        programmatic_name: String,
        uuid: String,
    },
    /// `<serviceTask resilient:type="messageDestination">`: the legacy step that posts to a
    /// message destination.
    MessageDestination {
        programmatic_name: String,
        uuid: String,
    },
    /// `<callActivity calledElement>`: runs the workflow whose programmatic name is
    /// `called_element`.
    SubWorkflow { called_element: String },
    /// `<callActivity resilient:type="sub-playbook">`: calls the playbook `uuid`.
    SubPlaybook {
        called_element: String,
        uuid: String,
        name: Option<String>,
        body: FunctionBody,
    },
    /// `<exclusiveGateway>`: one branch, chosen by the flows' conditions, else `default_flow`.
    ExclusiveGateway { default_flow: Option<String> },
    /// `<parallelGateway>`: all branches (playbooks use it as a wait point).
    ParallelGateway,
    /// Any other BPMN element of the process that has an `id` (local name in `tag`).
    Other { tag: String },
}

/// A function step: which function, with which inputs and scripts.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionCall {
    /// `resilient:function@uuid`: the `functions[].uuid` of the called function.
    pub function_uuid: String,
    /// The JSON inside `<resilient:function>`.
    pub body: FunctionBody,
}

/// A `<sequenceFlow>`.
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceFlow {
    pub id: String,
    /// The label, e.g. `Failure` on a gateway branch.
    pub name: Option<String>,
    /// `sourceRef`: id of the node the flow leaves.
    pub source: String,
    /// `targetRef`: id of the node the flow enters.
    pub target: String,
    /// The text of `<conditionExpression>`: SOAR's condition JSON
    /// (`{conditions, custom_condition, logic_type, script_language}`), kept as text.
    pub condition: Option<String>,
}

/// A `<textAnnotation>`: a note on the diagram.
#[derive(Debug, Clone, PartialEq)]
pub struct TextAnnotation {
    pub id: String,
    pub text: String,
}

/// An `<association>` between a note and a node.
#[derive(Debug, Clone, PartialEq)]
pub struct Association {
    pub id: String,
    pub source: String,
    pub target: String,
}

/// The XML a process was read from. Never part of equality: two processes are equal when their
/// models are.
#[derive(Clone, Default)]
struct Source(Option<Arc<str>>);

impl PartialEq for Source {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(xml) => write!(f, "Source({} bytes)", xml.len()),
            None => f.write_str("Source(none)"),
        }
    }
}

impl Process {
    /// An empty process: no nodes, no flows.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Process {
            id: id.into(),
            name: name.into(),
            documentation: None,
            nodes: Vec::new(),
            flows: Vec::new(),
            annotations: Vec::new(),
            associations: Vec::new(),
            source: Source::default(),
        }
    }

    /// Reads a workflow's or playbook's BPMN XML.
    ///
    /// Refuses DOCTYPEs, unknown entities and malformed XML (with the byte position), a root
    /// other than `<definitions>` or not exactly one `<process>`, steps without the attribute or
    /// extension their kind needs (naming the element), bodies whose JSON does not fit
    /// [`FunctionBody`] (naming the JSON path), and ids used twice.
    pub fn parse(xml: &str) -> Result<Process, BpmnError> {
        let mut process = parse::process(&xml::read(xml)?)?;
        process.source = Source(Some(Arc::from(xml)));
        Ok(process)
    }

    /// Writes the process as BPMN XML.
    ///
    /// A process that [`Process::parse`] returned and that was not changed since is written as
    /// the exact text it was read from. Anything else is written the way the SOAR designer
    /// writes it (one line, sorted attributes, bodies as compact JSON with sorted keys) with a
    /// generated left-to-right diagram: same process, same bytes. Fails only on a character XML
    /// 1.0 cannot carry (most C0 control characters) or an `Other` tag that is not an XML name.
    pub fn to_xml(&self) -> Result<String, BpmnError> {
        if let Some(source) = &self.source.0 {
            if xml::read(source)
                .and_then(|root| parse::process(&root))
                .is_ok_and(|original| original == *self)
            {
                return Ok(source.to_string());
            }
        }
        write::process(self)
    }

    /// The XML this process was read from, if it was.
    pub fn source_xml(&self) -> Option<&str> {
        self.source.0.as_deref()
    }

    /// The node with this id.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// Every function step, in document order.
    pub fn function_calls(&self) -> impl Iterator<Item = (&Node, &FunctionCall)> {
        self.nodes.iter().filter_map(|n| match &n.kind {
            NodeKind::Function(call) => Some((n, call)),
            _ => None,
        })
    }

    /// The `functions[].uuid`s the function steps call.
    pub fn referenced_function_uuids(&self) -> BTreeSet<&str> {
        self.function_calls()
            .map(|(_, call)| call.function_uuid.as_str())
            .collect()
    }

    /// The function input field (`__function` field) uuids the function steps give values to.
    /// Sub-playbook inputs are not included: they name playbook fields, not `fields[]`.
    pub fn referenced_input_field_uuids(&self) -> BTreeSet<&str> {
        self.function_calls()
            .flat_map(|(_, call)| call.body.input_map().map(|(uuid, _)| uuid.as_str()))
            .collect()
    }

    /// The select and multiselect value uuids (`fields[].values[].uuid`) chosen in the
    /// function steps' static inputs.
    pub fn referenced_select_value_uuids(&self) -> BTreeSet<&str> {
        let mut out = BTreeSet::new();
        for (_, call) in self.function_calls() {
            for (_, input) in call.body.input_map() {
                let Some(value) = input.static_input.get() else {
                    continue;
                };
                out.extend(value.select_value.as_str());
                out.extend(
                    value
                        .multiselect_value
                        .get()
                        .into_iter()
                        .flatten()
                        .map(String::as_str),
                );
            }
        }
        out
    }

    /// The script uuids the script steps run.
    pub fn script_uuids(&self) -> BTreeSet<&str> {
        self.nodes
            .iter()
            .filter_map(|n| match &n.kind {
                NodeKind::Script { uuid, .. } => Some(uuid.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The tasks the task steps create, as `(programmatic_name, uuid)`, in document order.
    pub fn tasks(&self) -> impl Iterator<Item = (&str, &str)> {
        self.nodes.iter().filter_map(|n| match &n.kind {
            NodeKind::Task {
                programmatic_name,
                uuid,
            } => Some((programmatic_name.as_str(), uuid.as_str())),
            _ => None,
        })
    }

    /// The programmatic names of the workflows the sub-workflow steps call.
    pub fn called_workflows(&self) -> BTreeSet<&str> {
        self.nodes
            .iter()
            .filter_map(|n| match &n.kind {
                NodeKind::SubWorkflow { called_element } => Some(called_element.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The programmatic names of the message destinations the legacy destination steps use.
    pub fn message_destinations(&self) -> BTreeSet<&str> {
        self.nodes
            .iter()
            .filter_map(|n| match &n.kind {
                NodeKind::MessageDestination {
                    programmatic_name, ..
                } => Some(programmatic_name.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The nodes a run visits, from the start event along the sequence flows to an end event,
    /// both included.
    ///
    /// The engine runs linear workflows. At an exclusive gateway this follows the **default
    /// flow** (conditions are not evaluated); a gateway without one, or any other node with
    /// more than one outgoing flow, is an error. So is a flow whose `sourceRef` or `targetRef`
    /// names no node, a flow that leads back to a node already visited, a node other than an
    /// end event with no outgoing flow, and a process without exactly one start event.
    pub fn step_order(&self) -> Result<Vec<&Node>, BpmnError> {
        let index: HashMap<&str, &Node> = self.nodes.iter().map(|n| (n.id.as_str(), n)).collect();
        let mut outgoing: HashMap<&str, Vec<&SequenceFlow>> = HashMap::new();
        for flow in &self.flows {
            for (attribute, end) in [("sourceRef", &flow.source), ("targetRef", &flow.target)] {
                if !index.contains_key(end.as_str()) {
                    return Err(BpmnError::DanglingFlow {
                        flow: flow.id.clone(),
                        attribute,
                        target: end.clone(),
                    });
                }
            }
            outgoing.entry(flow.source.as_str()).or_default().push(flow);
        }
        let starts: Vec<&Node> = self
            .nodes
            .iter()
            .filter(|n| n.kind == NodeKind::Start)
            .collect();
        let [start] = starts[..] else {
            return Err(BpmnError::StartCount {
                found: starts.len(),
            });
        };
        let mut order = vec![start];
        let mut seen: BTreeSet<&str> = BTreeSet::from([start.id.as_str()]);
        let mut node = start;
        loop {
            let flows = outgoing
                .get(node.id.as_str())
                .map_or(&[][..], Vec::as_slice);
            let next = match (&node.kind, flows) {
                (NodeKind::End { .. }, _) => return Ok(order),
                (_, []) => {
                    return Err(BpmnError::DeadEnd {
                        node: node.id.clone(),
                    })
                }
                (_, [only]) => *only,
                (NodeKind::ExclusiveGateway { default_flow }, _) => {
                    let chosen = default_flow
                        .as_deref()
                        .and_then(|id| flows.iter().find(|f| f.id == id));
                    *chosen.ok_or_else(|| BpmnError::NoDefaultFlow {
                        node: node.id.clone(),
                    })?
                }
                (_, many) => {
                    return Err(BpmnError::Fork {
                        node: node.id.clone(),
                        count: many.len(),
                    })
                }
            };
            let Some(&target) = index.get(next.target.as_str()) else {
                return Err(BpmnError::DanglingFlow {
                    flow: next.id.clone(),
                    attribute: "targetRef",
                    target: next.target.clone(),
                });
            };
            if !seen.insert(target.id.as_str()) {
                return Err(BpmnError::Cycle {
                    flow: next.id.clone(),
                    node: target.id.clone(),
                });
            }
            order.push(target);
            node = target;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linear() -> Process {
        LinearWorkflow::new("wf", "Workflow")
            .function_step("one", "f-1", FunctionBody::default())
            .function_step("two", "f-2", FunctionBody::default())
            .build()
    }

    fn flow(id: &str, source: &str, target: &str) -> SequenceFlow {
        SequenceFlow {
            id: id.into(),
            name: None,
            source: source.into(),
            target: target.into(),
            condition: None,
        }
    }

    fn ids(p: &Process) -> Result<Vec<&str>, BpmnError> {
        Ok(p.step_order()?.iter().map(|n| n.id.as_str()).collect())
    }

    #[test]
    fn linear_order() {
        assert_eq!(
            ids(&linear()).unwrap(),
            [
                "StartEvent_1",
                "ServiceTask_1",
                "ServiceTask_2",
                "EndEvent_1"
            ]
        );
    }

    #[test]
    fn dangling_source_and_target_name_the_flow() {
        let mut p = linear();
        p.flows[1].target = "Nowhere".into();
        assert_eq!(
            ids(&p).unwrap_err(),
            BpmnError::DanglingFlow {
                flow: "SequenceFlow_2".into(),
                attribute: "targetRef",
                target: "Nowhere".into()
            }
        );
        let mut p = linear();
        p.flows.push(flow("Stray", "Ghost", "EndEvent_1"));
        let error = ids(&p).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("`Stray` has sourceRef=\"Ghost\""),
            "{error}"
        );
    }

    #[test]
    fn cycle_names_the_closing_flow() {
        let mut p = linear();
        p.flows[2].target = "ServiceTask_1".into();
        assert_eq!(
            ids(&p).unwrap_err(),
            BpmnError::Cycle {
                flow: "SequenceFlow_3".into(),
                node: "ServiceTask_1".into()
            }
        );
    }

    #[test]
    fn exclusive_gateway_follows_its_default_flow() {
        let mut p = linear();
        p.nodes.insert(
            2,
            Node {
                id: "Gate".into(),
                name: None,
                documentation: None,
                kind: NodeKind::ExclusiveGateway {
                    default_flow: Some("ToTwo".into()),
                },
            },
        );
        p.flows[1].target = "Gate".into();
        p.flows.push(flow("ToEnd", "Gate", "EndEvent_1"));
        p.flows.push(flow("ToTwo", "Gate", "ServiceTask_2"));
        assert_eq!(
            ids(&p).unwrap(),
            [
                "StartEvent_1",
                "ServiceTask_1",
                "Gate",
                "ServiceTask_2",
                "EndEvent_1"
            ]
        );

        p.nodes[2].kind = NodeKind::ExclusiveGateway { default_flow: None };
        assert_eq!(
            ids(&p).unwrap_err(),
            BpmnError::NoDefaultFlow {
                node: "Gate".into()
            }
        );
        p.nodes[2].kind = NodeKind::ParallelGateway;
        assert_eq!(
            ids(&p).unwrap_err(),
            BpmnError::Fork {
                node: "Gate".into(),
                count: 2
            }
        );
    }

    #[test]
    fn dead_end_and_start_count() {
        let mut p = linear();
        p.flows.pop();
        assert_eq!(
            ids(&p).unwrap_err(),
            BpmnError::DeadEnd {
                node: "ServiceTask_2".into()
            }
        );
        let mut p = linear();
        p.nodes.remove(0);
        p.flows.remove(0);
        assert_eq!(ids(&p).unwrap_err(), BpmnError::StartCount { found: 0 });
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let mut p = linear();
        p.flows[0].id = "ServiceTask_1".into();
        let xml = p.to_xml().unwrap();
        assert_eq!(
            Process::parse(&xml).unwrap_err(),
            BpmnError::DuplicateId {
                id: "ServiceTask_1".into()
            }
        );
    }

    #[test]
    fn equality_ignores_the_source_text() {
        let p = linear();
        let xml = p.to_xml().unwrap();
        let parsed = Process::parse(&xml).unwrap();
        assert_eq!(parsed, p);
        assert_eq!(parsed.source_xml(), Some(xml.as_str()));
        assert_eq!(p.source_xml(), None);
    }
}
