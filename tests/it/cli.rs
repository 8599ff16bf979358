//! The command line as a whole: help text and exit codes.
use crate::util::{respack, snapshots};

#[test]
fn usage_error_exits_2() {
    respack(["no-such-command"]).run().code(2).no_panic();
}

#[test]
fn help_snapshot() {
    let run = respack(["--help"]).run().success();
    snapshots().bind(|| insta::assert_snapshot!("help", run.stdout()));
}

/// A tar holding one member with this raw name (written byte for byte, so `..` and absolute
/// names reach the reader as an attacker would write them), or a symlink.
fn hostile_tar(name: &str, symlink: bool) -> Vec<u8> {
    let mut h = tar::Header::new_gnu();
    h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    h.set_mode(0o644);
    let body: &[u8] = if symlink { b"" } else { b"{}" };
    if symlink {
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_link_name("/etc/passwd").unwrap();
    }
    h.set_size(body.len() as u64);
    h.set_cksum();
    let mut b = tar::Builder::new(Vec::new());
    b.append(&h, body).unwrap();
    b.into_inner().unwrap()
}

/// A resource file whose one workflow carries this XML.
fn res_with_workflow_xml(xml: &str) -> Vec<u8> {
    serde_json::json!({
        "export_format_version": 2, "export_date": 0,
        "workflows": [{"uuid": "00000000-0000-0000-0000-000000000001", "export_key": "wf",
                       "programmatic_name": "wf", "name": "wf", "object_type": "incident",
                       "content": {"workflow_id": "wf", "xml": xml}}]
    })
    .to_string()
    .into_bytes()
}

/// Every command that reads a file meets every kind of hostile input the same way: a clear
/// error naming the file (exit 1 for a readable file with findings, 2 for one that cannot be
/// read), no panic, no hang, and nothing written.
#[test]
fn hostile_files_get_clear_errors_no_panic_no_hang_and_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><definitions><process id="wf" name="&lol3;"/></definitions>"#;
    let xxe = r#"<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><definitions><process id="wf" name="&x;"/></definitions>"#;
    // Commands run two levels down, so that a `../../` member would land in `dir` itself.
    let work = dir.path().join("a/b");
    std::fs::create_dir_all(&work).unwrap();
    let absolute = dir.path().join("abs-escape.res");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("malformed.res", b"{\"actions\": [}".to_vec()),
        ("truncated.res", b"{\"actions\": [{\"name\": \"x\"".to_vec()),
        ("array.res", b"[{\"actions\": []}]".to_vec()),
        ("latin1.res", b"{\"locale\": \"caf\xe9\"}".to_vec()),
        (
            "deep.res",
            format!("{{\"x\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
        ),
        ("bomb.res", res_with_workflow_xml(bomb)),
        ("xxe.res", res_with_workflow_xml(xxe)),
        ("dotdot.tar", hostile_tar("../../escape.res", false)),
        (
            "absolute.tar",
            hostile_tar(absolute.to_str().unwrap(), false),
        ),
        ("symlink.tar", hostile_tar("link.res", true)),
        (
            "random.tar",
            (0..8192u32)
                .map(|i| (i.wrapping_mul(2654435761) >> 11) as u8)
                .collect(),
        ),
    ];
    for (name, bytes) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        for command in ["validate", "show", "fmt"] {
            let out = dir.path().join(format!("{name}.{command}.out"));
            let mut cmd = respack([command])
                .arg(&path)
                .env("RESPACK_CACHE_DIR", dir.path());
            if command == "fmt" {
                cmd = cmd.arg("-o").arg(&out);
            }
            let run = cmd.current_dir(&work).run().no_panic();
            let code = run.out.status.code();
            let all = run.stdout() + &run.stderr();
            // `../../escape.res` from the working directory, and the absolute name, both land
            // inside `dir`, where the test can see whether anything was written.
            for escaped in [dir.path().join("escape.res"), absolute.clone()] {
                assert!(
                    !escaped.exists(),
                    "{command} {name} wrote {} outside its input",
                    escaped.display()
                );
            }
            match (command, name) {
                // A readable .res with a hostile workflow: `fmt` keeps the XML as text, never
                // parses it, and writes it back unexpanded; validate reports the BPMN finding;
                // show says the workflow is unreadable.
                ("fmt", "bomb.res" | "xxe.res") => {
                    assert_eq!(code, Some(0), "{command} {name}: {all}");
                    let text = std::fs::read_to_string(&out).unwrap();
                    assert!(
                        text.contains("<!DOCTYPE")
                            && !text.contains("lollollol")
                            && !text.contains("root:")
                    );
                    continue;
                }
                ("show", "bomb.res" | "xxe.res") => {
                    assert_eq!(code, Some(0), "{command} {name}: {all}");
                    assert!(
                        all.contains("unreadable XML") && all.contains("DOCTYPE"),
                        "{command} {name}: {all}"
                    );
                }
                ("validate", "bomb.res" | "xxe.res") => {
                    assert_eq!(code, Some(1), "{command} {name}: {all}");
                    assert!(all.contains("DOCTYPE"), "{command} {name}: {all}");
                    assert!(
                        !all.contains("root:"),
                        "{command} {name} expanded an external entity"
                    );
                }
                _ => {
                    assert!(!out.exists(), "{command} {name} wrote {}", out.display());
                    assert!(
                        matches!(code, Some(1 | 2)),
                        "{command} {name}: exit {code:?}: {all}"
                    );
                    assert!(
                        all.contains(name),
                        "{command} {name}: the error does not name the file: {all}"
                    );
                }
            }
        }
    }
}

