//! ATT&CK answers as text for people: a tactic as a table of its techniques, a technique with
//! its detection and mitigations. (`--format json` prints the MITRE functions' own results.)
use super::{Filter, Index, TacticIdx, TechniqueIdx};

/// One tactic as a table: header line, then ID / NAME / MITIGATIONS rows, sub-techniques
/// indented under their parent.
pub fn tactic_table(index: &Index, tactic: TacticIdx, filter: Filter) -> String {
    use std::fmt::Write;
    let t = index.tactic(tactic);
    let techs = index.techniques_of(tactic, filter);
    let subs = techs
        .iter()
        .filter(|x| index.technique(**x).is_subtechnique)
        .count();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} {} ({}, {} techniques{})  {}",
        t.attack_id,
        t.name,
        t.domain,
        techs.len(),
        if subs > 0 {
            format!(" of which {subs} sub-techniques")
        } else {
            String::new()
        },
        t.url()
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
    let w_id = rows
        .iter()
        .map(|r| r.0.chars().count())
        .max()
        .unwrap_or(0)
        .max(2);
    let w_name = rows
        .iter()
        .map(|r| r.1.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    let _ = writeln!(s, "{:<w_id$}  {:<w_name$}  MITIGATIONS", "ID", "NAME");
    for (id, name, mits) in rows {
        let _ = writeln!(s, "{id:<w_id$}  {name:<w_name$}  {mits}").map(|_| ());
    }
    // Trailing spaces of rows without mitigations are noise in a terminal and in diffs.
    s.lines().map(|l| format!("{}\n", l.trim_end())).collect()
}

pub fn technique_text(index: &Index, t: TechniqueIdx, filter: Filter) -> String {
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
    let _ = writeln!(s, "Tactics: {}", tactics.join(", "));
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
        let _ = writeln!(s, "Sub-techniques: {}", subs.join(", "));
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
            let _ = writeln!(s, "  {} {}", m.attack_id, m.name);
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

fn indent(text: &str) -> String {
    indent_by(text, 2)
}

fn indent_by(text: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    text.trim()
        .lines()
        .map(|l| {
            if l.trim().is_empty() {
                String::new()
            } else {
                format!("{pad}{}", l.trim_end())
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
