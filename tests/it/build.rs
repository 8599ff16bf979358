//! `respack build`: the package's files, byte for byte the same on every build, readable by
//! respack's own reader, and using the dependency integrations' real uuids.
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{respack, snapshots};
use respack::pack::sha256_hex;
use respack::res;

/// Build into a fresh temp dir from a fresh working directory, with SOURCE_DATE_EPOCH as given.
fn build(epoch: Option<&str>) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let cwd = tmp.path().join("cwd");
    std::fs::create_dir(&cwd).unwrap();
    let cmd = respack(["build", "--out"]).arg(&out).current_dir(&cwd);
    let cmd = match epoch {
        Some(e) => cmd.env("SOURCE_DATE_EPOCH", e),
        None => cmd.env_remove("SOURCE_DATE_EPOCH"),
    };
    cmd.run().success().no_panic();
    (tmp, out)
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// (name, mode, uid, gid, mtime, bytes) of every tar member, in archive order.
fn tar_members(path: &Path) -> Vec<(String, u32, u64, u64, u64, Vec<u8>)> {
    let bytes = std::fs::read(path).unwrap();
    let mut archive = tar::Archive::new(bytes.as_slice());
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let h = e.header().clone();
            let mut data = vec![];
            e.read_to_end(&mut data).unwrap();
            (
                e.path().unwrap().to_string_lossy().into_owned(),
                h.mode().unwrap(),
                h.uid().unwrap(),
                h.gid().unwrap(),
                h.mtime().unwrap(),
                data,
            )
        })
        .collect()
}

#[test]
fn the_resource_file_snapshot() {
    let (_tmp, out) = build(None);
    let text = std::fs::read_to_string(out.join("qraw_mitre.res")).unwrap();
    snapshots().bind(|| insta::assert_snapshot!("qraw_mitre_res", text));
}

#[test]
fn two_builds_at_different_times_and_places_are_byte_identical() {
    let (_a, first) = build(None);
    let (_b, second) = build(None);
    for name in ["qraw_mitre.res", "resqrawmitre.tar"] {
        let a = std::fs::read(first.join(name)).unwrap();
        let b = std::fs::read(second.join(name)).unwrap();
        assert!(a == b, "{name} differs between two builds");
    }
    // The clock never reaches the output: the dates are the release's, whenever it is built.
    let res = read_json(&first.join("qraw_mitre.res"));
    assert_eq!(
        res["export_date"].as_i64(),
        Some(respack::package::RELEASE_EXPORT_DATE_MS),
        "the export date is not the release's fixed date"
    );
    for (name, _, _, _, mtime, _) in tar_members(&first.join("resqrawmitre.tar")) {
        assert_eq!(
            mtime as i64 * 1000,
            respack::package::RELEASE_EXPORT_DATE_MS,
            "{name}: tar mtime is not the release's fixed date"
        );
    }
}

#[test]
fn source_date_epoch_sets_the_export_date_and_the_tar_mtimes() {
    let (_a, out) = build(Some("1600000000"));
    assert_eq!(
        read_json(&out.join("qraw_mitre.res"))["export_date"],
        1_600_000_000_000_i64
    );
    for (name, _, _, _, mtime, _) in tar_members(&out.join("resqrawmitre.tar")) {
        assert_eq!(mtime, 1_600_000_000, "{name}");
    }
    let (_b, release) = build(None);
    let date = read_json(&release.join("qraw_mitre.res"))["export_date"].clone();
    assert_eq!(date, respack::package::RELEASE_EXPORT_DATE_MS);
    for (name, _, _, _, mtime, _) in tar_members(&release.join("resqrawmitre.tar")) {
        assert_eq!(
            mtime as i64 * 1000,
            respack::package::RELEASE_EXPORT_DATE_MS,
            "{name}"
        );
    }
}

#[test]
fn an_invalid_source_date_epoch_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    respack(["build", "--out"])
        .arg(tmp.path())
        .env("SOURCE_DATE_EPOCH", "yesterday")
        .run()
        .code(2)
        .stderr_has("SOURCE_DATE_EPOCH=\"yesterday\"")
        .stderr_has("help:");
    assert!(!tmp.path().join("qraw_mitre.res").exists());
}