/// Every command's `--help`, so that a change to the command line shows in review.
#[test]
fn every_command_help_snapshot() {
    let commands: &[&[&str]] = &[
        &["build"],
        &["unpack"],
        &["validate"],
        &["show"],
        &["fmt"],
        &["check"],
        &["install"],
        &["diff"],
        &["uninstall"],
        &["restore"],
        &["backups"],
        &["run", "offense-analysis"],
        &["run", "map-rule"],
        &["attack", "tactic"],
        &["attack", "technique"],
        &["serve"],
        &["demo"],
    ];
    for args in commands {
        let run = respack(args.iter().copied()).arg("--help").run().success();
        let name = format!("help-{}", args.join("-"));
        snapshots().bind(|| insta::assert_snapshot!(name, run.stdout()));
    }
}

#[test]
fn output_piped_into_head_panicked_with_broken_pipe() {
    // `respack show --format json FILE | head` panicked (exit 101, a backtrace) and `fmt`
    // said "error: cannot write to stdout: Broken pipe": a reader that stops is not an error.
    use std::io::Read;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let fields: Vec<serde_json::Value> = (0..3000)
        .map(|i| {
            serde_json::json!({"name": format!("f{i}"), "text": format!("Field {i}"),
                "type_id": 0, "input_type": "text", "export_key": format!("incident/f{i}"),
                "uuid": format!("00000000-0000-0000-0000-{i:012}")})
        })
        .collect();
    let big = dir.path().join("big.res");
    std::fs::write(
        &big,
        serde_json::json!({"export_format_version": 2, "export_date": 0, "fields": fields})
            .to_string(),
    )
    .unwrap();
    for args in [&["show", "--format", "json"][..], &["show"], &["fmt"]] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_respack"));
        crate::util::isolate(&mut cmd);
        let mut child = cmd
            .args(args)
            .arg(&big)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 16];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        // The read end is closed here; the rest of the output has nowhere to go.
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}

