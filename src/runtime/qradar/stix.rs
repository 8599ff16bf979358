//! What the offense-analysis function makes of a QRadar Advisor STIX 2.0 bundle: the
//! `observables` list and the HTML `note`, by the rules of the integration's `stix_utils.py`,
//! `stix_tree.py` and `html_gen_visitor.py`.
//!
//! The note is a forest: each relationship hangs its target under its source (or its source above
//! its target); an object reached a second time appears again as a *link* (with a link icon).
//! The integration builds that forest by consuming the bundle's object list in place: every
//! object placed in the tree and every relationship used is removed from it, and the function
//! then returns that same, depleted bundle as `stix`. The saved payload sample shows exactly this
//! (five observables, a note with five objects, a `stix` with one object left), so
//! [`note_html`] takes the object list mutably and leaves it as the integration leaves it.
//!
//! Differences, each where the integration would crash: a relationship naming an object that is
//! not in the bundle is dropped; relationships that can never attach stop the loop instead of
//! spinning; sightings are not drawn (the integration fails on them before drawing).

use serde_json::{json, Value};

/// Object icons, as `resources.py` of the integration (2018-2020 releases) has them.
const ICONS: &[(&str, &str)] = &[
    ("identity", "https://raw.githubusercontent.com/freetaxii/stix2-graphics/master/icons/png_standard/stix2_identity_icon_72dpi_v1.png"),
    ("domain", "https://raw.githubusercontent.com/freetaxii/stix2-graphics/master/icons/png_standard/co2_domain_name_icon_72dpi_v1.png"),
    ("malware", "https://raw.githubusercontent.com/freetaxii/stix2-graphics/master/icons/png_standard/stix2_malware_icon_72dpi_v1.png"),
    ("vulnerability", "https://raw.githubusercontent.com/freetaxii/stix2-graphics/master/icons/png_standard/stix2_vulnerability_icon_72dpi_v1.png"),
    ("observed-data", "https://raw.githubusercontent.com/freetaxii/stix2-graphics/master/icons/png_standard/stix2_observed_data_icon_72dpi_v1.png"),
    ("course-of-action", "https://raw.githubusercontent.com/freetaxii/stix2-graphics/master/icons/png_standard/stix2_course_of_action_icon_72dpi_v1.png"),
    ("tool", "https://raw.githubusercontent.com/freetaxii/stix2-graphics/master/icons/png_standard/stix2_tool_icon_72dpi_v1.png"),
    // sic: the integration's key, so attack-pattern objects show their type instead of an icon
    ("attach-pattern", "https://raw.githubusercontent.com/freetaxii/stix2-graphics/master/icons/png_standard/stix2_attack_pattern_icon_72dpi_v1.png"),
    ("ipv4-addr", "https://raw.githubusercontent.com/freetaxii/stix2-graphics/master/icons/png_standard/co2_ipv4_addr_icon_72dpi_v1.png"),
    ("indicator", "https://raw.githubusercontent.com/freetaxii/stix2-graphics/master/icons/png_standard/stix2_indicator_icon_72dpi_v1.png"),
    ("file", "https://raw.githubusercontent.com/freetaxii/stix2-graphics/master/icons/png_standard/stix2_indicator_icon_72dpi_v1.png"),
    ("domain-name", "https://raw.githubusercontent.com/freetaxii/stix2-graphics/master/icons/png_standard/co2_domain_name_icon_72dpi_v1.png"),
    ("sighting", "https://raw.githubusercontent.com/freetaxii/stix2-graphics/master/icons/png_standard/stix2_sighting_icon_72dpi_v1.png"),
    ("threat-actor", "https://raw.githubusercontent.com/freetaxii/stix2-graphics/master/icons/png_standard/stix2_threat_actor_icon_72dpi_v1.png"),
    ("url", "https://raw.githubusercontent.com/freetaxii/stix2-graphics/master/icons/png_standard/stix2_indicator_icon_72dpi_v1.png"),
];
const LINK_ICON: &str = "https://image.flaticon.com/icons/svg/282/282100.svg";

fn icon(kind: &str) -> Option<&'static str> {
    ICONS.iter().find(|(k, _)| *k == kind).map(|(_, url)| *url)
}

fn str_field<'a>(obj: &'a Value, key: &str) -> &'a str {
    obj.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Python's `str()` of a JSON value as the integration would print it.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The embedded object `"0"` of an `observed-data` object.
