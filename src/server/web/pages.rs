//! The pages: each handler reads what it shows through the store functions the REST API uses,
//! turns it into a view (plain strings, rich text already sanitised), and renders its askama
//! template (`templates/web/`), which escapes everything else.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::richtext::sanitise;
use super::runs::{Run, RunState};
use super::session::Session;
use super::{html_headers, Web, WebError};
use crate::plan::{workflow_text, Names};
use crate::server::actions::{new_artifact, offered};
use crate::server::api::{begin_import, finish_import};
use crate::server::error::ApiError;
use crate::server::kinds::Kind;
use crate::server::limits::ms;
use crate::server::store::{ImportId, IncidentId, ItemKind, Org, OrgId, Store, StoredObject};

type Page = Result<Response, WebError>;

/// What the layout shows on every page: the org, the user, the token for the logout form.
pub struct Nav {
    pub org_id: i64,
    pub org_name: String,
    pub orgs: Vec<(i64, String)>,
    pub user: String,
    pub csrf: String,
    /// Which top menu entry is current: `incidents`, `customize` or `admin`.
    pub here: &'static str,
}

impl Nav {
    fn new(session: &Session, org: &Org, here: &'static str) -> Nav {
        Nav {
            org_id: org.id.0,
            org_name: org.name.clone(),
            orgs: session
                .orgs
                .iter()
                .map(|o| (o.id.0, o.name.clone()))
                .collect(),
            user: session.user.email.clone(),
            csrf: session.csrf.clone(),
            here,
        }
    }
}

fn html(page: &impl Template) -> Page {
    Ok((html_headers(), page.render()?).into_response())
}

fn html_with(status: StatusCode, page: &impl Template) -> Page {
    Ok((status, html_headers(), page.render()?).into_response())
}

fn see_other(to: String) -> Response {
    Redirect::to(&to).into_response()
}

// ---- formatting -----------------------------------------------------------------------------

/// A date in ms since the epoch as SOAR shows it (`MM/DD/YYYY HH:MM`, UTC here).
pub fn date(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{m:02}/{d:02}/{y:04} {:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60
    )
}

/// A JSON value as the text a cell or field shows.
fn text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| text(Some(x)))
            .collect::<Vec<_>>()
            .join(", "),
        Some(Value::Object(o)) if o.contains_key("value") => text(o.get("value")),
        Some(Value::Object(o)) if o.contains_key("content") => text(o.get("content")),
        Some(Value::Object(o)) if o.contains_key("name") => text(o.get("name")),
        Some(other) => other.to_string(),
    }
}

/// `—` for what has no value, as SOAR's summary shows it.
fn or_dash(s: String) -> String {
    if s.trim().is_empty() {
        "—".into()
    } else {
        s
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

// ---- home, incidents ------------------------------------------------------------------------

/// `GET /`: the first org's incidents, or the login page.
pub async fn home(session: Result<Session, WebError>) -> Response {
    match session.ok().and_then(|s| s.orgs.first().cloned()) {
        Some(org) => see_other(format!("/orgs/{}/incidents", org.id)),
        None => see_other("/login".into()),
    }
}

#[derive(Template)]
#[template(path = "web/login.html")]
pub struct LoginPage {
    pub token: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "web/error.html")]
pub struct ErrorPage {
    pub status: u16,
    pub message: String,
    pub help: Option<String>,
}

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
    let list = web.app.with_store(move |s| Ok(s.incidents(id)?)).await?;
    html(&IncidentsPage {
        nav: Nav::new(&session, &org, "incidents"),
        incidents: list.iter().map(incident_row).collect(),
    })
}

// ---- one incident ---------------------------------------------------------------------------

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

/// The names of the org's manual rules offered on `subject`, an object of `object_type`.
fn offered_rules(rules: &[StoredObject], object_type: &str, subject: &Value) -> Vec<String> {
    rules
        .iter()
        .filter(|r| offered(&r.body, object_type, subject))
        .map(|r| r.api_name.clone())
        .collect()
}

