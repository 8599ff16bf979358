//! The one HTTP stack every respack client stands on (the SOAR REST client, the TAXII client,
//! the QRadar and QRadar Advisor clients): `reqwest`'s blocking client with the TLS setup of
//! [`crate::tls`], proxies from app.config only (never from the environment: `cli` is the one
//! reader of the environment), timeouts, an optional cookie jar, one retry policy
//! ([`RetryPolicy`], only for [`Idempotency::Idempotent`] requests) and a counter of requests
//! sent, so that tests and benchmarks can hold commands to a fixed number of calls.
//!
//! It knows nothing of the protocols above it: any HTTP status comes back as a [`Response`]
//! with a typed [`StatusCode`], and each client decides what an answer means. Only failures
//! below HTTP are [`Error`]s, classified by [`TransportKind`] from the typed errors of hyper,
//! rustls and the resolver, so that each client's help line names the real cause.
//!
//! The client is blocking for its callers, over reqwest's async client running on a runtime of
//! its own (one worker thread): a request is handed to that runtime and the caller waits for the
//! answer on a channel. So it works the same from a plain thread, from `spawn_blocking` (where
//! `respack serve` runs workflows, which call the QRadar and TAXII clients) and even from an
//! async task, where `reqwest::blocking` would panic; and reqwest's per-read timeout applies to
//! the body too (its blocking wrapper reads bodies outside any runtime, where that timer
//! cannot run). An async caller should still prefer `spawn_blocking`: the wait blocks its
//! thread.

mod retry;

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::cookie::CookieStore as _;
use reqwest::header::{HeaderName, HeaderValue, CONTENT_TYPE};

pub use reqwest::header::HeaderMap;
pub use reqwest::{Method, StatusCode};
pub use retry::{retry_after, retryable_status, Idempotency, RetryPolicy};
pub use url::Url;

use crate::help::Help;
use crate::secret::Secret;
use crate::tls::{Problem, Verify};

/// What every request says it is.
const USER_AGENT: &str = concat!("respack/", env!("CARGO_PKG_VERSION"));

/// An HTTP (CONNECT) proxy: its URL without credentials, and the credentials apart, so that
/// neither a message nor `Debug` can show the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    pub url: Url,
    pub user: Option<String>,
    pub password: Option<Secret>,
}

impl Proxy {
    /// `[http://][user:password@]host:port` (credentials percent-decoded). The error never
    /// repeats the text, which may hold a password.
    pub fn parse(text: &str) -> Result<Proxy, String> {
        let text = text.trim();
        let with_scheme = if text.contains("://") {
            text.to_string()
        } else {
            format!("http://{text}")
        };
        let mut url = Url::parse(&with_scheme)
            .map_err(|e| format!("not a proxy URL like http://host:3128 ({e})"))?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err("a proxy URL needs a host, like http://host:3128".into());
        }
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let user = Some(decode(url.username())).filter(|u| !u.is_empty());
        let password = url
            .password()
            .map(|p| Secret::new(decode(p)))
            .filter(|p| !p.expose().is_empty());
        // Both calls only fail for URLs that cannot have credentials, which `http://` can.
        let _ = url.set_username("");
        let _ = url.set_password(None);
        Ok(Proxy {
            url,
            user,
            password,
        })
    }
}

/// How a [`Client`] connects.
#[derive(Debug, Clone)]
pub struct Config {
    pub verify: Verify,
    pub proxy: Option<Proxy>,
    /// To open the TCP connection (and through a proxy, the tunnel).
    pub connect_timeout: Duration,
    /// For each read of the answer; `None` waits as long as the server takes.
    pub read_timeout: Option<Duration>,
    /// For the whole exchange, body included; `None` for no limit.
    pub timeout: Option<Duration>,
    pub retry: RetryPolicy,
    /// Keep the cookies servers set and send them back (QRadar's SEC / XSRF handshake).
    pub cookies: bool,
    /// Follow redirects (up to 10); otherwise a 3xx comes back as the answer.
    pub follow_redirects: bool,
    /// Refuse `http://` URLs (the SOAR client, which sends credentials on every call).
    pub https_only: bool,
    /// Largest body read; a larger answer is an error.
    pub max_body: u64,
}

