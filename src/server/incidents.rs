//! Incidents, data table rows and tasks: the case data the package's workflows read and write.
//!
//! As on SOAR, an incident's custom `properties` must be incident fields the org defines, and a
//! row's cells must be columns of the data table's definition; anything else is a 400 naming
//! the offending property or column. Rows are always answered with cells keyed by column name
//! (what `handle_format=names` gives on SOAR; other formats are accepted and answered the same).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use super::error::ApiError;
use super::kinds::Kind;
use super::state::{json_body, AppState, Caller};
use super::store::{now_ms, IncidentId, OrgId, Store};

type ApiResult<T = Json<Value>> = Result<T, ApiError>;

pub fn routes(state: AppState) -> Router {
    Router::new()
        .route("/rest/orgs/{org}/incidents", post(create_incident))
        .route(
            "/rest/orgs/{org}/incidents/{inc}",
            get(get_incident).delete(delete_incident),
        )
        .route(
            "/rest/orgs/{org}/incidents/{inc}/table_data/{table}",
            get(list_rows),
        )
        .route(
            "/rest/orgs/{org}/incidents/{inc}/table_data/{table}/row_data",
            post(add_row),
        )
        .route(
            "/rest/orgs/{org}/incidents/{inc}/table_data/{table}/row_data/{row}",
            put(update_row).delete(delete_row),
        )
        .route(
            "/rest/orgs/{org}/incidents/{inc}/tasks",
            get(list_tasks).post(add_task),
        )
        .route("/rest/orgs/{org}/tasks/{task}", get(get_task))
        .with_state(state)
}

fn incident_or_404(store: &Store, org: OrgId, inc: i64) -> Result<Value, ApiError> {
    store
        .incident(org, IncidentId(inc))?
        .ok_or_else(|| ApiError::not_found(format!("No incident {inc}")))
}

fn object_body(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match json_body(bytes)? {
        Value::Object(m) => Ok(m),
        _ => Err(ApiError::bad_request(
            "The request body must be a JSON object",
        )),
    }
}

async fn create_incident(
    State(state): State<AppState>,
    caller: Caller,
    Path(org): Path<i64>,
    body: Bytes,
) -> ApiResult {
    let org = caller.check_org(OrgId(org))?;
    let body = object_body(&body)?;
    let principal = caller.principal_json();
    state
        .with_store(move |s| Ok(Json(new_incident(s, org, body, principal)?)))
        .await
}

/// Create an incident from the body `POST /incidents` takes (`name`, `discovered_date` in epoch
/// ms, custom `properties` that must be incident fields of the org), as `principal`: the one
/// place both the REST API and the pages create incidents.
pub(crate) fn new_incident(
    s: &mut Store,
    org: OrgId,
    mut body: Map<String, Value>,
    principal: Value,
) -> Result<Value, ApiError> {
    match body.get("name").and_then(Value::as_str) {
        Some(n) if !n.trim().is_empty() => {}
        _ => return Err(ApiError::bad_request("An incident needs a name")),
    }
    if !body.get("discovered_date").is_some_and(Value::is_i64) {
        return Err(ApiError::bad_request(
            "An incident needs discovered_date (epoch milliseconds)",
        ));
    }
    let properties = match body.remove("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m,
        Some(_) => return Err(ApiError::bad_request("properties must be a JSON object")),
    };
    let fields = custom_incident_fields(s, org)?;
    if let Some(unknown) = properties.keys().find(|k| !fields.contains(k)) {
        return Err(ApiError::bad_request(format!(
            "Unknown incident property {unknown:?}: the org has no incident field of that name"
        )));
    }
    let now = now_ms();
    Ok(s.insert_incident(org, |id| {
        let mut inc = json!({
            "id": id,
            "org_id": org,
            "description": null,
            "create_date": now,
            "inc_last_modified_date": now,
            "plan_status": "A",
            "phase_id": "Respond",
            "severity_code": null,
            "incident_type_ids": [],
            "owner_id": null,
            "confirmed": false,
            "vers": 1,
            "creator_principal": principal,
        });
        if let Some(m) = inc.as_object_mut() {
            for (k, v) in body {
                if k != "id" && k != "org_id" {
                    m.insert(k, v);
                }
            }
            m.insert("properties".into(), Value::Object(properties));
        }
        inc
    })?)
}

