//! The REST routes of the reference org: session, constants, org, configuration export and
//! import, and the configuration object endpoints (res-format.md §2). Incidents, data table rows
//! and tasks are in [`super::incidents`].
//!
//! A PENDING import holds its whole `.res` in the database until it is accepted or rejected;
//! one left alone expires after [`super::Limits::pending_import`] (status EXPIRED, `.res`
//! dropped), checked whenever imports are touched and by the server's sweep.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::error::ApiError;
use super::export;
use super::import::{self, ImportError};
use super::kinds::{self, Kind, Target};
use super::limits::ms;
use super::state::{json_body, session_cookie, AppState, Caller, Principal};
use super::store::{ImportId, Org, OrgId, Store, StoredObject};

type ApiResult<T = Json<Value>> = Result<T, ApiError>;

/// Object collections served generically under `/rest/orgs/{org_id}/<collection>`.
const COLLECTIONS: [Kind; 14] = [
    Kind::Rule,
    Kind::Workflow,
    Kind::Function,
    Kind::MessageDestination,
    Kind::Script,
    Kind::Playbook,
    Kind::Phase,
    Kind::IncidentType,
    Kind::ArtifactType,
    Kind::Layout,
    Kind::AutomaticTask,
    Kind::Role,
    Kind::Workspace,
    Kind::Tag,
];

/// A collection's REST path: its list key in an export, but for artifact types, which SOAR
/// exports as `incident_artifact_types` and serves at `/artifact_types`.
fn collection_path(kind: Kind) -> &'static str {
    match kind {
        Kind::ArtifactType => "artifact_types",
        k => k.list_key(),
    }
}

/// The routes of this module, with their state.
pub fn routes(state: AppState) -> Router {
    let mut r = Router::new()
        .route(
            "/rest/session",
            get(get_session).post(post_session).delete(delete_session),
        )
        .route("/rest/const", get(get_const))
        .route("/rest/const/", get(get_const))
        .route("/rest/orgs/{org}", get(get_org))
        .route("/rest/orgs/{org}/", get(get_org))
        .route("/rest/orgs/{org}/configurations/exports", post(post_export))
        .route(
            "/rest/orgs/{org}/configurations/exports/",
            post(post_export),
        )
        .route(
            "/rest/orgs/{org}/configurations/exports/history",
            get(export_history),
        )
        .route("/rest/orgs/{org}/configurations/imports", post(post_import))
        .route(
            "/rest/orgs/{org}/configurations/imports/",
            post(post_import),
        )
        .route(
            "/rest/orgs/{org}/configurations/imports/{id}",
            get(get_import).put(put_import),
        )
        .route("/rest/orgs/{org}/types", get(list_types))
        .route(
            "/rest/orgs/{org}/types/{type}",
            get(get_type).delete(delete_type),
        )
        .route(
            "/rest/orgs/{org}/types/{type}/fields",
            get(list_type_fields),
        )
        .route(
            "/rest/orgs/{org}/types/{type}/fields/{field}",
            get(get_type_field).delete(delete_type_field),
        );
    for kind in COLLECTIONS {
        let list = format!("/rest/orgs/{{org}}/{}", collection_path(kind));
        let one = format!("/rest/orgs/{{org}}/{}/{{handle}}", collection_path(kind));
        r = r
            .route(
                &list,
                get(move |st, c, p, q| list_objects(kind, st, c, p, q)),
            )
            .route(
                &one,
                get(move |st, c, p, q| get_object(kind, st, c, p, q))
                    .put(move |st, c, p, b| put_object(kind, st, c, p, b))
                    .delete(move |st, c, p| delete_object(kind, st, c, p)),
            );
    }
    r.with_state(state)
}

// ---- session, const, org ------------------------------------------------------------------

fn org_json(org: &Org) -> Value {
    json!({
        "id": org.id,
        "name": org.name,
        "uuid": org.uuid,
        "cloud_account": null,
        "enabled": true,
        "addr": null, "addr2": null, "city": null, "state": null, "zip": null,
        "attachments_enabled": true,
        "tasks_private": false,
        "has_saml": false,
        "require_saml": false,
        "supports_ldap": false,
        "authorized_ldap_group": null,
        "has_available_twofactor": false,
        "twofactor_auth_domain": null,
        "twofactor_cookie_lifetime_secs": 0,
        "perms": {
            "administrator": true,
            "master_administrator": true,
            "observer": false,
            "create_incs": true,
            "create_shared_layout": true,
        },
    })
}

