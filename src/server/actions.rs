//! The reference org runs workflows: `POST /rest/orgs/{org}/incidents/{inc}/action_invocations`
//! starts a manual rule (menu item) on the incident, one of its artifacts or one of its data
//! table rows, runs the rule's workflows through the workflow engine with the org's own
//! workflow, function, field and data table definitions, and writes what the scripts did —
//! rows, tasks, notes, artifacts, field changes — into the store, as SOAR would.
//!
//! Also here, because the workflows need them: an incident's artifacts
//! (`/incidents/{inc}/artifacts`) and notes (`/incidents/{inc}/comments`).
//!
//! Body of an invocation: `{"action_id": <rule id or name>, "properties": {<activity field>:
//! value}, "artifact_id"?: n, "row_id"?: n}`. Unlike SOAR, which queues the workflow and
//! answers at once, the answer comes when the workflows have ended and says what they did:
//! `{"rule", "action_id", "object", "workflows": [{"workflow", "status": "completed" | "failed",
//! "error", "steps"}], "rows": [{"table", "id"}], "tasks": [{"id", "name"}], "notes": [id],
//! "artifacts": [id]}`. A workflow that fails still answers 200 (the invocation happened; the
//! workflow instance ended in error, as SOAR shows it); a rule whose conditions the object does
//! not meet answers 400, as the menu item would not have been offered.
//!
//! [`Workflows`] is the [`Extension`] that mounts the invocation route together with the
//! emulated QRadar endpoints ([`crate::emulate`]) on the same HTTPS listener, and points the
//! runtime's QRadar configuration at them.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use super::error::ApiError;
use super::kinds::Kind;
use super::state::{json_body, AppState, Caller, ServerInfo};
use super::store::{now_ms, IncidentId, ItemKind, OrgId, Store};
use super::{ConfigSection, Extension};
use crate::appconfig::{self, AppConfigError};
use crate::attack::CachePolicy;
use crate::emulate::{self, EmulatedQradar};
use crate::res::{ResFile, WorkflowName};
use crate::runtime::engine::{Context, Engine, Failure, Outcome};
use crate::runtime::mitre::Api;
use crate::runtime::qradar::config::AppConfig;
use crate::runtime::setup::{self, AttackSpec};
use crate::runtime::Runtime;

type ApiResult<T = Json<Value>> = Result<T, ApiError>;

/// Artifact and note routes (mounted on every reference org).
pub fn routes(state: AppState) -> Router {
    Router::new()
        .route(
            "/rest/orgs/{org}/incidents/{inc}/artifacts",
            get(list_artifacts).post(add_artifact),
        )
        .route(
            "/rest/orgs/{org}/incidents/{inc}/comments",
            get(list_comments).post(add_comment),
        )
        .with_state(state)
}

fn object_body(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match json_body(bytes)? {
        Value::Object(m) => Ok(m),
        _ => Err(ApiError::bad_request(
            "The request body must be a JSON object",
        )),
    }
}

fn incident_or_404(store: &Store, org: OrgId, inc: i64) -> Result<Value, ApiError> {
    store
        .incident(org, IncidentId(inc))?
        .ok_or_else(|| ApiError::not_found(format!("No incident {inc}")))
}

/// `type` as SOAR accepts it: a name, `{"name": ...}`, or a type id.
fn artifact_type(value: Option<&Value>) -> Result<Value, ApiError> {
    match value {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Value::String(s.clone())),
        Some(Value::Object(o)) => match o.get("name") {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Value::String(s.clone())),
            _ => Err(ApiError::bad_request(
                "An artifact type object needs a \"name\"",
            )),
        },
        Some(n @ Value::Number(_)) => Ok(n.clone()),
        _ => Err(ApiError::bad_request(
            "An artifact needs a \"type\" (e.g. \"IP Address\")",
        )),
    }
}

