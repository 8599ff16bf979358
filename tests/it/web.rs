//! The reference org's web pages (`server::web`) over HTTPS, as a browser speaks to them but
//! without one: every page needs a session, the session cookie's flags, the login form's and
//! every other form's csrf token, the Content-Security-Policy, markup in a technique
//! description and an artifact value shown as text, the upload cap and validation, the
//! Import Settings preview / Proceed / Cancel on the REST import's code path, Actions runs on
//! the action invocation's code path, and another org's incident. The real-browser walk of the
//! same pages is `.ci/checks/browser.sh` (headless Chromium).

use respack::http;
use respack::server::{self, Options, RunningServer};
use serde_json::{json, Value};

use crate::engine::readme_org_options;
use crate::serve::{agent, basic};

/// One answer: status, headers we look at, body text.
struct Page {
    status: u16,
    location: Option<String>,
    set_cookies: Vec<String>,
    csp: Option<String>,
    body: String,
}

/// A cookie-less HTTPS client that keeps the one session cookie by hand, as a browser would.
struct Browser {
    client: http::Client,
    base: String,
    login_cookie: Option<String>,
    session: Option<String>,
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
        .into_bytes()
}

/// The value of the first `name="NAME" value="..."` in a page.
fn field(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let at = html
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} field in: {html}"))
        + key.len();
    html[at..].split('"').next().unwrap().to_string()
}

impl Browser {
    fn new(server: &RunningServer) -> Browser {
        Browser {
            client: agent(server.ca_pem_path()).0,
            base: server.base_url(),
            login_cookie: None,
            session: None,
        }
    }