fn first_embedded(obj: &Value) -> Option<&Value> {
    obj.get("objects").and_then(|o| o.get("0"))
}

/// What the note and the observables show for an object.
pub fn description(obj: &Value) -> String {
    match str_field(obj, "type") {
        "observed-data" => match first_embedded(obj) {
            Some(inner) => inner
                .get("value")
                .or_else(|| inner.get("name"))
                .or_else(|| inner.get("hashes"))
                .map(text_of)
                .unwrap_or_default(),
            None => String::new(),
        },
        "indicator" => {
            let pattern = str_field(obj, "pattern");
            let strip = |prefix: &str| pattern.replace(prefix, "").replace("']", "");
            match str_field(obj, "name") {
                "IpAddress" => strip("[ipv4-addr:value='"),
                "Url" => strip("[url:value='"),
                "Malicious URL" => strip("[url:value = '"),
                "DomainName" => strip("[domain-name:value='"),
                _ => obj.get("pattern").map(text_of).unwrap_or_default(),
            }
        }
        _ => obj.get("name").map(text_of).unwrap_or_default(),
    }
}

/// The observable type of an object: the embedded object's type for `observed-data`, a type
/// from the indicator's name for the indicators the integration knows, else the STIX type.
pub fn observable_type(obj: &Value) -> String {
    let kind = str_field(obj, "type");
    match kind {
        "observed-data" => first_embedded(obj)
            .map(|inner| str_field(inner, "type").to_string())
            .unwrap_or_default(),
        "indicator" => match str_field(obj, "name") {
            "IpAddress" => "ipv4-addr".into(),
            "Url" => "url".into(),
            "DomainName" => "domain".into(),
            _ => kind.into(),
        },
        _ => kind.into(),
    }
}

/// The `observables` output: one entry per object that is not a relationship.
pub fn observables(objects: &[Value]) -> Vec<Value> {
    objects
        .iter()
        .filter(|o| str_field(o, "type") != "relationship")
        .map(|o| {
            json!({
                "toxicity": str_field(o, "x_ibm_security_toxicity"),
                "relevance": str_field(o, "x_ibm_security_relevance"),
                "description": description(o),
                "type": observable_type(o),
            })
        })
        .collect()
}

/// The note for a result that is a status code instead of a bundle (`{"status_code": 404}`).
pub fn status_note(offense_id: &str, status_code: &Value) -> String {
    let summary = if status_code.as_i64() == Some(404) {
        "This Offense ID has no observables."
    } else {
        "The Offense ID analysis returned an error."
    };
    format!(
        "<p>Watson Offense Analysis result for Offense ID: {offense_id}</p>\
         <br><p><span style=\"font-weight:bold\">QRadar Advisor returned status code '{}'.</span></p>\
         <p><span style=\"font-weight:bold\">{summary}</span></p><br>",
        text_of(status_code)
    )
}

type NodeId = usize;

#[derive(Debug, Clone)]
struct Node {
    id: String,
    kind: String,
    name: String,
    is_link: bool,
    is_root: bool,
    children: Vec<NodeId>,
}

/// The multi-root tree with its nodes in an arena (link nodes are separate copies).
struct Forest {
    nodes: Vec<Node>,
    roots: Vec<NodeId>,
}

impl Forest {
    fn add_node(&mut self, obj: &Value) -> NodeId {
        self.nodes.push(Node {
            id: str_field(obj, "id").to_string(),
            kind: observable_type(obj),
            name: description(obj),
            is_link: false,
            is_root: false,
            children: vec![],
        });
        self.nodes.len() - 1
    }

    fn link_to(&mut self, node: NodeId) -> NodeId {
        let mut copy = self.nodes[node].clone();
        copy.is_link = true;
        copy.is_root = false;
        copy.children = vec![];
        self.nodes.push(copy);
        self.nodes.len() - 1
    }

    fn add_root(&mut self, node: NodeId) {
        self.nodes[node].is_root = true;
        self.roots.push(node);
    }

    fn remove_root(&mut self, node: NodeId) {
        if let Some(pos) = self.roots.iter().position(|r| *r == node) {
            self.roots.remove(pos);
        }
    }

