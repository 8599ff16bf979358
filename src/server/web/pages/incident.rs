//! The incident list and an incident: its summary, tabs (Tasks, Details, Notes, Artifacts, one
//! per data table holding rows), the Actions and row menus, runs and the artifact form.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{columns, date, html, offered_rules, or_dash, see_other, str_of, text, Nav, Page};
use crate::server::actions::new_artifact;
use crate::server::error::ApiError;
use crate::server::incidents::new_incident;
use crate::server::kinds::Kind;
use crate::server::state::user_principal;
use crate::server::store::{now_ms, IncidentId, ItemKind, OrgId, Store, StoredObject};
use crate::server::web::richtext::sanitise;
use crate::server::web::runs::{Run, RunState};
use crate::server::web::session::Session;
use crate::server::web::{Web, WebError};

pub struct IncidentRow {
    pub id: i64,
    pub name: String,
    pub phase: String,
    pub severity: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "web/incidents.html")]
pub struct IncidentsPage {
    pub nav: Nav,
    pub incidents: Vec<IncidentRow>,
    /// The org's custom incident fields, one input each on the new-incident form.
    pub fields: Vec<FieldInput>,
}

/// One custom incident field on the new-incident form.
pub struct FieldInput {
    pub name: String,
    pub label: String,
}

fn incident_row(inc: &Value) -> IncidentRow {
    IncidentRow {
        id: inc.get("id").and_then(Value::as_i64).unwrap_or_default(),
        name: text(inc.get("name")),
        phase: or_dash(text(inc.get("phase_id"))),
        severity: or_dash(text(inc.get("severity_code"))),
        created: inc
            .get("create_date")
            .and_then(Value::as_i64)
            .map(date)
            .unwrap_or_default(),
    }
}

/// `GET /orgs/{org}/incidents`.
pub async fn incidents(State(web): State<Web>, session: Session, Path(org): Path<i64>) -> Page {
    let org = session.org(org)?;
    let id = org.id;
    let (list, fields) = web
        .app
        .with_store(move |s| Ok((s.incidents(id)?, s.objects(id, Kind::Field)?)))
        .await?;
    // The form offers the org's custom incident fields by label, but not the internal field
    // every org carries for the import machinery.
    let fields = fields
        .into_iter()
        .filter(|f| f.uuid.as_deref() != Some(crate::package::INTERNAL_FIELD_UUID))
        .filter_map(|f| {
            let name = f.api_name.strip_prefix("incident/")?.to_string();
            let label = text(f.body.get("text"));
            let label = if label.trim().is_empty() {
                name.clone()
            } else {
                label
            };
            Some(FieldInput { name, label })
        })
        .collect();
    html(&IncidentsPage {
        nav: Nav::new(&session, &org, "incidents"),
        incidents: list.iter().map(incident_row).collect(),
        fields,
    })
}

/// The new-incident form: a name and the org's custom incident fields (`field.<name>`), each
/// left out when empty.
#[derive(Deserialize)]
pub struct NewIncidentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(flatten)]
    rest: BTreeMap<String, String>,
}

/// Create an incident as `POST /rest/orgs/{org}/incidents` does (the same function), discovered
/// now, then show it.
pub async fn create_incident(
    State(web): State<Web>,
    session: Session,
    Path(org): Path<i64>,
    Form(form): Form<NewIncidentForm>,
) -> Page {
    session.check_csrf(&form.csrf)?;
    let org = session.org(org)?.id;
    let properties: Map<String, Value> = form
        .rest
        .into_iter()
        .filter_map(|(k, v)| {
            let field = k.strip_prefix("field.")?.to_string();
            let v = v.trim();
            (!v.is_empty()).then(|| (field, Value::String(v.to_string())))
        })
        .collect();
    let body = Map::from_iter([
        ("name".to_string(), json!(form.name.trim())),
        ("discovered_date".to_string(), json!(now_ms())),
        ("properties".to_string(), Value::Object(properties)),
    ]);
    let principal = user_principal(&session.user);
    let incident = web
        .app
        .with_store(move |s| new_incident(s, org, body, principal))
        .await?;
    let id = incident
        .get("id")
        .and_then(Value::as_i64)
        .unwrap_or_default();
    Ok(see_other(format!("/orgs/{org}/incidents/{id}")))
}

pub struct TaskView {
    pub name: String,
    pub phase: String,
    pub status: String,
    pub instructions: String,
}

pub struct NoteView {
    pub created: String,
    pub html: String,
}