    fn send(&self, method: http::Method, path: &str, body: Option<(&str, Vec<u8>)>) -> Page {
        let mut req = http::Request::new(method, format!("{}{path}", self.base).parse().unwrap());
        let cookies: Vec<String> = [
            self.login_cookie
                .as_ref()
                .map(|c| format!("respack_login={c}")),
            self.session.as_ref().map(|c| format!("JSESSIONID={c}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !cookies.is_empty() {
            req = req.header("Cookie", &cookies.join("; "));
        }
        if let Some((kind, bytes)) = body {
            req = req.body(kind, bytes);
        }
        let resp = self.client.send(&req).expect("an answer");
        let header = |n: &str| resp.header(n).map(str::to_string);
        Page {
            status: resp.status.as_u16(),
            location: header("location"),
            set_cookies: resp
                .headers
                .get_all("set-cookie")
                .iter()
                .filter_map(|v| v.to_str().ok().map(str::to_string))
                .collect(),
            csp: header("content-security-policy"),
            body: resp.text(),
        }
    }

    fn get(&self, path: &str) -> Page {
        self.send(http::Method::GET, path, None)
    }

    fn post(&self, path: &str, pairs: &[(&str, &str)]) -> Page {
        self.send(
            http::Method::POST,
            path,
            Some(("application/x-www-form-urlencoded", form(pairs))),
        )
    }

    fn upload(&self, path: &str, csrf: &str, name: &str, bytes: &[u8]) -> Page {
        let boundary = "----respack-test-boundary";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.send(
            http::Method::POST,
            path,
            Some((&format!("multipart/form-data; boundary={boundary}"), body)),
        )
    }

    /// The login page, then the form: the answer to the form.
    fn try_login(&mut self, email: &str, password: &str) -> Page {
        let page = self.get("/login");
        assert_eq!(page.status, 200, "{}", page.body);
        self.login_cookie = Some(cookie_value(&page, "respack_login").expect("a login cookie"));
        let token = field(&page.body, "token");
        let answer = self.post(
            "/login",
            &[("token", &token), ("email", email), ("password", password)],
        );
        if let Some(s) = cookie_value(&answer, "JSESSIONID") {
            self.session = Some(s);
        }
        answer
    }

    fn login(&mut self, email: &str, password: &str) {
        let answer = self.try_login(email, password);
        assert_eq!(answer.status, 303, "{}", answer.body);
        assert!(self.session.is_some(), "no session cookie");
    }

    /// The csrf token the page at `path` puts in its forms.
    fn csrf(&self, path: &str) -> String {
        let page = self.get(path);
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        field(&page.body, "csrf")
    }
}

fn cookie_value(page: &Page, name: &str) -> Option<String> {
    page.set_cookies.iter().find_map(|c| {
        let (k, rest) = c.split_once('=')?;
        (k == name).then(|| rest.split(';').next().unwrap_or("").to_string())
    })
}

/// A reference org as `respack serve --seed-integrations` runs it, with the package imported
/// when `package` says so, and the workflows running on a small ATT&CK bundle.
struct Org {
    server: RunningServer,
    _dir: tempfile::TempDir,
}

fn org_with(package: bool, tweak: impl FnOnce(&mut Options)) -> Org {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = readme_org_options(dir.path());
    tweak(&mut opts);
    let server = server::start(opts).unwrap();
    if package {
        server.seed_from_res(&package_res()).unwrap();
    }
    Org { server, _dir: dir }
}

fn package_res() -> Value {
    serde_json::to_value(respack::package::resource_file(
        respack::package::export_date_ms(None),
    ))
    .unwrap()
}

impl Org {
    fn rest(&self, method: http::Method, path: &str, body: Option<Value>) -> Value {
        let key = self.server.api_key();
        let url = format!(
            "{}{}",
            self.server.base_url(),
            path.replace("{org}", &self.server.org_id().to_string())
        );
        let mut req = http::Request::new(method, url.parse().unwrap())
            .header("Authorization", &basic(&key.id, &key.secret));
        if let Some(b) = body {
            req = req.json_body(b.to_string());
        }
        let resp = agent(self.server.ca_pem_path()).0.send(&req).unwrap();
        assert!(resp.status.is_success(), "{path}: {}", resp.text());
        serde_json::from_str(&resp.text()).unwrap_or(Value::Null)
    }

    fn incident(&self, properties: Value) -> i64 {
        self.rest(
            http::Method::POST,
            "/rest/orgs/{org}/incidents",
            Some(
                json!({"name": "QRadar offense 23", "discovered_date": 1551052800000i64,
                        "properties": properties}),
            ),
        )["id"]
            .as_i64()
            .unwrap()
    }

    fn browser(&self) -> Browser {
        let mut b = Browser::new(&self.server);
        let (email, password) = self.server.login();
        b.login(email, password);
        b
    }

    fn org(&self) -> i64 {
        self.server.org_id().0
    }
}

/// The tags of a page (`<...>`), to tell markup from text that only mentions it.
fn tags(html: &str) -> Vec<&str> {
    html.split('<')
        .skip(1)
        .map(|t| t.split('>').next().unwrap_or(""))
        .collect()
}

#[test]
fn pages_need_a_session_and_send_to_the_login_page() {
    let org = org_with(false, |_| {});
    let b = Browser::new(&org.server);
    for path in [
        "/".to_string(),
        format!("/orgs/{}/incidents", org.org()),
        format!("/orgs/{}/admin/organization/import", org.org()),
        format!("/orgs/{}/customize/workflows", org.org()),
    ] {
        let page = b.get(&path);
        assert_eq!(page.status, 303, "{path}");
        assert_eq!(page.location.as_deref(), Some("/login"), "{path}");
    }
    let login = b.get("/login");
    assert!(login.body.contains("respack reference org — not IBM SOAR"));
    assert!(login.body.contains("type=\"email\""));
    // An API key is not a page session.
    let mut keyed = Browser::new(&org.server);
    keyed.session = Some(org.server.api_key().secret.clone());
    assert_eq!(
        keyed.get(&format!("/orgs/{}/incidents", org.org())).status,
        303
    );
}

#[test]
fn login_sets_a_secure_httponly_samesite_strict_cookie_and_logout_ends_it() {
    let org = org_with(false, |_| {});
    let (email, password) = org.server.login();
    let mut wrong = Browser::new(&org.server);
    let refused = wrong.try_login(email, "not-the-password");
    assert_eq!(refused.status, 401);
    assert!(refused.body.contains("Invalid email or password"));
    assert!(wrong.session.is_none());

    let mut b = Browser::new(&org.server);
    let answer = b.try_login(email, password);
    assert_eq!(answer.status, 303);
    let cookie = answer
        .set_cookies
        .iter()
        .find(|c| c.starts_with("JSESSIONID="))
        .expect("a session cookie");
    for flag in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.split("; ").any(|f| f == flag), "{flag} in {cookie}");
    }
    let list = b.get(&format!("/orgs/{}/incidents", org.org()));
    assert_eq!(list.status, 200);
    assert!(list.body.contains("respack reference org — not IBM SOAR"));

