//! Test helpers: the fluent CLI builder and access to `../shared`.
#![allow(dead_code)]

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The shared folder (real corpus, ATT&CK bundles): `RESPACK_SHARED`, else `../shared` beside
/// the checkout, as DESIGN.md says; `None` when the test should skip.
///
/// Skipping prints a line naming the test; with `RESPACK_REQUIRE_SHARED=1` it panics instead.
pub fn shared(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("RESPACK_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("RESPACK_REQUIRE_SHARED").as_deref() == Ok("1") {
        panic!(
            "{test}: RESPACK_REQUIRE_SHARED=1 but {} is not a folder",
            dir.display()
        );
    }
    eprintln!("{test}: skipped (set RESPACK_SHARED to the shared folder to run it)");
    None
}

/// `let Some(shared) = require_shared!() else { return };`
#[macro_export]
macro_rules! require_shared {
    () => {
        $crate::util::shared(module_path!())
    };
}

/// A `respack` invocation, built fluently and run once.
///
/// ```ignore
/// respack(["validate", "x.res"]).run().code(1).stdout_has("RES0");
/// ```
pub struct Respack {
    args: Vec<OsString>,
    envs: Vec<(OsString, Option<OsString>)>,
    dir: Option<PathBuf>,
    stdin: Option<Vec<u8>>,
}

pub fn respack<I, S>(args: I) -> Respack
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    Respack {
        args: args.into_iter().map(Into::into).collect(),
        envs: vec![],
        dir: None,
        stdin: None,
    }
}

impl Respack {
    pub fn arg(mut self, a: impl Into<OsString>) -> Self {
        self.args.push(a.into());
        self
    }

    pub fn env(mut self, k: impl Into<OsString>, v: impl Into<OsString>) -> Self {
        self.envs.push((k.into(), Some(v.into())));
        self
    }

    pub fn env_remove(mut self, k: impl Into<OsString>) -> Self {
        self.envs.push((k.into(), None));
        self
    }

    pub fn current_dir(mut self, d: impl AsRef<Path>) -> Self {
        self.dir = Some(d.as_ref().to_path_buf());
        self
    }

    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    pub fn run(self) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_respack"));
        cmd.args(&self.args);
        // Tests never read the developer's own app.config, colour settings or `RESPACK_*`
        // variables (a connection to a real org, say): only those the test gives.
        cmd.env("HOME", std::env::temp_dir().join("respack-test-home"));
        cmd.env("NO_COLOR", "1");
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("RESPACK_") {
                cmd.env_remove(k);
            }
        }
        for (k, v) in &self.envs {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        if let Some(d) = &self.dir {
            cmd.current_dir(d);
        }
        cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn respack");
        if let Some(bytes) = self.stdin {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(&bytes).unwrap();
        }
        let out = child.wait_with_output().expect("wait for respack");
        Run {
            args: self.args,
            out,
        }
    }
}

/// The outcome of a [`Respack`] run, with chainable assertions.
pub struct Run {
    args: Vec<OsString>,
    pub out: Output,
}

impl Run {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }

    fn describe(&self) -> String {
        format!(
            "respack {:?}\n--- exit: {:?}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.args,
            self.out.status.code(),
            self.stdout(),
            self.stderr()
        )
    }

    #[track_caller]
    pub fn code(self, want: i32) -> Self {
        assert_eq!(
            self.out.status.code(),
            Some(want),
            "unexpected exit code\n{}",
            self.describe()
        );
        self
    }

    #[track_caller]
    pub fn success(self) -> Self {
        self.code(0)
    }

    #[track_caller]
    pub fn stdout_has(self, needle: &str) -> Self {
        assert!(
            self.stdout().contains(needle),
            "stdout lacks {needle:?}\n{}",
            self.describe()
        );
        self
    }

    #[track_caller]
    pub fn stderr_has(self, needle: &str) -> Self {
        assert!(
            self.stderr().contains(needle),
            "stderr lacks {needle:?}\n{}",
            self.describe()
        );
        self
    }

    #[track_caller]
    pub fn output_lacks(self, needle: &str) -> Self {
        assert!(
            !self.stdout().contains(needle) && !self.stderr().contains(needle),
            "output contains {needle:?}\n{}",
            self.describe()
        );
        self
    }

    #[track_caller]
    pub fn no_panic(self) -> Self {
        assert!(
            !self.stderr().contains("panicked"),
            "respack panicked\n{}",
            self.describe()
        );
        self
    }

    /// stdout parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.out.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON: {e}\n{}", self.describe()))
    }
}

/// insta settings for every snapshot: files under `tests/snapshots/`, as DESIGN.md lays out.
///
/// `crate::util::snapshots().bind(|| insta::assert_snapshot!("name", text));`
pub fn snapshots() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s
}
