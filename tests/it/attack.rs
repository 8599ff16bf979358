//! ATT&CK: the index on MITRE's real bundles (v4.0, v18.1, ics), STIX 2.1 input, hostile files,
//! the TAXII client against in-test servers (2.1 paging and 429, 2.0 Range paging), the cache,
//! the MITRE functions and `respack attack`.
use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use respack::attack::taxii;
use respack::attack::{
    load_bundle, open, CachePolicy, Domain, Filter, Index, Source, Status, TaxiiSource,
};
use respack::http::RetryPolicy;
use respack::runtime::mitre;
use respack::runtime::Inputs;
use serde_json::{json, Value};

use crate::require_shared;
use crate::util::respack;

const C2_V4: [&str; 22] = [
    "T1001", "T1008", "T1024", "T1026", "T1032", "T1043", "T1065", "T1071", "T1079", "T1090",
    "T1092", "T1094", "T1095", "T1102", "T1104", "T1105", "T1132", "T1172", "T1188", "T1205",
    "T1219", "T1483",
];

const PORT_KNOCKING_DETECTION: &str = "Record network packets sent to and from the system, looking for extraneous packets that do not belong to established flows.";
const PORT_KNOCKING_MITIGATION: &str = "Mitigation of some variants of this technique could be achieved through the use of stateful firewalls, depending upon how it is implemented.";

fn bundle(shared: &Path, name: &str) -> PathBuf {
    shared.join("attack").join(name)
}

fn technique(index: &Index, id: &str) -> respack::attack::TechniqueIdx {
    let found = index.find_techniques(
        id,
        Filter {
            include_revoked: true,
            ..Filter::default()
        },
    );
    assert_eq!(found.len(), 1, "{id}: {found:?}");
    found[0]
}

fn ids(index: &Index, list: &[respack::attack::TechniqueIdx]) -> Vec<String> {
    list.iter()
        .map(|t| index.technique(*t).attack_id.clone())
        .collect()
}

fn inputs(v: Value) -> Inputs {
    v.as_object().cloned().unwrap()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect()
}

// --- the index on MITRE's bundles ---------------------------------------------------------

#[test]
fn v4_command_and_control_has_the_22_techniques_of_2019() {
    let shared = require_shared!();
    let index = load_bundle(&bundle(&shared, "enterprise-attack-4.0.json.gz"), None).unwrap();
    let all = Filter::default();
    assert_eq!(index.tactics(all).len(), 12);
    assert_eq!(index.data().techniques.len(), 244);
    let c2 = index.require_tactics("Command and Control", all).unwrap();
    assert_eq!(c2.len(), 1);
    let tactic = index.tactic(c2[0]);
    assert_eq!(
        (tactic.attack_id.as_str(), tactic.shortname.as_str()),
        ("TA0011", "command-and-control")
    );
    assert_eq!(tactic.domain, Domain::Enterprise);
    // The same tactic by id and by shortname, case-insensitively.
    assert_eq!(index.find_tactics("ta0011", all), c2);
    assert_eq!(index.find_tactics("command-and-control", all), c2);

    let techs = index.techniques_of(c2[0], all);
    assert_eq!(ids(&index, &techs), C2_V4);

    let pk = technique(&index, "T1205");
    let t = index.technique(pk);
    assert_eq!(t.name, "Port Knocking");
    assert_eq!(t.x_mitre_detection, PORT_KNOCKING_DETECTION);
    assert_eq!(index.detection(pk), PORT_KNOCKING_DETECTION);
    let tactics: Vec<&str> = index
        .tactics_of(pk, all)
        .into_iter()
        .map(|x| index.tactic(x).shortname.as_str())
        .collect();
    assert_eq!(tactics.len(), 3, "{tactics:?}");
    assert!(tactics.contains(&"defense-evasion") && tactics.contains(&"persistence"));
    let mits = index.mitigations_of(pk, all);
    assert_eq!(mits.len(), 1);
    let m = index.mitigation(mits[0].mitigation);
    assert_eq!(
        (m.name.as_str(), m.attack_id.as_str()),
        ("Port Knocking Mitigation", "T1205")
    );
    assert_eq!(m.description, PORT_KNOCKING_MITIGATION);
    assert_eq!(mits[0].description, None);
    assert_eq!(
        index
            .technique(technique(&index, "Multi-hop Proxy"))
            .attack_id,
        "T1188"
    );
}

