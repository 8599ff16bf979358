//! Live org versus package: the [`Plan`] that `diff` prints and `install` / `uninstall` /
//! `restore` execute.
//!
//! The plan is computed once, as data, from two values — the package's resource file and one
//! export of the org — and nothing else, so it can be printed, serialised with `--format json`,
//! snapshot-tested and executed, and all four see the same value.
//!
//! Objects are matched by kind and API name, with the uuid as a cross-check
//! ([`crate::res::Kind`]). Both sides are normalised before comparing: volatile members are
//! stripped (`reference/res-format.md` §1.9) and only the members the package sets are compared,
//! because a server fills in defaults the package never mentions.

mod change;
mod compare;
mod restore;
mod steps;
mod uses;

pub use change::{Action, Change, Owner, TextDiff};
pub use compare::normalised;
pub use steps::{workflow_text, Names};

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

use crate::res::{Kind, ResFile};

/// Which side of the package an object is on.
pub trait Ownership {
    /// True when the package owns this object: install creates it, uninstall removes it.
    fn owns(&self, kind: Kind, api_name: &str) -> bool;
}

impl<F: Fn(Kind, &str) -> bool> Ownership for F {
    fn owns(&self, kind: Kind, api_name: &str) -> bool {
        self(kind, api_name)
    }
}

/// Every change between the package and the org, package objects first, in the order an
/// uninstall removes them (rules, workflows, data tables) and an install lists them.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub changes: Vec<Change>,
}

/// Options of an uninstall plan.
#[derive(Debug, Clone, Copy, Default)]
pub struct UninstallOptions {
    /// Remove owned objects even when they changed on the org since install.
    pub force: bool,
    /// Remove the data table even when incidents have rows in it.
    pub delete_data: bool,
}

impl Plan {
    /// What importing the package would do to the org (`diff`, `install`).
    pub fn install(package: &ResFile, ownership: &dyn Ownership, org: &Value) -> Plan {
        let mut changes = compare::objects(package, org)
            .into_iter()
            .map(|pair| pair.into_change(ownership))
            .collect::<Vec<_>>();
        changes.sort_by_key(Change::sort_key);
        Plan { changes }
    }

    /// What removing the package would do (`uninstall`): only owned objects, and only those
    /// present on the org, matched by uuid and API name.
    pub fn uninstall(
        package: &ResFile,
        ownership: &dyn Ownership,
        org: &Value,
        tables_with_rows: &BTreeSet<String>,
        options: UninstallOptions,
    ) -> Plan {
        let mut changes = compare::objects(package, org)
            .into_iter()
            .filter(|pair| ownership.owns(pair.kind, &pair.name))
            .map(|pair| pair.into_removal(tables_with_rows, options))
            .collect::<Vec<_>>();
        changes.sort_by_key(Change::sort_key);
        let mut plan = Plan { changes };
        plan.keep_what_kept_objects_need(org);
        plan
    }

    /// Turn every delete that an object staying on the org still needs into a keep, with the
    /// reason, until nothing staying needs anything deleted ([`uses`]): a kept rule keeps its
    /// workflows, a kept workflow the tables its scripts write, and an object that is not the
    /// package's at all (an admin's own rule using the package's workflow) keeps what it uses.
    /// So no delete is attempted that the org can be predicted to refuse. Called again after a
    /// delete the org refused anyway, with that object marked kept.
    pub fn keep_what_kept_objects_need(&mut self, org: &Value) {
        let objects = uses::objects(org);
        let index = uses::UuidIndex::new(&objects);
        let needs: Vec<(uses::Key, Vec<uses::Key>)> = objects
            .iter()
            .map(|((kind, name), o)| ((*kind, name.clone()), uses::needs(*kind, o, &index)))
            .collect();
        loop {
            let deleting: BTreeSet<uses::Key> = self
                .changes
                .iter()
                .filter(|c| c.action == Action::Delete)
                .map(|c| (c.kind, c.name.clone()))
                .collect();
            let mut found = None;
            'users: for (user, wanted) in &needs {
                if deleting.contains(user) {
                    continue;
                }
                for w in wanted {
                    if deleting.contains(w) && w != user {
                        found = Some((user.clone(), w.clone()));
                        break 'users;
                    }
                }
            }
            let Some((user, needed)) = found else { break };
            let which = self
                .changes
                .iter()
                .find(|c| c.kind == user.0 && c.name == user.1)
                .and_then(|c| c.kept_because.clone())
                .unwrap_or_else(|| "is not part of the package".into());
            let used_by = uses::label(&user);
            if let Some(c) = self
                .changes
                .iter_mut()
                .find(|c| c.kind == needed.0 && c.name == needed.1)
            {
                c.action = Action::Keep;
                c.reason = Some(format!("kept: used by {used_by}, which {which}"));
                c.kept_because = Some(format!("is kept for {used_by}, which {which}"));
                c.used_by.push(used_by);
            }
        }
    }

    /// Mark `kind`/`name` kept because the org refused its delete (HTTP 409: in use), then keep
    /// what it needs in turn.
    pub fn refused_delete(&mut self, kind: Kind, name: &str, message: &str, org: &Value) {
        if let Some(c) = self
            .changes
            .iter_mut()
            .find(|c| c.kind == kind && c.name == name)
        {
            c.action = Action::Keep;
            c.reason = Some(format!(
                "kept, in use: the org refused to delete it ({message})"
            ));
            c.kept_because = Some("the org refused to delete".into());
        }
        self.keep_what_kept_objects_need(org);
    }

    /// Put the changes back in their order (after a caller added some).
    pub fn sort(&mut self) {
        self.changes.sort_by_key(Change::sort_key);
    }

    /// The changes the package owns.
    pub fn owned(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.owner == Owner::Package)
    }

    /// The changes to objects of the dependency integrations.
    pub fn dependencies(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.owner == Owner::Dependency)
    }

    /// True when applying the plan would change nothing, dependency objects included.
    pub fn is_clean(&self) -> bool {
        self.changes
            .iter()
            .all(|c| matches!(c.action, Action::Unchanged | Action::Absent))
    }

    /// True when the org is what an install leaves: nothing to import and no conflict.
    /// Dependency objects that differ (an org running a newer integration) do not count: install
    /// never overwrites them, so such an org could otherwise never be in sync.
    pub fn is_in_sync(&self) -> bool {
        !self.changes.iter().any(Change::is_outstanding)
    }
}
