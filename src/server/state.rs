//! What every handler shares: [`AppState`] (the store, the server's facts, extensions) and
//! [`Caller`], the authenticated principal of a request.
//!
//! Authentication as SOAR does it (res-format.md §2.2): HTTP Basic with an API key id and
//! secret on every request, or the `JSESSIONID` cookie of an email/password login together
//! with the `X-sess-id` header carrying that session's csrf token. No or wrong credentials get
//! 401; a valid session without the right csrf header gets 403; an API key reaches only its own
//! org (403 on any other).

use std::sync::{Arc, Mutex};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use serde_json::Value;

use super::error::ApiError;
use super::store::{KeyPrincipal, Org, OrgId, Store, User};

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
}

impl AppState {
    pub(crate) fn new(store: Arc<Mutex<Store>>, info: ServerInfo) -> AppState {
        AppState {
            store,
            info: Arc::new(info),
        }
    }

    pub fn info(&self) -> &ServerInfo {
        &self.info
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
            Principal::User { user, .. } => serde_json::json!({
                "id": user.id, "type": "user", "name": user.email,
                "display_name": format!("{} {}", user.fname, user.lname),
            }),
        }
    }
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

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(creds) = basic_credentials(&parts.headers) {
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
        let Some(token) = session_cookie(&parts.headers) else {
            return Err(ApiError::unauthorized(
                "Authentication required: send an API key (HTTP Basic) or log in with POST /rest/session",
            ));
        };
        let sent_csrf = parts
            .headers
            .get("X-sess-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let found = state
            .with_store(move |s| {
                let Some((user_id, csrf)) = s.session(&token)? else {
                    return Ok(None);
                };
                let Some(user) = s.user(user_id)? else {
                    return Ok(None);
                };
                Ok(Some((user, s.user_orgs(user_id)?, csrf)))
            })
            .await?;
        let Some((user, orgs, csrf)) = found else {
            return Err(ApiError::unauthorized(
                "The session has expired or does not exist",
            ));
        };
        if sent_csrf.as_deref() != Some(csrf.as_str()) {
            return Err(ApiError::forbidden(
                "Missing or wrong X-sess-id header: send the csrf_token of the session",
            ));
        }
        Ok(Caller {
            principal: Principal::User { user, orgs, csrf },
        })
    }
}

/// Parse a JSON request body, naming the problem SOAR-style when it is not JSON.
pub fn json_body(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("The request body is not valid JSON: {e}")))
}
