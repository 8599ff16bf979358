//! The three QRadar functions against the emulated QRadar / QRadar Advisor endpoints: every
//! analysis status and failure, both API prefixes, the XSRF handshakes, map rule, reference
//! sets, TLS settings, and the output shapes of the integrations' saved payload samples.

use std::time::Duration;

use respack::emulate::{EmulatedServer, Scenario};
use respack::runtime::qradar::config::{ApiPrefix, AppConfig, Polling};
use respack::runtime::qradar::{self, stix};
use respack::runtime::{FunctionError, FunctionOutput, Inputs};
use serde_json::{json, Value};

const ADVISOR_APP: &str = "1301";

/// A bundle whose id names the stage, with one observable.
fn bundle(stage: &str) -> Value {
    json!({"type": "bundle", "id": format!("bundle--{stage}"), "spec_version": "2.0", "objects": [
        {"type": "observed-data", "id": "observed-data--1", "objects": {"0": {"type": "ipv4-addr", "value": "10.9.8.7"}},
         "x_ibm_security_toxicity": "high", "x_ibm_security_relevance": "low"}]})
}

fn insights() -> Value {
    json!({"tactics": [{"id": "TA0010", "tactic_id": "Exfiltration", "confidence": 35}], "insights": "text"})
}

/// A scenario with offense 23 as given and small CAFM and reference-set data.
fn scenario_with(offense: Value) -> Scenario {
    let mut offense = offense;
    if offense.get("stix").is_none() {
        offense["stix"] = json!({"stage1": bundle("stage1"), "stage2": bundle("stage2"), "stage3": bundle("stage3")});
    }
    if offense.get("insights").is_none() {
        offense["insights"] = insights();
    }
    Scenario::from_value(json!({
        "advisor": {"app_id": ADVISOR_APP, "token": "adv-token", "offenses": {"23": offense}},
        "cafm": {"app_id": "1051", "token": "cafm-token", "mappings": {
            "Rule A": {"id": "m-1", "mapping": {"Execution": {"confidence": "high", "id": "TA0002", "techniques": {}}}}}},
        "qradar": {"token": "api-token", "username": "admin", "password": "pw", "reference_sets": [
            {"name": "Short", "data": [{"value": "10.0.0.15", "source": "Rule A"}]},
            {"name": "Long / odd name", "data": [{"value": "10.0.0.155", "source": "admin"}]}]}
    }))
    .unwrap()
}

/// The server's own app.config, with fast polling.
fn config(server: &EmulatedServer) -> AppConfig {
    let mut cfg =
        AppConfig::parse(&server.app_config(), std::path::Path::new("app.config")).unwrap();
    cfg.advisor.as_mut().unwrap().polling = Polling {
        timeout: Some(Duration::from_secs(20)),
        period: Duration::ZERO,
    };
    cfg
}

fn inputs(v: Value) -> Inputs {
    v.as_object().cloned().unwrap()
}

fn analyse(cfg: &AppConfig, stage: &str, restart: bool) -> Result<FunctionOutput, FunctionError> {
    qradar::qradar_advisor_offense_analysis(
        cfg.advisor().unwrap(),
        &inputs(
            json!({"qradar_offense_id": "23", "qradar_advisor_result_stage": stage,
                       "qradar_analysis_restart_if_existed": restart}),
        ),
    )
}

