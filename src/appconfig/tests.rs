//! The reader's rules, one test each. `tests/it/appconfig.rs` compares the same reader with
//! Python's configparser and resilient's substitution on many inputs.

use super::*;

const FILE: &str = "/etc/res/app.config";

fn parse(text: &str) -> Result<AppConfig, AppConfigError> {
    AppConfig::parse(Path::new(FILE), text, &Vars::none())
}

fn parse_with(text: &str, vars: &[(&str, &str)]) -> Result<AppConfig, AppConfigError> {
    AppConfig::parse(
        Path::new(FILE),
        text,
        &vars.iter().copied().collect::<Vars>(),
    )
}

fn value(cfg: &AppConfig, section: &str, key: &str) -> Option<String> {
    cfg.section(section)
        .unwrap()
        .get(key)
        .unwrap()
        .map(String::from)
}

#[test]
fn a_hash_inside_a_value_is_kept_as_resilient_circuits_keeps_it() {
    let cfg = parse(
        "[fn_mitre_integration]\nstix_bundle_path = /x/enterprise#4.json.gz\npassword = a ;b#c\n",
    )
    .unwrap();
    assert_eq!(
        value(&cfg, "fn_mitre_integration", "stix_bundle_path").as_deref(),
        Some("/x/enterprise#4.json.gz")
    );
    assert_eq!(
        value(&cfg, "fn_mitre_integration", "password").as_deref(),
        Some("a ;b#c")
    );
}

#[test]
fn whole_line_comments_start_with_hash_or_semicolon_even_indented() {
    let cfg = parse("# top\n[s]\n; c\na = 1\n   # indented comment\n  ;x = 2\nb = 2\n").unwrap();
    let s = cfg.section("s").unwrap();
    assert_eq!(s.keys(), vec!["a", "b"]);
    assert_eq!(s.get("a").unwrap(), Some("1"));
}

#[test]
fn keys_are_case_insensitive_and_sections_are_not() {
    let cfg = parse("[Resilient]\nHOST = h\n[resilient]\nApi_Key_Id = i\n").unwrap();
    assert_eq!(value(&cfg, "Resilient", "host").as_deref(), Some("h"));
    assert_eq!(value(&cfg, "Resilient", "HoSt").as_deref(), Some("h"));
    assert_eq!(value(&cfg, "resilient", "host"), None);
    assert_eq!(value(&cfg, "resilient", "api_key_id").as_deref(), Some("i"));
    assert_eq!(cfg.section("resilient").unwrap().keys(), vec!["api_key_id"]);
}

#[test]
fn a_byte_order_mark_is_skipped() {
    let cfg = parse("\u{feff}[resilient]\nhost = h\n").unwrap();
    assert_eq!(value(&cfg, "resilient", "host").as_deref(), Some("h"));
}

#[test]
fn a_byte_order_mark_read_from_disk_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("app.config");
    std::fs::write(&p, b"\xef\xbb\xbf[resilient]\r\nhost = h\r\n").unwrap();
    let cfg = AppConfig::read(&p, &Vars::none()).unwrap();
    assert_eq!(value(&cfg, "resilient", "host").as_deref(), Some("h"));
}

#[test]
fn duplicate_keys_are_reported_with_both_lines() {
    let e = parse("[resilient]\nhost = a\n\nHost = b\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "/etc/res/app.config:4: [resilient] host is given twice (first on line 2)"
    );
    assert!(e.help().unwrap().contains("keep one `host`"));
}

#[test]
fn duplicate_sections_are_reported_with_both_lines() {
    let e = parse("[a]\nx = 1\n[b]\n[a]\ny = 2\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "/etc/res/app.config:4: section [a] is given twice (first on line 1)"
    );
}

#[test]
fn a_key_before_any_section_is_an_error() {
    let e = parse("\nhost = h\n[resilient]\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "/etc/res/app.config:2: a key comes before the first [section]"
    );
}

#[test]
fn lines_without_a_delimiter_are_named_but_not_repeated() {
    let e = parse("[resilient]\nhost = h\nhunter2\n= x\n").unwrap_err();
    let text = e.to_string();
    assert_eq!(
        text,
        "/etc/res/app.config: lines 3, 4 are neither [section] nor key = value"
    );
    assert!(!text.contains("hunter2"));
}

#[test]
fn colon_and_equals_both_separate_at_the_first_one() {
    let cfg = parse("[s]\nurl: https://x:8443/a=b\nk = v: w\n").unwrap();
    assert_eq!(
        value(&cfg, "s", "url").as_deref(),
        Some("https://x:8443/a=b")
    );
    assert_eq!(value(&cfg, "s", "k").as_deref(), Some("v: w"));
}

#[test]
fn indented_lines_continue_a_value_and_trailing_blanks_are_dropped() {
    let cfg = parse("[s]\nk = first\n  second\n\n    third\n\n\nnext = 1\n").unwrap();
    assert_eq!(
        value(&cfg, "s", "k").as_deref(),
        Some("first\nsecond\n\nthird")
    );
    assert_eq!(value(&cfg, "s", "next").as_deref(), Some("1"));
}

#[test]
fn no_percent_interpolation() {
    let cfg = parse("[s]\na = 1\nb = %(a)s 100%\n").unwrap();
    assert_eq!(value(&cfg, "s", "b").as_deref(), Some("%(a)s 100%"));
}

