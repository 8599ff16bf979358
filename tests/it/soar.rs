//! The SOAR client against a scripted mock server speaking HTTPS on 127.0.0.1 with a
//! certificate made for the test (passed to the client as its `cafile`, as a self-signed SOAR
//! would be). The mock records every request so that the tests can check what went on the
//! wire: credentials, paths, bodies, and how many calls were made.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use respack::help::Help;
use respack::soar::{
    Auth, Client, ExportOptions, ImportDecision, Kind, RetryPolicy, Secret, Settings, SoarError,
    TransportKind, Verify,
};
use serde_json::{json, Value};

const KEY_ID: &str = "key-id-1234";
const SECRET: &str = "s3cr3t-Value-never-shown";
const PASSWORD: &str = "pa55-word-never-shown";

/// One request the mock received.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    /// Path and query.
    uri: String,
    headers: HashMap<String, String>,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// A canned answer: status, extra headers, body, and an optional delay before answering.
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
    delay: Duration,
}

fn reply(status: u16, body: Value) -> Reply {
    Reply {
        status,
        headers: vec![],
        body: body.to_string(),
        delay: Duration::ZERO,
    }
}

/// `(nth call of this route starting at 0, the request) -> reply`.
type Handler = Arc<dyn Fn(usize, &Seen) -> Reply + Send + Sync>;

struct Mock {
    addr: SocketAddr,
    cafile: PathBuf,
    seen: Arc<Mutex<Vec<Seen>>>,
    _dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

#[derive(Clone)]
struct MockState {
    routes: Arc<Vec<(String, String, Handler)>>,
    hits: Arc<Mutex<HashMap<(String, String), usize>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn dispatch(
    axum::extract::State(state): axum::extract::State<MockState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seen = Seen {
        method: method.to_string(),
        uri: uri.to_string(),
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    v.to_str().unwrap_or("").to_string(),
                )
            })
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    state.seen.lock().unwrap().push(seen.clone());
    let key = (method.to_string(), uri.path().to_string());
    let route = state
        .routes
        .iter()
        .find(|(m, p, _)| *m == key.0 && *p == key.1);
    let Some((_, _, handler)) = route else {
        return (
            StatusCode::NOT_FOUND,
            json!({"message": format!("mock has no route {} {}", key.0, key.1)}).to_string(),
        )
            .into_response();
    };
    let nth = {
        let mut hits = state.hits.lock().unwrap();
        let n = hits.entry(key).or_insert(0);
        *n += 1;
        *n - 1
    };
    let r = handler(nth, &seen);
    if !r.delay.is_zero() {
        tokio::time::sleep(r.delay).await;
    }
    let mut resp = (StatusCode::from_u16(r.status).unwrap(), r.body).into_response();
    resp.headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    for (k, v) in r.headers {
        resp.headers_mut().append(k, v.parse().unwrap());
    }
    resp
}

impl Mock {
    fn start(routes: Vec<(&str, &str, Handler)>) -> Mock {
        let cert = rcgen::generate_simple_self_signed(vec![
            "127.0.0.1".to_string(),
            "localhost".to_string(),
        ])
        .unwrap();
        let pem = cert.cert.pem();
        Mock::start_tls(&pem, &cert.key_pair.serialize_pem(), &pem, routes)
    }

