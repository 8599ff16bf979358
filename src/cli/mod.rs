//! The command line: clap definitions and one thin adapter per command.
//!
//! Every adapter turns its arguments into a call on a library module and its result into text
//! or JSON. Nothing here decides anything the library could decide.
//!
//! Exit codes: 0 success; 1 findings (validation errors, drift with `--exit-code`, a failed
//! check); 2 usage or I/O error (clap's own usage errors also exit 2).

mod attack;
mod build;
mod check;
mod conn;
mod demo;
mod diff;
mod fmt;
mod install;
mod run;
mod serve;
mod show;
mod uninstall;
mod unpack;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

pub use conn::ConnArgs;

/// Build, validate, install and run the "QRadar Advisor and MITRE ATT&CK" IBM SOAR package.
///
/// Exit codes: 0 success; 1 findings (validation errors, a failed check, drift with
/// --exit-code); 2 usage or I/O error.
#[derive(Debug, Parser)]
#[command(name = "respack", version, about, long_about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Build(build::Args),
    Unpack(unpack::Args),
    Validate(validate::Args),
    Show(show::Args),
    Fmt(fmt::Args),
    Check(check::Args),
    Install(install::Args),
    Diff(diff::Args),
    Uninstall(uninstall::Args),
    #[command(subcommand)]
    Run(run::Command),
    #[command(subcommand)]
    Attack(attack::Command),
    Serve(serve::Args),
    Demo(demo::Args),
}

/// Text for people, JSON for machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}

/// How a command ended, as the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything asked for was done and nothing was found wrong.
    Success = 0,
    /// The command ran, and found errors or drift.
    Findings = 1,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

/// A command that could not run: printed as `error:` and `help:` lines, exit code 2.
#[derive(Debug)]
pub struct CmdError {
    pub message: String,
    pub help: Option<String>,
}

impl CmdError {
    pub fn new(message: impl Into<String>) -> Self {
        CmdError {
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl<E: crate::help::Help> From<E> for CmdError {
    fn from(e: E) -> Self {
        CmdError {
            message: e.to_string(),
            help: e.help(),
        }
    }
}

pub type CmdResult = Result<Exit, CmdError>;

/// Parse the command line, run the command, and map its outcome to an exit code.
pub fn main() -> ExitCode {
    quiet_on_broken_pipe();
    let cli = Cli::parse();
    match dispatch(cli.command) {
        Ok(exit) => exit.into(),
        Err(e) => {
            eprintln!("error: {}", e.message);
            if let Some(help) = e.help {
                eprintln!("help: {help}");
            }
            ExitCode::from(2)
        }
    }
}

/// Rust ignores SIGPIPE, so `print!` panics when the reader of stdout has gone away
/// (`respack show --format json FILE | head`). A reader that stopped reading is not an error of
/// ours: end quietly with 0, as the command would have, instead of a panic and a backtrace.
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info)
    }));
}

fn dispatch(command: Command) -> CmdResult {
    match command {
        Command::Build(a) => build::run(a),
        Command::Unpack(a) => unpack::run(a),
        Command::Validate(a) => validate::run(a),
        Command::Show(a) => show::run(a),
        Command::Fmt(a) => fmt::run(a),
        Command::Check(a) => check::run(a),
        Command::Install(a) => install::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Uninstall(a) => uninstall::run(a),
        Command::Run(c) => run::run(c),
        Command::Attack(c) => attack::run(c),
        Command::Serve(a) => serve::run(a),
        Command::Demo(a) => demo::run(a),
    }
}

/// Print a value as pretty JSON on stdout, with a trailing newline.
pub fn print_json<T: serde::Serialize>(value: &T) -> Result<(), CmdError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CmdError::new(format!("cannot serialise output: {e}")))?;
    println!("{text}");
    Ok(())
}