#[test]
fn v18_sub_techniques_revocations_mitigation_text_and_derived_detection() {
    let shared = require_shared!();
    let index = load_bundle(&bundle(&shared, "enterprise-attack-18.1.json.gz"), None).unwrap();
    let live = Filter::default();
    assert_eq!(index.tactics(live).len(), 14);
    let techniques = &index.data().techniques;
    assert_eq!(techniques.len(), 835);
    let alive: Vec<_> = techniques.iter().filter(|t| t.status.is_live()).collect();
    assert_eq!(alive.len(), 691);
    assert_eq!(alive.iter().filter(|t| t.is_subtechnique).count(), 475);
    let live_mitigations = index
        .data()
        .mitigations
        .iter()
        .filter(|m| m.status.is_live())
        .count();
    assert_eq!(live_mitigations, 44);

    let c2 = index.require_tactics("TA0011", live).unwrap()[0];
    let techs = index.techniques_of(c2, live);
    assert_eq!(techs.len(), 45);
    let subs = techs
        .iter()
        .filter(|t| index.technique(**t).is_subtechnique)
        .count();
    assert_eq!(subs, 27);
    let links: usize = techs
        .iter()
        .map(|t| index.mitigations_of(*t, live).len())
        .sum();
    assert_eq!(links, 73);
    let without: Vec<String> = techs
        .iter()
        .filter(|t| index.mitigations_of(**t, live).is_empty())
        .map(|t| index.technique(*t).attack_id.clone())
        .collect();
    assert_eq!(without, ["T1568.001", "T1568.003", "T1665"]);

    // Sub-techniques and parents.
    let ts = technique(&index, "T1205");
    assert_eq!(index.technique(ts).name, "Traffic Signaling");
    assert_eq!(
        ids(&index, &index.technique(ts).subtechniques),
        ["T1205.001", "T1205.002"]
    );
    let pk = technique(&index, "T1205.001");
    assert_eq!(index.technique(pk).name, "Port Knocking");
    assert_eq!(index.technique(pk).parent, Some(ts));

    // Revoked → replacement, hidden by default.
    let old = technique(&index, "T1188");
    assert_eq!(index.technique(old).status, Status::Revoked);
    assert!(index.find_techniques("T1188", live).is_empty());
    let resolved = index.require_techniques("T1188", live).unwrap();
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].replaced, Some(old));
    assert_eq!(
        index.technique(resolved[0].technique).attack_id,
        "T1090.003"
    );

    // The 2019 sentence now lives on the relationship M1037 → T1205.
    let mits = index.mitigations_of(ts, live);
    let mit_ids: Vec<&str> = mits
        .iter()
        .map(|l| index.mitigation(l.mitigation).attack_id.as_str())
        .collect();
    assert_eq!(mit_ids, ["M1037", "M1042"]);
    assert!(mits[0]
        .description
        .as_deref()
        .unwrap_or_default()
        .contains("stateful firewalls"));

    // Detection: empty field, derived from DET0524 and its analytics.
    assert_eq!(index.technique(ts).x_mitre_detection, "");
    let det = index.detection(ts);
    assert!(
        det.starts_with("Detection strategy DET0524 Traffic Signaling"),
        "{det}"
    );
    for an in [
        "AN1448 [Windows]",
        "AN1449 [Linux]",
        "AN1450 [macOS]",
        "AN1451 [Network Devices]",
    ] {
        assert!(det.contains(an), "{an} missing from {det}");
    }
    assert!(det.contains("Network Traffic Flow (DC"), "{det}");
}

#[test]
fn ics_domain_is_recognised() {
    let shared = require_shared!();
    let index = load_bundle(&bundle(&shared, "ics-attack-18.1.json.gz"), None).unwrap();
    assert_eq!(index.domains(), [Domain::Ics]);
    let c2 = index
        .require_tactics("Command and Control", Filter::default())
        .unwrap();
    let tactic = index.tactic(c2[0]);
    assert_eq!(
        (tactic.attack_id.as_str(), tactic.domain),
        ("TA0101", Domain::Ics)
    );
    let techs = index.techniques_of(c2[0], Filter::default());
    assert!(!techs.is_empty());
    assert!(techs
        .iter()
        .all(|t| index.technique(*t).domain == Domain::Ics));
    // Asking for another domain finds nothing, and says where it looked.
    let err = index
        .require_tactics(
            "Command and Control",
            Filter {
                domain: Some(Domain::Enterprise),
                ..Filter::default()
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("enterprise"), "{err}");
}

// --- synthetic data: STIX 2.1, hostile files ------------------------------------------------

/// A small ATT&CK-shaped domain: two tactics, `n` techniques (the first with a sub-technique
/// and a mitigation), a revoked technique and some noise the index must skip.
fn synthetic(n: usize, spec_21: bool) -> Vec<Value> {
    let ext = |id: &str| json!([{"source_name": "mitre-attack", "external_id": id, "url": format!("https://attack.mitre.org/x/{id}")}]);
    let mut objs = vec![
        json!({"type": "x-mitre-matrix", "id": "x-mitre-matrix--1", "name": "Enterprise ATT&CK",
               "external_references": [{"source_name": "mitre-attack", "external_id": "enterprise-attack"}],
               "tactic_refs": ["x-mitre-tactic--exec", "x-mitre-tactic--c2"]}),
        json!({"type": "x-mitre-tactic", "id": "x-mitre-tactic--c2", "name": "Command and Control",
               "x_mitre_shortname": "command-and-control", "external_references": ext("TA0011")}),
        json!({"type": "x-mitre-tactic", "id": "x-mitre-tactic--exec", "name": "Execution",
               "x_mitre_shortname": "execution", "external_references": ext("TA0002")}),
        json!({"type": "course-of-action", "id": "course-of-action--m1", "name": "Filter Network Traffic",
               "description": "Generic text.", "external_references": ext("M1037")}),
        json!({"type": "malware", "id": "malware--noise", "name": "Noise", "description": "not \"needed\""}),
        json!({"type": "attack-pattern", "id": "attack-pattern--old", "name": "Old Technique", "revoked": true,
               "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "command-and-control"}],
               "external_references": ext("T8999")}),
        json!({"type": "relationship", "id": "relationship--rev", "relationship_type": "revoked-by",
               "source_ref": "attack-pattern--old", "target_ref": "attack-pattern--t0"}),
        json!({"type": "attack-pattern", "id": "attack-pattern--sub", "name": "Sub Zero", "x_mitre_is_subtechnique": true,
               "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "command-and-control"}],
               "external_references": ext("T9000.001"), "x_mitre_detection": "Watch it."}),
        json!({"type": "relationship", "id": "relationship--sub", "relationship_type": "subtechnique-of",
               "source_ref": "attack-pattern--sub", "target_ref": "attack-pattern--t0"}),
        json!({"type": "relationship", "id": "relationship--mit", "relationship_type": "mitigates",
               "source_ref": "course-of-action--m1", "target_ref": "attack-pattern--t0",
               "description": "Specific text."}),
    ];
    for i in 0..n {
        let phase = if i % 2 == 0 {
            "command-and-control"
        } else {
            "execution"
        };
        objs.push(json!({"type": "attack-pattern", "id": format!("attack-pattern--t{i}"), "name": format!("Technique {i}"),
            "description": format!("Does thing {i}."), "x_mitre_detection": format!("Detect {i}."),
            "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": phase}],
            "external_references": ext(&format!("T{}", 9000 + i))}));
        objs.push(json!({"type": "relationship", "id": format!("relationship--uses{i}"), "relationship_type": "uses",
            "source_ref": "malware--noise", "target_ref": format!("attack-pattern--t{i}")}));
    }
    if spec_21 {
        for o in &mut objs {
            o["spec_version"] = json!("2.1");
            o["x_mitre_domains"] = json!(["enterprise-attack"]);
            o["created"] = json!("2025-01-01T00:00:00.000Z");
            o["modified"] = json!("2025-01-01T00:00:00.000Z");
        }
        objs.push(json!({"type": "x-mitre-collection", "id": "x-mitre-collection--1", "spec_version": "2.1",
                         "name": "Enterprise ATT&CK", "x_mitre_contents": []}));
    }
    objs
}

