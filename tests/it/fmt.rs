//! `respack fmt`: canonical, lossless, and volatile members stripped on request.
use crate::util::respack;

#[test]
fn fmt_is_lossless_and_canonical_for_every_serialisation() {
    let shared = crate::require_shared!();
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "sdk_mock_export.res",                     // compact server JSON
        "sdk_mock_reload_export.res",              // Jackson pretty print
        "sdk_fn_main_mock_integration_export.res", // codegen, \u003c escapes
        "sdk_app_zip_export.res",                  // package: one line, sorted
        "sdk_mock_export.resz",                    // zip container
    ] {
        let input = shared.join("corpus/res").join(name);
        let out = dir.path().join(format!("{name}.canonical.res"));
        respack(["fmt"])
            .arg(&input)
            .arg("-o")
            .arg(&out)
            .run()
            .success();
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.ends_with("}\n"), "{name}: no trailing newline");
        assert!(text.starts_with("{\n  \""), "{name}: not 2-space indented");
        let written: serde_json::Value = serde_json::from_str(&text).unwrap();
        let original = respack::res::load(&input).unwrap();
        let original: serde_json::Value = serde_json::from_str(&original.text).unwrap();
        assert_eq!(written, original, "{name}: fmt changed the JSON value");
        // A second pass over canonical text changes nothing.
        let again = respack(["fmt"]).arg(&out).run().success();
        assert_eq!(
            again.stdout(),
            text,
            "{name}: canonical form is not a fixed point"
        );
    }
}

#[test]
fn strip_volatile_makes_two_exports_of_one_package_equal() {
    let shared = crate::require_shared!();
    // The same codegen package, before and after `codegen --reload` (creator members gone).
    let a = respack(["fmt", "--strip-volatile"])
        .arg(shared.join("corpus/res/sdk_fn_main_mock_integration_export.res"))
        .run()
        .success();
    let b = respack(["fmt", "--strip-volatile"])
        .arg(shared.join("corpus/res/sdk_fn_main_mock_integration_export_previous.res"))
        .run()
        .success();
    assert_eq!(a.stdout(), b.stdout());
    let v = a.json();
    assert!(v.get("export_date").is_none() && v.get("id").is_none());
    let f = &v["functions"][0];
    assert!(
        f.get("id").is_none() && f.get("last_modified_time").is_none() && f.get("uuid").is_some()
    );
}

#[test]
fn fmt_writes_nothing_when_the_input_is_bad() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.res");
    std::fs::write(&bad, "{\"actions\": [").unwrap();
    let out = dir.path().join("out.res");
    respack(["fmt"])
        .arg(&bad)
        .arg("-o")
        .arg(&out)
        .run()
        .code(2)
        .stderr_has("line 1")
        .stderr_has("help:")
        .no_panic();
    assert!(!out.exists());
}

#[cfg(unix)]
#[test]
fn fmt_out_was_written_0600_whatever_the_umask_or_the_file_it_replaced() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.res");
    std::fs::write(&input, "{\"export_format_version\": 2, \"export_date\": 0}").unwrap();
    // A new file gets the mode a plain write gets under this process's umask.
    let plain = dir.path().join("plain");
    std::fs::write(&plain, "x").unwrap();
    let out = dir.path().join("out.res");
    respack(["fmt"])
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .run()
        .success();
    assert_eq!(mode(&out), mode(&plain));
    // Rewriting a file in place keeps its mode.
    std::fs::set_permissions(&input, std::fs::Permissions::from_mode(0o640)).unwrap();
    respack(["fmt"])
        .arg(&input)
        .arg("-o")
        .arg(&input)
        .run()
        .success();
    assert_eq!(mode(&input), 0o640);
}

#[test]
fn fmt_into_a_missing_directory_named_the_temporary_file() {
    let shared = crate::require_shared!();
    let out = std::path::Path::new("/nonexistent-respack-dir/out.res");
    let run = respack(["fmt"])
        .arg(shared.join("corpus/res/sdk_app_zip_export.res"))
        .arg("-o")
        .arg(out)
        .run()
        .code(2)
        .stderr_has("/nonexistent-respack-dir/out.res")
        .stderr_has("help:");
    assert!(!run.stderr().contains(".tmp"), "{}", run.stderr());
}
