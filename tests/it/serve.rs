//! `respack serve`, the reference SOAR org: authentication, org isolation, the two-phase import,
//! export, deletes, incidents/rows/tasks and persistence across a restart, spoken over HTTPS
//! with a client that trusts only the org's own CA.
use std::path::Path;

use respack::http;
use respack::server::{self, Options, RunningServer};
use serde_json::{json, Value};

use crate::require_shared;
use crate::util::respack;

/// An HTTPS client trusting only the CA in `ca`, retrying nothing, with no cookie jar
/// (cookies go in by hand).
pub(crate) fn agent(ca: &Path) -> Agent {
    let mut config = http::Config::new(respack::tls::Verify::CaFile(ca.to_path_buf()));
    config.retry = http::RetryPolicy::none();
    Agent(http::Client::new(config).expect("an HTTP client trusting the org's CA"))
}

pub(crate) struct Agent(pub(crate) http::Client);

/// A request about to be sent by `client`.
pub(crate) struct Req<'a> {
    client: &'a http::Client,
    req: http::Request,
}

impl Agent {
    pub(crate) fn request(&self, method: http::Method, url: &str) -> Req<'_> {
        Req {
            client: &self.0,
            req: http::Request::new(method, url.parse().expect("a URL")),
        }
    }

    pub(crate) fn get(&self, url: &str) -> Req<'_> {
        self.request(http::Method::GET, url)
    }

    pub(crate) fn post(&self, url: &str) -> Req<'_> {
        self.request(http::Method::POST, url)
    }
}

impl Req<'_> {
    pub(crate) fn header(self, name: &str, value: &str) -> Self {
        Req {
            req: self.req.header(name, value),
            ..self
        }
    }
}

pub(crate) fn basic(id: &str, secret: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

/// A running org and a client for it.
pub(crate) struct Org {
    pub(crate) server: RunningServer,
    pub(crate) agent: Agent,
    pub(crate) auth: String,
    pub(crate) _dir: Option<tempfile::TempDir>,
}

/// The answer to one call: status, JSON body (Null when empty), headers we care about.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Value,
    pub(crate) set_cookie: Option<String>,
}

pub(crate) fn send(req: Req, body: Option<&Value>) -> Answer {
    let resp = exchange(req, body.map(Value::to_string));
    let set_cookie = resp.header("set-cookie").map(str::to_string);
    let text = resp.text();
    let body = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    Answer {
        status: resp.status.as_u16(),
        body,
        set_cookie,
    }
}

pub(crate) fn send_raw(req: Req, body: &str) -> Answer {
    let resp = exchange(req, Some(body.to_string()));
    Answer {
        status: resp.status.as_u16(),
        body: serde_json::from_str(&resp.text()).unwrap_or(Value::Null),
        set_cookie: None,
    }
}

pub(crate) fn exchange(req: Req, body: Option<String>) -> http::Response {
    let Req { client, req } = req;
    let req = match body {
        Some(b) => req.json_body(b),
        None => req,
    };
    client
        .send(&req)
        .unwrap_or_else(|e| panic!("transport error: {e}"))
}

impl Org {
    pub(crate) fn start() -> Org {
        let dir = tempfile::tempdir().unwrap();
        let mut org = Org::on(&dir.path().join("org.db"));
        org._dir = Some(dir);
        org
    }