#[test]
fn an_unwritable_output_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    respack(["build", "--out"])
        .arg(&file)
        .run()
        .code(2)
        .stderr_has("not-a-dir")
        .no_panic();
}

#[test]
fn default_output_is_dist_under_any_working_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let run = respack(["build"])
        .current_dir(tmp.path())
        .env_remove("SOURCE_DATE_EPOCH")
        .run()
        .success();
    for name in ["qraw_mitre.res", "resqrawmitre.tar"] {
        let path = tmp.path().join("dist").join(name);
        let bytes = std::fs::read(&path).unwrap();
        // One line per file: `<sha256>  <path>`, as sha256sum prints it.
        let line = format!(
            "{}  {}",
            sha256_hex(&bytes),
            Path::new("dist").join(name).display()
        );
        assert!(
            run.stdout().lines().any(|l| l == line),
            "no line {line:?} in\n{}",
            run.stdout()
        );
    }
}

#[test]
fn the_tar_holds_exactly_the_readme_and_the_res_at_its_root() {
    let (_tmp, out) = build(None);
    let members = tar_members(&out.join("resqrawmitre.tar"));
    let names: Vec<&str> = members.iter().map(|m| m.0.as_str()).collect();
    assert_eq!(names, ["README.md", "qraw_mitre.res"]);
    for (name, mode, uid, gid, _, _) in &members {
        assert_eq!((*mode, *uid, *gid), (0o644, 0, 0), "{name}");
    }
    let readme = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/package/README.md")).unwrap();
    assert_eq!(members[0].5, readme);
    assert_eq!(
        members[1].5,
        std::fs::read(out.join("qraw_mitre.res")).unwrap()
    );
    // respack's own reader finds the .res inside the tar.
    let (_, from_tar) = res::read(&out.join("resqrawmitre.tar")).unwrap();
    assert_eq!(from_tar.workflows().len(), 2);
}

#[test]
fn the_resource_file_reads_back_and_is_canonical() {
    let (_tmp, out) = build(None);
    let path = out.join("qraw_mitre.res");
    let (doc, model) = res::read(&path).unwrap();
    assert_eq!(res::to_canonical(&model).unwrap(), doc.text);
    assert!(doc.text.ends_with("}\n"));
    assert_eq!(model.export_format_version.get(), Some(&2));
    assert_eq!(model.server_version_string(), Some("38.2.0"));
}

