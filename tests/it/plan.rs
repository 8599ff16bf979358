//! The plan: package versus org, as one value.
use std::collections::BTreeSet;

use respack::plan::{Action, Owner, Plan, UninstallOptions};
use respack::res::{self, Kind, ResFile};
use serde_json::{json, Value};

fn package() -> ResFile {
    let v = json!({
        "export_format_version": 2,
        "actions": [{"uuid": "r-1", "name": "My rule", "export_key": "My rule", "type": 1, "workflows": ["my_wf"]}],
        "workflows": [{"uuid": "w-1", "programmatic_name": "my_wf", "name": "My wf", "content": {"xml": "<a/>\n<b/>\n"}}],
        "functions": [{"uuid": "f-1", "export_key": "dep_fn", "name": "dep_fn", "destination_handle": "dep"}],
        "types": [{"uuid": "t-1", "type_name": "dep_table", "fields": {"tech_description": {"name": "tech_description"}, "tactic": {"name": "tactic"}}},
                  {"uuid": "t-2", "type_name": "my_table", "fields": {"artifact": {"name": "artifact"}}}],
        "incident_types": [{"uuid": "bfeec2d4-3770-11e8-ad39-4a0004044aa0", "name": "Customization Packages (internal)"}]
    });
    res::parse(&res::Origin::file("test.res"), &v.to_string()).unwrap()
}

fn owns(kind: Kind, name: &str) -> bool {
    matches!(
        (kind, name),
        (Kind::Rule, "My rule") | (Kind::Workflow, "my_wf") | (Kind::DataTable, "my_table")
    )
}

/// The org after a clean install: the package's objects plus what a server adds.
fn installed() -> Value {
    let mut org = serde_json::to_value(package()).unwrap();
    for list in ["actions", "workflows", "functions", "types"] {
        for (i, o) in org[list].as_array_mut().unwrap().iter_mut().enumerate() {
            o["id"] = json!(100 + i);
            o["last_modified_time"] = json!(1700000000000u64);
            o["server_default"] = json!(true);
        }
    }
    org
}

fn action(plan: &Plan, name: &str) -> Action {
    plan.changes
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("{name} not in plan"))
        .action
}

#[test]
fn empty_org_creates_everything_and_splits_owned_from_dependencies() {
    let plan = Plan::install(&package(), &owns, &json!({}));
    assert!(plan.changes.iter().all(|c| c.action == Action::Create));
    let owned: Vec<_> = plan.owned().map(|c| c.name.as_str()).collect();
    assert_eq!(
        owned,
        ["My rule", "my_wf", "my_table"],
        "rules, then workflows, then tables"
    );
    assert_eq!(plan.dependencies().count(), 2);
    assert!(
        !plan.changes.iter().any(|c| c.name.contains("internal")),
        "the internal incident type is not listed"
    );
    assert!(!plan.is_clean());
}

#[test]
fn server_ids_timestamps_and_server_defaults_are_not_drift() {
    let plan = Plan::install(&package(), &owns, &installed());
    assert!(plan.is_clean(), "{:#?}", plan.changes);
}

#[test]
fn a_changed_workflow_shows_as_update_with_a_text_diff() {
    let mut org = installed();
    org["workflows"][0]["content"]["xml"] = json!("<a/>\n<changed/>\n");
    let plan = Plan::install(&package(), &owns, &org);
    let c = plan.changes.iter().find(|c| c.name == "my_wf").unwrap();
    assert_eq!(c.action, Action::Update);
    let xml = c
        .diffs
        .iter()
        .find(|d| d.label.contains("content/xml"))
        .expect("xml diffed as text");
    assert!(
        xml.unified.contains("-<changed/>") && xml.unified.contains("+<b/>"),
        "{}",
        xml.unified
    );
}

