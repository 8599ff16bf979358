//! Data tables and tasks printed the way the SOAR UI shows them: columns by display label in
//! the table's column order, rich text as text. `respack run` prints what the engine returned,
//! `respack demo` what the reference org's REST API gives back.
//!
//! Both fit a [`Layout`]'s width: a table's widest columns are cut with an ellipsis until a row
//! fits (80 columns when piped), task instructions are wrapped and keep their paragraphs.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use super::engine::{html_to_text, Text};
use crate::attack::render::{cut, fit_widths, wrap, Layout};
use crate::res::{DataTable, ResFile};

/// Cells longer than this are cut in text tables (JSON output has them whole).
pub const MAX_CELL: usize = 48;

/// One column: API name, label, and whether SOAR renders it as rich text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Column {
    pub name: String,
    pub label: String,
    #[serde(skip)]
    pub rich: bool,
}

/// A data table's definition as the UI needs it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TableDef {
    pub name: String,
    pub display_name: String,
    pub columns: Vec<Column>,
}

impl TableDef {
    /// The definition of `name` in the first of `sources` that has it; without one the
    /// columns are those the rows use, labelled by API name.
    pub fn find(name: &str, sources: &[&ResFile], rows: &[BTreeMap<String, Value>]) -> TableDef {
        match sources.iter().find_map(|res| res.data_table(name)) {
            Some(t) => TableDef::from_res(name, t),
            None => {
                let mut names: Vec<&String> = rows.iter().flat_map(|r| r.keys()).collect();
                names.sort();
                names.dedup();
                TableDef {
                    name: name.to_string(),
                    display_name: name.to_string(),
                    columns: names
                        .into_iter()
                        .map(|n| Column {
                            name: n.clone(),
                            label: n.clone(),
                            rich: false,
                        })
                        .collect(),
                }
            }
        }
    }

    fn from_res(name: &str, table: &DataTable) -> TableDef {
        let fields = table.fields.get();
        let columns = table
            .column_names()
            .into_iter()
            .map(|col| {
                let field = fields.and_then(|f| f.get(col));
                Column {
                    name: col.to_string(),
                    label: field
                        .and_then(|f| f.text.as_str())
                        .filter(|t| !t.is_empty())
                        .unwrap_or(col)
                        .to_string(),
                    rich: field.is_some_and(|f| {
                        f.rich_text.get() == Some(&true)
                            || f.input_type.as_str() == Some("textarea")
                    }),
                }
            })
            .collect();
        TableDef {
            name: name.to_string(),
            display_name: table
                .display_name
                .as_str()
                .filter(|d| !d.is_empty())
                .unwrap_or(name)
                .to_string(),
            columns,
        }
    }

    /// A cell as the UI shows it, whole.
    pub fn display(&self, column: &Column, value: Option<&Value>) -> String {
        let text = match value {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) if column.rich => html_to_text(s),
            Some(Value::String(s)) => s.clone(),
            // A cell read back from the REST API: `{"value": ...}`.
            Some(Value::Object(o)) if o.contains_key("value") => {
                return self.display(column, o.get("value"));
            }
            Some(v) => v.to_string(),
        };
        text
    }

    /// The table as text: a title line, then the rows under the column labels, cells on one
    /// line, cut at [`MAX_CELL`] characters and further until a row fits `layout.width`.
    pub fn render(&self, rows: &[BTreeMap<String, Value>], layout: Layout) -> String {
        let mut out = String::new();
        let count = match rows.len() {
            1 => "1 row".to_string(),
            n => format!("{n} rows"),
        };
        let _ = writeln!(
            out,
            "{}",
            layout.bold(&format!("{} ({}): {count}", self.display_name, self.name))
        );
        if rows.is_empty() {
            return out;
        }
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|row| {
                self.columns
                    .iter()
                    .map(|c| one_line(&self.display(c, row.get(&c.name)), MAX_CELL))
                    .collect()
            })
            .collect();
        let natural: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                cells
                    .iter()
                    .map(|r| r[i].chars().count())
                    .chain([c.label.chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        // Two columns of indent, two between columns.
        let widths = fit_widths(&natural, 6, 2, layout.width.saturating_sub(2));
        let line = |cells: Vec<&str>| {
            let mut l = String::from("  ");
            for (i, cell) in cells.iter().enumerate() {
                let cell = cut(cell, widths[i]);
                let len = cell.chars().count();
                l.push_str(&cell);
                if i + 1 < cells.len() {
                    l.push_str(&" ".repeat(widths[i] - len + 2));
                }
            }
            l.trim_end().to_string()
        };
        let header = line(self.columns.iter().map(|c| c.label.as_str()).collect());
        let _ = writeln!(out, "{}", layout.bold(&header));
        for row in &cells {
            let _ = writeln!(out, "{}", line(row.iter().map(String::as_str).collect()));
        }
        out
    }
}

/// Text on one line (whitespace runs folded), cut at `max` characters with an ellipsis.
pub fn one_line(text: &str, max: usize) -> String {
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.chars().count() <= max {
        folded
    } else {
        let cut: String = folded.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

/// A task as the UI shows it: name, phase, then the instructions as text, indented and wrapped
/// to `layout.width` with their paragraphs kept.
pub fn render_task(
    name: &str,
    phase: Option<&str>,
    instructions: Option<&Text>,
    layout: Layout,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", layout.bold(&format!("Task: {name}")));
    if let Some(phase) = phase {
        let _ = writeln!(out, "  Phase: {phase}");
    }
    if let Some(text) = instructions {
        let _ = writeln!(out, "  Instructions:");
        for line in text.plain().lines() {
            if line.is_empty() {
                let _ = writeln!(out);
            } else {
                let _ = writeln!(out, "{}", wrap(line, 4, layout.width));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tables_use_labels_in_column_order_and_strip_rich_text() {
        let res: ResFile = serde_json::from_value(json!({
            "types": [{"type_name": "t", "display_name": "My Table", "fields": {
                "b": {"text": "Bee", "order": 2, "input_type": "textarea", "rich_text": true},
                "a": {"text": "Ay", "order": 1, "input_type": "text"}}}]
        }))
        .unwrap();
        let rows = vec![BTreeMap::from([
            ("a".to_string(), json!("one")),
            ("b".to_string(), json!("<a href=\"u\">u</a><br>")),
        ])];
        let def = TableDef::find("t", &[&res], &rows);
        assert_eq!(
            def.render(&rows, Layout::PLAIN),
            "My Table (t): 1 row\n  Ay   Bee\n  one  u\n"
        );
        assert_eq!(one_line("a\n b   c", 10), "a b c");
        assert_eq!(one_line("abcdefghijk", 5), "abcd…");
    }
}
