//! Test helpers: the fluent CLI builder and access to `../shared`.
#![allow(dead_code)]

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The shared folder (real corpus, ATT&CK bundles): `RESPACK_SHARED` when set, else `../shared`
/// beside the checkout, as the design card lays them out.
///
/// A test that needs it and cannot find it fails with a message naming both places: no test
/// returns early and reports "ok".
#[track_caller]
pub fn shared(test: &str) -> PathBuf {
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let chosen = match std::env::var_os("RESPACK_SHARED").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => beside.clone(),
    };
    assert!(
        chosen.join("corpus").is_dir(),
        "{test}: no shared folder at {} (RESPACK_SHARED, else {}): this test reads the real \
         corpus and ATT&CK bundles; put the shared folder beside the checkout or point \
         RESPACK_SHARED at it",
        chosen.display(),
        beside.display()
    );
    chosen
}

/// `let shared = require_shared!();`: the shared folder, or a failure naming the test.
#[macro_export]
macro_rules! require_shared {
    () => {
        $crate::util::shared(module_path!())
    };
}

/// `python3` for tests that run the package's scripts; a failure (not a skip) when it is absent,
/// since the design card makes python3 a requirement of `cargo test`.
#[track_caller]
pub fn python3() -> &'static str {
    let ok = Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "python3 is not on PATH: `cargo test` needs it to run the workflow scripts"
    );
    "python3"
}

/// The one directory every test run's caches and homes live under: fresh per test process, so
/// no run reads what another left (a cache from an older build, a developer's own cache).
pub fn run_dir() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        tempfile::Builder::new()
            .prefix("respack-test-run-")
            .tempdir()
            .expect("create the test run directory")
    })
    .path()
}

/// Environment variables no command under test may inherit: what points at an org, a config,
/// a cache or another interpreter. Every `RESPACK_*` goes too (see [`Respack::run`]).
const INHERITED_NEVER: &[&str] = &[
    "XDG_CACHE_HOME",
    "XDG_CONFIG_HOME",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "SOURCE_DATE_EPOCH",
    "NO_COLOR",
];

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
        isolate(&mut cmd);
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

/// Clears from `cmd` everything that could point it at a developer's org, config or cache:
/// every `RESPACK_*` variable, proxies, XDG directories; `HOME` and the ATT&CK cache go to this
/// run's own directory. Every process a test starts goes through here.
pub fn isolate(cmd: &mut Command) {
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("RESPACK_") {
            cmd.env_remove(&k);
        }
    }
    for k in INHERITED_NEVER {
        cmd.env_remove(k);
    }
    let home = run_dir().join("home");
    std::fs::create_dir_all(&home).expect("create the test home");
    cmd.env("HOME", &home);
    // A cache of its own for each command, so no test sees what another left behind.
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    cmd.env("RESPACK_CACHE_DIR", run_dir().join(format!("cache-{n}")));
    cmd.env("NO_COLOR", "1");
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

/// A `respack serve` process, killed when dropped (on every path, a failed assertion too).
///
/// `start` returns once the server has printed its `listening on` line, which it prints only
/// after the port is bound and `--write-config` is written: no polling, no sleeps.
pub struct ServeProcess {
    child: std::process::Child,
    /// Everything serve printed up to and including the `listening on` line.
    pub banner: String,
    drain: Option<std::thread::JoinHandle<String>>,
}

impl ServeProcess {
    #[track_caller]
    pub fn start<I, S>(args: I) -> ServeProcess
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        use std::io::BufRead;
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_respack"));
        isolate(&mut cmd);
        cmd.arg("serve")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn respack serve");
        let stdout = child.stdout.take().expect("serve's stdout");
        let mut serve = ServeProcess {
            child,
            banner: String::new(),
            drain: None,
        };
        let mut lines = std::io::BufReader::new(stdout).lines();
        loop {
            match lines.next() {
                Some(Ok(line)) => {
                    serve.banner.push_str(&line);
                    serve.banner.push('\n');
                    if line.starts_with("listening on") {
                        break;
                    }
                }
                _ => {
                    let mut err = String::new();
                    if let Some(mut e) = serve.child.stderr.take() {
                        use std::io::Read;
                        let _ = e.read_to_string(&mut err);
                    }
                    panic!(
                        "respack serve ended before listening:\n{}{err}",
                        serve.banner
                    );
                }
            }
        }
        // Keep draining stdout so that a chatty server never blocks on a full pipe.
        serve.drain = Some(std::thread::spawn(move || {
            let mut rest = String::new();
            for line in lines.map_while(Result::ok) {
                rest.push_str(&line);
                rest.push('\n');
            }
            rest
        }));
        serve
    }

    /// Stops the server and returns all it printed on stdout.
    pub fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The kill closes stdout, which ends the drain thread with everything printed.
        let rest = self.drain.take().map(|t| t.join().unwrap_or_default());
        format!("{}{}", self.banner, rest.unwrap_or_default())
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port that refuses connections for as long as the returned socket lives: bound
/// (so no other test can take it) but never listening. Binding a listener and dropping it would
/// leave a window in which another test's server takes the port.
pub fn closed_port() -> (socket2::Socket, u16) {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
        .expect("create a socket");
    let any: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    socket.bind(&any.into()).expect("bind a loopback port");
    let port = socket
        .local_addr()
        .expect("the bound address")
        .as_socket()
        .expect("an IP address")
        .port();
    (socket, port)
}
