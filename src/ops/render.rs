//! The text forms of [`CheckReport`] and [`Plan`], for people.
//!
//! Colour only when [`Style::for_stdout`] says so: stdout is a terminal and `NO_COLOR` is not
//! set (<https://no-color.org>). Without colour the text is the same, so tests and logs read it
//! as a terminal user does.

use std::fmt::Write as _;
use std::io::IsTerminal;

use super::check::{CheckReport, IntegrationStatus, Status};
use crate::plan::{Action, Change, Owner, Plan};

/// Whether to colour the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// Colour when stdout is a terminal and `no_color` (`NO_COLOR` set and not empty, as the
    /// CLI read it) is false.
    pub fn for_stdout(no_color: bool) -> Style {
        Style {
            color: !no_color && std::io::stdout().is_terminal(),
        }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.color && !text.is_empty() {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn green(self, t: &str) -> String {
        self.paint("32", t)
    }
    fn red(self, t: &str) -> String {
        self.paint("31", t)
    }
    fn yellow(self, t: &str) -> String {
        self.paint("33", t)
    }
    fn dim(self, t: &str) -> String {
        self.paint("2", t)
    }
    fn bold(self, t: &str) -> String {
        self.paint("1", t)
    }
    fn cyan(self, t: &str) -> String {
        self.paint("36", t)
    }
}

/// `respack check` as text.
pub fn check(report: &CheckReport, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Dependency integrations on org {:?}:", report.org);
    for i in &report.integrations {
        let status = match i.status {
            IntegrationStatus::Installed => style.green("installed"),
            IntegrationStatus::Different => style.yellow("different"),
            IntegrationStatus::Incomplete if i.required => style.red("incomplete"),
            IntegrationStatus::Missing if i.required => style.red("missing"),
            IntegrationStatus::Incomplete => style.yellow("incomplete"),
            IntegrationStatus::Missing => style.yellow("missing"),
        };
        let need = if i.required { "required" } else { "optional" };
        let _ = writeln!(
            out,
            "\n{} {} ({}, {need}): {status}",
            style.bold(&i.name),
            i.version,
            i.package
        );
        if let Some(note) = &i.note {
            let _ = writeln!(out, "  {note}");
        }
        for o in &i.objects {
            let word = match o.status {
                Status::Present => style.green("present  "),
                Status::Different => style.yellow("different"),
                Status::Missing => style.red("missing  "),
            };
            let _ = writeln!(out, "  {word} {:<19} {}", o.kind.label(), o.name);
            for d in &o.details {
                let _ = writeln!(out, "            {d}");
            }
        }
    }
    let verdict = if report.ok {
        style.green("every required integration is installed")
    } else {
        let names: Vec<&str> = report.missing_required().map(|i| i.name.as_str()).collect();
        style.red(&format!(
            "missing required integration objects: {}",
            names.join(", ")
        ))
    };
    let _ = writeln!(out, "\n{verdict}");
    out
}

/// Which command the plan is shown for: the headings say what happens to each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanView {
    /// `diff` and `install`.
    Install,
    Uninstall,
}

/// A plan as text: package objects, then dependency objects, with the diffs of updates.
pub fn plan(plan: &Plan, view: PlanView, style: Style) -> String {
    let mut out = String::new();
    let owned: Vec<&Change> = plan.owned().collect();
    let deps: Vec<&Change> = plan.dependencies().collect();
    let heading = match view {
        PlanView::Install => {
            "Package objects (install creates or updates them, uninstall removes them):"
        }
        PlanView::Uninstall => "Package objects (uninstall removes them, in this order):",
    };
    let _ = writeln!(out, "{}", style.bold(heading));
    if owned.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for c in owned {
        change(&mut out, c, style);
    }
    if !deps.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            style.bold(
                "Dependency objects (the integrations' own: install creates only missing ones and \
                 never changes the others; uninstall never touches them):"
            )
        );
        for c in deps {
            change(&mut out, c, style);
        }
    }
    let _ = writeln!(out, "\n{}", summary(plan));
    out
}

fn change(out: &mut String, c: &Change, style: Style) {
    let word = format!("{:<9}", c.action.label());
    let word = match (c.action, c.owner) {
        (Action::Create, _) => style.green(&word),
        (Action::Update, Owner::Package) => style.yellow(&word),
        // A dependency object that differs is not changed by install: say "differs".
        (Action::Update, Owner::Dependency) => style.yellow("differs  "),
        (Action::Conflict, _) | (Action::Delete, _) => style.red(&word),
        (Action::Keep, _) => style.yellow(&word),
        (Action::Unchanged, _) | (Action::Absent, _) => style.dim(&word),
    };
    let _ = writeln!(out, "  {word} {:<19} {}", c.kind.label(), c.name);
    if let Some(reason) = &c.reason {
        let _ = writeln!(out, "            {reason}");
    }
    for d in &c.diffs {
        for line in d.unified.lines() {
            let painted = if line.starts_with("+++") || line.starts_with("---") {
                style.bold(line)
            } else if line.starts_with('+') {
                style.green(line)
            } else if line.starts_with('-') {
                style.red(line)
            } else if line.starts_with("@@") {
                style.cyan(line)
            } else {
                line.to_string()
            };
            let _ = writeln!(out, "      {painted}");
        }
    }
}

/// One line: how many objects of each action, package and dependencies apart.
pub fn summary(plan: &Plan) -> String {
    let count = |owner: Owner| {
        let mut parts = vec![];
        for action in [
            Action::Create,
            Action::Update,
            Action::Conflict,
            Action::Delete,
            Action::Keep,
            Action::Absent,
            Action::Unchanged,
        ] {
            let n = plan
                .changes
                .iter()
                .filter(|c| c.owner == owner && c.action == action)
                .count();
            if n > 0 {
                let label = match (owner, action) {
                    (Owner::Dependency, Action::Update) => "different",
                    (_, Action::Create) => "to create",
                    (_, Action::Update) => "to update",
                    (_, Action::Delete) => "to delete",
                    (_, Action::Keep) => "kept",
                    (_, Action::Absent) => "already absent",
                    (_, a) => a.label(),
                };
                parts.push(format!("{n} {label}"));
            }
        }
        if parts.is_empty() {
            "none".to_string()
        } else {
            parts.join(", ")
        }
    };
    let mut line = format!("package: {}", count(Owner::Package));
    if plan.dependencies().next().is_some() {
        line.push_str(&format!("; dependencies: {}", count(Owner::Dependency)));
    }
    line
}