pub(crate) fn new_artifact(
    id: i64,
    inc: i64,
    kind: Value,
    value: String,
    description: Value,
) -> Value {
    json!({
        "id": id,
        "inc_id": inc,
        "type": kind,
        "value": value,
        "description": description,
        "created": now_ms(),
        "properties": null,
    })
}

async fn add_artifact(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, inc)): Path<(i64, i64)>,
    body: Bytes,
) -> ApiResult {
    let org = caller.check_org(OrgId(org))?;
    let body = object_body(&body)?;
    let kind = artifact_type(body.get("type"))?;
    let value = match body.get("value") {
        Some(Value::String(v)) if !v.trim().is_empty() => v.clone(),
        _ => return Err(ApiError::bad_request("An artifact needs a \"value\"")),
    };
    let description = body.get("description").cloned().unwrap_or(Value::Null);
    state
        .with_store(move |s| {
            incident_or_404(s, org, inc)?;
            let artifact = s.insert_item(org, IncidentId(inc), ItemKind::Artifact, |id| {
                new_artifact(id, inc, kind, value, description)
            })?;
            Ok(Json(artifact))
        })
        .await
}

async fn list_artifacts(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, inc)): Path<(i64, i64)>,
) -> ApiResult {
    let org = caller.check_org(OrgId(org))?;
    state
        .with_store(move |s| {
            incident_or_404(s, org, inc)?;
            Ok(Json(Value::Array(s.items(
                org,
                IncidentId(inc),
                ItemKind::Artifact,
            )?)))
        })
        .await
}

fn new_comment(id: i64, inc: i64, text: Value) -> Value {
    json!({"id": id, "inc_id": inc, "type": "incident", "text": text, "create_date": now_ms()})
}

async fn add_comment(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, inc)): Path<(i64, i64)>,
    body: Bytes,
) -> ApiResult {
    let org = caller.check_org(OrgId(org))?;
    let body = object_body(&body)?;
    // SOAR takes `{"text": {"format": "html" | "text", "content": ...}}` or a plain string.
    let text = match body.get("text") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(o)) => o
            .get("content")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        _ => return Err(ApiError::bad_request("A note needs \"text\"")),
    };
    state
        .with_store(move |s| {
            incident_or_404(s, org, inc)?;
            let note = s.insert_item(org, IncidentId(inc), ItemKind::Comment, |id| {
                new_comment(id, inc, Value::String(text))
            })?;
            Ok(Json(note))
        })
        .await
}

async fn list_comments(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, inc)): Path<(i64, i64)>,
) -> ApiResult {
    let org = caller.check_org(OrgId(org))?;
    state
        .with_store(move |s| {
            incident_or_404(s, org, inc)?;
            Ok(Json(Value::Array(s.items(
                org,
                IncidentId(inc),
                ItemKind::Comment,
            )?)))
        })
        .await
}

// ---- the workflow runner ------------------------------------------------------------------

/// Where the runtime's QRadar functions go.
pub enum QradarTarget {
    /// The emulated QRadar mounted on this server, playing `scenario`; `name` says which.
    Emulated {
        state: Arc<EmulatedQradar>,
        name: String,
    },
    /// A real (or other) QRadar, from an app.config.
    Config(Box<AppConfig>),
    /// None: the QRadar functions fail with a message naming the missing sections.
    None,
}

/// ATT&CK for the MITRE functions: opened already, or opened on first use (a server should not
/// wait on a TAXII download before it listens).
pub enum AttackTarget {
    Ready(Arc<crate::attack::Index>),
    Lazy {
        spec: AttackSpec,
        cache: CachePolicy,
        cell: OnceLock<Result<Arc<crate::attack::Index>, String>>,
    },
}

impl AttackTarget {
    pub fn lazy(spec: AttackSpec, cache: CachePolicy) -> AttackTarget {
        AttackTarget::Lazy {
            spec,
            cache,
            cell: OnceLock::new(),
        }
    }

