//! Scripts: every place a resource file holds Python, its language, its Python 3 syntax, and
//! the data tables and columns it writes.
//!
//! Scripts live in global `scripts[]`, in playbooks' `local_scripts[]`, and inside workflow and
//! playbook XML: the pre- and post-processing scripts of function steps, a sub-playbook's
//! output script, and condition scripts on sequence flows. IBM's validator requires `python3`
//! everywhere (`reference/res-format.md` §3.3); SOAR no longer runs Python 2, so those are
//! warnings here, and a script that states no language at all is Python 2 by SOAR's default.
//!
//! The table check is a heuristic over the text (§1.7 says only a heuristic can find these):
//! `row = incident.addRow("table")` names a table, and `row["column"] = …` or
//! `row.column = …` on that variable names a column.

use std::borrow::Cow;
use std::collections::HashSet;

use serde_json::Value;

use super::checks::{playbook_ref, pointer, script_ref, Index};
use super::pysyntax::{Checker, Pending, Verdict};
use super::steps::{step_label, Parsed};
use super::{Diagnostic, ObjectRef, Severity};
use crate::res::bpmn::NodeKind;
use crate::res::{Kind, ResFile};

/// A script's language, as stated where it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Lang {
    Python3,
    Python2,
    /// No language given: SOAR runs it as Python 2.
    Unstated,
    Other(String),
}

impl Lang {
    fn of(stated: Option<&str>) -> Lang {
        match stated {
            Some("python3") => Lang::Python3,
            Some("python") => Lang::Python2,
            None => Lang::Unstated,
            Some(other) => Lang::Other(other.to_string()),
        }
    }
}

/// One script, wherever it lives.
pub(super) struct Source<'a> {
    pub object: ObjectRef,
    pub path: String,
    /// Where in the object: `script`, `step 'X' (Id) pre-processing script`, ...
    pub label: String,
    pub lang: Lang,
    pub text: Cow<'a, str>,
}

/// Every non-empty script of the file, with a finding for each one not in Python 3.
pub(super) fn collect<'a>(
    res: &'a ResFile,
    processes: &'a [Parsed<'a>],
    out: &mut Vec<Diagnostic>,
) -> Vec<Source<'a>> {
    let mut sources = Vec::new();
    let mut add =
        |object: &ObjectRef, path: &str, label: String, lang: Lang, text: Cow<'a, str>| {
            if !text.trim().is_empty() {
                sources.push(Source {
                    object: object.clone(),
                    path: path.to_string(),
                    label,
                    lang,
                    text,
                });
            }
        };
    for (i, s) in res.scripts().iter().enumerate() {
        let Some(text) = s.script_text.get() else {
            continue;
        };
        let path = format!("{}/script_text", pointer(Kind::Script, i));
        add(
            &script_ref(s, i),
            &path,
            "the script".into(),
            Lang::of(s.language.as_str()),
            text.into(),
        );
    }
    for (i, p) in res.playbooks().iter().enumerate() {
        let object = playbook_ref(p, i);
        for (j, s) in p.local_scripts.get().into_iter().flatten().enumerate() {
            let Some(text) = s.script_text.get() else {
                continue;
            };
            let path = format!(
                "{}/local_scripts/{j}/script_text",
                pointer(Kind::Playbook, i)
            );
            let name = s.name.get().map(|n| n.as_str()).unwrap_or("?");
            add(
                &object,
                &path,
                format!("local script '{name}'"),
                Lang::of(s.language.as_str()),
                text.into(),
            );
        }
    }
    for p in processes {
        for node in &p.process.nodes {
            let body = match &node.kind {
                NodeKind::Function(call) => Some(&call.body),
                NodeKind::SubPlaybook { body, .. } => Some(body),
                NodeKind::End { script: Some(end) } => {
                    if let Some(text) = end.script.get() {
                        let lang = Lang::of(end.script_language.as_str());
                        add(
                            &p.object,
                            &p.path,
                            "output script of the end event".into(),
                            lang,
                            text.as_str().into(),
                        );
                    }
                    None
                }
                _ => None,
            };
            let Some(body) = body else { continue };
            for (which, text, lang) in [
                (
                    "pre-processing",
                    &body.pre_processing_script,
                    &body.pre_processing_script_language,
                ),
                (
                    "post-processing",
                    &body.post_processing_script,
                    &body.post_processing_script_language,
                ),
            ] {
                if let Some(text) = text.get() {
                    let label = format!("{} {which} script", step_label(node));
                    add(
                        &p.object,
                        &p.path,
                        label,
                        Lang::of(lang.as_str()),
                        text.as_str().into(),
                    );
                }
            }
        }
        for flow in &p.process.flows {
            let Some(condition) = flow.condition.as_deref() else {
                continue;
            };
            let Ok(condition) = serde_json::from_str::<Value>(condition) else {
                continue;
            };
            let outer = condition.get("script_language").and_then(Value::as_str);
            let conditions = condition.get("conditions").and_then(Value::as_array);
            for c in conditions.into_iter().flatten() {
                if c.get("method").and_then(Value::as_str) != Some("script") {
                    continue;
                }
                let value = c.get("value");
                let Some(text) = value
                    .and_then(|v| v.get("script_text"))
                    .and_then(Value::as_str)
                else {
                    continue;
                };
                let lang = value
                    .and_then(|v| v.get("language"))
                    .and_then(Value::as_str)
                    .or(outer);
                let flow_name = flow
                    .name
                    .as_deref()
                    .filter(|n| !n.is_empty())
                    .unwrap_or(&flow.id);
                add(
                    &p.object,
                    &p.path,
                    format!("condition script of flow '{flow_name}'"),
                    Lang::of(lang),
                    Cow::Owned(text.to_string()),
                );
            }
        }
    }
    language_findings(&sources, out);
    sources
}

