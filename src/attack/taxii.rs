//! A TAXII client for ATT&CK: TAXII 2.1 (MITRE's `attack-taxii.mitre.org`, medallion) and
//! TAXII 2.0 (self-hosted servers like MITRE's retired `cti-taxii.mitre.org`).
//!
//! It reads one collection into an index [`Builder`] page by page, so a page's bytes are
//! freed as soon as its objects are copied out.
//!
//! * Version: the URL may be a discovery endpoint or an API root. The first request asks for
//!   TAXII 2.1; a server that rejects that media type (400/406/415) or answers with the 2.0
//!   media type is spoken to in 2.0.
//! * 2.1 paging: `?limit=N`, then the same query plus `next=<token>` while `more` is true
//!   (`added_after=<X-TAXII-Date-Added-Last>` when a server says `more` without `next`). With no
//!   page size the first request asks for everything: MITRE's server allows 50 requests per 10
//!   minutes, and answers an unlimited request with the whole collection. A server that caps
//!   pages anyway gets its own page size back as `limit` on later requests (medallion needs one).
//! * 2.0 paging: `Range: items=A-B` → `206` + `Content-Range: items A-B/TOTAL`, until TOTAL.
//!   A server that refuses the RFC 7233 form is asked again with the spec's `items A-B`.
//! * `Accept` is exact: MITRE's server answers anything but `application/taxii+json;version=2.1`
//!   with 400, and no `Accept` with 406.
//! * 429 and 5xx are retried after `Retry-After` or an exponential backoff: every request is a
//!   GET, so [`crate::http`]'s one policy applies to all of them.

use std::time::Duration;

use serde::Deserialize;

use super::index::{Builder, Domain};
use super::stix;
use super::AttackError;
use crate::http::{self, RetryPolicy, StatusCode, Url};
use crate::secret::Secret;

/// `Accept` for every TAXII 2.1 request, exactly as MITRE's server requires it.
pub const ACCEPT_TAXII_21: &str = "application/taxii+json;version=2.1";
/// `Accept` for TAXII 2.0 resources (discovery, API root, collections).
pub const ACCEPT_TAXII_20: &str = "application/vnd.oasis.taxii+json; version=2.0";
/// `Accept` for TAXII 2.0 objects (a STIX 2.0 bundle).
pub const ACCEPT_STIX_20: &str = "application/vnd.oasis.stix+json; version=2.0";

/// MITRE's public TAXII 2.1 discovery endpoint: the default source.
pub const MITRE_TAXII_URL: &str = "https://attack-taxii.mitre.org/taxii2/";

/// Largest response body accepted (the whole enterprise collection is about 50 MB).
const MAX_BODY: u64 = 1 << 30;

/// The retry policy for MITRE's server, which allows 50 requests per 10 minutes: up to five
/// retries, from 2 s, each wait at most 2 minutes.
pub fn default_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 5,
        initial_backoff: Duration::from_secs(2),
        max_backoff: Duration::from_secs(120),
    }
}

/// The protocol version an API root speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V20,
    V21,
}

/// Client settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// HTTP basic credentials (medallion requires them).
    pub user: Option<String>,
    pub password: Option<Secret>,
    /// Objects per request; `None` lets the server decide (one request on MITRE's server).
    pub page_size: Option<usize>,
    /// How rate-limited (429) and failing (5xx) requests are retried.
    pub retry: RetryPolicy,
    /// Show a progress line on stderr (only ever set when stderr is a terminal).
    pub progress: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            user: None,
            password: None,
            page_size: None,
            retry: default_retry(),
            progress: false,
        }
    }
}

/// An API root, with the version it speaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRoot {
    /// Absolute URL ending in `/`.
    pub url: String,
    pub version: Version,
}

/// One entry of an API root's collection list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Collection {
    pub id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub alias: Option<String>,
    #[serde(default = "yes", alias = "canRead")]
    pub can_read: bool,
}

fn yes() -> bool {
    true
}

/// A TAXII client bound to one server.
pub struct Client {
    http: http::Client,
    options: Options,
}

/// A response body with the headers the client looks at.
struct Reply {
    status: StatusCode,
    content_type: String,
    content_range: Option<String>,
    date_added_last: Option<String>,
    body: Vec<u8>,
    /// Requests sent for this answer (retries included).
    attempts: u32,
}