    fn get(&self) -> Result<Arc<crate::attack::Index>, String> {
        match self {
            AttackTarget::Ready(i) => Ok(i.clone()),
            AttackTarget::Lazy { spec, cache, cell } => cell
                .get_or_init(|| {
                    setup::open_attack(spec, cache)
                        .map(|(index, _, _)| index)
                        .map_err(|e| e.to_string())
                })
                .clone(),
        }
    }
}

/// The [`Extension`] that makes the org run workflows: the invocation route, and the emulated
/// QRadar endpoints when the target is emulated.
pub struct Workflows {
    pub attack: AttackTarget,
    pub mitre_api: Api,
    pub qradar: QradarTarget,
    /// The CA file clients of this server trust (the runtime's `verify_cert` for the emulated
    /// QRadar, which is served over this server's HTTPS).
    pub ca_file: PathBuf,
    /// The interpreter the workflows' scripts run with.
    pub python: String,
}

/// What the invocation handler needs: the runtime's parts, resolved against the server address.
struct Invoker {
    workflows: Arc<Workflows>,
    qradar: Option<AppConfig>,
}

impl Invoker {
    fn runtime(&self) -> Runtime {
        let (attack, attack_unavailable) = match self.workflows.attack.get() {
            Ok(i) => (Some(i), None),
            Err(why) => (None, Some(why)),
        };
        Runtime {
            attack,
            attack_unavailable,
            mitre_api: self.workflows.mitre_api,
            qradar: self.qradar.clone(),
        }
    }
}

impl Workflows {
    /// What `respack serve` mounts: the emulated QRadar playing `scenario` (`builtin` or a
    /// file), scripts run by `python`, ATT&CK from `attack` opened through `cache`: a bundle
    /// given is read now, so a bad one stops the start with its own error rather than failing
    /// the first workflow; otherwise on first use (a newer cached MITRE download, else the
    /// snapshot).
    pub fn for_cli(
        db: &std::path::Path,
        scenario: &str,
        attack: AttackSpec,
        cache: CachePolicy,
        python: String,
    ) -> Result<Workflows, setup::SetupError> {
        let (scenario, name) = setup::load_scenario(scenario)?;
        let ca = super::ca_path_for(db);
        let ca_file = if ca.is_absolute() {
            ca
        } else {
            std::env::current_dir().map(|d| d.join(&ca)).unwrap_or(ca)
        };
        let attack = match attack {
            spec @ AttackSpec::Bundle(_) => {
                let (index, _, _) = setup::open_attack(&spec, &cache)?;
                AttackTarget::Ready(index)
            }
            spec => AttackTarget::lazy(spec, cache),
        };
        Ok(Workflows {
            attack,
            mitre_api: Api::V1,
            qradar: QradarTarget::Emulated {
                state: EmulatedQradar::new(scenario),
                name,
            },
            ca_file,
            python,
        })
    }

    /// Lines saying what the org runs workflows with.
    pub fn describe(&self) -> Vec<String> {
        let qradar = match &self.qradar {
            QradarTarget::Emulated { name, .. } => {
                format!("workflows: QRadar Advisor, CAFM and reference sets emulated on this server, {name}")
            }
            QradarTarget::Config(c) => format!("workflows: QRadar from {}", c.file.display()),
            QradarTarget::None => "workflows: no QRadar configured".into(),
        };
        let attack = match &self.attack {
            AttackTarget::Ready(i) => format!("workflows: MITRE ATT&CK from {}", i.origin()),
            AttackTarget::Lazy {
                spec: AttackSpec::Bundle(b),
                ..
            } => format!("workflows: MITRE ATT&CK from bundle {} (read on first use)", b.display()),
            AttackTarget::Lazy { .. } => {
                "workflows: MITRE ATT&CK from a newer cached MITRE download, else the snapshot built into respack, on first use (--bundle FILE for another version)".into()
            }
        };
        vec![qradar, attack]
    }

