//! The restore plan: the package's own objects brought back to how a backup has them.
//!
//! A backup is a full export taken before install, uninstall or restore changed the org, so for
//! every object the package owns it tells whether the object existed then and what it was. Only
//! owned objects are in the plan: dependency objects belong to their integrations and are never
//! deleted, and the rest of the org is not the package's to roll back.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{compare, Action, Change, Ownership, Plan, UninstallOptions};
use crate::res::{Kind, ResFile};

impl Plan {
    /// What brings the package's objects on `org` back to `backup` (`restore`): an owned object
    /// the backup has is re-imported from it when the org lacks it (create) or has it otherwise
    /// (update); one the backup lacks was created since and is deleted, in uninstall's order
    /// and under uninstall's rules (a data table with rows in `tables_with_rows`, an object of
    /// the package's name with another uuid, and whatever an object staying on the org needs
    /// are kept, with the reason). An object the org has under the backup's name but with
    /// another uuid is kept too: importing over it would merge the backup into an object
    /// someone else created.
    pub fn restore(
        package: &ResFile,
        ownership: &dyn Ownership,
        backup: &ResFile,
        org: &Value,
        tables_with_rows: &BTreeSet<String>,
    ) -> Plan {
        let mut changes = vec![];
        let mut in_backup = BTreeSet::new();
        for pair in compare::objects(&comparable(backup), org) {
            if !ownership.owns(pair.kind, &pair.name) {
                continue;
            }
            in_backup.insert((pair.kind, pair.name.clone()));
            let mut c = pair.into_change(ownership);
            if c.action == Action::Conflict {
                c.action = Action::Keep;
                c.reason = Some(format!(
                    "the org has a {} of this name with uuid {}, not the backup's {}: it was \
                     replaced since the backup, and importing would merge the backup into it",
                    c.kind,
                    c.org_uuid.as_deref().unwrap_or("?"),
                    c.uuid.as_deref().unwrap_or("?")
                ));
            }
            changes.push(c);
        }
        let removal = UninstallOptions {
            force: true,
            delete_data: false,
        };
        for pair in compare::objects(package, org) {
            if !ownership.owns(pair.kind, &pair.name)
                || in_backup.contains(&(pair.kind, pair.name.clone()))
            {
                continue;
            }
            let mut c = pair.into_removal(tables_with_rows, removal);
            if c.kind == Kind::DataTable
                && c.action == Action::Keep
                && tables_with_rows.contains(&c.name)
            {
                c.reason = Some(
                    "created since the backup, but incidents have rows in it now: kept with \
                     them (`respack uninstall --delete-data` removes it and its rows)"
                        .into(),
                );
            }
            changes.push(c);
        }
        changes.sort_by_key(Change::sort_key);
        let mut plan = Plan { changes };
        let after_import = plan.org_after_import(backup, org);
        plan.keep_what_kept_objects_need(&after_import);
        plan
    }

    /// The org as it will be once the plan's re-imports are applied: each object to create or
    /// update in its backup form. What deletes must keep is judged on this org, because the
    /// re-imported objects (an older rule that no longer runs a newer workflow) are what stays.
    pub fn org_after_import(&self, backup: &ResFile, org: &Value) -> Value {
        let backup = serde_json::to_value(backup).unwrap_or(Value::Null);
        let mut org = org.clone();
        for c in self.changes.iter().filter(|c| c.is_imported()) {
            let key = c.kind.list_key();
            let Some(object) = backup.get(key).and_then(Value::as_array).and_then(|list| {
                list.iter()
                    .find(|o| c.kind.api_name(o).is_some_and(|n| n == c.name))
            }) else {
                continue;
            };
            if !org.get(key).is_some_and(Value::is_array) {
                if let Some(o) = org.as_object_mut() {
                    o.insert(key.into(), Value::Array(vec![]));
                }
            }
            if let Some(list) = org.get_mut(key).and_then(Value::as_array_mut) {
                list.retain(|o| c.kind.api_name(o).is_none_or(|n| n != c.name));
                list.push(object.clone());
            }
        }
        org
    }

    /// True when the org is what the restore leaves: nothing to re-import or delete (kept
    /// objects stay, with their reasons).
    pub fn is_restored(&self) -> bool {
        !self
            .changes
            .iter()
            .any(|c| matches!(c.action, Action::Create | Action::Update | Action::Delete))
    }
}