    /// A mock serving `cert_pem` (with `key_pem`), whose `cafile` holds `cafile_pem`.
    fn start_tls(
        cert_pem: &str,
        key_pem: &str,
        cafile_pem: &str,
        routes: Vec<(&str, &str, Handler)>,
    ) -> Mock {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let cafile = dir.path().join("ca.pem");
        std::fs::write(&cafile, cafile_pem).unwrap();
        let seen = Arc::new(Mutex::new(vec![]));
        let state = MockState {
            routes: Arc::new(
                routes
                    .into_iter()
                    .map(|(m, p, h)| (m.to_string(), p.to_string(), h))
                    .collect(),
            ),
            hits: Arc::default(),
            seen: seen.clone(),
        };
        let app = axum::Router::new().fallback(dispatch).with_state(state);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (cert_pem, key_pem) = (cert_pem.to_string(), key_pem.to_string());
        runtime.spawn(async move {
            let config = axum_server::tls_rustls::RustlsConfig::from_pem(
                cert_pem.into_bytes(),
                key_pem.into_bytes(),
            )
            .await
            .unwrap();
            axum_server::from_tcp_rustls(listener, config)
                .unwrap()
                .serve(app.into_make_service())
                .await
                .unwrap();
        });
        Mock {
            addr,
            cafile,
            seen,
            _dir: dir,
            _runtime: runtime,
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// API-key settings for this mock, trusting its certificate, with quick retries.
    fn settings(&self) -> Settings {
        let mut s = Settings::api_key("127.0.0.1", self.addr.port(), KEY_ID, Secret::new(SECRET));
        s.org = Some("Test Organization".into());
        s.verify = Verify::CaFile(self.cafile.clone());
        s.retry = RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(20),
        };
        s
    }
}

fn fixed(status: u16, body: Value) -> Handler {
    Arc::new(move |_, _| reply(status, body.clone()))
}

fn session_body() -> Value {
    json!({
        "api_key_handle": 7,
        "orgs": [
            {"id": 201, "name": "Other Mock Org", "enabled": true},
            {"id": 202, "name": "Test Organization", "uuid": "aaaa-bbbb", "enabled": true},
        ]
    })
}

fn session_route() -> (&'static str, &'static str, Handler) {
    ("GET", "/rest/session", fixed(200, session_body()))
}

fn const_route(version: &str) -> (&'static str, &'static str, Handler) {
    let v = version.to_string();
    (
        "GET",
        "/rest/const",
        Arc::new(move |_, _| reply(200, json!({"server_version": {"version": v.clone()}}))),
    )
}

fn assert_no_secret(e: &SoarError) {
    let all = format!("{e}\n{e:?}\n{}", e.help().unwrap_or_default());
    for secret in [SECRET, PASSWORD] {
        assert!(!all.contains(secret), "secret leaked: {all}");
    }
}

#[test]
fn api_key_goes_as_basic_auth_on_every_call() {
    let mock = Mock::start(vec![
        session_route(),
        const_route("51.0.0.0.9340"),
        (
            "GET",
            "/rest/orgs/202/functions",
            fixed(200, json!({"entities": [{"name": "f1"}, {"name": "f2"}]})),
        ),
        (
            "POST",
            "/rest/orgs/202/configurations/exports/",
            fixed(200, json!({"export_format_version": 2, "functions": []})),
        ),
    ]);
    let client = Client::connect(mock.settings()).unwrap();
    assert_eq!(client.org().id.0, 202);
    assert_eq!(client.org().uuid.as_deref(), Some("aaaa-bbbb"));
    let functions = client.list(Kind::Function).unwrap();
    assert_eq!(functions.len(), 2);
    let export = client.export(&ExportOptions::default()).unwrap();
    assert_eq!(export["export_format_version"], 2);

    let seen = mock.seen();
    let expected = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{KEY_ID}:{SECRET}")
        )
    );
    assert_eq!(seen.len(), 4, "{seen:#?}");
    for s in &seen {
        assert_eq!(s.header("authorization"), Some(expected.as_str()), "{s:?}");
        assert_eq!(s.header("cookie"), None, "{s:?}");
    }
    assert_eq!(seen[0].uri, "/rest/session?include_permissions=false");
    assert_eq!(seen[1].uri, "/rest/orgs/202/functions?handle_format=names");
    assert_eq!(seen[2].uri, "/rest/const");
    // v51 has playbooks, so the export asks for them.
    assert_eq!(
        seen[3].json(),
        json!({"layouts": true, "actions": true, "phases_and_tasks": true, "playbooks": true})
    );
    assert_eq!(client.calls(), 4);
}

#[test]
fn export_leaves_out_playbooks_before_v44() {
    let mock = Mock::start(vec![
        session_route(),
        const_route("41.0.6783"),
        (
            "POST",
            "/rest/orgs/202/configurations/exports/",
            fixed(200, json!({"export_format_version": 2})),
        ),
    ]);
    let client = Client::connect(mock.settings()).unwrap();
    client.export(&ExportOptions::default()).unwrap();
    assert_eq!(client.server_version().unwrap().major, 41);
    let seen = mock.seen();
    assert_eq!(
        seen.last().unwrap().json(),
        json!({"layouts": true, "actions": true, "phases_and_tasks": true})
    );
    // The version is asked once per client.
    assert_eq!(seen.iter().filter(|s| s.uri == "/rest/const").count(), 1);
}

