//! `respack serve` under abuse (issue 7 §5) and its startup checks: what an unauthenticated
//! client can make it hold (bodies, the emulated QRadar's request log, half-open connections),
//! expiry of sessions and pending imports (on a hand-moved clock, never by waiting), secrets
//! kept only hashed, loopback by default, and starts that fail leave nothing behind and say why.
//! Also the normalisation of rule handles written back over REST (§8).
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use respack::emulate::{EmulatedServer, Scenario, LOGGED_PATH_MAX, REQUEST_LOG_LEN};
use respack::server::{self, Clock, Options, ServerError};
use serde_json::json;

use crate::serve::{agent, basic, exchange as exchange_http, send, tiny_res, Org};
use respack::http;

/// A client for the emulated QRadar's plain-HTTP port, retrying nothing.
fn plain_client() -> http::Client {
    let mut config = http::Config::new(respack::tls::Verify::Off);
    config.retry = http::RetryPolicy::none();
    http::Client::new(config).expect("an HTTP client")
}

/// The status of a GET.
fn get_status(client: &http::Client, url: &str) -> u16 {
    let req = http::Request::new(http::Method::GET, url.parse().expect("a URL"));
    client
        .send(&req)
        .unwrap_or_else(|e| panic!("transport error: {e}"))
        .status
        .as_u16()
}
use crate::util::respack;

/// An org started with `opts` adjusted by `adjust`, and a client for it.
fn org_with(adjust: impl FnOnce(&mut Options)) -> Org {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = Options::new(dir.path().join("org.db"));
    adjust(&mut opts);
    let server = server::start(opts).expect("start the org");
    Org {
        agent: agent(server.ca_pem_path()),
        auth: basic(&server.api_key().id, &server.api_key().secret),
        server,
        _dir: Some(dir),
    }
}

/// A TLS connection to the org that trusts only its CA, for requests an HTTP client cannot make
/// (a declared body that is never sent, headers that never end).
fn tls_stream(org: &Org) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    use rustls::pki_types::pem::PemObject as _;
    let pem = std::fs::read(org.server.ca_pem_path()).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(cfg), name).unwrap();
    let tcp = TcpStream::connect(org.server.addr()).unwrap();
    // A guard against a test hanging forever, not a measurement.
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    rustls::StreamOwned::new(conn, tcp)
}