fn write_json(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec(v).unwrap()).unwrap();
    p
}

fn check_synthetic(index: &Index, n: usize) {
    let all = Filter::default();
    let order: Vec<&str> = index
        .tactics(all)
        .into_iter()
        .map(|t| index.tactic(t).attack_id.as_str())
        .collect();
    assert_eq!(order, ["TA0002", "TA0011"], "matrix order");
    let c2 = index.require_tactics("command and control", all).unwrap()[0];
    let techs = ids(index, &index.techniques_of(c2, all));
    let mut expected = vec!["T9000".to_string(), "T9000.001".to_string()];
    expected.extend((2..n).step_by(2).map(|i| format!("T{}", 9000 + i)));
    assert_eq!(techs, expected);
    let t0 = technique(index, "T9000");
    assert_eq!(index.technique(t0).subtechniques.len(), 1);
    let mits = index.mitigations_of(t0, all);
    assert_eq!(mits[0].description.as_deref(), Some("Specific text."));
    assert_eq!(
        index.require_techniques("T8999", all).unwrap()[0].technique,
        t0
    );
}

#[test]
fn stix_21_bundle_and_taxii_envelope_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let b21 = write_json(
        dir.path(),
        "b21.json",
        &json!({"type": "bundle", "id": "bundle--1", "objects": synthetic(5, true)}),
    );
    check_synthetic(&load_bundle(&b21, None).unwrap(), 5);
    // A TAXII 2.1 envelope saved to a file: no `type`, `objects` at the top.
    let env = write_json(
        dir.path(),
        "env.json",
        &json!({"more": false, "objects": synthetic(5, true)}),
    );
    check_synthetic(&load_bundle(&env, None).unwrap(), 5);
    // STIX 2.0, gzip.
    let gz = dir.path().join("b20.json.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(
        &mut enc,
        &serde_json::to_vec(
            &json!({"type": "bundle", "spec_version": "2.0", "objects": synthetic(5, false)}),
        )
        .unwrap(),
    )
    .unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    check_synthetic(&load_bundle(&gz, None).unwrap(), 5);
}

#[test]
fn hostile_bundles_give_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let not_json = d.join("not-json.json");
    std::fs::write(&not_json, b"<html>nope</html>").unwrap();
    let not_bundle = write_json(d, "array.json", &json!([1, 2, 3]));
    let other_type = write_json(
        d,
        "indicator.json",
        &json!({"type": "indicator", "objects": []}),
    );
    let no_tactics = write_json(d, "empty.json", &json!({"type": "bundle", "objects": []}));
    let wrong_field = write_json(
        d,
        "wrong.json",
        &json!({"type": "bundle", "objects": [{"type": "attack-pattern", "id": 5}]}),
    );
    let truncated = d.join("truncated.json.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(
        &mut enc,
        &serde_json::to_vec(&json!({"type": "bundle", "objects": synthetic(50, false)})).unwrap(),
    )
    .unwrap();
    let gz = enc.finish().unwrap();
    std::fs::write(&truncated, &gz[..gz.len() / 2]).unwrap();
    let missing = d.join("missing.json");

    for (path, words) in [
        (&not_json, "not valid JSON"),
        (&not_bundle, "not a STIX bundle"),
        (&other_type, "indicator"),
        (&no_tactics, "no ATT&CK tactics"),
        (&wrong_field, "unexpected JSON shape"),
        (&truncated, "truncated"),
        (&missing, "cannot read"),
    ] {
        let err = load_bundle(path, None).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(msg.contains(words), "{words:?} not in {msg}");
        respack(["attack", "tactic", "TA0011", "--no-cache", "--bundle"])
            .arg(path)
            .run()
            .code(2)
            .no_panic()
            .stderr_has(&path.display().to_string())
            .stderr_has("help: ");
    }
}

// --- TAXII against in-test servers ----------------------------------------------------------

