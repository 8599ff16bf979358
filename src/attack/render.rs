//! ATT&CK answers as text for people: a tactic as a table of its techniques, a technique with
//! its detection and mitigations. (`--format json` prints the MITRE functions' own results.)
//!
//! Text is laid out for a [`Layout`]: tables fit its width (the widest columns are cut with an
//! ellipsis), paragraphs are wrapped to it and keep their blank lines, headers are bold only
//! when it says colour. The same helpers lay out `respack run` and `respack demo` tables.
use super::{Filter, Index, TacticIdx, TechniqueIdx};

/// How text output is laid out: the columns available and whether to colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub width: usize,
    pub color: bool,
}

impl Layout {
    /// 80 columns, no colour: what a pipe or a file gets.
    pub const PLAIN: Layout = Layout {
        width: 80,
        color: false,
    };

    /// `text` in bold when colouring.
    pub fn bold(self, text: &str) -> String {
        if self.color && !text.is_empty() {
            format!("\x1b[1m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

impl Default for Layout {
    fn default() -> Self {
        Layout::PLAIN
    }
}

/// Column widths that fit `available` columns with `gap` spaces between columns: while the
/// row is too wide, the widest column loses a column, down to `min`. Short columns (ids,
/// names of [`SHORT`] characters or fewer) are cut only when the long ones cannot give more.
pub fn fit_widths(natural: &[usize], min: usize, gap: usize, available: usize) -> Vec<usize> {
    let mut widths = natural.to_vec();
    let total = |w: &[usize]| w.iter().sum::<usize>() + gap * w.len().saturating_sub(1);
    for only_long in [true, false] {
        while total(&widths) > available {
            let widest = widths
                .iter()
                .enumerate()
                .filter(|(i, w)| **w > min && (!only_long || natural[*i] > SHORT))
                .max_by_key(|(_, w)| **w)
                .map(|(i, _)| i);
            match widest {
                Some(i) => widths[i] -= 1,
                None => break,
            }
        }
    }
    widths
}

/// Columns this wide or narrower are cut last (see [`fit_widths`]).
pub const SHORT: usize = 20;

/// `text` cut to `max` characters (not bytes), the last one an ellipsis when cut.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let kept: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", kept.trim_end())
    }
}

/// `text` wrapped at word boundaries to `width` columns, each line indented by `indent`
/// spaces; paragraphs (blank lines) and line breaks in the text are kept.
pub fn wrap(text: &str, indent: usize, width: usize) -> String {
    let pad = " ".repeat(indent);
    let room = width.saturating_sub(indent).max(20);
    let mut out: Vec<String> = Vec::new();
    for line in text.trim().lines() {
        if line.trim().is_empty() {
            out.push(String::new());
            continue;
        }
        let mut current = String::new();
        let mut len = 0;
        for word in line.split_whitespace() {
            let w = word.chars().count();
            if len > 0 && len + 1 + w > room {
                out.push(format!("{pad}{current}"));
                current.clear();
                len = 0;
            }
            if len > 0 {
                current.push(' ');
                len += 1;
            }
            current.push_str(word);
            len += w;
        }
        out.push(format!("{pad}{current}"));
    }
    out.join("\n")
}

/// One tactic as a table: header line, then ID / NAME / MITIGATIONS rows, sub-techniques
/// indented under their parent.
pub fn tactic_table(index: &Index, tactic: TacticIdx, filter: Filter, layout: Layout) -> String {
    use std::fmt::Write;
    let t = index.tactic(tactic);
    let techs = index.techniques_of(tactic, filter);
    let subs = techs
        .iter()
        .filter(|x| index.technique(**x).is_subtechnique)
        .count();
    let mut s = String::new();
    let title = format!(
        "{} {} ({}, {} techniques{})",
        t.attack_id,
        t.name,
        t.domain,
        techs.len(),
        if subs > 0 {
            format!(" incl. {subs} sub-techniques")
        } else {
            String::new()
        },
    );
    let url = t.url();
    // The URL goes on its own line when both do not fit.
    let sep = if title.chars().count() + 2 + url.chars().count() <= layout.width {
        "  "
    } else {
        "\n"
    };
    let _ = writeln!(
        s,
        "{}{sep}{url}",
        layout.bold(&wrap(&title, 0, layout.width))
    );
    let rows: Vec<(String, String, String)> = techs
        .iter()
        .map(|x| {
            let tech = index.technique(*x);
            let indent = if tech.is_subtechnique { "  " } else { "" };
            let mut name = format!("{indent}{}", tech.name);
            if !tech.status.is_live() {
                name.push_str(&format!(" [{}]", tech.status.word()));
            }
            let mits: Vec<&str> = index
                .mitigations_of(*x, filter)
                .into_iter()
                .map(|l| index.mitigation(l.mitigation).attack_id.as_str())
                .collect();
            (format!("{indent}{}", tech.attack_id), name, mits.join(" "))
        })
        .collect();
    let natural = |f: fn(&(String, String, String)) -> &String, label: &str| {
        rows.iter()
            .map(|r| f(r).chars().count())
            .chain([label.chars().count()])
            .max()
            .unwrap_or(0)
    };
    let fitted = fit_widths(
        &[
            natural(|r| &r.0, "ID"),
            natural(|r| &r.1, "NAME"),
            natural(|r| &r.2, "MITIGATIONS"),
        ],
        8,
        2,
        layout.width,
    );
    let (w_id, w_name, w_mits) = (fitted[0], fitted[1], fitted[2]);
    let header = format!("{:<w_id$}  {:<w_name$}  MITIGATIONS", "ID", "NAME");
    let _ = writeln!(s, "{}", layout.bold(header.trim_end()));
    for (id, name, mits) in rows {
        let (id, name, mits) = (cut(&id, w_id), cut(&name, w_name), cut(&mits, w_mits));
        let _ = writeln!(s, "{id:<w_id$}  {name:<w_name$}  {mits}").map(|_| ());
    }
    // Trailing spaces of rows without mitigations are noise in a terminal and in diffs.
    s.lines().map(|l| format!("{}\n", l.trim_end())).collect()
}

pub fn technique_text(index: &Index, t: TechniqueIdx, filter: Filter, layout: Layout) -> String {
    let indent_by = |text: &str, n: usize| wrap(text, n, layout.width);
    let indent = |text: &str| wrap(text, 2, layout.width);
    use std::fmt::Write;
    let tech = index.technique(t);
    let mut s = String::new();
    let status = if tech.status.is_live() {
        String::new()
    } else {
        format!(", {}", tech.status.word())
    };
    let _ = writeln!(
        s,
        "{} {} ({}{status})",
        tech.attack_id, tech.name, tech.domain
    );
    let tactics: Vec<String> = index
        .tactics_of(
            t,
            Filter {
                include_revoked: true,
                ..filter
            },
        )
        .into_iter()
        .map(|x| {
            let ta = index.tactic(x);
            format!("{} ({})", ta.name, ta.attack_id)
        })
        .collect();
    let _ = writeln!(
        s,
        "{}",
        wrap(&format!("Tactics: {}", tactics.join(", ")), 0, layout.width)
    );
    if let Some(p) = tech.parent {
        let p = index.technique(p);
        let _ = writeln!(s, "Sub-technique of: {} {}", p.attack_id, p.name);
    }
    let subs: Vec<String> = tech
        .subtechniques
        .iter()
        .filter(|x| filter.include_revoked || index.technique(**x).status.is_live())
        .map(|x| {
            format!(
                "{} {}",
                index.technique(*x).attack_id,
                index.technique(*x).name
            )
        })
        .collect();
    if !subs.is_empty() {
        let _ = writeln!(
            s,
            "{}",
            wrap(
                &format!("Sub-techniques: {}", subs.join(", ")),
                0,
                layout.width
            )
        );
    }
    if let Some(r) = tech.revoked_by {
        let r = index.technique(r);
        let _ = writeln!(s, "Revoked by: {} {}", r.attack_id, r.name);
    }
    let _ = writeln!(s, "\nDescription:\n{}", indent(&tech.description));
    let detection = index.detection(t);
    if !detection.is_empty() {
        let _ = writeln!(s, "\nDetection:\n{}", indent(detection));
    }
    let mits = index.mitigations_of(t, filter);
    if !mits.is_empty() {
        let _ = writeln!(s, "\nMitigations:");
        for l in mits {
            let m = index.mitigation(l.mitigation);
            let _ = writeln!(
                s,
                "{}",
                wrap(&format!("{} {}", m.attack_id, m.name), 2, layout.width)
            );
            let _ = writeln!(s, "{}", indent_by(&m.description, 4));
            if let Some(d) = &l.description {
                let _ = writeln!(s, "    For this technique:\n{}", indent_by(d, 6));
            }
        }
    }
    let urls: Vec<&str> = tech
        .references
        .iter()
        .filter_map(|r| r.url.as_deref())
        .collect();
    if !urls.is_empty() {
        let _ = writeln!(s, "\nReferences:");
        for u in urls {
            let _ = writeln!(s, "  {u}");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_columns_give_way_before_short_ones() {
        // ID 6, name 18, two prose columns of 48, gap 2: 126 columns into 60.
        let w = fit_widths(&[6, 18, 48, 48], 6, 2, 60);
        assert_eq!(w.iter().sum::<usize>() + 6, 60, "{w:?}");
        assert_eq!(&w[..2], [6, 18], "{w:?}");
        // When even the short ones must give, nothing goes below the minimum.
        assert_eq!(fit_widths(&[30, 30], 6, 2, 4), [6, 6]);
        assert_eq!(fit_widths(&[3, 4], 6, 2, 80), [3, 4]);
        assert_eq!(
            cut("Kelvin \u{212A}\u{212A}\u{212A}", 9),
            "Kelvin \u{212A}…"
        );
        assert_eq!(cut("short", 8), "short");
    }

    #[test]
    fn wrapping_keeps_paragraphs_and_indents() {
        let text = "one two three four five six seven\n\nnext paragraph here";
        assert_eq!(
            wrap(text, 2, 22),
            "  one two three four\n  five six seven\n\n  next paragraph here"
        );
        // A word longer than the line stays whole on its own line.
        assert_eq!(
            wrap("a https://example.com/very/long/path b", 0, 20),
            "a\nhttps://example.com/very/long/path\nb"
        );
    }
}