/// One `script.python2` warning per object, listing its Python 2 scripts; one
/// `script.language` error per script in a language SOAR does not have.
fn language_findings(sources: &[Source<'_>], out: &mut Vec<Diagnostic>) {
    let mut i = 0;
    while i < sources.len() {
        // Sources of one object are adjacent (collected object by object).
        let mut j = i;
        while j < sources.len()
            && sources[j].object == sources[i].object
            && sources[j].path == sources[i].path
        {
            j += 1;
        }
        let group = &sources[i..j];
        let old: Vec<String> = group
            .iter()
            .filter_map(|s| match s.lang {
                Lang::Python2 => Some(s.label.clone()),
                Lang::Unstated => Some(format!("{} (no language stated)", s.label)),
                _ => None,
            })
            .collect();
        if !old.is_empty() {
            let what = if old.len() == 1 {
                format!("{} is Python 2", old[0])
            } else {
                format!("{} scripts are Python 2: {}", old.len(), old.join("; "))
            };
            out.push(
                Diagnostic::new("script.python2", group[0].path.clone(), what)
                    .object(group[0].object.clone())
                    .help("port to Python 3 and set the language to python3: SOAR dropped Python 2 and IBM's validator rejects it"),
            );
        }
        for s in group {
            if let Lang::Other(lang) = &s.lang {
                out.push(
                    Diagnostic::new(
                        "script.language",
                        s.path.clone(),
                        format!(
                            "{} has language '{lang}'; SOAR runs python3 (and, formerly, python)",
                            s.label
                        ),
                    )
                    .object(s.object.clone())
                    .help("set the language to python3"),
                );
            }
        }
        i = j;
    }
}

/// Start compiling the Python 3 scripts (see [`super::pysyntax`]).
pub(super) fn start_syntax_check(checker: &Checker, sources: &[Source<'_>]) -> Pending {
    let texts: Vec<&str> = python3(sources).map(|s| s.text.as_ref()).collect();
    checker.start(&texts)
}

fn python3<'s, 'a>(sources: &'s [Source<'a>]) -> impl Iterator<Item = &'s Source<'a>> {
    sources.iter().filter(|s| s.lang == Lang::Python3)
}

pub(super) fn finish_syntax_check(
    pending: Pending,
    sources: &[Source<'_>],
    out: &mut Vec<Diagnostic>,
) {
    match pending.finish() {
        Ok(verdicts) => {
            for (s, v) in python3(sources).zip(verdicts) {
                if let Verdict::Error { line, message, .. } = v {
                    out.push(
                        Diagnostic::new(
                            "script.syntax",
                            s.path.clone(),
                            format!("{}, line {line}: {message}", s.label),
                        )
                        .object(s.object.clone())
                        .help("fix the script; SOAR would fail the same way when it runs"),
                    );
                }
            }
        }
        Err(skipped) => {
            let count = python3(sources).count();
            out.push(
                Diagnostic::new(
                    "script.syntax-skipped",
                    "",
                    format!("the syntax of {count} Python 3 scripts was not checked: {skipped}"),
                )
                .help("install python3, or point RESPACK_PYTHON at one"),
            );
        }
    }
}

/// Tables and columns scripts write must exist: an error for the built-in package, which must
/// be self-contained, a warning for other files (they may rely on tables already on the org).
pub(super) fn check_table_writes(
    sources: &[Source<'_>],
    index: &Index<'_>,
    builtin: bool,
    out: &mut Vec<Diagnostic>,
) {
    let severity = if builtin {
        Severity::Error
    } else {
        Severity::Warning
    };
    let mut seen: HashSet<(String, String, String)> = HashSet::new();
    for s in sources {
        for w in table_writes(&s.text) {
            let key = (
                s.path.clone(),
                w.table.to_string(),
                w.column.unwrap_or("").to_string(),
            );
            if !seen.insert(key) {
                continue;
            }
            let Some(table) = index.tables.get(w.table) else {
                if w.column.is_none() {
                    out.push(
                        Diagnostic::new(
                            "table.missing",
                            s.path.clone(),
                            format!("{}, line {}: adds a row to data table '{}', which is not in the file", s.label, w.line, w.table),
                        )
                        .severity(severity)
                        .object(s.object.clone())
                        .help("add the data table to the export"),
                    );
                }
                continue;
            };
            let Some(column) = w.column else { continue };
            let known = table.fields.get().is_some_and(|f| f.contains_key(column));
            if !known {
                out.push(
                    Diagnostic::new(
                        "table.column-missing",
                        s.path.clone(),
                        format!(
                            "{}, line {}: writes column '{column}' of data table '{}', which has no such column",
                            s.label, w.line, w.table
                        ),
                    )
                    .severity(severity)
                    .object(s.object.clone())
                    .help(format!("add the column to data table '{}', or fix its name in the script", w.table)),
                );
            }
        }
    }
}

/// One write a script makes: a row added to `table`, or `column` of such a row set.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TableWrite<'t> {
    pub table: &'t str,
    pub column: Option<&'t str>,
    pub line: usize,
}

/// Every `incident.addRow("t")` and every column assignment on the variables holding its rows.
pub(crate) fn table_writes(text: &str) -> Vec<TableWrite<'_>> {
    let mut rows: Vec<(&str, &str)> = Vec::new(); // variable → table, latest last
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with('#') {
            continue;
        }
        let line_no = n + 1;
        let mut rest = code;
        while let Some(at) = rest.find("incident.addRow(") {
            let after = &rest[at + "incident.addRow(".len()..];
            if let Some(table) = string_literal(after.trim_start()).map(|(t, _)| t) {
                out.push(TableWrite {
                    table,
                    column: None,
                    line: line_no,
                });
                if let Some(var) = assigned_variable(&rest[..at]) {
                    rows.retain(|(v, _)| *v != var);
                    rows.push((var, table));
                }
            }
            rest = after;
        }
        for &(var, table) in &rows {
            for column in column_assignments(code, var) {
                out.push(TableWrite {
                    table,
                    column: Some(column),
                    line: line_no,
                });
            }
        }
    }
    out
}

