//! The blocking SOAR REST client: one authenticated org, and the calls respack needs.
//!
//! Every call goes through [`Wire::send`], which owns the rules that matter for an admin's
//! org: credentials on every request and never in a message, a timeout on every socket
//! operation, retries with exponential backoff only for calls that cannot change the org twice
//! (reads, deletes, and the read-only export), and a counter of HTTP requests so that tests and
//! benchmarks can hold commands to a fixed number of calls.

use std::sync::OnceLock;

use base64::Engine as _;
use serde_json::{json, Map, Value};
use url::Url;

use super::error::{Hint, SoarError};
use super::settings::{Auth, Settings, Verify};
use crate::http;
use crate::secret::Secret;

/// A SOAR org's numeric id (the `{org_id}` of `/rest/orgs/{org_id}/...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct OrgId(pub u64);

/// The id of a pending configuration import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct ImportId(pub u64);

/// An incident's numeric id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct IncidentId(pub u64);

impl std::fmt::Display for OrgId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
impl std::fmt::Display for ImportId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
impl std::fmt::Display for IncidentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The org the client works in, as the session listed it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Org {
    pub id: OrgId,
    pub name: String,
    pub uuid: Option<String>,
    pub cloud_account: Option<String>,
}

/// Who the client is on the server: what goes in a message destination's `api_keys` (key
/// auth) or `users` (password auth) to let the integration consume it (§2.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The session's `api_key_handle`.
    ApiKey(Value),
    /// The session's `user_id`.
    User(Value),
}

/// The server's version, from `server_version` in `/rest/const` or in an export.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ServerVersion {
    pub major: u32,
    pub minor: u32,
    pub build: u32,
    /// As the server wrote it, e.g. `"51.0.0.0.9340"`.
    pub version: String,
}

impl ServerVersion {
    /// Read a `server_version` object: both the old `{major, minor, build_number, version}`
    /// and the v51 `{v, r, m, f, build_number, version}` forms.
    pub fn from_json(v: &Value) -> Option<ServerVersion> {
        let num = |k: &str| v.get(k).and_then(Value::as_u64).map(|n| n as u32);
        let text = v.get("version").and_then(Value::as_str).unwrap_or("");
        let parts: Vec<u32> = text.split('.').map_while(|p| p.parse().ok()).collect();
        let (major, minor) = match (parts.first(), parts.get(1)) {
            (Some(&a), Some(&b)) if a > 0 => (a, b),
            _ => match num("v").filter(|&v| v > 0) {
                Some(v) => (v, num("r").unwrap_or(0)),
                None => (num("major")?, num("minor").unwrap_or(0)),
            },
        };
        let build = num("build_number")
            .or_else(|| (parts.len() > 2).then(|| *parts.last().unwrap_or(&0)))
            .unwrap_or(0);
        let version = if text.is_empty() {
            format!("{major}.{minor}.{build}")
        } else {
            text.to_string()
        };
        Some(ServerVersion {
            major,
            minor,
            build,
            version,
        })
    }

    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }
}

/// What a configuration export includes (the body of `POST .../configurations/exports/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportOptions {
    pub layouts: bool,
    pub actions: bool,
    pub phases_and_tasks: bool,
    /// `None`: ask for playbooks when the server has them (≥ 44), as IBM's SDK does; that costs
    /// one `GET /rest/const` the first time.
    pub playbooks: Option<bool>,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            layouts: true,
            actions: true,
            phases_and_tasks: true,
            playbooks: None,
        }
    }
}

/// One message of an import preview, `type: text` as IBM's `customize` prints it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportMessage {
    pub kind: String,
    pub text: String,
}

impl std::fmt::Display for ImportMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind, self.text)
    }
}

/// A pending import: the server's DTO kept whole (it must be sent back as it came), with the
/// fields respack reads.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportDto {
    pub id: ImportId,
    pub status: String,
    pub messages: Vec<ImportMessage>,
    pub raw: Value,
}

/// How to finish a pending import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportDecision {
    Accept,
    Reject,
}

impl ImportDecision {
    fn status(self) -> &'static str {
        match self {
            ImportDecision::Accept => "ACCEPTED",
            ImportDecision::Reject => "REJECTED",
        }
    }
}

