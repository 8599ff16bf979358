//! Python 3 syntax of scripts, checked by the local `python3` with results cached on disk.
//!
//! SOAR compiles scripts only when they run, so a typo in a post-processing script shows up on
//! the org, mid-incident. respack compiles every Python 3 script of a file in **one**
//! `python3 -I -S` process (`compile(..., flags=PyCF_ONLY_AST)`: syntax only, no bytecode, no
//! imports), started as soon as the scripts are known so that its start-up overlaps with the
//! other checks, and remembers each verdict under
//! `$RESPACK_CACHE_DIR/pysyntax`, else `$XDG_CACHE_HOME/respack/pysyntax`, else
//! `~/.cache/respack/pysyntax`. A run whose scripts are all cached starts no process at all.
//!
//! A verdict is keyed by the sha256 of the interpreter's identity and the script text. The
//! identity is the interpreter's resolved path, size and modification time rather than its
//! `--version` output, because asking for the version would start the very process the cache
//! saves; upgrading Python changes the file and so the key. A cache that cannot be written is
//! simply not used. The interpreter is `$RESPACK_PYTHON` (a path, or a name looked up on
//! `PATH`), else `python3` on `PATH`; the CLI reads those variables and passes their values.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};

/// Compiles every script and prints one JSON list: `null` for a script that compiles, else
/// `[line, column, message]`.
const PROGRAM: &str = r#"
import sys, json
out = []
for src in json.loads(sys.stdin.buffer.read().decode("utf-8")):
    try:
        compile(src, "<script>", "exec", 0x400)
        out.append(None)
    except SyntaxError as e:
        out.append([e.lineno or 0, e.offset or 0, e.msg or str(e)])
    except (ValueError, TypeError, MemoryError, RecursionError) as e:
        out.append([0, 0, str(e) or type(e).__name__])
sys.stdout.write(json.dumps(out))
"#;

const CACHE_VERSION: &str = "respack-pysyntax-1";

/// What compiling one script said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    Error {
        line: usize,
        column: usize,
        message: String,
    },
}

/// Why no verdicts could be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skipped {
    /// No interpreter was found.
    NoPython { looked_for: String },
    /// The interpreter ran but did not answer as expected.
    Failed { python: PathBuf, reason: String },
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Skipped::NoPython { looked_for } => write!(f, "{looked_for} was not found"),
            Skipped::Failed { python, reason } => {
                write!(f, "{} failed: {reason}", python.display())
            }
        }
    }
}

/// Which interpreter, and where verdicts are cached.
#[derive(Debug, Clone)]
pub struct Checker {
    /// What to run: a path, or a name looked up on `search_path`.
    pub python: String,
    /// `None`: no cache.
    pub cache_dir: Option<PathBuf>,
    /// The `PATH` the CLI read, where a bare `python` name is looked up.
    pub search_path: Option<std::ffi::OsString>,
}

impl Checker {
    /// `python` (`RESPACK_PYTHON` or `python3`) looked up on `search_path` (`PATH`), verdicts
    /// cached in `cache_dir/pysyntax` (`cache_dir` being respack's cache folder).
    pub fn new(
        python: String,
        cache_dir: Option<PathBuf>,
        search_path: Option<std::ffi::OsString>,
    ) -> Self {
        Checker {
            python,
            cache_dir: cache_dir.map(|d| d.join("pysyntax")),
            search_path,
        }
    }

    /// Start checking `scripts`: cached verdicts are read now, the rest go to one `python3`
    /// process that runs while the caller does other work. Collect with [`Pending::finish`].
    pub fn start(&self, scripts: &[&str]) -> Pending {
        let mut pending = Pending {
            verdicts: vec![None; scripts.len()],
            keys: Vec::new(),
            run: None,
            skipped: None,
            cache_dir: self.cache_dir.clone(),
        };
        if scripts.is_empty() {
            return pending;
        }
        let Some(python) = resolve(&self.python, self.search_path.as_deref()) else {
            pending.skipped = Some(Skipped::NoPython {
                looked_for: self.python.clone(),
            });
            return pending;
        };
        let identity = identity(&python);
        pending.keys = scripts.iter().map(|s| key(&identity, s)).collect();
        let mut misses = Vec::new();
        for (i, k) in pending.keys.iter().enumerate() {
            match self.cache_dir.as_deref().and_then(|d| read_cache(d, k)) {
                Some(v) => pending.verdicts[i] = Some(v),
                None => misses.push(i),
            }
        }
        if misses.is_empty() {
            return pending;
        }
        let input =
            match serde_json::to_vec(&misses.iter().map(|&i| scripts[i]).collect::<Vec<_>>()) {
                Ok(v) => v,
                Err(e) => {
                    pending.skipped = Some(Skipped::Failed {
                        python,
                        reason: e.to_string(),
                    });
                    return pending;
                }
            };
        let child = Command::new(&python)
            .args(["-I", "-S", "-c", PROGRAM])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        match child {
            Ok(mut child) => {
                let writer = child.stdin.take().map(|mut stdin| {
                    std::thread::spawn(move || {
                        // A python that dies early closes the pipe; its exit status says why.
                        let _ = stdin.write_all(&input);
                    })
                });
                pending.run = Some(Run {
                    python,
                    child,
                    writer,
                    misses,
                });
            }
            Err(e) => {
                pending.skipped = Some(Skipped::Failed {
                    python,
                    reason: e.to_string(),
                })
            }
        }
        pending
    }
}

