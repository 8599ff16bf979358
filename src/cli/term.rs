//! The terminal side of every command: the one stdout writer, the width text is laid out for,
//! and whether to colour it.
//!
//! * Broken pipe: Rust ignores SIGPIPE, so writing after the reader has gone (`respack demo |
//!   head`) is an `EPIPE` error. A reader that stopped reading is not a failure of the command:
//!   [`Out`] notices it once, discards the rest of the output and lets the command end with its
//!   own exit code. Every command writes through it ([`print`], [`print_json`], [`stdout`]), so
//!   there is no `println!` left to panic.
//! * Width: the terminal's columns when stdout is a terminal, else 80 (piped, redirected), so a
//!   table in a log reads like one on a standard terminal. JSON is never laid out.
//! * Colour: only on a terminal, and never when `NO_COLOR` is set (<https://no-color.org>).
//!
//! [`Term::detect`] asks the terminal once, with `NO_COLOR` as the environment read gave it
//! ([`super::Environment`]); the rest of the program receives the result.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use super::CmdError;
use crate::attack::render::Layout;

/// The width when stdout is not a terminal (or the terminal does not say).
pub const PIPED_WIDTH: usize = 80;

/// How output is laid out and painted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    /// Columns available for text.
    pub width: usize,
    /// Whether to use ANSI colours.
    pub color: bool,
}

impl Term {
    /// What stdout is now: a terminal of some width, or a pipe/file (80 columns, no colour).
    pub fn detect(no_color: bool) -> Term {
        let tty = std::io::stdout().is_terminal();
        let width = if tty {
            terminal_size::terminal_size()
                .map(|(w, _)| usize::from(w.0))
                .filter(|w| *w >= 20)
                .unwrap_or(PIPED_WIDTH)
        } else {
            PIPED_WIDTH
        };
        Term {
            width,
            color: tty && !no_color,
        }
    }

    /// The layout library code renders text for.
    pub fn layout(self) -> Layout {
        Layout {
            width: self.width,
            color: self.color,
        }
    }
}

/// Set once the reader of stdout has gone; later writes are discarded.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// The one stdout writer (see the module docs).
#[derive(Debug, Default, Clone, Copy)]
pub struct Out;

/// The stdout writer, for code that takes a `Write`.
pub fn stdout() -> Out {
    Out
}

impl Out {
    fn quiet(r: std::io::Result<()>) -> std::io::Result<()> {
        match r {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                CLOSED.store(true, Ordering::Relaxed);
                Ok(())
            }
            other => other,
        }
    }
}

impl Write for Out {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !CLOSED.load(Ordering::Relaxed) {
            Out::quiet(std::io::stdout().lock().write_all(buf))?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if CLOSED.load(Ordering::Relaxed) {
            return Ok(());
        }
        Out::quiet(std::io::stdout().lock().flush())
    }
}

/// Write `text` to stdout as is.
pub fn print(text: &str) -> Result<(), CmdError> {
    let mut out = Out;
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| CmdError::new(format!("cannot write to stdout: {e}")))
}

/// Print a value as pretty JSON on stdout, with a trailing newline.
pub fn print_json<T: serde::Serialize>(value: &T) -> Result<(), CmdError> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| CmdError::new(format!("cannot serialise output: {e}")))?;
    text.push('\n');
    print(&text)
}