impl Config {
    /// Ten seconds to connect, no read limit, the default retry policy, no cookies, no
    /// redirects, a 1 GiB body limit.
    pub fn new(verify: Verify) -> Config {
        Config {
            verify,
            proxy: None,
            connect_timeout: Duration::from_secs(10),
            read_timeout: None,
            timeout: None,
            retry: RetryPolicy::default(),
            cookies: false,
            follow_redirects: false,
            https_only: false,
            max_body: 1 << 30,
        }
    }
}

/// What kind of failure happened below HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// The host name did not resolve.
    Dns,
    /// The TCP connection was refused or could not be opened.
    Connect,
    /// The TLS handshake failed: the certificate is not signed by anything trusted, or the
    /// protocol failed.
    Tls,
    /// The certificate is trusted but not made for the host name connected to.
    CertificateName,
    /// The certificate is trusted but expired (or not yet valid).
    CertificateExpired,
    /// No answer within the configured timeout.
    Timeout,
    /// The proxy refused or failed the connection.
    Proxy,
    /// Anything else (connection reset, malformed HTTP, an oversized answer).
    Io,
}

impl TransportKind {
    /// Whether an idempotent request that failed this way is worth sending again.
    pub fn retryable(self) -> bool {
        matches!(self, TransportKind::Connect | TransportKind::Io)
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportKind::Dns => "cannot resolve the host name",
            TransportKind::Connect => "cannot connect",
            TransportKind::Tls => "TLS handshake failed",
            TransportKind::CertificateName => {
                "TLS handshake failed: the server's certificate is not valid for this host name"
            }
            TransportKind::CertificateExpired => {
                "TLS handshake failed: the server's certificate has expired or is not valid yet"
            }
            TransportKind::Timeout => "timed out",
            TransportKind::Proxy => "the proxy failed",
            TransportKind::Io => "connection failed",
        })
    }
}

/// A request the client could not make, or an answer it could not read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot use the CA file {}: {message}", path.display())]
    CaFile { path: PathBuf, message: String },

    /// The proxy setting cannot be used; `proxy` is its URL without credentials.
    #[error("the proxy {proxy} cannot be used: {message}")]
    Proxy { proxy: String, message: String },

    /// A header value a request cannot carry (a token with a line break, say); the value is
    /// not repeated, as it may be a secret.
    #[error("header {name} has a value that cannot be sent in HTTP")]
    Header { name: String },

    #[error("cannot set up the HTTP client: {message}")]
    Setup { message: String },

    #[error("{method} {url}: {kind}: {message}")]
    Transport {
        method: Method,
        /// Scheme, host, port and path; respack puts no credentials in URLs.
        url: String,
        kind: TransportKind,
        message: String,
    },
}

impl Error {
    /// The kind of transport failure, when that is what happened.
    pub fn kind(&self) -> Option<TransportKind> {
        match self {
            Error::Transport { kind, .. } => Some(*kind),
            _ => None,
        }
    }
}

impl Help for Error {
    fn help(&self) -> Option<String> {
        Some(match self {
            Error::CaFile { .. } => {
                "point the CA setting at a PEM file holding the server's certificate or its CA"
                    .into()
            }
            Error::Proxy { .. } => "give the proxy as http://[user:password@]host:port".into(),
            Error::Header { name } => format!("check the setting that {name} is made from"),
            Error::Setup { .. } => "this is a bug in respack's TLS setup; please report it".into(),
            Error::Transport { kind, url, .. } => {
                let host = Url::parse(url)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_string))
                    .unwrap_or_else(|| url.clone());
                transport_help(*kind, &host)
            }
        })
    }
}

/// The help line of a transport failure against `host`, for clients with no settings of their
/// own to name.
pub fn transport_help(kind: TransportKind, host: &str) -> String {
    match kind {
        TransportKind::Dns => format!("check the host name {host}"),
        TransportKind::Connect | TransportKind::Io => {
            format!("check the host and port of {host}, and that the server is reachable")
        }
        TransportKind::Tls => format!(
            "the certificate of {host} is not trusted: point the CA setting at its certificate or its CA"
        ),
        TransportKind::CertificateName => name_help(host),
        TransportKind::CertificateExpired => expiry_help(host),
        TransportKind::Timeout => "raise the timeout, or check that the server is up".into(),
        TransportKind::Proxy => "check the proxy settings and that the proxy is up".into(),
    }
}

