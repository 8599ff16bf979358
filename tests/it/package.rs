//! `--package PATH`: check / diff / install / uninstall of any package (an export in any form,
//! or a source directory) against `respack serve`, run as a separate process
//! ([`ServeProcess`]), as an admin would.
//!
//! The yardstick is the one an admin uses: the org's object names per kind, before the install
//! and after the uninstall, must be the same sets.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use respack::soar::{Client, Overrides, Settings};
use serde_json::{json, Value};

use crate::require_shared;
use crate::util::{respack, Run, ServeProcess};

const COMMUNITY: [&str; 3] = [
    "fn_mitre_integration_export.res",
    "fn_qradar_advisor_export.res",
    "fn_qradar_integration_export.res",
];

/// A `respack serve` process with its own database, and the app.config it wrote.
struct Served {
    dir: tempfile::TempDir,
    _serve: ServeProcess,
}

impl Served {
    fn start(seed_integrations: bool) -> Served {
        let dir = tempfile::tempdir().unwrap();
        let mut args: Vec<std::ffi::OsString> = vec![
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--db".into(),
            dir.path().join("org.db").into(),
            "--write-config".into(),
            dir.path().join("app.config").into(),
        ];
        if seed_integrations {
            args.push("--seed-integrations".into());
        }
        let serve = ServeProcess::start(args);
        Served { dir, _serve: serve }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("app.config")
    }

    fn backups(&self) -> PathBuf {
        self.dir.path().join("bk")
    }

    /// `respack <args> --config <app.config>`, in the org's folder.
    fn cli(&self, args: &[&str]) -> Run {
        respack(args.iter().copied())
            .arg("--config")
            .arg(self.config())
            .current_dir(self.dir.path())
            .run()
            .no_panic()
    }

    /// `respack <command> --package <package> --yes --backup-dir <the org's backups> <flags>`:
    /// an install or uninstall that keeps its record where the next command looks for it.
    fn changes(&self, command: &str, package: &str, flags: &[&str]) -> Run {
        let backups = self.backups().display().to_string();
        let mut args = vec![
            command,
            "--package",
            package,
            "--yes",
            "--backup-dir",
            &backups,
        ];
        args.extend_from_slice(flags);
        self.cli(&args)
    }

    fn client(&self) -> Client {
        let s = Settings::load(
            &Overrides {
                config: Some(self.config()),
                ..Overrides::default()
            },
            None,
            &respack::appconfig::Vars::none(),
        )
        .unwrap();
        Client::connect(s).unwrap()
    }

    fn export(&self) -> Value {
        self.client().export(&Default::default()).unwrap()
    }

    fn names(&self) -> BTreeMap<String, BTreeSet<String>> {
        names_by_kind(&self.export())
    }
}

/// Per list of the export, the objects' names (the first of the usual identity keys): what
/// `../shared/acceptance/lib/kinds.py` compares.
fn names_by_kind(export: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for (key, list) in export.as_object().unwrap() {
        let Some(list) = list.as_array() else {
            continue;
        };
        let names: BTreeSet<String> = list
            .iter()
            .filter_map(|o| {
                [
                    "programmatic_name",
                    "export_key",
                    "type_name",
                    "name",
                    "uuid",
                ]
                .iter()
                .find_map(|k| o.get(*k).filter(|v| !v.is_null() && *v != ""))
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            })
            .collect();
        if !names.is_empty() {
            out.insert(key.clone(), names);
        }
    }
    out
}

fn community(shared: &Path, file: &str) -> String {
    shared
        .join("corpus/res/community")
        .join(file)
        .display()
        .to_string()
}

fn has(export: &Value, list: &str, name: &str) -> bool {
    names_by_kind(export)
        .get(list)
        .is_some_and(|n| n.contains(name))
}