/// Read a little of a command's stdout, close the pipe, and return its exit code and stderr.
fn run_then_close_stdout(args: &[&str], env: &[(&str, &std::path::Path)]) -> (Option<i32>, String) {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_respack"));
    cmd.args(args)
        .env("HOME", std::env::temp_dir().join("respack-test-home"))
        .env("NO_COLOR", "1")
        .env_remove("RESPACK_ATTACK_BUNDLE")
        .env_remove("RESPACK_ATTACK_TAXII")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The read end is closed here; the rest of the output has nowhere to go.
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn demo_and_attack_piped_into_head_panicked_with_broken_pipe() {
    // Every command writes through the one stdout writer: a reader that stops is success, with
    // no panic text, for the long outputs of `demo`, `attack` and `attack license` too.
    let cache = tempfile::tempdir().unwrap();
    let env = [("RESPACK_CACHE_DIR", cache.path())];
    for args in [
        &["demo"][..],
        &["attack", "tactic", "TA0011", "--format", "json"],
        &["attack", "tactic", "TA0011"],
        &["attack", "license"],
    ] {
        let (code, stderr) = run_then_close_stdout(args, &env);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
    }
}

#[test]
fn technique_with_a_kelvin_sign_panicked() {
    // `\u{212A}` (Kelvin) is three bytes and lower-cases to ASCII `k`: slicing the query at the
    // length of "T" cut into it and panicked.
    let cache = tempfile::tempdir().unwrap();
    for api in ["v1", "v2"] {
        let run = respack([
            "attack",
            "technique",
            "\u{212A}eychain",
            "--format",
            "json",
            "--api",
        ])
        .arg(api)
        .env("RESPACK_CACHE_DIR", cache.path())
        .env_remove("RESPACK_ATTACK_BUNDLE")
        .env_remove("RESPACK_ATTACK_TAXII")
        .run()
        .no_panic()
        .success();
        assert!(run.stdout().contains("Keychain"), "{api}: {}", run.stdout());
    }
    respack(["attack", "tactic", "\u{212A}A0011"])
        .env("RESPACK_CACHE_DIR", cache.path())
        .run()
        .no_panic()
        .code(1);
}

/// The lines of the data tables in `respack run` / `respack demo` text: from a table's title
/// line (`Label (api_name): N rows`) to the blank line after it.
fn table_lines(out: &str) -> Vec<&str> {
    let mut in_table = false;
    let mut lines = vec![];
    for line in out.lines() {
        if line.trim().is_empty() {
            in_table = false;
        } else if line.ends_with(" rows") || line.ends_with(" 1 row") {
            in_table = true;
        }
        if in_table {
            lines.push(line);
        }
    }
    lines
}

#[test]
fn piped_tables_fit_80_columns() {
    let cache = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        respack(args.iter().copied())
            .env("RESPACK_CACHE_DIR", cache.path())
            .env_remove("RESPACK_ATTACK_BUNDLE")
            .env_remove("RESPACK_ATTACK_TAXII")
            .run()
            .success()
            .stdout()
    };
    let tactic = run(&["attack", "tactic", "TA0011"]);
    let technique = run(&["attack", "technique", "T1205"]);
    let demo = run(&["demo"]);
    let offense = run(&[
        "run",
        "offense-analysis",
        "--qradar-id",
        "23",
        "--task",
        "T1205.001",
    ]);
    let tables = [table_lines(&demo), table_lines(&offense)];
    assert!(tables.iter().all(|t| t.len() > 20), "{tables:?}");
    let checked: Vec<(&str, Vec<&str>)> = vec![
        ("attack tactic", tactic.lines().collect()),
        // A line that is one URL cannot be cut.
        (
            "attack technique",
            technique
                .lines()
                .filter(|l| !l.trim().starts_with("https://"))
                .collect(),
        ),
        ("demo tables", tables[0].clone()),
        ("run tables", tables[1].clone()),
    ];
    for (what, lines) in checked {
        for line in lines {
            assert!(
                line.chars().count() <= 80,
                "{what}: {} columns: {line}",
                line.chars().count()
            );
        }
    }
    for out in [&tactic, &technique, &demo, &offense] {
        assert!(!out.contains('\x1b'), "colour in a pipe");
    }
    // Identifiers stay whole while prose columns give way.
    assert!(
        tables[1].iter().any(|l| l.contains("T1205.001")),
        "{:?}",
        tables[1]
    );
    // The task's instructions keep their paragraphs, wrapped to the width.
    let at = offense
        .find("Task: MITRE ATT&CK Technique: Port Knocking")
        .unwrap();
    let task = &offense[at..];
    assert!(task.contains("\n\n"), "{task}");
    assert!(task.lines().all(|l| l.chars().count() <= 80), "{task}");
}

#[test]
fn run_task_for_a_technique_that_is_not_there_exited_0() {
    let cache = tempfile::tempdir().unwrap();
    let run = respack([
        "run",
        "offense-analysis",
        "--qradar-id",
        "23",
        "--task",
        "No Such Technique",
    ])
    .env("RESPACK_CACHE_DIR", cache.path())
    .run()
    .code(1)
    .stdout_has("MITRE ATT&CK Techniques");
    let stderr = run.stderr();
    let lines: Vec<&str> = stderr.lines().collect();
    let n = lines.len();
    assert!(n >= 2, "{stderr}");
    assert!(
        lines[n - 2].starts_with("error: ") && lines[n - 2].contains("\"No Such Technique\""),
        "the error is not last: {stderr}"
    );
    assert!(lines[n - 1].starts_with("help: "), "{stderr}");
    assert!(
        !run.stdout().contains("No Such Technique"),
        "{}",
        run.stdout()
    );
}

#[test]
fn run_config_without_fn_qradar_advisor_did_not_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("my-app.config");
    std::fs::write(
        &config,
        "[fn_qradar_integration]\nhost = 127.0.0.1\nqradartoken = t\n",
    )
    .unwrap();
    respack(["run", "offense-analysis", "--qradar-id", "23", "--config"])
        .arg(&config)
        .env("RESPACK_CACHE_DIR", dir.path())
        .run()
        .code(2)
        .stderr_has("help: add a [fn_qradar_advisor] section to ")
        .stderr_has(&format!("section to {}", config.display()));
}