fn session_json(state: &AppState, caller: &Caller, orgs: &[Org]) -> Value {
    let ip = state.info().addr.ip().to_string();
    let orgs: Vec<Value> = orgs.iter().map(org_json).collect();
    match &caller.principal {
        Principal::ApiKey(k) => json!({
            "api_key_handle": k.handle,
            "api_key_id": k.key_id,
            "orgs": orgs,
            "session_ip": ip,
            "is_saml": false,
            "is_ldap": false,
            "saml_alias": null,
        }),
        Principal::User { user, csrf, .. } => json!({
            "user_id": user.id,
            "user_email": user.email,
            "user_fname": user.fname,
            "user_lname": user.lname,
            "csrf_token": csrf,
            "orgs": orgs,
            "session_ip": ip,
            "is_saml": false,
            "is_ldap": false,
            "saml_alias": null,
        }),
    }
}

async fn caller_orgs(state: &AppState, caller: &Caller) -> ApiResult<Vec<Org>> {
    let ids = caller.org_ids();
    state
        .with_store(move |s| {
            let mut orgs = Vec::new();
            for id in ids {
                orgs.extend(s.org(id)?);
            }
            Ok(orgs)
        })
        .await
}

async fn get_session(State(state): State<AppState>, caller: Caller) -> ApiResult {
    let orgs = caller_orgs(&state, &caller).await?;
    Ok(Json(session_json(&state, &caller, &orgs)))
}