/// Send `head` (and nothing more) and read what comes back until the server closes.
fn exchange(org: &Org, head: &str) -> String {
    let mut s = tls_stream(org);
    s.write_all(head.as_bytes()).unwrap();
    s.flush().unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn unauthenticated_body_over_64_kib_is_refused_with_413_before_it_is_read() {
    let org = org_with(|o| o.limits.header_timeout = Duration::from_millis(300));
    // 20 MB declared, none sent: refused without the body (a client still sending gets the
    // header timeout to finish; this one sends nothing, so the answer follows it).
    let answer = exchange(
        &org,
        "POST /rest/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: 20971520\r\nConnection: close\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("at most 65536 bytes"), "{answer}");

    // A client that sends all 20 MB before reading (as urllib does) gets the 413 too.
    let patient = Org::start();
    let refused = exchange_http(
        patient
            .agent
            .post(&patient.url("/rest/session"))
            .header("Content-Type", "application/json"),
        Some(" ".repeat(20 << 20)),
    );
    assert_eq!(
        refused.status.as_u16(),
        413,
        "a 20 MB login body got {}",
        refused.status
    );

    // A chunked body has no declared length: it is cut off at the limit.
    let big = format!("{{\"email\": \"{}\"}}", "x".repeat(70 * 1024));
    let chunked = format!(
        "POST /rest/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{big}\r\n0\r\n\r\n",
        big.len()
    );
    let answer = exchange(&org, &chunked);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // Wrong credentials are no credentials.
    let wrong = basic(&org.server.api_key().id, "not-the-secret");
    let answer = exchange(
        &org,
        &format!(
            "POST /rest/orgs/{}/configurations/imports HTTP/1.1\r\nHost: x\r\n\
             Authorization: {wrong}\r\nContent-Length: 1048576\r\nConnection: close\r\n\r\n",
            org.server.org_id()
        ),
    );
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // A small login still works, and an authenticated caller may send more than 64 KiB.
    let (email, password) = org.server.login();
    let login = org.call_as(
        None,
        "POST",
        "/rest/session",
        Some(&json!({"email": email, "password": password})),
    );
    assert_eq!(login.status, 200, "{}", login.body);
    let mut res = tiny_res();
    res["padding"] = json!("x".repeat(100 * 1024));
    let pending = org.call(
        "POST",
        "/rest/orgs/{org}/configurations/imports",
        Some(&res),
    );
    assert_eq!(pending.status, 200, "{}", pending.body);
}

#[test]
fn emulated_qradar_request_log_is_bounded() {
    let server = EmulatedServer::start(Scenario::builtin()).unwrap();
    let client = plain_client();
    let q = "x".repeat(8 * 1024);
    let extra = 25;
    for i in 0..REQUEST_LOG_LEN + extra {
        let url = format!("{}/api/reference_data/sets?x={q}&n={i}", server.base_url());
        let status = get_status(&client, &url);
        assert_eq!(status, 401, "request {i}");
    }
    let log = server.state().requests();
    assert_eq!(log.len(), REQUEST_LOG_LEN);
    assert!(
        log.iter().all(|r| r.path.len() <= LOGGED_PATH_MAX + 3),
        "a logged path was kept whole"
    );
    // The newest are kept: the oldest left is the one after the `extra` dropped ones.
    let first = &log[0];
    assert!(first.path.starts_with("/api/reference_data/sets?x=xxx"));
    assert_eq!(first.status, 401);
    let status = get_status(
        &client,
        &format!("{}/api/reference_data/sets?last=1", server.base_url()),
    );
    assert_eq!(status, 401);
    assert_eq!(
        server.state().requests().last().unwrap().path,
        "/api/reference_data/sets?last=1"
    );
}

#[test]
fn connections_that_never_finish_their_headers_are_closed() {
    let org = org_with(|o| o.limits.header_timeout = Duration::from_millis(300));
    // Headers begun, never ended: the server closes the connection (read ends, no answer).
    let mut s = tls_stream(&org);
    s.write_all(b"GET /rest/const HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    s.flush().unwrap();
    let mut buf = Vec::new();
    let read = s.read_to_end(&mut buf);
    assert!(
        !matches!(&read, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut),
        "the half-open connection was held: {read:?}"
    );
    assert!(
        !String::from_utf8_lossy(&buf).contains("200 OK"),
        "{}",
        String::from_utf8_lossy(&buf)
    );

    // A TCP connection that never starts TLS is closed too.
    let mut raw = TcpStream::connect(org.server.addr()).unwrap();
    raw.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut one = [0u8; 1];
    let got = raw.read(&mut one);
    assert!(
        matches!(got, Ok(0))
            || matches!(&got, Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset),
        "a connection without a TLS handshake was held: {got:?}"
    );

    // Real clients are still served.
    org.expect(200, "GET", "/rest/const", None);
}

#[test]
fn serve_binary_takes_a_small_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("app.config");
    let mut child = Serve::spawn(&[
        "--db",
        dir.path().join("org.db").to_str().unwrap(),
        "--write-config",
        cfg.to_str().unwrap(),
        "--header-timeout-ms",
        "200",
    ]);
    let port = child.port();
    let mut raw = TcpStream::connect(("127.0.0.1", port)).unwrap();
    raw.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut one = [0u8; 1];
    let got = raw.read(&mut one);
    child.stop();
    assert!(
        matches!(got, Ok(0))
            || matches!(&got, Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset),
        "the idle connection was held: {got:?}"
    );
}

#[test]
fn pending_imports_expire_and_drop_their_res() {
    let clock = Clock::manual(1_700_000_000_000);
    let org = org_with(|o| o.clock = clock.clone());
    let import = |org: &Org| {
        let a = org.call(
            "POST",
            "/rest/orgs/{org}/configurations/imports",
            Some(&tiny_res()),
        );
        assert_eq!(a.status, 200, "{}", a.body);
        a.body["id"].as_i64().unwrap()
    };
    let old = import(&org);
    clock.advance(Duration::from_secs(14 * 60));
    let recent = import(&org);
    clock.advance(Duration::from_secs(2 * 60));

    // 16 minutes: the first is EXPIRED and cannot be accepted; the second (2 min) still can.
    let path = |id: i64| format!("/rest/orgs/{{org}}/configurations/imports/{id}");
    let got = org.expect(200, "GET", &path(old), None);
    assert_eq!(got["status"], "EXPIRED", "{got}");
    let put = org.call("PUT", &path(old), Some(&json!({"status": "ACCEPTED"})));
    assert_eq!(put.status, 409, "{}", put.body);
    assert!(
        put.body["message"].as_str().unwrap().contains("expired"),
        "{}",
        put.body
    );
    let db = org.server.ca_pem_path().with_file_name("org.db");
    let res: Option<String> = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("SELECT res FROM imports WHERE id = ?1", [old], |r| r.get(0))
        .unwrap();
    assert_eq!(res, None, "an expired import kept its .res");
    let accepted = org.expect(
        200,
        "PUT",
        &path(recent),
        Some(&json!({"status": "ACCEPTED"})),
    );
    assert_eq!(accepted["status"], "ACCEPTED");
}

#[test]
fn sessions_expire_after_an_hour_unused() {
    let clock = Clock::manual(1_700_000_000_000);
    let org = org_with(|o| o.clock = clock.clone());
    let (email, password) = org.server.login();
    let login = org.call_as(
        None,
        "POST",
        "/rest/session",
        Some(&json!({"email": email, "password": password})),
    );
    assert_eq!(login.status, 200, "{}", login.body);
    let csrf = login.body["csrf_token"].as_str().unwrap().to_string();
    let cookie = login.set_cookie.unwrap();
    let jsession = cookie.split(';').next().unwrap().to_string();
    let session = || {
        send(
            org.agent
                .get(&org.url("/rest/session"))
                .header("Cookie", &jsession)
                .header("X-sess-id", &csrf),
            None,
        )
    };
    assert_eq!(session().status, 200);
    assert_eq!(session().body["csrf_token"], csrf.as_str());
    // Use keeps it alive: 59 minutes, then 59 more.
    clock.advance(Duration::from_secs(59 * 60));
    assert_eq!(session().status, 200);
    clock.advance(Duration::from_secs(59 * 60));
    assert_eq!(session().status, 200);
    clock.advance(Duration::from_secs(61 * 60));
    let gone = session();
    assert_eq!(gone.status, 401, "{}", gone.body);
}

#[test]
fn the_database_holds_no_plaintext_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("org.db");
    let cfg = dir.path().join("app.config");
    let mut opts = Options::new(&db);
    opts.write_config = Some(cfg.clone());
    let server = server::start(opts).unwrap();
    let org = Org {
        agent: agent(server.ca_pem_path()),
        auth: basic(&server.api_key().id, &server.api_key().secret),
        server,
        _dir: None,
    };
    let (email, password) = org.server.login();
    let (email, password) = (email.to_string(), password.to_string());
    let login = org.call_as(
        None,
        "POST",
        "/rest/session",
        Some(&json!({"email": email, "password": password})),
    );
    assert_eq!(login.status, 200, "{}", login.body);
    let cookie = login.set_cookie.unwrap();
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("JSESSIONID=")
        .to_string();
    let csrf = login.body["csrf_token"].as_str().unwrap().to_string();
    let secret = org.server.api_key().secret.clone();
    let config = std::fs::read_to_string(&cfg).unwrap();
    assert!(config.contains(&format!("api_key_secret={secret}")));
    assert!(config.contains(&format!("#password={password}")));
    org.server.shutdown();

    let bytes = std::fs::read(&db).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    for (what, value) in [
        ("API key secret", &secret),
        ("admin password", &password),
        ("session token", &token),
        ("csrf token", &csrf),
    ] {
        assert!(value.len() >= 16, "{what} too short to search for: {value}");
        assert!(
            !text.contains(value.as_str()),
            "the database holds the {what}"
        );
    }
    // The schema has no column for them either.
    let conn = rusqlite::Connection::open(&db).unwrap();
    for (table, column) in [
        ("api_keys", "secret"),
        ("users", "password"),
        ("sessions", "token"),
    ] {
        let n: i64 = conn
            .query_row(
                &format!("SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = ?1"),
                [column],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 0, "{table}.{column} exists");
    }
}

#[test]
fn a_restart_issues_a_new_key_and_keeps_the_last_five() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("org.db");
    let mut keys = Vec::new();
    for _ in 0..7 {
        let server = server::start(Options::new(&db)).unwrap();
        keys.push(server.api_key().clone());
        server.shutdown();
    }
    let org = Org::on(&db);
    keys.push(org.server.api_key().clone());
    let works = |k: &respack::server::ApiKey| {
        org.call_as(Some(&basic(&k.id, &k.secret)), "GET", "/rest/session", None)
            .status
    };
    let statuses: Vec<u16> = keys.iter().map(works).collect();
    assert_eq!(statuses, [401, 401, 401, 200, 200, 200, 200, 200]);
}