fn paths(server: &EmulatedServer) -> Vec<String> {
    server
        .state()
        .requests()
        .into_iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn api(path: &str) -> String {
    format!("/console/plugins/{ADVISOR_APP}/app_proxy/api{path}")
}

#[track_caller]
fn error_message(result: Result<FunctionOutput, FunctionError>) -> String {
    match result {
        Ok(out) => panic!("expected an error, got {}", out.result),
        Err(e) => e.message,
    }
}

#[test]
fn builtin_scenario_tells_the_readme_story() {
    let server = EmulatedServer::start(Scenario::builtin()).unwrap();
    let cfg = config(&server);
    let out = qradar::call(
        &cfg,
        "qradar_advisor_offense_analysis",
        &inputs(
            json!({"qradar_offense_id": 23, "qradar_advisor_result_stage": "stage3",
                       "qradar_analysis_restart_if_existed": true}),
        ),
    )
    .unwrap()
    .unwrap();
    let tactics = out.result["insights"]["tactics"].as_array().unwrap();
    assert_eq!(tactics.len(), 1);
    assert_eq!(tactics[0]["tactic_id"], "Command and Control");
    assert_eq!(tactics[0]["id"], "TA0011");
    assert_eq!(tactics[0]["confidence"], 60);
    let observables = out.result["observables"].as_array().unwrap();
    assert!(observables.contains(&json!({"toxicity": "", "relevance": "", "description": "Command and Control", "type": "x-mitre-tactic"})));
    assert!(observables.contains(&json!({"toxicity": "very-high", "relevance": "medium", "description": "http://c2.example.net/gate.php", "type": "url"})));
    assert_eq!(
        out.messages,
        [
            "starting...",
            "Restarting a new analysis. It could take up to 15 minutes...",
            "done...",
            &format!("Returning {} observables", observables.len())
        ]
    );
    let log = paths(&server);
    assert!(
        log.contains(&format!(
            "GET {}",
            api("/investigations/offense/23/analysis/stage3/stix")
        )),
        "{log:#?}"
    );

    // Map rule: the reference set says which rule added the address, CAFM maps the rule.
    let found = qradar::call(
        &cfg,
        "qradar_find_reference_sets",
        &inputs(json!({"qradar_reference_set_item_value": "192.168.0.155"})),
    )
    .unwrap()
    .unwrap();
    let items = found.result["reference_items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{items:#?}");
    assert_eq!(items[0]["name"], "RF Risklist Source");
    let source = items[0]["data"][0]["source"].as_str().unwrap();
    assert_eq!(source, "RF Risklist Source Log");
    let mapped = qradar::call(
        &cfg,
        "qradar_advisor_map_rule",
        &inputs(json!({"qradar_rule_name": source})),
    )
    .unwrap()
    .unwrap();
    let mapping = mapped.result["tactics"]["mapping"].as_object().unwrap();
    assert_eq!(mapping.keys().collect::<Vec<_>>(), ["Initial Access"]);
    assert_eq!(mapping["Initial Access"]["id"], "TA0001");
    assert_eq!(mapping["Initial Access"]["confidence"], "low");
    assert_eq!(mapped.messages, ["starting...", "done..."]);
}

/// The app proxies get the token as cookie and header (QRadar Advisor 2.0.2+ sends both);
/// QRadar's API only as header.
#[test]
fn sec_token_goes_as_cookie_and_header_to_apps_and_as_header_to_the_api() {
    let server = EmulatedServer::start(scenario_with(json!({"statuses": ["DONE"]}))).unwrap();
    let cfg = config(&server);
    analyse(&cfg, "stage2", true).unwrap();
    qradar::call(
        &cfg,
        "qradar_advisor_map_rule",
        &inputs(json!({"qradar_rule_name": "Rule A"})),
    )
    .unwrap()
    .unwrap();
    qradar::call(
        &cfg,
        "qradar_find_reference_sets",
        &inputs(json!({"qradar_reference_set_item_value": "x"})),
    )
    .unwrap()
    .unwrap();
    let log = server.state().requests();
    assert!(log.len() > 8, "{log:#?}");
    for r in log {
        let app = r.path.starts_with("/console/plugins/");
        assert_eq!((r.sec_cookie, r.sec_header), (app, true), "{r:?}");
        assert_eq!(r.status, 200, "{r:?}");
    }
}

#[test]
fn polls_walk_the_statuses_until_done() {
    let server = EmulatedServer::start(scenario_with(
        json!({"statuses": ["QUEUED", "IN_PROGRESS", "DONE_STAGE3"]}),
    ))
    .unwrap();
    analyse(&config(&server), "stage3", true).unwrap();
    let log = paths(&server);
    let status = format!("GET {}", api("/investigations/offense/23/analysis/status"));
    assert_eq!(log.iter().filter(|p| **p == status).count(), 3, "{log:#?}");
    assert_eq!(log[0], format!("GET {}", api("/about")));
    assert_eq!(
        log[1],
        format!("POST {}", api("/investigations/offense/23/analysis"))
    );
}

#[test]
fn done_with_stage3_requested_fetches_stage2() {
    let server = EmulatedServer::start(scenario_with(json!({"statuses": ["DONE"]}))).unwrap();
    let out = analyse(&config(&server), "stage3", true).unwrap();
    assert_eq!(out.result["stix"]["id"], "bundle--stage2");
    let log = paths(&server).join("\n");
    assert!(
        log.contains("/analysis/stage2/stix") && !log.contains("/analysis/stage3/stix"),
        "{log}"
    );
}

#[test]
fn done_stage3_fetches_stage3() {
    let server =
        EmulatedServer::start(scenario_with(json!({"statuses": ["DONE_STAGE3"]}))).unwrap();
    let out = analyse(&config(&server), "stage3", true).unwrap();
    assert_eq!(out.result["stix"]["id"], "bundle--stage3");
    assert_eq!(
        out.result["observables"],
        json!([{"toxicity": "high", "relevance": "low", "description": "10.9.8.7", "type": "ipv4-addr"}])
    );
    assert_eq!(out.result["insights"], insights());
}

#[test]
fn stage1_is_fetched_as_asked() {
    let server = EmulatedServer::start(scenario_with(json!({"statuses": ["DONE"]}))).unwrap();
    let out = analyse(&config(&server), "stage1", true).unwrap();
    assert_eq!(out.result["stix"]["id"], "bundle--stage1");
}

#[test]
fn no_observables_gives_status_code_404_and_the_note_says_so() {
    let server = EmulatedServer::start(scenario_with(
        json!({"statuses": ["NO_OBSERVABLES"], "no_observables": true}),
    ))
    .unwrap();
    let out = analyse(&config(&server), "stage3", true).unwrap();
    assert_eq!(out.result["stix"], json!({"status_code": 404}));
    assert_eq!(out.result["insights"], json!({"status_code": 404}));
    assert_eq!(out.result["observables"], json!([]));
    assert_eq!(
        out.result["note"],
        "<p>Watson Offense Analysis result for Offense ID: 23</p><br><p><span style=\"font-weight:bold\">QRadar Advisor returned status code '404'.</span></p><p><span style=\"font-weight:bold\">This Offense ID has no observables.</span></p><br>"
    );
    assert_eq!(out.messages.last().unwrap(), "Returning 0 observables");
}

#[test]
fn error_statuses_stop_with_the_integrations_wording() {
    for status in ["ERROR", "ERROR_AUTH"] {
        let server =
            EmulatedServer::start(scenario_with(json!({"statuses": ["IN_PROGRESS", status]})))
                .unwrap();
        let err = analyse(&config(&server), "stage3", true).unwrap_err();
        assert_eq!(err.function, "qradar_advisor_offense_analysis");
        assert_eq!(
            err.message,
            format!("Query [23] failed with status [1] (QRadar Advisor reported {status})")
        );
    }
}

#[test]
fn analysis_that_never_finishes_times_out() {
    let server =
        EmulatedServer::start(scenario_with(json!({"statuses": ["IN_PROGRESS"]}))).unwrap();
    let mut cfg = config(&server);
    cfg.advisor.as_mut().unwrap().polling = Polling {
        timeout: Some(Duration::from_millis(200)),
        period: Duration::from_millis(20),
    };
    let msg = error_message(analyse(&cfg, "stage3", true));
    assert_eq!(
        msg,
        "Query [23] timed out. Final Status was [2] (last QRadar Advisor status \"IN_PROGRESS\")"
    );
}

#[test]
fn start_failures_401_403_429() {
    let cases = [
        (401, "Unauthorized XFE credentials used for the following: Offense analysis for 23"),
        (403, "Failed to create search job for query [23] (HTTP 403: Offense 23 does not exist or user does not have permission to view the offense.)"),
        (429, "Failed to create search job for query [23] (HTTP 429: Analysis limit has been met. Failed to start analysis for offense 23)"),
        (500, "Failed to create search job for query [23] (HTTP 500: Offense 23 analysis failed to start.)"),
    ];
    for (code, want) in cases {
        let server =
            EmulatedServer::start(scenario_with(json!({"fail": {"start": code}}))).unwrap();
        assert_eq!(
            error_message(analyse(&config(&server), "stage3", true)),
            want
        );
    }
}

#[test]
fn status_403_stops_polling() {
    let server = EmulatedServer::start(scenario_with(json!({"fail": {"status": 403}}))).unwrap();
    let msg = error_message(analyse(&config(&server), "stage2", true));
    assert!(
        msg.starts_with("Query [23] failed with status [1] (HTTP 403"),
        "{msg}"
    );
}

#[test]
fn unknown_offense_cannot_be_started() {
    let server = EmulatedServer::start(scenario_with(json!({}))).unwrap();
    let cfg = config(&server);
    let err = qradar::qradar_advisor_offense_analysis(
        cfg.advisor().unwrap(),
        &inputs(json!({"qradar_offense_id": "99", "qradar_analysis_restart_if_existed": true})),
    )
    .unwrap_err();
    assert!(
        err.message
            .starts_with("Failed to create search job for query [99] (HTTP 403"),
        "{}",
        err.message
    );
}

#[test]
fn restart_false_fetches_the_existing_result_without_starting() {
    let server = EmulatedServer::start(scenario_with(
        json!({"existing": true, "statuses": ["DONE_STAGE3"]}),
    ))
    .unwrap();
    let out = analyse(&config(&server), "stage3", false).unwrap();
    // The existing-result path treats stage3 as unavailable.
    assert_eq!(out.result["stix"]["id"], "bundle--stage2");
    assert_eq!(
        out.messages,
        ["starting...", "done...", "Returning 1 observables"]
    );
    let log = paths(&server).join("\n");
    assert!(!log.contains("POST") && !log.contains("/status"), "{log}");
}

#[test]
fn restart_false_without_an_existing_result_fails() {
    let server = EmulatedServer::start(scenario_with(json!({"statuses": ["DONE"]}))).unwrap();
    let msg = error_message(analyse(&config(&server), "stage3", false));
    assert_eq!(msg, "Query [23] failed with status [<Response [404]>]");
    assert!(!paths(&server).join("\n").contains("POST"));
}

#[test]
fn restart_false_with_an_empty_existing_result_starts_an_analysis() {
    let server = EmulatedServer::start(scenario_with(
        json!({"existing": true, "statuses": ["DONE_STAGE3"],
        "stix": {"stage2": {}, "stage3": bundle("stage3")}}),
    ))
    .unwrap();
    let out = analyse(&config(&server), "stage3", false).unwrap();
    assert_eq!(out.result["stix"]["id"], "bundle--stage3");
    assert!(paths(&server).join("\n").contains("POST"));
}

#[test]
fn api_prefix_offense_uses_the_2_0_paths() {
    let server =
        EmulatedServer::start(scenario_with(json!({"statuses": ["DONE_STAGE3"]}))).unwrap();
    let mut cfg = config(&server);
    cfg.advisor.as_mut().unwrap().api_prefix = ApiPrefix::Offense;
    let out = analyse(&cfg, "stage3", true).unwrap();
    assert_eq!(out.result["stix"]["id"], "bundle--stage3");
    let log = paths(&server);
    assert!(
        log.contains(&format!("POST {}", api("/offense/23/analysis"))),
        "{log:#?}"
    );
    assert!(
        log.contains(&format!("GET {}", api("/offense/23/insights"))),
        "{log:#?}"
    );
    assert!(!log.join("\n").contains("investigations"), "{log:#?}");
}

#[test]
fn a_qradar_advisor_without_the_old_prefix_refuses_2_0_paths() {
    let mut scenario = scenario_with(json!({"statuses": ["DONE"]}));
    scenario.advisor.api_prefixes = vec![ApiPrefix::InvestigationsOffense];
    let server = EmulatedServer::start(scenario).unwrap();
    let mut cfg = config(&server);
    cfg.advisor.as_mut().unwrap().api_prefix = ApiPrefix::Offense;
    let msg = error_message(analyse(&cfg, "stage3", true));
    assert!(
        msg.starts_with("Failed to create search job for query [23] (HTTP 404"),
        "{msg}"
    );
}

#[test]
fn missing_xsrf_cookie_makes_the_analysis_fail() {
    let mut scenario = scenario_with(json!({"statuses": ["DONE"]}));
    scenario.advisor.fail.no_xsrf_cookie = true;
    let server = EmulatedServer::start(scenario).unwrap();
    let msg = error_message(analyse(&config(&server), "stage3", true));
    assert!(
        msg.starts_with("Failed to create search job for query [23] (HTTP 403"),
        "{msg}"
    );
}

#[test]
fn about_failure_is_a_token_error() {
    let mut scenario = scenario_with(json!({}));
    scenario.advisor.fail.about = Some(500);
    let server = EmulatedServer::start(scenario).unwrap();
    let msg = error_message(analyse(&config(&server), "stage3", true));
    assert_eq!(
        msg,
        format!(
            "Requests to url [{}{}] throws exception. Error [Status 500]",
            server.base_url(),
            api("/about")
        )
    );
}

#[test]
fn insights_failure_is_reported() {
    let server = EmulatedServer::start(scenario_with(
        json!({"statuses": ["DONE"], "fail": {"insights": 500}}),
    ))
    .unwrap();
    let msg = error_message(analyse(&config(&server), "stage2", true));
    assert!(msg.starts_with("Offense insights using ["), "{msg}");
    assert!(msg.ends_with("returns error <Response [500]>]"), "{msg}");
}

#[test]
fn wrong_token_is_refused_by_the_app_proxy() {
    let server = EmulatedServer::start(scenario_with(json!({}))).unwrap();
    let mut cfg = config(&server);
    cfg.advisor.as_mut().unwrap().advisor_token =
        respack::runtime::qradar::config::Secret::new("nope");
    let msg = error_message(analyse(&cfg, "stage3", true));
    assert!(msg.ends_with("Error [Status 401]"), "{msg}");
    assert!(!msg.contains("nope"), "{msg}");
}

/// The app proxy takes the token as cookie or header; the app wants its XSRF header.
#[test]
fn emulated_endpoints_check_sec_and_xsrf() {
    let server = EmulatedServer::start(scenario_with(json!({}))).unwrap();
    let url = |p: &str| format!("{}{}", server.base_url(), api(p));
    let mut http = respack::http::Config::new(respack::tls::Verify::System);
    http.cookies = true;
    http.retry = respack::http::RetryPolicy::none();
    let agent = respack::http::Client::new(http).unwrap();
    let status = |u: &str, headers: &[(&str, &str)]| {
        let mut req = respack::http::Request::get(u.parse().unwrap());
        for (k, v) in headers {
            req = req.header(k, v);
        }
        agent.send(&req).unwrap().status.as_u16()
    };
    assert_eq!(status(&url("/about"), &[]), 401);
    assert_eq!(status(&url("/about"), &[("SEC", "adv-token")]), 200);
    assert_eq!(status(&url("/about"), &[("Cookie", "SEC=adv-token")]), 200);
    // The client now holds an XSRF-TOKEN cookie, but without the header the app refuses.
    let insights = url("/investigations/offense/23/insights");
    assert_eq!(status(&insights, &[("SEC", "adv-token")]), 403);
    assert_eq!(
        status(
            &insights,
            &[("SEC", "adv-token"), ("X-XSRF-TOKEN", "made-up")]
        ),
        403
    );
    let token = agent
        .cookie(&insights.parse().unwrap(), "XSRF-TOKEN")
        .expect("the XSRF-TOKEN cookie /about set");
    assert_eq!(
        status(&insights, &[("SEC", "adv-token"), ("X-XSRF-TOKEN", &token)]),
        200
    );
    // QRadar's own API: header SEC or Basic.
    let sets = format!("{}/api/reference_data/sets", server.base_url());
    assert_eq!(status(&sets, &[]), 401);
    assert_eq!(status(&sets, &[("SEC", "api-token")]), 200);
    assert_eq!(
        status(&sets, &[("Authorization", "Basic YWRtaW46cHc=")]),
        200
    );
}

#[test]
fn map_rule_found_and_not_found() {
    let server = EmulatedServer::start(scenario_with(json!({}))).unwrap();
    let cfg = config(&server);
    let map = |rule: &str| {
        qradar::call(
            &cfg,
            "qradar_advisor_map_rule",
            &inputs(json!({"qradar_rule_name": rule})),
        )
        .unwrap()
    };
    let out = map("Rule A").unwrap();
    assert_eq!(
        out.result["tactics"]["mapping"]["Execution"]["id"],
        "TA0002"
    );
    // Exact names only.
    assert_eq!(map("Rule").unwrap().result, json!({"tactics": {}}));
    assert_eq!(map("rule a").unwrap().result, json!({"tactics": {}}));
    let log = paths(&server);
    assert!(
        log.contains(&"GET /console/plugins/1051/app_proxy/api/config/tuning".to_string()),
        "{log:#?}"
    );
}

#[test]
fn map_rule_needs_the_cafm_token_handshake_and_keys() {
    let mut scenario = scenario_with(json!({}));
    scenario.cafm.fail.no_xsrf_cookie = true;
    let server = EmulatedServer::start(scenario).unwrap();
    let cfg = config(&server);
    let err = qradar::call(
        &cfg,
        "qradar_advisor_map_rule",
        &inputs(json!({"qradar_rule_name": "Rule A"})),
    )
    .unwrap()
    .unwrap_err();
    assert!(
        err.message.ends_with("returns error <Response [403]>]"),
        "{}",
        err.message
    );

    let mut cfg = config(&server);
    cfg.advisor.as_mut().unwrap().cafm_app_id = None;
    let err = qradar::call(
        &cfg,
        "qradar_advisor_map_rule",
        &inputs(json!({"qradar_rule_name": "Rule A"})),
    )
    .unwrap()
    .unwrap_err();
    assert_eq!(
        err.message,
        "app.config: [fn_qradar_advisor] qradar_cafm_app_id is required"
    );
}

#[test]
fn reference_sets_match_values_exactly() {
    let server = EmulatedServer::start(scenario_with(json!({}))).unwrap();
    let cfg = config(&server);
    let find = |v: &str| {
        let out = qradar::call(
            &cfg,
            "qradar_find_reference_sets",
            &inputs(json!({"qradar_reference_set_item_value": v})),
        )
        .unwrap()
        .unwrap();
        out.result["reference_items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    // 10.0.0.15 is a prefix of 10.0.0.155: only the exact value matches.
    assert_eq!(find("10.0.0.15"), ["Short"]);
    assert_eq!(find("10.0.0.155"), ["Long / odd name"]);
    assert!(find("10.0.0.1").is_empty());
    assert!(find("10.0.0.1555").is_empty());
}

#[test]
fn reference_sets_with_basic_auth_and_bad_token() {
    let server = EmulatedServer::start(scenario_with(json!({}))).unwrap();
    let text = format!("[fn_qradar_integration]\nhost = {}\nusername = admin\nqradarpassword = pw\nverify_cert = false\n", server.base_url());
    let cfg = AppConfig::parse(&text, std::path::Path::new("app.config")).unwrap();
    let out = qradar::qradar_find_reference_sets(
        cfg.qradar().unwrap(),
        &inputs(json!({"qradar_reference_set_item_value": "10.0.0.15"})),
    )
    .unwrap();
    assert_eq!(
        out.result["reference_items"][0]["data"],
        json!([{"value": "10.0.0.15", "source": "Rule A", "first_seen": 0, "last_seen": 0}])
    );

    let text = format!(
        "[fn_qradar_integration]\nhost = {}\nqradartoken = wrong\n",
        server.base_url()
    );
    let cfg = AppConfig::parse(&text, std::path::Path::new("app.config")).unwrap();
    let err = qradar::qradar_find_reference_sets(
        cfg.qradar().unwrap(),
        &inputs(json!({"qradar_reference_set_item_value": "x"})),
    )
    .unwrap_err();
    assert!(err.message.contains("<Response [401]>"), "{}", err.message);
    assert!(!err.message.contains("wrong"), "{}", err.message);
}

#[test]
fn missing_section_and_inputs_are_function_errors() {
    let cfg = AppConfig::parse(
        "[resilient]\nhost=x\n",
        std::path::Path::new("/tmp/app.config"),
    )
    .unwrap();
    let err = qradar::call(&cfg, "qradar_advisor_map_rule", &Inputs::new())
        .unwrap()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "qradar_advisor_map_rule: /tmp/app.config: section [fn_qradar_advisor] is missing"
    );
    assert!(qradar::call(&cfg, "mitre_tactic_information", &Inputs::new()).is_none());

    let server = EmulatedServer::start(scenario_with(json!({}))).unwrap();
    let cfg = config(&server);
    let err = qradar::call(&cfg, "qradar_advisor_offense_analysis", &Inputs::new())
        .unwrap()
        .unwrap_err();
    assert_eq!(err.message, "input qradar_offense_id: a value is required");
    let err = qradar::call(&cfg, "qradar_find_reference_sets", &Inputs::new())
        .unwrap()
        .unwrap_err();
    assert_eq!(
        err.message,
        "input qradar_reference_set_item_value: a value is required"
    );
}

/// verify_cert against an HTTPS server with a self-signed certificate (as `respack serve` has):
/// the CA file is trusted, the default roots are not, `false` trusts anything.
#[test]
fn verify_cert_false_ca_file_and_default() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cert =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, cert.cert.pem()).unwrap();

    let state = respack::emulate::EmulatedQradar::new(scenario_with(json!({})));
    let app = respack::emulate::router(state.clone());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let handle = axum_server::Handle::<std::net::SocketAddr>::new();
    let (cert_pem, key_pem) = (
        cert.cert.pem().into_bytes(),
        cert.key_pair.serialize_pem().into_bytes(),
    );
    let server_handle = handle.clone();
    rt.spawn(async move {
        let tls = axum_server::tls_rustls::RustlsConfig::from_pem(cert_pem, key_pem)
            .await
            .unwrap();
        axum_server::from_tcp_rustls(listener, tls)
            .unwrap()
            .handle(server_handle)
            .serve(app.into_make_service())
            .await
            .unwrap();
    });

    let run = |verify: &str| {
        let text = format!("[fn_qradar_integration]\nhost = 127.0.0.1:{}\nqradartoken = api-token\nverify_cert = {verify}\n", addr.port());
        let cfg = AppConfig::parse(&text, &dir.path().join("app.config")).unwrap();
        qradar::qradar_find_reference_sets(
            cfg.qradar().unwrap(),
            &inputs(json!({"qradar_reference_set_item_value": "10.0.0.15"})),
        )
    };
    assert_eq!(
        run("ca.pem").unwrap().result["reference_items"][0]["name"],
        "Short"
    );
    assert_eq!(
        run("false").unwrap().result["reference_items"][0]["name"],
        "Short"
    );
    let err = run("true").unwrap_err();
    assert!(
        err.message.to_lowercase().contains("certificate"),
        "{}",
        err.message
    );
    let err = run("missing.pem").unwrap_err();
    assert!(err.message.contains("missing.pem"), "{}", err.message);
    handle.shutdown();
    drop(rt);
}