async fn post_session(State(state): State<AppState>, body: Bytes) -> ApiResult<Response> {
    let body = json_body(&body)?;
    let (now, idle) = (state.now_ms(), ms(state.limits().session_idle));
    let field = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
    let (Some(email), Some(password)) = (field("email"), field("password")) else {
        return Err(ApiError::bad_request(
            "POST /rest/session needs a JSON body with email and password",
        ));
    };
    let found = state
        .with_store(move |s| {
            let Some(user) = s.verify_password(&email, &password)? else {
                return Ok(None);
            };
            let (token, csrf) = s.create_session(user.id, now, idle)?;
            let orgs = s.user_orgs(user.id)?;
            Ok(Some((user, orgs, token, csrf)))
        })
        .await?;
    let Some((user, orgs, token, csrf)) = found else {
        return Err(ApiError::unauthorized("Invalid email or password"));
    };
    let caller = Caller {
        principal: Principal::User {
            user,
            orgs: orgs.clone(),
            csrf,
        },
    };
    let body = session_json(&state, &caller, &orgs);
    let cookie = format!("JSESSIONID={token}; Path=/; Secure; HttpOnly");
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

async fn delete_session(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
) -> ApiResult<StatusCode> {
    if let (Principal::User { .. }, Some(token)) = (&caller.principal, session_cookie(&headers)) {
        state
            .with_store(move |s| Ok(s.delete_session(&token)?))
            .await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn get_const(_caller: Caller) -> ApiResult {
    Ok(Json(json!({
        "server_version": export::server_version(),
        "actions_framework_enabled": true,
        "playbooks_enabled": true,
        "type_ids": {
            "incident": 0, "task": 1, "note": 2, "milestone": 3, "artifact": 4,
            "attachment": 5, "actioninvocation": 6, "organization": 7, "datatable": 8,
            "layout": 9, "message_destination": 10, "function": 11,
        },
    })))
}

async fn get_org(State(state): State<AppState>, caller: Caller, Path(org): Path<i64>) -> ApiResult {
    let org = caller.check_org(OrgId(org))?;
    state
        .with_store(move |s| {
            let o = s
                .org(org)?
                .ok_or_else(|| ApiError::not_found(format!("No organization {org}")))?;
            let mut users = serde_json::Map::new();
            for u in s.org_users(org)? {
                users.insert(
                    u.id.to_string(),
                    json!({
                        "id": u.id, "email": u.email, "fname": u.fname, "lname": u.lname,
                        "org_id": org, "enabled": true, "status": "A", "locked": false,
                        "is_external": false, "group_ids": [],
                        "roles": {"administrator": true, "master_administrator": true,
                                  "observer": false, "create_incs": true},
                    }),
                );
            }
            let mut body = org_json(&o);
            if let Some(m) = body.as_object_mut() {
                m.insert("actions_framework_enabled".into(), json!(true));
                m.insert("playbooks_enabled".into(), json!(true));
                m.insert("users".into(), Value::Object(users));
            }
            Ok(Json(body))
        })
        .await
}

// ---- export and import --------------------------------------------------------------------

async fn post_export(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<i64>,
    body: Bytes,
) -> ApiResult {
    let org = caller.check_org(OrgId(org))?;
    let options = match json_body(&body)? {
        Value::Null => json!({}),
        v => v,
    };
    state
        .with_store(move |s| {
            let (id, date) = s.record_export(org, &options)?;
            Ok(Json(export::export(s, org, id, date)?))
        })
        .await
}

async fn export_history(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<i64>,
) -> ApiResult {
    let org = caller.check_org(OrgId(org))?;
    state
        .with_store(move |s| {
            let histories: Vec<Value> = s
                .export_history(org)?
                .into_iter()
                .map(|(id, date, options)| json!({"id": id, "date": date, "options": options}))
                .collect();
            Ok(Json(json!({ "histories": histories })))
        })
        .await
}

/// Phase one of an import on `store` at `created` (ms): plan it and record it as PENDING;
/// the DTO.
pub(crate) fn begin_import(
    store: &Store,
    org: OrgId,
    res: &Value,
    created: i64,
) -> Result<Value, ImportError> {
    let plan = import::plan(res, &mut |kind| store.objects(org, kind))?;
    let draft = import::dto(0, org, "PENDING", created, &plan);
    let id = store.insert_import(org, res, &draft, created)?;
    let dto = import::dto(id.0, org, "PENDING", created, &plan);
    store.finish_import_dto(org, id, &dto)?;
    Ok(dto)
}

/// Phase two: apply a PENDING import in one transaction (`accept`) or discard it.
pub(crate) fn finish_import(
    store: &mut Store,
    org: OrgId,
    id: ImportId,
    accept: bool,
) -> Result<Value, ApiError> {
    let Some((status, res, dto)) = store.import(org, id)? else {
        return Err(ApiError::not_found(format!("No import {id}")));
    };
    if status == "EXPIRED" {
        return Err(ApiError::conflict(format!(
            "Import {id} expired: it was left PENDING too long; post the export again"
        )));
    }
    if status != "PENDING" {
        return Err(ApiError::conflict(format!(
            "Import {id} is already {status}; only a PENDING import can be accepted or rejected"
        )));
    }
    let created = dto.get("create_date").and_then(Value::as_i64).unwrap_or(0);
    if !accept {
        let mut dto = dto;
        dto["status"] = json!("REJECTED");
        store.finish_import(org, id, "REJECTED", &dto)?;
        return Ok(dto);
    }
    let res = res.ok_or_else(|| ApiError::internal(format!("import {id} lost its .res")))?;
    store.transaction(|tx| {
        let plan = import::apply(tx, org, &res).map_err(|e| match e {
            ImportError::Refused(p) => ApiError::conflict(format!(
                "The org changed since the import was checked: {}",
                p.join("; ")
            ))
            .with_hints(p),
            ImportError::Store(s) => s.into(),
        })?;
        let dto = import::dto(id.0, org, "ACCEPTED", created, &plan);
        tx.finish_import(org, id, "ACCEPTED", &dto)?;
        Ok(dto)
    })
}

async fn post_import(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<i64>,
    body: Bytes,
) -> ApiResult {
    let org = caller.check_org(OrgId(org))?;
    let res = json_body(&body)?;
    // The text is parsed: do not hold both while the import is planned and stored.
    drop(body);
    let (now, ttl) = import_clock(&state);
    state
        .with_store(move |s| {
            s.expire_imports(now, ttl)?;
            Ok(Json(begin_import(s, org, &res, now)?))
        })
        .await
}

/// Now and the PENDING lifetime, in ms.
fn import_clock(state: &AppState) -> (i64, i64) {
    (state.now_ms(), ms(state.limits().pending_import))
}

async fn get_import(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, id)): Path<(i64, i64)>,
) -> ApiResult {
    let org = caller.check_org(OrgId(org))?;
    let (now, ttl) = import_clock(&state);
    state
        .with_store(move |s| {
            s.expire_imports(now, ttl)?;
            Ok(s.import(org, ImportId(id))?)
        })
        .await
        .and_then(|found| match found {
            Some((_, _, dto)) => Ok(Json(dto)),
            None => Err(ApiError::not_found(format!("No import {id}"))),
        })
}

async fn put_import(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, id)): Path<(i64, i64)>,
    body: Bytes,
) -> ApiResult {
    let org = caller.check_org(OrgId(org))?;
    let body = json_body(&body)?;
    let accept = match body.get("status").and_then(Value::as_str) {
        Some("ACCEPTED") => true,
        Some("REJECTED") => false,
        other => {
            return Err(ApiError::bad_request(format!(
                "status must be ACCEPTED or REJECTED, not {other:?}"
            )))
        }
    };
    let (now, ttl) = import_clock(&state);
    state
        .with_store(move |s| {
            s.expire_imports(now, ttl)?;
            Ok(Json(finish_import(s, org, ImportId(id), accept)?))
        })
        .await
}