#[test]
fn non_loopback_listen_is_refused_without_allow_remote() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("org.db");
    let mut opts = Options::new(&db);
    opts.listen = "0.0.0.0:0".into();
    match server::start(opts) {
        Err(e @ ServerError::NotLoopback { .. }) => {
            assert!(e.to_string().contains("python3"), "{e}");
        }
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("listened on 0.0.0.0 without allow_remote"),
    }
    assert!(!db.exists(), "a refused start created the database");

    respack(["serve", "--listen", "0.0.0.0:0", "--db"])
        .arg(&db)
        .run()
        .code(2)
        .stderr_has("refusing to listen on 0.0.0.0:0")
        .stderr_has("--allow-remote");
    assert!(!db.exists(), "a refused start created the database");
    respack(["serve", "--help"])
        .run()
        .success()
        .stdout_has("--allow-remote")
        .stdout_has("run python3 scripts on this host");
}

#[test]
fn write_config_on_a_wildcard_address_names_a_host_the_certificate_covers() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("app.config");
    let mut child = Serve::spawn(&[
        "--listen",
        "0.0.0.0:0",
        "--allow-remote",
        "--db",
        dir.path().join("org.db").to_str().unwrap(),
        "--write-config",
        cfg.to_str().unwrap(),
    ]);
    let warning = child.stderr_line();
    let port = child.port();
    let text = std::fs::read_to_string(&cfg).unwrap();
    let entry = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("no {k} in app.config:\n{text}"))
            .to_string()
    };
    let client = agent(Path::new(&entry("cafile")));
    let url = format!("https://{}:{}/rest/session", entry("host"), entry("port"));
    let s = send(
        client.get(&url).header(
            "Authorization",
            &basic(&entry("api_key_id"), &entry("api_key_secret")),
        ),
        None,
    );
    child.stop();
    assert!(warning.contains("beyond loopback"), "{warning}");
    assert_eq!(entry("host"), "127.0.0.1");
    assert_eq!(entry("port"), port.to_string());
    assert_eq!(s.status, 200, "{}", s.body);
}