#[test]
fn renamed_dependency_columns_are_reported_by_name() {
    let mut org = installed();
    org["types"][0]["fields"] = json!({"technique_description": {"name": "technique_description"}, "tactic": {"name": "tactic"}, "collection": {"name": "collection"}});
    let plan = Plan::install(&package(), &owns, &org);
    let c = plan.changes.iter().find(|c| c.name == "dep_table").unwrap();
    assert_eq!((c.owner, c.action), (Owner::Dependency, Action::Update));
    let reason = c.reason.as_deref().unwrap();
    assert!(
        reason.contains("missing on the org: tech_description"),
        "{reason}"
    );
    assert!(
        reason.contains("only on the org: collection, technique_description"),
        "{reason}"
    );
}

#[test]
fn same_name_other_uuid_is_a_conflict() {
    let mut org = installed();
    org["actions"][0]["uuid"] = json!("someone-elses");
    let plan = Plan::install(&package(), &owns, &org);
    let c = plan.changes.iter().find(|c| c.name == "My rule").unwrap();
    assert_eq!(c.action, Action::Conflict);
    assert_eq!(c.org_uuid.as_deref(), Some("someone-elses"));
}

#[test]
fn uninstall_removes_only_owned_objects_in_dependency_order() {
    let plan = Plan::uninstall(
        &package(),
        &owns,
        &installed(),
        &BTreeSet::new(),
        UninstallOptions::default(),
    );
    let names: Vec<_> = plan
        .changes
        .iter()
        .map(|c| (c.name.as_str(), c.action))
        .collect();
    assert_eq!(
        names,
        [
            ("My rule", Action::Delete),
            ("my_wf", Action::Delete),
            ("my_table", Action::Delete)
        ]
    );
    assert_eq!(plan.changes[0].org_id, Some(json!(100)));
}

#[test]
fn uninstall_keeps_changed_objects_unless_forced() {
    let mut org = installed();
    org["workflows"][0]["name"] = json!("Renamed by an admin");
    let keep = Plan::uninstall(
        &package(),
        &owns,
        &org,
        &BTreeSet::new(),
        UninstallOptions::default(),
    );
    assert_eq!(action(&keep, "my_wf"), Action::Keep);
    let force = Plan::uninstall(
        &package(),
        &owns,
        &org,
        &BTreeSet::new(),
        UninstallOptions {
            force: true,
            delete_data: false,
        },
    );
    assert_eq!(action(&force, "my_wf"), Action::Delete);
}

#[test]
fn uninstall_keeps_a_table_with_rows_unless_delete_data() {
    let rows = BTreeSet::from(["my_table".to_string()]);
    let keep = Plan::uninstall(
        &package(),
        &owns,
        &installed(),
        &rows,
        UninstallOptions::default(),
    );
    let c = keep.changes.iter().find(|c| c.name == "my_table").unwrap();
    assert_eq!(c.action, Action::Keep);
    assert!(c.reason.as_deref().unwrap().contains("--delete-data"));
    let del = Plan::uninstall(
        &package(),
        &owns,
        &installed(),
        &rows,
        UninstallOptions {
            force: false,
            delete_data: true,
        },
    );
    assert_eq!(action(&del, "my_table"), Action::Delete);
}

#[test]
fn uninstall_rerun_counts_absent_objects_as_done() {
    let mut org = installed();
    org["actions"] = json!([]);
    let plan = Plan::uninstall(
        &package(),
        &owns,
        &org,
        &BTreeSet::new(),
        UninstallOptions::default(),
    );
    assert_eq!(action(&plan, "My rule"), Action::Absent);
    assert_eq!(action(&plan, "my_wf"), Action::Delete);
}

fn change<'p>(plan: &'p Plan, name: &str) -> &'p respack::plan::Change {
    plan.changes
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("{name} not in plan"))
}

#[test]
fn uninstall_keeps_the_workflow_of_a_changed_rule_and_says_why() {
    let mut org = installed();
    org["actions"][0]["timeout_seconds"] = json!(4242);
    org["actions"][0]["type"] = json!(0);
    let plan = Plan::uninstall(
        &package(),
        &owns,
        &org,
        &BTreeSet::new(),
        UninstallOptions::default(),
    );
    assert_eq!(action(&plan, "My rule"), Action::Keep);
    let wf = change(&plan, "my_wf");
    assert_eq!(wf.action, Action::Keep);
    assert_eq!(
        wf.reason.as_deref(),
        Some("kept: used by rule 'My rule', which was changed on the org")
    );
    assert_eq!(wf.used_by, ["rule 'My rule'"]);
    assert_eq!(
        action(&plan, "my_table"),
        Action::Delete,
        "nothing keeps it"
    );
}