#[test]
fn each_community_export_installs_in_sync_and_uninstalls_back_to_the_names_the_org_had() {
    let shared = require_shared!();
    for file in COMMUNITY {
        let org = Served::start(false);
        let path = community(&shared, file);
        let before = org.names();
        // Its own destination and functions are missing: check says so, install refuses.
        org.cli(&["check", "--package", &path]).code(1);
        org.changes("install", &path, &[]).code(1);
        org.changes("install", &path, &["--force"])
            .success()
            .stdout_has("install record written to");
        org.cli(&["diff", "--package", &path, "--exit-code"])
            .success();
        let installed = org.export();
        let package: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        for f in package["functions"].as_array().unwrap() {
            let name = f["name"].as_str().unwrap();
            assert!(has(&installed, "functions", name), "{file}: {name}");
        }
        org.changes("uninstall", &path, &[]).success();
        assert_eq!(
            org.names(),
            before,
            "{file}: the org differs after uninstall"
        );
    }
}

#[test]
fn the_builtin_package_as_a_bare_file_never_takes_the_integrations_objects() {
    let org = Served::start(true);
    let dist = org.dir.path().join("dist");
    respack(["build", "--out"]).arg(&dist).run().success();
    let path = dist.join("qraw_mitre.res").display().to_string();
    let before = org.names();
    org.changes("install", &path, &[]).success();
    org.cli(&["diff", "--package", &path, "--exit-code"])
        .success();
    org.changes("uninstall", &path, &[])
        .success()
        .stdout_has("left alone:")
        .stdout_has("removed workflow qradar_advisor_offense_analysis_mitre");
    let after = org.export();
    assert_eq!(names_by_kind(&after), before);
    for (list, name) in [
        ("functions", "qradar_advisor_offense_analysis"),
        ("message_destinations", "fn_mitre_integration"),
        ("types", "mitre_attack_of_incident"),
        ("fields", "incident/qradar_id"),
    ] {
        assert!(has(&after, list, name), "{list} {name} was taken away");
    }
}

#[test]
fn a_source_directory_is_a_package_like_the_export_it_was_unpacked_from() {
    let shared = require_shared!();
    let org = Served::start(false);
    let src = org.dir.path().join("src");
    respack([
        "unpack",
        &community(&shared, "fn_qradar_advisor_export.res"),
        "--out",
    ])
    .arg(&src)
    .run()
    .success();
    let path = src.display().to_string();
    let before = org.names();
    org.changes("install", &path, &["--force"]).success();
    assert!(has(
        &org.export(),
        "scripts",
        "create_artifact_for_qradar_advisor_analysis_observable"
    ));
    org.cli(&["diff", "--package", &path, "--exit-code"])
        .success();
    // The record is the manifest's package name, whatever the directory is called.
    assert!(org
        .backups()
        .join("Test-Organization-installed-fn_qradar_advisor_export.json")
        .is_file());
    org.changes("uninstall", &path, &[]).success();
    assert_eq!(org.names(), before);
}

#[test]
fn without_an_install_record_uninstall_keeps_the_dependencies_says_so_and_exits_1() {
    let shared = require_shared!();
    let org = Served::start(false);
    let path = community(&shared, "fn_mitre_integration_export.res");
    org.changes("install", &path, &["--force"]).success();
    // Another backup folder: no record of the install there.
    let elsewhere = org.dir.path().join("elsewhere").display().to_string();
    let run = org
        .cli(&[
            "uninstall",
            "--package",
            &path,
            "--yes",
            "--backup-dir",
            &elsewhere,
        ])
        .code(1)
        .stdout_has("no install record")
        .stderr_has("kept on the org:");
    let after = org.export();
    for (list, name) in [
        ("functions", "mitre_tactic_information"),
        ("message_destinations", "fn_mitre_integration"),
        ("fields", "__function/mitre_tactic_name"),
        // A bare export does not say who created its tables: kept too.
        ("types", "mitre_attack_techniques"),
    ] {
        assert!(has(&after, list, name), "{list} {name}\n{}", run.stdout());
    }
    for (list, name) in [
        ("workflows", "mitre_get_tactic_information"),
        ("actions", "MITRE: Get Tactic information"),
    ] {
        assert!(!has(&after, list, name), "{list} {name} was not removed");
    }
}