/// Configuration objects with the usual `{"entities": [...]}` list and `/{id}` endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Rules (menu items and automatic rules): `/actions`.
    Rule,
    Workflow,
    Function,
    MessageDestination,
    Script,
    Playbook,
    Phase,
    IncidentType,
    /// Artifact types: `/artifact_types` (the export lists them as `incident_artifact_types`).
    ArtifactType,
    /// Layouts (incident tabs and forms).
    Layout,
    /// Automatic tasks (task templates of phases): `/automatic_tasks`.
    AutomaticTask,
    Role,
    Workspace,
    Tag,
}

impl Kind {
    fn collection(self) -> &'static str {
        match self {
            Kind::Rule => "actions",
            Kind::Workflow => "workflows",
            Kind::Function => "functions",
            Kind::MessageDestination => "message_destinations",
            Kind::Script => "scripts",
            Kind::Playbook => "playbooks",
            Kind::Phase => "phases",
            Kind::IncidentType => "incident_types",
            Kind::ArtifactType => "artifact_types",
            Kind::Layout => "layouts",
            Kind::AutomaticTask => "automatic_tasks",
            Kind::Role => "roles",
            Kind::Workspace => "workspaces",
            Kind::Tag => "tags",
        }
    }

    /// Rules refer to workflows, destinations and object types by numeric id unless asked
    /// for names, and names are what the .res uses.
    fn query(self) -> &'static str {
        match self {
            Kind::Rule | Kind::Function => "?handle_format=names",
            _ => "",
        }
    }
}

/// Everything larger than this is not a SOAR answer respack can use.
const MAX_BODY: u64 = 1 << 30;
/// Length of a server message quoted in an error.
const MAX_MESSAGE: usize = 400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }

    fn http(self) -> http::Method {
        match self {
            Method::Get => http::Method::GET,
            Method::Post => http::Method::POST,
            Method::Put => http::Method::PUT,
            Method::Delete => http::Method::DELETE,
        }
    }
}

/// Whether a call may be sent again after a failure that might have reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    Yes,
    No,
}

/// Credentials as they go on the wire.
enum WireAuth {
    /// `Authorization: Basic ...` (an API key).
    Basic(Secret),
    /// Cookie and CSRF header of a password session (empty until the session is open).
    Session {
        cookie: Option<String>,
        csrf: Option<String>,
    },
}

/// The SOAR side of the HTTP layer: base URL, credentials, and the words of its errors; the
/// wire itself (TLS, proxy, timeouts, retries, the call counter) is [`crate::http`].
struct Wire {
    base: Url,
    /// `https://host:port`, for messages.
    base_text: String,
    settings: Settings,
    http: http::Client,
    auth: std::sync::Mutex<WireAuth>,
    /// Strings never to be shown: the configured secrets and the Basic header value.
    secrets: Vec<String>,
    hint: Hint,
}

