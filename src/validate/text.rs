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
    let _ = write!(out, "{}[{}] {file}: ", d.severity, d.code);
    let mut whom = Vec::new();
    if let Some(o) = &d.object {
        whom.push(format!("{} '{}'", o.kind, o.name));
    }
    if !d.path.is_empty() {
        whom.push(format!("at {}", d.path));
    }
    if !whom.is_empty() {
        out.push_str(&whom.join(" "));
        out.push_str(": ");
    }
    // One finding, one line: scripts and names may hold line breaks.
    out.push_str(&d.message.replace(['\n', '\r'], " "));
    out.push('\n');
    if let Some(h) = &d.help {
        let _ = writeln!(out, "  help: {h}");
    }
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
