//! check / diff / install / uninstall against `respack serve` on an ephemeral port.
//!
//! Two layers: the library flows (`respack::ops`) with a small synthetic package, where HTTP
//! calls are counted and faults injected; and the command line with the built-in package, as an
//! admin runs it. Faults come from [`FaultProxy`], a TLS-terminating proxy between respack and
//! the server that fails chosen requests (a 500 without forwarding, or forwarding and then
//! dropping the connection so that the answer is lost).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use respack::ops::{
    self, render::Style, Consent, InstallOptions, InstallOutcome, IntegrationSpec, ObjectSpec,
    OpsError, Package, PartSpec, UninstallOutcome, UninstallRequest,
};
use respack::plan::Action;
use respack::res::bpmn::{FunctionBody, LinearWorkflow};
use respack::res::{self, Kind};
use respack::server::{self, Options, RunningServer};
use respack::soar::{Client, Overrides, RetryPolicy, Settings};
use serde_json::{json, Value};

use crate::require_shared;
use crate::util::respack;

// ---- the reference org ------------------------------------------------------------------------

/// A running reference org in its own folder, with the app.config it wrote.
struct Org {
    server: Option<RunningServer>,
    dir: tempfile::TempDir,
    seed_integrations: bool,
}

impl Org {
    fn start() -> Org {
        Org::start_with(false)
    }

    /// With `respack serve --seed-integrations`.
    fn seeded() -> Org {
        Org::start_with(true)
    }

    fn start_with(seed_integrations: bool) -> Org {
        let dir = tempfile::tempdir().unwrap();
        let mut org = Org {
            server: None,
            dir,
            seed_integrations,
        };
        org.launch();
        org
    }

    fn launch(&mut self) {
        let mut opts = Options::new(self.dir.path().join("org.db"));
        opts.write_config = Some(self.config());
        opts.seed_integrations = self.seed_integrations;
        self.server = Some(server::start(opts).expect("start the reference org"));
        // Seeding happens once, on the first start, as an admin installs integrations once.
        self.seed_integrations = false;
    }

    /// Stop and start again on the same database.
    fn restart(&mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown();
        }
        self.launch();
    }

    fn server(&self) -> &RunningServer {
        self.server.as_ref().unwrap()
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("app.config")
    }

    fn seed(&self, res: &Value) {
        self.server().seed_from_res(res).expect("seed the org");
    }

    /// A client with quick retries, on the server or on a proxy in front of it.
    fn client_at(&self, port: u16) -> Client {
        let mut s = Settings::load(
            &Overrides {
                config: Some(self.config()),
                port: Some(port),
                ..Overrides::default()
            },
            None,
            &respack::appconfig::Vars::none(),
        )
        .unwrap();
        s.retry = RetryPolicy {
            max_retries: 1,
            initial_backoff: std::time::Duration::from_millis(10),
            max_backoff: std::time::Duration::from_millis(10),
        };
        Client::connect(s).unwrap()
    }

    fn client(&self) -> Client {
        self.client_at(self.server().addr().port())
    }

    fn export(&self) -> Value {
        self.client().export(&Default::default()).unwrap()
    }

    /// A proxy in front of this org.
    fn proxy(&self) -> FaultProxy {
        FaultProxy::start(self)
    }
}

fn names(export: &Value, list: &str, key: &str) -> BTreeSet<String> {
    export[list]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|o| o[key].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

// ---- a TLS-terminating proxy that fails chosen requests --------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
enum FaultKind {
    /// Answer 500 without passing the request on.
    Status500,
    /// Pass the request on, then close the connection without answering.
    DropAnswer,
    /// Answer 409 "in use" without passing the request on, as SOAR refuses to delete an object
    /// that another one (created after the export, say) still uses.
    InUse409,
}

#[derive(Clone, Debug)]
struct Fault {
    method: &'static str,
    path_contains: &'static str,
    /// Fail from the n-th matching request on (1-based), `times` requests in all.
    from: usize,
    times: usize,
    kind: FaultKind,
}

struct FaultProxy {
    port: u16,
    fault: Arc<Mutex<Option<(Fault, usize)>>>,
}

impl FaultProxy {
    fn start(org: &Org) -> FaultProxy {
        let store = server::Store::open(&org.dir.path().join("org.db")).unwrap();
        let tls = server::tls::load_or_create(&store)
            .unwrap()
            .server_config()
            .unwrap();
        drop(store);
        let mut tls = (*tls).clone();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let tls = Arc::new(tls);
        let upstream = org.server().base_url();
        let agent = {
            let ca = org.server().ca_pem_path().to_path_buf();
            let mut config = respack::http::Config::new(respack::tls::Verify::CaFile(ca));
            config.retry = respack::http::RetryPolicy::none();
            Arc::new(respack::http::Client::new(config).unwrap())
        };
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let fault: Arc<Mutex<Option<(Fault, usize)>>> = Arc::new(Mutex::new(None));
        let fault2 = fault.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (tls, agent, upstream) = (tls.clone(), agent.clone(), upstream.clone());
                let fault = fault2.clone();
                std::thread::spawn(move || {
                    let _ = serve_one(conn, tls, &agent, &upstream, &fault);
                });
            }
        });
        FaultProxy { port, fault }
    }

    fn fail(&self, fault: Fault) {
        *self.fault.lock().unwrap() = Some((fault, 0));
    }

    fn heal(&self) {
        *self.fault.lock().unwrap() = None;
    }
}