    /// The app.config text pointing the integrations at the emulated QRadar on `info`.
    fn emulated_config(&self, info: &ServerInfo) -> Option<String> {
        match &self.qradar {
            QradarTarget::Emulated { state, .. } => Some(state.app_config(
                &format!("https://{}", info.addr),
                &self.ca_file.display().to_string(),
            )),
            _ => None,
        }
    }

    /// Where QRadar calls go, in a sentence.
    pub fn qradar_source(&self, info: &ServerInfo) -> String {
        match &self.qradar {
            QradarTarget::Emulated { name, .. } => format!(
                "QRadar Advisor, CAFM and reference sets: emulated at https://{}, {name}",
                info.addr
            ),
            QradarTarget::Config(c) => format!("QRadar: {}", c.file.display()),
            QradarTarget::None => "QRadar: not configured".into(),
        }
    }
}

/// `Workflows` shared between the extension and its handlers.
pub struct SharedWorkflows(pub Arc<Workflows>);

impl SharedWorkflows {
    /// The invoker the routes and [`ActionRunner`] share, resolved against the server address.
    fn invoker(&self, state: &AppState) -> Arc<Invoker> {
        let w = &self.0;
        let qradar = match &w.qradar {
            QradarTarget::Config(c) => Some(c.as_ref().clone()),
            QradarTarget::None => None,
            QradarTarget::Emulated { .. } => w.emulated_config(state.info()).and_then(|text| {
                AppConfig::parse(&text, std::path::Path::new("(emulated QRadar)")).ok()
            }),
        };
        Arc::new(Invoker {
            workflows: w.clone(),
            qradar,
        })
    }
}

impl Extension for SharedWorkflows {
    fn routes(&self, state: AppState) -> Router {
        let invoker = self.invoker(&state);
        let mut router = Router::new()
            .route(
                "/rest/orgs/{org}/incidents/{inc}/action_invocations",
                post(invoke),
            )
            .layer(axum::Extension(invoker))
            .with_state(state);
        if let QradarTarget::Emulated { state, .. } = &self.0.qradar {
            router = router.merge(emulate::router(state.clone()));
        }
        router
    }

    fn action_runner(&self, state: &AppState) -> Option<ActionRunner> {
        Some(ActionRunner(self.invoker(state)))
    }

    fn config_sections(&self, info: &ServerInfo) -> Vec<ConfigSection> {
        // The text is the emulation's own (`EmulatedQradar::app_config`), which always reads:
        // the tests below and every `serve --write-config` run read it back.
        self.0
            .emulated_config(info)
            .and_then(|text| sections(&text).ok())
            .unwrap_or_default()
    }
}

/// The sections of the app.config text the emulation writes, read by the one app.config reader
/// ([`crate::appconfig`]) like any other app.config.
fn sections(text: &str) -> Result<Vec<ConfigSection>, AppConfigError> {
    let config = appconfig::AppConfig::parse(
        std::path::Path::new("(emulated QRadar)"),
        text,
        &appconfig::Vars::none(),
    )?;
    config
        .sections()
        .map(|section| {
            let entries = section
                .keys()
                .into_iter()
                .map(|key| {
                    let value = section.get(key)?.unwrap_or_default();
                    Ok((key.to_string(), value.to_string()))
                })
                .collect::<Result<_, AppConfigError>>()?;
            Ok(ConfigSection {
                name: section.name().to_string(),
                entries,
            })
        })
        .collect()
}

/// Everything a run needs, read under the store lock.
struct Prepared {
    res: ResFile,
    rule: String,
    rule_id: Value,
    workflows: Vec<WorkflowName>,
    context: Context,
    object: Value,
    table: Option<(String, i64)>,
}

async fn invoke(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, inc)): Path<(i64, i64)>,
    axum::Extension(invoker): axum::Extension<Arc<Invoker>>,
    body: Bytes,
) -> ApiResult {
    let org = caller.check_org(OrgId(org))?;
    let body = object_body(&body)?;
    ActionRunner(invoker)
        .invoke(&state, org, inc, body)
        .await
        .map(Json)
}