// ---- generic object endpoints -------------------------------------------------------------

fn names_format(q: &HashMap<String, String>) -> bool {
    q.get("handle_format").map(String::as_str) == Some("names")
}

/// Numeric ids of the built-in object types, as rules name them in the default handle format.
fn builtin_type_id(name: &str) -> Option<i64> {
    Some(match name {
        "incident" => 0,
        "task" => 1,
        "note" => 2,
        "milestone" => 3,
        "artifact" => 4,
        "attachment" => 5,
        "actioninvocation" => 6,
        "organization" => 7,
        "__function" => 11,
        _ => return None,
    })
}

/// Numeric ids of data tables as types (rules' `object_type` in the default handle format)
/// start here, as on SOAR, so they never collide with the built-in types' ids.
const TABLE_TYPE_ID_BASE: i64 = 1000;

fn table_type_id(table: &StoredObject) -> i64 {
    TABLE_TYPE_ID_BASE + table.id.0
}

/// Name of a built-in object type by its numeric id (the inverse of [`builtin_type_id`]).
fn builtin_type_name(id: i64) -> Option<&'static str> {
    [
        "incident",
        "task",
        "note",
        "milestone",
        "artifact",
        "attachment",
        "actioninvocation",
        "organization",
        "__function",
    ]
    .into_iter()
    .find(|n| builtin_type_id(n) == Some(id))
}

/// A rule or script body as SOAR keeps it, whatever handle format the client wrote it in:
/// `object_type` by type name and (rules) `message_destinations` by display name. A client
/// that read the default format (numeric ids) and PUT the object back sends numbers; SOAR
/// stores and exports names, so `diff` must see names here too.
fn normalise_handles(
    store: &Store,
    org: OrgId,
    kind: Kind,
    body: &mut Value,
) -> Result<(), ApiError> {
    if !matches!(kind, Kind::Rule | Kind::Script) {
        return Ok(());
    }
    if let Some(id) = body.get("object_type").and_then(Value::as_i64) {
        let name = match builtin_type_name(id) {
            Some(n) => n.to_string(),
            None => store
                .objects(org, Kind::DataTable)?
                .into_iter()
                .find(|t| table_type_id(t) == id)
                .map(|t| t.api_name)
                .ok_or_else(|| {
                    ApiError::bad_request(format!("object_type {id}: no such object type"))
                })?,
        };
        body["object_type"] = json!(name);
    }
    if kind != Kind::Rule {
        return Ok(());
    }
    let Some(dests) = body
        .get("message_destinations")
        .and_then(Value::as_array)
        .cloned()
    else {
        return Ok(());
    };
    if !dests.iter().any(Value::is_i64) {
        return Ok(());
    }
    let all = store.objects(org, Kind::MessageDestination)?;
    let named = dests
        .iter()
        .map(|d| match d.as_i64() {
            None => Ok(d.clone()),
            Some(id) => all
                .iter()
                .find(|m| m.id.0 == id)
                .and_then(|m| m.body.get("name").cloned())
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "message_destinations: no message destination {id}"
                    ))
                }),
        })
        .collect::<Result<Vec<_>, _>>()?;
    body["message_destinations"] = Value::Array(named);
    Ok(())
}