#[test]
fn a_failed_listen_leaves_no_files_behind() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("respack-org.db");
    let mut opts = Options::new(&db);
    opts.listen = taken.local_addr().unwrap().to_string();
    opts.write_config = Some(dir.path().join("app.config"));
    match server::start(opts) {
        Err(ServerError::Bind { .. }) => {}
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("listened on a taken port"),
    }
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn bad_bundle_scenario_and_db_are_named_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("org.db");
    let serve = |extra: &[&str]| {
        let mut r = respack(["serve", "--listen", "127.0.0.1:0"])
            .arg("--db")
            .arg(&db);
        for a in extra {
            r = r.arg(*a);
        }
        r.run().code(2).no_panic()
    };
    serve(&["--bundle", "/nonexistent/enterprise.json"]).stderr_has("/nonexistent/enterprise.json");
    serve(&["--scenario", "/nonexistent/scenario.json"]).stderr_has("/nonexistent/scenario.json");
    let not_json = dir.path().join("scenario.json");
    std::fs::write(&not_json, "{ not json").unwrap();
    serve(&["--scenario", not_json.to_str().unwrap()]).stderr_has("scenario.json");
    assert!(!db.exists(), "a refused start created the database");

    let run_db = |db: &Path| {
        respack(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(db)
            .run()
            .code(2)
            .no_panic()
    };
    run_db(&dir.path().join("missing/org.db"))
        .stderr_has("missing/org.db")
        .stderr_has("its folder does not exist");
    run_db(dir.path()).stderr_has("it is a directory");
    let junk = dir.path().join("junk.db");
    std::fs::write(
        &junk,
        "this is not SQLite, but long enough to look like a header....",
    )
    .unwrap();
    run_db(&junk)
        .stderr_has("junk.db")
        .stderr_has("not a database");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut left = left;
    left.sort();
    assert_eq!(left, ["junk.db", "scenario.json"], "left behind");
}