impl Wire {
    fn new(settings: Settings) -> Result<Wire, SoarError> {
        let invalid =
            |setting: &'static str, value: String, reason: &str| SoarError::InvalidSetting {
                setting,
                value,
                reason: reason.into(),
                file: settings.config_file.clone(),
            };
        let proxy = match &settings.proxy {
            None => None,
            Some(p) => {
                let address = p.address.strip_prefix("http://").unwrap_or(&p.address);
                // Basic proxy credentials are `user:password`: a ':' in the user cannot be told
                // from the separator by the proxy.
                if p.user.as_deref().is_some_and(|u| u.contains(':')) {
                    return Err(invalid(
                        "proxy_user",
                        p.user.clone().unwrap_or_default(),
                        "a proxy user name cannot contain ':'",
                    ));
                }
                let url = Url::parse(&format!("http://{address}"))
                    .ok()
                    .filter(|u| u.host_str().is_some_and(|h| !h.is_empty()))
                    .ok_or_else(|| {
                        invalid(
                            "proxy",
                            address.to_string(),
                            "not a usable proxy address (host:port)",
                        )
                    })?;
                Some(http::Proxy {
                    url,
                    user: p.user.clone(),
                    password: p.password.clone(),
                })
            }
        };
        let host = if settings.host.contains(':') && !settings.host.starts_with('[') {
            format!("[{}]", settings.host)
        } else {
            settings.host.clone()
        };
        let base_text = format!("https://{host}:{}", settings.port);
        let base = Url::parse(&base_text)
            .map_err(|e| invalid("host", settings.host.clone(), &e.to_string()))?;
        let mut config = http::Config::new(settings.verify.clone());
        config.proxy = proxy;
        config.connect_timeout = settings.timeouts.connect;
        config.read_timeout = Some(settings.timeouts.read);
        config.retry = settings.retry;
        config.https_only = true;
        config.max_body = MAX_BODY;
        let client = http::Client::new(config).map_err(|e| match e {
            http::Error::CaFile { path, message } => SoarError::CaFile { path, message },
            http::Error::Proxy { proxy, message } => invalid("proxy", proxy, &message),
            other => SoarError::CaFile {
                path: "(TLS setup)".into(),
                message: other.to_string(),
            },
        })?;
        let mut secrets: Vec<String> = settings.secrets().iter().map(|s| s.to_string()).collect();
        let auth = match &settings.auth {
            Auth::ApiKey { id, secret } => {
                let token = base64::engine::general_purpose::STANDARD
                    .encode(format!("{id}:{}", secret.expose()));
                secrets.push(token.clone());
                WireAuth::Basic(Secret::new(format!("Basic {token}")))
            }
            Auth::Password { .. } => WireAuth::Session {
                cookie: None,
                csrf: None,
            },
        };
        let hint = Hint {
            file: settings.config_file.clone(),
            host: settings.host.clone(),
            api_key: matches!(settings.auth, Auth::ApiKey { .. }),
            cafile: matches!(settings.verify, Verify::CaFile(_)),
            proxy: settings.proxy.is_some(),
        };
        Ok(Wire {
            base,
            base_text,
            settings,
            http: client,
            auth: std::sync::Mutex::new(auth),
            secrets,
            hint,
        })
    }

    /// `text` with every configured secret and session token replaced by `***`.
    fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        let mut scrub = |s: &str| {
            if !s.is_empty() {
                out = out.replace(s, "***");
            }
        };
        for s in &self.secrets {
            scrub(s);
        }
        let auth = self.auth.lock().unwrap_or_else(|p| p.into_inner());
        if let WireAuth::Session { cookie, csrf } = &*auth {
            for s in [cookie, csrf].into_iter().flatten() {
                scrub(s);
            }
        }
        out
    }

    /// Send one call; [`crate::http`] retries it when `retry` allows and the failure is worth
    /// another try.
    fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        retry: Retry,
    ) -> Result<Value, SoarError> {
        let bad = |message: String| SoarError::BadResponse {
            method: method.as_str(),
            path: path.into(),
            message,
        };
        let url = self
            .base
            .join(path)
            .map_err(|e| bad(format!("cannot make a URL of the path: {e}")))?;
        let mut req = http::Request::new(method.http(), url).header("Accept", "application/json");
        req = match retry {
            Retry::Yes => req.idempotent(),
            Retry::No => req.once(),
        };
        if let Some(b) = body {
            let text = serde_json::to_string(b)
                .map_err(|e| bad(format!("cannot serialise the request body: {e}")))?;
            req = req.json_body(text);
        }
        {
            let auth = self.auth.lock().unwrap_or_else(|p| p.into_inner());
            match &*auth {
                WireAuth::Basic(h) => req = req.header("Authorization", h.expose()),
                WireAuth::Session { cookie, csrf } => {
                    if let Some(c) = cookie {
                        req = req.header("Cookie", &format!("JSESSIONID={c}"));
                    }
                    if let Some(t) = csrf {
                        req = req.header("X-sess-id", t);
                    }
                }
            }
        }
        let resp = self
            .http
            .send(&req)
            .map_err(|e| self.transport_error(method, e))?;
        if resp.status.is_success() {
            self.keep_session_cookie(&resp);
            let text = String::from_utf8(resp.body)
                .map_err(|_| bad("the answer is not UTF-8 text".into()))?;
            return self.parse(method, path, &text);
        }
        // A retried DELETE that finds nothing: the earlier attempt did the work.
        if method == Method::Delete
            && resp.status == http::StatusCode::NOT_FOUND
            && resp.attempts > 1
        {
            return Ok(Value::Null);
        }
        Err(self.http_error(method, path, &resp))
    }

    /// A password session's JSESSIONID, from any answer that sets it.
    fn keep_session_cookie(&self, resp: &http::Response) {
        let mut auth = self.auth.lock().unwrap_or_else(|p| p.into_inner());
        if let WireAuth::Session { cookie, .. } = &mut *auth {
            for header in resp.headers.get_all("set-cookie") {
                let text = header.to_str().unwrap_or("");
                let pair = text.split(';').next().unwrap_or("");
                if let Some(v) = pair.trim().strip_prefix("JSESSIONID=") {
                    *cookie = Some(v.to_string());
                }
            }
        }
    }

    fn parse(&self, method: Method, path: &str, text: &str) -> Result<Value, SoarError> {
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(text).map_err(|e| SoarError::BadResponse {
            method: method.as_str(),
            path: path.into(),
            message: format!(
                "not JSON ({e}): {}",
                shorten(&self.redact(text.trim()), 120)
            ),
        })
    }

    fn http_error(&self, method: Method, path: &str, resp: &http::Response) -> SoarError {
        SoarError::Http {
            method: method.as_str(),
            path: path.into(),
            status: resp.status.as_u16(),
            reason: resp.status.canonical_reason().unwrap_or("").to_string(),
            message: shorten(&self.redact(&server_message(&resp.text())), MAX_MESSAGE),
            hint: Box::new(self.hint.clone()),
        }
    }

    fn transport_error(&self, method: Method, e: http::Error) -> SoarError {
        match e {
            http::Error::Transport {
                url, kind, message, ..
            } => SoarError::Transport {
                method: method.as_str(),
                url,
                kind,
                message: self.redact(&message),
                hint: Box::new(self.hint.clone()),
            },
            // Only header values the server gave (the session cookie, the CSRF token) can be
            // refused; the value is not repeated.
            other => SoarError::BadResponse {
                method: method.as_str(),
                path: String::new(),
                message: self.redact(&other.to_string()),
            },
        }
    }
}

