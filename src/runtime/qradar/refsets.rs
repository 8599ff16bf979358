//! Client of QRadar's own REST API for reference sets, following the QRadar integration's
//! `find_all_ref_set_contains`: list every set, fetch each, keep the sets holding the value.
//!
//! The match is exact (`data[].value == value`), done here on what QRadar returns. The
//! integration appended a percent-encoded `?value="..."` to the set's path (so QRadar saw it as
//! part of the name); we send QRadar's documented `filter=value="..."` query parameter instead,
//! which only narrows the transfer, and still compare values ourselves.

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::Value;

use super::config::{QradarAuth, QradarConfig};
use super::error::QradarError;
use super::http::Session;

/// A session with QRadar's REST API (`{host}/api`).
pub struct QradarClient {
    session: Session,
}

impl QradarClient {
    pub fn new(cfg: &QradarConfig) -> Result<QradarClient, QradarError> {
        let base = format!("{}/api", cfg.host);
        let session = match &cfg.auth {
            QradarAuth::Basic { username, password } => Session::new(
                base,
                &cfg.verify,
                cfg.http_timeout,
                cfg.proxy.as_deref(),
                None,
                Some((username, password)),
            )?,
            QradarAuth::Token(token) => Session::new(
                base,
                &cfg.verify,
                cfg.http_timeout,
                cfg.proxy.as_deref(),
                Some((token, false)),
                None,
            )?,
        };
        Ok(QradarClient { session })
    }

    /// `GET /api/reference_data/sets`: every set (without its elements).
    pub fn all_reference_sets(&self) -> Result<Vec<Value>, QradarError> {
        let path = "/reference_data/sets";
        let url = self.session.url(path);
        let failure = |message: String| QradarError::ReferenceSets {
            url: url.clone(),
            message: format!("get_all_ref_set call failed with exception {message}"),
        };
        let reply = self.session.get(path).map_err(failure)?;
        if reply.status != 200 {
            return Err(failure(reply.repr()));
        }
        match reply.json().map_err(failure)? {
            Value::Array(sets) => Ok(sets),
            other => Err(failure(format!(
                "expected a list of reference sets, got {other}"
            ))),
        }
    }

    /// `GET /api/reference_data/sets/{name}` narrowed to `value`: the set as QRadar returns it
    /// when one of its elements is exactly `value`; `None` when not (404 included).
    pub fn search_reference_set(
        &self,
        name: &str,
        value: &str,
    ) -> Result<Option<Value>, QradarError> {
        let filter = format!(
            "value=\"{}\"",
            value.replace('\\', "\\\\").replace('"', "\\\"")
        );
        let path = format!(
            "/reference_data/sets/{}?filter={}",
            utf8_percent_encode(name, NON_ALPHANUMERIC),
            utf8_percent_encode(&filter, NON_ALPHANUMERIC)
        );
        let url = self.session.url(&path);
        let failure = |message: String| QradarError::ReferenceSets {
            url: url.clone(),
            message: format!("search_ref_set call failed with exception {message}"),
        };
        let reply = self.session.get(&path).map_err(failure)?;
        match reply.status {
            200 => {}
            404 => return Ok(None),
            _ => return Err(failure(reply.repr())),
        }
        let set = reply.json().map_err(failure)?;
        let found = set
            .get("data")
            .and_then(Value::as_array)
            .is_some_and(|data| {
                data.iter()
                    .any(|e| e.get("value").and_then(Value::as_str) == Some(value))
            });
        Ok(found.then_some(set))
    }

    /// Every reference set that contains `value`, in QRadar's order.
    pub fn find_all_ref_set_contains(&self, value: &str) -> Result<Vec<Value>, QradarError> {
        let mut found = vec![];
        for set in self.all_reference_sets()? {
            let Some(name) = set.get("name").and_then(Value::as_str) else {
                continue;
            };
            if let Some(content) = self.search_reference_set(name, value)? {
                found.push(content);
            }
        }
        Ok(found)
    }
}