/// MITRE's collection ids (2.1 first, then the retired 2.0 server's).
fn mitre_collection_ids(domain: Domain) -> [&'static str; 2] {
    match domain {
        Domain::Enterprise => [
            "x-mitre-collection--1f5f1533-f617-4ca8-9ab4-6a02367fa019",
            "95ecc380-afe9-11e4-9b6c-751b66dd541e",
        ],
        Domain::Mobile => [
            "x-mitre-collection--dac0d2d7-8653-445c-9bff-82f934c1e858",
            "2f669986-b40b-4423-b720-4396ca6a462b",
        ],
        Domain::Ics => [
            "x-mitre-collection--90c00720-636b-4485-b342-8751d232bf09",
            "02c3ef24-9cd4-48f3-a99f-b74ce24f1d34",
        ],
    }
}

impl Client {
    pub fn new(options: Options) -> Result<Client, AttackError> {
        let mut config = http::Config::new(crate::tls::Verify::System);
        config.connect_timeout = Duration::from_secs(15);
        config.read_timeout = Some(Duration::from_secs(300));
        config.retry = options.retry;
        config.follow_redirects = true;
        config.max_body = MAX_BODY;
        let http = http::Client::new(config).map_err(|e| AttackError::Taxii {
            url: String::new(),
            reason: e.to_string(),
        })?;
        Ok(Client { http, options })
    }

    /// The API root behind `url`, which may be a discovery endpoint or an API root.
    pub fn api_root(&self, url: &str) -> Result<ApiRoot, AttackError> {
        let url = with_slash(url);
        let (reply, version) = self.get_any_version(&join(&url, "")?)?;
        let doc: serde_json::Value = json(&url, &reply.body)?;
        if let Some(roots) = doc.get("api_roots") {
            let chosen = doc
                .get("default")
                .and_then(|d| d.as_str())
                .filter(|d| !d.is_empty())
                .or_else(|| roots.get(0).and_then(|r| r.as_str()))
                .ok_or_else(|| taxii_err(&url, "discovery lists no API root"))?;
            let root = with_slash(resolve(&url, chosen)?.as_str());
            let (reply, root_version) = self.get_any_version(&join(&root, "")?)?;
            let info: serde_json::Value = json(&root, &reply.body)?;
            return Ok(ApiRoot {
                version: version_of(&info).unwrap_or(root_version),
                url: root,
            });
        }
        if doc.get("versions").is_some() || doc.get("title").is_some() {
            return Ok(ApiRoot {
                version: version_of(&doc).unwrap_or(version),
                url,
            });
        }
        Err(taxii_err(
            &url,
            "answer is neither a TAXII discovery document nor an API root",
        ))
    }

    /// The collections of an API root.
    pub fn collections(&self, root: &ApiRoot) -> Result<Vec<Collection>, AttackError> {
        let url = join(&root.url, "collections/")?;
        let reply = self.get_ok(&url, accept_resource(root.version), None)?;
        #[derive(Deserialize)]
        struct List {
            #[serde(default)]
            collections: Vec<Collection>,
        }
        let list: List = json(url.as_str(), &reply.body)?;
        Ok(list.collections)
    }