/// The names of the org's custom incident fields (what an incident's `properties` may hold).
pub(crate) fn custom_incident_fields(s: &Store, org: OrgId) -> Result<Vec<String>, ApiError> {
    Ok(s.objects(org, Kind::Field)?
        .into_iter()
        .filter_map(|f| f.api_name.strip_prefix("incident/").map(str::to_string))
        .collect())
}

async fn get_incident(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, inc)): Path<(i64, i64)>,
) -> ApiResult {
    let org = caller.check_org(OrgId(org))?;
    state
        .with_store(move |s| Ok(Json(incident_or_404(s, org, inc)?)))
        .await
}

async fn delete_incident(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, inc)): Path<(i64, i64)>,
) -> ApiResult<StatusCode> {
    let org = caller.check_org(OrgId(org))?;
    state
        .with_store(move |s| {
            if s.delete_incident(org, IncidentId(inc))? {
                Ok(StatusCode::NO_CONTENT)
            } else {
                Err(ApiError::not_found(format!("No incident {inc}")))
            }
        })
        .await
}

// ---- data table rows ----------------------------------------------------------------------

/// The table's columns: name → column definition.
fn table_definition(
    store: &Store,
    org: OrgId,
    table: &str,
) -> Result<(i64, Map<String, Value>), ApiError> {
    let t = store
        .find_object(org, Kind::DataTable, table)?
        .ok_or_else(|| ApiError::not_found(format!("No data table {table:?}")))?;
    let cols = t
        .body
        .get("fields")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    Ok((t.id.0, cols))
}

fn row_json(row: i64, cells: &Value, version: i64, inc: i64, table: &str) -> Value {
    let cells: Map<String, Value> = cells
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(col, v)| (col.clone(), json!({"id": col, "row_id": row, "value": v})))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "id": row,
        "inc_id": inc,
        "type_handle": table,
        "cells": cells,
        "actions": [],
        "playbooks": [],
        "version": version,
    })
}

/// `{"cells": {"<column>": {"value": v}}}` → `{"<column>": v}`, every column checked against
/// the table's definition (columns may also be named by their field id).
fn parse_cells(
    body: &[u8],
    table: &str,
    cols: &Map<String, Value>,
) -> Result<Map<String, Value>, ApiError> {
    let body = object_body(body)?;
    let Some(Value::Object(cells)) = body.get("cells") else {
        return Err(ApiError::bad_request(
            "A row needs \"cells\": {\"<column>\": {\"value\": ...}}",
        ));
    };
    let mut out = Map::new();
    for (key, cell) in cells {
        let name = if cols.contains_key(key) {
            key.clone()
        } else {
            cols.iter()
                .find(|(_, c)| c.get("id").map(|i| i.to_string()).as_deref() == Some(key))
                .map(|(n, _)| n.clone())
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "Data table {table} has no column {key:?} (columns: {})",
                        cols.keys().cloned().collect::<Vec<_>>().join(", ")
                    ))
                })?
        };
        let value = match cell {
            Value::Object(c) => c
                .get("value")
                .cloned()
                .ok_or_else(|| ApiError::bad_request(format!("Cell {key:?} has no \"value\"")))?,
            _ => {
                return Err(ApiError::bad_request(format!(
                    "Cell {key:?} must be an object {{\"value\": ...}}"
                )))
            }
        };
        out.insert(name, value);
    }
    Ok(out)
}

async fn list_rows(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, inc, table)): Path<(i64, i64, String)>,
    Query(_q): Query<HashMap<String, String>>,
) -> ApiResult {
    let org = caller.check_org(OrgId(org))?;
    state
        .with_store(move |s| {
            incident_or_404(s, org, inc)?;
            let (table_id, _) = table_definition(s, org, &table)?;
            let rows: Vec<Value> = s
                .rows(org, IncidentId(inc), &table)?
                .into_iter()
                .map(|(id, cells, v)| row_json(id, &cells, v, inc, &table))
                .collect();
            Ok(Json(
                json!({"id": table_id, "table_name": table, "rows": rows}),
            ))
        })
        .await
}