pub struct ArtifactView {
    pub id: i64,
    pub kind: String,
    pub value: String,
    pub description: String,
    pub created: String,
    pub rules: Vec<String>,
}

/// A cell: text (escaped by the template) or sanitised rich text.
pub struct CellView {
    pub text: String,
    pub rich: Option<String>,
}

pub struct RowView {
    pub id: i64,
    pub cells: Vec<CellView>,
    pub rules: Vec<String>,
}

pub struct TableView {
    pub api_name: String,
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<RowView>,
}

pub struct RunView {
    pub id: u64,
    pub rule: String,
    /// `running`, `completed`, `failed` or `refused`.
    pub state: &'static str,
    pub lines: Vec<String>,
}

#[derive(Template)]
#[template(path = "web/incident.html")]
pub struct IncidentPage {
    pub nav: Nav,
    pub id: i64,
    pub name: String,
    pub phase: String,
    pub severity: String,
    pub created: String,
    pub discovered: String,
    pub qradar_id: String,
    pub description: Option<String>,
    pub details: Vec<(String, String)>,
    pub actions: Vec<String>,
    pub can_run: bool,
    pub run: Option<RunView>,
    pub tasks: Vec<TaskView>,
    pub notes: Vec<NoteView>,
    pub artifacts: Vec<ArtifactView>,
    pub artifact_types: Vec<&'static str>,
    pub tables: Vec<TableView>,
}

/// The artifact types the add form offers (SOAR's common ones).
pub const ARTIFACT_TYPES: [&str; 12] = [
    "IP Address",
    "DNS Name",
    "URL",
    "Email Sender",
    "Email Recipient",
    "Malware MD5 Hash",
    "Malware SHA-256 Hash",
    "File Name",
    "User Account",
    "System Name",
    "Port",
    "String",
];

fn table_views(
    store: &Store,
    org: OrgId,
    inc: IncidentId,
    rules: &[StoredObject],
) -> Result<Vec<TableView>, ApiError> {
    let mut tables = Vec::new();
    for t in store.objects(org, Kind::DataTable)? {
        let rows = store.rows(org, inc, &t.api_name)?;
        if rows.is_empty() {
            continue;
        }
        let cols = columns(&t.body);
        let rows = rows
            .into_iter()
            .map(|(id, cells, _)| RowView {
                id,
                cells: cols
                    .iter()
                    .map(|(name, _, rich)| {
                        let t = text(cells.get(name));
                        CellView {
                            rich: rich.then(|| sanitise(&t)),
                            text: t,
                        }
                    })
                    .collect(),
                rules: offered_rules(rules, &t.api_name, &cells),
            })
            .collect();
        tables.push(TableView {
            title: match str_of(&t.body, "display_name") {
                "" => t.api_name.clone(),
                d => d.to_string(),
            },
            api_name: t.api_name.clone(),
            columns: cols.into_iter().map(|(_, label, _)| label).collect(),
            rows,
        });
    }
    Ok(tables)
}

/// The incident's fields for the Details tab: the built-in ones that have a value, then its
/// custom properties.
fn details(inc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (key, label) in [
        ("name", "Name"),
        ("id", "ID"),
        ("phase_id", "Phase"),
        ("severity_code", "Severity"),
        ("plan_status", "Status"),
        ("confirmed", "Confirmed"),
    ] {
        let v = text(inc.get(key));
        if !v.is_empty() {
            out.push((label.to_string(), v));
        }
    }
    if let Some(props) = inc.get("properties").and_then(Value::as_object) {
        for (k, v) in props {
            out.push((k.clone(), or_dash(text(Some(v)))));
        }
    }
    out
}