/// How an object is shown by the REST endpoints (functions get their derived back-references;
/// rules in the default handle format name their object type and destinations by id).
fn view(store: &Store, org: OrgId, o: &StoredObject, names: bool) -> Result<Value, ApiError> {
    let workflows = if o.kind == Kind::Function {
        store.objects(org, Kind::Workflow)?
    } else {
        vec![]
    };
    view_with(store, org, o, names, &export::Callers::new(&workflows))
}

/// [`view`] with the workflow callers read once by the caller, for lists.
fn view_with(
    store: &Store,
    org: OrgId,
    o: &StoredObject,
    names: bool,
    callers: &export::Callers,
) -> Result<Value, ApiError> {
    match o.kind {
        Kind::Function => Ok(export::function_view(o, callers)),
        Kind::Rule if !names => {
            let mut body = o.body.clone();
            if let Some(ot) = body
                .get("object_type")
                .and_then(Value::as_str)
                .map(str::to_string)
            {
                let id = match builtin_type_id(&ot) {
                    Some(id) => json!(id),
                    None => store
                        .find_object(org, Kind::DataTable, &ot)?
                        .map(|t| json!(table_type_id(&t)))
                        .unwrap_or(json!(ot)),
                };
                body["object_type"] = id;
            }
            if let Some(dests) = body.get("message_destinations").and_then(Value::as_array) {
                let all = store.objects(org, Kind::MessageDestination)?;
                let ids: Vec<Value> = dests
                    .iter()
                    .map(|d| {
                        let name = d.as_str().unwrap_or_default().trim();
                        all.iter()
                            .find(|m| {
                                m.body.get("name").and_then(Value::as_str).map(str::trim)
                                    == Some(name)
                            })
                            .map(|m| json!(m.id))
                            .unwrap_or_else(|| d.clone())
                    })
                    .collect();
                body["message_destinations"] = Value::Array(ids);
            }
            Ok(body)
        }
        _ => Ok(o.body.clone()),
    }
}

async fn list_objects(
    kind: Kind,
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let org = caller.check_org(OrgId(org))?;
    let names = names_format(&q);
    state
        .with_store(move |s| {
            let workflows = if kind == Kind::Function {
                s.objects(org, Kind::Workflow)?
            } else {
                vec![]
            };
            let callers = export::Callers::new(&workflows);
            let entities = s
                .objects(org, kind)?
                .iter()
                .map(|o| view_with(s, org, o, names, &callers))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Json(json!({ "entities": entities })))
        })
        .await
}

fn not_found(kind: Kind, handle: &str) -> ApiError {
    ApiError::not_found(format!(
        "No {} with id or name {handle:?}",
        kind.customization_type()
    ))
}

async fn get_object(
    kind: Kind,
    State(state): State<AppState>,
    caller: Caller,
    Path((org, handle)): Path<(i64, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let org = caller.check_org(OrgId(org))?;
    let names = names_format(&q);
    state
        .with_store(move |s| {
            let o = s
                .find_object(org, kind, &handle)?
                .ok_or_else(|| not_found(kind, &handle))?;
            Ok(Json(view(s, org, &o, names)?))
        })
        .await
}

async fn put_object(
    kind: Kind,
    State(state): State<AppState>,
    caller: Caller,
    Path((org, handle)): Path<(i64, String)>,
    body: Bytes,
) -> ApiResult {
    let org = caller.check_org(OrgId(org))?;
    let mut body = json_body(&body)?;
    if !body.is_object() {
        return Err(ApiError::bad_request(
            "The request body must be a JSON object",
        ));
    }
    state
        .with_store(move |s| {
            let o = s
                .find_object(org, kind, &handle)?
                .ok_or_else(|| not_found(kind, &handle))?;
            if kind.api_name(&body).as_deref() != Some(o.api_name.as_str()) {
                return Err(ApiError::bad_request(format!(
                    "{} {:?}: the API name cannot be changed with PUT",
                    kind.customization_type(),
                    o.api_name
                )));
            }
            normalise_handles(s, org, kind, &mut body)?;
            let body = {
                body["uuid"] = o.uuid.clone().map(Value::String).unwrap_or(Value::Null);
                import::finalize(kind, body.take(), o.id, None)
            };
            s.update_object_body(org, o.id, &body)?;
            let o = s
                .find_object(org, kind, &o.id.to_string())?
                .ok_or_else(|| not_found(kind, &handle))?;
            Ok(Json(view(s, org, &o, true)?))
        })
        .await
}

/// The org objects that refer to `target` (SOAR refuses to delete an object still in use).
fn users_of(store: &Store, org: OrgId, target: &StoredObject) -> Result<Vec<String>, ApiError> {
    let display = target
        .body
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim);
    let mut users = Vec::new();
    for kind in Kind::ALL {
        for o in store.objects(org, kind)? {
            if o.id == target.id {
                continue;
            }
            let uses = kinds::references(kind, &o.body).iter().any(|r| {
                r.to_kind == target.kind
                    && match &r.target {
                        Target::Uuid(u) => target.uuid.as_deref() == Some(u.as_str()),
                        Target::ApiName(n) => n.trim() == target.api_name,
                        Target::DisplayName(n) => Some(n.trim()) == display,
                    }
            });
            let on_table = target.kind == Kind::DataTable
                && matches!(kind, Kind::Rule | Kind::Script)
                && o.body.get("object_type").and_then(Value::as_str) == Some(&target.api_name);
            if uses || on_table {
                users.push(format!("{} '{}'", kind.customization_type(), o.api_name));
            }
        }
    }
    Ok(users)
}