async fn add_row(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, inc, table)): Path<(i64, i64, String)>,
    body: Bytes,
) -> ApiResult {
    let org = caller.check_org(OrgId(org))?;
    state
        .with_store(move |s| {
            incident_or_404(s, org, inc)?;
            let (_, cols) = table_definition(s, org, &table)?;
            let cells = Value::Object(parse_cells(&body, &table, &cols)?);
            let (row, _) = s.insert_row(org, IncidentId(inc), &table, &cells)?;
            Ok(Json(row_json(row, &cells, 1, inc, &table)))
        })
        .await
}

async fn update_row(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, inc, table, row)): Path<(i64, i64, String, i64)>,
    body: Bytes,
) -> ApiResult {
    let org = caller.check_org(OrgId(org))?;
    state
        .with_store(move |s| {
            incident_or_404(s, org, inc)?;
            let (_, cols) = table_definition(s, org, &table)?;
            let update = parse_cells(&body, &table, &cols)?;
            let Some((_, old, version)) = s
                .rows(org, IncidentId(inc), &table)?
                .into_iter()
                .find(|(id, _, _)| *id == row)
            else {
                return Err(ApiError::not_found(format!("No row {row} in {table}")));
            };
            let mut cells = old.as_object().cloned().unwrap_or_default();
            cells.extend(update);
            let cells = Value::Object(cells);
            s.update_row(org, IncidentId(inc), &table, row, &cells)?;
            Ok(Json(row_json(row, &cells, version + 1, inc, &table)))
        })
        .await
}

async fn delete_row(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, inc, table, row)): Path<(i64, i64, String, i64)>,
) -> ApiResult<StatusCode> {
    let org = caller.check_org(OrgId(org))?;
    state
        .with_store(move |s| {
            if s.delete_row(org, IncidentId(inc), &table, row)? {
                Ok(StatusCode::NO_CONTENT)
            } else {
                Err(ApiError::not_found(format!("No row {row} in {table}")))
            }
        })
        .await
}

// ---- tasks --------------------------------------------------------------------------------

async fn add_task(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, inc)): Path<(i64, i64)>,
    body: Bytes,
) -> ApiResult {
    let org = caller.check_org(OrgId(org))?;
    let mut body = object_body(&body)?;
    let name = match body.remove("name") {
        Some(Value::String(n)) if !n.trim().is_empty() => n,
        _ => return Err(ApiError::bad_request("A task needs a name")),
    };
    let principal = caller.principal_json();
    state
        .with_store(move |s| {
            let incident = incident_or_404(s, org, inc)?;
            let task = s.insert_task(org, IncidentId(inc), |id| {
                let mut t = json!({
                    "id": id,
                    "name": name,
                    "inc_id": inc,
                    "inc_name": incident.get("name").cloned().unwrap_or(Value::Null),
                    "inc_owner_id": incident.get("owner_id").cloned().unwrap_or(Value::Null),
                    "instructions": null,
                    "phase_id": null,
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
                    "creator_principal": principal,
                });
                if let Some(m) = t.as_object_mut() {
                    for (k, v) in body {
                        if !matches!(k.as_str(), "id" | "inc_id") {
                            m.insert(k, v);
                        }
                    }
                }
                t
            })?;
            Ok(Json(task))
        })
        .await
}

async fn list_tasks(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, inc)): Path<(i64, i64)>,
) -> ApiResult {
    let org = caller.check_org(OrgId(org))?;
    state
        .with_store(move |s| {
            incident_or_404(s, org, inc)?;
            Ok(Json(Value::Array(s.tasks(org, IncidentId(inc))?)))
        })
        .await
}

async fn get_task(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, task)): Path<(i64, i64)>,
) -> ApiResult {
    let org = caller.check_org(OrgId(org))?;
    state
        .with_store(move |s| {
            s.task(org, task)?
                .map(Json)
                .ok_or_else(|| ApiError::not_found(format!("No task {task}")))
        })
        .await
}