    /// The first node with `id` in pre-order from `start` (links included, as the integration's
    /// `GetNodeVisitor` finds them too).
    fn find_from(&self, start: NodeId, id: &str) -> Option<NodeId> {
        if self.nodes[start].id == id {
            return Some(start);
        }
        self.nodes[start]
            .children
            .iter()
            .find_map(|c| self.find_from(*c, id))
    }

    fn find(&self, id: &str) -> Option<NodeId> {
        self.roots.iter().find_map(|r| self.find_from(*r, id))
    }

    /// The first non-link node in pre-order whose id is `source` or `target`: the node a
    /// relationship visitor acts on.
    fn first_endpoint(&self, start: NodeId, source: &str, target: &str) -> Option<NodeId> {
        let node = &self.nodes[start];
        if !node.is_link && (node.id == source || node.id == target) {
            return Some(start);
        }
        node.children
            .iter()
            .find_map(|c| self.first_endpoint(*c, source, target))
    }

    /// The node for `id`: the one in the tree, or a new node made from (and removed from) the
    /// object list. `(existing, node)`.
    fn extract(&mut self, objects: &mut Vec<Value>, id: &str) -> (bool, Option<NodeId>) {
        if let Some(node) = self.find(id) {
            return (true, Some(node));
        }
        match objects.iter().position(|o| str_field(o, "id") == id) {
            Some(pos) => {
                let obj = objects.remove(pos);
                (false, Some(self.add_node(&obj)))
            }
            None => (false, None),
        }
    }

    /// Apply one relationship to the tree, as the integration's `RelationVisitor`; true when it
    /// was used.
    fn relate(&mut self, objects: &mut Vec<Value>, source: &str, target: &str) -> bool {
        let Some(node) = self
            .roots
            .clone()
            .into_iter()
            .find_map(|r| self.first_endpoint(r, source, target))
        else {
            return false;
        };
        if self.nodes[node].id == source {
            let (existing, target_node) = self.extract(objects, target);
            let Some(target_node) = target_node else {
                return true;
            };
            if existing {
                let merge = self.nodes[target_node].is_root
                    && self.find_from(target_node, source).is_none();
                if merge {
                    self.nodes[target_node].is_root = false;
                    self.nodes[node].children.push(target_node);
                    self.remove_root(target_node);
                } else {
                    let link = self.link_to(target_node);
                    self.nodes[node].children.push(link);
                }
            } else {
                self.nodes[node].children.push(target_node);
            }
        } else {
            let (existing, source_node) = self.extract(objects, source);
            let Some(source_node) = source_node else {
                return true;
            };
            let merge = self.nodes[node].is_root && self.find_from(node, source).is_none();
            if merge {
                self.nodes[source_node].children.push(node);
                self.nodes[node].is_root = false;
                self.remove_root(node);
            } else {
                let link = self.link_to(node);
                self.nodes[source_node].children.push(link);
            }
            if !existing {
                self.add_root(source_node);
            }
        }
        true
    }

    /// One pass over the relationships; true while any relationship is left.
    fn relations_pass(&mut self, objects: &mut Vec<Value>) -> (bool, bool) {
        let mut found = false;
        let mut used_any = false;
        let initial = objects.len();
        // Index-based like Python's list iterator: removals during the pass shift later objects,
        // so some relationships are only reached in the next pass, as in the integration.
        let mut i = 0;
        while i < objects.len() {
            let obj = objects[i].clone();
            if str_field(&obj, "type") == "relationship" {
                found = true;
                let (source, target) =
                    (str_field(&obj, "source_ref"), str_field(&obj, "target_ref"));
                if self.relate(objects, source, target) {
                    used_any = true;
                    if let Some(pos) = objects.iter().position(|o| *o == obj) {
                        objects.remove(pos);
                    }
                }
            }
            i += 1;
        }
        let mut progressed = used_any;
        if found && objects.len() >= initial {
            progressed |= self.missing_relationships(objects);
        }
        (found, progressed)
    }

    /// No relationship attached: make the source of one whose source is nobody's target a new
    /// root, so the next pass can hang things under it.
    fn missing_relationships(&mut self, objects: &mut Vec<Value>) -> bool {
        let rels: Vec<Value> = objects
            .iter()
            .filter(|o| str_field(o, "type") == "relationship")
            .cloned()
            .collect();
        for rel in &rels {
            let source = str_field(rel, "source_ref");
            let is_someones_target = rels
                .iter()
                .any(|o| o != rel && str_field(o, "target_ref") == source);
            if !is_someones_target {
                if let (false, Some(node)) = self.extract(objects, source) {
                    self.add_root(node);
                    return true;
                }
            }
        }
        false
    }

