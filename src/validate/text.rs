//! The text form of `respack validate`'s output: one line per finding, its help line, a
//! summary per file and, for several files, a total.
//!
//! ```text
//! error[ref.step.subworkflow] mock_export.res: workflow 'mock_workflow_one' at /workflows/0/content/xml: step 'Get contact' (CallActivity_1) calls workflow 'x', which is not in the file
//!   help: add the sub-workflow to the export
//! mock_export.res: 1 error, 2 warnings, 1 info
//! ```

use std::fmt::Write;

use super::{Diagnostic, FileOutcome, Outcome, Report};

/// Render an outcome as text (ends with a newline).
pub fn render_text(outcome: &Outcome) -> String {
    let mut out = String::new();
    for f in &outcome.files {
        match f {
            FileOutcome::Report(r) => report(&mut out, r),
            FileOutcome::Unreadable { file, read_error } => {
                let _ = writeln!(out, "error: {}", read_error.message);
                if let Some(h) = &read_error.help {
                    let _ = writeln!(out, "  help: {h}");
                }
                let _ = writeln!(out, "{file}: not read");
            }
        }
    }
    if outcome.files.len() > 1 {
        let _ = write!(
            out,
            "{} files: {}",
            outcome.files.len(),
            counts(outcome.errors, outcome.warnings, outcome.infos)
        );
        if outcome.unreadable > 0 {
            let _ = write!(out, ", {} not read", outcome.unreadable);
        }
        out.push('\n');
    }
    out
}

fn report(out: &mut String, r: &Report) {
    let file = r.display_name();
    for d in &r.diagnostics {
        line(out, &file, d);
    }
    let _ = writeln!(out, "{file}: {}", counts(r.errors, r.warnings, r.infos));
}

fn line(out: &mut String, file: &str, d: &Diagnostic) {
    let mut text = format!("{}[{}] {file}: ", d.severity, d.code);
    let mut whom = Vec::new();
    if let Some(o) = &d.object {
        whom.push(format!("{} '{}'", o.kind, o.name));
    }
    match (&d.location, d.path.is_empty()) {
        (Some(location), true) => whom.push(format!("at {location}")),
        (Some(location), false) => whom.push(format!("at {location} ({})", d.path)),
        (None, false) => whom.push(format!("at {}", d.path)),
        (None, true) => {}
    }
    if !whom.is_empty() {
        text.push_str(&whom.join(" "));
        text.push_str(": ");
    }
    text.push_str(&d.message);
    out.push_str(&printable(&text));
    out.push('\n');
    if let Some(h) = &d.help {
        let _ = writeln!(out, "  help: {}", printable(h));
    }
}

/// One finding, one line, and nothing a hostile file could make a terminal do: names and
/// messages come from the file, so line breaks and other control characters are escaped.
fn printable(line: &str) -> String {
    line.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn counts(errors: usize, warnings: usize, infos: usize) -> String {
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    format!(
        "{}, {}, {}",
        plural(errors, "error"),
        plural(warnings, "warning"),
        plural(infos, "info")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::res::Kind;
    use crate::validate::{ObjectRef, Report};

    #[test]
    fn one_line_per_finding_with_control_characters_escaped() {
        let d = Diagnostic::new(
            "ref.rule.workflow",
            "/actions/0/workflows/0",
            "runs workflow 'a\nb\u{1b}[31m'",
        )
        .object(ObjectRef::new(Kind::Rule, "My rule"))
        .help("add it");
        let outcome = Outcome::new(vec![FileOutcome::Report(Report::new(
            "f.res",
            None,
            vec![d],
        ))]);
        assert_eq!(
            render_text(&outcome),
            "error[ref.rule.workflow] f.res: rule 'My rule' at /actions/0/workflows/0: runs workflow 'a\\nb\\u{1b}[31m'\n  help: add it\nf.res: 1 error, 0 warnings, 0 infos\n"
        );
    }
}