/// The columns of a data table definition, in their order: `(name, label, rich text)`.
fn columns(table: &Value) -> Vec<(String, String, bool)> {
    let mut cols: Vec<&Value> = table
        .get("fields")
        .and_then(Value::as_object)
        .map(|m| m.values().collect())
        .unwrap_or_default();
    cols.sort_by_key(|c| c.get("order").and_then(Value::as_i64).unwrap_or(i64::MAX));
    cols.into_iter()
        .map(|c| {
            let name = str_of(c, "name").to_string();
            let label = match str_of(c, "text") {
                "" => name.clone(),
                t => t.to_string(),
            };
            let rich = c.get("rich_text").and_then(Value::as_bool) == Some(true)
                || str_of(c, "input_type") == "textarea" && c.get("rich_text").is_some();
            (name, label, rich)
        })
        .collect()
}

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
    Ok(see_other(format!(
        "/orgs/{org}/incidents/{inc}?run={id}#run"
    )))
}

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

// ---- Administrator Settings -----------------------------------------------------------------

#[derive(Template)]
#[template(path = "web/admin.html")]
pub struct AdminPage {
    pub nav: Nav,
    pub users: Vec<(String, String)>,
}

/// `GET /orgs/{org}/admin`: Administrator Settings (its Users tab).
pub async fn admin(State(web): State<Web>, session: Session, Path(org): Path<i64>) -> Page {
    let org = session.org(org)?;
    let id = org.id;
    let users = web
        .app
        .with_store(move |s| Ok(s.org_users(id)?))
        .await?
        .into_iter()
        .map(|u| (u.email, format!("{} {}", u.fname, u.lname)))
        .collect();
    html(&AdminPage {
        nav: Nav::new(&session, &org, "admin"),
        users,
    })
}

#[derive(Template)]
#[template(path = "web/organization.html")]
pub struct OrganizationPage {
    pub nav: Nav,
    pub uuid: String,
}

/// `GET /orgs/{org}/admin/organization`: the Organization tab (its Details).
pub async fn organization(session: Session, Path(org): Path<i64>) -> Page {
    let org = session.org(org)?;
    html(&OrganizationPage {
        nav: Nav::new(&session, &org, "admin"),
        uuid: org.uuid.clone(),
    })
}

#[derive(Template)]
#[template(path = "web/import.html")]
pub struct ImportPage {
    pub nav: Nav,
    pub limit_mib: usize,
    pub error: Option<String>,
}

fn import_form(web: &Web, session: &Session, org: &Org, error: Option<&WebError>) -> Page {
    let page = ImportPage {
        nav: Nav::new(session, org, "admin"),
        limit_mib: web.app.limits().web_upload.div_ceil(1024 * 1024),
        error: error.map(|e| e.to_string()),
    };
    match error {
        Some(e) => html_with(e.status(), &page),
        None => html(&page),
    }
}

/// `GET /orgs/{org}/admin/organization/import`: Import Settings.
pub async fn import_page(State(web): State<Web>, session: Session, Path(org): Path<i64>) -> Page {
    let org = session.org(org)?;
    import_form(&web, &session, &org, None)
}

/// The uploaded file: its name and bytes, once the form's token has been checked.
async fn read_upload(
    mut multipart: Multipart,
    session: &Session,
    limit: usize,
) -> Result<(String, Vec<u8>), WebError> {
    let mut csrf = None;
    let mut file = None;
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            WebError::TooLarge { limit }
        } else {
            WebError::BadRequest(format!("The upload could not be read: {}", e.body_text()))
        }
    };
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        match field.name() {
            Some("csrf") => csrf = Some(field.text().await.map_err(bad)?),
            Some("file") => {
                let name = field.file_name().unwrap_or_default().to_string();
                file = Some((name, field.bytes().await.map_err(bad)?));
            }
            _ => {}
        }
    }
    session.check_csrf(csrf.as_deref().unwrap_or_default())?;
    let (name, bytes) = file
        .filter(|(name, bytes)| !name.is_empty() || !bytes.is_empty())
        .ok_or_else(|| {
            WebError::BadRequest("No file selected: choose a .res or .resz file".into())
        })?;
    if bytes.len() > limit {
        return Err(WebError::TooLarge { limit });
    }
    let lower = name.to_ascii_lowercase();
    if !(lower.ends_with(".res") || lower.ends_with(".resz")) {
        return Err(WebError::BadRequest(format!(
            "{name:?} is not a .res or .resz file"
        )));
    }
    Ok((name, bytes.to_vec()))
}