fn serve_one(
    conn: TcpStream,
    tls: Arc<rustls::ServerConfig>,
    agent: &respack::http::Client,
    upstream: &str,
    fault: &Mutex<Option<(Fault, usize)>>,
) -> std::io::Result<()> {
    let session = rustls::ServerConnection::new(tls).map_err(std::io::Error::other)?;
    let mut stream = rustls::StreamOwned::new(session, conn);
    let mut reader = BufReader::new(&mut stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    let mut headers = vec![];
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        let h = h.trim_end().to_string();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            let (k, v) = (k.trim().to_string(), v.trim().to_string());
            if k.eq_ignore_ascii_case("content-length") {
                length = v.parse().unwrap_or(0);
            }
            headers.push((k, v));
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;

    let action = {
        let mut guard = fault.lock().unwrap();
        match guard.as_mut() {
            Some((f, seen)) if f.method == method && path.contains(f.path_contains) => {
                *seen += 1;
                (*seen >= f.from && *seen < f.from + f.times).then_some(f.kind)
            }
            _ => None,
        }
    };
    if let Some(k @ (FaultKind::Status500 | FaultKind::InUse409)) = action {
        let (status, text) = match k {
            FaultKind::Status500 => (
                "500 Internal Server Error",
                r#"{"success":false,"message":"injected failure"}"#,
            ),
            _ => (
                "409 Conflict",
                r#"{"success":false,"message":"in use by rule 'Added meanwhile'"}"#,
            ),
        };
        write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
            text.len()
        )?;
        stream.flush()?;
        stream.conn.send_close_notify();
        let _ = stream.flush();
        return Ok(());
    }
    let url = format!("{upstream}{path}")
        .parse()
        .map_err(std::io::Error::other)?;
    let mut req = respack::http::Request::new(method.parse().map_err(std::io::Error::other)?, url);
    if !(body.is_empty() && method == "GET") {
        req = req.json_body(String::from_utf8_lossy(&body).into_owned());
    }
    for (k, v) in &headers {
        if [
            "authorization",
            "content-type",
            "cookie",
            "x-sess-id",
            "accept",
        ]
        .contains(&k.to_ascii_lowercase().as_str())
        {
            req = req.header(k, v);
        }
    }
    let resp = agent
        .send(&req)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let status = resp.status.as_u16();
    let reason = resp.status.canonical_reason().unwrap_or("").to_string();
    let cookies: Vec<String> = resp
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|s| s.to_str().ok().map(str::to_string))
        .collect();
    let answer = resp.body;
    if action == Some(FaultKind::DropAnswer) {
        // The server did the work; the caller never hears of it.
        return Ok(());
    }
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        answer.len()
    );
    for c in cookies {
        head.push_str(&format!("Set-Cookie: {c}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(&answer)?;
    stream.flush()?;
    stream.conn.send_close_notify();
    let _ = stream.flush();
    Ok(())
}

// ---- a small synthetic package ----------------------------------------------------------------

const DEP_FN: &str = "0b4ad0e5-7a5b-4c3e-9a65-2f1b7f2c0001";
const DEP_INPUT: &str = "0b4ad0e5-7a5b-4c3e-9a65-2f1b7f2c0002";
const DEP_DEST: &str = "0b4ad0e5-7a5b-4c3e-9a65-2f1b7f2c0003";
const DEP_TABLE: &str = "0b4ad0e5-7a5b-4c3e-9a65-2f1b7f2c0004";
const DEP_COL: &str = "0b4ad0e5-7a5b-4c3e-9a65-2f1b7f2c0005";
const OWN_RULE: &str = "0b4ad0e5-7a5b-4c3e-9a65-2f1b7f2c0010";
const OWN_WF: &str = "0b4ad0e5-7a5b-4c3e-9a65-2f1b7f2c0011";
const OWN_TABLE: &str = "0b4ad0e5-7a5b-4c3e-9a65-2f1b7f2c0012";
const OWN_COL: &str = "0b4ad0e5-7a5b-4c3e-9a65-2f1b7f2c0013";

/// The dependency integration's objects: a destination, a function with one input, a table.
fn dep_objects() -> Value {
    json!({
        "message_destinations": [{"uuid": DEP_DEST, "programmatic_name": "dep_dest", "name": "dep_dest",
            "export_key": "dep_dest", "destination_type": 0, "expect_ack": true, "users": [], "api_keys": []}],
        "functions": [{"uuid": DEP_FN, "name": "dep_fn", "export_key": "dep_fn", "display_name": "Dep fn",
            "destination_handle": "dep_dest",
            "view_items": [{"content": DEP_INPUT, "element": "field_uuid", "field_type": "__function"}]}],
        "fields": [{"uuid": DEP_INPUT, "name": "dep_input", "export_key": "__function/dep_input",
            "type_id": 11, "input_type": "text", "text": "dep_input", "prefix": null, "values": []}],
        "types": [{"uuid": DEP_TABLE, "type_name": "dep_table", "export_key": "dep_table",
            "display_name": "Dep table", "type_id": 8, "parent_types": ["incident"],
            "fields": {"tech_description": {"uuid": DEP_COL, "name": "tech_description",
                "export_key": "dep_table/tech_description", "input_type": "text", "text": "Description"}}}]
    })
}

fn internal_objects() -> Value {
    json!({
        "incident_types": [{"uuid": "bfeec2d4-3770-11e8-ad39-4a0004044aa0", "name": "Customization Packages (internal)",
            "export_key": "Customization Packages (internal)", "description": "Customization Packages (internal)",
            "enabled": false, "system": false, "hidden": false, "parent_id": null}],
        "fields": [{"uuid": "bfeec2d4-3770-11e8-ad39-4a0004044aa1", "export_key": "incident/internal_customizations_field",
            "name": "internal_customizations_field", "text": "Customizations Field (internal)", "type_id": 0,
            "input_type": "text", "internal": true, "read_only": true}]
    })
}

/// The package workflow's script: it writes rows of the package's table, so a kept workflow
/// keeps that table.
const PACKAGE_SCRIPT: &str = "inputs.dep_input = 'x'\nrow = incident.addRow(\"own_table\")";

fn workflow_xml(script: &str) -> String {
    let body = FunctionBody {
        pre_processing_script: script.to_string().into(),
        pre_processing_script_language: "python3".to_string().into(),
        result_name: "out".to_string().into(),
        ..FunctionBody::default()
    };
    LinearWorkflow::new("own_wf", "Own workflow")
        .function_step("Dep fn", DEP_FN, body)
        .build()
        .to_xml()
        .unwrap()
}

fn package_value() -> Value {
    let mut v = json!({
        "export_format_version": 2,
        "actions": [{"uuid": OWN_RULE, "name": "Own rule", "export_key": "Own rule", "type": 1,
            "object_type": "incident", "workflows": ["own_wf"], "conditions": [], "automations": [],
            "message_destinations": [], "view_items": [], "enabled": true}],
        "workflows": [{"uuid": OWN_WF, "programmatic_name": "own_wf", "export_key": "own_wf",
            "name": "Own workflow", "object_type": "incident", "description": "test",
            "content": {"xml": workflow_xml(PACKAGE_SCRIPT), "workflow_id": "own_wf"}}],
    });
    let deps = dep_objects();
    let internal = internal_objects();
    for list in ["message_destinations", "functions", "types"] {
        v[list] = deps[list].clone();
    }
    v["types"].as_array_mut().unwrap().push(json!({
        "uuid": OWN_TABLE, "type_name": "own_table", "export_key": "own_table", "display_name": "Own table",
        "type_id": 8, "parent_types": ["incident"],
        "fields": {"artifact": {"uuid": OWN_COL, "name": "artifact", "export_key": "own_table/artifact",
            "input_type": "text", "text": "Artifact"}}}));
    let mut fields = deps["fields"].as_array().unwrap().clone();
    fields.extend(internal["fields"].as_array().unwrap().iter().cloned());
    v["fields"] = Value::Array(fields);
    v["incident_types"] = internal["incident_types"].clone();
    v
}

fn fake_package() -> Package {
    let res = res::parse(&res::Origin::file("fake.res"), &package_value().to_string()).unwrap();
    Package {
        res,
        owned: vec![
            (Kind::Rule, "Own rule".into()),
            (Kind::Workflow, "own_wf".into()),
            (Kind::DataTable, "own_table".into()),
        ],
        integrations: vec![IntegrationSpec {
            name: "Dep integration".into(),
            package: "fn_dep".into(),
            version: "1.0".into(),
            required: true,
            without: None,
            objects: vec![
                ObjectSpec {
                    kind: Kind::Function,
                    name: "dep_fn".into(),
                    uuid: DEP_FN.into(),
                    destination: Some("dep_dest".into()),
                    parts: vec![PartSpec {
                        name: "dep_input".into(),
                        uuid: DEP_INPUT.into(),
                    }],
                },
                ObjectSpec {
                    kind: Kind::MessageDestination,
                    name: "dep_dest".into(),
                    uuid: DEP_DEST.into(),
                    destination: None,
                    parts: vec![],
                },
                ObjectSpec {
                    kind: Kind::DataTable,
                    name: "dep_table".into(),
                    uuid: DEP_TABLE.into(),
                    destination: None,
                    parts: vec![PartSpec {
                        name: "tech_description".into(),
                        uuid: DEP_COL.into(),
                    }],
                },
            ],
        }],
        identity: None,
    }
}

/// The org with the dependency integration installed.
fn dep_seed() -> Value {
    let mut v = dep_objects();
    v["export_format_version"] = json!(2);
    let internal = internal_objects();
    v["incident_types"] = internal["incident_types"].clone();
    v["fields"]
        .as_array_mut()
        .unwrap()
        .extend(internal["fields"].as_array().unwrap().iter().cloned());
    v
}

fn options(dir: &Path) -> InstallOptions {
    InstallOptions {
        dry_run: false,
        force: false,
        backup_dir: dir.join("backups"),
    }
}

fn request(dir: &Path) -> UninstallRequest {
    UninstallRequest {
        dry_run: false,
        force: false,
        delete_data: false,
        backup_dir: dir.join("backups"),
    }
}

fn install(
    client: &Client,
    opts: &InstallOptions,
) -> (Result<ops::InstallReport, OpsError>, String) {
    let mut out = vec![];
    let r = ops::install::install(
        client,
        &fake_package(),
        opts,
        &mut Consent::Yes,
        &mut out,
        Style::default(),
    );
    (r, String::from_utf8(out).unwrap())
}

fn uninstall(
    client: &Client,
    req: &UninstallRequest,
) -> (Result<ops::UninstallReport, OpsError>, String) {
    let mut out = vec![];
    let r = ops::uninstall::uninstall(
        client,
        &fake_package(),
        req,
        &mut Consent::Yes,
        &mut out,
        Style::default(),
    );
    (r, String::from_utf8(out).unwrap())
}

// ---- library flows ----------------------------------------------------------------------------

#[test]
fn check_fails_and_install_refuses_without_the_integration() {
    let org = Org::start();
    let client = org.client();
    let report = ops::check::check(&client, &fake_package()).unwrap();
    assert!(!report.ok);
    let (r, out) = install(&client, &options(org.dir.path()));
    assert_eq!(r.unwrap().outcome, InstallOutcome::Refused, "{out}");
    assert!(out.contains("pass --force"), "{out}");
    assert!(
        !org.dir.path().join("backups").exists(),
        "no backup when refused"
    );
    assert!(names(&org.export(), "workflows", "programmatic_name").is_empty());
}

#[test]
fn install_cycle_on_a_seeded_org() {
    let org = Org::start();
    org.seed(&dep_seed());
    let client = org.client();
    assert!(ops::check::check(&client, &fake_package()).unwrap().ok);

    let plan = ops::diff::diff(&client, &fake_package()).unwrap();
    let created: BTreeSet<&str> = plan
        .owned()
        .filter(|c| c.action == Action::Create)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(created, BTreeSet::from(["Own rule", "own_wf", "own_table"]));
    assert!(
        plan.dependencies().all(|c| c.action == Action::Unchanged),
        "{:#?}",
        plan.changes
    );

    let (r, out) = install(&client, &options(org.dir.path()));
    let report = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(report.outcome, InstallOutcome::Installed, "{out}");
    let backup = report.backup.unwrap();
    assert!(backup.is_file(), "{out}");
    assert!(
        out.contains(&backup.display().to_string()),
        "the output names the backup"
    );
    assert!(ops::diff::diff(&client, &fake_package())
        .unwrap()
        .is_clean());

    // Again: nothing to do, nothing sent.
    let before = client.calls();
    let (r, out) = install(&client, &options(org.dir.path()));
    assert_eq!(r.unwrap().outcome, InstallOutcome::UpToDate, "{out}");
    assert!(out.contains("nothing to install"), "{out}");
    assert_eq!(client.calls() - before, 1, "one export, no import");

    let (r, out) = uninstall(&client, &request(org.dir.path()));
    let report = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(report.outcome, UninstallOutcome::Removed, "{out}");
    assert_eq!(
        report.deleted,
        ["rule Own rule", "workflow own_wf", "data table own_table"],
        "rules, then workflows, then tables"
    );
    let after = org.export();
    assert!(names(&after, "workflows", "programmatic_name").is_empty());
    assert_eq!(
        names(&after, "functions", "name"),
        BTreeSet::from(["dep_fn".to_string()])
    );
    assert!(names(&after, "types", "type_name").contains("dep_table"));
    assert!(!names(&after, "types", "type_name").contains("own_table"));
}

#[test]
fn dry_run_rejects_the_import_and_changes_nothing() {
    let org = Org::start();
    org.seed(&dep_seed());
    let client = org.client();
    let mut opts = options(org.dir.path());
    opts.dry_run = true;
    let mut out = vec![];
    let r = ops::install::install(
        &client,
        &fake_package(),
        &opts,
        &mut Consent::NoTerminal,
        &mut out,
        Style::default(),
    )
    .unwrap();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(r.outcome, InstallOutcome::DryRun, "{out}");
    assert!(out.contains("is pending; the server says:"), "{out}");
    assert!(out.contains("rejected"), "{out}");
    assert!(names(&org.export(), "workflows", "programmatic_name").is_empty());
}

#[test]
fn without_a_terminal_and_without_yes_install_stops_before_any_change() {
    let org = Org::start();
    org.seed(&dep_seed());
    let client = org.client();
    let mut out = vec![];
    let e = ops::install::install(
        &client,
        &fake_package(),
        &options(org.dir.path()),
        &mut Consent::NoTerminal,
        &mut out,
        Style::default(),
    )
    .unwrap_err();
    assert!(matches!(e, OpsError::NeedsYes { .. }), "{e}");
    let help = respack::help::Help::help(&e).unwrap();
    assert!(help.contains("--yes"), "{help}");
    assert!(!org.dir.path().join("backups").exists());
    assert!(names(&org.export(), "workflows", "programmatic_name").is_empty());
}

#[test]
fn declined_prompt_rejects_the_import() {
    let org = Org::start();
    org.seed(&dep_seed());
    let client = org.client();
    let mut asked = vec![];
    let mut answer = |q: &str| {
        asked.push(q.to_string());
        Ok(false)
    };
    let mut out = vec![];
    let r = ops::install::install(
        &client,
        &fake_package(),
        &options(org.dir.path()),
        &mut Consent::Ask(&mut answer),
        &mut out,
        Style::default(),
    )
    .unwrap();
    assert_eq!(r.outcome, InstallOutcome::Declined);
    assert_eq!(asked.len(), 1);
    assert!(names(&org.export(), "workflows", "programmatic_name").is_empty());
}

#[test]
fn a_workflow_changed_through_the_api_shows_as_a_step_diff_and_is_kept_by_uninstall() {
    let org = Org::start();
    org.seed(&dep_seed());
    let client = org.client();
    install(&client, &options(org.dir.path())).0.unwrap();
    let mut wf = client.get(respack::soar::Kind::Workflow, "own_wf").unwrap();
    wf["content"]["xml"] = json!(workflow_xml(
        "inputs.dep_input = 'changed by an admin'\nrow = incident.addRow(\"own_table\")"
    ));
    let id = wf["id"].to_string();
    client.put(respack::soar::Kind::Workflow, &id, &wf).unwrap();

    let plan = ops::diff::diff(&client, &fake_package()).unwrap();
    let c = plan.changes.iter().find(|c| c.name == "own_wf").unwrap();
    assert_eq!(c.action, Action::Update);
    let steps = c
        .diffs
        .iter()
        .find(|d| d.label == "workflow steps")
        .expect("the workflow diffs as steps");
    assert!(
        steps
            .unified
            .contains("-     | inputs.dep_input = 'changed by an admin'")
            && steps.unified.contains("+     | inputs.dep_input = 'x'"),
        "{}",
        steps.unified
    );

    let (r, out) = uninstall(&client, &request(org.dir.path()));
    let report = r.unwrap();
    let kept: Vec<&str> = report.kept().map(|c| c.name.as_str()).collect();
    assert_eq!(kept, ["own_wf", "own_table"], "{out}");
    assert!(out.contains("--force"), "{out}");
    assert!(
        out.contains("kept: used by workflow 'own_wf', which was changed on the org"),
        "the table its script writes stays with it: {out}"
    );
    // The rule goes (unchanged); the changed workflow stays, with the table it writes.
    let after = org.export();
    assert!(names(&after, "workflows", "programmatic_name").contains("own_wf"));
    assert!(names(&after, "types", "type_name").contains("own_table"));
    assert!(!names(&after, "actions", "name").contains("Own rule"));
}

#[test]
fn the_data_table_is_kept_while_incidents_have_rows_in_it() {
    let org = Org::start();
    org.seed(&dep_seed());
    let client = org.client();
    install(&client, &options(org.dir.path())).0.unwrap();
    let inc = client
        .create_incident(&json!({"name": "with a row", "discovered_date": 0}))
        .unwrap();
    let id = respack::soar::IncidentId(inc["id"].as_u64().unwrap());
    let mut cells = serde_json::Map::new();
    cells.insert("artifact".into(), json!("1.2.3.4"));
    client.add_table_row(id, "own_table", &cells).unwrap();

    let (r, out) = uninstall(&client, &request(org.dir.path()));
    let report = r.unwrap();
    let kept: Vec<_> = report
        .kept()
        .map(|c| (c.name.as_str(), c.reason.clone()))
        .collect();
    assert_eq!(kept.len(), 1, "{out}");
    assert_eq!(kept[0].0, "own_table");
    assert!(
        kept[0].1.as_deref().unwrap().contains("--delete-data"),
        "{out}"
    );
    assert!(names(&org.export(), "types", "type_name").contains("own_table"));

    let mut req = request(org.dir.path());
    req.delete_data = true;
    let (r, out) = uninstall(&client, &req);
    assert_eq!(r.unwrap().deleted, ["data table own_table"], "{out}");
    assert!(!names(&org.export(), "types", "type_name").contains("own_table"));
}

#[test]
fn accept_failing_with_500_is_rejected_so_nothing_changed_and_a_rerun_installs() {
    let org = Org::start();
    org.seed(&dep_seed());
    let proxy = org.proxy();
    let client = org.client_at(proxy.port);
    proxy.fail(Fault {
        method: "PUT",
        path_contains: "/configurations/imports/",
        from: 1,
        times: 1,
        kind: FaultKind::Status500,
    });
    let (r, out) = install(&client, &options(org.dir.path()));
    let e = r.unwrap_err();
    let OpsError::AcceptFailed { backup, .. } = &e else {
        panic!("{e}\n{out}")
    };
    assert!(backup.is_file());
    let text = e.to_string();
    assert!(
        text.contains("was not accepted")
            && text.contains("respack rejected it, so nothing was changed")
            && text.contains(&backup.display().to_string()),
        "{text}"
    );
    assert!(respack::help::Help::help(&e)
        .unwrap()
        .contains("re-running `respack install` is safe"));
    assert!(names(&org.export(), "workflows", "programmatic_name").is_empty());
    assert!(
        !pending_note(&org).exists(),
        "the import was rejected: nothing to note"
    );

    proxy.heal();
    let (r, out) = install(&client, &options(org.dir.path()));
    assert_eq!(r.unwrap().outcome, InstallOutcome::Installed, "{out}");
    assert!(ops::diff::diff(&client, &fake_package())
        .unwrap()
        .is_clean());
}

#[test]
fn accept_whose_answer_is_lost_is_found_applied_and_verified() {
    let org = Org::start();
    org.seed(&dep_seed());
    let proxy = org.proxy();
    let client = org.client_at(proxy.port);
    proxy.fail(Fault {
        method: "PUT",
        path_contains: "/configurations/imports/",
        from: 1,
        times: 1,
        kind: FaultKind::DropAnswer,
    });
    let (r, out) = install(&client, &options(org.dir.path()));
    assert_eq!(r.unwrap().outcome, InstallOutcome::Installed, "{out}");
    assert!(
        out.contains("its answer was lost") && out.contains("it was applied"),
        "{out}"
    );
    assert!(out.contains("verified"), "{out}");
    proxy.heal();
    let (r, out) = install(&client, &options(org.dir.path()));
    assert_eq!(r.unwrap().outcome, InstallOutcome::UpToDate, "{out}");
}

/// Where install notes an import it could not finish, for the test org.
fn pending_note(org: &Org) -> PathBuf {
    org.dir
        .path()
        .join("backups")
        .join("Test-Organization-pending-import.json")
}

#[test]
fn accept_left_pending_when_the_org_cannot_be_asked_is_rejected_by_the_rerun() {
    let org = Org::start();
    org.seed(&dep_seed());
    let proxy = org.proxy();
    let client = org.client_at(proxy.port);
    // The acceptance and the rejection that would find out both fail: the import stays pending.
    proxy.fail(Fault {
        method: "PUT",
        path_contains: "/configurations/imports/",
        from: 1,
        times: 2,
        kind: FaultKind::Status500,
    });
    let (r, out) = install(&client, &options(org.dir.path()));
    let e = r.unwrap_err();
    let OpsError::AcceptUnknown {
        id,
        backup,
        journal,
        ..
    } = &e
    else {
        panic!("{e}\n{out}")
    };
    assert_eq!(journal, &pending_note(&org));
    assert!(journal.is_file(), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("unknown")
            && text.contains(&backup.display().to_string())
            && text.contains(&journal.display().to_string()),
        "{text}"
    );
    assert!(out.contains("state on the org is unknown"), "{out}");
    assert!(names(&org.export(), "workflows", "programmatic_name").is_empty());

    // A dry run changes nothing, not even the pending import.
    let mut dry = options(org.dir.path());
    dry.dry_run = true;
    install(&client, &dry).0.unwrap();
    assert!(journal.is_file());

    proxy.heal();
    let (r, out) = install(&client, &options(org.dir.path()));
    assert_eq!(r.unwrap().outcome, InstallOutcome::Installed, "{out}");
    assert!(
        out.contains(&format!(
            "import {id}, left pending by an earlier run, is rejected now"
        )),
        "{out}"
    );
    assert!(
        !journal.exists(),
        "the note is gone once the import is resolved"
    );
    // Rejected, so it can never be accepted later.
    let again = ops::install::install(
        &client,
        &fake_package(),
        &options(org.dir.path()),
        &mut Consent::Yes,
        &mut Vec::new(),
        Style::default(),
    )
    .unwrap();
    assert_eq!(again.outcome, InstallOutcome::UpToDate);
}

#[test]
fn an_import_left_pending_is_rejected_by_the_next_uninstall_too() {
    let org = Org::start();
    org.seed(&dep_seed());
    let proxy = org.proxy();
    let client = org.client_at(proxy.port);
    proxy.fail(Fault {
        method: "PUT",
        path_contains: "/configurations/imports/",
        from: 1,
        times: 2,
        kind: FaultKind::Status500,
    });
    let (r, out) = install(&client, &options(org.dir.path()));
    let Err(OpsError::AcceptUnknown { id, journal, .. }) = r else {
        panic!("{out}")
    };
    proxy.heal();
    let (r, out) = uninstall(&client, &request(org.dir.path()));
    assert_eq!(r.unwrap().outcome, UninstallOutcome::NothingToDo, "{out}");
    assert!(
        out.contains(&format!(
            "import {id}, left pending by an earlier run, is rejected now"
        )),
        "{out}"
    );
    assert!(!journal.exists());
    assert!(names(&org.export(), "workflows", "programmatic_name").is_empty());
}

/// A fault at one call of install: the error says what was done, where the backup is, and that
/// re-running is safe; the re-run then installs.
#[test]
fn install_faults_at_every_call_say_what_happened_and_a_rerun_installs() {
    // (method, path, nth matching request, kind, whether a backup was written before it)
    let cases: [(&str, &str, usize, FaultKind, bool); 6] = [
        ("GET", "/rest/const", 1, FaultKind::Status500, false),
        (
            "POST",
            "/configurations/exports",
            1,
            FaultKind::Status500,
            false,
        ),
        (
            "POST",
            "/configurations/imports",
            1,
            FaultKind::Status500,
            true,
        ),
        (
            "POST",
            "/configurations/imports",
            1,
            FaultKind::DropAnswer,
            true,
        ),
        (
            "POST",
            "/configurations/exports",
            2,
            FaultKind::Status500,
            true,
        ),
        (
            "POST",
            "/configurations/exports",
            2,
            FaultKind::DropAnswer,
            true,
        ),
    ];
    for (method, path, from, kind, backed_up) in cases {
        let what = format!("{kind:?} on {method} {path} #{from}");
        let org = Org::start();
        org.seed(&dep_seed());
        let proxy = org.proxy();
        let client = org.client_at(proxy.port);
        proxy.fail(Fault {
            method,
            path_contains: path,
            from,
            times: 100,
            kind,
        });
        let (r, out) = install(&client, &options(org.dir.path()));
        let e = r.expect_err(&what);
        let OpsError::Stopped { backup, done, .. } = &e else {
            panic!("{what}: {e}\n{out}")
        };
        let text = e.to_string();
        assert!(text.starts_with("install stopped at "), "{what}: {text}");
        assert!(text.contains("Done: "), "{what}: {text}");
        let help = respack::help::Help::help(&e).unwrap();
        assert!(
            help.contains("re-running `respack install` is safe"),
            "{what}: {help}"
        );
        assert_eq!(backup.is_some(), backed_up, "{what}: {text}");
        if let Some(b) = backup {
            assert!(b.is_file(), "{what}");
            assert!(text.contains(&b.display().to_string()), "{what}: {text}");
            assert!(done[0].starts_with("backup written to"), "{what}: {done:?}");
        } else {
            assert!(text.contains("the org was not changed"), "{what}: {text}");
        }
        if path == "/configurations/imports" {
            assert!(
                text.contains("a pending import changes nothing"),
                "{what}: {text}"
            );
        }
        if from == 2 {
            // The server died right after accepting: the install is done, only unverified.
            assert!(text.contains("accepted"), "{what}: {text}");
            assert!(text.contains("respack diff"), "{what}: {text}");
        }
        proxy.heal();
        let (r, out) = install(&client, &options(org.dir.path()));
        let outcome = r
            .unwrap_or_else(|e| panic!("{what}: re-run: {e}\n{out}"))
            .outcome;
        let want = if from == 2 {
            InstallOutcome::UpToDate
        } else {
            InstallOutcome::Installed
        };
        assert_eq!(outcome, want, "{what}: {out}");
    }
}

#[test]
fn uninstall_failing_halfway_lists_what_was_done_and_a_rerun_finishes() {
    let org = Org::start();
    org.seed(&dep_seed());
    let proxy = org.proxy();
    let client = org.client_at(proxy.port);
    install(&client, &options(org.dir.path())).0.unwrap();
    // The second DELETE (the workflow) fails, retries included.
    proxy.fail(Fault {
        method: "DELETE",
        path_contains: "/rest/orgs/",
        from: 2,
        times: 100,
        kind: FaultKind::Status500,
    });
    let (r, out) = uninstall(&client, &request(org.dir.path()));
    let e = r.unwrap_err();
    let OpsError::UninstallInterrupted {
        deleted,
        remaining,
        backup,
        ..
    } = &e
    else {
        panic!("{e}\n{out}")
    };
    assert_eq!(deleted, &["rule Own rule"]);
    assert_eq!(remaining, &["workflow own_wf", "data table own_table"]);
    assert!(backup.is_file());
    let text = e.to_string();
    assert!(text.contains("Removed: rule Own rule"), "{text}");
    assert!(
        text.contains("Not removed (or not confirmed): workflow own_wf, data table own_table"),
        "{text}"
    );

    proxy.heal();
    let (r, out) = uninstall(&client, &request(org.dir.path()));
    let report = r.unwrap();
    assert_eq!(report.outcome, UninstallOutcome::Removed, "{out}");
    assert_eq!(report.deleted, ["workflow own_wf", "data table own_table"]);
    assert!(out.contains("absent"), "the rule counts as done: {out}");
}

#[test]
fn uninstall_delete_whose_answer_is_lost_counts_as_done() {
    let org = Org::start();
    org.seed(&dep_seed());
    let proxy = org.proxy();
    let client = org.client_at(proxy.port);
    install(&client, &options(org.dir.path())).0.unwrap();
    // The first DELETE is done by the server but its answer is lost; the retry finds nothing.
    proxy.fail(Fault {
        method: "DELETE",
        path_contains: "/rest/orgs/",
        from: 1,
        times: 1,
        kind: FaultKind::DropAnswer,
    });
    let (r, out) = uninstall(&client, &request(org.dir.path()));
    assert_eq!(r.unwrap().outcome, UninstallOutcome::Removed, "{out}");
}

#[test]
fn a_delete_the_org_refuses_as_in_use_is_kept_with_what_it_needs_not_a_failure() {
    let org = Org::start();
    org.seed(&dep_seed());
    let proxy = org.proxy();
    let client = org.client_at(proxy.port);
    install(&client, &options(org.dir.path())).0.unwrap();
    // The second DELETE (the workflow) is refused: in use by something the export did not show.
    proxy.fail(Fault {
        method: "DELETE",
        path_contains: "/rest/orgs/",
        from: 2,
        times: 1,
        kind: FaultKind::InUse409,
    });
    let (r, out) = uninstall(&client, &request(org.dir.path()));
    let report = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(report.outcome, UninstallOutcome::Removed, "{out}");
    assert_eq!(report.deleted, ["rule Own rule"], "{out}");
    let kept: Vec<(&str, &str)> = report
        .kept()
        .map(|c| (c.name.as_str(), c.reason.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(kept.len(), 2, "{out}");
    assert_eq!(kept[0].0, "own_wf");
    assert!(
        kept[0].1.contains("in use by rule 'Added meanwhile'"),
        "{out}"
    );
    assert_eq!(
        kept[1],
        (
            "own_table",
            "kept: used by workflow 'own_wf', which the org refused to delete"
        ),
        "the table the kept workflow writes is not deleted: {out}"
    );
    assert!(
        out.contains("kept workflow own_wf, in use: the org refused to delete it"),
        "{out}"
    );
    let after = org.export();
    assert!(names(&after, "workflows", "programmatic_name").contains("own_wf"));
    assert!(names(&after, "types", "type_name").contains("own_table"));
}

#[test]
fn uninstall_keeps_what_an_admins_own_rule_uses_and_a_rerun_writes_no_backup() {
    let org = Org::start();
    org.seed(&dep_seed());
    let client = org.client();
    install(&client, &options(org.dir.path())).0.unwrap();
    // An admin's own rule (not the package's) runs the package's workflow.
    org.seed(&json!({"export_format_version": 2, "actions": [{
        "uuid": "0b4ad0e5-7a5b-4c3e-9a65-2f1b7f2c0099", "name": "Admin rule", "export_key": "Admin rule",
        "type": 1, "object_type": "incident", "workflows": ["own_wf"], "conditions": [],
        "automations": [], "message_destinations": [], "view_items": [], "enabled": true}]}));
    let dry = UninstallRequest {
        dry_run: true,
        ..request(org.dir.path())
    };
    let (r, dry_out) = uninstall(&client, &dry);
    assert_eq!(r.unwrap().outcome, UninstallOutcome::DryRun, "{dry_out}");
    assert!(
        dry_out.contains("kept: used by rule 'Admin rule', which is not part of the package"),
        "{dry_out}"
    );

    let (r, out) = uninstall(&client, &request(org.dir.path()));
    let report = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(report.deleted, ["rule Own rule"], "{out}");
    let kept: Vec<&str> = report.kept().map(|c| c.name.as_str()).collect();
    assert_eq!(kept, ["own_wf", "own_table"], "{out}");
    let backups = || {
        std::fs::read_dir(org.dir.path().join("backups"))
            .unwrap()
            .count()
    };
    assert_eq!(backups(), 2, "one before install, one before uninstall");

    // The re-run removes nothing: it says the same, and writes no backup.
    let (r, again) = uninstall(&client, &request(org.dir.path()));
    let report = r.unwrap();
    assert_eq!(report.outcome, UninstallOutcome::NothingToDo, "{again}");
    assert_eq!(report.kept().count(), 2, "{again}");
    assert!(again.contains("nothing to remove"), "{again}");
    assert_eq!(backups(), 2, "no backup for a run that removes nothing");
    let after = org.export();
    assert!(names(&after, "actions", "name").contains("Admin rule"));
    assert!(names(&after, "workflows", "programmatic_name").contains("own_wf"));
}

#[test]
fn a_rule_the_package_did_not_create_keeps_the_workflow_and_table_it_needs() {
    let org = Org::start();
    org.seed(&dep_seed());
    // The package's workflow and table are on the org, but the rule of the package's name is
    // someone else's (another uuid): it stays, and so does what it runs.
    let mut v = package_value();
    v["actions"][0]["uuid"] = json!("0b4ad0e5-7a5b-4c3e-9a65-2f1b7f2c0098");
    org.seed(&v);
    let client = org.client();
    let (r, out) = uninstall(&client, &request(org.dir.path()));
    let report = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    let kept: Vec<(&str, &str)> = report
        .kept()
        .map(|c| (c.name.as_str(), c.reason.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        kept,
        [
            (
                "Own rule",
                "same name, another uuid: the package did not create this object"
            ),
            (
                "own_wf",
                "kept: used by rule 'Own rule', which the package did not create"
            ),
            (
                "own_table",
                "kept: used by workflow 'own_wf', which is kept for rule 'Own rule', which the \
                 package did not create"
            ),
        ],
        "{out}"
    );
    assert_eq!(report.outcome, UninstallOutcome::NothingToDo, "{out}");
    assert!(
        !org.dir.path().join("backups").exists(),
        "nothing removed, no backup"
    );
    let after = org.export();
    assert!(names(&after, "workflows", "programmatic_name").contains("own_wf"));
    assert!(names(&after, "types", "type_name").contains("own_table"));
}

/// A fault at one call of uninstall: the error says what was done, where the backup is, and
/// that re-running is safe; the re-run then finishes.
#[test]
fn uninstall_faults_at_every_call_say_what_happened_and_a_rerun_finishes() {
    // (method, path, nth matching request, kind, whether a backup was written before it)
    let cases: [(&str, &str, usize, FaultKind, bool); 4] = [
        ("GET", "/rest/const", 1, FaultKind::Status500, false),
        (
            "POST",
            "/configurations/exports",
            1,
            FaultKind::DropAnswer,
            false,
        ),
        ("POST", "/rest/search_ex", 1, FaultKind::DropAnswer, false),
        (
            "POST",
            "/configurations/exports",
            2,
            FaultKind::Status500,
            true,
        ),
    ];
    for (method, path, from, kind, backed_up) in cases {
        let what = format!("{kind:?} on {method} {path} #{from}");
        let org = Org::start();
        org.seed(&dep_seed());
        install(&org.client(), &options(org.dir.path())).0.unwrap();
        let proxy = org.proxy();
        let client = org.client_at(proxy.port);
        proxy.fail(Fault {
            method,
            path_contains: path,
            from,
            times: 100,
            kind,
        });
        let (r, out) = uninstall(&client, &request(org.dir.path()));
        let e = r.expect_err(&what);
        let OpsError::Stopped { backup, .. } = &e else {
            panic!("{what}: {e}\n{out}")
        };
        let text = e.to_string();
        assert!(text.starts_with("uninstall stopped at "), "{what}: {text}");
        assert_eq!(backup.is_some(), backed_up, "{what}: {text}");
        if let Some(b) = backup {
            assert!(text.contains(&b.display().to_string()), "{what}: {text}");
            assert!(
                text.contains("Done: removed rule Own rule, removed workflow own_wf, removed data table own_table"),
                "{what}: {text}"
            );
        } else {
            assert!(text.contains("the org was not changed"), "{what}: {text}");
        }
        let help = respack::help::Help::help(&e).unwrap();
        assert!(
            help.contains("re-running `respack uninstall` is safe"),
            "{what}: {help}"
        );
        proxy.heal();
        let (r, out) = uninstall(&client, &request(org.dir.path()));
        let report = r.unwrap_or_else(|e| panic!("{what}: re-run: {e}\n{out}"));
        assert_ne!(report.outcome, UninstallOutcome::DryRun, "{what}");
        assert!(
            names(&org.export(), "workflows", "programmatic_name").is_empty(),
            "{what}: {out}"
        );
    }
}

// ---- call counts: constant in the size of the org ---------------------------------------------

/// Calls of check, diff, install and uninstall on an org (the session included).
fn call_counts(org: &Org) -> [u64; 4] {
    let count = |f: &dyn Fn(&Client)| {
        let client = org.client();
        f(&client);
        client.calls()
    };
    [
        count(&|c| {
            ops::check::check(c, &fake_package()).unwrap();
        }),
        count(&|c| {
            ops::diff::diff(c, &fake_package()).unwrap();
        }),
        count(&|c| {
            let (r, out) = install(c, &options(org.dir.path()));
            assert_eq!(r.unwrap().outcome, InstallOutcome::Installed, "{out}");
        }),
        count(&|c| {
            let (r, out) = uninstall(c, &request(org.dir.path()));
            assert_eq!(r.unwrap().outcome, UninstallOutcome::Removed, "{out}");
        }),
    ]
}

#[test]
fn call_counts_do_not_grow_with_the_org() {
    let shared = require_shared!();
    let small = Org::start();
    small.seed(&dep_seed());
    let small_counts = call_counts(&small);
    // session + const + export; install adds import POST, PUT and the verifying export;
    // uninstall adds the rows search and one DELETE per owned object.
    assert_eq!(small_counts, [3, 3, 6, 3 + 1 + 3 + 1]);

    let big = Org::start();
    let text = std::fs::read_to_string(
        shared.join("corpus/res/api/sdk_api_post_configurations_exports_with_playbooks.json"),
    )
    .unwrap();
    big.seed(&serde_json::from_str(&text).unwrap());
    big.seed(&dep_seed());
    let n = big.export()["functions"].as_array().map_or(0, Vec::len);
    assert!(n > 10, "the big org has {n} functions");
    assert_eq!(call_counts(&big), small_counts);
}

// ---- the command line -------------------------------------------------------------------------

#[test]
fn a_wrong_secret_is_a_401_that_names_the_setting_and_not_the_secret() {
    let org = Org::start();
    let config = org.config();
    for cmd in [
        &["check"][..],
        &["diff"],
        &["install", "--yes"],
        &["uninstall", "--yes"],
    ] {
        respack(cmd.iter().copied())
            .arg("--config")
            .arg(&config)
            .env("RESPACK_API_KEY_SECRET", "not-the-secret-5f1c")
            .run()
            .code(2)
            .stderr_has("401")
            .stderr_has("api_key_secret")
            .output_lacks("not-the-secret-5f1c")
            .output_lacks(&org.server().api_key().secret)
            .no_panic();
    }
}

#[test]
fn the_api_key_of_one_org_cannot_reach_another() {
    let org = Org::start();
    let (other, _key) = org.server().create_org("Other Org").unwrap();
    let config = org.config();
    respack([
        "diff",
        "--config",
        config.to_str().unwrap(),
        "--org",
        &other.name,
    ])
    .run()
    .code(2)
    .stderr_has("Other Org")
    .stderr_has("RESPACK_ORG")
    .output_lacks(&org.server().api_key().secret);
}

/// `respack <cmd> --config <org's app.config> [args]`.
fn cli(org: &Org, args: &[&str]) -> crate::util::Run {
    let mut r = respack(args.iter().copied())
        .arg("--config")
        .arg(org.config());
    // The backups of a test go to its own folder.
    r = r.current_dir(org.dir.path());
    r.run().no_panic()
}

fn plan_json(org: &Org) -> Value {
    cli(org, &["diff", "--format", "json"]).success().json()
}

fn owned_actions(plan: &Value) -> BTreeSet<(String, String)> {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["owner"] == "package")
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["action"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const OWNED: [&str; 5] = [
    "QRadar Advisor Offense Analysis with MITRE",
    "Map rule to MITRE tactic",
    "qradar_advisor_offense_analysis_mitre",
    "qradar_advisor_map_rule_to_tactic",
    "mitre_attack_of_artifact",
];

#[test]
fn cli_without_the_integrations_check_fails_and_install_refuses() {
    let org = Org::start();
    cli(&org, &["check"])
        .code(1)
        .stdout_has("missing")
        .stdout_has("only the map-rule story is unavailable");
    let check = cli(&org, &["check", "--format", "json"]).code(1).json();
    assert_eq!(check["ok"], false);
    cli(&org, &["install", "--yes"])
        .code(1)
        .stdout_has("install refused")
        .stdout_has("--force");
    assert!(names(&org.export(), "workflows", "programmatic_name").is_empty());
}

#[test]
fn cli_install_cycle_with_restart_change_and_uninstall() {
    let mut org = Org::seeded();
    cli(&org, &["check"])
        .success()
        .stdout_has("every required integration is installed");
    cli(&org, &["diff", "--exit-code"])
        .code(1)
        .stdout_has("create");
    let plan = plan_json(&org);
    assert_eq!(
        owned_actions(&plan),
        OWNED
            .iter()
            .map(|n| (n.to_string(), "create".to_string()))
            .collect(),
        "diff shows the package to create"
    );
    assert!(
        plan["changes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["owner"] == "dependency")
            .all(|c| c["action"] == "unchanged"),
        "the seeded integrations are as the package knows them: {plan:#}"
    );

    // No terminal, no --yes: stops before changing anything and names the flag.
    cli(&org, &["install"]).code(2).stderr_has("--yes");
    cli(&org, &["install", "--dry-run"])
        .success()
        .stdout_has("is pending; the server says:")
        .stdout_has("rejected");
    assert!(names(&org.export(), "workflows", "programmatic_name")
        .iter()
        .all(|w| !OWNED.contains(&w.as_str())));

    let bk = org.dir.path().join("bk");
    let run = cli(
        &org,
        &["install", "--yes", "--backup-dir", bk.to_str().unwrap()],
    )
    .success()
    .stdout_has("backup of the org written to")
    .stdout_has("verified");
    let backups: Vec<_> = std::fs::read_dir(&bk).unwrap().collect();
    assert_eq!(backups.len(), 1, "{}", run.stdout());
    cli(&org, &["diff", "--exit-code"]).success();
    cli(
        &org,
        &["install", "--yes", "--backup-dir", bk.to_str().unwrap()],
    )
    .success()
    .stdout_has("nothing to install");

    org.restart();
    cli(&org, &["diff", "--exit-code"]).success();

    // An admin edits a script of the offense workflow through the API.
    let client = org.client();
    let mut wf = client.get(respack::soar::Kind::Workflow, OWNED[2]).unwrap();
    let xml = wf["content"]["xml"].as_str().unwrap().to_string();
    let mut process = respack::res::bpmn::Process::parse(&xml).unwrap();
    let step = process
        .nodes
        .iter_mut()
        .find_map(|n| match &mut n.kind {
            respack::res::bpmn::NodeKind::Function(call) => Some(call),
            _ => None,
        })
        .unwrap();
    let script = step
        .body
        .pre_processing_script
        .as_str()
        .unwrap_or("")
        .to_string();
    step.body.pre_processing_script = format!("{script}\n# changed by an admin").into();
    wf["content"]["xml"] = json!(process.to_xml().unwrap());
    let id = wf["id"].to_string();
    client.put(respack::soar::Kind::Workflow, &id, &wf).unwrap();
    cli(&org, &["diff", "--exit-code"])
        .code(1)
        .stdout_has("workflow steps")
        .stdout_has("-     | # changed by an admin");

    // Uninstall keeps the changed workflow; --force removes it.
    cli(
        &org,
        &["uninstall", "--yes", "--backup-dir", bk.to_str().unwrap()],
    )
    .code(1)
    .stdout_has("changed on the org since it was installed")
    .stderr_has(OWNED[2]);
    cli(
        &org,
        &[
            "uninstall",
            "--yes",
            "--force",
            "--backup-dir",
            bk.to_str().unwrap(),
        ],
    )
    .success()
    .stdout_has("verified");
    assert_eq!(
        owned_actions(&plan_json(&org)),
        OWNED
            .iter()
            .map(|n| (n.to_string(), "create".to_string()))
            .collect(),
        "after uninstall the package is to create again"
    );
    cli(&org, &["check"]).success();
    let after = org.export();
    for f in [
        "qradar_advisor_offense_analysis",
        "mitre_tactic_information",
    ] {
        assert!(
            names(&after, "functions", "name").contains(f),
            "{f} was removed"
        );
    }
    assert!(names(&after, "types", "type_name").contains("mitre_attack_techniques"));
    cli(
        &org,
        &["uninstall", "--yes", "--backup-dir", bk.to_str().unwrap()],
    )
    .success()
    .stdout_has("nothing to remove");
}

#[test]
fn cli_faults_during_accept_and_uninstall_are_reported_and_a_rerun_completes() {
    let org = Org::seeded();
    let proxy = org.proxy();
    let port = proxy.port.to_string();
    let bk = org.dir.path().join("bk");
    let bk = bk.to_str().unwrap();
    proxy.fail(Fault {
        method: "PUT",
        path_contains: "/configurations/imports/",
        from: 1,
        times: 1,
        kind: FaultKind::Status500,
    });
    let run = cli(
        &org,
        &["install", "--yes", "--port", &port, "--backup-dir", bk],
    )
    .code(2)
    .stdout_has("backup of the org written to")
    .stderr_has("was not accepted")
    .stderr_has("respack rejected it, so nothing was changed")
    .stderr_has("re-running `respack install` is safe");
    let backup = std::fs::read_dir(org.dir.path().join("bk"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert!(
        run.stderr().contains(&backup.display().to_string()),
        "{}",
        run.stderr()
    );
    proxy.heal();
    cli(
        &org,
        &["install", "--yes", "--port", &port, "--backup-dir", bk],
    )
    .success()
    .stdout_has("verified");

    proxy.fail(Fault {
        method: "DELETE",
        path_contains: "/rest/orgs/",
        from: 3,
        times: 100,
        kind: FaultKind::Status500,
    });
    cli(
        &org,
        &["uninstall", "--yes", "--port", &port, "--backup-dir", bk],
    )
    .code(2)
    .stderr_has(
        "Removed: rule Map rule to MITRE tactic, rule QRadar Advisor Offense Analysis with MITRE",
    )
    .stderr_has("Not removed (or not confirmed): workflow")
    .stderr_has("re-run `respack uninstall`");
    proxy.heal();
    cli(
        &org,
        &["uninstall", "--yes", "--port", &port, "--backup-dir", bk],
    )
    .success()
    .stdout_has("absent");
}

#[test]
fn cli_uninstall_with_an_edited_rule_keeps_it_and_its_workflow_and_exits_1_twice() {
    let org = Org::seeded();
    let bk = org.dir.path().join("bk");
    let bk = bk.to_str().unwrap();
    cli(&org, &["install", "--yes", "--backup-dir", bk]).success();
    let client = org.client();
    let mut rule = client
        .get(respack::soar::Kind::Rule, OWNED[1])
        .expect("the map-rule rule");
    rule["timeout_seconds"] = json!(4242);
    let id = rule["id"].to_string();
    client.put(respack::soar::Kind::Rule, &id, &rule).unwrap();

    let reason = "kept: used by rule 'Map rule to MITRE tactic', which was changed on the org";
    let dry = cli(&org, &["uninstall", "--dry-run"])
        .code(1)
        .stdout_has(reason)
        .stdout_has("dry run: nothing was removed");
    let run = cli(&org, &["uninstall", "--yes", "--backup-dir", bk])
        .code(1)
        .stdout_has(reason)
        .stdout_has("removed workflow qradar_advisor_offense_analysis_mitre")
        .stderr_has("kept on the org")
        .output_lacks("409");
    // The dry run showed exactly the plan the removal followed.
    let plan_of = |text: &str| text.split("\n\n").next().unwrap_or("").to_string();
    assert_eq!(plan_of(&dry.stdout()), plan_of(&run.stdout()));
    let backups = || {
        std::fs::read_dir(org.dir.path().join("bk"))
            .unwrap()
            .count()
    };
    assert_eq!(backups(), 2);
    cli(&org, &["uninstall", "--yes", "--backup-dir", bk])
        .code(1)
        .stdout_has(reason)
        .stdout_has("nothing to remove")
        .output_lacks("409");
    assert_eq!(
        backups(),
        2,
        "a re-run that removes nothing writes no backup"
    );
    let after = org.export();
    assert!(names(&after, "actions", "name").contains(OWNED[1]));
    assert!(names(&after, "workflows", "programmatic_name").contains(OWNED[3]));
    assert!(names(&after, "types", "type_name").contains(OWNED[4]));
    assert!(!names(&after, "actions", "name").contains(OWNED[0]));
    assert!(!names(&after, "workflows", "programmatic_name").contains(OWNED[2]));
}

#[test]
fn cli_on_an_org_with_the_current_community_integrations_reports_their_differences() {
    let shared = require_shared!();
    let org = Org::start();
    for f in [
        "fn_qradar_advisor_export.res",
        "fn_mitre_integration_export.res",
        "fn_qradar_integration_export.res",
    ] {
        let text = std::fs::read_to_string(shared.join("corpus/res/community").join(f)).unwrap();
        org.seed(&serde_json::from_str(&text).unwrap());
    }
    cli(&org, &["check"])
        .stdout_has("different")
        .stdout_has("technique_description")
        .stdout_has("collection");
    cli(&org, &["diff"])
        .success()
        .stdout_has("differs")
        .stdout_has("technique_description");
    cli(&org, &["diff", "--exit-code"]).code(1);
    cli(&org, &["install", "--yes"]).success();
    // Install never downgrades a newer integration, so the org is in sync although its MITRE
    // tables still differ from the 1.0 definitions the package carries.
    cli(&org, &["diff", "--exit-code"])
        .success()
        .stdout_has("technique_description");
}

#[test]
fn cli_install_with_force_on_an_org_without_integrations_warns_and_creates_their_objects() {
    let org = Org::start();
    cli(&org, &["install", "--yes", "--force"])
        .success()
        .stdout_has("WARNING: --force")
        .stderr_has("warning: installed with --force");
    let after = org.export();
    assert!(names(&after, "workflows", "programmatic_name").contains(OWNED[2]));
    // The functions the package's workflows call come with it, as the original package did.
    assert!(names(&after, "functions", "name").contains("mitre_tactic_information"));
    cli(&org, &["check"]).code(1);
}

#[test]
fn force_warning_said_two_missing_integrations_is_missing() {
    let org = Org::start();
    cli(&org, &["install", "--yes", "--force"])
        .success()
        .stderr_has("although QRadar Advisor integration and MITRE integration are missing: the package's workflows fail until they are installed");
}

/// A terminal that has gone away: every write fails.
struct ClosedOutput;

impl Write for ClosedOutput {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
}

#[test]
fn install_and_uninstall_stop_before_changing_anything_when_their_output_cannot_be_written() {
    let org = Org::start();
    org.seed(&dep_seed());
    let client = org.client();
    let e = ops::install::install(
        &client,
        &fake_package(),
        &options(org.dir.path()),
        &mut Consent::Yes,
        &mut ClosedOutput,
        Style::default(),
    )
    .unwrap_err();
    assert!(matches!(e, OpsError::Output(_)), "{e}");
    assert!(!org.dir.path().join("backups").exists(), "no backup");
    assert!(names(&org.export(), "workflows", "programmatic_name").is_empty());

    install(&client, &options(org.dir.path())).0.unwrap();
    let e = ops::uninstall::uninstall(
        &client,
        &fake_package(),
        &request(org.dir.path()),
        &mut Consent::Yes,
        &mut ClosedOutput,
        Style::default(),
    )
    .unwrap_err();
    assert!(matches!(e, OpsError::Output(_)), "{e}");
    assert!(names(&org.export(), "workflows", "programmatic_name").contains("own_wf"));
}

// ---- restore and backups ----------------------------------------------------------------------

fn restore_request(backup: &Path, dir: &Path) -> ops::RestoreRequest {
    ops::RestoreRequest {
        backup: backup.to_path_buf(),
        dry_run: false,
        backup_dir: dir.join("restore-backups"),
    }
}

fn restore(
    client: &Client,
    req: &ops::RestoreRequest,
) -> (Result<ops::RestoreReport, OpsError>, String) {
    let mut out = vec![];
    let r = ops::restore::restore(
        client,
        &fake_package(),
        req,
        &mut Consent::Yes,
        &mut out,
        Style::default(),
    );
    (r, String::from_utf8(out).unwrap())
}

/// The names an admin compares an org by: rules, workflows, functions, tables.
fn org_names(export: &Value) -> [BTreeSet<String>; 4] {
    [
        names(export, "actions", "name"),
        names(export, "workflows", "programmatic_name"),
        names(export, "functions", "name"),
        names(export, "types", "type_name"),
    ]
}

fn backups_in(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

#[test]
fn restore_after_install_brings_the_org_back_to_its_names_and_dry_run_changes_nothing() {
    let org = Org::start();
    org.seed(&dep_seed());
    let client = org.client();
    let before = org_names(&org.export());
    let (r, out) = install(&client, &options(org.dir.path()));
    let backup = r.unwrap_or_else(|e| panic!("{e}\n{out}")).backup.unwrap();
    let installed = org_names(&org.export());
    assert_ne!(installed, before);

    let mut dry = restore_request(&backup, org.dir.path());
    dry.dry_run = true;
    let (r, out) = restore(&client, &dry);
    let report = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(report.outcome, ops::RestoreOutcome::DryRun, "{out}");
    assert!(out.contains("dry run: nothing was changed"), "{out}");
    assert_eq!(
        org_names(&org.export()),
        installed,
        "--dry-run changed the org"
    );
    assert_eq!(backups_in(&dry.backup_dir), 0, "no backup on a dry run");

    let req = restore_request(&backup, org.dir.path());
    let (r, out) = restore(&client, &req);
    let report = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(report.outcome, ops::RestoreOutcome::Restored, "{out}");
    assert_eq!(
        report.deleted,
        ["rule Own rule", "workflow own_wf", "data table own_table"],
        "{out}"
    );
    assert!(report.imported.is_empty(), "{out}");
    assert_eq!(org_names(&org.export()), before, "{out}");
    let replaced = report.backup.unwrap();
    assert!(replaced.is_file());
    let name = replaced.file_name().unwrap().to_str().unwrap();
    assert!(name.ends_with("-before-restore.res"), "{name}");

    // The job is done: a re-run changes nothing and writes no backup.
    let (r, out) = restore(&client, &req);
    assert_eq!(
        r.unwrap().outcome,
        ops::RestoreOutcome::NothingToDo,
        "{out}"
    );
    assert_eq!(backups_in(&req.backup_dir), 1);
}

#[test]
fn restore_after_uninstall_reimports_the_objects_with_the_backups_definitions() {
    let org = Org::start();
    org.seed(&dep_seed());
    let client = org.client();
    install(&client, &options(org.dir.path())).0.unwrap();
    let installed = org.export();
    let (r, out) = uninstall(&client, &request(org.dir.path()));
    let backup = r.unwrap_or_else(|e| panic!("{e}\n{out}")).backup.unwrap();
    assert!(names(&org.export(), "workflows", "programmatic_name").is_empty());

    let (r, out) = restore(&client, &restore_request(&backup, org.dir.path()));
    let report = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(report.outcome, ops::RestoreOutcome::Restored, "{out}");
    assert_eq!(
        report.imported,
        ["rule Own rule", "workflow own_wf", "data table own_table"],
        "{out}"
    );
    assert!(report.deleted.is_empty(), "{out}");
    let after = org.export();
    assert_eq!(org_names(&after), org_names(&installed), "{out}");
    assert_eq!(
        after["workflows"][0]["content"]["xml"], installed["workflows"][0]["content"]["xml"],
        "the workflow is the backup's"
    );
    assert!(
        ops::diff::diff(&client, &fake_package())
            .unwrap()
            .is_clean(),
        "the package is installed again"
    );
}

#[test]
fn restore_after_an_interrupted_uninstall_brings_the_removed_rule_back() {
    let org = Org::start();
    org.seed(&dep_seed());
    let proxy = org.proxy();
    let client = org.client_at(proxy.port);
    install(&client, &options(org.dir.path())).0.unwrap();
    let installed = org_names(&org.export());
    proxy.fail(Fault {
        method: "DELETE",
        path_contains: "/rest/orgs/",
        from: 2,
        times: 100,
        kind: FaultKind::Status500,
    });
    let (r, out) = uninstall(&client, &request(org.dir.path()));
    let Err(OpsError::UninstallInterrupted {
        backup, deleted, ..
    }) = r
    else {
        panic!("{out}")
    };
    assert_eq!(deleted, ["rule Own rule"]);
    proxy.heal();

    let (r, out) = restore(&client, &restore_request(&backup, org.dir.path()));
    let report = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(report.imported, ["rule Own rule"], "{out}");
    assert!(report.deleted.is_empty(), "{out}");
    assert_eq!(org_names(&org.export()), installed);
}

#[test]
fn restore_interrupted_halfway_says_what_it_did_and_a_rerun_finishes() {
    let org = Org::start();
    org.seed(&dep_seed());
    let before = org_names(&org.export());
    let proxy = org.proxy();
    let client = org.client_at(proxy.port);
    let backup = install(&client, &options(org.dir.path()))
        .0
        .unwrap()
        .backup
        .unwrap();
    proxy.fail(Fault {
        method: "DELETE",
        path_contains: "/rest/orgs/",
        from: 2,
        times: 100,
        kind: FaultKind::Status500,
    });
    let req = restore_request(&backup, org.dir.path());
    let (r, out) = restore(&client, &req);
    let e = r.unwrap_err();
    let OpsError::UninstallInterrupted {
        command,
        deleted,
        remaining,
        backup: replaced,
        ..
    } = &e
    else {
        panic!("{e}\n{out}")
    };
    assert_eq!(*command, "restore");
    assert_eq!(deleted, &["rule Own rule"]);
    assert_eq!(remaining, &["workflow own_wf", "data table own_table"]);
    assert!(replaced.is_file());
    assert!(
        e.to_string()
            .starts_with("restore stopped at workflow own_wf"),
        "{e}"
    );
    let help = respack::help::Help::help(&e).unwrap();
    assert!(help.contains("re-run `respack restore`"), "{help}");

    proxy.heal();
    let (r, out) = restore(&client, &req);
    let report = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(report.outcome, ops::RestoreOutcome::Restored, "{out}");
    assert_eq!(report.deleted, ["workflow own_wf", "data table own_table"]);
    assert!(out.contains("absent"), "the rule counts as done: {out}");
    assert_eq!(org_names(&org.export()), before);
}

#[test]
fn restore_keeps_a_data_table_that_now_holds_rows_and_says_why() {
    let org = Org::start();
    org.seed(&dep_seed());
    let client = org.client();
    let backup = install(&client, &options(org.dir.path()))
        .0
        .unwrap()
        .backup
        .unwrap();
    let inc = client
        .create_incident(&json!({"name": "with a row", "discovered_date": 0}))
        .unwrap();
    let id = respack::soar::IncidentId(inc["id"].as_u64().unwrap());
    let mut cells = serde_json::Map::new();
    cells.insert("artifact".into(), json!("1.2.3.4"));
    client.add_table_row(id, "own_table", &cells).unwrap();

    let (r, out) = restore(&client, &restore_request(&backup, org.dir.path()));
    let report = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(
        report.deleted,
        ["rule Own rule", "workflow own_wf"],
        "{out}"
    );
    let kept: Vec<_> = report.kept().map(|c| c.name.clone()).collect();
    assert_eq!(kept, ["own_table"], "{out}");
    assert!(out.contains("incidents have rows in it"), "{out}");
    assert!(names(&org.export(), "types", "type_name").contains("own_table"));
}

#[test]
fn restore_without_a_terminal_and_without_yes_stops_before_any_change() {
    let org = Org::start();
    org.seed(&dep_seed());
    let client = org.client();
    let backup = install(&client, &options(org.dir.path()))
        .0
        .unwrap()
        .backup
        .unwrap();
    let installed = org_names(&org.export());
    let req = restore_request(&backup, org.dir.path());
    let mut out = vec![];
    let r = ops::restore::restore(
        &client,
        &fake_package(),
        &req,
        &mut Consent::NoTerminal,
        &mut out,
        Style::default(),
    );
    assert!(
        matches!(r, Err(OpsError::NeedsYes { command: "restore" })),
        "{r:?}"
    );
    assert_eq!(org_names(&org.export()), installed);
    assert_eq!(backups_in(&req.backup_dir), 0);
}

#[test]
fn restore_refuses_a_backup_of_another_org() {
    let org = Org::start();
    org.seed(&dep_seed());
    let client = org.client();
    let backup = install(&client, &options(org.dir.path()))
        .0
        .unwrap()
        .backup
        .unwrap();
    let other = org
        .dir
        .path()
        .join("Other-org-20240101T000000Z-before-install.res");
    std::fs::copy(&backup, &other).unwrap();
    let installed = org_names(&org.export());
    let (r, out) = restore(&client, &restore_request(&other, org.dir.path()));
    let e = r.unwrap_err();
    assert!(
        matches!(e, OpsError::BackupOfAnotherOrg { .. }),
        "{e}\n{out}"
    );
    assert!(e.to_string().contains("\"Other-org\""), "{e}");
    assert_eq!(org_names(&org.export()), installed);
}

#[test]
fn cli_restore_after_install_and_backups_listing_and_prune() {
    let org = Org::seeded();
    let before = org_names(&org.export());
    cli(&org, &["install", "--yes"]).success();
    let dir = org.dir.path().join("respack-backups");
    let list = backups_cli(&org, &[]).success();
    list.stdout_has("before install").stdout_has("1 backup(s)");
    let backup = backups_of(&dir);
    assert_eq!(backup.len(), 1);
    let backup = backup[0].to_str().unwrap().to_string();

    cli(&org, &["restore", &backup, "--dry-run"])
        .success()
        .stdout_has("dry run: nothing was changed");
    assert_ne!(
        org_names(&org.export()),
        before,
        "after --dry-run the package is still installed"
    );
    cli(&org, &["restore", &backup]).code(2).stderr_has("--yes");
    cli(&org, &["restore", &backup, "--yes"])
        .success()
        .stdout_has("verified");
    assert_eq!(org_names(&org.export()), before);

    let all = backups_of(&dir);
    assert_eq!(all.len(), 2, "restore wrote the state it replaced");
    let listed = backups_cli(&org, &["--backup-dir", dir.to_str().unwrap()]).success();
    listed
        .stdout_has("before restore")
        .stdout_has("2 backup(s)");
    backups_cli(&org, &["--prune", "1"])
        .success()
        .stdout_has("removed")
        .stdout_has("1 backup(s)");
    let left = backups_of(&dir);
    assert_eq!(left.len(), 1);
    assert!(
        left[0].to_str().unwrap().ends_with("-before-restore.res"),
        "the newest stays"
    );
}

#[test]
fn cli_restore_exits_1_when_the_data_table_holds_rows_and_names_it() {
    let org = Org::seeded();
    cli(&org, &["install", "--yes"]).success();
    let backup = backups_of(&org.dir.path().join("respack-backups")).remove(0);
    let client = org.client();
    let inc = client
        .create_incident(&json!({"name": "with a row", "discovered_date": 0}))
        .unwrap();
    let id = respack::soar::IncidentId(inc["id"].as_u64().unwrap());
    let mut cells = serde_json::Map::new();
    cells.insert("artifact".into(), json!("1.2.3.4"));
    client
        .add_table_row(id, "mitre_attack_of_artifact", &cells)
        .unwrap();

    cli(&org, &["restore", backup.to_str().unwrap(), "--yes"])
        .code(1)
        .stdout_has("incidents have rows in it")
        .stderr_has("not brought back: data table mitre_attack_of_artifact");
    let after = org.export();
    assert!(names(&after, "types", "type_name").contains("mitre_attack_of_artifact"));
    let workflows = names(&after, "workflows", "programmatic_name");
    assert!(
        !workflows.contains("qradar_advisor_offense_analysis_mitre")
            && !workflows.contains("qradar_advisor_map_rule_to_tactic"),
        "the rest is restored: {workflows:?}"
    );
    // A re-run has nothing left to do, and still says what could not be brought back.
    cli(&org, &["restore", backup.to_str().unwrap(), "--yes"])
        .code(1)
        .stdout_has("nothing to restore")
        .stderr_has("not brought back: data table mitre_attack_of_artifact");
}

#[test]
fn a_declined_restore_prompt_changes_nothing() {
    let org = Org::start();
    org.seed(&dep_seed());
    let client = org.client();
    let backup = install(&client, &options(org.dir.path()))
        .0
        .unwrap()
        .backup
        .unwrap();
    let installed = org_names(&org.export());
    let req = restore_request(&backup, org.dir.path());
    let mut asked = vec![];
    let mut no = |q: &str| {
        asked.push(q.to_string());
        Ok(false)
    };
    let mut out = vec![];
    let r = ops::restore::restore(
        &client,
        &fake_package(),
        &req,
        &mut Consent::Ask(&mut no),
        &mut out,
        Style::default(),
    );
    assert_eq!(r.unwrap().outcome, ops::RestoreOutcome::Declined);
    assert_eq!(asked.len(), 1);
    assert!(asked[0].contains("remove 3 object(s)"), "{asked:?}");
    assert_eq!(org_names(&org.export()), installed);
    assert_eq!(backups_in(&req.backup_dir), 0, "no backup when declined");
}

/// `respack backups [args]` in the org's folder (it needs no connection).
fn backups_cli(org: &Org, args: &[&str]) -> crate::util::Run {
    respack(["backups"].iter().chain(args).copied())
        .current_dir(org.dir.path())
        .run()
        .no_panic()
}

/// The backup files in `dir`, oldest first (their names sort by time).
fn backups_of(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "res"))
        .collect();
    v.sort();
    v
}