#[test]
fn password_login_keeps_the_cookie_and_sends_the_csrf_token() {
    let login: Handler = Arc::new(|_, _| {
        let mut r = reply(
            200,
            json!({"csrf_token": "csrf-123", "user_id": 4, "orgs": [
                {"id": 202, "name": "Test Organization", "enabled": true}]}),
        );
        r.headers.push((
            "set-cookie",
            "JSESSIONID=sess-abc; Path=/; Secure; HttpOnly".into(),
        ));
        r
    });
    let mock = Mock::start(vec![
        ("POST", "/rest/session", login),
        (
            "GET",
            "/rest/orgs/202/workflows",
            fixed(200, json!({"entities": []})),
        ),
    ]);
    let mut settings = mock.settings();
    settings.auth = Auth::Password {
        email: "admin@example.com".into(),
        password: Secret::new(PASSWORD),
    };
    let client = Client::connect(settings).unwrap();
    client.list(Kind::Workflow).unwrap();
    assert_eq!(
        client.principal(),
        Some(&respack::soar::Principal::User(json!(4)))
    );

    let seen = mock.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(
        seen[0].json(),
        json!({"email": "admin@example.com", "password": PASSWORD})
    );
    assert_eq!(seen[0].header("authorization"), None);
    assert_eq!(seen[1].header("cookie"), Some("JSESSIONID=sess-abc"));
    assert_eq!(seen[1].header("x-sess-id"), Some("csrf-123"));
    assert_eq!(seen[1].header("authorization"), None);
}

#[test]
fn org_is_found_by_uuid_and_an_unknown_org_lists_the_names() {
    let mock = Mock::start(vec![session_route()]);
    let mut s = mock.settings();
    s.org = Some("aaaa-bbbb".into());
    assert_eq!(Client::connect(s).unwrap().org().name, "Test Organization");

    let mut s = mock.settings();
    s.org = Some("Nope".into());
    let e = Client::connect(s).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("\"Nope\""), "{text}");
    assert!(text.contains("Other Mock Org, Test Organization"), "{text}");
    assert!(e.help().unwrap().contains("org"), "{:?}", e.help());
}

#[test]
fn get_is_retried_on_503_but_the_import_post_and_put_are_not() {
    let flaky: Handler = Arc::new(|nth, _| {
        if nth < 2 {
            reply(503, json!({"message": "busy"}))
        } else {
            reply(200, json!({"entities": [{"name": "r"}]}))
        }
    });
    let mock = Mock::start(vec![
        session_route(),
        ("GET", "/rest/orgs/202/actions", flaky),
        (
            "POST",
            "/rest/orgs/202/configurations/imports",
            fixed(503, json!({"message": "busy"})),
        ),
        (
            "PUT",
            "/rest/orgs/202/configurations/imports/5",
            fixed(503, json!({"message": "busy"})),
        ),
    ]);
    let client = Client::connect(mock.settings()).unwrap();
    assert_eq!(client.list(Kind::Rule).unwrap().len(), 1);
    assert_eq!(client.calls(), 1 + 3);

    let e = client.import_start(&json!({"functions": []})).unwrap_err();
    assert_eq!(e.status(), Some(503));
    assert!(e.to_string().contains("busy"), "{e}");

    let dto = respack::soar::ImportDto {
        id: respack::soar::ImportId(5),
        status: "PENDING".into(),
        messages: vec![],
        raw: json!({"id": 5, "status": "PENDING"}),
    };
    assert!(client.import_finish(&dto, ImportDecision::Accept).is_err());

    let seen = mock.seen();
    let count = |m: &str, p: &str| {
        seen.iter()
            .filter(|s| s.method == m && s.uri.starts_with(p))
            .count()
    };
    assert_eq!(count("GET", "/rest/orgs/202/actions"), 3);
    assert_eq!(count("POST", "/rest/orgs/202/configurations/imports"), 1);
    assert_eq!(count("PUT", "/rest/orgs/202/configurations/imports/5"), 1);
    assert_eq!(client.calls(), seen.len() as u64);
}

