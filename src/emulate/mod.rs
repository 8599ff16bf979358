//! Emulated QRadar and QRadar Advisor endpoints, driven by scenario files.
//!
//! Its own module because two sides use it: `respack serve` ([`crate::server`]) mounts it on the
//! org's HTTPS listener, and the runtime ([`crate::runtime`]) starts it alone for `respack run`;
//! neither of them has to depend on the other for it.
//!
//! This is an emulation, not QRadar: it answers the requests the QRadar Advisor 2.0 and QRadar
//! 2.0 integrations (and our runtime's clients, which follow them) make, with what a
//! [`Scenario`] says, and checks what those integrations must send. It knows no more of QRadar
//! than that:
//!
//! - QRadar Advisor under `/console/plugins/{app_id}/app_proxy/api`: `GET /about` sets the
//!   `XSRF-TOKEN` cookie, every other call needs it back in header `X-XSRF-TOKEN` (403
//!   otherwise); the offense API under both `/investigations/offense/{id}` (2.0.2+) and
//!   `/offense/{id}` (2.0): `POST analysis`, `GET analysis/status` (walking the scenario's
//!   status list, one per poll), `GET analysis/{stage}/stix`, `GET insights`; and
//!   `GET /investigations` (the connectivity test).
//! - The CAFM app under its own app id: `GET /config/tuning` sets `TACTICS-XSRF-TOKEN`,
//!   `GET /mappings` needs it in `X-TACTICS-XSRF-TOKEN`.
//! - QRadar's `GET /api/reference_data/sets` and `GET /api/reference_data/sets/{name}` (with
//!   an optional `filter=value="..."`).
//!
//! The app proxy wants the app's token as cookie or header `SEC`, QRadar's API the API token
//! in header `SEC` or Basic credentials; without them the answer is 401. Every request is
//! logged ([`EmulatedQradar::requests`]) so tests can see which paths a client took. The log
//! keeps the newest [`REQUEST_LOG_LEN`] requests, each path cut at [`LOGGED_PATH_MAX`] bytes,
//! and the XSRF tokens handed out are kept to the newest [`XSRF_TOKENS_KEPT`]: any client,
//! authenticated or not, can make the server log a request, so the log must not grow with them.
//!
//! [`router`] gives an axum router for `respack serve` to mount; [`EmulatedServer::start`]
//! runs it alone over plain HTTP on 127.0.0.1 (tests, demos).

pub mod scenario;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::runtime::qradar::advisor::Stage;
use crate::runtime::qradar::config::ApiPrefix;
pub use scenario::Scenario;
use scenario::{Element, Offense};

/// How many requests [`EmulatedQradar::requests`] keeps (the newest).
pub const REQUEST_LOG_LEN: usize = 1000;

/// Longest path (with query) a logged request keeps, in bytes; longer ones are cut and end
/// in `…`.
pub const LOGGED_PATH_MAX: usize = 1024;

/// How many XSRF tokens of each app stay valid (the newest handed out).
pub const XSRF_TOKENS_KEPT: usize = 256;

/// One request the emulation answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    pub method: String,
    /// Path and query as received (still percent-encoded), cut at [`LOGGED_PATH_MAX`] bytes.
    pub path: String,
    pub status: u16,
    /// Whether the request carried `SEC` as a cookie, and as a header.
    pub sec_cookie: bool,
    pub sec_header: bool,
}

/// Where an analysis is, per offense.
#[derive(Debug, Default, Clone)]
struct OffenseProgress {
    started: bool,
    polls: usize,
}

#[derive(Debug, Default)]
struct Progress {
    offenses: HashMap<String, OffenseProgress>,
    advisor_xsrf: Tokens,
    cafm_xsrf: Tokens,
    requests: VecDeque<LoggedRequest>,
}

impl Progress {
    fn log(&mut self, request: LoggedRequest) {
        if self.requests.len() >= REQUEST_LOG_LEN {
            self.requests.pop_front();
        }
        self.requests.push_back(request);
    }
}

/// The newest [`XSRF_TOKENS_KEPT`] tokens handed out (older ones stop being accepted, as an
/// expired token would).
#[derive(Debug, Default)]
struct Tokens(VecDeque<String>);