#[test]
fn uninstall_keeps_the_table_a_kept_workflows_script_writes() {
    use respack::res::bpmn::{FunctionBody, LinearWorkflow};
    let body = FunctionBody {
        post_processing_script: "row = incident.addRow(\"my_table\")\nrow.artifact = 'x'"
            .to_string()
            .into(),
        ..FunctionBody::default()
    };
    let xml = LinearWorkflow::new("my_wf", "My wf")
        .function_step("Dep fn", "f-1", body)
        .build()
        .to_xml()
        .unwrap();
    let mut org = installed();
    // An admin edited the workflow: it is kept, and so is the table its script writes.
    org["workflows"][0]["content"]["xml"] = json!(xml);
    let plan = Plan::uninstall(
        &package(),
        &owns,
        &org,
        &BTreeSet::new(),
        UninstallOptions::default(),
    );
    assert_eq!(action(&plan, "My rule"), Action::Delete);
    assert_eq!(action(&plan, "my_wf"), Action::Keep);
    let table = change(&plan, "my_table");
    assert_eq!(table.action, Action::Keep);
    assert_eq!(
        table.reason.as_deref(),
        Some("kept: used by workflow 'my_wf', which was changed on the org")
    );
    // With --force nothing is kept, so nothing needs keeping.
    let force = Plan::uninstall(
        &package(),
        &owns,
        &org,
        &BTreeSet::new(),
        UninstallOptions {
            force: true,
            delete_data: false,
        },
    );
    assert!(force.changes.iter().all(|c| c.action == Action::Delete));
}

#[test]
fn uninstall_keeps_what_an_object_outside_the_package_uses() {
    let mut org = installed();
    org["actions"].as_array_mut().unwrap().push(json!({
        "id": 900, "uuid": "admin-rule", "name": "Admin rule", "workflows": ["my_wf"],
        "object_type": "my_table"
    }));
    let plan = Plan::uninstall(
        &package(),
        &owns,
        &org,
        &BTreeSet::new(),
        UninstallOptions::default(),
    );
    assert_eq!(action(&plan, "My rule"), Action::Delete);
    for name in ["my_wf", "my_table"] {
        let c = change(&plan, name);
        assert_eq!(c.action, Action::Keep, "{name}");
        assert_eq!(
            c.reason.as_deref(),
            Some("kept: used by rule 'Admin rule', which is not part of the package"),
            "{name}"
        );
    }
}

#[test]
fn a_delete_the_org_refused_keeps_what_that_object_needs() {
    use respack::res::bpmn::{FunctionBody, LinearWorkflow};
    let body = FunctionBody {
        pre_processing_script: "r = incident.addRow('my_table')".to_string().into(),
        ..FunctionBody::default()
    };
    let xml = LinearWorkflow::new("my_wf", "My wf")
        .function_step("Dep fn", "f-1", body)
        .build()
        .to_xml()
        .unwrap();
    let mut org = installed();
    org["workflows"][0]["content"]["xml"] = json!(xml);
    let mut plan = Plan::uninstall(
        &package(),
        &owns,
        &org,
        &BTreeSet::new(),
        UninstallOptions {
            force: true,
            delete_data: false,
        },
    );
    assert_eq!(action(&plan, "my_table"), Action::Delete);
    plan.refused_delete(Kind::Workflow, "my_wf", "in use by rule 'X'", &org);
    let wf = change(&plan, "my_wf");
    assert_eq!(wf.action, Action::Keep);
    assert!(wf.reason.as_deref().unwrap().contains("in use by rule 'X'"));
    let table = change(&plan, "my_table");
    assert_eq!(table.action, Action::Keep);
    assert_eq!(
        table.reason.as_deref(),
        Some("kept: used by workflow 'my_wf', which the org refused to delete")
    );
}