#[test]
fn default_section_keys_are_inherited_unless_overridden() {
    let cfg =
        parse("[DEFAULT]\nverify_cert = false\nhttp_timeout = 5\n[q]\nhttp_timeout = 9\n").unwrap();
    let q = cfg.section("q").unwrap();
    assert_eq!(q.get("verify_cert").unwrap(), Some("false"));
    assert_eq!(q.get("http_timeout").unwrap(), Some("9"));
    assert_eq!(q.keys(), vec!["http_timeout", "verify_cert"]);
    assert!(cfg.section(DEFAULT_SECTION).is_none());
}

#[test]
fn section_header_runs_to_the_last_bracket_and_is_not_trimmed() {
    let cfg = parse("[a] ; not a comment]\nx = 1\n[ b ]\ny = 2\n").unwrap();
    let names: Vec<_> = cfg.sections().map(|s| s.name().to_string()).collect();
    assert_eq!(names, vec!["a] ; not a comment", " b "]);
}

#[test]
fn a_whole_value_dollar_name_comes_from_the_environment() {
    let cfg = parse_with(
        "[resilient]\napi_key_secret = $SOAR_SECRET\nhost = ${SOAR_HOST}.example\n",
        &[("SOAR_SECRET", "s3cr#t"), ("SOAR_HOST", "soar")],
    )
    .unwrap();
    assert_eq!(
        value(&cfg, "resilient", "api_key_secret").as_deref(),
        Some("s3cr#t")
    );
    assert_eq!(
        value(&cfg, "resilient", "host").as_deref(),
        Some("soar.example")
    );
}

#[test]
fn braced_references_are_replaced_anywhere_and_more_than_once() {
    let cfg = parse_with(
        "[s]\nq = FROM ${T} select ${V};\n",
        &[("T", "table"), ("V", "${T}")],
    )
    .unwrap();
    // A value brought in is not searched again, as in resilient.
    assert_eq!(
        value(&cfg, "s", "q").as_deref(),
        Some("FROM table select ${T};")
    );
}

#[test]
fn a_dollar_inside_a_value_is_kept() {
    let cfg = parse("[s]\npassword = pa$word\nprice = 5$\n").unwrap();
    assert_eq!(value(&cfg, "s", "password").as_deref(), Some("pa$word"));
    assert_eq!(value(&cfg, "s", "price").as_deref(), Some("5$"));
}

#[test]
fn a_dollar_value_that_cannot_name_a_variable_is_kept() {
    let cfg = parse("[s]\npassword = $pa#ss\nempty = ${}\nopen = x${\n").unwrap();
    assert_eq!(value(&cfg, "s", "password").as_deref(), Some("$pa#ss"));
    assert_eq!(value(&cfg, "s", "empty").as_deref(), Some("${}"));
    assert_eq!(value(&cfg, "s", "open").as_deref(), Some("x${"));
}

#[test]
fn a_missing_environment_variable_names_file_line_section_key_and_variable() {
    let cfg = parse("[resilient]\nhost = h\napi_key_secret = $NOPE\n").unwrap();
    let s = cfg.section("resilient").unwrap();
    // Only the key read fails: resilient substitutes when a key is read.
    assert_eq!(s.get("host").unwrap(), Some("h"));
    let e = s.get("api_key_secret").unwrap_err();
    assert_eq!(
        e.to_string(),
        "/etc/res/app.config:3: [resilient] api_key_secret refers to the environment variable NOPE, which is not set"
    );
    assert_eq!(
        e.help().unwrap(),
        "export NOPE, or write the value into the file"
    );
}

#[test]
fn carriage_returns_end_lines_as_python_reads_them() {
    let cfg = parse("[s]\r\na = 1\rb = 2\r\n").unwrap();
    assert_eq!(value(&cfg, "s", "a").as_deref(), Some("1"));
    assert_eq!(value(&cfg, "s", "b").as_deref(), Some("2"));
}

#[test]
fn a_file_that_is_not_utf8_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("app.config");
    std::fs::write(&p, b"[s]\nk = caf\xe9\n").unwrap();
    let e = AppConfig::read(&p, &Vars::none()).unwrap_err();
    assert!(
        e.to_string().ends_with("app.config:2: not UTF-8 text"),
        "{e}"
    );
}

#[test]
fn missing_section_key_and_bad_value_name_file_section_key_and_line() {
    let cfg = parse("[s]\n\nport = https\nempty =\n").unwrap();
    assert_eq!(
        cfg.require("t").unwrap_err().to_string(),
        "/etc/res/app.config: section [t] is missing"
    );
    let s = cfg.section("s").unwrap();
    assert_eq!(
        s.required("empty").unwrap_err().to_string(),
        "/etc/res/app.config: [s] empty is required"
    );
    assert_eq!(s.get("empty").unwrap(), Some(""));
    assert_eq!(
        s.bad("PORT", "https", "not a port").to_string(),
        "/etc/res/app.config:3: [s] port = \"https\": not a port"
    );
}

#[test]
fn debug_shows_keys_never_values_or_variables() {
    let cfg = parse_with("[s]\ntoken = hunter2\nx = $V\n", &[("V", "from-env")]).unwrap();
    let shown = format!(
        "{cfg:?} {:?}",
        [("V", "from-env")].into_iter().collect::<Vars>()
    );
    assert!(
        !shown.contains("hunter2") && !shown.contains("from-env"),
        "{shown}"
    );
    assert!(shown.contains("token"), "{shown}");
}
