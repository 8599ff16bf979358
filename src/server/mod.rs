//! `respack serve`: the reference SOAR org, an emulation of the SOAR REST API subset that respack
//! and IBM's clients use, with its state in SQLite.
//!
//! It speaks HTTPS like a real SOAR (IBM's client only speaks HTTPS), with a certificate made
//! on first start for `127.0.0.1` and `localhost` (see [`tls`]). Everything else lives in the
//! SQLite file given as `--db` (see [`store`]), so an org and its content survive a restart.
//! The database keeps secrets only hashed, so each start issues the app.config a new API key
//! (the keys of the last [`KEYS_KEPT`] starts stay valid) and the admin a new password.
//!
//! It listens on loopback only unless [`Options::allow_remote`] says otherwise: anyone with an
//! API key can import a workflow whose python3 scripts then run on this host. What a client can
//! make it hold (bodies, connections, sessions, pending imports) is bounded by [`Limits`].
//! Everything `start` checks that can fail (the address, the database, the seed) is checked
//! before the server is up, and a start that fails leaves no new files behind.
//!
//! Library use (tests, `respack demo`):
//! ```no_run
//! # fn main() -> Result<(), respack::server::ServerError> {
//! let server = respack::server::start(respack::server::Options::new("/tmp/org.db"))?;
//! println!("{} org {}", server.base_url(), server.org_id());
//! server.shutdown();
//! # Ok(()) }
//! ```
//! The server runs on its own tokio runtime thread, so synchronous callers can use it.
//! More routes (action invocations, emulated QRadar endpoints) plug in as an [`Extension`].
//!
//! The same port serves the web pages ([`web`]): the org in a browser, over the same store.
//!
//! What the REST surface covers and how it behaves is in [`api`] (session, org, export,
//! import), [`incidents`] and [`search`] (rows in data tables, for uninstall); the import rules
//! (matching by uuid and API name, refusals) in [`import`].

pub mod actions;
pub mod api;
pub mod error;
pub mod export;
pub mod import;
pub mod incidents;
pub mod kinds;
pub mod limits;
pub mod search;
pub mod state;
pub mod store;
pub mod tls;
pub mod web;

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use serde_json::Value;

pub use error::{ApiError, ServerError};
pub use limits::{Clock, Limits};
pub use state::{AppState, Caller, Principal, ServerInfo};
pub use store::{ApiKey, Org, OrgId, Store};

/// The default org name (what SOAR's own tooling calls its sample org).
pub const DEFAULT_ORG: &str = "Test Organization";

/// The user made on first start for email/password logins.
pub const ADMIN_EMAIL: &str = "admin@example.com";

/// The name of the API keys `start` issues, one per start.
pub const SERVE_KEY_NAME: &str = "respack serve";

/// How many of those keys stay valid: the app.configs of the last this many starts work.
pub const KEYS_KEPT: usize = 5;

/// An add-on to the reference org: more routes on the same server and state, and more
/// app.config sections for `--write-config`.
///
/// ```no_run
/// use std::sync::Arc;
/// use axum::{extract::{Path, State}, routing::post, Json, Router};
/// use respack::server::{ApiError, AppState, Caller, Extension, OrgId};
///
/// struct Invocations;
///
/// async fn invoke(
///     State(state): State<AppState>,
///     caller: Caller,
///     Path((org, inc)): Path<(i64, i64)>,
/// ) -> Result<Json<serde_json::Value>, ApiError> {
///     let org = caller.check_org(OrgId(org))?;
///     state
///         .with_store(move |s| Ok(Json(serde_json::json!({"org": org, "incident": inc}))))
///         .await
/// }
///
/// impl Extension for Invocations {
///     fn routes(&self, state: AppState) -> Router {
///         Router::new()
///             .route("/rest/orgs/{org}/incidents/{inc}/action_invocations", post(invoke))
///             .with_state(state)
///     }
/// }
///
/// let mut opts = respack::server::Options::new("/tmp/org.db");
/// opts.extensions.push(Arc::new(Invocations));
/// ```
pub trait Extension: Send + Sync {
    /// Routes merged into the server's router. Handlers can take [`Caller`] (authentication as
    /// for every other route) and use [`AppState::with_store`].
    fn routes(&self, state: AppState) -> Router;

    /// Sections appended to the app.config `--write-config` writes (for example an
    /// integration's `[fn_qradar_integration]` pointing at emulated endpoints).
    fn config_sections(&self, _info: &ServerInfo) -> Vec<ConfigSection> {
        Vec::new()
    }

    /// What runs menu-item rules on this org, for the web pages' Actions menus (the extension
    /// that mounts `action_invocations` has one; without it the pages offer no actions).
    fn action_runner(&self, _state: &AppState) -> Option<actions::ActionRunner> {
        None
    }
}