/// Start an axum app on 127.0.0.1:0 on its own runtime thread; the port is returned.
fn serve(app: axum::Router) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

#[derive(Default)]
struct Seen {
    object_queries: Vec<String>,
    ranges: Vec<String>,
    bad_accept: Vec<String>,
    rate_limited: u32,
    /// Answer every request with 500 (a server that broke).
    fail_all: bool,
}

type Shared = Arc<Mutex<Seen>>;

/// A TAXII 2.1 server with a page cap of 4 objects, that answers the first objects request
/// with 429 and insists on MITRE's exact Accept header.
fn taxii21_server(data: Vec<Value>, seen: Shared) -> SocketAddr {
    use axum::extract::{Path as UrlPath, Query, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::{IntoResponse, Response};
    use axum::routing::get;

    const CT: &str = "application/taxii+json;version=2.1";
    #[derive(Clone)]
    struct App {
        objects: Arc<Vec<Value>>,
        seen: Shared,
    }
    fn reply(v: Value) -> Response {
        ([("content-type", CT)], v.to_string()).into_response()
    }
    fn accept_ok(app: &App, h: &HeaderMap) -> bool {
        let a = h.get("accept").and_then(|v| v.to_str().ok()).unwrap_or("");
        if a != taxii::ACCEPT_TAXII_21 {
            app.seen.lock().unwrap().bad_accept.push(a.to_owned());
            return false;
        }
        true
    }
    async fn discovery(State(app): State<App>, h: HeaderMap) -> Response {
        if app.seen.lock().unwrap().fail_all {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        if !accept_ok(&app, &h) {
            return StatusCode::NOT_ACCEPTABLE.into_response();
        }
        reply(json!({"title": "test", "default": "/api1/", "api_roots": ["/api1/"]}))
    }
    async fn root(State(app): State<App>, h: HeaderMap) -> Response {
        if !accept_ok(&app, &h) {
            return StatusCode::NOT_ACCEPTABLE.into_response();
        }
        reply(json!({"title": "api1", "versions": [CT], "max_content_length": 1000000}))
    }
    async fn collections(State(app): State<App>, h: HeaderMap) -> Response {
        if !accept_ok(&app, &h) {
            return StatusCode::NOT_ACCEPTABLE.into_response();
        }
        reply(json!({"collections": [
            {"id": "mobile-1", "title": "Mobile ATT&CK", "can_read": true},
            {"id": "enterprise-1", "title": "Enterprise ATT&CK", "can_read": true}]}))
    }
    async fn objects(
        State(app): State<App>,
        UrlPath(id): UrlPath<String>,
        Query(q): Query<HashMap<String, String>>,
        h: HeaderMap,
    ) -> Response {
        if !accept_ok(&app, &h) {
            return StatusCode::NOT_ACCEPTABLE.into_response();
        }
        if id != "enterprise-1" {
            return StatusCode::NOT_FOUND.into_response();
        }
        {
            let mut seen = app.seen.lock().unwrap();
            if seen.rate_limited == 0 {
                seen.rate_limited += 1;
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", "0")],
                    "slow down",
                )
                    .into_response();
            }
            let mut keys: Vec<_> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
            keys.sort();
            seen.object_queries.push(keys.join("&"));
        }
        let limit = q
            .get("limit")
            .and_then(|l| l.parse::<usize>().ok())
            .unwrap_or(usize::MAX)
            .min(4);
        if q.contains_key("next") && !q.contains_key("limit") {
            return (StatusCode::BAD_REQUEST, "next without limit").into_response();
        }
        let start: usize = q.get("next").and_then(|n| n.parse().ok()).unwrap_or(0) * limit;
        let page: Vec<Value> = app
            .objects
            .iter()
            .skip(start)
            .take(limit)
            .cloned()
            .collect();
        let more = start + page.len() < app.objects.len();
        let mut body = json!({"more": more, "objects": page});
        if more {
            body["next"] = json!((start / limit + 1).to_string());
        }
        reply(body)
    }
    let app = App {
        objects: Arc::new(data),
        seen,
    };
    serve(
        axum::Router::new()
            .route("/taxii2/", get(discovery))
            .route("/api1/", get(root))
            .route("/api1/collections/", get(collections))
            .route("/api1/collections/{id}/objects/", get(objects))
            .with_state(app),
    )
}

/// A TAXII 2.0 server: 2.1 media types get 406; objects come in `Range` pages of at most 3.
/// With `spec_form_only`, only the spec's `items A-B` spelling is understood.
fn taxii20_server(data: Vec<Value>, seen: Shared, spec_form_only: bool) -> SocketAddr {
    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::{IntoResponse, Response};
    use axum::routing::get;

    #[derive(Clone)]
    struct App {
        objects: Arc<Vec<Value>>,
        seen: Shared,
        spec_form_only: bool,
    }
    fn accept(h: &HeaderMap) -> String {
        h.get("accept")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    }
    fn taxii(v: Value) -> Response {
        (
            [(
                "content-type",
                "application/vnd.oasis.taxii+json; version=2.0",
            )],
            v.to_string(),
        )
            .into_response()
    }
    async fn discovery(h: HeaderMap) -> Response {
        if !accept(&h).contains("vnd.oasis.taxii+json") {
            return StatusCode::NOT_ACCEPTABLE.into_response();
        }
        taxii(json!({"title": "old", "api_roots": ["stix/"]}))
    }
    async fn root(h: HeaderMap) -> Response {
        if !accept(&h).contains("vnd.oasis.taxii+json") {
            return StatusCode::NOT_ACCEPTABLE.into_response();
        }
        taxii(json!({"title": "stix", "versions": ["taxii-2.0"]}))
    }
    async fn collections(h: HeaderMap) -> Response {
        if !accept(&h).contains("vnd.oasis.taxii+json") {
            return StatusCode::NOT_ACCEPTABLE.into_response();
        }
        taxii(
            json!({"collections": [{"id": "95ecc380-afe9-11e4-9b6c-751b66dd541e", "title": "Enterprise ATT&CK", "can_read": true}]}),
        )
    }
    async fn objects(State(app): State<App>, h: HeaderMap) -> Response {
        if !accept(&h).contains("vnd.oasis.stix+json") {
            return StatusCode::NOT_ACCEPTABLE.into_response();
        }
        let range = h
            .get("range")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        app.seen.lock().unwrap().ranges.push(range.clone());
        let spec = range.strip_prefix("items ");
        let parsed = match (spec, range.strip_prefix("items=")) {
            (Some(r), _) => Some(r),
            (None, Some(r)) if !app.spec_form_only => Some(r),
            _ => None,
        };
        let Some((a, b)) = parsed.and_then(|r| r.split_once('-')) else {
            return StatusCode::RANGE_NOT_SATISFIABLE.into_response();
        };
        let (a, b): (usize, usize) = (a.parse().unwrap(), b.parse().unwrap());
        let total = app.objects.len();
        if a >= total {
            return StatusCode::RANGE_NOT_SATISFIABLE.into_response();
        }
        let end = b.min(a + 2).min(total - 1);
        let page: Vec<Value> = app.objects[a..=end].to_vec();
        (
            StatusCode::PARTIAL_CONTENT,
            [
                (
                    "content-type",
                    "application/vnd.oasis.stix+json; version=2.0".to_string(),
                ),
                ("content-range", format!("items {a}-{end}/{total}")),
            ],
            json!({"type": "bundle", "id": "bundle--x", "spec_version": "2.0", "objects": page})
                .to_string(),
        )
            .into_response()
    }
    let app = App {
        objects: Arc::new(data),
        seen,
        spec_form_only,
    };
    serve(
        axum::Router::new()
            .route("/taxii/", get(discovery))
            .route("/stix/", get(root))
            .route("/stix/collections/", get(collections))
            .route(
                "/stix/collections/95ecc380-afe9-11e4-9b6c-751b66dd541e/objects/",
                get(objects),
            )
            .with_state(app),
    )
}

fn quick_backoff() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
    }
}

