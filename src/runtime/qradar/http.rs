//! The HTTP session the three clients share: a [`crate::http`] client with a cookie jar, TLS
//! settings from `verify_cert`, timeouts, and the headers the integrations put on every request.
//!
//! Like the integrations' `requests.Session`, the session keeps cookies: the QRadar app token
//! travels as cookie `SEC` (and as header `SEC`), and the XSRF cookie an app sets comes back both
//! as cookie and, once copied by the client, as its `X-...XSRF-TOKEN` header.

use std::time::Duration;

use url::Url;

use super::config::{Secret, Verify};
use super::error::QradarError;
use crate::http;

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
    client: http::Client,
    /// The base URL with a trailing `/`, so that paths join under it; `Err` holds the text
    /// that is not a URL, which the first request names.
    base: Result<Url, String>,
    headers: Vec<(String, String)>,
}

impl Session {
    /// `base` is the URL every path goes under; `sec` (when given) goes out as header `SEC`
    /// and, with `true`, as cookie `SEC`; `basic` as an `Authorization: Basic` header; `proxy`
    /// is an HTTP (CONNECT) proxy URL, possibly with `user:password@`.
    ///
    /// Like the integrations' `requests` calls, nothing is retried: each answer is reported as
    /// it came, in the integration's words.
    pub fn new(
        base: String,
        verify: &Verify,
        timeout: Duration,
        proxy: Option<&str>,
        sec: Option<(&Secret, bool)>,
        basic: Option<(&str, &Secret)>,
    ) -> Result<Session, QradarError> {
        let trimmed = base.trim_end_matches('/');
        let base = Url::parse(&format!("{trimmed}/")).map_err(|_| trimmed.to_string());
        let mut config = http::Config::new(verify.clone());
        config.connect_timeout = timeout.min(Duration::from_secs(30));
        config.timeout = Some(timeout);
        config.retry = http::RetryPolicy::none();
        config.cookies = true;
        config.max_body = MAX_BODY;
        if let Some(proxy) = proxy {
            config.proxy =
                Some(
                    http::Proxy::parse(proxy).map_err(|reason| QradarError::BadProxy {
                        proxy: without_credentials(proxy),
                        reason,
                    })?,
                );
        }
        let client = http::Client::new(config).map_err(|e| match e {
            http::Error::CaFile { path, message } => QradarError::CaFile {
                path,
                reason: message,
            },
            other => QradarError::BadProxy {
                proxy: proxy.map(without_credentials).unwrap_or_default(),
                reason: other.to_string(),
            },
        })?;
        let mut headers = vec![
            ("Accept".to_string(), "application/json".to_string()),
            ("Content-Type".to_string(), "application/json".to_string()),
        ];
        if let Some((token, as_cookie)) = sec {
            headers.push(("SEC".into(), token.expose().into()));
            if as_cookie {
                if let Ok(url) = &base {
                    client.set_cookie(url, "SEC", token.expose());
                }
            }
        }
        if let Some((user, password)) = basic {
            use base64::Engine;
            let pair = format!("{user}:{}", password.expose());
            let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
            headers.push(("Authorization".into(), format!("Basic {encoded}")));
        }
        Ok(Session {
            client,
            base,
            headers,
        })
    }

    /// The full URL of `path` (which starts with `/`), for messages.
    pub fn url(&self, path: &str) -> String {
        match self.join(path) {
            Ok(url) => url.to_string(),
            Err(text) => format!("{text}{path}"),
        }
    }

    fn join(&self, path: &str) -> Result<Url, String> {
        let base = self.base.as_ref().map_err(String::clone)?;
        base.join(path.trim_start_matches('/'))
            .map_err(|_| format!("{base}{path}"))
    }

    /// Add (or replace) a header sent on every later request.
    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.into(), value.into()));
    }

    /// The value of a cookie the server set for this session's host.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.client.cookie(self.base.as_ref().ok()?, name)
    }

    pub fn get(&self, path: &str) -> Result<Reply, String> {
        self.send(http::Method::GET, path)
    }

    pub fn post(&self, path: &str) -> Result<Reply, String> {
        self.send(http::Method::POST, path)
    }

    /// Send a request; any HTTP status is a `Reply`, only transport failures are errors.
    fn send(&self, method: http::Method, path: &str) -> Result<Reply, String> {
        let url = self
            .join(path)
            .map_err(|text| format!("{text} is not a URL"))?;
        let mut req = http::Request::new(method, url);
        for (name, value) in &self.headers {
            req = req.header(name, value);
        }
        let resp = self.client.send(&req).map_err(|e| e.to_string())?;
        Ok(Reply {
            status: resp.status.as_u16(),
            body: resp.text(),
        })
    }
}

/// A proxy URL for a message: scheme, host and port, never the credentials.
fn without_credentials(proxy: &str) -> String {
    match proxy.rsplit_once('@') {
        Some((before, host)) => {
            let scheme = before.split_once("://").map_or("", |(s, _)| s);
            if scheme.is_empty() {
                host.to_string()
            } else {
                format!("{scheme}://{host}")
            }
        }
        None => proxy.to_string(),
    }
}
