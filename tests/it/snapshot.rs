//! The ATT&CK snapshot shipped in the binary: made by `respack attack snapshot` from MITRE's
//! bundle, used when no source is named (offline, no cache), beaten only by a newer cached
//! download, and always named with its ATT&CK version and MITRE's notice.
use std::path::Path;

use respack::attack::cache::{Cache, CacheKey};
use respack::attack::source::version_from_file_name;
use respack::attack::{resolve, snapshot, Builder, CachePolicy, Domain, TaxiiSource, Used};

use crate::require_shared;
use crate::util::respack;

fn shipped_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/attack")
}

#[test]
fn shipped_snapshot_is_what_the_snapshot_command_makes() {
    let shared = require_shared!();
    let out = tempfile::tempdir().unwrap();
    respack(["attack", "snapshot", "--bundle"])
        .arg(shared.join("attack/enterprise-attack-18.1.json.gz"))
        .arg("--out")
        .arg(out.path())
        .run()
        .success()
        .stdout_has(snapshot::FILE_NAME);
    for name in [snapshot::FILE_NAME, snapshot::LICENSE_FILE] {
        let made = std::fs::read(out.path().join(name)).unwrap();
        let shipped = std::fs::read(shipped_dir().join(name)).unwrap();
        assert!(
            made == shipped,
            "assets/attack/{name} is not what `respack attack snapshot` makes from the 18.1 bundle \
             ({} bytes made, {} shipped): run the command in assets/attack/README.md",
            made.len(),
            shipped.len()
        );
    }
}

#[test]
fn shipped_snapshot_carries_mitres_designation_and_license() {
    let license = std::fs::read_to_string(shipped_dir().join(snapshot::LICENSE_FILE)).unwrap();
    assert!(license.contains(
        "© 2025 The MITRE Corporation. This work is reproduced and distributed with the permission of The MITRE Corporation."
    ));
    assert!(license.contains("hereby grants you a non-exclusive, royalty-free license"));
    respack(["attack", "license"])
        .run()
        .success()
        .stdout_has("reproduced and distributed with the permission of The MITRE Corporation");
}

#[test]
fn attack_with_no_source_and_no_cache_answers_from_the_snapshot() {
    let cache = tempfile::tempdir().unwrap();
    let run = respack(["attack", "technique", "T1205.001"])
        .env("RESPACK_CACHE_DIR", cache.path())
        .env_remove("RESPACK_ATTACK_BUNDLE")
        .env_remove("RESPACK_ATTACK_TAXII")
        .run()
        .success()
        .stdout_has("Port Knocking")
        .stderr_has("source: the snapshot built into respack, ATT&CK 18.1")
        .stderr_has("The MITRE Corporation");
    assert!(run.stdout().contains("T1205.001"), "{}", run.stdout());
    let written: Vec<_> = std::fs::read_dir(cache.path()).unwrap().collect();
    assert!(
        written.is_empty(),
        "the snapshot needs no cache: {written:?}"
    );
}

#[test]
fn demo_with_no_arguments_uses_the_snapshot() {
    let cache = tempfile::tempdir().unwrap();
    respack(["demo"])
        .env("RESPACK_CACHE_DIR", cache.path())
        .env_remove("RESPACK_ATTACK_BUNDLE")
        .env_remove("RESPACK_ATTACK_TAXII")
        .run()
        .success()
        .stdout_has("MITRE ATT&CK: the snapshot built into respack, ATT&CK 18.1 (enterprise)")
        .stdout_has("Command and Control")
        .stdout_has("MITRE ATT&CK Technique: Port Knocking");
}

#[test]
fn every_source_is_named_with_its_attack_version() {
    let shared = require_shared!();
    let cache = tempfile::tempdir().unwrap();
    respack(["attack", "tactic", "TA0011", "--format", "json", "--bundle"])
        .arg(shared.join("attack/enterprise-attack-4.0.json.gz"))
        .env("RESPACK_CACHE_DIR", cache.path())
        .run()
        .success()
        .stderr_has("source: bundle ")
        .stderr_has(", ATT&CK 4.0")
        .output_lacks("snapshot");
}

fn tiny_index(version: &str) -> respack::attack::Index {
    let json = br#"{"type":"bundle","objects":[
      {"type":"x-mitre-collection","id":"x-mitre-collection--1","name":"Enterprise ATT&CK","x_mitre_version":"VERSION"},
      {"type":"x-mitre-tactic","id":"x-mitre-tactic--1","name":"Execution","x_mitre_shortname":"execution",
       "external_references":[{"source_name":"mitre-attack","external_id":"TA0002"}]}]}"#;
    let json = String::from_utf8_lossy(json).replace("VERSION", version);
    let mut b = Builder::new(None);
    b.add(respack::attack::stix::parse(json.as_bytes(), "t").unwrap());
    b.finish("t").unwrap()
}

#[test]
fn a_cached_mitre_download_is_used_only_when_newer_than_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let policy = CachePolicy::Dir {
        dir: dir.path().to_path_buf(),
        max_age: std::time::Duration::from_secs(3600),
        refresh: false,
    };
    let mitre = TaxiiSource::mitre(Domain::Enterprise);
    let key = CacheKey::Taxii {
        url: mitre.url.clone(),
        collection: String::new(),
        domain: "enterprise".into(),
    };
    let cache = Cache::new(dir.path());

    cache.store(&key, &tiny_index("99.0")).unwrap();
    let opened = resolve(None, None, &policy).unwrap();
    assert_eq!(opened.used, Used::Taxii(mitre.url.clone()));
    assert_eq!(opened.index.attack_version(), Some("99.0"));
    assert!(opened.describe().starts_with("TAXII "));
    assert!(opened.describe().ends_with("(cached copy), ATT&CK 99.0"));

    cache.store(&key, &tiny_index("4.0")).unwrap();
    let opened = resolve(None, None, &policy).unwrap();
    assert_eq!(opened.used, Used::Snapshot);
    assert_eq!(opened.index.attack_version(), Some("18.1"));

    assert_eq!(
        resolve(None, None, &CachePolicy::Off).unwrap().used,
        Used::Snapshot,
        "no cache: the snapshot"
    );
}

#[test]
fn attack_version_is_read_from_release_file_names_only() {
    for (name, want) in [
        ("enterprise-attack-18.1.json.gz", Some("18.1")),
        ("ics-attack-18.1.json", Some("18.1")),
        ("enterprise-attack-4.0.json.gz", Some("4.0")),
        ("enterprise-attack.json", None),
        ("enterprise-attack-.json", None),
        ("bundle-1.x.json", None),
        ("enterprise-attack-18.1.tar", None),
    ] {
        assert_eq!(
            version_from_file_name(Path::new(name)).as_deref(),
            want,
            "{name}"
        );
    }
}