/// Read an uploaded export as the CLI reads a file, and check it is one: its JSON, for the
/// import.
fn validated(name: &str, bytes: Vec<u8>) -> Result<Value, WebError> {
    let path = std::path::Path::new(name);
    let not_export = |e: crate::res::ResError| {
        WebError::BadRequest(format!(
            "{name} is not a SOAR export that can be imported: {e}"
        ))
    };
    let doc = crate::res::read::from_bytes(path, bytes).map_err(not_export)?;
    doc.parse().map_err(not_export)?;
    crate::res::read::parse_value(&doc.origin, &doc.text).map_err(not_export)
}

/// `POST /orgs/{org}/admin/organization/import`: the upload (capped, validated), then phase
/// one of the REST import: a PENDING import, previewed on its own page.
pub async fn import_upload(
    State(web): State<Web>,
    session: Session,
    Path(org): Path<i64>,
    multipart: Multipart,
) -> Page {
    let org = session.org(org)?;
    let limit = web.app.limits().web_upload;
    let res = match read_upload(multipart, &session, limit).await {
        Ok((name, bytes)) => validated(&name, bytes),
        Err(e) => Err(e),
    };
    let res = match res {
        Ok(res) => res,
        Err(e @ WebError::Csrf) => return Err(e),
        Err(e) => return import_form(&web, &session, &org, Some(&e)),
    };
    let (now, ttl) = (web.app.now_ms(), ms(web.app.limits().pending_import));
    let org_id = org.id;
    let dto = web
        .app
        .with_store(move |s| {
            s.expire_imports(now, ttl)?;
            Ok(begin_import(s, org_id, &res, now)?)
        })
        .await;
    match dto {
        Ok(dto) => {
            let id = dto.get("id").and_then(Value::as_i64).unwrap_or_default();
            Ok(see_other(format!(
                "/orgs/{}/admin/organization/import/{id}",
                org.id
            )))
        }
        Err(e) => import_form(&web, &session, &org, Some(&WebError::Api(e))),
    }
}

pub struct ItemView {
    pub kind: String,
    pub name: String,
    pub operation: String,
}

#[derive(Template)]
#[template(path = "web/preview.html")]
pub struct PreviewPage {
    pub nav: Nav,
    pub id: i64,
    pub status: String,
    pub created: String,
    pub changes: Vec<ItemView>,
    pub unchanged: Vec<ItemView>,
    pub messages: Vec<(String, String)>,
}

/// `GET /orgs/{org}/admin/organization/import/{id}`: what the import creates or changes, every
/// message of it, and (while PENDING) Proceed / Cancel.
pub async fn import_preview(
    State(web): State<Web>,
    session: Session,
    Path((org, id)): Path<(i64, i64)>,
) -> Page {
    let org = session.org(org)?;
    let (now, ttl) = (web.app.now_ms(), ms(web.app.limits().pending_import));
    let org_id = org.id;
    let (status, _, dto) = web
        .app
        .with_store(move |s| {
            s.expire_imports(now, ttl)?;
            Ok(s.import(org_id, ImportId(id))?)
        })
        .await?
        .ok_or_else(|| WebError::NotFound(format!("import {id}")))?;
    let (mut changes, mut unchanged) = (Vec::new(), Vec::new());
    for it in dto
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let view = ItemView {
            kind: str_of(it, "customization_type").to_string(),
            name: str_of(it, "name").to_string(),
            operation: str_of(it, "operation").to_string(),
        };
        if view.operation == "unchanged" {
            unchanged.push(view);
        } else {
            changes.push(view);
        }
    }
    let messages = dto
        .get("messages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|m| (str_of(m, "type").to_string(), str_of(m, "text").to_string()))
        .collect();
    html(&PreviewPage {
        nav: Nav::new(&session, &org, "admin"),
        id,
        status,
        created: dto
            .get("create_date")
            .and_then(Value::as_i64)
            .map(date)
            .unwrap_or_default(),
        changes,
        unchanged,
        messages,
    })
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
}