    let csrf = b.csrf(&format!("/orgs/{}/incidents", org.org()));
    let out = b.post("/logout", &[("csrf", &csrf)]);
    assert_eq!(out.status, 303);
    assert_eq!(
        b.get(&format!("/orgs/{}/incidents", org.org())).status,
        303,
        "the session still works after logging out"
    );
}

#[test]
fn a_login_form_without_its_token_is_refused() {
    let org = org_with(false, |_| {});
    let (email, password) = org.server.login();
    let b = Browser::new(&org.server);
    let answer = b.post(
        "/login",
        &[
            ("token", "forged"),
            ("email", email),
            ("password", password),
        ],
    );
    assert_eq!(answer.status, 403);
    assert!(cookie_value(&answer, "JSESSIONID").is_none());
}

#[test]
fn forms_without_the_sessions_csrf_token_are_refused() {
    let org = org_with(true, |_| {});
    let inc = org.incident(json!({"qradar_id": "23"}));
    let b = org.browser();
    let path = format!("/orgs/{}/incidents/{inc}", org.org());
    for csrf in ["", "not-the-token"] {
        let added = b.post(
            &format!("{path}/artifacts"),
            &[
                ("csrf", csrf),
                ("type", "IP Address"),
                ("value", "10.0.0.1"),
            ],
        );
        assert_eq!(added.status, 403, "{}", added.body);
        let ran = b.post(
            &format!("{path}/actions"),
            &[
                ("csrf", csrf),
                ("rule", "QRadar Advisor Offense Analysis with MITRE"),
            ],
        );
        assert_eq!(ran.status, 403);
        assert_eq!(b.post("/logout", &[("csrf", csrf)]).status, 403);
    }
    let artifacts = org.rest(
        http::Method::GET,
        &format!("/rest/orgs/{{org}}/incidents/{inc}/artifacts"),
        None,
    );
    assert_eq!(artifacts, json!([]), "a refused form added an artifact");
    let upload = b.upload(
        &format!("/orgs/{}/admin/organization/import", org.org()),
        "forged",
        "qraw_mitre.res",
        package_res().to_string().as_bytes(),
    );
    assert_eq!(upload.status, 403);
    let csrf = b.csrf(&path);
    let added = b.post(
        &format!("{path}/artifacts"),
        &[
            ("csrf", &csrf),
            ("type", "IP Address"),
            ("value", "10.0.0.1"),
        ],
    );
    assert_eq!(added.status, 303, "{}", added.body);
}

#[test]
fn every_page_has_a_csp_without_inline_scripts() {
    let org = org_with(true, |_| {});
    let inc = org.incident(json!({"qradar_id": "23"}));
    let b = org.browser();
    let o = org.org();
    for path in [
        "/login".to_string(),
        format!("/orgs/{o}/incidents"),
        format!("/orgs/{o}/incidents/{inc}"),
        format!("/orgs/{o}/admin"),
        format!("/orgs/{o}/admin/organization"),
        format!("/orgs/{o}/admin/organization/import"),
        format!("/orgs/{o}/admin/organization/import-history"),
        format!("/orgs/{o}/customize/rules"),
        format!("/orgs/{o}/customize/workflows"),
        format!("/orgs/{o}/customize/functions"),
        format!("/orgs/{o}/customize/data-tables"),
        format!("/orgs/{o}/customize/message-destinations"),
        format!("/orgs/{o}/incidents/999"),
    ] {
        let page = b.get(&path);
        let csp = page.csp.unwrap_or_else(|| panic!("{path}: no CSP"));
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-eval"), "{path}: {csp}");
        assert!(
            page.body.contains("respack reference org — not IBM SOAR"),
            "{path} does not say it is not IBM SOAR"
        );
        for tag in tags(&page.body) {
            if tag.starts_with("script") {
                assert!(tag.contains(" src=\"/static/"), "{path}: inline <{tag}>");
            }
            assert!(!tag.contains(" on"), "{path}: an event handler in <{tag}>");
        }
    }
    let js = b.get("/static/app.js");
    assert_eq!(js.status, 200);
    assert!(js.body.contains("data-poll"));
}