/// Runs a menu-item rule on an incident, its artifact or its row: what
/// `POST .../action_invocations` does, for the web pages ([`super::web`]) too. Cheap to clone.
#[derive(Clone)]
pub struct ActionRunner(Arc<Invoker>);

impl ActionRunner {
    /// Run the invocation `body` (the REST body: `action_id`, `properties`, `artifact_id`,
    /// `row_id`) on incident `inc` of `org`, already checked as the caller's; the answer the
    /// REST route gives, once the workflows have ended.
    pub async fn invoke(
        &self,
        state: &AppState,
        org: OrgId,
        inc: i64,
        body: Map<String, Value>,
    ) -> Result<Value, ApiError> {
        let invoker = self.0.clone();
        let prepared = state
            .with_store(move |s| prepare(s, org, inc, &body))
            .await?;
        let (prepared, runs) = tokio::task::spawn_blocking(move || {
            // Off the async workers: the first call may read a bundle or download from TAXII.
            let runtime = invoker.runtime();
            let engine = Engine::new(&runtime).with_python(invoker.workflows.python.clone());
            let runs: Vec<(WorkflowName, Result<Outcome, Failure>)> = prepared
                .workflows
                .iter()
                .map(|w| {
                    (
                        w.clone(),
                        engine.run(&prepared.res, w, prepared.context.clone()),
                    )
                })
                .collect();
            (prepared, runs)
        })
        .await
        .map_err(|e| ApiError::internal(format!("the workflow run failed: {e}")))?;
        state
            .with_store(move |s| record(s, org, inc, prepared, runs))
            .await
            .map(|Json(v)| v)
    }
}

fn id_or_name(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn prepare(
    store: &mut Store,
    org: OrgId,
    inc: i64,
    body: &Map<String, Value>,
) -> Result<Prepared, ApiError> {
    let incident = incident_or_404(store, org, inc)?;
    let handle = id_or_name(body.get("action_id")).ok_or_else(|| {
        ApiError::bad_request("An invocation needs \"action_id\": the rule's id or name")
    })?;
    let rule = store
        .find_object(org, Kind::Rule, &handle)?
        .ok_or_else(|| ApiError::not_found(format!("No rule {handle:?}")))?;
    let object_type = rule
        .body
        .get("object_type")
        .and_then(Value::as_str)
        .unwrap_or("incident")
        .to_string();
    if rule.body.get("type").and_then(Value::as_i64) == Some(0) {
        return Err(ApiError::bad_request(format!(
            "Rule {:?} is an automatic rule, not a menu item",
            rule.api_name
        )));
    }
    let properties = match body.get("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(ApiError::bad_request("properties must be a JSON object")),
    };
    let mut context = Context {
        incident: incident.clone(),
        rule: Some(json!({"properties": properties})),
        ..Context::default()
    };
    let mut table = None;
    let (object, subject) = match object_type.as_str() {
        "incident" => (json!({"type": "incident", "id": inc}), incident.clone()),
        "artifact" => {
            let id = body
                .get("artifact_id")
                .and_then(Value::as_i64)
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "Rule {:?} runs on artifacts: give \"artifact_id\"",
                        rule.api_name
                    ))
                })?;
            let artifact = store
                .items(org, IncidentId(inc), ItemKind::Artifact)?
                .into_iter()
                .find(|a| a.get("id").and_then(Value::as_i64) == Some(id))
                .ok_or_else(|| {
                    ApiError::not_found(format!("No artifact {id} on incident {inc}"))
                })?;
            context.artifact = Some(artifact.clone());
            (json!({"type": "artifact", "id": id}), artifact)
        }
        name => {
            let id = body.get("row_id").and_then(Value::as_i64).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "Rule {:?} runs on rows of data table {name}: give \"row_id\"",
                    rule.api_name
                ))
            })?;
            let (_, cells, _) = store
                .rows(org, IncidentId(inc), name)?
                .into_iter()
                .find(|(r, _, _)| *r == id)
                .ok_or_else(|| ApiError::not_found(format!("No row {id} in {name}")))?;
            context.row = Some(cells.clone());
            table = Some((name.to_string(), id));
            (json!({"type": name, "id": id}), cells)
        }
    };
    check_conditions(&rule.api_name, &rule.body, &object_type, &subject)?;
    let workflows: Vec<WorkflowName> = rule
        .body
        .get("workflows")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(WorkflowName::new)
        .collect();
    if workflows.is_empty() {
        return Err(ApiError::bad_request(format!(
            "Rule {:?} runs no workflow",
            rule.api_name
        )));
    }
    Ok(Prepared {
        res: org_definitions(store, org)?,
        rule: rule.api_name.clone(),
        rule_id: rule.body.get("id").cloned().unwrap_or(json!(rule.id.0)),
        workflows,
        context,
        object,
        table,
    })
}

