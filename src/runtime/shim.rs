//! Running one workflow script in python3 through the SOAR shim (`templates/shim/soar_shim.py`).
//!
//! One python3 process per script: the request (script text and the objects SOAR hands a
//! script) goes in as JSON on stdin, the effects (inputs, rows, notes, tasks, changes, log
//! lines) or the script's exception with its line come back as JSON on stdout. A process per
//! script keeps scripts from seeing each other's globals, as in SOAR, and costs tens of
//! milliseconds, which is nothing next to the functions' network calls.
//!
//! The interpreter is `$RESPACK_PYTHON` when set, else `python3` on `PATH`. It runs with `-I`
//! (no user site, no `PYTHON*` variables) so a developer's environment cannot change what a
//! script does.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Map, Value};

/// The shim program, embedded so that `respack` runs scripts from any directory.
pub const SHIM: &str = include_str!("../../templates/shim/soar_shim.py");

/// How long one script may run before it is stopped.
pub const SCRIPT_TIMEOUT: Duration = Duration::from_secs(60);

/// The interpreter scripts run with unless the caller names another (the CLI passes
/// `RESPACK_PYTHON`).
pub const DEFAULT_PYTHON: &str = "python3";

/// What a script gets: its text and SOAR's objects.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Request<'a> {
    pub script: &'a str,
    pub incident: &'a Value,
    pub artifact: Option<&'a Value>,
    pub row: Option<&'a Value>,
    pub rule: Option<&'a Value>,
    pub workflow: WorkflowObject<'a>,
    pub inputs: Option<&'a Map<String, Value>>,
    pub results: Option<&'a Value>,
}

/// `workflow` as the script sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WorkflowObject<'a> {
    pub properties: &'a Map<String, Value>,
}

/// The shim's answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Answer {
    Ok(Effects),
    Error(Raised),
}

/// The exception a script raised.
#[derive(Debug, Clone, Deserialize)]
pub struct Raised {
    #[serde(rename = "type")]
    pub exception: String,
    pub message: String,
    pub line: Option<u32>,
    #[serde(default)]
    pub log: Vec<String>,
}

/// What a script did.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Effects {
    #[serde(default)]
    pub inputs: Map<String, Value>,
    #[serde(default)]
    pub rows: Vec<RawRow>,
    #[serde(default)]
    pub notes: Vec<RawText>,
    #[serde(default)]
    pub tasks: Vec<RawTask>,
    #[serde(default)]
    pub artifacts: Vec<RawArtifact>,
    #[serde(default)]
    pub incident_changes: Vec<RawChange>,
    #[serde(default)]
    pub artifact_changes: Vec<RawChange>,
    #[serde(default)]
    pub row_changes: Vec<RawChange>,
    #[serde(default)]
    pub workflow_properties: Map<String, Value>,
    #[serde(default)]
    pub log: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawRow {
    pub table: String,
    pub cells: std::collections::BTreeMap<String, RawCell>,
    pub line: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawCell {
    #[serde(default)]
    pub value: Option<Value>,
    #[serde(default)]
    pub rich_text: Option<String>,
    pub line: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawText {
    pub content: String,
    pub format: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawTask {
    pub name: String,
    pub phase: Option<String>,
    pub instructions: Option<RawText>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawArtifact {
    #[serde(rename = "type")]
    pub artifact_type: String,
    pub value: String,
    pub description: Option<RawText>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawChange {
    pub field: String,
    pub value: Value,
}

/// Why the shim could not give an answer (the script's own exceptions are an [`Answer`]).
#[derive(Debug)]
pub enum ShimFailure {
    /// The interpreter could not be started.
    NotFound { program: String },
    Spawn {
        program: String,
        source: std::io::Error,
    },
    /// The script ran longer than [`SCRIPT_TIMEOUT`] and was stopped.
    Timeout { seconds: u64 },
    /// The interpreter ended without a readable answer (too old a python, a crash).
    NoAnswer {
        program: String,
        status: String,
        stderr: String,
    },
}

/// Run one script with the interpreter `program`.
pub fn run(program: &str, request: &Request<'_>) -> Result<Answer, ShimFailure> {
    let program = program.to_string();
    let payload = serde_json::to_vec(request).map_err(|e| ShimFailure::NoAnswer {
        program: program.clone(),
        status: "not started".into(),
        stderr: format!("the request could not be serialised: {e}"),
    })?;
    let mut child = Command::new(&program)
        .args(["-I", "-X", "utf8", "-c", SHIM])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => ShimFailure::NotFound {
                program: program.clone(),
            },
            _ => ShimFailure::Spawn {
                program: program.clone(),
                source,
            },
        })?;

    // Feed stdin and drain both pipes on their own threads so that a script printing a lot
    // cannot block on a full pipe while we wait.
    let stdin = child.stdin.take();
    let writer = std::thread::spawn(move || {
        if let Some(mut stdin) = stdin {
            let _ = stdin.write_all(&payload);
        }
    });
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );

    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > SCRIPT_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ShimFailure::Timeout {
                    seconds: SCRIPT_TIMEOUT.as_secs(),
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => {
                return Err(ShimFailure::Spawn { program, source: e });
            }
        }
    };
    let _ = writer.join();
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    match serde_json::from_slice::<Answer>(&stdout) {
        Ok(answer) if status.success() => Ok(answer),
        _ => Err(ShimFailure::NoAnswer {
            program,
            status: status.to_string(),
            stderr: last_lines(&String::from_utf8_lossy(&stderr), 5),
        }),
    }
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The interpreter's version (`3.11.7`), or why it cannot run the shim (not found, or older
/// than 3.6, whose ordered dicts keep rows and cells in the order scripts write them).
pub fn python_version(program: &str) -> Result<String, ShimFailure> {
    let out = Command::new(program)
        .args([
            "-I",
            "-c",
            "import sys; assert sys.version_info >= (3, 6), 'python 3.6 or newer is needed'; print('%d.%d.%d' % sys.version_info[:3])",
        ])
        .stdin(Stdio::null())
        .output()
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => ShimFailure::NotFound {
                program: program.to_string(),
            },
            _ => ShimFailure::Spawn {
                program: program.to_string(),
                source,
            },
        })?;
    if !out.status.success() {
        return Err(ShimFailure::NoAnswer {
            program: program.to_string(),
            status: out.status.to_string(),
            stderr: last_lines(&String::from_utf8_lossy(&out.stderr), 3),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}