#[test]
fn retries_stop_after_the_configured_number() {
    let mock = Mock::start(vec![
        session_route(),
        (
            "GET",
            "/rest/orgs/202/functions",
            fixed(502, json!({"message": "gateway down"})),
        ),
    ]);
    let client = Client::connect(mock.settings()).unwrap();
    let e = client.list(Kind::Function).unwrap_err();
    assert_eq!(e.status(), Some(502));
    assert!(e.to_string().contains("gateway down"), "{e}");
    // One try and two retries.
    assert_eq!(client.calls(), 1 + 3);
}

#[test]
fn a_retried_delete_that_finds_nothing_succeeded_the_first_time() {
    let gone: Handler = Arc::new(|nth, _| {
        if nth == 0 {
            reply(503, json!({}))
        } else {
            reply(404, json!({"message": "not found"}))
        }
    });
    let mock = Mock::start(vec![
        session_route(),
        ("DELETE", "/rest/orgs/202/workflows/wf_x", gone),
        (
            "DELETE",
            "/rest/orgs/202/functions/fn_y",
            fixed(404, json!({"message": "no such function"})),
        ),
    ]);
    let client = Client::connect(mock.settings()).unwrap();
    client.delete(Kind::Workflow, "wf_x").unwrap();
    let e = client.delete(Kind::Function, "fn_y").unwrap_err();
    assert_eq!(e.status(), Some(404));
}

#[test]
fn unauthorized_names_the_credentials_and_shows_no_secret() {
    // A server that echoes what it was sent must not make the client print the secret.
    let echo: Handler = Arc::new(|_, seen| {
        reply(
            401,
            json!({"message": format!("bad credentials {}", seen.header("authorization").unwrap_or(""))}),
        )
    });
    let mock = Mock::start(vec![("GET", "/rest/session", echo)]);
    let mut s = mock.settings();
    s.config_file = Some("/etc/soar/app.config".into());
    let e = Client::connect(s).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("401"), "{text}");
    assert!(text.contains("Unauthorized"), "{text}");
    assert!(text.contains("bad credentials"), "{text}");
    assert!(text.contains("/rest/session"), "{text}");
    let help = e.help().unwrap();
    assert!(help.contains("api_key_id/api_key_secret"), "{help}");
    assert!(help.contains("/etc/soar/app.config"), "{help}");
    assert_no_secret(&e);
    let basic = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("{KEY_ID}:{SECRET}"),
    );
    assert!(!format!("{e} {e:?}").contains(&basic), "{e:?}");
    // Nor in the settings or the client.
    assert!(!format!("{:?}", mock.settings()).contains(SECRET));
}

#[test]
fn password_echoed_by_the_server_is_hidden() {
    let echo: Handler =
        Arc::new(|_, seen| reply(401, json!({"message": format!("rejected {}", seen.body)})));
    let mock = Mock::start(vec![("POST", "/rest/session", echo)]);
    let mut s = mock.settings();
    s.auth = Auth::Password {
        email: "admin@example.com".into(),
        password: Secret::new(PASSWORD),
    };
    let e = Client::connect(s).unwrap_err();
    assert!(
        e.help().unwrap().contains("email/password"),
        "{:?}",
        e.help()
    );
    assert_no_secret(&e);
}

#[test]
fn forbidden_points_at_the_keys_permissions() {
    let mock = Mock::start(vec![
        session_route(),
        (
            "POST",
            "/rest/orgs/202/configurations/exports/",
            fixed(
                403,
                json!({"title": "Forbidden", "message": "no export permission"}),
            ),
        ),
    ]);
    let client = Client::connect(mock.settings()).unwrap();
    let e = client
        .export(&ExportOptions {
            playbooks: Some(false),
            ..Default::default()
        })
        .unwrap_err();
    assert!(e.to_string().contains("no export permission"), "{e}");
    assert!(e.help().unwrap().contains("permission"), "{:?}", e.help());
}