struct Run {
    python: PathBuf,
    child: Child,
    writer: Option<JoinHandle<()>>,
    misses: Vec<usize>,
}

/// Verdicts being computed; see [`Checker::start`].
pub struct Pending {
    verdicts: Vec<Option<Verdict>>,
    keys: Vec<String>,
    run: Option<Run>,
    skipped: Option<Skipped>,
    cache_dir: Option<PathBuf>,
}

impl Pending {
    /// Whether a `python3` process was started (false when every verdict came from the cache).
    pub fn spawned(&self) -> bool {
        self.run.is_some()
    }

    /// One verdict per script, in the order given to [`Checker::start`], or why there are none.
    pub fn finish(mut self) -> Result<Vec<Verdict>, Skipped> {
        if let Some(run) = self.run.take() {
            let python = run.python.clone();
            let fail = |reason: String| Skipped::Failed {
                python: python.clone(),
                reason,
            };
            if let Some(w) = run.writer {
                let _ = w.join();
            }
            let output = run
                .child
                .wait_with_output()
                .map_err(|e| fail(e.to_string()))?;
            if !output.status.success() {
                let stderr = String::from_utf8_lossy(&output.stderr);
                let last = stderr.lines().last().unwrap_or("").trim().to_string();
                return Err(fail(format!("{} {last}", output.status)));
            }
            let answers: Vec<Option<(usize, usize, String)>> =
                serde_json::from_slice(&output.stdout)
                    .map_err(|e| fail(format!("unexpected output: {e}")))?;
            if answers.len() != run.misses.len() {
                return Err(fail("unexpected output: wrong number of verdicts".into()));
            }
            for (i, answer) in run.misses.into_iter().zip(answers) {
                let verdict = match answer {
                    None => Verdict::Ok,
                    Some((line, column, message)) => Verdict::Error {
                        line,
                        column,
                        message,
                    },
                };
                if let Some(dir) = &self.cache_dir {
                    write_cache(dir, &self.keys[i], &verdict);
                }
                self.verdicts[i] = Some(verdict);
            }
        }
        if let Some(s) = self.skipped {
            return Err(s);
        }
        Ok(self
            .verdicts
            .into_iter()
            .map(|v| v.unwrap_or(Verdict::Ok))
            .collect())
    }
}