impl Tokens {
    fn insert(&mut self, token: String) {
        if self.0.len() >= XSRF_TOKENS_KEPT {
            self.0.pop_front();
        }
        self.0.push_back(token);
    }

    fn contains(&self, token: &str) -> bool {
        self.0.iter().any(|t| t == token)
    }
}

/// `path` cut at [`LOGGED_PATH_MAX`] bytes (on a character boundary).
fn loggable(path: &str) -> String {
    if path.len() <= LOGGED_PATH_MAX {
        return path.to_string();
    }
    let mut end = LOGGED_PATH_MAX;
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &path[..end])
}

/// The emulation's state: the scenario and what has happened since start.
#[derive(Debug)]
pub struct EmulatedQradar {
    scenario: Scenario,
    progress: Mutex<Progress>,
}

impl EmulatedQradar {
    pub fn new(scenario: Scenario) -> Arc<EmulatedQradar> {
        Arc::new(EmulatedQradar {
            scenario,
            progress: Mutex::new(Progress::default()),
        })
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    fn progress(&self) -> MutexGuard<'_, Progress> {
        // A handler that panicked leaves nothing half-written worth refusing service over.
        self.progress.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The requests answered so far (the newest [`REQUEST_LOG_LEN`]), oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.progress().requests.iter().cloned().collect()
    }

    /// The app.config sections (`[fn_qradar_advisor]`, `[fn_qradar_integration]`) that point the
    /// integrations or our runtime at this emulation served at `host` (e.g.
    /// `http://127.0.0.1:40123`). `verify_cert` is written as given (`false`, `true` or a CA
    /// file). The polling keys are whole seconds: the integration reads them with `int()`.
    pub fn app_config(&self, host: &str, verify_cert: &str) -> String {
        let s = &self.scenario;
        format!(
            "[fn_qradar_advisor]\n\
             qradar_host = {host}\n\
             qradar_advisor_token = {}\n\
             qradar_advisor_app_id = {}\n\
             qradar_cafm_token = {}\n\
             qradar_cafm_app_id = {}\n\
             verify_cert = {verify_cert}\n\
             offense_analysis_timeout = 60\n\
             offense_analysis_period = 1\n\
             \n\
             [fn_qradar_integration]\n\
             host = {host}\n\
             qradartoken = {}\n\
             verify_cert = {verify_cert}\n",
            s.advisor.token, s.advisor.app_id, s.cafm.token, s.cafm.app_id, s.qradar.token,
        )
    }
}

/// The emulated endpoints as one router with its own state, ready to be merged into another.
pub fn router(state: Arc<EmulatedQradar>) -> Router {
    Router::new()
        .route(
            "/console/plugins/{app_id}/app_proxy/api/{*rest}",
            any(app_proxy),
        )
        .route("/api/reference_data/sets", get(list_sets))
        .route("/api/reference_data/sets/{name}", get(get_set))
        .layer(middleware::from_fn_with_state(state.clone(), log_request))
        .with_state(state)
}

async fn log_request(
    State(state): State<Arc<EmulatedQradar>>,
    req: Request,
    next: Next,
) -> Response {
    let method = req.method().to_string();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| loggable(p.as_str()))
        .unwrap_or_default();
    let sec_cookie = cookie(req.headers(), "SEC").is_some();
    let sec_header = req.headers().contains_key("SEC");
    let response = next.run(req).await;
    state.progress().log(LoggedRequest {
        method,
        path,
        status: response.status().as_u16(),
        sec_cookie,
        sec_header,
    });
    response
}

/// A JSON answer with any status.
fn answer(status: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(body)).into_response()
}

fn not_found(what: &str) -> Response {
    answer(
        404,
        json!({"error": "NOT_FOUND", "status": "NOT_FOUND", "message": what}),
    )
}

fn injected(status: u16) -> Response {
    answer(
        status,
        json!({"error": "INJECTED", "message": format!("failure injected by the scenario: HTTP {status}")}),
    )
}

fn unauthorized() -> Response {
    answer(
        401,
        json!({
            "http_response": {"code": 401, "message": "You are unauthorized to access the requested resource."},
            "code": 11,
            "message": "No valid SEC token in the request (cookie or header SEC).",
        }),
    )
}

fn no_observables() -> Response {
    answer(
        404,
        json!({"error": "NO_ERROR", "status": "NO_OBSERVABLES"}),
    )
}

