//! Administrator Settings: its Users tab, Organization (Details), and Migrate Settings: Import
//! Settings (upload, preview, Proceed / Cancel) and Import History, on the REST import's code
//! path.

use askama::Template;
use axum::extract::{Form, Multipart, Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use super::{date, html, html_with, see_other, str_of, Nav, Page};
use crate::server::api::{begin_import, finish_import};
use crate::server::limits::ms;
use crate::server::store::{ImportId, Org};
use crate::server::web::session::Session;
use crate::server::web::{Web, WebError};

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
