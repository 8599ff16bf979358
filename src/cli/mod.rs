//! The command line: clap definitions and one thin adapter per command.
//!
//! Every adapter turns its arguments into a call on a library module and its result into text
//! or JSON. Nothing here decides anything the library could decide.
//!
//! The process environment is read once, here ([`Environment`]), and passed down as values.
//!
//! Exit codes: 0 success; 1 findings (validation errors, drift with `--exit-code`, a failed
//! check); 2 usage or I/O error (clap's own usage errors also exit 2).

/// `print!` through the one stdout writer ([`term::Out`]); a `Result<(), CmdError>`.
macro_rules! out {
    ($($t:tt)*) => {
        $crate::cli::term::print(&format!($($t)*))
    };
}

/// `println!` through the one stdout writer ([`term::Out`]); a `Result<(), CmdError>`.
macro_rules! outln {
    () => {
        $crate::cli::term::print("\n")
    };
    ($($t:tt)*) => {
        $crate::cli::term::print(&format!("{}\n", format_args!($($t)*)))
    };
}

mod attack;
mod backups;
mod build;
mod check;
mod conn;
mod demo;
mod diff;
mod env;
mod fmt;
mod install;
mod restore;
mod run;
mod serve;
mod show;
pub mod term;
mod uninstall;
mod unpack;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

pub use conn::ConnArgs;
pub use env::Environment;

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
    Restore(restore::Args),
    Backups(backups::Args),
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
    let cli = Cli::parse();
    let env = Environment::from_process();
    match dispatch(cli.command, &env) {
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

fn dispatch(command: Command, env: &Environment) -> CmdResult {
    match command {
        Command::Build(a) => build::run(a, env),
        Command::Unpack(a) => unpack::run(a, env),
        Command::Validate(a) => validate::run(a, env),
        Command::Show(a) => show::run(a),
        Command::Fmt(a) => fmt::run(a),
        Command::Check(a) => check::run(a, env),
        Command::Install(a) => install::run(a, env),
        Command::Diff(a) => diff::run(a, env),
        Command::Uninstall(a) => uninstall::run(a, env),
        Command::Restore(a) => restore::run(a, env),
        Command::Backups(a) => backups::run(a),
        Command::Run(c) => run::run(c, env),
        Command::Attack(c) => attack::run(c, env),
        Command::Serve(a) => serve::run(a, env),
        Command::Demo(a) => demo::run(a, env),
    }
}

pub use term::print_json;