/// Help for a certificate that does not name the host connected to.
pub fn name_help(host: &str) -> String {
    format!(
        "the server's certificate does not name the host name {host}: connect with a name the \
         certificate lists, or have it reissued for {host} (the CA file is not the cause)"
    )
}

/// Help for an expired (or not yet valid) certificate.
pub fn expiry_help(host: &str) -> String {
    format!(
        "the certificate of {host} has expired (or is not valid yet): renew it on the server, or \
         check this machine's clock (the CA file is not the cause)"
    )
}

/// A request to send: method, URL, headers, body, and whether it may be sent twice.
#[derive(Debug, Clone)]
pub struct Request {
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Option<Vec<u8>>,
    idempotency: Idempotency,
    bad_header: Option<String>,
}

impl Request {
    /// GET, HEAD and DELETE are idempotent; anything else is sent once unless
    /// [`Request::idempotent`] says otherwise (SOAR's read-only export is a POST).
    pub fn new(method: Method, url: Url) -> Request {
        let idempotency = if matches!(method, Method::GET | Method::HEAD | Method::DELETE) {
            Idempotency::Idempotent
        } else {
            Idempotency::Once
        };
        Request {
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
            idempotency,
            bad_header: None,
        }
    }

    pub fn get(url: Url) -> Request {
        Request::new(Method::GET, url)
    }

    /// Set a header (replacing an earlier value of the same name).
    pub fn header(mut self, name: &str, value: &str) -> Request {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(n), Ok(mut v)) => {
                if n == reqwest::header::AUTHORIZATION || n.as_str().eq_ignore_ascii_case("sec") {
                    // Kept out of hyper's and reqwest's debug output.
                    v.set_sensitive(true);
                }
                self.headers.insert(n, v);
            }
            _ => {
                self.bad_header.get_or_insert_with(|| name.to_string());
            }
        }
        self
    }

    /// A JSON body, with its content type.
    pub fn json_body(mut self, text: String) -> Request {
        self.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        self.body = Some(text.into_bytes());
        self
    }

    /// A body of any content type (a form, a multipart upload).
    pub fn body(mut self, content_type: &str, bytes: Vec<u8>) -> Request {
        if let Ok(v) = HeaderValue::from_str(content_type) {
            self.headers.insert(CONTENT_TYPE, v);
        }
        self.body = Some(bytes);
        self
    }

    /// Mark the request as safe to send again (it reads, or repeats to the same effect).
    pub fn idempotent(mut self) -> Request {
        self.idempotency = Idempotency::Idempotent;
        self
    }

    /// Mark the request as never to be sent twice.
    pub fn once(mut self) -> Request {
        self.idempotency = Idempotency::Once;
        self
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    pub fn method(&self) -> &Method {
        &self.method
    }
}

/// An answer, any status, with its body read.
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// How many times the request was sent to get this answer (1 = no retry).
    pub attempts: u32,
}

impl Response {
    /// A header's value as text (`None` when absent or not visible ASCII).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    /// The body as text, invalid UTF-8 replaced.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Called instead of sleeping between retries: tests record the waits rather than wait.
type Sleep = Arc<dyn Fn(Duration) + Send + Sync>;

/// A configured HTTP client. Cheap to share by reference.
pub struct Client {
    inner: reqwest::Client,
    /// Where requests run; `None` only while dropping.
    runtime: Option<tokio::runtime::Runtime>,
    jar: Option<Arc<reqwest::cookie::Jar>>,
    retry: RetryPolicy,
    max_body: u64,
    proxied: bool,
    calls: AtomicU64,
    sleep: Sleep,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("http::Client")
            .field("retry", &self.retry)
            .field("proxied", &self.proxied)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub fn new(config: Config) -> Result<Client, Error> {
        let tls = crate::tls::client_config(&config.verify).map_err(|e| Error::CaFile {
            path: e.path,
            message: e.message,
        })?;
        let mut builder = reqwest::ClientBuilder::new()
            .no_proxy()
            .use_preconfigured_tls((*tls).clone())
            .connect_timeout(config.connect_timeout)
            .user_agent(USER_AGENT)
            .https_only(config.https_only)
            .redirect(if config.follow_redirects {
                reqwest::redirect::Policy::limited(10)
            } else {
                reqwest::redirect::Policy::none()
            });
        if let Some(t) = config.read_timeout {
            builder = builder.read_timeout(t);
        }
        let jar = config
            .cookies
            .then(|| Arc::new(reqwest::cookie::Jar::default()));
        if let Some(jar) = &jar {
            builder = builder.cookie_provider(jar.clone());
        }
        if let Some(p) = &config.proxy {
            let mut proxy = reqwest::Proxy::all(p.url.as_str()).map_err(|e| Error::Proxy {
                proxy: p.url.to_string(),
                message: chain(&e),
            })?;
            if let Some(user) = &p.user {
                proxy = proxy.basic_auth(user, p.password.as_ref().map_or("", Secret::expose));
            }
            builder = builder.proxy(proxy);
        }
        if let Some(t) = config.timeout {
            builder = builder.timeout(t);
        }
        let inner = builder
            .build()
            .map_err(|e| Error::Setup { message: chain(&e) })?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("respack-http")
            .enable_all()
            .build()
            .map_err(|e| Error::Setup {
                message: format!("cannot start the HTTP runtime: {e}"),
            })?;
        Ok(Client {
            inner,
            runtime: Some(runtime),
            jar,
            retry: config.retry,
            max_body: config.max_body,
            proxied: config.proxy.is_some(),
            calls: AtomicU64::new(0),
            sleep: Arc::new(std::thread::sleep),
        })
    }