#[test]
fn an_object_another_rule_uses_is_kept_and_its_delete_is_refused_with_409() {
    let shared = require_shared!();
    let org = Served::start(false);
    let path = community(&shared, "fn_mitre_integration_export.res");
    org.changes("install", &path, &["--force"]).success();
    // An admin's own rule, not part of the package, runs one of its workflows.
    let exported = org.export();
    let mut rule = exported["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "MITRE: Get Tactic information")
        .unwrap()
        .clone();
    rule["name"] = json!("My own tactic rule");
    rule["export_key"] = json!("My own tactic rule");
    rule["uuid"] = json!("0b7c3a52-5a70-4b8e-9c43-4d0f6f3a0001");
    rule["view_items"] = json!([]);
    rule.as_object_mut().unwrap().remove("id");
    let own = org.dir.path().join("own.res");
    std::fs::write(
        &own,
        json!({"export_format_version": 2, "actions": [rule]}).to_string(),
    )
    .unwrap();
    let own = own.display().to_string();
    org.changes("install", &own, &[]).success();

    // The org itself refuses to delete what is in use.
    let client = org.client();
    let err = client
        .delete(
            respack::soar::Kind::Workflow,
            "mitre_get_tactic_information",
        )
        .unwrap_err();
    assert!(
        matches!(err, respack::soar::SoarError::Http { status: 409, .. }),
        "{err}"
    );

    let run = org
        .changes("uninstall", &path, &[])
        .code(1)
        .stdout_has("used by rule 'My own tactic rule'");
    let after = org.export();
    assert!(
        has(&after, "workflows", "mitre_get_tactic_information"),
        "{}",
        run.stdout()
    );
    assert!(has(&after, "functions", "mitre_tactic_information"));
    assert!(!has(&after, "workflows", "mitre_technique_task"));
}

#[test]
fn bad_package_paths_are_refused_naming_the_file_and_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let not_json = dir.path().join("notes.res");
    std::fs::write(&not_json, "this is not an export\n").unwrap();
    let array = dir.path().join("array.res");
    std::fs::write(&array, "[1, 2]\n").unwrap();
    let empty_dir = dir.path().join("src");
    std::fs::create_dir(&empty_dir).unwrap();
    let missing = dir.path().join("missing.res");
    let cases: [(&Path, &str); 4] = [
        (&missing, "cannot read"),
        (&not_json, "invalid JSON"),
        (&array, "a resource file is a JSON object"),
        (&empty_dir, "has no respack.toml"),
    ];
    for command in ["check", "diff", "install", "uninstall"] {
        for (path, what) in cases {
            // No org is reachable at all: the package is read before any connection.
            let mut cmd = respack([command, "--package"])
                .arg(path)
                .arg("--config")
                .arg(dir.path().join("no-such-app.config"));
            if matches!(command, "install" | "uninstall") {
                cmd = cmd.arg("--yes");
            }
            let run = cmd.run();
            run.code(2)
                .no_panic()
                .stderr_has(&path.display().to_string())
                .stderr_has(what)
                .stderr_has("help:");
        }
    }
}

#[test]
fn restore_with_the_package_undoes_its_install_dependencies_it_created_included() {
    let shared = require_shared!();
    let org = Served::start(false);
    let path = community(&shared, "fn_mitre_integration_export.res");
    let before = org.names();
    org.changes("install", &path, &["--force"]).success();
    let backup = std::fs::read_dir(org.backups())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("-before-install.res"))
        .expect("install wrote its backup");
    let backup = backup.display().to_string();
    let again = org.dir.path().join("bk2").display().to_string();
    org.cli(&[
        "restore",
        &backup,
        "--package",
        &path,
        "--yes",
        "--backup-dir",
        &again,
    ])
    .success();
    assert_eq!(org.names(), before);
}

