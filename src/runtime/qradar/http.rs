//! The HTTP session the three clients share: a ureq agent with a cookie jar, TLS settings from
//! `verify_cert`, timeouts, and the headers the integrations put on every request.
//!
//! Like the integrations' `requests.Session`, the session keeps cookies: the QRadar app token
//! travels as cookie `SEC` (and as header `SEC`), and the XSRF cookie an app sets comes back both
//! as cookie and, once copied by the client, as its `X-...XSRF-TOKEN` header.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use super::config::{Secret, Verify};
use super::error::QradarError;

/// Largest body read (a STIX bundle of a big offense is a few MB).
const MAX_BODY: u64 = 256 * 1024 * 1024;

/// A finished HTTP exchange: any status, with its body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Result<serde_json::Value, String> {
        serde_json::from_str(&self.body).map_err(|e| format!("response is not JSON: {e}"))
    }

    /// How `requests` shows a response in the integrations' messages.
    pub fn repr(&self) -> String {
        format!("<Response [{}]>", self.status)
    }
}

/// One client's session against one base URL.
pub struct Session {
    agent: ureq::Agent,
    base: String,
    headers: Vec<(String, String)>,
}

impl Session {
    /// `base` is the URL every path is appended to; `sec` (when given) goes out as header `SEC`
    /// and, with `true`, as cookie `SEC`; `basic` as an `Authorization: Basic` header; `proxy`
    /// is an HTTP (CONNECT) or SOCKS proxy URL.
    pub fn new(
        base: String,
        verify: &Verify,
        timeout: Duration,
        proxy: Option<&str>,
        sec: Option<(&Secret, bool)>,
        basic: Option<(&str, &Secret)>,
    ) -> Result<Session, QradarError> {
        let base = base.trim_end_matches('/').to_string();
        let mut jar = cookie_store::CookieStore::default();
        let mut headers = vec![
            ("Accept".to_string(), "application/json".to_string()),
            ("Content-Type".to_string(), "application/json".to_string()),
        ];
        if let Some((token, as_cookie)) = sec {
            headers.push(("SEC".into(), token.expose().into()));
            if as_cookie {
                // The jar scopes the cookie to the host; a base that is not a URL fails below
                // at the first request with a message naming it, so a bad parse is not fatal here.
                if let Ok(url) = url::Url::parse(&base) {
                    let cookie =
                        cookie_store::RawCookie::build(("SEC", token.expose().to_string()))
                            .path("/")
                            .build();
                    let _ = jar.insert_raw(&cookie, &url);
                }
            }
        }
        if let Some((user, password)) = basic {
            use base64::Engine;
            let pair = format!("{user}:{}", password.expose());
            let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
            headers.push(("Authorization".into(), format!("Basic {encoded}")));
        }
        let mut builder = ureq::AgentBuilder::new()
            .cookie_store(jar)
            .timeout_connect(timeout.min(Duration::from_secs(30)))
            .timeout(timeout)
            .redirects(0);
        if let Some(proxy) = proxy {
            let proxy = ureq::Proxy::new(proxy).map_err(|e| QradarError::BadProxy {
                proxy: proxy.to_string(),
                reason: e.to_string(),
            })?;
            builder = builder.proxy(proxy);
        }
        if let Some(tls) = tls_config(verify)? {
            builder = builder.tls_config(tls);
        }
        Ok(Session {
            agent: builder.build(),
            base,
            headers,
        })
    }

    /// The full URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Add (or replace) a header sent on every later request.
    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.into(), value.into()));
    }

    /// The value of a cookie the server set for this session's host.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let jar = self.agent.cookie_store();
        let value = jar
            .iter_unexpired()
            .find(|c| c.name() == name)
            .map(|c| c.value().to_string());
        value
    }

    pub fn get(&self, path: &str) -> Result<Reply, String> {
        self.send("GET", &self.url(path))
    }

    pub fn post(&self, path: &str) -> Result<Reply, String> {
        self.send("POST", &self.url(path))
    }

    /// Send a request; any HTTP status is a `Reply`, only transport failures are errors.
    fn send(&self, method: &str, url: &str) -> Result<Reply, String> {
        let mut req = self.agent.request(method, url);
        for (name, value) in &self.headers {
            req = req.set(name, value);
        }
        let resp = match req.call() {
            Ok(resp) => resp,
            Err(ureq::Error::Status(_, resp)) => resp,
            Err(ureq::Error::Transport(t)) => return Err(t.to_string()),
        };
        let status = resp.status();
        let mut body = String::new();
        resp.into_reader()
            .take(MAX_BODY)
            .read_to_string(&mut body)
            .map_err(|e| format!("reading the response of {url}: {e}"))?;
        Ok(Reply { status, body })
    }
}

/// The TLS client configuration for `verify` ([`crate::tls`]), with its errors as QRadar errors.
fn tls_config(verify: &Verify) -> Result<Option<Arc<rustls::ClientConfig>>, QradarError> {
    crate::tls::client_config(verify).map_err(|e| QradarError::CaFile {
        path: e.path,
        reason: e.message,
    })
}