/// Values of cookie `name` across all `Cookie` headers.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_string())
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The app proxy lets a request through with the app's token as header or cookie `SEC`.
fn has_sec(headers: &HeaderMap, token: &str) -> bool {
    header_str(headers, "SEC") == Some(token) || cookie(headers, "SEC").as_deref() == Some(token)
}

fn with_cookie(mut response: Response, name: &str, value: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("{name}={value}; Path=/")) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

async fn app_proxy(
    State(state): State<Arc<EmulatedQradar>>,
    Path((app_id, rest)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let s = &state.scenario;
    if app_id == s.advisor.app_id {
        if !has_sec(&headers, &s.advisor.token) {
            return unauthorized();
        }
        advisor(&state, &method, &headers, &segments)
    } else if app_id == s.cafm.app_id {
        if !has_sec(&headers, &s.cafm.token) {
            return unauthorized();
        }
        cafm(&state, &method, &headers, &segments)
    } else {
        answer(
            404,
            json!({"message": format!("no app with id {app_id} is installed")}),
        )
    }
}

fn advisor(
    state: &EmulatedQradar,
    method: &Method,
    headers: &HeaderMap,
    segments: &[&str],
) -> Response {
    let app = &state.scenario.advisor;
    if segments == ["about"] {
        if method != Method::GET {
            return StatusCode::METHOD_NOT_ALLOWED.into_response();
        }
        if let Some(code) = app.fail.about {
            return injected(code);
        }
        let response = answer(
            200,
            json!({"name": "QRadar Advisor (emulated by respack)", "version": "2.0.0"}),
        );
        if app.fail.no_xsrf_cookie {
            return response;
        }
        let token = uuid::Uuid::new_v4().to_string();
        state.progress().advisor_xsrf.insert(token.clone());
        return with_cookie(response, "XSRF-TOKEN", &token);
    }
    let xsrf_ok = header_str(headers, "X-XSRF-TOKEN")
        .is_some_and(|t| state.progress().advisor_xsrf.contains(t));
    if !xsrf_ok {
        return answer(
            403,
            json!({"error": "CSRF_TOKEN", "message": "missing or unknown X-XSRF-TOKEN; GET /about first"}),
        );
    }
    let (prefix, offense_id, tail) = match segments {
        ["investigations"] if method == Method::GET => return answer(200, json!([])),
        ["investigations", "offense", id, tail @ ..] => {
            (ApiPrefix::InvestigationsOffense, *id, tail)
        }
        ["offense", id, tail @ ..] => (ApiPrefix::Offense, *id, tail),
        _ => return not_found("no such QRadar Advisor endpoint"),
    };
    if !app.api_prefixes.contains(&prefix) {
        return not_found("this QRadar Advisor version does not serve that API prefix");
    }
    let offense = app.offenses.get(offense_id);
    match (method.clone(), tail) {
        (Method::POST, ["analysis"]) => start(state, offense_id, offense),
        (Method::GET, ["analysis", "status"]) => status(state, offense_id, offense),
        (Method::GET, ["analysis", stage, "stix"]) => stix(state, offense_id, offense, stage),
        (Method::GET, ["insights"]) => insights(offense),
        _ => not_found("no such QRadar Advisor endpoint"),
    }
}

fn no_offense(id: &str) -> Response {
    answer(
        403,
        json!({"error": "FORBIDDEN", "message": format!("offense {id} does not exist or you may not read it")}),
    )
}

fn start(state: &EmulatedQradar, id: &str, offense: Option<&Offense>) -> Response {
    let Some(offense) = offense else {
        return no_offense(id);
    };
    if let Some(code) = offense.fail.start {
        return injected(code);
    }
    state.progress().offenses.insert(
        id.to_string(),
        OffenseProgress {
            started: true,
            polls: 0,
        },
    );
    answer(200, json!({}))
}

fn status(state: &EmulatedQradar, id: &str, offense: Option<&Offense>) -> Response {
    let Some(offense) = offense else {
        return no_offense(id);
    };
    if let Some(code) = offense.fail.status {
        return injected(code);
    }
    let mut progress = state.progress();
    let entry = progress.offenses.entry(id.to_string()).or_default();
    let index = if entry.started {
        entry.polls += 1;
        entry.polls - 1
    } else if offense.existing {
        usize::MAX
    } else {
        return not_found("no analysis of this offense");
    };
    let status = match offense.statuses.len() {
        0 => "DONE",
        n => offense.statuses[index.min(n - 1)].as_str(),
    };
    answer(200, json!({"status": status}))
}

fn has_result(state: &EmulatedQradar, id: &str, offense: &Offense) -> bool {
    offense.existing || state.progress().offenses.get(id).is_some_and(|p| p.started)
}

fn stix(state: &EmulatedQradar, id: &str, offense: Option<&Offense>, stage: &str) -> Response {
    let Some(offense) = offense else {
        return no_offense(id);
    };
    if let Some(code) = offense.fail.stix {
        return injected(code);
    }
    let Some(stage) = Stage::parse(stage) else {
        return not_found("no such stage");
    };
    if !has_result(state, id, offense) {
        return not_found("no analysis of this offense");
    }
    if offense.no_observables {
        return no_observables();
    }
    match offense.stix.get(&stage) {
        Some(bundle) => answer(200, bundle.clone()),
        None => not_found("no result for this stage"),
    }
}

fn insights(offense: Option<&Offense>) -> Response {
    let Some(offense) = offense else {
        return answer(
            403,
            json!({"error": "FORBIDDEN", "message": "offense does not exist"}),
        );
    };
    if let Some(code) = offense.fail.insights {
        return injected(code);
    }
    if offense.no_observables {
        return no_observables();
    }
    match &offense.insights {
        Some(insights) => answer(200, insights.clone()),
        None => not_found("no insights for this offense"),
    }
}

fn cafm(
    state: &EmulatedQradar,
    method: &Method,
    headers: &HeaderMap,
    segments: &[&str],
) -> Response {
    let app = &state.scenario.cafm;
    if method != Method::GET {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    match segments {
        ["config", "tuning"] => {
            if let Some(code) = app.fail.tuning {
                return injected(code);
            }
            let response = answer(200, json!({"tuning": {"min_confidence": "low"}}));
            if app.fail.no_xsrf_cookie {
                return response;
            }
            let token = uuid::Uuid::new_v4().to_string();
            state.progress().cafm_xsrf.insert(token.clone());
            with_cookie(response, "TACTICS-XSRF-TOKEN", &token)
        }
        ["mappings"] => {
            let ok = header_str(headers, "X-TACTICS-XSRF-TOKEN")
                .is_some_and(|t| state.progress().cafm_xsrf.contains(t));
            if !ok {
                return answer(
                    403,
                    json!({"error": "CSRF_TOKEN", "message": "missing or unknown X-TACTICS-XSRF-TOKEN; GET /config/tuning first"}),
                );
            }
            if let Some(code) = app.fail.mappings {
                return injected(code);
            }
            answer(200, Value::Object(app.mappings.clone()))
        }
        _ => not_found("no such CAFM endpoint"),
    }
}

/// QRadar's API takes its token in header `SEC`, or Basic credentials.
fn qradar_authorized(state: &EmulatedQradar, headers: &HeaderMap) -> bool {
    let api = &state.scenario.qradar;
    if header_str(headers, "SEC") == Some(api.token.as_str()) {
        return true;
    }
    let (Some(user), Some(password)) = (&api.username, &api.password) else {
        return false;
    };
    use base64::Engine;
    let expected = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    header_str(headers, "Authorization") == Some(format!("Basic {expected}").as_str())
}

async fn list_sets(State(state): State<Arc<EmulatedQradar>>, headers: HeaderMap) -> Response {
    if !qradar_authorized(&state, &headers) {
        return unauthorized();
    }
    if let Some(code) = state.scenario.qradar.fail_list {
        return injected(code);
    }
    let sets: Vec<Value> = state
        .scenario
        .qradar
        .reference_sets
        .iter()
        .map(|s| s.to_json(None))
        .collect();
    answer(200, Value::Array(sets))
}

/// `value="x"` (spaces around `=` allowed): the one filter the emulation understands.
fn value_filter(filter: &str) -> Option<String> {
    let (field, quoted) = filter.split_once('=')?;
    if field.trim() != "value" {
        return None;
    }
    let inner = quoted.trim().strip_prefix('"')?.strip_suffix('"')?;
    Some(inner.replace("\\\"", "\"").replace("\\\\", "\\"))
}

async fn get_set(
    State(state): State<Arc<EmulatedQradar>>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if !qradar_authorized(&state, &headers) {
        return unauthorized();
    }
    let Some(set) = state
        .scenario
        .qradar
        .reference_sets
        .iter()
        .find(|s| s.name == name)
    else {
        return answer(
            404,
            json!({
                "http_response": {"code": 404, "message": "We could not find the resource you requested."},
                "code": 1002,
                "message": format!("The reference set {name} does not exist"),
            }),
        );
    };
    let data: Vec<&Element> = match query.get("filter") {
        None => set.data.iter().collect(),
        Some(filter) => match value_filter(filter) {
            Some(v) => set.data.iter().filter(|e| e.value == v).collect(),
            None => {
                return answer(
                    422,
                    json!({"code": 1005, "message": format!("the emulation only understands filter value=\"...\", not {filter:?}")}),
                )
            }
        },
    };
    answer(200, set.to_json(Some(data)))
}

/// Serve the emulation over plain HTTP on `listener` until the future is dropped.
pub async fn serve_plain(
    listener: tokio::net::TcpListener,
    state: Arc<EmulatedQradar>,
) -> std::io::Result<()> {
    axum::serve(listener, router(state)).await
}

/// The emulation running alone on 127.0.0.1 over plain HTTP, in a background thread with its
/// own tokio runtime; stopped when dropped.
pub struct EmulatedServer {
    addr: SocketAddr,
    state: Arc<EmulatedQradar>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EmulatedServer {
    /// Start on a free port of 127.0.0.1.
    pub fn start(scenario: Scenario) -> std::io::Result<EmulatedServer> {
        let state = EmulatedQradar::new(scenario);
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = router(state.clone());
        let thread = std::thread::Builder::new()
            .name("emulated-qradar".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let _ = axum::serve(listener, app)
                        .with_graceful_shutdown(async {
                            let _ = rx.await;
                        })
                        .await;
                })
            })?;
        Ok(EmulatedServer {
            addr,
            state,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, the `qradar_host` / `host` to configure.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn state(&self) -> &Arc<EmulatedQradar> {
        &self.state
    }

    /// The app.config sections pointing at this server (see [`EmulatedQradar::app_config`]).
    pub fn app_config(&self) -> String {
        self.state.app_config(&self.base_url(), "false")
    }
}

impl Drop for EmulatedServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_filter_reads_quoted_values_only() {
        assert_eq!(
            value_filter("value=\"10.0.0.1\"").as_deref(),
            Some("10.0.0.1")
        );
        assert_eq!(
            value_filter("value = \"a \\\"b\\\"\"").as_deref(),
            Some("a \"b\"")
        );
        assert_eq!(value_filter("source=\"admin\""), None);
        assert_eq!(value_filter("value=10.0.0.1"), None);
    }

    #[test]
    fn logged_paths_are_cut_on_a_character_boundary() {
        assert_eq!(loggable("/api?x=1"), "/api?x=1");
        let long = format!("/{}", "é".repeat(LOGGED_PATH_MAX));
        let cut = loggable(&long);
        assert!(cut.len() <= LOGGED_PATH_MAX + "…".len(), "{}", cut.len());
        assert!(cut.ends_with('…') && cut.starts_with("/é"));
    }

    #[test]
    fn only_the_newest_xsrf_tokens_stay_valid() {
        let mut t = Tokens::default();
        for i in 0..=XSRF_TOKENS_KEPT {
            t.insert(i.to_string());
        }
        assert!(!t.contains("0"));
        assert!(t.contains("1") && t.contains(&XSRF_TOKENS_KEPT.to_string()));
    }

    #[test]
    fn cookies_are_found_across_headers() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; SEC=tok"));
        h.append(header::COOKIE, HeaderValue::from_static("XSRF-TOKEN=x"));
        assert_eq!(cookie(&h, "SEC").as_deref(), Some("tok"));
        assert_eq!(cookie(&h, "XSRF-TOKEN").as_deref(), Some("x"));
        assert!(has_sec(&h, "tok") && !has_sec(&h, "other"));
    }
}