    fn html(&self, node: NodeId, out: &mut String, objects: &mut usize, links: &mut usize) {
        let n = &self.nodes[node];
        if n.is_link {
            *links += 1;
        } else {
            *objects += 1;
        }
        let image = match icon(&n.kind) {
            Some(url) => format!(
                "<img src=\"{url}\" alt=\"{}\" style=\"width:20px; height:20px\"/>",
                n.kind
            ),
            None => n.kind.clone(),
        };
        let link = if n.is_link {
            format!("<img src=\"{LINK_ICON}\" alt=\"link\" style=\"width:15px; height:15px\"/>")
        } else {
            String::new()
        };
        out.push_str(&format!("<li>{image} {}{link}</li>", n.name));
        if !n.children.is_empty() {
            out.push_str("<ul style=\"list-style-type:none\">");
            for child in &n.children {
                self.html(*child, out, objects, links);
            }
            out.push_str("</ul>");
        }
    }
}

/// The note for a bundle's objects; consumes `objects` as the integration does (see the module
/// documentation).
pub fn note_html(objects: &mut Vec<Value>) -> String {
    let mut forest = Forest {
        nodes: vec![],
        roots: vec![],
    };
    let Some(first) = objects
        .iter()
        .find(|o| !matches!(str_field(o, "type"), "relationship" | "sighting"))
        .cloned()
    else {
        // The integration logs "Failed to start up a tree." and then fails; an empty note with
        // the count is the useful answer.
        return "<p>There is 0 object and 0 link.</p>".into();
    };
    let root = forest.add_node(&first);
    forest.add_root(root);
    loop {
        let (found, progressed) = forest.relations_pass(objects);
        if !found || !progressed {
            break;
        }
    }
    let mut html = String::new();
    let (mut n_objects, mut n_links) = (0, 0);
    for root in &forest.roots {
        html.push_str("<ul>");
        forest.html(*root, &mut html, &mut n_objects, &mut n_links);
        html.push_str("</ul>");
    }
    let objects_text = match n_objects {
        0 | 1 => format!("is {n_objects} object"),
        n => format!("are {n} objects"),
    };
    let links_text = match n_links {
        0 | 1 => format!("{n_links} link"),
        n => format!("{n} links"),
    };
    html.push_str(&format!("<p>There {objects_text} and {links_text}.</p>"));
    html
}