/// One `[name]` section of an app.config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSection {
    pub name: String,
    pub entries: Vec<(String, String)>,
}

/// How to start the reference org.
#[derive(Clone)]
pub struct Options {
    /// `HOST:PORT`; port 0 picks a free port.
    pub listen: String,
    /// The SQLite file holding the org (created on first start).
    pub db: PathBuf,
    /// The org to serve (created when the database has none of that name).
    pub org: String,
    /// Write an app.config pointing at the server here, once it listens.
    pub write_config: Option<PathBuf>,
    /// Import the dependency integrations' objects ([`crate::package::integrations_seed`]).
    pub seed_integrations: bool,
    pub extensions: Vec<Arc<dyn Extension>>,
    /// Listen on an address beyond loopback (refused otherwise).
    pub allow_remote: bool,
    /// What a client can make the server hold, and for how long.
    pub limits: Limits,
    /// The clock expiries are measured on (tests move a manual one).
    pub clock: Clock,
}

impl Options {
    /// Defaults: `127.0.0.1:0`, org "Test Organization", no app.config, no seeding, loopback
    /// only, [`Limits::default`], the system clock.
    pub fn new(db: impl Into<PathBuf>) -> Options {
        Options {
            listen: "127.0.0.1:0".into(),
            db: db.into(),
            org: DEFAULT_ORG.into(),
            write_config: None,
            seed_integrations: false,
            extensions: Vec::new(),
            allow_remote: false,
            limits: Limits::default(),
            clock: Clock::system(),
        }
    }
}

/// A running reference org. Dropping it stops the server.
pub struct RunningServer {
    addr: SocketAddr,
    org: Org,
    api_key: ApiKey,
    login: (String, String),
    ca_pem_path: PathBuf,
    state: AppState,
    handle: axum_server::Handle<std::net::SocketAddr>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

/// The host clients should use for a server listening on `addr`: one its certificate covers.
/// A wildcard address is reached through loopback.
pub fn client_host(addr: SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => Ipv4Addr::LOCALHOST.to_string(),
        // The certificate names `localhost` but not `::1`.
        IpAddr::V6(ip) if ip.is_unspecified() || ip.is_loopback() => "localhost".into(),
        ip => ip.to_string(),
    }
}

/// Whether `ip` reaches beyond this host.
fn beyond_loopback(ip: IpAddr) -> bool {
    !ip.is_loopback()
}

/// Files a start creates, removed again unless the start succeeds.
struct NewFiles {
    paths: Vec<PathBuf>,
    armed: bool,
}

impl NewFiles {
    fn new() -> NewFiles {
        NewFiles {
            paths: Vec::new(),
            armed: true,
        }
    }

    /// Remember `path` (and SQLite's companions when it is the database) if it does not exist.
    fn will_create(&mut self, path: &Path, database: bool) {
        if path.exists() {
            return;
        }
        self.paths.push(path.to_path_buf());
        if database {
            for suffix in ["-journal", "-wal", "-shm"] {
                let mut p = path.as_os_str().to_owned();
                p.push(suffix);
                self.paths.push(PathBuf::from(p));
            }
        }
    }

    fn keep(mut self) {
        self.armed = false;
    }
}

impl Drop for NewFiles {
    fn drop(&mut self) {
        if self.armed {
            for p in &self.paths {
                let _ = std::fs::remove_file(p);
            }
        }
    }
}

/// The CA file next to the database: `org.db` → `org.ca.pem`.
pub fn ca_path_for(db: &Path) -> PathBuf {
    db.with_extension("ca.pem")
}