#[test]
fn a_slow_server_is_reported_as_a_timeout() {
    let slow: Handler = Arc::new(|_, _| Reply {
        delay: Duration::from_secs(5),
        ..reply(200, session_body())
    });
    let mock = Mock::start(vec![("GET", "/rest/session", slow)]);
    let mut s = mock.settings();
    s.timeouts.read = Duration::from_millis(200);
    let e = Client::connect(s).unwrap_err();
    assert!(
        matches!(
            e,
            SoarError::Transport {
                kind: TransportKind::Timeout,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.help().unwrap().contains("timeout"), "{:?}", e.help());
    // A slow server is not asked again.
    assert_eq!(mock.seen().len(), 1);
}

#[test]
fn an_untrusted_certificate_fails_unless_cafile_is_false() {
    let mock = Mock::start(vec![session_route()]);
    let mut s = mock.settings();
    s.verify = Verify::System;
    let e = Client::connect(s).unwrap_err();
    assert!(
        matches!(
            e,
            SoarError::Transport {
                kind: TransportKind::Tls,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.help().unwrap().contains("cafile"), "{:?}", e.help());
    // TLS failures are not retried: the certificate will not change.
    assert_eq!(mock.seen().len(), 0);

    let mut s = mock.settings();
    s.verify = Verify::Off;
    assert!(s.warnings()[0].contains("verification is off"));
    Client::connect(s).unwrap();
}

#[test]
fn a_closed_port_names_host_and_port() {
    let (_closed, port) = crate::util::closed_port();
    let mut s = Settings::api_key("127.0.0.1", port, KEY_ID, Secret::new(SECRET));
    s.org = Some("x".into());
    s.retry = RetryPolicy {
        max_retries: 1,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(1),
    };
    let e = Client::connect(s).unwrap_err();
    assert!(
        matches!(
            e,
            SoarError::Transport {
                kind: TransportKind::Connect,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains(&format!("127.0.0.1:{port}")), "{e}");
    assert!(
        e.help().unwrap().contains("host and port"),
        "{:?}",
        e.help()
    );
    assert_no_secret(&e);
}

#[test]
fn import_is_two_phase_with_the_same_dto() {
    let dto = json!({
        "id": 77,
        "status": "PENDING",
        "messages": [{"type": "INFO", "text": "function fn_a will be created"}],
        "extra": {"kept": [1, 2]}
    });
    let pending = dto.clone();
    let mock = Mock::start(vec![
        session_route(),
        (
            "POST",
            "/rest/orgs/202/configurations/imports",
            Arc::new(move |_, _| reply(200, pending.clone())),
        ),
        (
            "PUT",
            "/rest/orgs/202/configurations/imports/77",
            Arc::new(|_, seen| reply(200, seen.json())),
        ),
    ]);
    let client = Client::connect(mock.settings()).unwrap();
    let res = json!({"export_format_version": 2, "functions": [{"name": "fn_a"}]});
    let started = client.import_start(&res).unwrap();
    assert_eq!(started.id.0, 77);
    assert_eq!(
        started.messages[0].to_string(),
        "INFO: function fn_a will be created"
    );
    let done = client
        .import_finish(&started, ImportDecision::Reject)
        .unwrap();

    let seen = mock.seen();
    assert_eq!(seen[1].json(), res, "the .res is the POST body");
    let mut expected = dto;
    expected["status"] = json!("REJECTED");
    assert_eq!(seen[2].json(), expected, "the PUT sends the DTO back");
    assert_eq!(done["status"], "REJECTED");
}

#[test]
fn an_import_that_is_not_pending_is_an_error_with_its_messages() {
    let mock = Mock::start(vec![
        session_route(),
        (
            "POST",
            "/rest/orgs/202/configurations/imports",
            fixed(
                200,
                json!({"id": 3, "status": "FAILED", "messages": [{"type": "ERROR", "text": "bad workflow"}]}),
            ),
        ),
    ]);
    let client = Client::connect(mock.settings()).unwrap();
    let e = client.import_start(&json!({})).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("FAILED"), "{text}");
    assert!(text.contains("ERROR: bad workflow"), "{text}");
}

#[test]
fn types_fields_tables_and_tasks_use_their_endpoints() {
    let mock = Mock::start(vec![
        session_route(),
        (
            "GET",
            "/rest/orgs/202/types",
            fixed(
                200,
                json!({"incident": {"type_id": 0}, "mitre_attack_of_artifact": {"type_id": 8}}),
            ),
        ),
        (
            "GET",
            "/rest/orgs/202/types/__function/fields",
            fixed(200, json!([{"name": "qradar_id"}])),
        ),
        (
            "DELETE",
            "/rest/orgs/202/types/mitre_attack_of_artifact",
            fixed(204, Value::Null),
        ),
        (
            "POST",
            "/rest/orgs/202/incidents/9/table_data/mitre_attack_of_artifact/row_data",
            Arc::new(|_, seen| reply(200, json!({"id": 1, "cells": seen.json()["cells"].clone()}))),
        ),
        (
            "GET",
            "/rest/orgs/202/incidents/9/table_data/mitre_attack_of_artifact",
            fixed(200, json!({"id": 1000, "rows": [{"id": 1}]})),
        ),
        (
            "GET",
            "/rest/orgs/202/incidents/9/tasks",
            fixed(200, json!([{"id": 2}])),
        ),
        (
            "GET",
            "/rest/orgs/202/functions/fn%20x",
            fixed(200, json!({"name": "fn x"})),
        ),
    ]);
    let client = Client::connect(mock.settings()).unwrap();
    let types = client.types().unwrap();
    assert!(types.contains_key("mitre_attack_of_artifact"));
    assert_eq!(client.fields("__function").unwrap()[0]["name"], "qradar_id");
    client.delete_type("mitre_attack_of_artifact").unwrap();
    let inc = respack::soar::IncidentId(9);
    let mut cells = serde_json::Map::new();
    cells.insert("artifact".into(), json!("1.2.3.4"));
    let row = client
        .add_table_row(inc, "mitre_attack_of_artifact", &cells)
        .unwrap();
    assert_eq!(row["cells"], json!({"artifact": {"value": "1.2.3.4"}}));
    assert_eq!(
        client
            .table_rows(inc, "mitre_attack_of_artifact")
            .unwrap()
            .len(),
        1
    );
    assert_eq!(client.tasks(inc).unwrap().len(), 1);
    assert_eq!(client.get(Kind::Function, "fn x").unwrap()["name"], "fn x");
    assert_eq!(client.calls(), mock.seen().len() as u64);
}

#[test]
fn a_non_json_answer_is_a_clear_error() {
    let html: Handler = Arc::new(|_, _| Reply {
        status: 200,
        headers: vec![],
        body: "<html>login page</html>".into(),
        delay: Duration::ZERO,
    });
    let mock = Mock::start(vec![("GET", "/rest/session", html)]);
    let e = Client::connect(mock.settings()).unwrap_err();
    assert!(e.to_string().contains("not JSON"), "{e}");
    assert!(e.to_string().contains("login page"), "{e}");
}

/// A minimal HTTP CONNECT proxy on 127.0.0.1: records each CONNECT request head, then relays
/// bytes both ways.
fn connect_proxy() -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let heads = Arc::new(Mutex::new(vec![]));
    let log = heads.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { return };
            let log = log.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(client.try_clone().unwrap());
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    head.push_str(&line);
                }
                log.lock().unwrap().push(head.clone());
                let target = head.split_whitespace().nth(1).unwrap_or("").to_string();
                let Ok(upstream) = std::net::TcpStream::connect(&target) else {
                    return;
                };
                let mut c = client;
                c.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .unwrap();
                let (mut up_r, mut up_w) = (upstream.try_clone().unwrap(), upstream);
                let mut c_w = c.try_clone().unwrap();
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut up_r, &mut c_w);
                });
                let _ = std::io::copy(&mut reader, &mut up_w);
            });
        }
    });
    (addr, heads)
}