/// The backup as compared with the org. A data table column's `type_id` is the server's id of
/// its table, which a re-import assigns anew: it says nothing about whether the column is as
/// the backup has it, and would make every re-imported table read as changed.
fn comparable(backup: &ResFile) -> ResFile {
    let mut v = serde_json::to_value(backup).unwrap_or(Value::Null);
    let tables = v
        .get_mut(Kind::DataTable.list_key())
        .and_then(Value::as_array_mut);
    for table in tables.into_iter().flatten() {
        let columns = table.get_mut("fields").and_then(Value::as_object_mut);
        for column in columns.into_iter().flat_map(|c| c.values_mut()) {
            if let Some(c) = column.as_object_mut() {
                c.remove("type_id");
            }
        }
    }
    serde_json::from_value(v).unwrap_or_else(|_| backup.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::res;
    use serde_json::json;

    fn parse(v: Value) -> ResFile {
        res::parse(&res::Origin::file("t.res"), &v.to_string()).unwrap()
    }

    fn package() -> ResFile {
        parse(json!({
            "actions": [{"uuid": "r-1", "name": "My rule", "export_key": "My rule", "workflows": ["my_wf"]}],
            "workflows": [{"uuid": "w-1", "programmatic_name": "my_wf", "name": "W", "content": {"xml": "<x/>"}}],
            "functions": [{"uuid": "f-1", "export_key": "dep_fn", "name": "dep_fn"}],
        }))
    }

    fn owns(kind: Kind, name: &str) -> bool {
        matches!(
            (kind, name),
            (Kind::Rule, "My rule") | (Kind::Workflow, "my_wf")
        )
    }

    fn actions(plan: &Plan) -> Vec<(String, Action)> {
        plan.changes
            .iter()
            .map(|c| (c.name.clone(), c.action))
            .collect()
    }

    #[test]
    fn objects_created_since_the_backup_are_deleted_and_dependencies_never() {
        let backup = parse(
            json!({"functions": [{"uuid": "f-1", "export_key": "dep_fn", "name": "dep_fn"}]}),
        );
        let org = serde_json::to_value(package()).unwrap();
        let plan = Plan::restore(&package(), &owns, &backup, &org, &BTreeSet::new());
        assert_eq!(
            actions(&plan),
            [
                ("My rule".to_string(), Action::Delete),
                ("my_wf".to_string(), Action::Delete)
            ]
        );
        assert!(!plan.is_restored());
    }

    #[test]
    fn objects_removed_or_changed_since_the_backup_are_reimported_from_it() {
        let backup = serde_json::to_value(package()).unwrap();
        let mut org = backup.clone();
        org["actions"] = json!([]);
        org["workflows"][0]["name"] = json!("changed");
        let plan = Plan::restore(
            &package(),
            &owns,
            &parse(backup.clone()),
            &org,
            &BTreeSet::new(),
        );
        assert_eq!(
            actions(&plan),
            [
                ("My rule".to_string(), Action::Create),
                ("my_wf".to_string(), Action::Update)
            ]
        );
        let after = plan.org_after_import(&parse(backup.clone()), &org);
        let done = Plan::restore(&package(), &owns, &parse(backup), &after, &BTreeSet::new());
        assert!(done.is_restored(), "{:?}", actions(&done));
    }

    #[test]
    fn an_object_replaced_under_the_backups_name_is_kept_with_the_reason() {
        let backup = serde_json::to_value(package()).unwrap();
        let mut org = backup.clone();
        org["workflows"][0]["uuid"] = json!("someone-elses");
        let plan = Plan::restore(&package(), &owns, &parse(backup), &org, &BTreeSet::new());
        let wf = plan.changes.iter().find(|c| c.name == "my_wf").unwrap();
        assert_eq!(wf.action, Action::Keep);
        assert!(
            wf.reason.as_deref().unwrap().contains("someone-elses"),
            "{:?}",
            wf.reason
        );
    }

    #[test]
    fn a_workflow_created_since_is_kept_while_an_object_outside_the_package_runs_it() {
        let backup = parse(json!({}));
        let mut org = serde_json::to_value(package()).unwrap();
        org["actions"].as_array_mut().unwrap().push(
            json!({"uuid": "r-9", "name": "Admin rule", "export_key": "Admin rule", "workflows": ["my_wf"]}),
        );
        let plan = Plan::restore(&package(), &owns, &backup, &org, &BTreeSet::new());
        assert_eq!(
            actions(&plan),
            [
                ("My rule".to_string(), Action::Delete),
                ("my_wf".to_string(), Action::Keep)
            ]
        );
    }
}