#[test]
fn markup_in_a_technique_description_and_an_artifact_value_renders_as_text() {
    let org = org_with(true, |_| {});
    let inc = org.incident(json!({"qradar_id": "23"}));
    let evil = "<script>alert('desc')</script><img src=x onerror=alert(1)>";
    org.rest(
        http::Method::POST,
        &format!("/rest/orgs/{{org}}/incidents/{inc}/table_data/mitre_attack_techniques/row_data"),
        Some(json!({"cells": {
            "technique_name": {"value": "Port Knocking"},
            "tech_description": {"value": evil},
            // A rich text column: formatting and links stay, scripts and handlers go.
            "references": {"value": "<a href=\"https://attack.mitre.org/techniques/T1205\" onclick=\"steal()\">T1205</a><img src=x onerror=alert(2)><script>alert(3)</script>"},
        }})),
    );
    org.rest(
        http::Method::POST,
        &format!("/rest/orgs/{{org}}/incidents/{inc}/artifacts"),
        Some(json!({"type": "IP Address", "value": "<svg onload=alert(4)>"})),
    );
    let page = org
        .browser()
        .get(&format!("/orgs/{}/incidents/{inc}", org.org()));
    assert_eq!(page.status, 200);
    let body = &page.body;
    assert!(
        body.contains("&#60;script&#62;alert(")
            && body.contains("&#60;img src=x onerror=alert(1)&#62;"),
        "the description is not shown as text"
    );
    assert!(
        body.contains("&#60;svg onload=alert(4)&#62;"),
        "the artifact value is not shown as text"
    );
    assert!(
        body.contains("<a href=\"https://attack.mitre.org/techniques/T1205\""),
        "the reference link was lost"
    );
    for tag in tags(body) {
        let name = tag.split_whitespace().next().unwrap_or("");
        assert!(
            !["img", "svg"].contains(&name),
            "markup from data became a tag: <{tag}>"
        );
        assert!(
            !tag.contains("onerror") && !tag.contains("onload") && !tag.contains("onclick"),
            "<{tag}>"
        );
        if name == "script" {
            assert!(tag.contains("src=\"/static/app.js\""), "<{tag}>");
        }
    }
    assert!(!body.contains("alert(2)") && !body.contains("alert(3)"));
    assert!(body.contains("Displaying 1 - 1 of 1"));
}

#[test]
fn an_upload_over_the_cap_is_refused_and_imports_nothing() {
    let org = org_with(false, |o| o.limits.web_upload = 4096);
    let b = org.browser();
    let path = format!("/orgs/{}/admin/organization/import", org.org());
    let csrf = b.csrf(&path);
    let history_before = b.get(&format!("{path}-history")).body;
    let big = vec![b' '; 8192];
    let page = b.upload(&path, &csrf, "big.res", &big);
    assert_eq!(page.status, 413, "{}", page.body);
    assert!(page.body.contains("larger than the 1 MiB"), "{}", page.body);
    let history = b.get(&format!("{path}-history"));
    assert_eq!(
        history.body, history_before,
        "the refused upload left an import"
    );
}

#[test]
fn a_file_that_is_not_an_export_is_refused_before_the_preview() {
    let org = org_with(false, |_| {});
    let b = org.browser();
    let path = format!("/orgs/{}/admin/organization/import", org.org());
    let csrf = b.csrf(&path);
    let history_before = b.get(&format!("{path}-history")).body;
    for (name, bytes) in [
        ("broken.res", b"{ not json".to_vec()),
        ("notes.txt", package_res().to_string().into_bytes()),
        ("empty.resz", b"not a zip".to_vec()),
    ] {
        let page = b.upload(&path, &csrf, name, &bytes);
        assert_eq!(page.status, 400, "{name}: {}", page.body);
        assert!(
            page.body.contains(name),
            "{name}: the error does not name the file"
        );
    }
    let history = b.get(&format!("{path}-history"));
    assert_eq!(
        history.body, history_before,
        "a refused upload left an import"
    );
}