#[test]
fn calls_go_through_the_configured_proxy_with_its_credentials() {
    let mock = Mock::start(vec![session_route()]);
    let (proxy_addr, heads) = connect_proxy();
    let mut s = mock.settings();
    s.proxy = Some(respack::soar::Proxy {
        address: proxy_addr.to_string(),
        user: Some("proxy-user".into()),
        password: Some(Secret::new("proxy-pass")),
    });
    let client = Client::connect(s).unwrap();
    assert_eq!(client.org().id.0, 202);
    let heads = heads.lock().unwrap().clone();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(
        heads[0].starts_with(&format!("CONNECT 127.0.0.1:{} ", mock.addr.port())),
        "{heads:?}"
    );
    let basic = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        "proxy-user:proxy-pass",
    );
    assert!(
        heads[0].to_ascii_lowercase().contains(&format!(
            "proxy-authorization: basic {}",
            basic.to_ascii_lowercase()
        )),
        "proxy credentials: {heads:?}"
    );
}

#[test]
fn an_unreachable_proxy_is_named_and_its_password_hidden() {
    let (_closed, port) = crate::util::closed_port();
    let mock = Mock::start(vec![session_route()]);
    let mut s = mock.settings();
    s.retry.max_retries = 0;
    s.proxy = Some(respack::soar::Proxy {
        address: format!("127.0.0.1:{port}"),
        user: Some("u".into()),
        password: Some(Secret::new("proxy-pass-hidden")),
    });
    let e = Client::connect(s).unwrap_err();
    let all = format!("{e} {e:?} {}", e.help().unwrap_or_default());
    assert!(all.contains("proxy"), "{all}");
    assert!(!all.contains("proxy-pass-hidden"), "{all}");
    assert!(mock.seen().is_empty());
}

