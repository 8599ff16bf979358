//! Unit tests of the module's contract: codes, severities, reports.
use super::*;

#[test]
fn codes_are_unique_and_well_formed() {
    let mut seen = std::collections::HashSet::new();
    for c in CODES {
        assert!(seen.insert(c.code), "{} twice", c.code);
        assert!(
            c.code
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '.' || ch == '-'),
            "{}",
            c.code
        );
    }
}

#[test]
fn every_code_is_documented_in_the_module_doc_and_in_docs_validate_md() {
    let module = include_str!("mod.rs");
    let docs = include_str!("../../docs/VALIDATE.md");
    for c in CODES {
        let cell = format!("| `{}` |", c.code);
        assert!(
            module.contains(&cell),
            "{} missing from the module doc table",
            c.code
        );
        assert!(
            docs.contains(&cell),
            "{} missing from docs/VALIDATE.md",
            c.code
        );
    }
}

#[test]
fn every_code_emitted_is_documented() {
    // The code literals the checks use, found in their source.
    for src in [
        include_str!("schema.rs"),
        include_str!("identity.rs"),
        include_str!("refs.rs"),
        include_str!("steps.rs"),
        include_str!("scripts.rs"),
        include_str!("mod.rs"),
    ] {
        for (i, _) in src.match_indices("Diagnostic::new(") {
            let rest = src[i + "Diagnostic::new(".len()..].trim_start();
            if let Some(lit) = rest.strip_prefix('"') {
                let code = &lit[..lit.find('"').unwrap()];
                assert!(
                    CODES.iter().any(|c| c.code == code),
                    "undocumented code {code}"
                );
            }
        }
    }
}

#[test]
fn report_counts_by_severity() {
    let r = Report::new(
        "f",
        None,
        vec![
            Diagnostic::new("schema.missing", "/a", "m"),
            Diagnostic::new("bpmn.process-id", "/b", "m"),
            Diagnostic::new("ref.task-order", "/c", "m"),
            Diagnostic::new("table.missing", "/d", "m").severity(Severity::Error),
        ],
    );
    assert_eq!((r.errors, r.warnings, r.infos), (2, 1, 1));
    assert!(!r.is_ok());
}

#[test]
fn outcome_exit_codes() {
    let ok = FileOutcome::Report(Report::new("a", None, vec![]));
    let bad = FileOutcome::Report(Report::new(
        "b",
        None,
        vec![Diagnostic::new("json.syntax", "", "m")],
    ));
    let unread = FileOutcome::Unreadable {
        file: "c".into(),
        read_error: ReadFailure {
            message: "m".into(),
            help: None,
        },
    };
    assert_eq!(Outcome::new(vec![ok.clone()]).exit_code(), 0);
    assert_eq!(Outcome::new(vec![ok.clone(), bad.clone()]).exit_code(), 1);
    assert_eq!(Outcome::new(vec![ok, bad, unread]).exit_code(), 2);
}