    pub(crate) fn on(db: &Path) -> Org {
        let server = server::start(Options::new(db)).expect("start the org");
        let agent = agent(server.ca_pem_path());
        let auth = basic(&server.api_key().id, &server.api_key().secret);
        Org {
            server,
            agent,
            auth,
            _dir: None,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        let path = path.replace("{org}", &self.server.org_id().to_string());
        format!("{}{path}", self.server.base_url())
    }

    pub(crate) fn call_as(
        &self,
        auth: Option<&str>,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Answer {
        let mut req = self
            .agent
            .request(method.parse().unwrap(), &self.url(path))
            .header("Content-Type", "application/json");
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        send(req, body)
    }

    pub(crate) fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Answer {
        self.call_as(Some(&self.auth.clone()), method, path, body)
    }

    /// The call must answer `status`; its body.
    #[track_caller]
    pub(crate) fn expect(
        &self,
        status: u16,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Value {
        let a = self.call(method, path, body);
        assert_eq!(a.status, status, "{method} {path}: {}", a.body);
        a.body
    }

    pub(crate) fn export(&self) -> Value {
        self.expect(
            200,
            "POST",
            "/rest/orgs/{org}/configurations/exports/",
            Some(&json!({"layouts": true, "actions": true, "phases_and_tasks": true})),
        )
    }

    /// POST the .res, then PUT the DTO back with `status`; (PENDING DTO, final DTO).
    pub(crate) fn import(&self, res: &Value, status: &str) -> (Value, Value) {
        let pending = self.expect(
            200,
            "POST",
            "/rest/orgs/{org}/configurations/imports",
            Some(res),
        );
        assert_eq!(pending["status"], "PENDING", "{pending}");
        let mut put = pending.clone();
        put["status"] = json!(status);
        let path = format!(
            "/rest/orgs/{{org}}/configurations/imports/{}",
            pending["id"]
        );
        let done = self.expect(200, "PUT", &path, Some(&put));
        (pending, done)
    }
}

fn names(list: &Value, key: &str) -> Vec<String> {
    let mut v: Vec<String> = list
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .filter_map(|o| o[key].as_str().map(str::to_string))
        .collect();
    v.sort();
    v
}

const FN_UUID: &str = "5a9e0fd1-6f0e-4ea6-9b1e-3c1b2f4b0001";

fn workflow_xml(name: &str, function_uuid: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:resilient="http://resilient.ibm.com/bpmn"><process id="{name}" isExecutable="true" name="{name}"><startEvent id="StartEvent_1"/><serviceTask id="ServiceTask_1" name="call" resilient:type="function"><extensionElements><resilient:function uuid="{function_uuid}">{{"inputs":{{}},"result_name":"r"}}</resilient:function></extensionElements></serviceTask></process></definitions>"#
    )
}

/// A small self-contained .res: destination, function with one input, workflow calling it, a
/// rule running the workflow, a data table and the incident field `qradar_id`.
pub(crate) fn tiny_res() -> Value {
    json!({
        "export_format_version": 2,
        "message_destinations": [{"uuid": "5a9e0fd1-6f0e-4ea6-9b1e-3c1b2f4b0002", "export_key": "fn_test",
            "name": "Test destination", "programmatic_name": "fn_test", "destination_type": 0,
            "expect_ack": true, "users": [], "api_keys": [], "tags": []}],
        "fields": [
            {"uuid": "5a9e0fd1-6f0e-4ea6-9b1e-3c1b2f4b0003", "export_key": "__function/test_input",
             "name": "test_input", "type_id": 11, "input_type": "text", "text": "Input"},
            {"uuid": "5a9e0fd1-6f0e-4ea6-9b1e-3c1b2f4b0004", "export_key": "incident/qradar_id",
             "name": "qradar_id", "type_id": 0, "input_type": "text", "prefix": "properties", "text": "QRadar ID"}
        ],
        "functions": [{"uuid": FN_UUID, "export_key": "test_function", "name": "test_function",
            "display_name": "Test function", "destination_handle": "fn_test",
            "view_items": [{"element": "field_uuid", "content": "5a9e0fd1-6f0e-4ea6-9b1e-3c1b2f4b0003",
                            "field_type": "__function", "show_if": null, "show_link_header": false, "step_label": null}],
            "workflows": [], "tags": []}],
        "workflows": [{"uuid": "5a9e0fd1-6f0e-4ea6-9b1e-3c1b2f4b0005", "export_key": "test_workflow",
            "programmatic_name": "test_workflow", "name": "Test workflow", "object_type": "incident",
            "content": {"workflow_id": "test_workflow", "xml": workflow_xml("test_workflow", FN_UUID)},
            "tags": []}],
        "actions": [{"uuid": "5a9e0fd1-6f0e-4ea6-9b1e-3c1b2f4b0006", "export_key": "Run test", "name": "Run test",
            "type": 1, "object_type": "incident", "enabled": true, "logic_type": "all", "conditions": [],
            "automations": [], "workflows": ["test_workflow"], "message_destinations": [], "view_items": [], "tags": []}],
        "types": [{"uuid": "5a9e0fd1-6f0e-4ea6-9b1e-3c1b2f4b0007", "type_id": 8, "type_name": "test_table",
            "export_key": "test_table", "display_name": "Test table", "parent_types": ["incident"],
            "fields": {
                "artifact": {"name": "artifact", "export_key": "test_table/artifact", "input_type": "text", "order": 0,
                             "uuid": "5a9e0fd1-6f0e-4ea6-9b1e-3c1b2f4b0008"},
                "confidence": {"name": "confidence", "export_key": "test_table/confidence", "input_type": "number", "order": 1,
                               "uuid": "5a9e0fd1-6f0e-4ea6-9b1e-3c1b2f4b0009"}
            },
            "properties": {"can_create": false, "can_destroy": false, "for_who": []}, "tags": []}]
    })
}

#[test]
fn serve_help_says_it_is_an_emulation() {
    respack(["serve", "--help"])
        .run()
        .success()
        .stdout_has("emulation of the SOAR REST API")
        .stdout_has("--write-config");
}

#[test]
fn no_or_bad_credentials_get_401() {
    let org = Org::start();
    let none = org.call_as(None, "GET", "/rest/session", None);
    assert_eq!(none.status, 401, "{}", none.body);
    assert_eq!(none.body["success"], false);
    let wrong = basic(&org.server.api_key().id, "not-the-secret");
    assert_eq!(
        org.call_as(Some(&wrong), "GET", "/rest/orgs/{org}/functions", None)
            .status,
        401
    );
    let unknown = basic("no-such-key", &org.server.api_key().secret);
    assert_eq!(
        org.call_as(Some(&unknown), "GET", "/rest/session", None)
            .status,
        401
    );
    assert_eq!(
        org.call_as(Some("Bearer x"), "GET", "/rest/const", None)
            .status,
        401
    );
}

#[test]
fn api_key_session_lists_its_org() {
    let org = Org::start();
    let s = org.expect(200, "GET", "/rest/session?include_permissions=false", None);
    let orgs = s["orgs"].as_array().unwrap();
    assert_eq!(orgs.len(), 1);
    assert_eq!(orgs[0]["name"], "Test Organization");
    assert_eq!(orgs[0]["id"], json!(org.server.org_id()));
    assert_eq!(orgs[0]["enabled"], true);
    assert!(s["api_key_handle"].is_i64(), "{s}");
    let o = org.expect(200, "GET", "/rest/orgs/{org}", None);
    assert_eq!(o["actions_framework_enabled"], true);
    let c = org.expect(200, "GET", "/rest/const", None);
    assert_eq!(c["server_version"]["v"], 51);
}

#[test]
fn email_password_session_needs_the_csrf_header() {
    let org = Org::start();
    let (email, password) = org.server.login();
    let bad = org.call_as(
        None,
        "POST",
        "/rest/session",
        Some(&json!({"email": email, "password": "wrong"})),
    );
    assert_eq!(bad.status, 401);

    let login = org.call_as(
        None,
        "POST",
        "/rest/session",
        Some(&json!({"email": email, "password": password})),
    );
    assert_eq!(login.status, 200, "{}", login.body);
    let csrf = login.body["csrf_token"].as_str().unwrap().to_string();
    assert!(login.body["user_id"].is_i64());
    assert_eq!(login.body["orgs"][0]["name"], "Test Organization");
    let cookie = login.set_cookie.expect("Set-Cookie");
    let jsession = cookie.split(';').next().unwrap().to_string();
    assert!(jsession.starts_with("JSESSIONID="), "{cookie}");

    let with = |csrf: Option<&str>| {
        let mut req = org
            .agent
            .get(&org.url("/rest/orgs/{org}/functions"))
            .header("Cookie", &jsession);
        if let Some(c) = csrf {
            req = req.header("X-sess-id", c);
        }
        send(req, None)
    };
    assert_eq!(with(None).status, 403);
    assert_eq!(with(Some("not-the-token")).status, 403);
    let ok = with(Some(&csrf));
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(ok.body["entities"].is_array());
}

#[test]
fn an_api_key_reaches_only_its_own_org() {
    let org = Org::start();
    let (other, other_key) = org.server.create_org("Other Org").unwrap();
    let path = format!("/rest/orgs/{}/functions", other.id);
    let a = org.call("GET", &path, None);
    assert_eq!(a.status, 403, "{}", a.body);
    let other_auth = basic(&other_key.id, &other_key.secret);
    assert_eq!(
        org.call_as(Some(&other_auth), "GET", &path, None).status,
        200
    );
    assert_eq!(
        org.call_as(Some(&other_auth), "GET", "/rest/orgs/{org}/functions", None)
            .status,
        403
    );
    let s = org.call_as(Some(&other_auth), "GET", "/rest/session", None);
    assert_eq!(names(&s.body["orgs"], "name"), ["Other Org"]);
}

#[test]
fn pending_import_lists_creates_and_accept_applies_them() {
    let org = Org::start();
    let res = tiny_res();
    let pending = org.expect(
        200,
        "POST",
        "/rest/orgs/{org}/configurations/imports",
        Some(&res),
    );
    assert_eq!(pending["status"], "PENDING");
    let items = pending["items"].as_array().unwrap();
    assert_eq!(items.len(), 7, "{pending}");
    assert!(
        items.iter().all(|i| i["operation"] == "create"),
        "{pending}"
    );
    assert!(pending["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["text"] == "Create function 'test_function'"));
    // Nothing is applied while the import is pending.
    assert!(org.export()["functions"].as_array().unwrap().is_empty());

    let mut put = pending.clone();
    put["status"] = json!("ACCEPTED");
    let path = format!(
        "/rest/orgs/{{org}}/configurations/imports/{}",
        pending["id"]
    );
    let done = org.expect(200, "PUT", &path, Some(&put));
    assert_eq!(done["status"], "ACCEPTED");
    // An import is accepted once.
    org.expect(409, "PUT", &path, Some(&put));

    let exp = org.export();
    assert_eq!(exp["export_format_version"], 2);
    assert_eq!(exp["export_type"], "ORG");
    assert_eq!(names(&exp["functions"], "name"), ["test_function"]);
    assert_eq!(
        names(&exp["workflows"], "programmatic_name"),
        ["test_workflow"]
    );
    assert_eq!(names(&exp["types"], "type_name"), ["test_table"]);
    for list in [
        "playbooks",
        "scripts",
        "phases",
        "layouts",
        "roles",
        "automatic_tasks",
    ] {
        assert!(exp[list].is_array(), "{list} missing from the export");
    }
    // The server derives the function's back-reference from the workflow XML.
    let back = &exp["functions"][0]["workflows"];
    assert_eq!(
        names(back, "programmatic_name"),
        ["test_workflow"],
        "{back}"
    );

    // The same file again changes nothing.
    let (again, _) = org.import(&res, "ACCEPTED");
    assert_eq!(again["summary"]["create"], 0, "{again}");
    assert_eq!(again["summary"]["modify"], 0, "{again}");
    assert_eq!(again["summary"]["unchanged"], 7, "{again}");
}

#[test]
fn rejected_import_changes_nothing() {
    let org = Org::start();
    let (_, done) = org.import(&tiny_res(), "REJECTED");
    assert_eq!(done["status"], "REJECTED");
    let exp = org.export();
    assert!(exp["functions"].as_array().unwrap().is_empty());
    assert!(exp["workflows"].as_array().unwrap().is_empty());
    let path = format!("/rest/orgs/{{org}}/configurations/imports/{}", done["id"]);
    assert_eq!(org.expect(200, "GET", &path, None)["status"], "REJECTED");
}

#[test]
fn import_calling_an_unknown_function_is_refused() {
    let org = Org::start();
    let missing = "5a9e0fd1-6f0e-4ea6-9b1e-3c1b2f4b0fff";
    let res = json!({"export_format_version": 2, "workflows": [{
        "uuid": "5a9e0fd1-6f0e-4ea6-9b1e-3c1b2f4b0010", "programmatic_name": "lonely", "name": "Lonely",
        "export_key": "lonely", "content": {"workflow_id": "lonely", "xml": workflow_xml("lonely", missing)}}]});
    let a = org.call(
        "POST",
        "/rest/orgs/{org}/configurations/imports",
        Some(&res),
    );
    assert_eq!(a.status, 400, "{}", a.body);
    let msg = a.body["message"].as_str().unwrap();
    assert!(msg.contains(missing) && msg.contains("lonely"), "{msg}");
    assert!(org.export()["workflows"].as_array().unwrap().is_empty());
}

#[test]
fn references_missing_from_the_res_resolve_against_the_org() {
    let org = Org::start();
    org.import(&tiny_res(), "ACCEPTED");
    // A second workflow calling the org's function, without the function in the file.
    let res = json!({"export_format_version": 2, "workflows": [{
        "uuid": "5a9e0fd1-6f0e-4ea6-9b1e-3c1b2f4b0011", "programmatic_name": "second", "name": "Second",
        "export_key": "second", "content": {"workflow_id": "second", "xml": workflow_xml("second", FN_UUID)}}]});
    let (pending, _) = org.import(&res, "ACCEPTED");
    let refs = pending["unresolved_references"].as_array().unwrap();
    assert_eq!(refs.len(), 1, "{pending}");
    assert_eq!(refs[0]["to"]["kind"], "functions");
    assert_eq!(refs[0]["to"]["value"], FN_UUID);
    assert_eq!(refs[0]["resolved_by"], "org");
    let back =
        &org.expect(200, "GET", "/rest/orgs/{org}/functions/test_function", None)["workflows"];
    assert_eq!(
        names(back, "programmatic_name"),
        ["second", "test_workflow"]
    );
}

#[test]
fn same_function_name_with_another_uuid_is_a_conflict() {
    let org = Org::start();
    org.import(&tiny_res(), "ACCEPTED");
    let mut res = tiny_res();
    res["functions"][0]["uuid"] = json!("5a9e0fd1-6f0e-4ea6-9b1e-3c1b2f4b0099");
    let a = org.call(
        "POST",
        "/rest/orgs/{org}/configurations/imports",
        Some(&res),
    );
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(a.body["message"]
        .as_str()
        .unwrap()
        .contains("test_function"));
    // Workflows matched by name keep the org's uuid, and the answer says so.
    let mut res = tiny_res();
    res["workflows"][0]["uuid"] = json!("5a9e0fd1-6f0e-4ea6-9b1e-3c1b2f4b0098");
    let (pending, _) = org.import(&res, "ACCEPTED");
    let wf = pending["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "workflows")
        .unwrap()
        .clone();
    assert_eq!(wf["operation"], "modify", "{pending}");
    assert_eq!(wf["uuid"], "5a9e0fd1-6f0e-4ea6-9b1e-3c1b2f4b0005");
    let w = org.expect(200, "GET", "/rest/orgs/{org}/workflows/test_workflow", None);
    assert_eq!(w["uuid"], "5a9e0fd1-6f0e-4ea6-9b1e-3c1b2f4b0005");
}

#[test]
fn deleting_objects_in_use_is_refused_and_deleted_ones_leave_the_export() {
    let org = Org::start();
    org.import(&tiny_res(), "ACCEPTED");
    let a = org.call("DELETE", "/rest/orgs/{org}/workflows/test_workflow", None);
    assert_eq!(a.status, 409, "{}", a.body);
    assert!(a.body["message"].as_str().unwrap().contains("Run test"));
    org.expect(
        409,
        "DELETE",
        "/rest/orgs/{org}/functions/test_function",
        None,
    );

    let rule = org.expect(
        200,
        "GET",
        "/rest/orgs/{org}/actions/Run test?handle_format=names",
        None,
    );
    assert_eq!(rule["object_type"], "incident");
    let by_id = format!("/rest/orgs/{{org}}/actions/{}", rule["id"]);
    assert_eq!(org.expect(200, "GET", &by_id, None)["object_type"], 0);
    org.expect(204, "DELETE", &by_id, None);
    org.expect(
        204,
        "DELETE",
        "/rest/orgs/{org}/workflows/test_workflow",
        None,
    );
    org.expect(
        404,
        "DELETE",
        "/rest/orgs/{org}/workflows/test_workflow",
        None,
    );
    org.expect(404, "GET", "/rest/orgs/{org}/workflows/test_workflow", None);
    let exp = org.export();
    assert!(exp["workflows"].as_array().unwrap().is_empty());
    assert!(exp["actions"].as_array().unwrap().is_empty());
    assert!(exp["functions"][0]["workflows"]
        .as_array()
        .unwrap()
        .is_empty());

    let inc = org.expect(
        200,
        "POST",
        "/rest/orgs/{org}/incidents",
        Some(&json!({"name": "with a row", "discovered_date": 1})),
    );
    let rows = format!(
        "/rest/orgs/{{org}}/incidents/{}/table_data/test_table",
        inc["id"]
    );
    let cells = json!({"cells": {"artifact": {"value": "a"}}});
    org.expect(200, "POST", &format!("{rows}/row_data"), Some(&cells));
    org.expect(204, "DELETE", "/rest/orgs/{org}/types/test_table", None);
    assert!(org.export()["types"].as_array().unwrap().is_empty());
    org.expect(404, "GET", &rows, None);
    // A table made again under the same name starts empty: its data went with it.
    org.import(&json!({"types": tiny_res()["types"].clone()}), "ACCEPTED");
    assert_eq!(org.expect(200, "GET", &rows, None)["rows"], json!([]));
    org.expect(400, "DELETE", "/rest/orgs/{org}/types/incident", None);
}

#[test]
fn types_and_fields_endpoints() {
    let org = Org::start();
    org.import(&tiny_res(), "ACCEPTED");
    let types = org.expect(200, "GET", "/rest/orgs/{org}/types", None);
    assert!(
        types["test_table"]["fields"]["artifact"].is_object(),
        "{types}"
    );
    assert!(types["incident"]["fields"]["qradar_id"].is_object());
    let cols = org.expect(200, "GET", "/rest/orgs/{org}/types/test_table/fields", None);
    assert_eq!(names(&cols, "name"), ["artifact", "confidence"]);
    let inputs = org.expect(
        200,
        "GET",
        "/rest/orgs/{org}/types/__function/fields?handle_format=names",
        None,
    );
    assert_eq!(names(&inputs, "name"), ["test_input"]);
    let dests = org.expect(200, "GET", "/rest/orgs/{org}/message_destinations", None);
    assert_eq!(names(&dests["entities"], "programmatic_name"), ["fn_test"]);

    // The post-import step of IBM's tools: GET the destination, PUT it back with the key's
    // handle appended to api_keys.
    let handle = org.expect(200, "GET", "/rest/session", None)["api_key_handle"].clone();
    let path = format!(
        "/rest/orgs/{{org}}/message_destinations/{}",
        dests["entities"][0]["id"]
    );
    let mut dest = org.expect(200, "GET", &path, None);
    dest["api_keys"] = json!([handle]);
    org.expect(200, "PUT", &path, Some(&dest));
    assert_eq!(
        org.expect(200, "GET", &path, None)["api_keys"],
        json!([handle])
    );
    dest["programmatic_name"] = json!("renamed");
    org.expect(400, "PUT", &path, Some(&dest));
}

#[test]
fn malformed_requests_get_json_errors() {
    let org = Org::start();
    let a = org.call("GET", "/rest/orgs/{org}/no_such_thing", None);
    assert_eq!(a.status, 404);
    assert_eq!(a.body["success"], false);
    let a = org.call(
        "POST",
        "/rest/orgs/{org}/configurations/imports",
        Some(&json!([1, 2])),
    );
    assert_eq!(a.status, 400, "{}", a.body);
    let a = org.call(
        "POST",
        "/rest/orgs/{org}/configurations/imports",
        Some(&json!({"functions": [{"name": null}]})),
    );
    assert_eq!(a.status, 400);
    assert!(
        a.body["message"].as_str().unwrap().contains("/functions/0"),
        "{}",
        a.body
    );
    org.expect(
        404,
        "GET",
        "/rest/orgs/{org}/configurations/imports/999",
        None,
    );
    let mut req = org
        .agent
        .post(&org.url("/rest/orgs/{org}/incidents"))
        .header("Authorization", &org.auth);
    req = req.header("Content-Type", "application/json");
    let a = send_raw(req, "{not json");
    assert_eq!(a.status, 400);
    assert!(a.body["message"]
        .as_str()
        .unwrap()
        .contains("not valid JSON"));
}

#[test]
fn incidents_rows_and_tasks() {
    let org = Org::start();
    org.import(&tiny_res(), "ACCEPTED");
    let now = 1_700_000_000_000i64;
    let bad = org.call(
        "POST",
        "/rest/orgs/{org}/incidents",
        Some(&json!({"name": "x", "discovered_date": now, "properties": {"no_such_field": 1}})),
    );
    assert_eq!(bad.status, 400);
    assert!(bad.body["message"]
        .as_str()
        .unwrap()
        .contains("no_such_field"));
    org.expect(
        400,
        "POST",
        "/rest/orgs/{org}/incidents",
        Some(&json!({"discovered_date": now})),
    );

    let inc = org.expect(
        200,
        "POST",
        "/rest/orgs/{org}/incidents",
        Some(&json!({"name": "Offense 23", "discovered_date": now, "properties": {"qradar_id": "23"}})),
    );
    let id = inc["id"].as_i64().unwrap();
    let got = org.expect(
        200,
        "GET",
        &format!("/rest/orgs/{{org}}/incidents/{id}"),
        None,
    );
    assert_eq!(got["properties"]["qradar_id"], "23");
    assert_eq!(got["name"], "Offense 23");

    let rows_path = format!("/rest/orgs/{{org}}/incidents/{id}/table_data/test_table");
    let add = format!("{rows_path}/row_data");
    let unknown = org.call(
        "POST",
        &add,
        Some(&json!({"cells": {"nope": {"value": 1}}})),
    );
    assert_eq!(unknown.status, 400);
    assert!(unknown.body["message"].as_str().unwrap().contains("nope"));
    let row = org.expect(
        200,
        "POST",
        &add,
        Some(&json!({"cells": {"artifact": {"value": "10.0.0.1"}, "confidence": {"value": 80}}})),
    );
    assert_eq!(row["cells"]["artifact"]["value"], "10.0.0.1");
    let rows = org.expect(
        200,
        "GET",
        &format!("{rows_path}?handle_format=names"),
        None,
    );
    assert_eq!(rows["rows"].as_array().unwrap().len(), 1);
    assert_eq!(rows["rows"][0]["cells"]["confidence"]["value"], 80);
    org.expect(
        404,
        "GET",
        &format!("/rest/orgs/{{org}}/incidents/{id}/table_data/no_table"),
        None,
    );
    org.expect(
        404,
        "GET",
        "/rest/orgs/{org}/incidents/999999/table_data/test_table",
        None,
    );

    let tasks = format!("/rest/orgs/{{org}}/incidents/{id}/tasks");
    let t = org.expect(
        200,
        "POST",
        &tasks,
        Some(&json!({"name": "Investigate T1059", "instructions": "<p>look</p>", "phase_id": "Respond"})),
    );
    assert_eq!(t["inc_id"], id);
    let list = org.expect(200, "GET", &tasks, None);
    assert_eq!(names(&list, "name"), ["Investigate T1059"]);
    let one = org.expect(
        200,
        "GET",
        &format!("/rest/orgs/{{org}}/tasks/{}", t["id"]),
        None,
    );
    assert_eq!(one["instructions"], "<p>look</p>");
}

#[test]
fn seed_integrations_imports_the_package_seed() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = Options::new(dir.path().join("org.db"));
    opts.seed_integrations = true;
    let server = server::start(opts).expect("start with --seed-integrations");
    let org = Org {
        agent: agent(server.ca_pem_path()),
        auth: basic(&server.api_key().id, &server.api_key().secret),
        server,
        _dir: Some(dir),
    };
    let seed = respack::package::integrations_seed();
    let want = if seed["functions"].is_array() {
        names(&seed["functions"], "export_key")
    } else {
        vec![]
    };
    assert_eq!(names(&org.export()["functions"], "export_key"), want);
}

/// Secrets are kept only hashed, so a restart cannot hand out the old secret: it issues a new
/// key, and the old one (and the old CA file) keep working.
#[test]
fn the_org_survives_a_restart_and_the_old_key_still_works() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("org.db");
    let first = Org::on(&db);
    first.import(&tiny_res(), "ACCEPTED");
    let inc = first.expect(
        200,
        "POST",
        "/rest/orgs/{org}/incidents",
        Some(&json!({"name": "kept", "discovered_date": 1})),
    );
    let (auth, org_id, key) = (
        first.auth.clone(),
        first.server.org_id(),
        first.server.api_key().clone(),
    );
    first.server.shutdown();

    let second = Org::on(&db);
    assert_eq!(second.server.org_id(), org_id);
    assert_ne!(second.server.api_key().id, key.id, "a new key per start");
    second.expect(200, "GET", "/rest/session", None);
    // The old key and the old CA file still work.
    let old_client = agent(&server::ca_path_for(&db));
    let url = second.url(&format!("/rest/orgs/{{org}}/incidents/{}", inc["id"]));
    let got = send(old_client.get(&url).header("Authorization", &auth), None);
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(got.body["name"], "kept");
    assert_eq!(
        names(&second.export()["functions"], "name"),
        ["test_function"]
    );
}

#[test]
fn serve_binary_writes_the_app_config_once_listening() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("app.config");
    let mut args = vec![
        std::ffi::OsString::from("--listen"),
        "127.0.0.1:0".into(),
        "--db".into(),
    ];
    args.push(dir.path().join("org.db").into());
    args.push("--write-config".into());
    args.push(cfg.clone().into());
    let serve = crate::util::ServeProcess::start(args);
    let text = std::fs::read_to_string(&cfg)
        .expect("serve printed `listening on` before writing app.config");
    let entry = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("no {k} in app.config:\n{text}"))
            .to_string()
    };
    let url = format!("https://{}:{}/rest/session", entry("host"), entry("port"));
    let client = agent(Path::new(&entry("cafile")));
    let s = send(
        client.get(&url).header(
            "Authorization",
            &basic(&entry("api_key_id"), &entry("api_key_secret")),
        ),
        None,
    );
    assert_eq!(s.status, 200, "{}", s.body);
    assert_eq!(s.body["orgs"][0]["name"], entry("org"));
    let stdout = serve.stop();
    assert!(
        stdout.contains(&format!("listening on https://127.0.0.1:{}", entry("port"))),
        "{stdout}"
    );
    assert!(
        !stdout.contains(&entry("api_key_secret")),
        "the secret was printed"
    );
}