#[test]
fn taxii_21_pages_with_limit_and_next_and_backs_off_on_429() {
    let seen = Shared::default();
    let objects = synthetic(6, true);
    let total = objects.len();
    let addr = taxii21_server(objects, seen.clone());
    let mut src = TaxiiSource::new(&format!("http://{addr}/taxii2/"), Domain::Enterprise);
    src.options.retry = quick_backoff();
    let index = respack::attack::source::download(&src).unwrap();
    check_synthetic(&index, 6);
    assert!(
        index.origin().contains("enterprise-1"),
        "{}",
        index.origin()
    );

    let seen = seen.lock().unwrap();
    assert_eq!(seen.rate_limited, 1);
    assert!(seen.bad_accept.is_empty(), "{:?}", seen.bad_accept);
    // First page unlimited (the server capped it at 4), then limit=4 with next=1, 2, ...
    let pages = total.div_ceil(4);
    assert_eq!(
        seen.object_queries.len(),
        pages,
        "{:?}",
        seen.object_queries
    );
    assert_eq!(seen.object_queries[0], "");
    assert_eq!(seen.object_queries[1], "limit=4&next=1");
}

#[test]
fn taxii_21_explicit_page_size_is_sent() {
    let seen = Shared::default();
    let addr = taxii21_server(synthetic(3, true), seen.clone());
    let mut src = TaxiiSource::new(&format!("http://{addr}/api1/"), Domain::Enterprise);
    src.options.retry = quick_backoff();
    src.options.page_size = Some(2);
    check_synthetic(&respack::attack::source::download(&src).unwrap(), 3);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.object_queries[0], "limit=2");
    assert!(seen
        .object_queries
        .iter()
        .skip(1)
        .all(|q| q.starts_with("limit=2&next=")));
}

#[test]
fn taxii_21_gives_up_after_the_retries_with_a_clear_error() {
    use axum::http::StatusCode;
    let addr =
        serve(axum::Router::new().fallback(|| async { (StatusCode::TOO_MANY_REQUESTS, "no") }));
    let mut src = TaxiiSource::new(&format!("http://{addr}/taxii2/"), Domain::Enterprise);
    src.options.retry = quick_backoff();
    let err = respack::attack::source::download(&src).unwrap_err();
    assert!(err.to_string().contains("429"), "{err}");
    assert!(err.to_string().contains("after 3 retries"), "{err}");
}

#[test]
fn taxii_20_pages_with_range_headers_in_both_spellings() {
    for spec_form_only in [false, true] {
        let seen = Shared::default();
        let objects = synthetic(6, false);
        let total = objects.len();
        let addr = taxii20_server(objects, seen.clone(), spec_form_only);
        let mut src = TaxiiSource::new(&format!("http://{addr}/taxii/"), Domain::Enterprise);
        src.options.page_size = Some(3);
        let index = respack::attack::source::download(&src).unwrap();
        check_synthetic(&index, 6);
        let seen = seen.lock().unwrap();
        let expected_first = if spec_form_only {
            vec!["items=0-2", "items 0-2"]
        } else {
            vec!["items=0-2"]
        };
        assert_eq!(
            &seen.ranges[..expected_first.len()],
            expected_first.as_slice()
        );
        assert_eq!(
            seen.ranges.len(),
            total.div_ceil(3) + expected_first.len() - 1
        );
    }
}

