//! [`LinearWorkflow`]: the start → steps → end workflows a package ships, with deterministic
//! element ids (`StartEvent_1`, `ServiceTask_1`, `SequenceFlow_1`, …).

use std::collections::BTreeMap;

use super::{
    Association, FunctionBody, FunctionCall, Node, NodeKind, Process, SequenceFlow, TextAnnotation,
};

/// Builds a linear workflow: one start event, the steps in the order given, one end event, and
/// a sequence flow between each neighbour.
///
/// ```
/// use respack::res::bpmn::{FunctionBody, LinearWorkflow};
///
/// let process = LinearWorkflow::new("my_workflow", "My workflow")
///     .documentation("What it does")
///     .function_step("My function", "744e9c8b-f00f-4a71-9ae6-c3dde388d6fa", FunctionBody::default())
///     .build();
/// let xml = process.to_xml().unwrap();
/// assert!(xml.contains(r#"<serviceTask id="ServiceTask_1" name="My function" resilient:type="function">"#));
/// ```
#[derive(Debug, Clone)]
pub struct LinearWorkflow {
    process: Process,
    steps: Vec<Node>,
    counters: BTreeMap<&'static str, usize>,
}

impl LinearWorkflow {
    /// A workflow with programmatic name `id` and display name `name`, and no steps yet.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        LinearWorkflow {
            process: Process::new(id, name),
            steps: Vec::new(),
            // The start and end events built last are always `_1`.
            counters: BTreeMap::from([("StartEvent", 1), ("EndEvent", 1)]),
        }
    }

    /// The description (`<documentation>`).
    pub fn documentation(mut self, text: impl Into<String>) -> Self {
        self.process.documentation = Some(text.into());
        self
    }

    /// Appends a function step calling the function `function_uuid` with `body`.
    pub fn function_step(
        self,
        name: impl Into<String>,
        function_uuid: impl Into<String>,
        body: FunctionBody,
    ) -> Self {
        self.step(
            name,
            NodeKind::Function(FunctionCall {
                function_uuid: function_uuid.into(),
                body,
            }),
        )
    }

    /// Appends a step of any kind (script, task, sub-workflow, …).
    pub fn step(mut self, name: impl Into<String>, kind: NodeKind) -> Self {
        let prefix = match &kind {
            NodeKind::Start => "StartEvent",
            NodeKind::End { .. } => "EndEvent",
            NodeKind::Function(_) | NodeKind::MessageDestination { .. } => "ServiceTask",
            NodeKind::Script { .. } => "ScriptTask",
            NodeKind::Task { .. } => "UserTask",
            NodeKind::SubWorkflow { .. } | NodeKind::SubPlaybook { .. } => "CallActivity",
            NodeKind::ExclusiveGateway { .. } => "ExclusiveGateway",
            NodeKind::ParallelGateway => "ParallelGateway",
            NodeKind::Other { .. } => "Node",
        };
        let id = self.next_id(prefix);
        self.steps.push(Node {
            id,
            name: Some(name.into()),
            documentation: None,
            kind,
        });
        self
    }

    /// Attaches a note (shown next to the step in the designer) to the last step appended, or
    /// to the start event when there is none yet.
    pub fn note(mut self, text: impl Into<String>) -> Self {
        let node = match self.steps.last() {
            Some(step) => step.id.clone(),
            None => "StartEvent_1".to_owned(),
        };
        let id = self.next_id("TextAnnotation");
        let link = self.next_id("Association");
        self.process.associations.push(Association {
            id: link,
            source: node,
            target: id.clone(),
        });
        self.process.annotations.push(TextAnnotation {
            id,
            text: text.into(),
        });
        self
    }

    /// The finished process.
    pub fn build(mut self) -> Process {
        let start = Node {
            id: "StartEvent_1".to_owned(),
            name: None,
            documentation: None,
            kind: NodeKind::Start,
        };
        let end = Node {
            id: "EndEvent_1".to_owned(),
            name: None,
            documentation: None,
            kind: NodeKind::End { script: None },
        };
        let nodes: Vec<Node> = std::iter::once(start)
            .chain(std::mem::take(&mut self.steps))
            .chain(std::iter::once(end))
            .collect();
        for pair in nodes.windows(2) {
            let id = self.next_id("SequenceFlow");
            self.process.flows.push(SequenceFlow {
                id,
                name: None,
                source: pair[0].id.clone(),
                target: pair[1].id.clone(),
                condition: None,
            });
        }
        self.process.nodes = nodes;
        self.process
    }

    fn next_id(&mut self, prefix: &'static str) -> String {
        let n = self.counters.entry(prefix).or_insert(0);
        *n += 1;
        format!("{prefix}_{n}")
    }
}