#[test]
fn community_exports_import_and_reimport_as_unchanged() {
    let shared = require_shared!();
    let org = Org::start();
    let dir = shared.join("corpus/res/community");
    let mut expected_functions = Vec::new();
    for file in [
        "fn_mitre_integration_export.res",
        "fn_qradar_advisor_export.res",
        "fn_qradar_integration_export.res",
    ] {
        let res: Value = serde_json::from_slice(&std::fs::read(dir.join(file)).unwrap()).unwrap();
        expected_functions.extend(names(&res["functions"], "name"));
        let (pending, done) = org.import(&res, "ACCEPTED");
        assert!(
            pending["summary"]["create"].as_u64().unwrap() > 0,
            "{file}: {}",
            pending["summary"]
        );
        assert_eq!(done["status"], "ACCEPTED");
    }
    expected_functions.sort();
    let exp = org.export();
    assert_eq!(names(&exp["functions"], "name"), expected_functions);
    let wf = names(&exp["workflows"], "programmatic_name");
    assert!(wf.contains(&"mitre_technique_task".to_string()), "{wf:?}");
    let tactic = exp["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "mitre_tactic_information")
        .unwrap();
    assert!(!tactic["workflows"].as_array().unwrap().is_empty());

    // The whole export goes back in as nothing to do.
    let (again, _) = org.import(&exp, "REJECTED");
    assert_eq!(again["summary"]["create"], 0, "{}", again["summary"]);
    assert_eq!(again["summary"]["modify"], 0, "{}", again["summary"]);
}