// ---- TLS as admins have it --------------------------------------------------------------------

/// A self-signed certificate as `openssl req -x509` makes it: `CA:TRUE`, its own issuer.
fn openssl_style_self_signed(names: &[&str], not_after: Option<(i32, u8, u8)>) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, names[0]);
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    if let Some((y, m, d)) = not_after {
        params.not_before = rcgen::date_time_ymd(y - 1, m, d);
        params.not_after = rcgen::date_time_ymd(y, m, d);
    }
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn transport_kind(e: &SoarError) -> Option<TransportKind> {
    match e {
        SoarError::Transport { kind, .. } => Some(*kind),
        _ => None,
    }
}

#[test]
fn a_self_signed_ca_true_certificate_in_cafile_was_refused_as_ca_used_as_end_entity() {
    let (cert, key) = openssl_style_self_signed(&["127.0.0.1", "localhost"], None);
    let mock = Mock::start_tls(&cert, &key, &cert, vec![session_route()]);
    let client = Client::connect(mock.settings()).unwrap();
    assert_eq!(client.org().id.0, 202);
    assert_eq!(mock.seen().len(), 1);
}

#[test]
fn a_certificate_of_another_ca_is_refused_and_the_help_names_cafile() {
    let (cert, key) = openssl_style_self_signed(&["127.0.0.1"], None);
    let (other, _) = openssl_style_self_signed(&["127.0.0.1"], None);
    let mock = Mock::start_tls(&cert, &key, &other, vec![session_route()]);
    let e = Client::connect(mock.settings()).unwrap_err();
    assert_eq!(transport_kind(&e), Some(TransportKind::Tls), "{e:?}");
    let help = e.help().unwrap();
    assert!(help.contains("check cafile"), "{help}");
    assert!(mock.seen().is_empty());
}

#[test]
fn a_certificate_for_another_host_name_is_refused_and_the_help_names_the_host() {
    // The certificate is the one in cafile (trusted), but made for another name.
    let (cert, key) = openssl_style_self_signed(&["soar.example.com"], None);
    let mock = Mock::start_tls(&cert, &key, &cert, vec![session_route()]);
    let e = Client::connect(mock.settings()).unwrap_err();
    assert_eq!(
        transport_kind(&e),
        Some(TransportKind::CertificateName),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("not valid for this host name"),
        "{e}"
    );
    let help = e.help().unwrap();
    assert!(help.contains("host name 127.0.0.1"), "{help}");
    assert!(help.contains("RESPACK_HOST"), "{help}");
    assert!(help.contains("not the cause"), "{help}");
    assert!(mock.seen().is_empty());
}

#[test]
fn an_expired_certificate_is_refused_and_the_help_names_expiry() {
    for (names, label) in [
        (vec!["127.0.0.1"], "right name"),
        (vec!["soar.example.com"], "wrong name too"),
    ] {
        let (cert, key) = openssl_style_self_signed(&names, Some((2020, 1, 1)));
        let mock = Mock::start_tls(&cert, &key, &cert, vec![session_route()]);
        let e = Client::connect(mock.settings()).unwrap_err();
        assert_eq!(
            transport_kind(&e),
            Some(TransportKind::CertificateExpired),
            "{label}: {e:?}"
        );
        let help = e.help().unwrap();
        assert!(help.contains("has expired"), "{label}: {help}");
        assert!(help.contains("not the cause"), "{label}: {help}");
        assert!(mock.seen().is_empty());
    }
}
