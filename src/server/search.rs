//! `POST /rest/search_ex`: an emulation of SOAR's search, for the one question respack asks it —
//! "does any incident have rows in these data tables?" — in one call, however many incidents the
//! org holds (`respack uninstall` keeps a data table that still has rows).
//!
//! SOAR's own endpoint (res-format.md §2.1, §2.9: absolute path, body with `org_id`, `query`,
//! `types`, `filters`, `min_required_results`) is confirmed to exist; the exact filter and hit
//! shapes are not documented in any source reached, so this emulation answers only:
//! - `types` containing `"datatable"`: one hit per row, `{"type_id": "datatable", "obj_id":
//!   <row id>, "inc_id": <incident id>, "org_id", "result": {"id", "type_name", "cells"}}`;
//! - `filters.datatable[].conditions[]` with `field_name: "type_name"` and `method` `in` or
//!   `equals` restrict the tables; without one, every table's rows match;
//! - `query`: `*` or empty matches every row, anything else rows whose cells contain it as text.
//!
//! Other types give no hits. The answer is `{"results": [...], "total_hits": n}`.

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::error::ApiError;
use super::state::{json_body, AppState, Caller};
use super::store::OrgId;

pub fn routes(state: AppState) -> Router {
    Router::new()
        .route("/rest/search_ex", post(search_ex))
        .with_state(state)
}

/// The table names a `filters.datatable` condition list names, or `None` for every table.
fn table_filter(body: &Value) -> Option<Vec<String>> {
    let groups = body.pointer("/filters/datatable")?;
    let groups: Vec<&Value> = match groups {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut names = vec![];
    let mut any = false;
    for g in groups {
        for c in g
            .get("conditions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if c.get("field_name").and_then(Value::as_str) != Some("type_name") {
                continue;
            }
            any = true;
            match c.get("value") {
                Some(Value::Array(vs)) => {
                    names.extend(vs.iter().filter_map(Value::as_str).map(str::to_string))
                }
                Some(Value::String(v)) => names.push(v.clone()),
                _ => {}
            }
        }
    }
    any.then_some(names)
}

async fn search_ex(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body = json_body(&body)?;
    let org = match body.get("org_id").and_then(Value::as_i64) {
        Some(id) => caller.check_org(OrgId(id))?,
        None => match caller.org_ids()[..] {
            [only] => only,
            _ => return Err(ApiError::bad_request("org_id is required")),
        },
    };
    let wants_rows = body
        .get("types")
        .and_then(Value::as_array)
        .is_some_and(|t| t.iter().any(|v| v.as_str() == Some("datatable")));
    if !wants_rows {
        return Ok(Json(json!({"results": [], "total_hits": 0})));
    }
    let query = body
        .get("query")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_string();
    let filter = table_filter(&body);
    if filter.as_ref().is_some_and(|f| f.is_empty()) {
        return Ok(Json(json!({"results": [], "total_hits": 0})));
    }
    let tables = filter.unwrap_or_default();
    let rows = state
        .with_store(move |s| Ok(s.rows_in_tables(org, &tables)?))
        .await?;
    let results: Vec<Value> = rows
        .into_iter()
        .filter(|(_, _, _, cells)| {
            query.is_empty() || query == "*" || cells.to_string().contains(&query)
        })
        .map(|(id, inc, table, cells)| {
            json!({
                "type_id": "datatable",
                "obj_id": id,
                "inc_id": inc,
                "org_id": org,
                "result": {"id": id, "type_name": table, "cells": cells},
            })
        })
        .collect();
    let n = results.len();
    Ok(Json(json!({"results": results, "total_hits": n})))
}