#[test]
fn taxii_answers_are_cached_with_an_age_and_used_when_the_server_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let seen = Shared::default();
    let addr = taxii21_server(synthetic(4, true), seen.clone());
    let mut src = TaxiiSource::new(&format!("http://{addr}/taxii2/"), Domain::Enterprise);
    src.options.retry = quick_backoff();
    let policy = |max_age| CachePolicy::Dir {
        dir: dir.path().to_owned(),
        max_age,
        refresh: false,
    };
    let day = Duration::from_secs(86_400);
    let first = open(&Source::Taxii(src.clone()), None, &policy(day)).unwrap();
    assert!(!first.from_cache);
    let requests = seen.lock().unwrap().object_queries.len();
    let second = open(&Source::Taxii(src.clone()), None, &policy(day)).unwrap();
    assert!(second.from_cache);
    assert_eq!(
        seen.lock().unwrap().object_queries.len(),
        requests,
        "no new download"
    );
    check_synthetic(&second.index, 4);

    // Too old, and the server failing: the old copy is used, with a note saying how old.
    seen.lock().unwrap().fail_all = true;
    let stale = open(&Source::Taxii(src), None, &policy(Duration::ZERO)).unwrap();
    assert!(stale.from_cache);
    assert!(
        stale.notes[0].contains("using the cached copy from"),
        "{:?}",
        stale.notes
    );
    check_synthetic(&stale.index, 4);
}

// --- the cache --------------------------------------------------------------------------------

#[test]
fn bundle_index_is_served_from_cache_and_a_corrupt_cache_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let cache_dir = dir.path().join("cache");
    let b = write_json(
        dir.path(),
        "b.json",
        &json!({"type": "bundle", "objects": synthetic(5, false)}),
    );
    let policy = CachePolicy::Dir {
        dir: cache_dir.clone(),
        max_age: Duration::from_secs(60),
        refresh: false,
    };
    let first = open(&Source::Bundle(b.clone()), None, &policy).unwrap();
    assert!(!first.from_cache);
    let second = open(&Source::Bundle(b.clone()), None, &policy).unwrap();
    assert!(second.from_cache);
    check_synthetic(&second.index, 5);

    let files: Vec<_> = std::fs::read_dir(&cache_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    std::fs::write(&files[0], b"{\"format\": 1, \"key\": {\"kind\": \"bundle\"").unwrap();
    let third = open(&Source::Bundle(b.clone()), None, &policy).unwrap();
    assert!(!third.from_cache);
    assert!(
        third.notes[0].contains("ignored ATT&CK cache"),
        "{:?}",
        third.notes
    );
    check_synthetic(&third.index, 5);
    assert!(
        open(&Source::Bundle(b.clone()), None, &policy)
            .unwrap()
            .from_cache
    );

    // A changed bundle is a different key: the old entry is not used for it.
    std::fs::write(
        &b,
        serde_json::to_vec(&json!({"type": "bundle", "objects": synthetic(7, false)})).unwrap(),
    )
    .unwrap();
    let changed = open(&Source::Bundle(b.clone()), None, &policy).unwrap();
    assert!(!changed.from_cache);
    assert!(
        changed
            .index
            .find_techniques("T9006", Filter::default())
            .len()
            == 1
    );
}

#[test]
fn cli_uses_the_cache_dir_and_survives_a_corrupt_cache_file() {
    let shared = require_shared!();
    let dir = tempfile::tempdir().unwrap();
    let b = bundle(&shared, "enterprise-attack-4.0.json.gz");
    let run = || {
        respack(["attack", "tactic", "TA0011", "--format", "json", "--bundle"])
            .arg(&b)
            .env("RESPACK_CACHE_DIR", dir.path())
            .run()
            .success()
    };
    let first = run().stdout();
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "one cache entry");
    assert_eq!(run().stdout(), first, "same answer from the cache");
    std::fs::write(&files[0], b"garbage").unwrap();
    let third = run().stderr_has("ignored ATT&CK cache");
    assert_eq!(third.stdout(), first);
    assert!(std::fs::read(&files[0]).unwrap().len() > 1000, "rebuilt");
}

// --- the MITRE functions ---------------------------------------------------------------------