/// Write `text` to `path` atomically: a temporary file in the same folder, then a rename, so
/// a reader polling for the file never sees it half written.
fn write_atomic(path: &Path, text: &str, what: &'static str) -> Result<(), ServerError> {
    let io = |source| ServerError::Io {
        what,
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // tempfile's own error names its random file; the folder is what the user must fix.
    let mut tmp =
        tempfile::NamedTempFile::new_in(dir).map_err(|e| io(std::io::Error::from(e.kind())))?;
    tmp.write_all(text.as_bytes()).map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// Make sure org `org_name` exists with an admin user, and issue it a new API key (the
/// database cannot give back an old one's secret). Returns the org, the key and its admin.
fn prepare_org(
    store: &mut Store,
    org_name: &str,
) -> Result<(Org, ApiKey, store::User), ServerError> {
    let org = match store.org_by_name(org_name)? {
        Some(o) => o,
        None => {
            let org = store.create_org(org_name)?;
            // As on SOAR, where every org export holds them (res-format.md §1.10): the internal
            // incident type and field every import carries are part of the org, so an import
            // neither creates them nor can an uninstall be expected to remove them.
            let internal = crate::package::internal_objects(store::now_ms());
            store
                .transaction(|tx| import::apply(tx, org.id, &internal))
                .map_err(ServerError::Seed)?;
            org
        }
    };
    let key = store.issue_api_key(org.id, SERVE_KEY_NAME, KEYS_KEPT)?;
    let admin = match store.first_user_of(org.id)? {
        Some(u) => u,
        None => {
            let user = match store.user_by_email(ADMIN_EMAIL)? {
                Some(u) => u,
                None => store.create_user(ADMIN_EMAIL, &store::random_token(12), "Org", "Admin")?,
            };
            store.add_membership(user.id, org.id)?;
            user
        }
    };
    Ok((org, key, admin))
}

/// Import `res` into `org` through the same two phases the REST API runs, accepted at once.
/// Returns the ACCEPTED import DTO.
pub fn import_accepted(store: &mut Store, org: OrgId, res: &Value) -> Result<Value, ServerError> {
    let dto = api::begin_import(store, org, res, store::now_ms())?;
    let id = store::ImportId(dto.get("id").and_then(Value::as_i64).unwrap_or_default());
    api::finish_import(store, org, id, true)
        .map_err(|e| ServerError::Seed(import::ImportError::Refused(vec![e.message])))
}

fn app_config(
    host: &str,
    addr: SocketAddr,
    org: &Org,
    key: &ApiKey,
    login: &(String, String),
    cafile: &Path,
    extra: &[ConfigSection],
) -> String {
    let mut s = format!(
        "# Written by `respack serve`: the reference SOAR org listening on {addr}\n\
         # The key and password are issued at this start; the keys of the last {KEYS_KEPT} starts work.\n\
         [resilient]\n\
         host={}\nport={}\norg={}\napi_key_id={}\napi_key_secret={}\ncafile={}\n\
         # Email/password login (the deprecated session flow), for testing it instead of the key:\n\
         #email={}\n#password={}\n",
        host,
        addr.port(),
        org.name,
        key.id,
        key.secret,
        cafile.display(),
        login.0,
        login.1,
    );
    for sec in extra {
        s.push_str(&format!("\n[{}]\n", sec.name));
        for (k, v) in &sec.entries {
            s.push_str(&format!("{k}={v}\n"));
        }
    }
    s
}

/// Start the reference org: check the address, bind it, open (or create) the database, its
/// org, key and certificate, optionally seed it, serve on a background runtime thread, and
/// write the app.config. Returns once the listener is bound. A start that fails removes the
/// files it created.
pub fn start(opts: Options) -> Result<RunningServer, ServerError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let listen = opts
        .listen
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| ServerError::Listen {
            addr: opts.listen.clone(),
        })?;
    if beyond_loopback(listen.ip()) && !opts.allow_remote {
        return Err(ServerError::NotLoopback {
            addr: opts.listen.clone(),
        });
    }
    // Bind first: an address in use must not leave a new database and CA file behind.
    let bind_err = |source| ServerError::Bind {
        addr: opts.listen.clone(),
        source,
    };
    let listener = std::net::TcpListener::bind(listen).map_err(bind_err)?;
    listener.set_nonblocking(true).map_err(bind_err)?;
    let addr = listener.local_addr().map_err(bind_err)?;

    let ca_path = ca_path_for(&opts.db);
    let mut new_files = NewFiles::new();
    new_files.will_create(&opts.db, true);
    new_files.will_create(&ca_path, false);

    let mut store = Store::open(&opts.db).map_err(|source| ServerError::Db {
        path: opts.db.clone(),
        source,
    })?;
    let (org, api_key, admin) = prepare_org(&mut store, &opts.org)?;
    let password = store::random_token(12);
    store.set_password(admin.id, &password)?;
    let login = (admin.email, password);
    let extra_name = beyond_loopback(addr.ip())
        .then(|| client_host(addr))
        .filter(|h| h != "localhost" && h != "127.0.0.1");
    let identity = tls::load_or_create_for(&store, extra_name.as_deref())?;
    if opts.seed_integrations {
        import_accepted(&mut store, org.id, &crate::package::integrations_seed())?;
    }
    let (now, pending) = (opts.clock.now_ms(), limits::ms(opts.limits.pending_import));
    store.expire_imports(now, pending)?;
    write_atomic(
        &ca_path,
        &identity.ca_pem,
        "cannot write the CA certificate",
    )?;
    let ca_pem_path = std::fs::canonicalize(&ca_path).map_err(|source| ServerError::Io {
        what: "cannot resolve",
        path: ca_path.clone(),
        source,
    })?;

    let info = ServerInfo { addr };
    let limits = opts.limits.clone();
    let state = AppState::new(
        Arc::new(Mutex::new(store)),
        info.clone(),
        limits.clone(),
        opts.clock.clone(),
    );
    let mut app = api::routes(state.clone())
        .merge(incidents::routes(state.clone()))
        .merge(search::routes(state.clone()))
        .merge(actions::routes(state.clone()));
    for ext in &opts.extensions {
        app = app.merge(ext.routes(state.clone()));
    }
    let runner = opts.extensions.iter().find_map(|e| e.action_runner(&state));
    let app = app
        .fallback(|uri: axum::http::Uri| async move {
            ApiError::not_found(format!("No such endpoint: {}", uri.path()))
        })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            state::guard,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(
            limits.authenticated_body,
        ))
        // The pages authenticate by session cookie and form token, and cap their own bodies:
        // merged after the REST API's guard so that it does not apply to them.
        .merge(web::routes(state.clone(), runner));

    let tls = axum_server::tls_rustls::RustlsConfig::from_config(identity.server_config()?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("respack-serve")
        .enable_all()
        .build()
        .map_err(ServerError::Runtime)?;
    let handle = axum_server::Handle::<std::net::SocketAddr>::new();
    let server_handle = handle.clone();
    let sweep_state = state.clone();
    let thread = std::thread::Builder::new()
        .name("respack-serve".into())
        .spawn(move || {
            runtime.block_on(async move {
                tokio::spawn(sweep(sweep_state));
                let mut server = axum_server::from_tcp_rustls(listener, tls)?
                    .map(|a| a.handshake_timeout(limits.header_timeout))
                    .handle(server_handle);
                // HTTP/1.1 only (the TLS config offers no h2): hyper's header timeout then runs
                // from the moment a connection is up, so one that never sends its headers is
                // closed instead of held.
                let builder = server.http_builder();
                *builder = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                )
                .http1_only();
                builder
                    .http1()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(limits.header_timeout);
                server.serve(app.into_make_service()).await
            })
        })
        .map_err(ServerError::Runtime)?;

    let server = RunningServer {
        addr,
        org,
        api_key,
        login,
        ca_pem_path,
        state,
        handle,
        thread: Some(thread),
    };
    if let Some(path) = &opts.write_config {
        let extra: Vec<ConfigSection> = opts
            .extensions
            .iter()
            .flat_map(|e| e.config_sections(&info))
            .collect();
        let text = app_config(
            &client_host(addr),
            addr,
            &server.org,
            &server.api_key,
            &server.login,
            &server.ca_pem_path,
            &extra,
        );
        write_atomic(path, &text, "cannot write the app.config")?;
    }
    new_files.keep();
    Ok(server)
}