    /// The collection for `domain`: named by `wanted` (id, alias or title) when given, else
    /// MITRE's id for the domain, else the one whose title names the domain.
    pub fn pick_collection(
        &self,
        root: &ApiRoot,
        domain: Domain,
        wanted: Option<&str>,
    ) -> Result<Collection, AttackError> {
        let all = self.collections(root)?;
        let found = match wanted {
            Some(w) => all.iter().find(|c| {
                c.id == w || c.alias.as_deref() == Some(w) || c.title.eq_ignore_ascii_case(w)
            }),
            None => all
                .iter()
                .find(|c| mitre_collection_ids(domain).contains(&c.id.as_str()))
                .or_else(|| {
                    all.iter().find(|c| {
                        let t = c.title.to_ascii_lowercase();
                        t.split(|ch: char| !ch.is_ascii_alphanumeric())
                            .any(|w| w == domain.short())
                    })
                }),
        };
        found.cloned().ok_or_else(|| AttackError::NoCollection {
            url: root.url.clone(),
            wanted: wanted
                .map(|w| format!("collection {w:?}"))
                .unwrap_or_else(|| format!("the {} domain", domain.short())),
            available: if all.is_empty() {
                "none".into()
            } else {
                all.iter()
                    .map(|c| format!("{} ({})", c.title, c.id))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        })
    }

    /// Read every object of a collection into `builder`; returns how many objects the server
    /// sent (kept or not).
    pub fn fetch(
        &self,
        root: &ApiRoot,
        collection: &Collection,
        builder: &mut Builder,
    ) -> Result<usize, AttackError> {
        let url = join(
            &root.url,
            &format!("collections/{}/objects/", enc(&collection.id)),
        )?;
        let bar = self.progress_bar(&collection.title);
        let result = match root.version {
            Version::V21 => self.fetch_21(&url, builder, &bar),
            Version::V20 => self.fetch_20(&url, builder, &bar),
        };
        bar.finish_and_clear();
        result
    }

    fn fetch_21(
        &self,
        url: &Url,
        builder: &mut Builder,
        bar: &indicatif::ProgressBar,
    ) -> Result<usize, AttackError> {
        let mut limit = self.options.page_size;
        let mut after: Option<(&str, String)> = None;
        let url_text = url.as_str();
        let mut total = 0usize;
        // A misbehaving server that always says "more" must not keep us here forever.
        for _page in 0..100_000 {
            let mut page_url = url.clone();
            if limit.is_some() || after.is_some() {
                let mut query = page_url.query_pairs_mut();
                if let Some(n) = limit {
                    query.append_pair("limit", &n.to_string());
                }
                if let Some((k, v)) = &after {
                    query.append_pair(k, v);
                }
            }
            let reply = self.get_ok(&page_url, ACCEPT_TAXII_21, None)?;
            if reply.body.iter().all(u8::is_ascii_whitespace) {
                // 2.1 servers may answer an empty collection with no body at all.
                break;
            }
            let env = stix::parse(&reply.body, url_text)?;
            let more = env.more.unwrap_or(false);
            let next = env.next.as_ref().map(|n| n.as_str().to_owned());
            let count = env.objects.as_ref().map_or(0, |o| o.seen);
            total += count;
            builder.add(env);
            bar.set_message(format!("{total} objects"));
            if !more {
                break;
            }
            if count == 0 {
                return Err(taxii_err(
                    url_text,
                    "server says more objects follow but sent none",
                ));
            }
            // Later pages must repeat the limit (medallion insists on it).
            limit.get_or_insert(count);
            after = match next {
                Some(n) => Some(("next", n)),
                None => match reply.date_added_last {
                    Some(d) => Some(("added_after", d)),
                    None => {
                        return Err(taxii_err(
                            url_text,
                            "server says more objects follow but gives neither `next` nor X-TAXII-Date-Added-Last",
                        ))
                    }
                },
            };
        }
        Ok(total)
    }

    fn fetch_20(
        &self,
        url: &Url,
        builder: &mut Builder,
        bar: &indicatif::ProgressBar,
    ) -> Result<usize, AttackError> {
        let size = self.options.page_size.unwrap_or(1000).max(1);
        let mut start = 0usize;
        let mut total = 0usize;
        // RFC 7233 spelling first; the TAXII 2.0 spec's own example leaves out the `=`.
        let mut spec_form = false;
        for _page in 0..100_000 {
            let range = |spec_form: bool| {
                let sep = if spec_form { " " } else { "=" };
                format!("items{sep}{start}-{}", start + size - 1)
            };
            let mut reply = self.get(url, ACCEPT_STIX_20, Some(&range(spec_form)))?;
            // A server that does not understand `items=` answers 400 or 416 to the very first
            // range; ask once more in the spec's spelling.
            if start == 0
                && !spec_form
                && matches!(
                    reply.status,
                    StatusCode::BAD_REQUEST | StatusCode::RANGE_NOT_SATISFIABLE
                )
            {
                spec_form = true;
                reply = self.get(url, ACCEPT_STIX_20, Some(&range(true)))?;
            }
            if reply.status != StatusCode::RANGE_NOT_SATISFIABLE {
                reply = self.ok(url, reply)?;
            }
            if reply.status == StatusCode::RANGE_NOT_SATISFIABLE {
                break;
            }
            let env = stix::parse(&reply.body, url.as_str())?;
            let count = env.objects.as_ref().map_or(0, |o| o.seen);
            total += count;
            builder.add(env);
            bar.set_message(format!("{total} objects"));
            if reply.status != StatusCode::PARTIAL_CONTENT || count == 0 {
                break;
            }
            let Some((end, of)) = reply.content_range.as_deref().and_then(parse_content_range)
            else {
                break;
            };
            start = end + 1;
            if of.is_some_and(|n| start >= n) {
                break;
            }
        }
        Ok(total)
    }

    /// GET a TAXII resource as 2.1, falling back to 2.0 when the server rejects 2.1.
    fn get_any_version(&self, url: &Url) -> Result<(Reply, Version), AttackError> {
        let reply = self.get(url, ACCEPT_TAXII_21, None)?;
        if matches!(
            reply.status,
            StatusCode::BAD_REQUEST
                | StatusCode::NOT_ACCEPTABLE
                | StatusCode::UNSUPPORTED_MEDIA_TYPE
        ) {
            let r = self.get_ok(url, ACCEPT_TAXII_20, None)?;
            return Ok((r, Version::V20));
        }
        let reply = self.ok(url, reply)?;
        if reply.content_type.contains("vnd.oasis.taxii") {
            Ok((reply, Version::V20))
        } else {
            Ok((reply, Version::V21))
        }
    }

    /// A GET whose answer must be a success.
    fn get_ok(&self, url: &Url, accept: &str, range: Option<&str>) -> Result<Reply, AttackError> {
        let reply = self.get(url, accept, range)?;
        self.ok(url, reply)
    }

    /// One GET (retried by the policy on 429 and 5xx); any status comes back.
    fn get(&self, url: &Url, accept: &str, range: Option<&str>) -> Result<Reply, AttackError> {
        let mut req = http::Request::get(url.clone()).header("Accept", accept);
        if let Some(r) = range {
            req = req.header("Range", r);
        }
        if let Some(user) = &self.options.user {
            use base64::Engine;
            let pass = self.options.password.as_ref().map_or("", Secret::expose);
            let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
            req = req.header("Authorization", &format!("Basic {token}"));
        }
        let resp = self
            .http
            .send(&req)
            .map_err(|e| taxii_err(url.as_str(), &format!("cannot connect ({e})")))?;
        let header = |name: &str| resp.header(name).map(str::to_owned);
        Ok(Reply {
            status: resp.status,
            content_type: header("Content-Type")
                .unwrap_or_default()
                .to_ascii_lowercase(),
            content_range: header("Content-Range"),
            date_added_last: header("X-TAXII-Date-Added-Last"),
            attempts: resp.attempts,
            body: resp.body,
        })
    }

    /// `reply` when it is a success, else an error quoting the server's own error title when
    /// it sends one.
    fn ok(&self, url: &Url, reply: Reply) -> Result<Reply, AttackError> {
        if reply.status.is_success() {
            return Ok(reply);
        }
        let code = reply.status.as_u16();
        let title = serde_json::from_slice::<serde_json::Value>(&reply.body)
            .ok()
            .and_then(|v| {
                v.get("title")
                    .or_else(|| v.get("description"))
                    .and_then(|t| t.as_str())
                    .map(str::to_owned)
            });
        let retried = match reply.attempts {
            0 | 1 => String::new(),
            n => format!(" after {} retries", n - 1),
        };
        let reason = match (reply.status, title) {
            (StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN, _) => format!(
                "HTTP {code}: not authorised (give --taxii-user and RESPACK_TAXII_PASSWORD)"
            ),
            (StatusCode::TOO_MANY_REQUESTS, _) => format!("HTTP 429: rate limited{retried}"),
            (_, Some(t)) => format!("HTTP {code}: {t}"),
            (_, None) => format!("HTTP {code}{retried}"),
        };
        Err(taxii_err(url.as_str(), &reason))
    }

    fn progress_bar(&self, title: &str) -> indicatif::ProgressBar {
        if !self.options.progress {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::new_spinner();
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{spinner} TAXII {prefix}: {msg} ({elapsed})")
        {
            bar.set_style(style);
        }
        bar.set_prefix(title.to_owned());
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }
}

/// `items 0-49/120` → `(49, Some(120))`; `items 0-49/*` → `(49, None)`.
fn parse_content_range(h: &str) -> Option<(usize, Option<usize>)> {
    let rest = h
        .trim()
        .strip_prefix("items")?
        .trim_start_matches([' ', '=']);
    let (range, total) = rest.split_once('/')?;
    let (_, end) = range.split_once('-')?;
    let end = end.trim().parse().ok()?;
    Some((end, total.trim().parse().ok()))
}

fn version_of(info: &serde_json::Value) -> Option<Version> {
    let versions: Vec<&str> = info
        .get("versions")?
        .as_array()?
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    if versions.iter().any(|v| v.contains("2.1")) {
        Some(Version::V21)
    } else if versions.iter().any(|v| v.contains("2.0")) {
        Some(Version::V20)
    } else {
        None
    }
}

fn accept_resource(v: Version) -> &'static str {
    match v {
        Version::V21 => ACCEPT_TAXII_21,
        Version::V20 => ACCEPT_TAXII_20,
    }
}

fn json<T: serde::de::DeserializeOwned>(url: &str, body: &[u8]) -> Result<T, AttackError> {
    serde_json::from_slice(body)
        .map_err(|e| taxii_err(url, &format!("answer is not the expected JSON ({e})")))
}

fn taxii_err(url: &str, reason: &str) -> AttackError {
    AttackError::Taxii {
        url: url.to_owned(),
        reason: reason.to_owned(),
    }
}

fn with_slash(url: &str) -> String {
    if url.ends_with('/') {
        url.to_owned()
    } else {
        format!("{url}/")
    }
}

/// Resolve an `api_roots` entry: absolute URL, absolute path, or relative to the discovery
/// document, which is read as a file (`/taxii2/`'s parent is `/`), as MITRE's server means it.
fn resolve(base: &str, r: &str) -> Result<Url, AttackError> {
    join(base.trim_end_matches('/'), r)
}

/// `rel` resolved against `base`, as a browser would.
fn join(base: &str, rel: &str) -> Result<Url, AttackError> {
    Url::parse(base)
        .and_then(|b| b.join(rel))
        .map_err(|e| taxii_err(base, &format!("not a usable URL ({e})")))
}

/// Everything but RFC 3986 unreserved characters, so ids like `x-mitre-collection--1f5f…`
/// stay readable and match servers that compare paths literally.
const COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, COMPONENT).to_string()
}