/// The org's workflows, functions, fields, data tables and rules as one resource file.
fn org_definitions(store: &Store, org: OrgId) -> Result<ResFile, ApiError> {
    let mut res = Map::new();
    for kind in [
        Kind::Workflow,
        Kind::Function,
        Kind::Field,
        Kind::DataTable,
        Kind::Rule,
    ] {
        let list: Vec<Value> = store
            .objects(org, kind)?
            .into_iter()
            .map(|o| o.body)
            .collect();
        res.insert(kind.list_key().to_string(), Value::Array(list));
    }
    serde_json::from_value(Value::Object(res)).map_err(|e| {
        ApiError::internal(format!(
            "the org's definitions do not read as a resource file: {e}"
        ))
    })
}

/// Whether SOAR would offer menu-item rule `body` on `subject`, an object of `object_type`
/// (`incident`, `artifact` or a data table's API name): a manual rule on that type whose
/// conditions hold. The web pages list rules with it; an invocation checks the same.
pub(crate) fn offered(body: &Value, object_type: &str, subject: &Value) -> bool {
    let on = body
        .get("object_type")
        .and_then(Value::as_str)
        .unwrap_or("incident");
    on == object_type
        && body.get("type").and_then(Value::as_i64) != Some(0)
        && check_conditions("", body, object_type, subject).is_ok()
}

/// The rule's conditions on the object it runs on (SOAR offers the menu item only when they
/// hold). Methods the reference org does not know are not checked.
fn check_conditions(
    rule: &str,
    body: &Value,
    object_type: &str,
    subject: &Value,
) -> Result<(), ApiError> {
    let conditions: Vec<&Value> = body
        .get("conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    if conditions.is_empty() {
        return Ok(());
    }
    let any = body.get("logic_type").and_then(Value::as_str) == Some("any");
    let mut failures = Vec::new();
    for c in &conditions {
        let field = c.get("field_name").and_then(Value::as_str).unwrap_or("");
        let method = c.get("method").and_then(Value::as_str).unwrap_or("");
        let path = field
            .strip_prefix(&format!("{object_type}."))
            .unwrap_or(field);
        let mut value = subject;
        for part in path.split('.') {
            value = value.get(part).unwrap_or(&Value::Null);
        }
        let has = match value {
            Value::Null => false,
            Value::String(s) => !s.trim().is_empty(),
            Value::Array(a) => !a.is_empty(),
            _ => true,
        };
        let expected = c.get("value").unwrap_or(&Value::Null);
        let holds = match method {
            "has_a_value" => has,
            "not_has_a_value" => !has,
            "equals" => value == expected,
            "not_equals" => value != expected,
            "contains" => match (value, expected) {
                (Value::String(a), Value::String(b)) => a.contains(b.as_str()),
                _ => false,
            },
            _ => true,
        };
        if !holds {
            failures.push(format!("{field} {}", method.replace('_', " ")));
        }
    }
    let ok = if any {
        failures.len() < conditions.len()
    } else {
        failures.is_empty()
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "Rule {rule:?} is not offered on this {object_type}: its conditions do not hold ({})",
            failures.join("; ")
        )))
    }
}