/// Check `value` against a saved draft-06 schema's `type` and `properties` (the payload
/// schemas use nothing else).
fn schema_errors(schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let type_ok = match schema.get("type").and_then(Value::as_str) {
        None => true,
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some("null") => value.is_null(),
        Some(other) => {
            errors.push(format!("{at}: unknown schema type {other}"));
            true
        }
    };
    if !type_ok {
        errors.push(format!("{at}: expected {}, got {value}", schema["type"]));
        return;
    }
    if let (Some(props), Some(obj)) = (
        schema.get("properties").and_then(Value::as_object),
        value.as_object(),
    ) {
        for (key, sub) in props {
            if let Some(v) = obj.get(key) {
                schema_errors(sub, v, &format!("{at}.{key}"), errors);
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            schema_errors(items, v, &format!("{at}[{i}]"), errors);
        }
    }
}

fn read_json(path: std::path::PathBuf) -> Value {
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Our outputs for the README story have the saved samples' top-level keys and satisfy their
/// schemas' types; the insights carry every key the sample's schema names.
#[test]
fn outputs_have_the_payload_samples_shapes() {
    let shared = crate::require_shared!();
    let payloads = shared.join("corpus/payloads");
    let server = EmulatedServer::start(Scenario::builtin()).unwrap();
    let cfg = config(&server);
    let runs = [
        (
            "qradar_advisor_offense_analysis",
            json!({"qradar_offense_id": "23", "qradar_advisor_result_stage": "stage3", "qradar_analysis_restart_if_existed": true}),
        ),
        (
            "qradar_advisor_map_rule",
            json!({"qradar_rule_name": "RF Risklist Source Log"}),
        ),
        (
            "qradar_find_reference_sets",
            json!({"qradar_reference_set_item_value": "192.168.0.155"}),
        ),
    ];
    for (function, input) in runs {
        let out = qradar::call(&cfg, function, &inputs(input))
            .unwrap()
            .unwrap();
        let example = read_json(payloads.join(function).join("output_json_example.json"));
        let schema = read_json(payloads.join(function).join("output_json_schema.json"));
        let ours: Vec<&String> = out.result.as_object().unwrap().keys().collect();
        for key in &ours {
            assert!(
                example.get(key.as_str()).is_some(),
                "{function}: key {key} is not in the sample"
            );
        }
        for key in example.as_object().unwrap().keys() {
            // `inputs` came with the QRadar integration's later, multi-server versions.
            if key != "inputs" {
                assert!(
                    ours.contains(&key),
                    "{function}: sample key {key} is missing"
                );
            }
        }
        let mut errors = vec![];
        schema_errors(&schema, &out.result, function, &mut errors);
        assert!(errors.is_empty(), "{errors:#?}");
        if function == "qradar_advisor_offense_analysis" {
            let wanted = schema["properties"]["insights"]["properties"]
                .as_object()
                .unwrap();
            for key in wanted.keys() {
                assert!(
                    out.result["insights"].get(key).is_some(),
                    "insights lack {key}"
                );
            }
        }
    }
}

/// The offense-analysis sample's note, rebuilt from its own observables: the tree, the order,
/// the link marks and the counts come out as the integration made them, and the returned bundle
/// is depleted the same way (one object left).
#[test]
fn note_matches_the_offense_analysis_sample() {
    let shared = crate::require_shared!();
    let sample = read_json(
        shared.join("corpus/payloads/qradar_advisor_offense_analysis/output_json_example.json"),
    );
    let observables = sample["observables"].as_array().unwrap();
    let mut objects: Vec<Value> = observables
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let id = format!("{}--{i}", o["type"].as_str().unwrap());
            let mut obj = match o["type"].as_str().unwrap() {
                "ipv4-addr" => json!({"type": "observed-data", "id": id, "objects": {"0": {"type": "ipv4-addr", "value": o["description"]}}}),
                other => json!({"type": other, "id": id, "name": o["description"]}),
            };
            if o["toxicity"] != "" {
                obj["x_ibm_security_toxicity"] = o["toxicity"].clone();
                obj["x_ibm_security_relevance"] = o["relevance"].clone();
            }
            obj
        })
        .collect();
    let id = |i: usize| objects[i]["id"].as_str().unwrap().to_string();
    // The sample's graph: the identity and two outside addresses point at the internal address
    // (observable 2); the first outside address also points at the tactic.
    let rels: Vec<Value> = [(0, 2), (1, 2), (3, 2), (1, 4)]
        .iter()
        .enumerate()
        .map(|(n, (s, t))| json!({"type": "relationship", "id": format!("relationship--{n}"), "source_ref": id(*s), "target_ref": id(*t)}))
        .collect();
    objects.extend(rels);
    let mut bundle = json!({"type": "bundle", "objects": objects});
    let (ours_observables, note) = stix::observables_and_note(&mut bundle);
    assert_eq!(&ours_observables, observables);
    let strip_src = |html: &str| {
        let mut out = String::new();
        for (i, part) in html.split("src=\"").enumerate() {
            if i == 0 {
                out.push_str(part);
            } else {
                out.push_str("src=\"\"");
                out.push_str(&part[part.find('"').unwrap() + 1..]);
            }
        }
        out
    };
    assert_eq!(
        strip_src(&note),
        strip_src(sample["note"].as_str().unwrap())
    );
    let left = bundle["objects"].as_array().unwrap();
    assert_eq!(
        left.len(),
        sample["stix"]["objects"].as_array().unwrap().len()
    );
    assert_eq!(left[0]["name"], sample["stix"]["objects"][0]["name"]);
}