/// Split `user:password@` out of a URL, so credentials are sent as a header and never shown.
pub fn split_credentials(url: &str) -> (String, Option<(String, String)>) {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return (url.to_owned(), None);
    };
    let host_end = url[scheme_end..]
        .find('/')
        .map_or(url.len(), |i| scheme_end + i);
    let Some(at) = url[scheme_end..host_end].rfind('@').map(|i| scheme_end + i) else {
        return (url.to_owned(), None);
    };
    let userinfo = &url[scheme_end..at];
    let (u, p) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let dec = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    (
        format!("{}{}", &url[..scheme_end], &url[at + 1..]),
        Some((dec(u), dec(p))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_forms() {
        assert_eq!(parse_content_range("items 0-49/120"), Some((49, Some(120))));
        assert_eq!(parse_content_range("items=50-99/*"), Some((99, None)));
        assert_eq!(parse_content_range("bytes 0-1/2"), None);
    }

    #[test]
    fn api_root_resolution() {
        let d = "https://attack-taxii.mitre.org/taxii2/";
        let r = |rel: &str| resolve(d, rel).unwrap().to_string();
        assert_eq!(r("/api/v21"), "https://attack-taxii.mitre.org/api/v21");
        assert_eq!(r("api/v21"), "https://attack-taxii.mitre.org/api/v21");
        assert_eq!(r("http://x/y/"), "http://x/y/");
        assert!(resolve("not a url", "x").is_err());
    }

    #[test]
    fn credentials_are_split_out_of_urls() {
        let (u, c) = split_credentials("http://admin:p%40ss@127.0.0.1:5000/taxii2/");
        assert_eq!(u, "http://127.0.0.1:5000/taxii2/");
        assert_eq!(c, Some(("admin".into(), "p@ss".into())));
        assert_eq!(split_credentials("http://h/x@y").1, None);
    }
}