/// The server's own words: JSON `message`, `title` or `error`, else the body text.
fn server_message(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        for key in ["message", "title", "error", "error_message", "detail"] {
            if let Some(s) = v.get(key).and_then(Value::as_str) {
                if !s.trim().is_empty() {
                    return s.trim().to_string();
                }
            }
        }
    }
    body.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max).collect();
    out.push('…');
    out
}

/// Percent-encode one path segment (function names, data table names).
fn seg(s: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}

/// An authenticated connection to one SOAR org.
///
/// ```no_run
/// # use respack::soar::{Client, Settings, Secret, Kind};
/// let mut settings = Settings::api_key("soar.example.com", 443, "id", Secret::new("secret"));
/// settings.org = Some("Test Organization".into());
/// let client = Client::connect(settings)?;
/// let functions = client.list(Kind::Function)?;
/// println!("{} functions in {} after {} calls", functions.len(), client.org().name, client.calls());
/// # Ok::<(), respack::soar::SoarError>(())
/// ```
pub struct Client {
    wire: Wire,
    org: Org,
    principal: Option<Principal>,
    version: OnceLock<ServerVersion>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.wire.base_text)
            .field("org", &self.org)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Open the session and find the org.
    ///
    /// API key: `GET /rest/session?include_permissions=false` with Basic auth. Email and
    /// password: `POST /rest/session?include_permissions=false`, then the `JSESSIONID` cookie
    /// and `X-sess-id: <csrf_token>` on every call. The org is the session's org whose
    /// `cloud_account`, else `uuid`, else `name` equals `settings.org`. Prints
    /// [`Settings::warnings`] on stderr first.
    pub fn connect(settings: Settings) -> Result<Client, SoarError> {
        for w in settings.warnings() {
            eprintln!("warning: {w}");
        }
        let wanted = settings.org.clone();
        let wire = Wire::new(settings)?;
        let path = "/rest/session?include_permissions=false";
        let session = match &wire.settings.auth {
            Auth::ApiKey { .. } => wire.send(Method::Get, path, None, Retry::Yes)?,
            Auth::Password { email, password } => {
                let body = json!({"email": email, "password": password.expose()});
                // Logging in changes nothing in the org, so it is safe to repeat.
                let session = wire.send(Method::Post, path, Some(&body), Retry::Yes)?;
                let csrf = session
                    .get("csrf_token")
                    .and_then(Value::as_str)
                    .ok_or_else(|| SoarError::BadResponse {
                        method: "POST",
                        path: path.into(),
                        message: "the session has no csrf_token".into(),
                    })?
                    .to_string();
                let mut auth = wire.auth.lock().unwrap_or_else(|p| p.into_inner());
                if let WireAuth::Session { csrf: c, .. } = &mut *auth {
                    *c = Some(csrf);
                }
                drop(auth);
                session
            }
        };
        let org = find_org(&session, wanted.as_deref(), &wire.hint)?;
        let principal = match &wire.settings.auth {
            Auth::ApiKey { .. } => session
                .get("api_key_handle")
                .filter(|v| !v.is_null())
                .cloned()
                .map(Principal::ApiKey),
            Auth::Password { .. } => session
                .get("user_id")
                .filter(|v| !v.is_null())
                .cloned()
                .map(Principal::User),
        };
        Ok(Client {
            wire,
            org,
            principal,
            version: OnceLock::new(),
        })
    }

    /// HTTP requests sent so far (every attempt, including the session and retries).
    pub fn calls(&self) -> u64 {
        self.wire.http.calls()
    }

    pub fn org(&self) -> &Org {
        &self.org
    }

    /// The principal to grant message-destination access to, when the session named one.
    pub fn principal(&self) -> Option<&Principal> {
        self.principal.as_ref()
    }

    /// `https://host:port`, for messages.
    pub fn base_url(&self) -> &str {
        &self.wire.base_text
    }

    fn org_path(&self, rest: &str) -> String {
        format!("/rest/orgs/{}{rest}", self.org.id)
    }

    fn get_value(&self, path: &str) -> Result<Value, SoarError> {
        self.wire.send(Method::Get, path, None, Retry::Yes)
    }

    /// The server version (`GET /rest/const`, once per client).
    pub fn server_version(&self) -> Result<ServerVersion, SoarError> {
        if let Some(v) = self.version.get() {
            return Ok(v.clone());
        }
        let path = "/rest/const";
        let consts = self.get_value(path)?;
        let v = consts
            .get("server_version")
            .and_then(ServerVersion::from_json)
            .ok_or_else(|| SoarError::BadResponse {
                method: "GET",
                path: path.into(),
                message: "no readable server_version".into(),
            })?;
        Ok(self.version.get_or_init(|| v).clone())
    }

    /// A full configuration export of the org (the .res JSON).
    pub fn export(&self, options: &ExportOptions) -> Result<Value, SoarError> {
        let playbooks = match options.playbooks {
            Some(p) => p,
            None => self.server_version()?.at_least(44, 0),
        };
        let mut body = json!({
            "layouts": options.layouts,
            "actions": options.actions,
            "phases_and_tasks": options.phases_and_tasks,
        });
        if playbooks {
            body["playbooks"] = Value::Bool(true);
        }
        // The export only reads the org, so it may be retried like a GET.
        let path = self.org_path("/configurations/exports/");
        let v = self
            .wire
            .send(Method::Post, &path, Some(&body), Retry::Yes)?;
        if !v.is_object() {
            return Err(SoarError::BadResponse {
                method: "POST",
                path,
                message: "the export is not a JSON object".into(),
            });
        }
        Ok(v)
    }

    /// Phase one of an import: send the .res and get the server's preview. Never retried: a
    /// second POST would create a second pending import.
    pub fn import_start(&self, res: &Value) -> Result<ImportDto, SoarError> {
        let path = self.org_path("/configurations/imports");
        let raw = self.wire.send(Method::Post, &path, Some(res), Retry::No)?;
        let messages = import_messages(&raw);
        let status = raw
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if status != "PENDING" {
            return Err(SoarError::ImportNotPending {
                status,
                messages: messages.iter().map(ToString::to_string).collect(),
            });
        }
        let id = raw
            .get("id")
            .and_then(Value::as_u64)
            .ok_or_else(|| SoarError::BadResponse {
                method: "POST",
                path: path.clone(),
                message: "the pending import has no numeric id".into(),
            })?;
        Ok(ImportDto {
            id: ImportId(id),
            status,
            messages,
            raw,
        })
    }

    /// Phase two: send the DTO back with status `ACCEPTED` or `REJECTED`; returns the
    /// server's answer. Never retried.
    pub fn import_finish(
        &self,
        dto: &ImportDto,
        decision: ImportDecision,
    ) -> Result<Value, SoarError> {
        let mut body = dto.raw.clone();
        if let Some(obj) = body.as_object_mut() {
            obj.insert("status".into(), Value::String(decision.status().into()));
        }
        let path = self.org_path(&format!("/configurations/imports/{}", dto.id));
        self.wire.send(Method::Put, &path, Some(&body), Retry::No)
    }

    /// All objects of a kind (the `entities` of the list endpoint).
    pub fn list(&self, kind: Kind) -> Result<Vec<Value>, SoarError> {
        let path = self.org_path(&format!("/{}{}", kind.collection(), kind.query()));
        let v = self.get_value(&path)?;
        entities(v, &path)
    }

    /// One object by id or by its handle (name / programmatic name).
    pub fn get(&self, kind: Kind, handle: &str) -> Result<Value, SoarError> {
        let path = self.org_path(&format!(
            "/{}/{}{}",
            kind.collection(),
            seg(handle),
            kind.query()
        ));
        self.get_value(&path)
    }

    /// Replace one object (e.g. a message destination with one more api key), not retried.
    pub fn put(&self, kind: Kind, id: &str, object: &Value) -> Result<Value, SoarError> {
        let path = self.org_path(&format!(
            "/{}/{}{}",
            kind.collection(),
            seg(id),
            kind.query()
        ));
        self.wire.send(Method::Put, &path, Some(object), Retry::No)
    }

    /// Delete one object by id or handle.
    pub fn delete(&self, kind: Kind, handle: &str) -> Result<(), SoarError> {
        let path = self.org_path(&format!("/{}/{}", kind.collection(), seg(handle)));
        self.wire.send(Method::Delete, &path, None, Retry::Yes)?;
        Ok(())
    }

    /// Every type (incident, artifact, `__function`, data tables ...) keyed by type name.
    pub fn types(&self) -> Result<Map<String, Value>, SoarError> {
        let path = self.org_path("/types");
        match self.get_value(&path)? {
            Value::Object(m) => Ok(m),
            _ => Err(SoarError::BadResponse {
                method: "GET",
                path,
                message: "expected an object keyed by type name".into(),
            }),
        }
    }

    /// One type (a data table with its `fields` map) by name or id.
    pub fn get_type(&self, type_name: &str) -> Result<Value, SoarError> {
        self.get_value(&self.org_path(&format!("/types/{}", seg(type_name))))
    }

    /// Delete a type (a data table) by name or id.
    pub fn delete_type(&self, type_name: &str) -> Result<(), SoarError> {
        let path = self.org_path(&format!("/types/{}", seg(type_name)));
        self.wire.send(Method::Delete, &path, None, Retry::Yes)?;
        Ok(())
    }

    /// The fields of a type (`incident`, `actioninvocation`, `__function`, a data table).
    pub fn fields(&self, type_name: &str) -> Result<Vec<Value>, SoarError> {
        let path = self.org_path(&format!(
            "/types/{}/fields?handle_format=names",
            seg(type_name)
        ));
        let v = self.get_value(&path)?;
        entities(v, &path)
    }

    /// One field of a type, by id or name.
    pub fn get_field(&self, type_name: &str, field: &str) -> Result<Value, SoarError> {
        self.get_value(&self.org_path(&format!("/types/{}/fields/{}", seg(type_name), seg(field))))
    }

    /// Delete a field of a type, by id or name.
    pub fn delete_field(&self, type_name: &str, field: &str) -> Result<(), SoarError> {
        let path = self.org_path(&format!("/types/{}/fields/{}", seg(type_name), seg(field)));
        self.wire.send(Method::Delete, &path, None, Retry::Yes)?;
        Ok(())
    }

    /// Create an incident (not retried); returns it with its `id`.
    pub fn create_incident(&self, incident: &Value) -> Result<Value, SoarError> {
        let path = self.org_path("/incidents");
        self.wire
            .send(Method::Post, &path, Some(incident), Retry::No)
    }

    pub fn get_incident(&self, id: IncidentId) -> Result<Value, SoarError> {
        self.get_value(&self.org_path(&format!("/incidents/{id}?handle_format=names")))
    }

    /// The rows of a data table on an incident.
    pub fn table_rows(&self, incident: IncidentId, table: &str) -> Result<Vec<Value>, SoarError> {
        let path = self.org_path(&format!(
            "/incidents/{incident}/table_data/{}?handle_format=names",
            seg(table)
        ));
        let v = self.get_value(&path)?;
        match v {
            Value::Object(mut m) if m.contains_key("rows") => {
                entities(m.remove("rows").unwrap_or_default(), &path)
            }
            other => entities(other, &path),
        }
    }

    /// Add a row (`{"column": value, ...}`) to a data table on an incident (not retried).
    pub fn add_table_row(
        &self,
        incident: IncidentId,
        table: &str,
        cells: &Map<String, Value>,
    ) -> Result<Value, SoarError> {
        let cells: Map<String, Value> = cells
            .iter()
            .map(|(k, v)| (k.clone(), json!({ "value": v })))
            .collect();
        let path = self.org_path(&format!(
            "/incidents/{incident}/table_data/{}/row_data",
            seg(table)
        ));
        self.wire.send(
            Method::Post,
            &path,
            Some(&json!({ "cells": cells })),
            Retry::No,
        )
    }

    /// `POST /rest/search_ex`: SOAR's search across the org's incidents and their objects
    /// (`types`, `filters`, `query`, ...); `org_id` is filled in. Only reads, so it is retried
    /// like a GET.
    pub fn search_ex(&self, query: &Value) -> Result<Value, SoarError> {
        let mut body = query.clone();
        if let Some(o) = body.as_object_mut() {
            o.insert("org_id".into(), json!(self.org.id.0));
        }
        self.wire
            .send(Method::Post, "/rest/search_ex", Some(&body), Retry::Yes)
    }

    /// The tasks of an incident.
    pub fn tasks(&self, incident: IncidentId) -> Result<Vec<Value>, SoarError> {
        let path = self.org_path(&format!("/incidents/{incident}/tasks?handle_format=names"));
        let v = self.get_value(&path)?;
        entities(v, &path)
    }

    /// Add an artifact (`{"type": "IP Address", "value": ...}`) to an incident.
    pub fn add_artifact(&self, incident: IncidentId, artifact: &Value) -> Result<Value, SoarError> {
        let path = self.org_path(&format!("/incidents/{incident}/artifacts"));
        self.wire
            .send(Method::Post, &path, Some(artifact), Retry::No)
    }

    /// The incident's notes.
    pub fn comments(&self, incident: IncidentId) -> Result<Vec<Value>, SoarError> {
        let path = self.org_path(&format!("/incidents/{incident}/comments"));
        let v = self.get_value(&path)?;
        entities(v, &path)
    }

    /// Start a manual rule (menu item) on the incident or one of its objects:
    /// `{"action_id": <id or name>, "properties": {...}, "artifact_id"?, "row_id"?}`.
    pub fn invoke_action(
        &self,
        incident: IncidentId,
        invocation: &Value,
    ) -> Result<Value, SoarError> {
        let path = self.org_path(&format!("/incidents/{incident}/action_invocations"));
        self.wire
            .send(Method::Post, &path, Some(invocation), Retry::No)
    }
}

