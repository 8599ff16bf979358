//! What every handler shares: [`AppState`] (the store, the server's facts, extensions) and
//! [`Caller`], the authenticated principal of a request.
//!
//! Authentication as SOAR does it (res-format.md §2.2): HTTP Basic with an API key id and
//! secret on every request, or the `JSESSIONID` cookie of an email/password login together
//! with the `X-sess-id` header carrying that session's csrf token. No or wrong credentials get
//! 401; a valid session without the right csrf header gets 403; an API key reaches only its own
//! org (403 on any other). Sessions unused for [`Limits::session_idle`] are gone (401).
//!
//! Requests are authenticated once, by [`guard`] in front of every route: it needs to know
//! whether the caller is authenticated before reading a body (see [`Limits`]), and leaves the
//! outcome in the request for the [`Caller`] extractor.

use std::sync::{Arc, Mutex};

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::error::ApiError;
use super::limits::{ms, Clock, Limits};
use super::store::{self, KeyPrincipal, Org, OrgId, Store, User};

/// Facts about the running server handlers may need.
#[derive(Debug, Clone)]
pub struct ServerInfo {
    /// The address clients connect to, e.g. `127.0.0.1:8443`.
    pub addr: std::net::SocketAddr,
}

/// Shared state of the router: cheap to clone.
#[derive(Clone)]
pub struct AppState {
    store: Arc<Mutex<Store>>,
    info: Arc<ServerInfo>,
    limits: Arc<Limits>,
    clock: Clock,
}

impl AppState {
    pub(crate) fn new(
        store: Arc<Mutex<Store>>,
        info: ServerInfo,
        limits: Limits,
        clock: Clock,
    ) -> AppState {
        AppState {
            store,
            info: Arc::new(info),
            limits: Arc::new(limits),
            clock,
        }
    }

    pub fn info(&self) -> &ServerInfo {
        &self.info
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Now, in ms since the epoch, on the server's clock (expiries are measured on it).
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Run `f` on the store off the async worker threads (SQLite calls block).
    pub async fn with_store<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, ApiError> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = store.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| ApiError::internal(format!("store task failed: {e}")))?
    }

    /// The same, for synchronous callers outside the runtime (library calls, seeding).
    pub fn with_store_blocking<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        let mut guard = self.store.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }
}

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Principal {
    ApiKey(KeyPrincipal),
    User {
        user: User,
        orgs: Vec<Org>,
        csrf: String,
    },
}

/// The authenticated caller of a request (an axum extractor: a handler taking a `Caller`
/// answers 401/403 before it runs when credentials are missing or wrong).
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
}

impl Caller {
    /// The org ids this caller may reach.
    pub fn org_ids(&self) -> Vec<OrgId> {
        match &self.principal {
            Principal::ApiKey(k) => vec![k.org_id],
            Principal::User { orgs, .. } => orgs.iter().map(|o| o.id).collect(),
        }
    }

    /// 403 unless the caller may reach `org`.
    pub fn check_org(&self, org: OrgId) -> Result<OrgId, ApiError> {
        if self.org_ids().contains(&org) {
            Ok(org)
        } else {
            Err(ApiError::forbidden(format!(
                "You do not have permission to access organization {org}"
            )))
        }
    }

    /// A JSON principal in the shape `creator`/`last_modified_by` use.
    pub fn principal_json(&self) -> Value {
        match &self.principal {
            Principal::ApiKey(k) => serde_json::json!({
                "id": k.handle, "type": "apikey", "name": k.key_id, "display_name": k.name,
            }),
            Principal::User { user, .. } => user_principal(user),
        }
    }
}

/// A user as SOAR names the author of what they create (`creator_principal`).
pub(crate) fn user_principal(user: &User) -> Value {
    serde_json::json!({
        "id": user.id, "type": "user", "name": user.email,
        "display_name": format!("{} {}", user.fname, user.lname),
    })
}

fn basic_credentials(headers: &HeaderMap) -> Option<Result<(String, String), ApiError>> {
    use base64::Engine;
    let value = headers.get(axum::http::header::AUTHORIZATION)?;
    let bad = || ApiError::unauthorized("Malformed Authorization header");
    let parse = || {
        let text = value.to_str().map_err(|_| bad())?;
        let (scheme, rest) = text.split_once(' ').ok_or_else(bad)?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return Err(ApiError::unauthorized(
                "Only HTTP Basic authentication with an API key is supported",
            ));
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .map_err(|_| bad())?;
        let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
        let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
        Ok((id.to_string(), secret.to_string()))
    };
    Some(parse())
}