fn delete_checked(store: &Store, org: OrgId, o: &StoredObject) -> Result<(), ApiError> {
    let users = users_of(store, org, o)?;
    if !users.is_empty() {
        return Err(ApiError::conflict(format!(
            "{} '{}' is in use by {}",
            o.kind.customization_type(),
            o.api_name,
            users.join(", ")
        )));
    }
    store.delete_object(org, o.id)?;
    Ok(())
}

async fn delete_object(
    kind: Kind,
    State(state): State<AppState>,
    caller: Caller,
    Path((org, handle)): Path<(i64, String)>,
) -> ApiResult<StatusCode> {
    let org = caller.check_org(OrgId(org))?;
    state
        .with_store(move |s| {
            let o = s
                .find_object(org, kind, &handle)?
                .ok_or_else(|| not_found(kind, &handle))?;
            delete_checked(s, org, &o)?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

// ---- types (data tables and the built-in types' fields) -----------------------------------

/// Built-in types whose fields live in the `fields` list: `(type_name, type_id, display)`.
const FIELD_TYPES: [(&str, i64, &str); 3] = [
    ("incident", 0, "Incident"),
    ("actioninvocation", 6, "Action Invocation"),
    ("__function", 11, "Function"),
];

fn builtin_fields(store: &Store, org: OrgId, type_name: &str) -> Result<Vec<Value>, ApiError> {
    let prefix = format!("{type_name}/");
    Ok(store
        .objects(org, Kind::Field)?
        .into_iter()
        .filter(|f| f.api_name.starts_with(&prefix))
        .map(|f| f.body)
        .collect())
}

fn builtin_type(store: &Store, org: OrgId, name: &str) -> Result<Option<Value>, ApiError> {
    let Some((type_name, type_id, display)) = FIELD_TYPES.iter().find(|t| t.0 == name) else {
        return Ok(None);
    };
    let fields: serde_json::Map<String, Value> = builtin_fields(store, org, type_name)?
        .into_iter()
        .filter_map(|f| Some((f.get("name")?.as_str()?.to_string(), f)))
        .collect();
    Ok(Some(json!({
        "id": type_id, "type_id": type_id, "type_name": type_name, "display_name": display,
        "parent_types": [], "fields": fields, "actions": [], "scripts": [],
        "properties": {"can_create": false, "can_destroy": false, "for_who": []},
    })))
}

fn table_columns(table: &Value) -> Vec<Value> {
    let mut cols: Vec<Value> = table
        .get("fields")
        .and_then(Value::as_object)
        .map(|m| m.values().cloned().collect())
        .unwrap_or_default();
    cols.sort_by_key(|c| c.get("order").and_then(Value::as_i64).unwrap_or(i64::MAX));
    cols
}

async fn list_types(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<i64>,
) -> ApiResult {
    let org = caller.check_org(OrgId(org))?;
    state
        .with_store(move |s| {
            let mut map = serde_json::Map::new();
            for (name, _, _) in FIELD_TYPES {
                if let Some(t) = builtin_type(s, org, name)? {
                    map.insert(name.to_string(), t);
                }
            }
            for t in s.objects(org, Kind::DataTable)? {
                map.insert(t.api_name.clone(), t.body);
            }
            Ok(Json(Value::Object(map)))
        })
        .await
}

async fn get_type(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, name)): Path<(i64, String)>,
) -> ApiResult {
    let org = caller.check_org(OrgId(org))?;
    state
        .with_store(move |s| {
            if let Some(t) = builtin_type(s, org, &name)? {
                return Ok(Json(t));
            }
            let t = s
                .find_object(org, Kind::DataTable, &name)?
                .ok_or_else(|| not_found(Kind::DataTable, &name))?;
            Ok(Json(t.body))
        })
        .await
}

async fn delete_type(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, name)): Path<(i64, String)>,
) -> ApiResult<StatusCode> {
    let org = caller.check_org(OrgId(org))?;
    state
        .with_store(move |s| {
            if builtin_type(s, org, &name)?.is_some() {
                return Err(ApiError::bad_request(format!(
                    "{name} is a built-in type and cannot be deleted"
                )));
            }
            let t = s
                .find_object(org, Kind::DataTable, &name)?
                .ok_or_else(|| not_found(Kind::DataTable, &name))?;
            delete_checked(s, org, &t)?;
            // As on SOAR, the table's data goes with it.
            s.delete_table_rows(org, &t.api_name)?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

async fn list_type_fields(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, name)): Path<(i64, String)>,
) -> ApiResult {
    let org = caller.check_org(OrgId(org))?;
    state
        .with_store(move |s| {
            if FIELD_TYPES.iter().any(|t| t.0 == name) {
                return Ok(Json(Value::Array(builtin_fields(s, org, &name)?)));
            }
            let t = s
                .find_object(org, Kind::DataTable, &name)?
                .ok_or_else(|| not_found(Kind::DataTable, &name))?;
            Ok(Json(Value::Array(table_columns(&t.body))))
        })
        .await
}

fn field_matches(f: &Value, handle: &str) -> bool {
    f.get("name").and_then(Value::as_str) == Some(handle)
        || f.get("id").map(|i| i.to_string()).as_deref() == Some(handle)
}

async fn get_type_field(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, name, field)): Path<(i64, String, String)>,
) -> ApiResult {
    let org = caller.check_org(OrgId(org))?;
    state
        .with_store(move |s| {
            let fields = if FIELD_TYPES.iter().any(|t| t.0 == name) {
                builtin_fields(s, org, &name)?
            } else {
                let t = s
                    .find_object(org, Kind::DataTable, &name)?
                    .ok_or_else(|| not_found(Kind::DataTable, &name))?;
                table_columns(&t.body)
            };
            fields
                .into_iter()
                .find(|f| field_matches(f, &field))
                .map(Json)
                .ok_or_else(|| ApiError::not_found(format!("No field {field:?} in type {name}")))
        })
        .await
}