/// A list answer: `{"entities": [...]}`, or a bare array.
fn entities(v: Value, path: &str) -> Result<Vec<Value>, SoarError> {
    match v {
        Value::Array(a) => Ok(a),
        Value::Object(mut m) => match m.remove("entities") {
            Some(Value::Array(a)) => Ok(a),
            _ => Err(SoarError::BadResponse {
                method: "GET",
                path: path.into(),
                message: "expected {\"entities\": [...]}".into(),
            }),
        },
        _ => Err(SoarError::BadResponse {
            method: "GET",
            path: path.into(),
            message: "expected a list".into(),
        }),
    }
}

fn import_messages(dto: &Value) -> Vec<ImportMessage> {
    dto.get("messages")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|m| match m {
                    Value::String(s) => ImportMessage {
                        kind: "info".into(),
                        text: s.clone(),
                    },
                    _ => ImportMessage {
                        kind: m
                            .get("type")
                            .and_then(Value::as_str)
                            .unwrap_or("info")
                            .to_string(),
                        text: m
                            .get("text")
                            .and_then(Value::as_str)
                            .map(str::to_string)
                            .unwrap_or_else(|| m.to_string()),
                    },
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Pick the org: `cloud_account`, then `uuid`, then `name` equal to `wanted`.
fn find_org(session: &Value, wanted: Option<&str>, hint: &Hint) -> Result<Org, SoarError> {
    let orgs = session
        .get("orgs")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let names: Vec<String> = orgs
        .iter()
        .filter_map(|o| o.get("name").and_then(Value::as_str).map(str::to_string))
        .collect();
    let no_org = || SoarError::NoOrg {
        wanted: wanted.map(str::to_string),
        available: names.clone(),
        hint: Box::new(hint.clone()),
    };
    let wanted = wanted.ok_or_else(no_org)?;
    let by = |key: &str| {
        orgs.iter()
            .find(|o| o.get(key).and_then(Value::as_str) == Some(wanted))
    };
    let org = by("cloud_account")
        .or_else(|| by("uuid"))
        .or_else(|| by("name"))
        .ok_or_else(no_org)?;
    let name = org
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or(wanted)
        .to_string();
    if org.get("enabled").and_then(Value::as_bool) == Some(false) {
        return Err(SoarError::OrgDisabled {
            name,
            hint: Box::new(hint.clone()),
        });
    }
    let id = org
        .get("id")
        .and_then(Value::as_u64)
        .ok_or_else(|| SoarError::BadResponse {
            method: "GET",
            path: "/rest/session".into(),
            message: format!("org {name:?} has no numeric id"),
        })?;
    let text = |k: &str| org.get(k).and_then(Value::as_str).map(str::to_string);
    Ok(Org {
        id: OrgId(id),
        name,
        uuid: text("uuid"),
        cloud_account: text("cloud_account"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint() -> Hint {
        Hint {
            file: None,
            host: "soar.example".into(),
            api_key: true,
            cafile: false,
            proxy: false,
        }
    }

    fn session() -> Value {
        json!({"orgs": [
            {"id": 201, "name": "Other Mock Org", "enabled": true},
            {"id": 202, "name": "Test Organization", "uuid": "u-202", "enabled": true},
            {"id": 203, "name": "Cloud", "cloud_account": "Test Organization", "enabled": true},
            {"id": 204, "name": "Off", "enabled": false},
        ]})
    }

    #[test]
    fn org_lookup_order_is_cloud_account_uuid_name() {
        let s = session();
        assert_eq!(
            find_org(&s, Some("Test Organization"), &hint()).unwrap().id,
            OrgId(203)
        );
        assert_eq!(find_org(&s, Some("u-202"), &hint()).unwrap().id, OrgId(202));
        assert_eq!(
            find_org(&s, Some("Other Mock Org"), &hint()).unwrap().id,
            OrgId(201)
        );
    }

    #[test]
    fn unknown_or_missing_org_lists_names() {
        for wanted in [Some("nope"), None] {
            let e = find_org(&session(), wanted, &hint()).unwrap_err();
            let text = e.to_string();
            assert!(
                text.contains("Other Mock Org, Test Organization, Cloud, Off"),
                "{text}"
            );
            assert!(crate::help::Help::help(&e).unwrap().contains("RESPACK_ORG"));
        }
    }

    #[test]
    fn disabled_org_is_an_error() {
        let e = find_org(&session(), Some("Off"), &hint()).unwrap_err();
        assert!(matches!(e, SoarError::OrgDisabled { .. }), "{e}");
    }

    #[test]
    fn server_versions_old_and_new() {
        let old = ServerVersion::from_json(
            &json!({"build_number": 6783, "major": 41, "minor": 0, "version": "41.0.6783"}),
        )
        .unwrap();
        assert_eq!((old.major, old.minor, old.build), (41, 0, 6783));
        assert!(!old.at_least(44, 0));
        let new = ServerVersion::from_json(&json!({"build_number":9340,"f":0,"m":0,"major":0,"minor":0,"r":0,"v":51,"version":"51.0.0.0.9340"})).unwrap();
        assert_eq!((new.major, new.minor, new.build), (51, 0, 9340));
        assert!(new.at_least(44, 0));
        let bare = ServerVersion::from_json(&json!({"v": 45, "r": 1})).unwrap();
        assert_eq!((bare.major, bare.minor), (45, 1));
        assert!(ServerVersion::from_json(&json!({})).is_none());
    }

    #[test]
    fn server_message_prefers_json_message() {
        assert_eq!(
            server_message(r#"{"success":false,"title":null,"message":"Bad key"}"#),
            "Bad key"
        );
        assert_eq!(server_message(r#"{"title":"T"}"#), "T");
        assert_eq!(
            server_message("<html>\n  nope </html>"),
            "<html> nope </html>"
        );
        assert_eq!(shorten("abcdef", 3), "abc…");
    }

    #[test]
    fn import_messages_are_read_leniently() {
        let m = import_messages(&json!({"messages": [
            {"type": "WARN", "text": "x exists"}, "plain", {"other": 1}
        ]}));
        assert_eq!(m[0].to_string(), "WARN: x exists");
        assert_eq!(m[1].to_string(), "info: plain");
        assert_eq!(m[2].text, r#"{"other":1}"#);
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(seg("a b/c"), "a%20b%2Fc");
        assert_eq!(seg("fn_qradar_advisor"), "fn_qradar_advisor");
    }
}