/// `"text"` or `'text'` at the start of `s` (no escapes: table and column names have none), and
/// what follows it.
fn string_literal(s: &str) -> Option<(&str, &str)> {
    let quote = s.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let body = &s[1..];
    let end = body.find(quote)?;
    Some((&body[..end], &body[end + 1..]))
}

/// In `row = ` (what precedes `incident.addRow(`), the variable `row`.
fn assigned_variable(before: &str) -> Option<&str> {
    let before = before.trim_end().strip_suffix('=')?;
    if before.ends_with(['=', '!', '<', '>', '+', '-', '*', '/']) {
        return None;
    }
    let before = before.trim_end();
    let start = before
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let var = &before[start..];
    let preceded_ok = before[..start].trim_end().is_empty();
    (!var.is_empty() && preceded_ok && !var.starts_with(|c: char| c.is_ascii_digit()))
        .then_some(var)
}

/// The columns `var["col"] = …` and `var.col = …` assign on one line.
fn column_assignments<'t>(code: &'t str, var: &str) -> Vec<&'t str> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(pos) = code[from..].find(var) {
        let at = from + pos;
        from = at + var.len();
        let boundary = code[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '.'));
        if !boundary {
            continue;
        }
        let rest = &code[at + var.len()..];
        let (column, tail) = if let Some(r) = rest.strip_prefix('[') {
            match string_literal(r.trim_start()) {
                Some((col, tail)) => match tail.trim_start().strip_prefix(']') {
                    Some(tail) => (col, tail),
                    None => continue,
                },
                None => continue,
            }
        } else if let Some(r) = rest.strip_prefix('.') {
            let end = r
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(r.len());
            (&r[..end], &r[end..])
        } else {
            continue;
        };
        let tail = tail.trim_start();
        if !column.is_empty() && tail.starts_with('=') && !tail.starts_with("==") {
            out.push(column);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writes(text: &str) -> Vec<(&str, Option<&str>, usize)> {
        table_writes(text)
            .into_iter()
            .map(|w| (w.table, w.column, w.line))
            .collect()
    }

    #[test]
    fn finds_rows_and_columns() {
        let script = "\
# row = incident.addRow(\"commented\")
row = incident.addRow(\"mitre_attack_of_incident\")
row[\"tactic\"] = t['name']
row.tactic_code = 1
if row.confidence == 2:
    pass
other = incident.addRow('techniques')
other['technique'] = x
row['reference']=y
incident.addRow(\"bare\")
";
        assert_eq!(
            writes(script),
            [
                ("mitre_attack_of_incident", None, 2),
                ("mitre_attack_of_incident", Some("tactic"), 3),
                ("mitre_attack_of_incident", Some("tactic_code"), 4),
                ("techniques", None, 7),
                ("techniques", Some("technique"), 8),
                ("mitre_attack_of_incident", Some("reference"), 9),
                ("bare", None, 10),
            ]
        );
    }

    #[test]
    fn non_ascii_around_the_names_does_not_split_a_character() {
        let script =
            "→r = incident.addRow(\"t\")\né = incident.addRow(\"u\")\né.ü = 1\n«r».x = 2\n";
        assert_eq!(
            writes(script),
            [("t", None, 1), ("u", None, 2), ("u", Some("ü"), 3)]
        );
    }

    #[test]
    fn reassignment_moves_the_variable_to_the_new_table() {
        let script = "r = incident.addRow(\"a\")\nr.x = 1\nr = incident.addRow(\"b\")\nr.y = 2\n";
        assert_eq!(
            writes(script),
            [
                ("a", None, 1),
                ("a", Some("x"), 2),
                ("b", None, 3),
                ("b", Some("y"), 4)
            ]
        );
    }

    #[test]
    fn comparisons_and_other_variables_are_not_writes() {
        let script = "row = incident.addRow(\"t\")\nif row['a'] == 1: pass\nmyrow.b = 2\narrow.c = 3\nx = row.d\n";
        assert_eq!(writes(script), [("t", None, 1)]);
    }
}
