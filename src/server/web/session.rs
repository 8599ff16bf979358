//! Logging in and out of the pages, and [`Session`], the extractor every page takes.
//!
//! A page session is a REST session ([`crate::server::store::Store::create_session`]): the
//! same users, the same idle expiry, the same csrf token. Its cookie is `JSESSIONID` as on
//! SOAR, here `Secure; HttpOnly; SameSite=Strict`, so another site can neither read it nor
//! make the browser send it; forms carry the csrf token besides. The login form, sent before
//! there is a session, carries a token of its own, matched against a cookie set with the form
//! (a login from another site would otherwise log the browser into the attacker's account).

use axum::extract::{Form, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::pages::LoginPage;
use super::{html_headers, Web, WebError};
use crate::server::limits::ms;
use crate::server::state::session_cookie;
use crate::server::store::{random_token, same, Org, OrgId, User};

/// The cookie holding the login form's token.
const LOGIN_COOKIE: &str = "respack_login";

/// The logged-in user of a page request, with their orgs and the session's csrf token.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub orgs: Vec<Org>,
    pub csrf: String,
}

impl Session {
    /// `org` when the user is one of its members; otherwise it does not exist for them (404,
    /// as another org's data is never shown).
    pub fn org(&self, org: i64) -> Result<Org, WebError> {
        self.orgs
            .iter()
            .find(|o| o.id == OrgId(org))
            .cloned()
            .ok_or_else(|| WebError::NotFound(format!("organization {org}")))
    }

    /// Refuse a form whose token is not this session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), WebError> {
        if same(sent, &self.csrf) {
            Ok(())
        } else {
            Err(WebError::Csrf)
        }
    }
}

impl FromRequestParts<Web> for Session {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Self, WebError> {
        let token = session_cookie(&parts.headers).ok_or(WebError::LoginRequired)?;
        let (now, idle) = (web.app.now_ms(), ms(web.app.limits().session_idle));
        let found = web
            .app
            .with_store(move |s| Ok(s.session_user(&token, now, idle)?))
            .await?;
        let (user, orgs, csrf) = found.ok_or(WebError::LoginRequired)?;
        Ok(Session { user, orgs, csrf })
    }
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A cookie only this site's HTTPS pages get, that scripts cannot read.
fn cookie(name: &str, value: &str, path: &str, max_age: Option<i64>) -> String {
    let age = max_age
        .map(|s| format!("; Max-Age={s}"))
        .unwrap_or_default();
    format!("{name}={value}; Path={path}; Secure; HttpOnly; SameSite=Strict{age}")
}

fn login_form(error: Option<String>, status: StatusCode) -> Result<Response, WebError> {
    let token = random_token(16);
    let page = LoginPage {
        token: token.clone(),
        error,
    };
    let body = askama::Template::render(&page)?;
    Ok((
        status,
        html_headers(),
        [(
            header::SET_COOKIE,
            cookie(LOGIN_COOKIE, &token, "/login", None),
        )],
        body,
    )
        .into_response())
}

/// `GET /login`: the form (email, password).
pub async fn login_page() -> Result<Response, WebError> {
    login_form(None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// `POST /login`: check the email and password as `POST /rest/session` does, start a session
/// and go to the org's incidents.
pub async fn login(
    State(web): State<Web>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    match cookie_value(&headers, LOGIN_COOKIE) {
        Some(t) if !form.token.is_empty() && same(&t, &form.token) => {}
        _ => return Err(WebError::Csrf),
    }
    let (now, idle) = (web.app.now_ms(), ms(web.app.limits().session_idle));
    let LoginForm {
        email, password, ..
    } = form;
    let token = web
        .app
        .with_store(move |s| {
            let Some(user) = s.verify_password(&email, &password)? else {
                return Ok(None);
            };
            Ok(Some(s.create_session(user.id, now, idle)?.0))
        })
        .await?;
    let Some(token) = token else {
        return login_form(
            Some("Invalid email or password".into()),
            StatusCode::UNAUTHORIZED,
        );
    };
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/".to_string()),
            (header::SET_COOKIE, cookie("JSESSIONID", &token, "/", None)),
        ],
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// `POST /logout`: end the session (for the REST API too) and drop the cookie.
pub async fn logout(
    State(web): State<Web>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    session.check_csrf(&form.csrf)?;
    if let Some(token) = session_cookie(&headers) {
        web.app
            .with_store(move |s| Ok(s.delete_session(&token)?))
            .await?;
    }
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/login".to_string()),
            (header::SET_COOKIE, cookie("JSESSIONID", "", "/", Some(0))),
        ],
    )
        .into_response())
}