#[test]
fn import_settings_previews_a_pending_import_then_proceed_accepts_and_cancel_rejects() {
    let org = org_with(false, |_| {});
    let b = org.browser();
    let o = org.org();
    let path = format!("/orgs/{o}/admin/organization/import");
    let page = b.get(&path);
    assert!(page.body.contains("Import Settings") && page.body.contains("+ Import Settings"));
    let res = package_res().to_string();

    let upload = b.upload(
        &path,
        &field(&page.body, "csrf"),
        "qraw_mitre.res",
        res.as_bytes(),
    );
    assert_eq!(upload.status, 303, "{}", upload.body);
    let preview_path = upload.location.unwrap();
    let id: i64 = preview_path.rsplit('/').next().unwrap().parse().unwrap();
    // The same PENDING import the REST API makes.
    let dto = org.rest(
        http::Method::GET,
        &format!("/rest/orgs/{{org}}/configurations/imports/{id}"),
        None,
    );
    assert_eq!(dto["status"], "PENDING");
    let preview = b.get(&preview_path);
    for want in [
        "PENDING",
        "QRadar Advisor Offense Analysis with MITRE",
        "Map rule to MITRE tactic",
        "mitre_attack_of_artifact",
        "Proceed",
        "Cancel",
    ] {
        assert!(preview.body.contains(want), "the preview lacks {want}");
    }
    for m in dto["messages"].as_array().unwrap() {
        let text = m["text"].as_str().unwrap().replace('\'', "&#39;");
        assert!(
            preview.body.contains(&text),
            "the preview lacks the message {text}"
        );
    }
    let csrf = field(&preview.body, "csrf");
    let done = b.post(&preview_path, &[("csrf", &csrf), ("decision", "accept")]);
    assert_eq!(done.status, 303);
    assert_eq!(
        org.rest(
            http::Method::GET,
            &format!("/rest/orgs/{{org}}/configurations/imports/{id}"),
            None
        )["status"],
        "ACCEPTED"
    );
    let rule = org.rest(
        http::Method::GET,
        "/rest/orgs/{org}/actions/QRadar%20Advisor%20Offense%20Analysis%20with%20MITRE",
        None,
    );
    assert_eq!(rule["name"], "QRadar Advisor Offense Analysis with MITRE");
    let again = b.post(&preview_path, &[("csrf", &csrf), ("decision", "accept")]);
    assert_eq!(again.status, 409, "an ACCEPTED import was accepted twice");

    let second = b.upload(&path, &csrf, "qraw_mitre.res", res.as_bytes());
    let second_path = second.location.unwrap();
    assert_eq!(
        b.post(&second_path, &[("csrf", &csrf), ("decision", "reject")])
            .status,
        303
    );
    let history = b.get(&format!("{path}-history"));
    assert!(
        history.body.contains("ACCEPTED") && history.body.contains("REJECTED"),
        "{}",
        history.body
    );
}

/// Run `rule` from the incident page's form and wait (on the server's long poll) for its end;
/// the incident page then.
fn run_from_page(b: &Browser, org: i64, inc: i64, extra: &[(&str, &str)], rule: &str) -> String {
    let path = format!("/orgs/{org}/incidents/{inc}");
    let csrf = b.csrf(&path);
    let mut pairs = vec![("csrf", csrf.as_str()), ("rule", rule)];
    pairs.extend_from_slice(extra);
    let started = b.post(&format!("{path}/actions"), &pairs);
    assert_eq!(started.status, 303, "{}", started.body);
    let at = started.location.unwrap();
    let run = at
        .split("run=")
        .nth(1)
        .and_then(|r| r.split('#').next())
        .unwrap()
        .to_string();
    loop {
        let status = b.get(&format!("/orgs/{org}/runs/{run}?wait=1"));
        assert_eq!(status.status, 200);
        if !status.body.contains("running") {
            break;
        }
    }
    let page = b.get(&at.replace("#run", ""));
    assert_eq!(page.status, 200);
    page.body
}

