//! The definitions hold together: every reference the type system cannot check resolves inside
//! the resource file, and the built JSON fits the .res model.

use std::collections::{BTreeMap, BTreeSet};

use super::handles::*;
use super::*;
use crate::res::bpmn::Process;

fn all_workflows() -> Vec<&'static WorkflowDef> {
    let mut all = owned::WORKFLOWS.to_vec();
    for i in dependencies() {
        all.extend(i.workflows);
    }
    all
}

fn all_rules() -> Vec<&'static RuleDef> {
    let mut all = owned::RULES.to_vec();
    for i in dependencies() {
        all.extend(i.rules);
    }
    all
}

#[test]
fn both_files_fit_the_model() {
    let res = resource_file(RELEASE_EXPORT_DATE_MS);
    assert_eq!(res.rules().len(), 2);
    assert_eq!(res.workflows().len(), 2);
    assert_eq!(res.export_date.get(), Some(&RELEASE_EXPORT_DATE_MS));
    let seed: ResFile = serde_json::from_value(integrations_seed()).unwrap();
    assert_eq!(seed.workflows().len(), 2);
    assert_eq!(seed.rules().len(), 2);
    assert_eq!(seed.functions().len(), 5);
}

#[test]
fn static_inputs_belong_to_the_steps_function_and_select_values_to_their_input() {
    for w in all_workflows() {
        for step in w.steps {
            for s in step.inputs {
                assert!(
                    step.function
                        .inputs
                        .iter()
                        .any(|i| std::ptr::eq(*i, s.input)),
                    "{}: input {} is not an input of {}",
                    w.programmatic_name,
                    s.input.name,
                    step.function.name
                );
                match s.value {
                    StaticValue::Select(v) => assert!(
                        s.input.values.iter().any(|x| std::ptr::eq(*x, v)),
                        "{}: select value {} is not a value of {}",
                        w.programmatic_name,
                        v.label,
                        s.input.name
                    ),
                    StaticValue::Boolean(_) => {
                        assert_eq!(s.input.input_type, InputType::Boolean)
                    }
                    StaticValue::Text(_) => assert_eq!(s.input.input_type, InputType::Text),
                }
            }
        }
    }
}

#[test]
fn rules_run_workflows_on_their_own_object_and_test_existing_columns() {
    for r in all_rules() {
        for w in r.workflows {
            assert_eq!(
                r.object_type, w.object_type,
                "rule {:?} runs {} on another object",
                r.name, w.programmatic_name
            );
        }
        for c in r.conditions {
            if let ConditionField::Column(t, col) = c.field {
                assert!(
                    t.columns.iter().any(|x| std::ptr::eq(*x, col)),
                    "rule {:?}: column {} is not in {}",
                    r.name,
                    col.name,
                    t.type_name
                );
            }
        }
    }
}

#[test]
fn every_reference_of_the_resource_file_resolves_inside_it() {
    let res = resource_file(RELEASE_EXPORT_DATE_MS);
    let workflows: BTreeSet<&str> = res
        .workflows()
        .iter()
        .filter_map(|w| w.programmatic_name.get().map(|n| n.as_str()))
        .collect();
    for r in res.rules() {
        for w in r.workflows.get().unwrap() {
            assert!(
                workflows.contains(w.as_str()),
                "rule → missing workflow {w}"
            );
        }
    }
    let action_order: BTreeSet<&str> = res.action_order().iter().map(String::as_str).collect();
    let rule_uuids: BTreeSet<&str> = res
        .rules()
        .iter()
        .map(|r| r.uuid.get().unwrap().as_str())
        .collect();
    assert_eq!(action_order, rule_uuids);

    for w in res.workflows() {
        let xml = &w.content.get().unwrap().xml.get().unwrap();
        let process = Process::parse(xml).unwrap();
        assert_eq!(&process.id, w.programmatic_name.get().unwrap().as_str());
        for f in process.referenced_function_uuids() {
            assert!(
                res.function_by_uuid(f).is_some(),
                "XML → missing function {f}"
            );
        }
        for i in process.referenced_input_field_uuids() {
            assert!(res.field_by_uuid(i).is_some(), "XML → missing input {i}");
        }
        let values: BTreeSet<String> = res
            .fields()
            .iter()
            .flat_map(|f| f.values.get().into_iter().flatten())
            .map(|v| v.uuid.get().unwrap().to_string())
            .collect();
        for v in process.referenced_select_value_uuids() {
            assert!(values.contains(v), "XML → missing select value {v}");
        }
        let object = w.object_type.get().unwrap();
        assert!(
            ["incident", "artifact"].contains(&object.as_str()) || res.data_table(object).is_some(),
            "workflow on missing object {object}"
        );
    }
    let destinations: BTreeSet<&str> = res
        .message_destinations()
        .iter()
        .map(|d| d.programmatic_name.get().unwrap().as_str())
        .collect();
    for f in res.functions() {
        let d = f.destination_handle.get().unwrap().as_str();
        assert!(
            destinations.contains(d),
            "function → missing destination {d}"
        );
        for item in f.view_items.get().unwrap() {
            let uuid = item.content.get().unwrap().as_str().unwrap();
            assert!(
                res.field_by_uuid(uuid).is_some(),
                "function → missing input {uuid}"
            );
        }
    }
}

#[test]
fn uuids_are_unique() {
    for value in [
        serde_json::to_value(resource_file(RELEASE_EXPORT_DATE_MS)).unwrap(),
        integrations_seed(),
    ] {
        let mut seen = BTreeMap::new();
        collect_uuids(&value, "", &mut seen);
        for (uuid, paths) in seen {
            // The action_order list repeats the rules' uuids on purpose.
            let real: Vec<_> = paths
                .iter()
                .filter(|p| !p.starts_with("/action_order"))
                .collect();
            assert!(real.len() <= 1, "uuid {uuid} used by {real:?}");
        }
    }
}