/// Observables and note of a bundle; the bundle's `objects` are consumed by the note (see the
/// module documentation).
pub fn observables_and_note(bundle: &mut Value) -> (Vec<Value>, String) {
    let objects = match bundle.get_mut("objects") {
        Some(Value::Array(objects)) => objects,
        _ => {
            let note = note_html(&mut vec![]);
            return (vec![], note);
        }
    };
    let observables = observables(objects);
    let note = note_html(objects);
    (observables, note)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(id: &str, value: &str) -> Value {
        json!({"type": "observed-data", "id": id, "objects": {"0": {"type": "ipv4-addr", "value": value}},
               "x_ibm_security_toxicity": "high", "x_ibm_security_relevance": "medium"})
    }

    fn rel(id: &str, source: &str, target: &str) -> Value {
        json!({"type": "relationship", "id": id, "source_ref": source, "target_ref": target})
    }

    #[test]
    fn descriptions_and_types_follow_stix_utils() {
        let ind = |name: &str, pattern: &str| json!({"type": "indicator", "name": name, "pattern": pattern});
        assert_eq!(
            description(&ind("IpAddress", "[ipv4-addr:value='10.1.2.3']")),
            "10.1.2.3"
        );
        assert_eq!(observable_type(&ind("IpAddress", "x")), "ipv4-addr");
        assert_eq!(
            description(&ind("Url", "[url:value='http://a/b']")),
            "http://a/b"
        );
        assert_eq!(
            description(&ind("Malicious URL", "[url:value = 'http://m']")),
            "http://m"
        );
        assert_eq!(observable_type(&ind("Malicious URL", "x")), "indicator");
        assert_eq!(
            description(&ind("DomainName", "[domain-name:value='ex.org']")),
            "ex.org"
        );
        assert_eq!(observable_type(&ind("DomainName", "x")), "domain");
        assert_eq!(
            description(&ind("Other", "[file:name='a']")),
            "[file:name='a']"
        );
        let file = json!({"type": "observed-data", "objects": {"0": {"type": "file", "name": "evil.exe"}}});
        assert_eq!(
            (description(&file), observable_type(&file)),
            ("evil.exe".into(), "file".into())
        );
        let tactic = json!({"type": "x-mitre-tactic", "name": "Command and Control"});
        assert_eq!(
            observables(&[tactic.clone(), rel("r", "a", "b")]),
            vec![
                json!({"toxicity": "", "relevance": "", "description": "Command and Control", "type": "x-mitre-tactic"})
            ]
        );
    }

    /// Objects placed by relationships; the second reference to an object becomes a link, and
    /// the list is left with what the tree did not consume.
    #[test]
    fn note_builds_the_forest_and_consumes_the_bundle() {
        let user = json!({"type": "identity", "id": "identity--u", "name": "alice",
                          "x_ibm_security_toxicity": "low", "x_ibm_security_relevance": "high"});
        let tactic =
            json!({"type": "x-mitre-tactic", "id": "x-mitre-tactic--t", "name": "Exfiltration"});
        let mut objects = vec![
            user.clone(),
            ip("od--a", "10.0.0.1"),
            ip("od--b", "10.0.0.2"),
            ip("od--c", "10.0.0.3"),
            tactic,
            rel("r1", "identity--u", "od--b"),
            rel("r2", "od--a", "od--b"),
            rel("r3", "od--c", "od--b"),
            rel("r4", "od--a", "x-mitre-tactic--t"),
        ];
        let note = note_html(&mut objects);
        let ipv4 = icon("ipv4-addr").unwrap();
        let li = |kind_icon: &str, alt: &str, name: &str| {
            format!("<li><img src=\"{kind_icon}\" alt=\"{alt}\" style=\"width:20px; height:20px\"/> {name}</li>")
        };
        let link = |name: &str| {
            format!("<li><img src=\"{ipv4}\" alt=\"ipv4-addr\" style=\"width:20px; height:20px\"/> {name}<img src=\"{LINK_ICON}\" alt=\"link\" style=\"width:15px; height:15px\"/></li>")
        };
        let sub = "<ul style=\"list-style-type:none\">";
        let expected = format!(
            "<ul>{}{sub}{}</ul></ul><ul>{}{sub}{}<li>x-mitre-tactic Exfiltration</li></ul></ul><ul>{}{sub}{}</ul></ul><p>There are 5 objects and 2 links.</p>",
            li(icon("identity").unwrap(), "identity", "alice"), li(ipv4, "ipv4-addr", "10.0.0.2"),
            li(ipv4, "ipv4-addr", "10.0.0.1"), link("10.0.0.2"),
            li(ipv4, "ipv4-addr", "10.0.0.3"), link("10.0.0.2"),
        );
        assert_eq!(note, expected);
        assert_eq!(objects, vec![user]);
    }

    #[test]
    fn unattached_relationships_end_the_loop() {
        let mut objects = vec![ip("od--a", "10.0.0.1"), rel("r1", "od--x", "od--y")];
        let note = note_html(&mut objects);
        assert!(
            note.ends_with("<p>There is 1 object and 0 link.</p>"),
            "{note}"
        );
    }

    #[test]
    fn relationship_source_outside_the_tree_becomes_a_root() {
        let mut objects = vec![
            ip("od--a", "10.0.0.1"),
            ip("od--b", "10.0.0.2"),
            ip("od--c", "10.0.0.3"),
            rel("r1", "od--b", "od--c"),
        ];
        let note = note_html(&mut objects);
        assert!(
            note.contains("10.0.0.2</li><ul style=\"list-style-type:none\"><li>"),
            "{note}"
        );
        assert!(
            note.ends_with("<p>There are 3 objects and 0 link.</p>"),
            "{note}"
        );
    }

    #[test]
    fn status_note_says_no_observables_for_404() {
        let note = status_note("23", &json!(404));
        assert!(note.starts_with("<p>Watson Offense Analysis result for Offense ID: 23</p>"));
        assert!(note.contains("QRadar Advisor returned status code '404'."));
        assert!(note.contains("This Offense ID has no observables."));
        assert!(
            status_note("23", &json!(500)).contains("The Offense ID analysis returned an error.")
        );
    }
}