/// Write what the runs did and answer with it.
fn record(
    store: &mut Store,
    org: OrgId,
    inc: i64,
    prepared: Prepared,
    runs: Vec<(WorkflowName, Result<Outcome, Failure>)>,
) -> Result<Json<Value>, ApiError> {
    let mut rows = Vec::new();
    let mut tasks = Vec::new();
    let mut notes = Vec::new();
    let mut artifacts = Vec::new();
    let mut reports = Vec::new();
    for (workflow, run) in runs {
        let (outcome, error) = match run {
            Ok(o) => (o, None),
            Err(f) => (*f.partial, Some(f.error.to_string())),
        };
        for row in &outcome.rows {
            let cells: Map<String, Value> = row
                .cells
                .iter()
                .map(|(k, c)| (k.clone(), c.stored()))
                .collect();
            let (id, _) = store.insert_row(
                org,
                IncidentId(inc),
                row.table.as_str(),
                &Value::Object(cells),
            )?;
            rows.push(json!({"table": row.table, "id": id}));
        }
        let incident = incident_or_404(store, org, inc)?;
        for task in &outcome.tasks {
            let body = store.insert_task(org, IncidentId(inc), |id| {
                json!({
                    "id": id,
                    "name": task.name,
                    "inc_id": inc,
                    "inc_name": incident.get("name").cloned().unwrap_or(Value::Null),
                    "inc_owner_id": incident.get("owner_id").cloned().unwrap_or(Value::Null),
                    "instructions": task.instructions.as_ref().map(|t| t.content.clone()),
                    "phase_id": task.phase,
                    "status": "O",
                    "active": true,
                    "custom": true,
                    "required": false,
                    "frozen": false,
                    "due_date": null,
                    "owner_id": null,
                    "init_date": now_ms(),
                    "closed_date": null,
                    "notes": [],
                    "notes_count": 0,
                    "attachments_count": 0,
                    "creator_principal": {"type": "workflow", "name": workflow.as_str()},
                })
            })?;
            tasks.push(json!({"id": body.get("id"), "name": task.name}));
        }
        for note in &outcome.notes {
            let body = store.insert_item(org, IncidentId(inc), ItemKind::Comment, |id| {
                new_comment(id, inc, Value::String(note.text.content.clone()))
            })?;
            notes.push(body.get("id").cloned().unwrap_or(Value::Null));
        }
        for a in &outcome.artifacts {
            let body = store.insert_item(org, IncidentId(inc), ItemKind::Artifact, |id| {
                new_artifact(
                    id,
                    inc,
                    Value::String(a.artifact_type.clone()),
                    a.value.clone(),
                    a.description
                        .as_ref()
                        .map(|d| Value::String(d.content.clone()))
                        .unwrap_or(Value::Null),
                )
            })?;
            artifacts.push(body.get("id").cloned().unwrap_or(Value::Null));
        }
        apply_changes(store, org, inc, &prepared, &outcome)?;
        reports.push(json!({
            "workflow": workflow,
            "status": if error.is_none() { "completed" } else { "failed" },
            "error": error,
            "steps": outcome.steps,
        }));
    }
    Ok(Json(json!({
        "rule": prepared.rule,
        "action_id": prepared.rule_id,
        "object": prepared.object,
        "workflows": reports,
        "rows": rows,
        "tasks": tasks,
        "notes": notes,
        "artifacts": artifacts,
    })))
}