    /// Replace the sleep between retries (tests record the waits instead of waiting).
    pub fn with_sleep(mut self, sleep: impl Fn(Duration) + Send + Sync + 'static) -> Client {
        self.sleep = Arc::new(sleep);
        self
    }

    /// HTTP requests sent so far (every attempt, retries included).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Put a cookie in the jar for `url`'s host (no-op without [`Config::cookies`]).
    pub fn set_cookie(&self, url: &Url, name: &str, value: &str) {
        if let Some(jar) = &self.jar {
            jar.add_cookie_str(&format!("{name}={value}; Path=/"), url);
        }
    }

    /// The value of the cookie `name` the jar would send to `url`.
    pub fn cookie(&self, url: &Url, name: &str) -> Option<String> {
        let header = self.jar.as_ref()?.cookies(url)?;
        let text = header.to_str().ok()?;
        text.split(';').find_map(|pair| {
            let (n, v) = pair.trim().split_once('=')?;
            (n == name).then(|| v.to_string())
        })
    }

    /// Send `request`, retrying it by the policy when it is idempotent. Any HTTP status is a
    /// [`Response`]; only failures below HTTP are errors.
    pub fn send(&self, request: &Request) -> Result<Response, Error> {
        if let Some(name) = &request.bad_header {
            return Err(Error::Header { name: name.clone() });
        }
        let mut attempt: u32 = 0;
        loop {
            let may_retry =
                request.idempotency == Idempotency::Idempotent && attempt < self.retry.max_retries;
            match self.send_once(request) {
                Ok(r) if may_retry && retryable_status(r.status) => {
                    (self.sleep)(self.retry.wait(attempt, retry_after(&r.headers)));
                }
                Ok(mut r) => {
                    r.attempts = attempt + 1;
                    return Ok(r);
                }
                Err(e) if may_retry && e.kind().is_some_and(TransportKind::retryable) => {
                    (self.sleep)(self.retry.wait(attempt, None));
                }
                Err(e) => return Err(e),
            }
            attempt += 1;
        }
    }