/// The `JSESSIONID` cookie of a request.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == "JSESSIONID")
        .map(|(_, v)| v.to_string())
}

/// How [`guard`] found the request's credentials, for the [`Caller`] extractor.
#[derive(Clone)]
struct Authenticated(Result<Caller, ApiError>);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match parts.extensions.remove::<Authenticated>() {
            Some(Authenticated(outcome)) => outcome,
            None => Caller::authenticate(&parts.headers, state).await,
        }
    }
}

impl Caller {
    /// Check the credentials in `headers`: the caller, or the 401/403 to answer.
    pub async fn authenticate(headers: &HeaderMap, state: &AppState) -> Result<Caller, ApiError> {
        if let Some(creds) = basic_credentials(headers) {
            let (id, secret) = creds?;
            let key = state
                .with_store(move |s| Ok(s.verify_api_key(&id, &secret)?))
                .await?;
            return match key {
                Some(k) => Ok(Caller {
                    principal: Principal::ApiKey(k),
                }),
                None => Err(ApiError::unauthorized("Invalid API key id or secret")),
            };
        }
        let Some(token) = session_cookie(headers) else {
            return Err(ApiError::unauthorized(
                "Authentication required: send an API key (HTTP Basic) or log in with POST /rest/session",
            ));
        };
        let sent_csrf = headers
            .get("X-sess-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let (now, idle) = (state.now_ms(), ms(state.limits().session_idle));
        let found = state
            .with_store(move |s| Ok(s.session_user(&token, now, idle)?))
            .await?;
        let Some((user, orgs, csrf)) = found else {
            return Err(ApiError::unauthorized(
                "The session has expired or does not exist",
            ));
        };
        if !sent_csrf
            .as_deref()
            .is_some_and(|sent| store::same(sent, &csrf))
        {
            return Err(ApiError::forbidden(
                "Missing or wrong X-sess-id header: send the csrf_token of the session",
            ));
        }
        Ok(Caller {
            principal: Principal::User { user, orgs, csrf },
        })
    }
}

/// At most this much of a refused body is read (and dropped) before answering, so that a
/// client that sends its whole body before reading (Python's urllib, IBM's client) gets the
/// 413 instead of a broken connection. Beyond it, or after [`Limits::header_timeout`], the
/// connection is closed.
const DRAIN_MAX: usize = 32 * 1024 * 1024;

/// In front of every route: authenticate the request once, and hold an unauthenticated one
/// to [`Limits::unauthenticated_body`]. A larger declared body is refused with 413 before any
/// of it is kept: what the client sends anyway is dropped as it arrives (see [`DRAIN_MAX`]).
/// A chunked one is cut off at the limit by the body extractors, also with 413.
pub async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let outcome = if has_credentials(req.headers()) {
        Caller::authenticate(req.headers(), &state).await
    } else {
        Err(ApiError::unauthorized(
            "Authentication required: send an API key (HTTP Basic) or log in with POST /rest/session",
        ))
    };
    let limit = match outcome {
        Ok(_) => state.limits().authenticated_body,
        Err(_) => state.limits().unauthenticated_body,
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        let refused = ApiError::payload_too_large(limit, outcome.is_ok());
        let _ = tokio::time::timeout(state.limits().header_timeout, drain(req)).await;
        let mut response = refused.into_response();
        response.headers_mut().insert(
            header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
        return response;
    }
    req.extensions_mut().insert(Authenticated(outcome));
    let req = req.map(|body| axum::body::Body::new(http_body_util::Limited::new(body, limit)));
    next.run(req).await
}

/// Read and drop up to [`DRAIN_MAX`] bytes of the request's body.
async fn drain(req: Request) {
    use http_body_util::BodyExt;
    let mut body = req.into_body();
    let mut seen = 0usize;
    while seen <= DRAIN_MAX {
        match body.frame().await {
            Some(Ok(frame)) => seen += frame.data_ref().map_or(0, |d| d.len()),
            _ => break,
        }
    }
}

/// Whether the request carries credentials of either kind (checked or not).
fn has_credentials(headers: &HeaderMap) -> bool {
    headers.contains_key(header::AUTHORIZATION) || session_cookie(headers).is_some()
}

/// Parse a JSON request body, naming the problem SOAR-style when it is not JSON.
pub fn json_body(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("The request body is not valid JSON: {e}")))
}