#[test]
fn tactic_information_1_0_inputs_and_output() {
    let shared = require_shared!();
    let index = load_bundle(&bundle(&shared, "enterprise-attack-4.0.json.gz"), None).unwrap();
    let out = mitre::mitre_tactic_information(
        &index,
        &inputs(json!({"mitre_tactic_name": "Command and Control", "mitre_tactic_id": null})),
    )
    .unwrap();
    let r = &out.result;
    assert_eq!(keys(r), BTreeSet::from(["mitre_tactics".to_string()]));
    let t = &r["mitre_tactics"][0];
    assert_eq!(
        keys(t),
        ["tactic_name", "tactic_id", "tactic_ref", "techs"]
            .map(String::from)
            .into()
    );
    assert_eq!(t["tactic_id"], "TA0011");
    assert_eq!(t["tactic_ref"], "https://attack.mitre.org/tactics/TA0011/");
    let techs = t["techs"].as_array().unwrap();
    assert_eq!(techs.len(), 22);
    let pk = techs
        .iter()
        .find(|x| x["mitre_tech_id"] == "T1205")
        .unwrap();
    assert_eq!(
        keys(pk),
        [
            "name",
            "description",
            "external_references",
            "x_mitre_detection",
            "mitre_tech_id"
        ]
        .map(String::from)
        .into()
    );
    assert_eq!(pk["x_mitre_detection"], PORT_KNOCKING_DETECTION);
    assert_eq!(
        pk["external_references"][0],
        json!({"url": "https://attack.mitre.org/techniques/T1205"})
    );

    // Names win over ids; lists split on ", ".
    let out = mitre::mitre_tactic_information(
        &index,
        &inputs(json!({"mitre_tactic_name": "Execution, Command and Control", "mitre_tactic_id": "TA0001"})),
    )
    .unwrap();
    let got: Vec<&str> = out.result["mitre_tactics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tactic_id"].as_str().unwrap())
        .collect();
    assert_eq!(got, ["TA0002", "TA0011"]);
    let by_id =
        mitre::mitre_tactic_information(&index, &inputs(json!({"mitre_tactic_id": "TA0011"})))
            .unwrap();
    assert_eq!(
        by_id.result["mitre_tactics"][0]["tactic_name"],
        "Command and Control"
    );

    let err = mitre::mitre_tactic_information(&index, &inputs(json!({"mitre_tactic_name": ""})))
        .unwrap_err();
    assert_eq!(
        err.message,
        "Neither name nor id is provided for getting techniques."
    );
    let err = mitre::mitre_tactic_information(
        &index,
        &inputs(json!({"mitre_tactic_name": "Execution,Persistence"})),
    )
    .unwrap_err();
    assert_eq!(
        err.message,
        "Tactic with name Execution,Persistence does not exist."
    );
    let err =
        mitre::mitre_tactic_information(&index, &inputs(json!({"mitre_tactic_id": "TA9999"})))
            .unwrap_err();
    assert_eq!(err.message, "Tactic with id TA9999 does not exist.");
    assert_eq!(err.function, "mitre_tactic_information");
}

#[test]
fn technique_information_1_0_gives_the_first_mitigation() {
    let shared = require_shared!();
    let index = load_bundle(&bundle(&shared, "enterprise-attack-4.0.json.gz"), None).unwrap();
    let out = mitre::mitre_technique_information(
        &index,
        &inputs(json!({"mitre_technique_name": "Port Knocking", "mitre_technique_id": "T1001"})),
    )
    .unwrap();
    let r = &out.result;
    assert_eq!(r["mitre_tech_id"], "T1205", "names win over ids");
    assert_eq!(r["mitre_mitigation"], PORT_KNOCKING_MITIGATION);
    assert_eq!(r["x_mitre_detection"], PORT_KNOCKING_DETECTION);
    let only = mitre::mitre_technique_information(
        &index,
        &inputs(json!({"mitre_technique_id": "T1205", "mitre_technique_mitigation_only": true})),
    )
    .unwrap();
    assert_eq!(only.result["mitre_mitigation"], PORT_KNOCKING_MITIGATION);
    assert_eq!(only.result["mitre_tech_id"], "");
    assert_eq!(only.result["external_references"], json!([{"url": ""}]));
}

