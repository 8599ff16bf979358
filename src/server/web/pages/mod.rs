//! The pages: each handler reads what it shows through the store functions the REST API uses,
//! turns it into a view (plain strings, rich text already sanitised), and renders its askama
//! template (`templates/web/`), which escapes everything else.
//!
//! Split by area: [`incident`] (the incident list, an incident, its actions, runs and
//! artifacts), [`admin`] (Administrator Settings: Organization, Import Settings, Import
//! History) and [`customize`] (Customization Settings); what they share is here.

pub mod admin;
pub mod customize;
pub mod incident;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::Value;

use super::session::Session;
use super::{html_headers, WebError};
use crate::server::actions::offered;
use crate::server::store::{Org, StoredObject};

pub use admin::{
    admin, import_decide, import_history, import_page, import_preview, import_upload, organization,
};
pub use customize::{customize, customize_default};
pub use incident::{add_artifact, create_incident, incident, incidents, run_action, run_status};

pub(super) type Page = Result<Response, WebError>;

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

pub(super) fn html(page: &impl Template) -> Page {
    Ok((html_headers(), page.render()?).into_response())
}

pub(super) fn html_with(status: StatusCode, page: &impl Template) -> Page {
    Ok((status, html_headers(), page.render()?).into_response())
}

pub(super) fn see_other(to: String) -> Response {
    Redirect::to(&to).into_response()
}

// ---- formatting -----------------------------------------------------------------------------

/// A date in ms since the epoch as SOAR shows it (`MM/DD/YYYY HH:MM`, UTC here).
pub fn date(ms: i64) -> String {
    let t = crate::civil::UtcTime::from_unix(ms.div_euclid(1000));
    format!(
        "{:02}/{:02}/{:04} {:02}:{:02}",
        t.month, t.day, t.year, t.hour, t.minute
    )
}

/// A JSON value as the text a cell or field shows.
pub(super) fn text(v: Option<&Value>) -> String {
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
pub(super) fn or_dash(s: String) -> String {
    if s.trim().is_empty() {
        "—".into()
    } else {
        s
    }
}

pub(super) fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
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

/// The names of the org's manual rules offered on `subject`, an object of `object_type`.
pub(super) fn offered_rules(
    rules: &[StoredObject],
    object_type: &str,
    subject: &Value,
) -> Vec<String> {
    rules
        .iter()
        .filter(|r| offered(&r.body, object_type, subject))
        .map(|r| r.api_name.clone())
        .collect()
}

/// The columns of a data table definition, in their order: `(name, label, rich text)`.
pub(super) fn columns(table: &Value) -> Vec<(String, String, bool)> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