#[test]
fn actions_offer_the_rules_that_apply_and_run_them_as_action_invocations_does() {
    let org = org_with(true, |_| {});
    let inc = org.incident(json!({"qradar_id": "23"}));
    let b = org.browser();
    let o = org.org();
    let page = b.get(&format!("/orgs/{o}/incidents/{inc}"));
    assert!(page.body.contains("<button type=\"submit\" role=\"menuitem\">QRadar Advisor Offense Analysis with MITRE</button>"));
    for summary in ["ID", "Phase", "Severity", "Date Created", "qradar_id"] {
        assert!(
            page.body.contains(&format!("<dt>{summary}</dt>")),
            "{summary}"
        );
    }

    let page = run_from_page(
        &b,
        o,
        inc,
        &[],
        "QRadar Advisor Offense Analysis with MITRE",
    );
    assert!(page.contains("run-completed"), "{page}");
    for want in [
        "MITRE ATT&#38;CK of Incident",
        "ATT&#38;CK Tactic",
        "TA0011",
        "Command and Control",
        "Displaying 1 - 1 of 1",
        "MITRE ATT&#38;CK Techniques",
        "Port Knocking",
    ] {
        assert!(page.contains(want), "the incident page lacks {want}");
    }
    // The row menu of a technique offers the integration's rule; it creates the task.
    let rows = org.rest(
        http::Method::GET,
        &format!("/rest/orgs/{{org}}/incidents/{inc}/table_data/mitre_attack_techniques"),
        None,
    );
    let port = rows["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["cells"]["technique_name"]["value"] == "Port Knocking")
        .unwrap()["id"]
        .to_string();
    let row_html = page
        .split(&format!("id=\"row-mitre_attack_techniques-{port}\""))
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .unwrap();
    assert!(row_html.contains("aria-label=\"Row actions menu\">...</summary>"));
    assert!(row_html.contains("Create Task for MITRE ATT&#38;CK technique"));
    let page = run_from_page(
        &b,
        o,
        inc,
        &[("row_id", &port)],
        "Create Task for MITRE ATT&CK technique",
    );
    let tasks = page
        .split("id=\"tasks\"")
        .nth(1)
        .unwrap()
        .split("</section>")
        .next()
        .unwrap();
    assert!(
        tasks.contains("MITRE ATT&#38;CK Technique: Port Knocking"),
        "{tasks}"
    );
    assert!(
        tasks.contains("<h3>Description</h3>") || tasks.contains("Description"),
        "{tasks}"
    );
}

#[test]
fn the_map_rule_story_runs_from_the_artifact_menu() {
    let org = org_with(true, |_| {});
    let inc = org.incident(json!({"qradar_id": "23"}));
    let b = org.browser();
    let o = org.org();
    let path = format!("/orgs/{o}/incidents/{inc}");
    let csrf = b.csrf(&path);
    let added = b.post(
        &format!("{path}/artifacts"),
        &[
            ("csrf", &csrf),
            ("type", "IP Address"),
            ("value", "192.168.0.155"),
        ],
    );
    assert_eq!(added.status, 303);
    let artifacts = org.rest(
        http::Method::GET,
        &format!("/rest/orgs/{{org}}/incidents/{inc}/artifacts"),
        None,
    );
    let artifact = artifacts[0]["id"].to_string();
    let page = b.get(&path);
    let row = page
        .body
        .split(&format!("id=\"artifact-{artifact}\""))
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    assert!(row.contains("Find All QRadar Reference Sets"), "{row}");
    let page = run_from_page(
        &b,
        o,
        inc,
        &[("artifact_id", &artifact)],
        "Find All QRadar Reference Sets",
    );
    assert!(page.contains("QRadar Reference Set") && page.contains("RF Risklist Source Log"));
    let sets = org.rest(
        http::Method::GET,
        &format!("/rest/orgs/{{org}}/incidents/{inc}/table_data/qradar_reference_set"),
        None,
    );
    let set = sets["rows"][0]["id"].to_string();
    let page = run_from_page(&b, o, inc, &[("row_id", &set)], "Map rule to MITRE tactic");
    let table = page
        .split("id=\"table-mitre_attack_of_artifact\"")
        .nth(1)
        .unwrap()
        .split("</section>")
        .next()
        .unwrap();
    for want in [
        "MITRE ATT&#38;CK of Artifact",
        "192.168.0.155",
        "Initial Access",
        "TA0001",
        "Displaying 1 - 1 of 1",
    ] {
        assert!(table.contains(want), "{want} in {table}");
    }
}

#[test]
fn a_rule_whose_conditions_do_not_hold_is_not_offered_and_is_refused() {
    let org = org_with(true, |_| {});
    let inc = org.incident(json!({}));
    let b = org.browser();
    let page = b.get(&format!("/orgs/{}/incidents/{inc}", org.org()));
    assert!(!page
        .body
        .contains(">QRadar Advisor Offense Analysis with MITRE</button>"));
    assert!(page.body.contains("No rules apply to this incident"));
    let page = run_from_page(
        &b,
        org.org(),
        inc,
        &[],
        "QRadar Advisor Offense Analysis with MITRE",
    );
    assert!(page.contains("run-refused"), "{page}");
    assert!(page.contains("its conditions do not hold"), "{page}");
}

#[test]
fn another_orgs_incident_is_not_found() {
    let org = org_with(true, |_| {});
    let inc = org.incident(json!({"qradar_id": "23"}));
    let (other, _) = org.server.create_org("Other Organization").unwrap();
    // A user of the other org only.
    org.server.state().with_store_blocking(|s| {
        let u = s
            .create_user("other@example.com", "other-password", "Other", "User")
            .unwrap();
        s.add_membership(u.id, other.id).unwrap();
    });
    let mut b = Browser::new(&org.server);
    b.login("other@example.com", "other-password");
    let home = b.get("/");
    assert_eq!(
        home.location,
        Some(format!("/orgs/{}/incidents", other.id.0))
    );
    for path in [
        format!("/orgs/{}/incidents/{inc}", org.org()),
        format!("/orgs/{}/incidents", org.org()),
        format!("/orgs/{}/admin/organization/import", org.org()),
        format!("/orgs/{}/incidents/{inc}", other.id.0),
    ] {
        let page = b.get(&path);
        assert_eq!(page.status, 404, "{path}: {}", page.body);
        assert!(!page.body.contains("QRadar offense 23"), "{path}");
    }
    let list = b.get(&format!("/orgs/{}/incidents", other.id.0));
    assert_eq!(list.status, 200);
    assert!(!list.body.contains("QRadar offense 23"));
}

#[test]
fn the_incidents_page_creates_an_incident_as_the_rest_api_does() {
    let org = org_with(true, |_| {});
    let b = org.browser();
    let list = format!("/orgs/{}/incidents", org.org());
    let page = b.get(&list);
    assert!(
        page.body.contains("name=\"field.qradar_id\""),
        "the form has no input for the package's custom field: {}",
        page.body
    );
    assert!(
        !page.body.contains("internal_customizations_field"),
        "the form offers the internal field"
    );
    let forged = b.post(&list, &[("csrf", "forged"), ("name", "QRadar offense 23")]);
    assert_eq!(forged.status, 403, "{}", forged.body);
    let csrf = b.csrf(&list);
    let unknown = b.post(
        &list,
        &[("csrf", &csrf), ("name", "x"), ("field.no_such_field", "1")],
    );
    assert_eq!(unknown.status, 400, "{}", unknown.body);
    assert!(unknown.body.contains("no_such_field"), "{}", unknown.body);
    let nameless = b.post(&list, &[("csrf", &csrf), ("name", " ")]);
    assert_eq!(nameless.status, 400, "{}", nameless.body);
    let made = b.post(
        &list,
        &[
            ("csrf", &csrf),
            ("name", "QRadar offense 23 <b>"),
            ("field.qradar_id", "23"),
        ],
    );
    assert_eq!(made.status, 303, "{}", made.body);
    let at = made.location.expect("a redirect to the new incident");
    let id: i64 = at.rsplit('/').next().unwrap().parse().unwrap();
    let stored = org.rest(
        http::Method::GET,
        &format!("/rest/orgs/{{org}}/incidents/{id}"),
        None,
    );
    assert_eq!(stored["name"], "QRadar offense 23 <b>");
    assert_eq!(stored["properties"]["qradar_id"], "23");
    assert_eq!(stored["creator_principal"]["name"], org.server.login().0);
    let shown = b.get(&at);
    assert!(
        shown.body.contains("QRadar offense 23 &#60;b&#62;"),
        "{}",
        shown.body
    );
    assert!(!shown.body.contains("23 <b>"), "the name was not escaped");
    assert!(b.get(&list).body.contains(&format!("{at}\"")));
}