#[test]
fn the_2x_envelope_matches_the_integration_payload_samples() {
    let shared = require_shared!();
    let index = load_bundle(&bundle(&shared, "enterprise-attack-18.1.json.gz"), None).unwrap();
    let sample: Value = serde_json::from_slice(
        &std::fs::read(shared.join(
            "corpus/payloads/mitre_tactic_information/DERIVED_trimmed_output_json_example.json",
        ))
        .unwrap(),
    )
    .unwrap();
    let out = mitre::mitre_tactic_information_v2(
        &index,
        &inputs(json!({"mitre_tactic_id": null, "mitre_tactic_name": "Command and Control"})),
    )
    .unwrap()
    .result;
    for k in ["version", "success", "reason", "content"] {
        assert!(keys(&out).contains(k), "{k}");
        assert!(keys(&sample).contains(k));
    }
    assert_eq!(
        keys(&out),
        ["version", "success", "reason", "content", "raw", "inputs", "metrics"]
            .map(String::from)
            .into()
    );
    let (ours, theirs) = (
        &out["content"]["mitre_tactics"][0],
        &sample["content"]["mitre_tactics"][0],
    );
    assert_eq!(keys(ours), keys(theirs));
    assert_eq!(ours["ref"], theirs["ref"]);
    assert_eq!(ours["collection"], theirs["collection"]);
    let their_tech = &theirs["mitre_techniques"][0];
    let our_tech = ours["mitre_techniques"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == their_tech["id"])
        .expect("sample technique present");
    assert_eq!(keys(our_tech), keys(their_tech));
    assert_eq!(our_tech["name"], their_tech["name"]);

    let tech_sample: Value = serde_json::from_slice(
        &std::fs::read(
            shared.join("corpus/payloads/mitre_technique_information/output_json_example.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let out = mitre::mitre_technique_information_v2(&index, &inputs(tech_sample["inputs"].clone()))
        .unwrap()
        .result;
    let (ours, theirs) = (
        &out["content"]["mitre_techniques"][0],
        &tech_sample["content"]["mitre_techniques"][0],
    );
    assert_eq!(keys(ours), keys(theirs));
    for k in ["name", "id", "collection", "tactic", "external_references"] {
        assert_eq!(ours[k], theirs[k], "{k}");
    }
    assert_eq!(
        keys(&ours["mitre_mitigations"][0]),
        keys(&theirs["mitre_mitigations"][0])
    );
    assert_eq!(ours["mitre_mitigations"][0]["id"], "M1026");
    assert_eq!(out["inputs"], tech_sample["inputs"]);

    let err = mitre::mitre_tactic_information_v2(
        &index,
        &inputs(json!({"mitre_tactic_id": "TA0011, TA9999"})),
    )
    .unwrap_err();
    assert_eq!(err.message, "Tactics with id TA9999 do not exist.");
}

#[test]
fn functions_are_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Index>();
    let dir = tempfile::tempdir().unwrap();
    let b = write_json(
        dir.path(),
        "b.json",
        &json!({"type": "bundle", "objects": synthetic(4, false)}),
    );
    let index = Arc::new(load_bundle(&b, None).unwrap());
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let index = Arc::clone(&index);
            std::thread::spawn(move || {
                mitre::call(
                    mitre::Api::V1,
                    mitre::TACTIC_FUNCTION,
                    &index,
                    &inputs(json!({"mitre_tactic_id": "TA0011"})),
                )
                .unwrap()
                .result["mitre_tactics"][0]["techs"]
                    .as_array()
                    .unwrap()
                    .len()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 3);
    }
}

// --- the command line ------------------------------------------------------------------------

#[test]
fn cli_tactic_table_and_json_on_the_2019_bundle() {
    let shared = require_shared!();
    let b = bundle(&shared, "enterprise-attack-4.0.json.gz");
    let run = respack([
        "attack",
        "tactic",
        "Command and Control",
        "--no-cache",
        "--bundle",
    ])
    .arg(&b)
    .run()
    .success()
    .stdout_has("TA0011 Command and Control (enterprise, 22 techniques)")
    .stdout_has("T1188  Multi-hop Proxy");
    assert!(run
        .stdout()
        .lines()
        .any(|l| l.starts_with("T1205") && l.contains("Port Knocking")));

    let json = respack([
        "attack",
        "tactic",
        "command-and-control",
        "--format",
        "json",
        "--no-cache",
        "--bundle",
    ])
    .arg(&b)
    .run()
    .success()
    .json();
    // The same answer the 1.0 function gives.
    let index = load_bundle(&b, None).unwrap();
    let expected =
        mitre::mitre_tactic_information(&index, &inputs(json!({"mitre_tactic_id": "TA0011"})))
            .unwrap()
            .result;
    assert_eq!(json, expected);
    assert_eq!(
        json["mitre_tactics"][0]["techs"].as_array().unwrap().len(),
        22
    );

    let v2 = respack([
        "attack",
        "tactic",
        "TA0011",
        "--format",
        "json",
        "--api",
        "v2",
        "--no-cache",
        "--bundle",
    ])
    .arg(&b)
    .run()
    .success()
    .json();
    assert_eq!(
        v2["content"]["mitre_tactics"][0]["ref"],
        "https://attack.mitre.org/tactics/TA0011"
    );
    assert_eq!(v2["inputs"]["mitre_tactic_id"], "TA0011");
}

#[test]
fn cli_technique_text_and_json() {
    let shared = require_shared!();
    let b18 = bundle(&shared, "enterprise-attack-18.1.json.gz");
    respack(["attack", "technique", "T1188", "--no-cache", "--bundle"])
        .arg(&b18)
        .run()
        .success()
        .stdout_has("T1090.003 Multi-hop Proxy")
        .stderr_has("T1188 Multi-hop Proxy is revoked");
    respack([
        "attack",
        "technique",
        "traffic signaling",
        "--no-cache",
        "--bundle",
    ])
    .arg(&b18)
    .run()
    .success()
    .stdout_has("Sub-techniques: T1205.001 Port Knocking, T1205.002 Socket Filters")
    .stdout_has("Detection strategy DET0524")
    .stdout_has("M1037 Filter Network Traffic")
    .stdout_has("stateful firewalls");
    let json = respack([
        "attack",
        "technique",
        "T1205",
        "--format",
        "json",
        "--no-cache",
        "--bundle",
    ])
    .arg(bundle(&shared, "enterprise-attack-4.0.json.gz"))
    .run()
    .success()
    .json();
    assert_eq!(json["mitre_mitigation"], PORT_KNOCKING_MITIGATION);
    assert_eq!(json["name"], "Port Knocking");
}

#[test]
fn cli_unknown_tactic_exits_1_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let b = write_json(
        dir.path(),
        "b.json",
        &json!({"type": "bundle", "objects": synthetic(2, false)}),
    );
    respack([
        "attack",
        "tactic",
        "Execution,Time Travel",
        "--no-cache",
        "--bundle",
    ])
    .arg(&b)
    .run()
    .code(1)
    .stderr_has("Tactic \"Time Travel\" does not exist")
    .stderr_has("help: ");
    respack(["attack", "technique", "T0000", "--no-cache", "--bundle"])
        .arg(&b)
        .run()
        .code(1)
        .stderr_has("Technique \"T0000\" does not exist");
}

#[test]
fn cli_without_a_reachable_source_names_bundle() {
    respack(["attack", "tactic", "TA0011", "--no-cache"])
        .env("RESPACK_ATTACK_TAXII", "http://127.0.0.1:1/taxii2/")
        .env_remove("RESPACK_ATTACK_BUNDLE")
        .run()
        .code(2)
        .no_panic()
        .stderr_has("127.0.0.1:1")
        .stderr_has("--bundle");
}
