//! Customization Settings: the org's rules, workflows (with their steps as text), functions,
//! data tables and message destinations.

use askama::Template;
use axum::extract::{Path, State};
use serde_json::{json, Value};

use super::{columns, html, or_dash, see_other, str_of, text, Nav, Page};
use crate::plan::{workflow_text, Names};
use crate::server::kinds::Kind;
use crate::server::store::StoredObject;
use crate::server::web::session::Session;
use crate::server::web::{Web, WebError};

/// The Customization Settings tabs: `(path segment, label, kind)`.
pub const CUSTOMIZE: [(&str, &str, Kind); 5] = [
    ("rules", "Rules", Kind::Rule),
    ("workflows", "Workflows", Kind::Workflow),
    ("functions", "Functions", Kind::Function),
    ("data-tables", "Data Tables", Kind::DataTable),
    (
        "message-destinations",
        "Message Destinations",
        Kind::MessageDestination,
    ),
];

/// One object on a Customization Settings tab.
pub struct ObjectView {
    pub title: String,
    pub api_name: String,
    pub facts: Vec<(String, String)>,
    /// Preformatted text (a workflow's steps).
    pub text: Option<String>,
}

#[derive(Template)]
#[template(path = "web/customize.html")]
pub struct CustomizePage {
    pub nav: Nav,
    pub tabs: Vec<(&'static str, &'static str)>,
    pub current: &'static str,
    pub objects: Vec<ObjectView>,
}

fn conditions_text(rule: &Value) -> String {
    let list: Vec<String> = rule
        .get("conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            let v = text(c.get("value"));
            format!(
                "{} {}{}",
                str_of(c, "field_name"),
                str_of(c, "method").replace('_', " "),
                if v.is_empty() {
                    String::new()
                } else {
                    format!(" {v}")
                }
            )
        })
        .collect();
    if list.is_empty() {
        "—".into()
    } else {
        list.join("; ")
    }
}

fn object_view(kind: Kind, o: &StoredObject, names: &Names) -> ObjectView {
    let b = &o.body;
    let title = [str_of(b, "display_name"), str_of(b, "name")]
        .into_iter()
        .find(|s| !s.is_empty())
        .unwrap_or(&o.api_name)
        .to_string();
    let mut facts = Vec::new();
    let mut text_block = None;
    match kind {
        Kind::Rule => {
            facts.push(("Object type".into(), or_dash(text(b.get("object_type")))));
            let manual = b.get("type").and_then(Value::as_i64) != Some(0);
            facts.push((
                "Type".into(),
                if manual { "Menu item" } else { "Automatic" }.into(),
            ));
            facts.push(("Conditions".into(), conditions_text(b)));
            facts.push(("Workflows".into(), or_dash(text(b.get("workflows")))));
        }
        Kind::Workflow => {
            facts.push(("Object type".into(), or_dash(text(b.get("object_type")))));
            facts.push(("Description".into(), or_dash(text(b.get("description")))));
            let xml = b
                .get("content")
                .and_then(|c| c.get("xml"))
                .and_then(Value::as_str)
                .unwrap_or("");
            text_block = Some(
                workflow_text(xml, names)
                    .unwrap_or_else(|| "(the workflow's XML does not parse)".into()),
            );
        }
        Kind::Function => {
            facts.push((
                "Message destination".into(),
                or_dash(text(b.get("destination_handle"))),
            ));
            let inputs: Vec<String> = b
                .get("view_items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| v.get("content").and_then(Value::as_str))
                .map(|u| {
                    names
                        .fields
                        .get(u)
                        .cloned()
                        .unwrap_or_else(|| u.to_string())
                })
                .collect();
            facts.push(("Inputs".into(), or_dash(inputs.join(", "))));
            facts.push(("Description".into(), or_dash(text(b.get("description")))));
        }
        Kind::DataTable => {
            let cols: Vec<String> = columns(b)
                .into_iter()
                .map(|(name, label, _)| format!("{label} ({name})"))
                .collect();
            facts.push(("Columns".into(), or_dash(cols.join(", "))));
        }
        _ => {
            facts.push((
                "Programmatic name".into(),
                or_dash(text(b.get("programmatic_name"))),
            ));
            facts.push((
                "Expect acknowledgement".into(),
                or_dash(text(b.get("expect_ack"))),
            ));
        }
    }
    ObjectView {
        title,
        api_name: o.api_name.clone(),
        facts,
        text: text_block,
    }
}

/// `GET /orgs/{org}/customize`: its first tab.
pub async fn customize_default(session: Session, Path(org): Path<i64>) -> Page {
    let org = session.org(org)?;
    Ok(see_other(format!("/orgs/{}/customize/rules", org.id)))
}

/// `GET /orgs/{org}/customize/{what}`: rules, workflows (with their steps), functions, data
/// tables or message destinations.
pub async fn customize(
    State(web): State<Web>,
    session: Session,
    Path((org, what)): Path<(i64, String)>,
) -> Page {
    let org = session.org(org)?;
    let (current, _, kind) = CUSTOMIZE
        .iter()
        .find(|(seg, _, _)| *seg == what)
        .copied()
        .ok_or_else(|| WebError::NotFound(format!("customization tab {what:?}")))?;
    let org_id = org.id;
    let objects = web
        .app
        .with_store(move |s| {
            let mut names = Names::default();
            let fields: Vec<Value> = s
                .objects(org_id, Kind::Field)?
                .into_iter()
                .map(|f| f.body)
                .collect();
            names.add_fields(&json!({ "fields": fields }));
            Ok(s.objects(org_id, kind)?
                .iter()
                .map(|o| object_view(kind, o, &names))
                .collect::<Vec<_>>())
        })
        .await?;
    html(&CustomizePage {
        nav: Nav::new(&session, &org, "customize"),
        tabs: CUSTOMIZE.iter().map(|(s, l, _)| (*s, *l)).collect(),
        current,
        objects,
    })
}