/// An HTTP proxy that sends every request for host `qradar.test` to `upstream` (plain
/// requests in absolute form, and CONNECT tunnels), and counts them.
fn test_proxy(
    upstream: std::net::SocketAddr,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let forwarded = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = forwarded.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { continue };
            let counter = counter.clone();
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if client.read(&mut byte).unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let line = String::from_utf8_lossy(&head)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string();
                let tunnel = line.starts_with("CONNECT qradar.test:");
                if !tunnel && !line.contains(" http://qradar.test:") {
                    let _ =
                        client.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
                    return;
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let Ok(mut server) = std::net::TcpStream::connect(upstream) else {
                    return;
                };
                if tunnel {
                    let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                } else {
                    let _ = server.write_all(&head);
                }
                let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let up = std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c2, &mut s2);
                    let _ = s2.shutdown(std::net::Shutdown::Write);
                });
                let _ = std::io::copy(&mut server, &mut client);
                let _ = client.shutdown(std::net::Shutdown::Write);
                let _ = up.join();
            });
        }
    });
    (url, forwarded)
}

/// `[integrations]` proxies carry every call: the host below does not resolve, only the proxy
/// knows where it is.
#[test]
fn proxies_from_the_integrations_section_are_used() {
    let server = EmulatedServer::start(scenario_with(json!({"statuses": ["DONE"]}))).unwrap();
    let (proxy, forwarded) = test_proxy(server.addr());
    let text = server
        .app_config()
        .replace(&server.base_url(), "http://qradar.test:8080");
    let text = format!("[integrations]\nhttp_proxy = {proxy}\n\n{text}");
    let mut cfg = AppConfig::parse(&text, std::path::Path::new("app.config")).unwrap();
    cfg.advisor.as_mut().unwrap().polling.period = Duration::ZERO;
    analyse(&cfg, "stage3", true).unwrap();
    let found = qradar::call(
        &cfg,
        "qradar_find_reference_sets",
        &inputs(json!({"qradar_reference_set_item_value": "10.0.0.15"})),
    )
    .unwrap()
    .unwrap();
    assert_eq!(found.result["reference_items"][0]["name"], "Short");
    assert!(forwarded.load(std::sync::atomic::Ordering::SeqCst) >= 2);
}