    fn send_once(&self, request: &Request) -> Result<Response, Error> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let mut req = self
            .inner
            .request(request.method.clone(), request.url.clone())
            .headers(request.headers.clone());
        if let Some(body) = &request.body {
            req = req.body(body.clone());
        }
        let max_body = self.max_body;
        let exchange = async move {
            let mut resp = req.send().await.map_err(Failure::Send)?;
            let status = resp.status();
            let headers = resp.headers().clone();
            let mut body = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(Failure::Body)? {
                if (body.len() + chunk.len()) as u64 > max_body {
                    return Err(Failure::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            Ok((status, headers, body))
        };
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let runtime = self.runtime.as_ref().ok_or_else(|| Error::Setup {
            message: "the HTTP client is shutting down".into(),
        })?;
        runtime.spawn(async move {
            // The receiver only goes away if the caller's thread died; nothing to tell then.
            let _ = tx.send(exchange.await);
        });
        let outcome = rx.recv().map_err(|_| Error::Setup {
            message: "the HTTP runtime stopped before answering".into(),
        })?;
        match outcome {
            Ok((status, headers, body)) => Ok(Response {
                status,
                headers,
                body,
                attempts: 1,
            }),
            Err(Failure::Send(e)) => {
                let kind = classify(&e, self.proxied, &request.url);
                Err(self.transport(request, kind, &chain(&e)))
            }
            Err(Failure::Body(e)) => {
                let kind = if e.is_timeout() || has_timed_out_io(&e) {
                    TransportKind::Timeout
                } else {
                    TransportKind::Io
                };
                Err(self.transport(request, kind, &format!("reading the answer: {}", chain(&e))))
            }
            Err(Failure::TooLarge) => Err(self.transport(
                request,
                TransportKind::Io,
                &format!("the answer is larger than {} bytes", self.max_body),
            )),
        }
    }

    fn transport(
        &self,
        request: &Request,
        kind: TransportKind,
        message: &dyn fmt::Display,
    ) -> Error {
        let mut url = request.url.clone();
        url.set_query(None);
        let message = match message.to_string() {
            m if m.is_empty() => kind.to_string(),
            m => m,
        };
        Error::Transport {
            method: request.method.clone(),
            url: url.to_string(),
            kind,
            message,
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // Dropping a runtime blocks until its tasks end, which tokio forbids on an async task;
        // nothing is in flight once `send` has returned, so let it go in the background.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// How one exchange failed, inside the runtime.
enum Failure {
    Send(reqwest::Error),
    Body(reqwest::Error),
    TooLarge,
}

/// The texts of an error's sources, without repeats, for a message (reqwest's own top level
/// repeats the URL, which the message names already).
fn chain(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = vec![];
    for cause in causes(e).into_iter().skip(1) {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    if parts.is_empty() {
        parts.push(e.to_string());
    }
    parts.join(": ")
}

/// Classify a failed request from the typed errors in its chain.
fn classify(e: &reqwest::Error, proxied: bool, url: &Url) -> TransportKind {
    if let Some(tls) = find_rustls(e) {
        return match crate::tls::problem(tls) {
            Problem::Name => TransportKind::CertificateName,
            Problem::Expired => TransportKind::CertificateExpired,
            Problem::Untrusted | Problem::Other => TransportKind::Tls,
        };
    }
    if e.is_connect() {
        // Through a proxy every connection goes to the proxy, so that is what failed.
        if proxied {
            return TransportKind::Proxy;
        }
        if !resolves(url) {
            return TransportKind::Dns;
        }
        // A connect timeout means the host or port is wrong or filtered, not a slow server.
        return TransportKind::Connect;
    }
    if e.is_timeout() || has_timed_out_io(e) {
        return TransportKind::Timeout;
    }
    TransportKind::Io
}

/// Whether the URL's host resolves; asked only after a connection failed, to tell a wrong
/// host name from a closed port.
fn resolves(url: &Url) -> bool {
    use std::net::ToSocketAddrs;
    match (url.host_str(), url.port_or_known_default()) {
        (Some(host), Some(port)) => {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            (host, port)
                .to_socket_addrs()
                .map(|mut a| a.next().is_some())
                .unwrap_or(false)
        }
        _ => true,
    }
}

/// The errors below `e`, outermost first. An `io::Error` wrapping another error reports that
/// error's *source* as its own, skipping the wrapped error itself (hyper-rustls wraps
/// tokio-rustls's `io::Error`, which wraps the `rustls::Error`), so the walk descends into
/// the wrapped error instead.
fn causes<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> Vec<&'a (dyn std::error::Error + 'static)> {
    let mut out = vec![];
    let mut next = Some(e);
    while let Some(err) = next {
        out.push(err);
        next = match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    out
}

fn find_rustls(e: &reqwest::Error) -> Option<&rustls::Error> {
    causes(e)
        .into_iter()
        .find_map(|c| c.downcast_ref::<rustls::Error>())
}

fn has_timed_out_io(e: &reqwest::Error) -> bool {
    causes(e).into_iter().any(|c| {
        c.downcast_ref::<std::io::Error>().is_some_and(|io| {
            matches!(
                io.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            )
        })
    })
}

#[cfg(test)]
mod tests;
