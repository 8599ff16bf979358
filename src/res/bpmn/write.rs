//! From a [`Process`] to the XML the SOAR designer writes: one line, attributes in sorted
//! order, step bodies as compact JSON with sorted keys, and a generated diagram.
//!
//! The diagram puts each node one column right of the node that first leads to it and stacks
//! nodes that share a column; notes go above the node they are attached to. It is only there so
//! that the designer can open the workflow; nothing reads the coordinates.

use std::collections::{HashMap, VecDeque};

use super::body::to_sorted_json;
use super::xml::is_xml_char;
use super::{BpmnError, Node, NodeKind, Process, BPMN_NS, CAMUNDA_NS, RESILIENT_NS};

const NAMESPACES: [(&str, &str); 6] = [
    ("xmlns:bpmndi", "http://www.omg.org/spec/BPMN/20100524/DI"),
    ("xmlns:omgdc", "http://www.omg.org/spec/DD/20100524/DC"),
    ("xmlns:omgdi", "http://www.omg.org/spec/DD/20100524/DI"),
    ("xmlns:resilient", RESILIENT_NS),
    ("xmlns:xsd", "http://www.w3.org/2001/XMLSchema"),
    ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
];

pub(super) fn process(p: &Process) -> Result<String, BpmnError> {
    let mut out = Out::default();
    out.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");

    // camunda:in only appears in call activities; the designer declares the prefix only then.
    let uses_camunda = p.nodes.iter().any(|n| {
        matches!(
            n.kind,
            NodeKind::SubWorkflow { .. } | NodeKind::SubPlaybook { .. }
        )
    });
    let mut namespaces: Vec<(&str, &str)> = vec![("xmlns", BPMN_NS)];
    namespaces.push(NAMESPACES[0]);
    if uses_camunda {
        namespaces.push(("xmlns:camunda", CAMUNDA_NS));
    }
    namespaces.extend_from_slice(&NAMESPACES[1..]);
    namespaces.push(("targetNamespace", "http://www.camunda.org/test"));
    let attrs: Vec<(&str, Option<&str>)> = namespaces.iter().map(|(k, v)| (*k, Some(*v))).collect();
    out.start("definitions", &attrs, "<definitions>")?;

    let owner = "the process";
    out.start(
        "process",
        &[
            ("id", Some(&p.id)),
            ("isExecutable", Some("true")),
            ("name", Some(&p.name)),
        ],
        owner,
    )?;
    if let Some(doc) = &p.documentation {
        out.leaf("documentation", &[], doc, "the process documentation")?;
    }
    for node in &p.nodes {
        write_node(&mut out, p, node)?;
    }
    for flow in &p.flows {
        let owner = format!("sequence flow `{}`", flow.id);
        let attrs = [
            ("id", Some(flow.id.as_str())),
            ("name", flow.name.as_deref()),
            ("sourceRef", Some(flow.source.as_str())),
            ("targetRef", Some(flow.target.as_str())),
        ];
        match &flow.condition {
            None => out.empty("sequenceFlow", &attrs, &owner)?,
            Some(condition) => {
                out.start("sequenceFlow", &attrs, &owner)?;
                out.start(
                    "conditionExpression",
                    &[
                        ("language", Some("resilient-conditions")),
                        ("xsi:type", Some("tFormalExpression")),
                    ],
                    &owner,
                )?;
                out.cdata(condition, &owner)?;
                out.end("conditionExpression");
                out.end("sequenceFlow");
            }
        }
    }
    for note in &p.annotations {
        let owner = format!("text annotation `{}`", note.id);
        out.start("textAnnotation", &[("id", Some(&note.id))], &owner)?;
        out.leaf("text", &[], &note.text, &owner)?;
        out.end("textAnnotation");
    }
    for link in &p.associations {
        out.empty(
            "association",
            &[
                ("id", Some(&link.id)),
                ("sourceRef", Some(&link.source)),
                ("targetRef", Some(&link.target)),
            ],
            &format!("association `{}`", link.id),
        )?;
    }
    out.end("process");
    write_diagram(&mut out, p)?;
    out.end("definitions");
    Ok(out.buf)
}

