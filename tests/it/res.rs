//! The .res model: every real export round-trips, and hostile input is refused cleanly.
use std::path::{Path, PathBuf};

use respack::res::{self, ResError};

fn corpus_files(shared: &Path) -> Vec<PathBuf> {
    let mut files = vec![];
    for dir in ["corpus/res", "corpus/res/api", "corpus/res/community"] {
        for e in std::fs::read_dir(shared.join(dir)).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if name.ends_with(".res") || name.ends_with(".resz") || name.contains("exports") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_corpus_export_round_trips_to_the_same_json_value() {
    let shared = crate::require_shared!();
    let files = corpus_files(&shared);
    assert!(
        files.len() >= 15,
        "expected the whole corpus, found {files:?}"
    );
    for path in files {
        let doc = res::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let original: serde_json::Value = serde_json::from_str(&doc.text).unwrap();
        let model = doc
            .parse()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let written = res::to_canonical(&model).unwrap();
        let reread: serde_json::Value = serde_json::from_str(&written).unwrap();
        assert_eq!(
            original,
            reread,
            "{} changed on read → write → read",
            path.display()
        );
        // And the canonical form is a fixed point.
        let again = res::to_canonical(&res::parse(&doc.origin, &written).unwrap()).unwrap();
        assert_eq!(
            written,
            again,
            "{}: canonical form is not stable",
            path.display()
        );
    }
}

#[test]
fn the_model_types_what_it_reads() {
    let shared = crate::require_shared!();
    let (_, model) = res::read(
        &shared.join("corpus/res/api/sdk_api_post_configurations_exports_with_playbooks.json"),
    )
    .unwrap();
    assert_eq!(model.functions().len(), 126);
    assert_eq!(model.workflows().len(), 101);
    assert_eq!(model.rules().len(), 142);
    assert!(model
        .workflows()
        .iter()
        .all(|w| w.content.get().and_then(|c| c.xml.get()).is_some()));
    let (_, corrupt) = res::read(&shared.join("corpus/res/sdk_mock_export_corrupt.res")).unwrap();
    let f = corrupt
        .functions()
        .iter()
        .find(|f| f.name.get().map(|n| n.as_str()) == Some("mock_function_one"))
        .unwrap();
    assert_eq!(
        f.export_key,
        res::Slot::Null,
        "a null export_key must be kept as null"
    );
}

#[test]
fn resz_and_tar_members_are_read() {
    let shared = crate::require_shared!();
    let doc = res::load(&shared.join("corpus/res/sdk_mock_export.resz")).unwrap();
    assert_eq!(doc.origin.member.as_deref(), Some("mock_export.res"));
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read(shared.join("corpus/res/sdk_app_zip_export.res")).unwrap();
    for gz in [false, true] {
        let path = dir.path().join(if gz { "p.tar.gz" } else { "p.tar" });
        let mut builder = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_ustar();
        h.set_size(text.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        builder
            .append_data(&mut h, "x/export.res", &text[..])
            .unwrap();
        let mut bytes = builder.into_inner().unwrap();
        if gz {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(&bytes).unwrap();
            bytes = e.finish().unwrap();
        }
        std::fs::write(&path, bytes).unwrap();
        let doc = res::load(&path).unwrap();
        assert_eq!(doc.origin.member.as_deref(), Some("x/export.res"));
        assert!(!doc.parse().unwrap().functions().is_empty());
    }
}

fn load_err(name: &str, bytes: &[u8]) -> ResError {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    match res::load(&path).and_then(|d| d.parse()) {
        Ok(_) => panic!("{name} was accepted"),
        Err(e) => e,
    }
}

#[test]
fn malformed_and_truncated_json_name_line_and_column() {
    let e = load_err("a.res", b"{\n  \"actions\": [\n");
    assert!(matches!(e, ResError::Json { line: 3, .. }), "{e}");
    let e = load_err("b.res", b"{\"actions\": [}");
    assert!(e.to_string().contains("line 1, column 14"), "{e}");
}

#[test]
fn top_level_array_is_refused() {
    let e = load_err("a.res", b"[1, 2]");
    assert!(e.to_string().contains("a JSON array"), "{e}");
}

#[test]
fn non_utf8_bytes_are_refused_with_the_offset() {
    let e = load_err("a.res", b"{\"x\": \"\xff\"}");
    assert!(matches!(e, ResError::NotUtf8 { offset: 7, .. }), "{e}");
}

#[test]
fn nesting_100000_levels_deep_is_refused_without_overflowing_the_stack() {
    let mut text = String::from("{\"x\": ");
    text.push_str(&"[".repeat(100_000));
    text.push_str(&"]".repeat(100_000));
    text.push('}');
    let e = load_err("deep.res", text.as_bytes());
    assert!(e.to_string().contains("recursion limit"), "{e}");
}

#[test]
fn a_20_mb_string_is_read() {
    let text = format!("{{\"locale\": \"{}\"}}", "a".repeat(20 << 20));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.res");
    std::fs::write(&path, text).unwrap();
    let model = res::load(&path).unwrap().parse().unwrap();
    assert_eq!(model.locale.get().map(String::len), Some(20 << 20));
}

#[test]
fn wrong_member_type_names_the_json_pointer() {
    let e = load_err("t.res", br#"{"functions": [{"name": "ok"}, {"name": 7}]}"#);
    match e {
        ResError::Schema { pointer, .. } => assert_eq!(pointer, "/functions/1/name"),
        other => panic!("{other}"),
    }
}

fn tar_with(name: &str, link: bool) -> Vec<u8> {
    let mut h = tar::Header::new_gnu();
    let body = b"{}";
    {
        let raw = h.as_old_mut();
        raw.name[..name.len()].copy_from_slice(name.as_bytes());
    }
    if link {
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_link_name("/etc/passwd").unwrap();
        h.set_size(0);
    } else {
        h.set_size(body.len() as u64);
    }
    h.set_mode(0o644);
    h.set_cksum();
    let mut b = tar::Builder::new(Vec::new());
    if link {
        b.append(&h, &[][..]).unwrap();
    } else {
        b.append(&h, &body[..]).unwrap();
    }
    // The GNU header writes "ustar  " at 257, which is what is_tar looks for.
    b.into_inner().unwrap()
}

#[test]
fn tar_with_parent_dir_member_is_refused() {
    let e = load_err("evil.tar", &tar_with("../../evil.res", false));
    assert!(matches!(e, ResError::UnsafeMember { .. }), "{e}");
}

#[test]
fn tar_with_absolute_member_is_refused() {
    let e = load_err("evil.tar", &tar_with("/tmp/evil.res", false));
    assert!(matches!(e, ResError::UnsafeMember { .. }), "{e}");
}

#[test]
fn tar_with_symlink_is_refused() {
    let e = load_err("evil.tar", &tar_with("link.res", true));
    assert!(matches!(e, ResError::UnsafeMember { .. }), "{e}");
}

#[test]
fn random_bytes_named_tar_are_refused() {
    let bytes: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let e = load_err("random.tar", &bytes);
    assert!(matches!(e, ResError::Unrecognised { .. }), "{e}");
}