/// What `../shared/acceptance/build-deterministic` looks for.
#[test]
fn the_resource_file_carries_what_the_acceptance_check_needs() {
    let (_tmp, out) = build(None);
    let d = read_json(&out.join("qraw_mitre.res"));
    let names = |list: &str, key: &str| -> Vec<String> {
        d[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o[key].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let has = |list: &str, key: &str, want: &[&str]| {
        let got = names(list, key);
        for w in want {
            assert!(got.iter().any(|g| g == w), "{list} lacks {w}: {got:?}");
        }
    };
    has(
        "actions",
        "name",
        &[
            "QRadar Advisor Offense Analysis with MITRE",
            "Map rule to MITRE tactic",
        ],
    );
    has(
        "workflows",
        "programmatic_name",
        &[
            "qradar_advisor_offense_analysis_mitre",
            "qradar_advisor_map_rule_to_tactic",
        ],
    );
    has(
        "types",
        "type_name",
        &[
            "mitre_attack_of_artifact",
            "mitre_attack_of_incident",
            "mitre_attack_techniques",
            "qradar_reference_set",
        ],
    );
    has(
        "functions",
        "uuid",
        &[
            "744e9c8b-f00f-4a71-9ae6-c3dde388d6fa",
            "f1dbf8b7-a5ed-45e4-b788-4edc49830993",
            "669947ce-ee8d-45f4-b0bc-778c278cfaea",
        ],
    );
    let wf = d["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["programmatic_name"] == "qradar_advisor_offense_analysis_mitre")
        .unwrap();
    let xml = wf["content"]["xml"].as_str().unwrap();
    for uuid in [
        "744e9c8b-f00f-4a71-9ae6-c3dde388d6fa",
        "669947ce-ee8d-45f4-b0bc-778c278cfaea",
        "bee62681-b35f-4ff8-9c4f-52489e6920cf",
    ] {
        assert!(xml.contains(uuid), "offense workflow XML lacks {uuid}");
    }
    assert!(xml.contains("qraw_offense_insights"));
    assert!(
        !xml.contains("\\\"python\\\""),
        "a Python 2 script language"
    );
    // The internal incident type and field every import needs.
    has(
        "incident_types",
        "uuid",
        &["bfeec2d4-3770-11e8-ad39-4a0004044aa0"],
    );
    has("fields", "uuid", &["bfeec2d4-3770-11e8-ad39-4a0004044aa1"]);
}

/// Every object of `list` in the three integrations' exports, keyed by `key`.
fn community(shared: &Path, list: &str, key: &str) -> Vec<(String, Value)> {
    let mut out = vec![];
    for file in [
        "fn_qradar_advisor_export.res",
        "fn_mitre_integration_export.res",
        "fn_qradar_integration_export.res",
    ] {
        let d = read_json(&shared.join("corpus/res/community").join(file));
        for o in d[list].as_array().unwrap() {
            out.push((o[key].as_str().unwrap_or_default().to_owned(), o.clone()));
        }
    }
    out
}

fn uuids_of(objects: &[(String, Value)], name: &str) -> Vec<String> {
    objects
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, o)| o["uuid"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn dependency_uuids_are_the_integrations_own() {
    let shared = crate::require_shared!();
    let ours = serde_json::to_value(respack::package::resource_file(0)).unwrap();
    let seed = respack::package::integrations_seed();
    let mut checked = 0;
    for d in [&ours, &seed] {
        let functions = community(&shared, "functions", "name");
        for f in d["functions"].as_array().unwrap() {
            let name = f["name"].as_str().unwrap();
            assert_eq!(
                uuids_of(&functions, name),
                [f["uuid"].as_str().unwrap()],
                "function {name}"
            );
            checked += 1;
        }
        let fields = community(&shared, "fields", "export_key");
        for f in d["fields"].as_array().unwrap() {
            let key = f["export_key"].as_str().unwrap();
            let theirs = uuids_of(&fields, key);
            assert!(
                !theirs.is_empty() && theirs.iter().all(|u| u == f["uuid"].as_str().unwrap()),
                "field {key}: ours {} theirs {theirs:?}",
                f["uuid"]
            );
            // Select values, by label.
            for v in f["values"].as_array().into_iter().flatten() {
                let label = &v["label"];
                let found = fields
                    .iter()
                    .filter(|(n, _)| n == key)
                    .flat_map(|(_, o)| o["values"].as_array().unwrap().clone())
                    .any(|x| x["label"] == *label && x["uuid"] == v["uuid"]);
                assert!(found, "select value {label} of {key}");
                checked += 1;
            }
            checked += 1;
        }
        let destinations = community(&shared, "message_destinations", "programmatic_name");
        for m in d["message_destinations"].as_array().unwrap() {
            let name = m["programmatic_name"].as_str().unwrap();
            assert_eq!(
                uuids_of(&destinations, name),
                [m["uuid"].as_str().unwrap()],
                "destination {name}"
            );
            checked += 1;
        }
        let tables = community(&shared, "types", "type_name");
        for t in d["types"].as_array().unwrap() {
            let name = t["type_name"].as_str().unwrap();
            let theirs: Vec<&Value> = tables
                .iter()
                .filter(|(n, _)| n == name)
                .map(|(_, o)| o)
                .collect();
            if name == "mitre_attack_of_artifact" {
                assert!(
                    theirs.is_empty(),
                    "the package's own table is in an integration's export"
                );
                continue;
            }
            assert_eq!(theirs.len(), 1, "table {name}");
            assert_eq!(theirs[0]["uuid"], t["uuid"], "table {name}");
            checked += 1;
            // Columns where the export has one of the same name (1.0 and 2.0 differ: see deps.rs).
            for (col, c) in t["fields"].as_object().unwrap() {
                if let Some(their) = theirs[0]["fields"].get(col) {
                    assert_eq!(their["uuid"], c["uuid"], "column {name}/{col}");
                    assert_eq!(their["input_type"], c["input_type"], "column {name}/{col}");
                    checked += 1;
                }
            }
        }
    }
    // Functions (3 + 5), inputs, stage values, destinations, tables and columns.
    assert!(checked >= 60, "only {checked} uuids compared");
}