fn run_view(id: u64, run: &Run, store: &Store) -> RunView {
    let (state, lines) = match &run.state {
        RunState::Running => (
            "running",
            vec![
                "The workflows are running; this page shows what they did when they finish.".into(),
            ],
        ),
        RunState::Refused(why) => ("refused", vec![why.clone()]),
        RunState::Done(v) => {
            let mut lines = Vec::new();
            let mut failed = false;
            for w in v
                .get("workflows")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let status = str_of(w, "status");
                failed |= status != "completed";
                let mut line = format!("Workflow {}: {status}", str_of(w, "workflow"));
                if let Some(e) = w.get("error").and_then(Value::as_str) {
                    line.push_str(&format!(" — {e}"));
                }
                lines.push(line);
            }
            let mut per_table: BTreeMap<String, usize> = BTreeMap::new();
            for r in v
                .get("rows")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                *per_table.entry(str_of(r, "table").to_string()).or_default() += 1;
            }
            for (table, n) in per_table {
                let title = store
                    .find_object(run.org, Kind::DataTable, &table)
                    .ok()
                    .flatten()
                    .map(|t| str_of(&t.body, "display_name").to_string())
                    .filter(|d| !d.is_empty())
                    .unwrap_or(table);
                lines.push(format!("{n} row(s) added to {title}"));
            }
            for t in v
                .get("tasks")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                lines.push(format!("Task created: {}", str_of(t, "name")));
            }
            for (key, what) in [("notes", "note(s)"), ("artifacts", "artifact(s)")] {
                let n = v.get(key).and_then(Value::as_array).map_or(0, Vec::len);
                if n > 0 {
                    lines.push(format!("{n} {what} added"));
                }
            }
            (if failed { "failed" } else { "completed" }, lines)
        }
    };
    RunView {
        id,
        rule: run.rule.clone(),
        state,
        lines,
    }
}

#[derive(Deserialize)]
pub struct IncidentQuery {
    run: Option<u64>,
}

/// `GET /orgs/{org}/incidents/{inc}`: summary, Actions, and the tabs (all on one page; the tab
/// bar jumps to each).
pub async fn incident(
    State(web): State<Web>,
    session: Session,
    Path((org, inc)): Path<(i64, i64)>,
    Query(q): Query<IncidentQuery>,
) -> Page {
    let org = session.org(org)?;
    let nav = Nav::new(&session, &org, "incidents");
    let run = q
        .run
        .and_then(|id| web.runs.get(org.id, id).map(|r| (id, r)))
        .filter(|(_, r)| r.incident == inc);
    let can_run = web.runner.is_some();
    let org_id = org.id;
    web.app
        .with_store(move |s| {
            let incident = s
                .incident(org_id, IncidentId(inc))?
                .ok_or_else(|| ApiError::not_found(format!("incident {inc}")))?;
            let rules = s.objects(org_id, Kind::Rule)?;
            let tasks = s
                .tasks(org_id, IncidentId(inc))?
                .iter()
                .map(|t| TaskView {
                    name: text(t.get("name")),
                    phase: or_dash(text(t.get("phase_id"))),
                    status: match str_of(t, "status") {
                        "C" => "Closed".into(),
                        "O" | "" => "Open".into(),
                        other => other.to_string(),
                    },
                    instructions: sanitise(&text(t.get("instructions"))),
                })
                .collect();
            let notes = s
                .items(org_id, IncidentId(inc), ItemKind::Comment)?
                .iter()
                .map(|n| NoteView {
                    created: n
                        .get("create_date")
                        .and_then(Value::as_i64)
                        .map(date)
                        .unwrap_or_default(),
                    html: sanitise(&text(n.get("text"))),
                })
                .collect();
            let artifacts = s
                .items(org_id, IncidentId(inc), ItemKind::Artifact)?
                .iter()
                .map(|a| ArtifactView {
                    id: a.get("id").and_then(Value::as_i64).unwrap_or_default(),
                    kind: text(a.get("type")),
                    value: text(a.get("value")),
                    description: text(a.get("description")),
                    created: a
                        .get("created")
                        .and_then(Value::as_i64)
                        .map(date)
                        .unwrap_or_default(),
                    rules: offered_rules(&rules, "artifact", a),
                })
                .collect();
            let tables = table_views(s, org_id, IncidentId(inc), &rules)?;
            let row = incident_row(&incident);
            let page = IncidentPage {
                nav,
                id: row.id,
                name: row.name,
                phase: row.phase,
                severity: row.severity,
                created: row.created,
                discovered: incident
                    .get("discovered_date")
                    .and_then(Value::as_i64)
                    .map(date)
                    .unwrap_or_else(|| "—".into()),
                qradar_id: or_dash(text(
                    incident.get("properties").and_then(|p| p.get("qradar_id")),
                )),
                description: incident
                    .get("description")
                    .map(|d| sanitise(&text(Some(d))))
                    .filter(|d| !d.trim().is_empty()),
                details: details(&incident),
                actions: offered_rules(&rules, "incident", &incident),
                can_run,
                run: run.map(|(id, r)| run_view(id, &r, s)),
                tasks,
                notes,
                artifacts,
                artifact_types: ARTIFACT_TYPES.to_vec(),
                tables,
            };
            Ok(page)
        })
        .await
        .map_err(WebError::from)
        .and_then(|page| html(&page))
}