/// A path as given, or the first executable of that name on `PATH`.
fn resolve(python: &str, search_path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    let p = Path::new(python);
    if p.components().count() > 1 {
        return is_executable(p).then(|| p.to_path_buf());
    }
    std::env::split_paths(search_path?)
        .map(|dir| dir.join(python))
        .find(|c| is_executable(c))
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// The interpreter's path, size and modification time.
fn identity(python: &Path) -> String {
    let real = std::fs::canonicalize(python).unwrap_or_else(|_| python.to_path_buf());
    let (len, mtime) = std::fs::metadata(&real)
        .map(|m| {
            let mtime = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            (m.len(), mtime)
        })
        .unwrap_or((0, 0));
    format!("{}\0{len}\0{mtime}", real.display())
}

fn key(identity: &str, script: &str) -> String {
    let mut h = Sha256::new();
    h.update(CACHE_VERSION.as_bytes());
    h.update([0]);
    h.update(identity.as_bytes());
    h.update([0]);
    h.update(script.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Entries are `ok`, or `error\n<line>\n<column>\n<message>`.
fn read_cache(dir: &Path, key: &str) -> Option<Verdict> {
    let text = std::fs::read_to_string(dir.join(key)).ok()?;
    if text == "ok" {
        return Some(Verdict::Ok);
    }
    let mut parts = text.splitn(4, '\n');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("error"), Some(line), Some(column), Some(message)) => Some(Verdict::Error {
            line: line.parse().ok()?,
            column: column.parse().ok()?,
            message: message.to_string(),
        }),
        _ => None,
    }
}

fn write_cache(dir: &Path, key: &str, verdict: &Verdict) {
    let text = match verdict {
        Verdict::Ok => "ok".to_string(),
        Verdict::Error {
            line,
            column,
            message,
        } => format!("error\n{line}\n{column}\n{message}"),
    };
    // Written to a temporary file and renamed, so that a concurrent reader never sees half an
    // entry. Any failure leaves the cache as it was.
    let _ = std::fs::create_dir_all(dir).and_then(|()| {
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        tmp.write_all(text.as_bytes())?;
        tmp.persist(dir.join(key)).map_err(|e| e.error)?;
        Ok(())
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test-only: the `PATH` of the test process, where python3 is looked up.
    fn test_path() -> Option<std::ffi::OsString> {
        std::env::var_os("PATH")
    }

    fn checker(cache: &Path) -> Checker {
        Checker {
            python: "python3".into(),
            cache_dir: Some(cache.to_path_buf()),
            search_path: test_path(),
        }
    }

    /// `cargo test` requires python3 (DESIGN.md): absent, the test fails saying so.
    #[track_caller]
    fn require_python() {
        assert!(
            resolve("python3", test_path().as_deref()).is_some(),
            "python3 is not on PATH: `cargo test` needs it to check script syntax"
        );
    }

    #[test]
    fn compiles_and_caches_verdicts() {
        require_python();
        let dir = tempfile::tempdir().unwrap();
        let scripts = ["x = 1\n", "def f(:\n  pass\n", "print('ok')\n"];
        let first = checker(dir.path()).start(&scripts);
        assert!(first.spawned());
        let verdicts = first.finish().unwrap();
        assert_eq!(verdicts[0], Verdict::Ok);
        assert!(
            matches!(&verdicts[1], Verdict::Error { line: 1, .. }),
            "{verdicts:?}"
        );
        assert_eq!(verdicts[2], Verdict::Ok);

        let second = checker(dir.path()).start(&scripts);
        assert!(
            !second.spawned(),
            "every verdict should come from the cache"
        );
        assert_eq!(second.finish().unwrap(), verdicts);

        // A new script is compiled, the known ones are not.
        let third = checker(dir.path()).start(&["x = (\n"]);
        assert!(third.spawned());
        assert!(matches!(third.finish().unwrap()[0], Verdict::Error { .. }));
    }

    #[test]
    fn python2_print_is_a_python3_syntax_error() {
        require_python();
        let dir = tempfile::tempdir().unwrap();
        let v = checker(dir.path())
            .start(&["print 'x'\n"])
            .finish()
            .unwrap();
        assert!(
            matches!(&v[0], Verdict::Error { line: 1, message, .. } if message.contains("print")),
            "{v:?}"
        );
    }

    #[test]
    fn missing_interpreter_is_reported_not_fatal() {
        let c = Checker {
            python: "/nonexistent/python3".into(),
            cache_dir: None,
            search_path: None,
        };
        assert_eq!(
            c.start(&["x = 1"]).finish(),
            Err(Skipped::NoPython {
                looked_for: "/nonexistent/python3".into()
            })
        );
        // Nothing to check: nothing to skip.
        assert_eq!(c.start(&[]).finish(), Ok(vec![]));
    }

    #[test]
    fn unwritable_cache_is_not_used() {
        require_python();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, "").unwrap();
        let c = checker(&file.join("pysyntax"));
        assert_eq!(c.start(&["x = 1"]).finish().unwrap(), vec![Verdict::Ok]);
        assert!(c.start(&["x = 1"]).spawned());
    }

    #[test]
    fn corrupt_cache_entries_are_recomputed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("k"), "error\nnot-a-number\n1\nx").unwrap();
        assert_eq!(read_cache(dir.path(), "k"), None);
        write_cache(
            dir.path(),
            "k",
            &Verdict::Error {
                line: 3,
                column: 4,
                message: "bad\nthing".into(),
            },
        );
        assert_eq!(
            read_cache(dir.path(), "k"),
            Some(Verdict::Error {
                line: 3,
                column: 4,
                message: "bad\nthing".into()
            })
        );
    }
}