/// Regression: a rule read in the default handle format (numeric `object_type` and
/// `message_destinations`) and PUT back made `diff` show `"object_type": 16` against
/// `"qradar_reference_set"`; SOAR keeps and exports names.
#[test]
fn rule_put_back_with_numeric_handles_is_stored_by_name() {
    let org = Org::start();
    let mut res = tiny_res();
    let mut on_table = res["actions"][0].clone();
    on_table["name"] = json!("Run on row");
    on_table["export_key"] = json!("Run on row");
    on_table["uuid"] = json!("5a9e0fd1-6f0e-4ea6-9b1e-3c1b2f4b0010");
    on_table["object_type"] = json!("test_table");
    res["actions"].as_array_mut().unwrap().push(on_table);
    org.import(&res, "ACCEPTED");
    let dest = org.expect(
        200,
        "GET",
        "/rest/orgs/{org}/message_destinations/fn_test",
        None,
    );

    for (name, object_type) in [("Run on row", "test_table"), ("Run test", "incident")] {
        let path = format!("/rest/orgs/{{org}}/actions/{name}");
        // What a client that reads the default handle format gets, and PUTs back.
        let mut rule = org.expect(200, "GET", &path, None);
        assert!(rule["object_type"].is_i64(), "default format: {rule}");
        rule["message_destinations"] = json!([dest["id"]]);
        let put = org.expect(200, "PUT", &path, Some(&rule));
        assert_eq!(put["object_type"], object_type, "{put}");

        let exp = org.export();
        let exported = exp["actions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap()
            .clone();
        assert_eq!(exported["object_type"], object_type);
        assert_eq!(
            exported["message_destinations"],
            json!(["Test destination"])
        );
        // Read back in the default format: the same number again.
        let again = org.expect(200, "GET", &path, None);
        assert_eq!(again["object_type"], rule["object_type"]);
    }
    // Data tables and built-in types do not share numbers.
    let table_rule = org.expect(200, "GET", "/rest/orgs/{org}/actions/Run on row", None);
    assert!(
        table_rule["object_type"].as_i64().unwrap() >= 1000,
        "{table_rule}"
    );

    // A number that names nothing is refused, not stored.
    let mut rule = org.expect(200, "GET", "/rest/orgs/{org}/actions/Run test", None);
    rule["object_type"] = json!(999_999);
    let bad = org.call("PUT", "/rest/orgs/{org}/actions/Run test", Some(&rule));
    assert_eq!(bad.status, 400, "{}", bad.body);
}

/// `respack serve` as a child process, killed on every path.
struct Serve {
    child: Child,
    stdout: std::io::BufReader<std::process::ChildStdout>,
    stderr: std::io::BufReader<std::process::ChildStderr>,
}

impl Serve {
    fn spawn(args: &[&str]) -> Serve {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_respack"));
        cmd.arg("serve");
        if !args.contains(&"--listen") {
            cmd.args(["--listen", "127.0.0.1:0"]);
        }
        let mut child = cmd
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        Serve {
            child,
            stdout,
            stderr,
        }
    }

    /// The port from the "listening on" line (blocks until serve prints it).
    fn port(&mut self) -> u16 {
        use std::io::BufRead;
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        line.split_whitespace()
            .find_map(|w| w.rsplit(':').next()?.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"))
    }

    fn stderr_line(&mut self) -> String {
        use std::io::BufRead;
        let mut line = String::new();
        self.stderr.read_line(&mut line).unwrap();
        line
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.stop();
    }
}