async fn delete_type_field(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, name, field)): Path<(i64, String, String)>,
) -> ApiResult<StatusCode> {
    let org = caller.check_org(OrgId(org))?;
    state
        .with_store(move |s| {
            let gone = || ApiError::not_found(format!("No field {field:?} in type {name}"));
            if FIELD_TYPES.iter().any(|t| t.0 == name) {
                let stored = s
                    .objects(org, Kind::Field)?
                    .into_iter()
                    .find(|f| {
                        f.api_name.starts_with(&format!("{name}/"))
                            && field_matches(&f.body, &field)
                    })
                    .ok_or_else(gone)?;
                delete_checked(s, org, &stored)?;
                return Ok(StatusCode::NO_CONTENT);
            }
            let t = s
                .find_object(org, Kind::DataTable, &name)?
                .ok_or_else(|| not_found(Kind::DataTable, &name))?;
            let mut body = t.body.clone();
            let key = body
                .get("fields")
                .and_then(Value::as_object)
                .and_then(|m| m.iter().find(|(_, f)| field_matches(f, &field)))
                .map(|(k, _)| k.clone())
                .ok_or_else(gone)?;
            if let Some(Value::Object(m)) = body.get_mut("fields") {
                m.remove(&key);
            }
            s.update_object_body(org, t.id, &body)?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}