/// An app zip as `resilient-sdk package` makes it: `app.json`, `export.res` and the
/// integration's code, zipped.
fn app_zip(export: &Path, out: &Path) {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(out).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("app.json", options).unwrap();
    zip.write_all(br#"{"name": "fn_main_mock_integration"}"#)
        .unwrap();
    zip.start_file("export.res", options).unwrap();
    zip.write_all(&std::fs::read(export).unwrap()).unwrap();
    zip.start_file("fn_main_mock_integration-1.0.0.tar.gz", options)
        .unwrap();
    zip.write_all(b"not read").unwrap();
    zip.finish().unwrap();
}

#[test]
fn an_app_zip_with_automatic_tasks_phases_and_a_playbook_goes_on_and_off_again() {
    let shared = require_shared!();
    let org = Served::start(false);
    let zip = org.dir.path().join("app-1.0.0.zip");
    app_zip(
        &shared.join("corpus/res/sdk_mock_reload_export_w_playbook.res"),
        &zip,
    );
    let path = zip.display().to_string();
    let before = org.names();
    org.changes("install", &path, &["--force"]).success();
    let installed = names_by_kind(&org.export());
    for list in [
        "automatic_tasks",
        "phases",
        "playbooks",
        "incident_artifact_types",
    ] {
        assert!(
            installed.get(list).map_or(0, BTreeSet::len)
                > before.get(list).map_or(0, BTreeSet::len),
            "{list}: nothing installed"
        );
    }
    org.cli(&["diff", "--package", &path, "--exit-code"])
        .success();
    org.changes("uninstall", &path, &[])
        .success()
        .stdout_has("removed task ")
        .stdout_has("removed playbook ");
    assert_eq!(org.names(), before);
}

#[test]
fn a_bare_file_never_overwrites_a_data_table_the_org_already_has() {
    let shared = require_shared!();
    let org = Served::start(false);
    let mitre = community(&shared, "fn_mitre_integration_export.res");
    org.changes("install", &mitre, &["--force"]).success();
    // The built-in package carries MITRE 1.0's mitre_attack_techniques (tech_description);
    // the org runs MITRE 2.x (technique_description).
    let dist = org.dir.path().join("dist");
    respack(["build", "--out"]).arg(&dist).run().success();
    let builtin = dist.join("qraw_mitre.res").display().to_string();
    org.changes("install", &builtin, &["--force"]).success();
    let table = org.client().get_type("mitre_attack_techniques").unwrap();
    let columns: BTreeSet<&String> = table["fields"].as_object().unwrap().keys().collect();
    assert!(
        columns.contains(&"technique_description".to_string()),
        "{columns:?}"
    );
    assert!(
        !columns.contains(&"tech_description".to_string()),
        "{columns:?}"
    );
}

#[test]
fn a_source_directory_with_a_member_of_the_wrong_type_is_refused_at_its_file_and_line() {
    let shared = require_shared!();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    respack([
        "unpack",
        &community(&shared, "fn_mitre_integration_export.res"),
        "--out",
    ])
    .arg(&src)
    .run()
    .success();
    let rule = src.join("actions/MITRE%3A Get Tactic information.json");
    let text = std::fs::read_to_string(&rule).unwrap();
    assert!(text.contains("\"enabled\": true"), "{text}");
    std::fs::write(
        &rule,
        text.replace("\"enabled\": true", "\"enabled\": \"yes\""),
    )
    .unwrap();
    respack(["diff", "--package"])
        .arg(&src)
        .arg("--config")
        .arg(dir.path().join("no-such-app.config"))
        .run()
        .code(2)
        .stderr_has("MITRE%3A Get Tactic information.json:")
        .stderr_has("expected a boolean")
        .stderr_has("help:");
}