/// Incident and row field changes the scripts made.
fn apply_changes(
    store: &mut Store,
    org: OrgId,
    inc: i64,
    prepared: &Prepared,
    outcome: &Outcome,
) -> Result<(), ApiError> {
    use crate::runtime::engine::Target;
    let incident_changes: Vec<_> = outcome
        .changes
        .iter()
        .filter(|c| c.object == Target::Incident)
        .collect();
    if !incident_changes.is_empty() {
        let mut incident = incident_or_404(store, org, inc)?;
        for c in incident_changes {
            set_path(&mut incident, &c.field, c.value.clone());
        }
        store.update_incident(org, IncidentId(inc), &incident)?;
    }
    if let Some((table, row)) = &prepared.table {
        let changes: Vec<_> = outcome
            .changes
            .iter()
            .filter(|c| c.object == Target::Row)
            .collect();
        if !changes.is_empty() {
            if let Some((_, cells, _)) = store
                .rows(org, IncidentId(inc), table)?
                .into_iter()
                .find(|(r, _, _)| r == row)
            {
                let mut cells = cells;
                for c in changes {
                    set_path(&mut cells, &c.field, c.value.clone());
                }
                store.update_row(org, IncidentId(inc), table, *row, &cells)?;
            }
        }
    }
    Ok(())
}

fn set_path(object: &mut Value, path: &str, value: Value) {
    let mut here = object;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        if !here.is_object() {
            *here = Value::Object(Map::new());
        }
        let Value::Object(map) = here else { return };
        if i + 1 == parts.len() {
            map.insert(part.to_string(), value);
            return;
        }
        here = map.entry(part.to_string()).or_insert(Value::Null);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_hold_or_name_what_failed() {
        let rule = json!({"conditions": [{"field_name": "incident.properties.qradar_id",
                                          "method": "has_a_value", "value": null}],
                          "logic_type": "all"});
        assert!(check_conditions(
            "r",
            &rule,
            "incident",
            &json!({"properties": {"qradar_id": "23"}})
        )
        .is_ok());
        let e = check_conditions("r", &rule, "incident", &json!({"properties": {}})).unwrap_err();
        assert_eq!(
            e.message,
            "Rule \"r\" is not offered on this incident: its conditions do not hold (incident.properties.qradar_id has a value)"
        );
        let row_rule = json!({"conditions": [{"field_name": "qradar_reference_set.source",
                                              "method": "has_a_value"}]});
        assert!(check_conditions(
            "m",
            &row_rule,
            "qradar_reference_set",
            &json!({"source": "RF Risklist Source Log"})
        )
        .is_ok());
        assert!(check_conditions(
            "m",
            &row_rule,
            "qradar_reference_set",
            &json!({"source": ""})
        )
        .is_err());
    }

    #[test]
    fn emulated_config_text_splits_into_sections() {
        let s = sections("[a]\nx = 1\ny=2\n\n[b]\nz = 3\n").unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(
            s[0].entries,
            vec![("x".into(), "1".into()), ("y".into(), "2".into())]
        );
        assert_eq!(s[1].name, "b");
    }

    #[test]
    fn emulated_config_is_read_by_the_one_app_config_reader() {
        // The hand-written parser this replaced took `url: ...` as no entry and a repeated
        // key silently; the one reader reads `:` as resilient-circuits does and refuses repeats.
        let s = sections("[a]\nurl: https://h:1/#x\n").unwrap();
        assert_eq!(s[0].entries, vec![("url".into(), "https://h:1/#x".into())]);
        let e = sections("[a]\nx = 1\nX = 2\n").unwrap_err();
        assert!(matches!(e, AppConfigError::DuplicateKey { .. }), "{e}");

        let text = EmulatedQradar::new(crate::emulate::Scenario::builtin())
            .app_config("https://127.0.0.1:1", "/ca.pem");
        let names: Vec<String> = sections(&text)
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert!(
            names.contains(&"fn_qradar_advisor".to_string()),
            "{names:?}"
        );
    }
}