fn collect_uuids(value: &serde_json::Value, path: &str, out: &mut BTreeMap<String, Vec<String>>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let p = format!("{path}/{k}");
                // Back-references and view items repeat other objects' uuids.
                if k == "view_items" || (k == "workflows" && path.starts_with("/functions")) {
                    continue;
                }
                if k == "uuid" {
                    if let Some(u) = v.as_str() {
                        out.entry(u.to_owned()).or_default().push(p.clone());
                    }
                }
                collect_uuids(v, &p, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let p = format!("{path}/{i}");
                if path == "/action_order" {
                    out.entry(v.as_str().unwrap_or_default().to_owned())
                        .or_default()
                        .push(p.clone());
                }
                collect_uuids(v, &p, out);
            }
        }
        _ => {}
    }
}

/// The tables and columns a script writes, found as the validator finds them:
/// `<var> = incident.addRow("<table>")` then `<var>["<column>"] = ...`.
fn rows_written(script: &str) -> Vec<(String, String)> {
    let mut tables: BTreeMap<String, String> = BTreeMap::new();
    let mut out = vec![];
    for line in script.lines() {
        let line = line.trim();
        if let Some((var, rest)) = line.split_once(" = incident.addRow(\"") {
            if let Some((table, _)) = rest.split_once('"') {
                tables.insert(var.trim().to_owned(), table.to_owned());
            }
        } else if let Some((var, rest)) = line.split_once("[\"") {
            if let Some((column, tail)) = rest.split_once("\"]") {
                if tail.trim_start().starts_with("= ") {
                    let table = tables
                        .get(var.trim())
                        .unwrap_or_else(|| panic!("`{line}` writes to a row of no known table"));
                    out.push((table.clone(), column.to_owned()));
                }
            }
        }
    }
    out
}

#[test]
fn scripts_write_only_tables_and_columns_the_files_carry() {
    let res = resource_file(RELEASE_EXPORT_DATE_MS);
    let seed: ResFile = serde_json::from_value(integrations_seed()).unwrap();
    let check = |file: &ResFile, w: &WorkflowDef| {
        for step in w.steps {
            for script in step.pre.iter().chain(step.post.iter()) {
                for (table, column) in rows_written(script.text) {
                    let t = file
                        .data_table(&table)
                        .unwrap_or_else(|| panic!("{}: no table {table}", script.path));
                    assert!(
                        t.column_names().contains(&column.as_str()),
                        "{}: table {table} has no column {column}",
                        script.path
                    );
                }
            }
        }
    };
    let mut written = 0;
    for w in owned::WORKFLOWS {
        check(&res, w);
        written += w
            .steps
            .iter()
            .filter_map(|s| s.post)
            .map(|s| rows_written(s.text).len())
            .sum::<usize>();
    }
    // 4 + 6 cells in the offense workflow, 5 + 6 in the map-rule workflow.
    assert_eq!(written, 21, "the scanner found {written} cell writes");
    for i in dependencies() {
        for w in i.workflows {
            check(&seed, w);
        }
    }
}

#[test]
fn owned_objects_have_derived_uuids_and_are_in_the_resource_file() {
    let res = resource_file(RELEASE_EXPORT_DATE_MS);
    let objects = owned();
    assert_eq!(objects.len(), 5);
    for o in &objects {
        let want = derived_uuid(
            match o.kind {
                Kind::Rule => kind_word::RULE,
                Kind::Workflow => kind_word::WORKFLOW,
                _ => kind_word::DATA_TABLE,
            },
            &o.api_name,
        );
        assert_eq!(o.uuid.as_str(), want);
        assert!(owns(o.kind, &o.api_name));
        let value = serde_json::to_value(&res).unwrap();
        let found = value[o.kind.list_key()]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| {
                o.kind.api_name(x).as_deref() == Some(o.api_name.as_str())
                    && x["uuid"] == o.uuid.as_str()
            });
        assert!(found, "{o:?} is not in the resource file");
    }
    assert!(!owns(Kind::DataTable, "mitre_attack_of_incident"));
    assert!(!owns(Kind::Function, "mitre_tactic_information"));
}

#[test]
fn export_date_follows_source_date_epoch() {
    assert_eq!(export_date_ms(None), RELEASE_EXPORT_DATE_MS);
    assert_eq!(export_date_ms(Some(1_700_000_000)), 1_700_000_000_000);
    let res = resource_file(export_date_ms(Some(1)));
    assert_eq!(res.export_date.get(), Some(&1000));
}

#[test]
fn dependency_objects_are_in_the_seed_and_never_owned() {
    let seed = integrations_seed();
    let mut count = 0;
    for integration in dependencies() {
        for o in integration.objects() {
            let found = seed[o.kind.list_key()].as_array().unwrap().iter().any(|x| {
                o.kind.api_name(x).as_deref() == Some(o.api_name.as_str())
                    && x["uuid"] == o.uuid.as_str()
            });
            assert!(found, "{} {:?} is not in the seed", integration.name, o);
            assert!(!owns(o.kind, &o.api_name));
            count += 1;
        }
    }
    // 5 functions, 10 inputs, 3 destinations, 3 tables, 1 incident field.
    assert_eq!(count, 22);
    let optional: Vec<&str> = dependencies()
        .iter()
        .filter(|i| !i.required)
        .map(|i| i.package)
        .collect();
    assert_eq!(optional, ["fn_qradar_integration"]);
}