/// What the incident page's action menus send: the rule, and the artifact or row it runs on.
#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
    rule: String,
    artifact_id: Option<i64>,
    row_id: Option<i64>,
}

/// `POST /orgs/{org}/incidents/{inc}/actions`: start the rule as `action_invocations` does, in
/// the background, and show the incident with the run's status.
pub async fn run_action(
    State(web): State<Web>,
    session: Session,
    Path((org, inc)): Path<(i64, i64)>,
    Form(form): Form<ActionForm>,
) -> Page {
    session.check_csrf(&form.csrf)?;
    let org = session.org(org)?.id;
    let runner = web.runner.clone().ok_or(WebError::NoWorkflows)?;
    web.app
        .with_store(move |s| {
            s.incident(org, IncidentId(inc))?
                .map(|_| ())
                .ok_or_else(|| ApiError::not_found(format!("incident {inc}")))
        })
        .await?;
    let mut body = Map::new();
    body.insert("action_id".into(), json!(form.rule));
    if let Some(a) = form.artifact_id {
        body.insert("artifact_id".into(), json!(a));
    }
    if let Some(r) = form.row_id {
        body.insert("row_id".into(), json!(r));
    }
    let id = web.runs.start(org, inc, &form.rule);
    let (app, runs) = (web.app.clone(), web.runs.clone());
    tokio::spawn(async move {
        let state = match runner.invoke(&app, org, inc, body).await {
            Ok(v) => RunState::Done(v),
            Err(e) => RunState::Refused(e.message),
        };
        runs.finish(id, state);
    });
    // A short run answers with its result: the page the browser lands on is final, with no
    // reload to come under a reader's (or a WebDriver test's) feet. A longer one answers at
    // ANSWER_WAIT with the run still going, and the page polls.
    web.runs.wait(org, id, ANSWER_WAIT).await;
    Ok(see_other(format!(
        "/orgs/{org}/incidents/{inc}?run={id}#run"
    )))
}

/// How long choosing an action waits for its workflows before showing the incident.
const ANSWER_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Deserialize)]
pub struct RunQuery {
    /// Present (any value, `?wait=1`): hold the answer until the run ends.
    wait: Option<String>,
}

/// How long `?wait=1` holds a poll before answering that the run is still running.
const POLL_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// `GET /orgs/{org}/runs/{run}[?wait=1]`: `{"state": "running" | "ended"}`, for the page's
/// poll; with `wait`, answered when the run ends (or after [`POLL_WAIT`]).
pub async fn run_status(
    State(web): State<Web>,
    session: Session,
    Path((org, run)): Path<(i64, u64)>,
    Query(q): Query<RunQuery>,
) -> Result<Response, WebError> {
    let org = session.org(org)?.id;
    let found = if q.wait.is_some() {
        web.runs.wait(org, run, POLL_WAIT).await
    } else {
        web.runs.get(org, run)
    };
    let found = found.ok_or_else(|| WebError::NotFound(format!("run {run}")))?;
    let state = match found.state {
        RunState::Running => "running",
        _ => "ended",
    };
    Ok(Json(json!({ "state": state })).into_response())
}

#[derive(Deserialize)]
pub struct ArtifactForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    description: String,
}

/// `POST /orgs/{org}/incidents/{inc}/artifacts`: add an artifact (type and value).
pub async fn add_artifact(
    State(web): State<Web>,
    session: Session,
    Path((org, inc)): Path<(i64, i64)>,
    Form(form): Form<ArtifactForm>,
) -> Page {
    session.check_csrf(&form.csrf)?;
    let org = session.org(org)?.id;
    let (kind, value) = (form.kind.trim().to_string(), form.value.trim().to_string());
    if kind.is_empty() || value.is_empty() {
        return Err(WebError::BadRequest(
            "An artifact needs a type and a value".into(),
        ));
    }
    let description = match form.description.trim() {
        "" => Value::Null,
        d => Value::String(d.to_string()),
    };
    web.app
        .with_store(move |s| {
            s.incident(org, IncidentId(inc))?
                .ok_or_else(|| ApiError::not_found(format!("incident {inc}")))?;
            s.insert_item(org, IncidentId(inc), ItemKind::Artifact, |id| {
                new_artifact(id, inc, Value::String(kind), value, description)
            })?;
            Ok(())
        })
        .await?;
    Ok(see_other(format!("/orgs/{org}/incidents/{inc}#artifacts")))
}