fn write_node(out: &mut Out, p: &Process, node: &Node) -> Result<(), BpmnError> {
    let owner = format!("node `{}`", node.id);
    let (tag, step_type, called, default) = match &node.kind {
        NodeKind::Start => ("startEvent", None, None, None),
        NodeKind::End { .. } => ("endEvent", None, None, None),
        NodeKind::Function(_) => ("serviceTask", Some("function"), None, None),
        NodeKind::MessageDestination { .. } => {
            ("serviceTask", Some("messageDestination"), None, None)
        }
        NodeKind::Script { .. } => ("scriptTask", None, None, None),
        NodeKind::Task { .. } => ("userTask", None, None, None),
        NodeKind::SubWorkflow { called_element } => {
            ("callActivity", None, Some(called_element.as_str()), None)
        }
        NodeKind::SubPlaybook { called_element, .. } => (
            "callActivity",
            Some("sub-playbook"),
            Some(called_element.as_str()),
            None,
        ),
        NodeKind::ExclusiveGateway { default_flow } => {
            ("exclusiveGateway", None, None, default_flow.as_deref())
        }
        NodeKind::ParallelGateway => ("parallelGateway", None, None, None),
        NodeKind::Other { tag } => {
            if !is_ncname(tag) {
                return Err(BpmnError::InvalidTag { tag: tag.clone() });
            }
            (tag.as_str(), None, None, None)
        }
    };
    out.start(
        tag,
        &[
            ("calledElement", called),
            ("default", default),
            ("id", Some(&node.id)),
            ("name", node.name.as_deref()),
            ("resilient:documentation", node.documentation.as_deref()),
            ("resilient:type", step_type),
        ],
        &owner,
    )?;

    match &node.kind {
        NodeKind::End {
            script: Some(script),
        } => {
            out.start("extensionElements", &[], &owner)?;
            out.leaf("resilient:endEvent", &[], &json(script), &owner)?;
            out.end("extensionElements");
        }
        NodeKind::Function(call) => {
            out.start("extensionElements", &[], &owner)?;
            out.leaf(
                "resilient:function",
                &[("uuid", Some(&call.function_uuid))],
                &json(&call.body),
                &owner,
            )?;
            out.end("extensionElements");
        }
        NodeKind::MessageDestination {
            programmatic_name,
            uuid,
        } => {
            out.start("extensionElements", &[], &owner)?;
            out.empty(
                "resilient:messageDestination",
                &[
                    ("programmaticName", Some(programmatic_name)),
                    ("uuid", Some(uuid)),
                ],
                &owner,
            )?;
            out.end("extensionElements");
        }
        NodeKind::Script {
            uuid,
            programmatic_name,
        } => {
            out.start("extensionElements", &[], &owner)?;
            out.empty(
                "resilient:script",
                &[
                    ("programmaticName", programmatic_name.as_deref()),
                    ("uuid", Some(uuid)),
                ],
                &owner,
            )?;
            out.end("extensionElements");
        }
        NodeKind::Task {
            programmatic_name,
            uuid,
        } => {
            out.start("extensionElements", &[], &owner)?;
            out.empty(
                "resilient:automaticTask",
                &[
                    ("programmaticName", Some(programmatic_name)),
                    ("uuid", Some(uuid)),
                ],
                &owner,
            )?;
            out.end("extensionElements");
        }
        NodeKind::SubWorkflow { .. } => {
            out.start("extensionElements", &[], &owner)?;
            out.raw(r#"<camunda:in source="RESILIENT_CONTEXT" target="RESILIENT_CONTEXT"/>"#);
            out.end("extensionElements");
        }
        NodeKind::SubPlaybook {
            uuid, name, body, ..
        } => {
            out.start("extensionElements", &[], &owner)?;
            out.leaf(
                "resilient:sub-playbook",
                &[("name", name.as_deref()), ("uuid", Some(uuid))],
                &json(body),
                &owner,
            )?;
            out.raw(r#"<camunda:in source="RESILIENT_CONTEXT" target="RESILIENT_CONTEXT"/>"#);
            out.end("extensionElements");
        }
        NodeKind::Start
        | NodeKind::End { script: None }
        | NodeKind::ExclusiveGateway { .. }
        | NodeKind::ParallelGateway
        | NodeKind::Other { .. } => {}
    }
    for flow in p.flows.iter().filter(|f| f.target == node.id) {
        out.leaf("incoming", &[], &flow.id, &owner)?;
    }
    for flow in p.flows.iter().filter(|f| f.source == node.id) {
        out.leaf("outgoing", &[], &flow.id, &owner)?;
    }
    if let NodeKind::Script { .. } = node.kind {
        // The designer's placeholder: the real script is the one `resilient:script` names.
        out.raw("<script>script</script>");
    }
    out.end(tag);
    Ok(())
}

/// A body as the designer writes it. serde_json leaves U+FFFE and U+FFFF raw, which XML cannot
/// carry; inside JSON they can only be in strings, where `\uXXXX` means the same.
fn json<T: serde::Serialize>(body: &T) -> String {
    to_sorted_json(body)
        .replace('\u{FFFE}', "\\ufffe")
        .replace('\u{FFFF}', "\\uffff")
}

/// Centre and size of a shape on the diagram.
#[derive(Clone, Copy)]
struct Shape {
    cx: i64,
    cy: i64,
    w: i64,
    h: i64,
}

impl Shape {
    fn left(self) -> i64 {
        self.cx - self.w / 2
    }
    fn right(self) -> i64 {
        self.cx + self.w / 2
    }
    fn top(self) -> i64 {
        self.cy - self.h / 2
    }
}

const COLUMN: i64 = 170;
const ROW: i64 = 140;
const ORIGIN_X: i64 = 180;
const ORIGIN_Y: i64 = 200;
const NOTE_W: i64 = 150;
const NOTE_H: i64 = 60;

fn size(kind: &NodeKind) -> (i64, i64) {
    match kind {
        NodeKind::Start | NodeKind::End { .. } => (36, 36),
        NodeKind::ExclusiveGateway { .. } | NodeKind::ParallelGateway => (50, 50),
        _ => (100, 80),
    }
}

/// Columns by breadth-first walk from the start events (then from any node not reached yet),
/// rows by arrival order within a column.
fn layout(p: &Process) -> HashMap<&str, Shape> {
    let mut targets: HashMap<&str, Vec<&str>> = HashMap::new();
    for flow in &p.flows {
        targets
            .entry(flow.source.as_str())
            .or_default()
            .push(flow.target.as_str());
    }
    let kinds: HashMap<&str, &NodeKind> =
        p.nodes.iter().map(|n| (n.id.as_str(), &n.kind)).collect();
    let mut column: HashMap<&str, i64> = HashMap::new();
    let mut rows: HashMap<i64, i64> = HashMap::new();
    let mut shapes = HashMap::new();

    let roots = p
        .nodes
        .iter()
        .filter(|n| n.kind == NodeKind::Start)
        .chain(p.nodes.iter().filter(|n| n.kind != NodeKind::Start));
    let mut next_free_column = 0;
    for root in roots {
        if column.contains_key(root.id.as_str()) {
            continue;
        }
        let start_col = if root.kind == NodeKind::Start {
            0
        } else {
            next_free_column
        };
        let mut queue = VecDeque::from([(root.id.as_str(), start_col)]);
        column.insert(root.id.as_str(), start_col);
        while let Some((id, col)) = queue.pop_front() {
            let kind = kinds.get(id).copied().unwrap_or(&NodeKind::ParallelGateway);
            let (w, h) = size(kind);
            let row = rows.entry(col).or_insert(0);
            shapes.insert(
                id,
                Shape {
                    cx: ORIGIN_X + col * COLUMN,
                    cy: ORIGIN_Y + *row * ROW,
                    w,
                    h,
                },
            );
            *row += 1;
            next_free_column = next_free_column.max(col + 1);
            for &target in targets.get(id).into_iter().flatten() {
                if kinds.contains_key(target) && !column.contains_key(target) {
                    column.insert(target, col + 1);
                    queue.push_back((target, col + 1));
                }
            }
        }
    }
    shapes
}

fn write_diagram(out: &mut Out, p: &Process) -> Result<(), BpmnError> {
    let shapes = layout(p);
    let owner = "the diagram";
    out.start(
        "bpmndi:BPMNDiagram",
        &[("id", Some("BPMNDiagram_1"))],
        owner,
    )?;
    out.start(
        "bpmndi:BPMNPlane",
        &[
            ("bpmnElement", Some("undefined")),
            ("id", Some("BPMNPlane_1")),
        ],
        owner,
    )?;
    for node in &p.nodes {
        if let Some(&shape) = shapes.get(node.id.as_str()) {
            write_shape(out, &node.id, shape.left(), shape.top(), shape.w, shape.h)?;
        }
    }
    for flow in &p.flows {
        let (Some(&from), Some(&to)) = (
            shapes.get(flow.source.as_str()),
            shapes.get(flow.target.as_str()),
        ) else {
            continue;
        };
        let mut points = vec![(from.right(), from.cy)];
        if from.cy != to.cy {
            let middle = (from.right() + to.left()) / 2;
            points.extend([(middle, from.cy), (middle, to.cy)]);
        }
        points.push((to.left(), to.cy));
        write_edge(out, &flow.id, &points)?;
    }

    // Notes sit above the node they are attached to, stacked; unattached ones in a last column.
    let spare_column = shapes.values().map(|s| s.cx).max().unwrap_or(ORIGIN_X) + COLUMN;
    let mut stacked: HashMap<i64, i64> = HashMap::new();
    let mut notes: HashMap<&str, Shape> = HashMap::new();
    for note in &p.annotations {
        let anchor = p.associations.iter().find_map(|a| {
            let other = if a.source == note.id {
                &a.target
            } else if a.target == note.id {
                &a.source
            } else {
                return None;
            };
            shapes.get(other.as_str()).copied()
        });
        let (cx, base) = match anchor {
            Some(node) => (node.cx, node.top() - 40 - NOTE_H / 2),
            None => (spare_column, ORIGIN_Y - 40 - NOTE_H / 2),
        };
        let level = stacked.entry(cx).or_insert(0);
        let shape = Shape {
            cx,
            cy: base - *level * (NOTE_H + 20),
            w: NOTE_W,
            h: NOTE_H,
        };
        *level += 1;
        notes.insert(note.id.as_str(), shape);
        write_shape(out, &note.id, shape.left(), shape.top(), shape.w, shape.h)?;
    }
    for link in &p.associations {
        let end = |id: &str| shapes.get(id).or_else(|| notes.get(id)).copied();
        let (Some(a), Some(b)) = (end(&link.source), end(&link.target)) else {
            continue;
        };
        let (upper, lower) = if a.cy <= b.cy { (a, b) } else { (b, a) };
        let points = [(lower.cx, lower.top()), (upper.cx, upper.cy + upper.h / 2)];
        write_edge(out, &link.id, &points)?;
    }
    out.end("bpmndi:BPMNPlane");
    out.end("bpmndi:BPMNDiagram");
    Ok(())
}

fn write_shape(out: &mut Out, id: &str, x: i64, y: i64, w: i64, h: i64) -> Result<(), BpmnError> {
    let owner = format!("the diagram shape of `{id}`");
    let shape_id = format!("{id}_di");
    out.start(
        "bpmndi:BPMNShape",
        &[("bpmnElement", Some(id)), ("id", Some(&shape_id))],
        &owner,
    )?;
    let (h, w, x, y) = (h.to_string(), w.to_string(), x.to_string(), y.to_string());
    out.empty(
        "omgdc:Bounds",
        &[
            ("height", Some(&h)),
            ("width", Some(&w)),
            ("x", Some(&x)),
            ("y", Some(&y)),
        ],
        &owner,
    )?;
    out.end("bpmndi:BPMNShape");
    Ok(())
}

fn write_edge(out: &mut Out, id: &str, points: &[(i64, i64)]) -> Result<(), BpmnError> {
    let owner = format!("the diagram edge of `{id}`");
    let edge_id = format!("{id}_di");
    out.start(
        "bpmndi:BPMNEdge",
        &[("bpmnElement", Some(id)), ("id", Some(&edge_id))],
        &owner,
    )?;
    for (x, y) in points {
        let (x, y) = (x.to_string(), y.to_string());
        out.empty(
            "omgdi:waypoint",
            &[("x", Some(&x)), ("y", Some(&y))],
            &owner,
        )?;
    }
    out.end("bpmndi:BPMNEdge");
    Ok(())
}

/// An XML name without a prefix, which is all an `Other` node's tag may be.
fn is_ncname(tag: &str) -> bool {
    let mut chars = tag.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The XML text being written. Every string from the model goes through `escape`, which refuses
/// characters XML 1.0 cannot carry and names the place they came from.
#[derive(Default)]
struct Out {
    buf: String,
}

impl Out {
    fn raw(&mut self, s: &str) {
        self.buf.push_str(s);
    }

    fn tag(
        &mut self,
        tag: &str,
        attrs: &[(&str, Option<&str>)],
        owner: &str,
    ) -> Result<(), BpmnError> {
        self.buf.push('<');
        self.buf.push_str(tag);
        for (name, value) in attrs {
            if let Some(value) = value {
                self.buf.push(' ');
                self.buf.push_str(name);
                self.buf.push_str("=\"");
                self.escape(value, true, owner)?;
                self.buf.push('"');
            }
        }
        Ok(())
    }

    fn start(
        &mut self,
        tag: &str,
        attrs: &[(&str, Option<&str>)],
        owner: &str,
    ) -> Result<(), BpmnError> {
        self.tag(tag, attrs, owner)?;
        self.buf.push('>');
        Ok(())
    }

    fn empty(
        &mut self,
        tag: &str,
        attrs: &[(&str, Option<&str>)],
        owner: &str,
    ) -> Result<(), BpmnError> {
        self.tag(tag, attrs, owner)?;
        self.buf.push_str("/>");
        Ok(())
    }

    fn end(&mut self, tag: &str) {
        self.buf.push_str("</");
        self.buf.push_str(tag);
        self.buf.push('>');
    }

    /// `<tag attrs>text</tag>`, or `<tag attrs/>` when the text is empty.
    fn leaf(
        &mut self,
        tag: &str,
        attrs: &[(&str, Option<&str>)],
        text: &str,
        owner: &str,
    ) -> Result<(), BpmnError> {
        if text.is_empty() {
            return self.empty(tag, attrs, owner);
        }
        self.start(tag, attrs, owner)?;
        self.escape(text, false, owner)?;
        self.end(tag);
        Ok(())
    }

    /// CDATA as the designer writes conditions. `]]>` and carriage returns (which parsers turn
    /// into line feeds even inside CDATA) are written outside the section.
    fn cdata(&mut self, text: &str, owner: &str) -> Result<(), BpmnError> {
        check(text, owner)?;
        self.buf.push_str("<![CDATA[");
        let mut rest = text;
        while let Some(i) = rest.find([']', '\r']) {
            let (head, tail) = rest.split_at(i);
            self.buf.push_str(head);
            if let Some(after) = tail.strip_prefix("]]>") {
                self.buf.push_str("]]]]><![CDATA[>");
                rest = after;
            } else if let Some(after) = tail.strip_prefix('\r') {
                self.buf.push_str("]]>&#13;<![CDATA[");
                rest = after;
            } else {
                self.buf.push(']');
                rest = &tail[1..];
            }
        }
        self.buf.push_str(rest);
        self.buf.push_str("]]>");
        Ok(())
    }

    fn escape(&mut self, text: &str, attribute: bool, owner: &str) -> Result<(), BpmnError> {
        check(text, owner)?;
        for c in text.chars() {
            match c {
                '&' => self.buf.push_str("&amp;"),
                '<' => self.buf.push_str("&lt;"),
                '>' => self.buf.push_str("&gt;"),
                '\r' => self.buf.push_str("&#13;"),
                '"' if attribute => self.buf.push_str("&quot;"),
                // Attribute-value normalisation would turn these into spaces.
                '\n' if attribute => self.buf.push_str("&#10;"),
                '\t' if attribute => self.buf.push_str("&#9;"),
                c => self.buf.push(c),
            }
        }
        Ok(())
    }
}

fn check(text: &str, owner: &str) -> Result<(), BpmnError> {
    match text.chars().find(|&c| !is_xml_char(c)) {
        None => Ok(()),
        Some(c) => Err(BpmnError::Unrepresentable {
            what: owner.to_owned(),
            code: c as u32,
        }),
    }
}