/// Expire pending imports now and then, so an abandoned one does not wait for the next import
/// to be dropped.
async fn sweep(state: AppState) {
    let every = state.limits().pending_import.clamp(
        std::time::Duration::from_secs(1),
        std::time::Duration::from_secs(60),
    );
    loop {
        tokio::time::sleep(every).await;
        let (now, ttl) = (state.now_ms(), limits::ms(state.limits().pending_import));
        let _ = state
            .with_store(move |s| Ok(s.expire_imports(now, ttl)?))
            .await;
    }
}

impl RunningServer {
    /// The bound address (the real port when asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://127.0.0.1:PORT`: a host the certificate covers (see [`client_host`]).
    pub fn base_url(&self) -> String {
        let host = client_host(self.addr);
        if host.contains(':') {
            format!("https://[{host}]:{}", self.addr.port())
        } else {
            format!("https://{host}:{}", self.addr.port())
        }
    }

    /// The CA certificate clients must trust (app.config's `cafile`).
    pub fn ca_pem_path(&self) -> &Path {
        &self.ca_pem_path
    }

    pub fn api_key(&self) -> &ApiKey {
        &self.api_key
    }

    pub fn org_id(&self) -> OrgId {
        self.org.id
    }

    pub fn org(&self) -> &Org {
        &self.org
    }

    /// Email and password of the org's admin user (for the session flow).
    pub fn login(&self) -> (&str, &str) {
        (&self.login.0, &self.login.1)
    }

    /// The shared state (store access for in-process callers).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Import a `.res` into the served org, accepted at once (what an admin who installed
    /// those integrations has). Returns the ACCEPTED import DTO.
    pub fn seed_from_res(&self, res: &Value) -> Result<Value, ServerError> {
        let org = self.org.id;
        self.state
            .with_store_blocking(|s| import_accepted(s, org, res))
    }

    /// Another org in the same database, with its own API key (the admin user joins it too).
    /// Its key, like the served org's, is issued anew (its older ones stay valid) when called
    /// again with the same name.
    pub fn create_org(&self, name: &str) -> Result<(Org, ApiKey), ServerError> {
        self.state.with_store_blocking(|s| {
            let (org, key, _) = prepare_org(s, name)?;
            Ok((org, key))
        })
    }

    /// Stop serving and wait for the server thread to end.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.handle
            .graceful_shutdown(Some(std::time::Duration::from_secs(2)));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.stop();
    }
}