/// `POST /orgs/{org}/admin/organization/import/{id}`: Proceed (accept) or Cancel (reject), as
/// `PUT .../imports/{id}` does; then Import History.
pub async fn import_decide(
    State(web): State<Web>,
    session: Session,
    Path((org, id)): Path<(i64, i64)>,
    Form(form): Form<DecisionForm>,
) -> Page {
    session.check_csrf(&form.csrf)?;
    let org = session.org(org)?.id;
    let accept = match form.decision.as_str() {
        "accept" => true,
        "reject" => false,
        other => {
            return Err(WebError::BadRequest(format!(
                "decision must be accept or reject, not {other:?}"
            )))
        }
    };
    let (now, ttl) = (web.app.now_ms(), ms(web.app.limits().pending_import));
    web.app
        .with_store(move |s| {
            s.expire_imports(now, ttl)?;
            finish_import(s, org, ImportId(id), accept)
        })
        .await?;
    Ok(see_other(format!(
        "/orgs/{org}/admin/organization/import-history"
    )))
}

pub struct ImportRow {
    pub id: i64,
    pub status: String,
    pub created: String,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "web/history.html")]
pub struct HistoryPage {
    pub nav: Nav,
    pub imports: Vec<ImportRow>,
}

/// `GET /orgs/{org}/admin/organization/import-history`: past imports with their status.
pub async fn import_history(
    State(web): State<Web>,
    session: Session,
    Path(org): Path<i64>,
) -> Page {
    let org = session.org(org)?;
    let (now, ttl) = (web.app.now_ms(), ms(web.app.limits().pending_import));
    let org_id = org.id;
    let list = web
        .app
        .with_store(move |s| {
            s.expire_imports(now, ttl)?;
            Ok(s.imports(org_id)?)
        })
        .await?;
    let imports = list
        .into_iter()
        .map(|(id, status, dto)| {
            let n = |k: &str| {
                dto.get("summary")
                    .and_then(|s| s.get(k))
                    .and_then(Value::as_i64)
                    .unwrap_or(0)
            };
            ImportRow {
                id: id.0,
                status,
                created: dto
                    .get("create_date")
                    .and_then(Value::as_i64)
                    .map(date)
                    .unwrap_or_default(),
                summary: format!(
                    "{} to create, {} to modify, {} unchanged",
                    n("create"),
                    n("modify"),
                    n("unchanged")
                ),
            }
        })
        .collect();
    html(&HistoryPage {
        nav: Nav::new(&session, &org, "admin"),
        imports,
    })
}

// ---- Customization Settings -----------------------------------------------------------------

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_soar_shows_them() {
        assert_eq!(date(0), "01/01/1970 00:00");
        assert_eq!(date(1_551_052_800_000), "02/25/2019 00:00");
        assert_eq!(date(1_552_048_200_000), "03/08/2019 12:30");
    }

    #[test]
    fn cells_show_their_value_as_text() {
        assert_eq!(text(Some(&json!({"value": "TA0011"}))), "TA0011");
        assert_eq!(text(Some(&json!(60))), "60");
        assert_eq!(text(Some(&json!(null))), "");
        assert_eq!(text(Some(&json!(["a", "b"]))), "a, b");
    }
}
