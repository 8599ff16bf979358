//! `respack validate`: check resource files, or the built-in package.
use std::path::PathBuf;

use super::{CmdError, CmdResult, Exit, Format};
use crate::help::Help;
use crate::validate::pysyntax::Checker;
use crate::validate::{self, FileOutcome, Options, Outcome, ReadFailure};

/// Check .res, .resz, .tar, .tar.gz files and source directories (no FILE: the built-in package)
///
/// Checks required keys and types, duplicate identities, every reference between objects
/// (rules, functions, workflow and playbook steps, tasks, orders), the workflows' BPMN, the
/// scripts' language and Python 3 syntax (with the local python3; set RESPACK_PYTHON to choose
/// another, RESPACK_CACHE_DIR to move its cache), and the data tables scripts write. Every
/// finding has a code; docs/VALIDATE.md lists them.
///
/// Exit 0 without errors (warnings and infos do not count), 1 with errors, 2 when a file
/// cannot be read at all (missing, unreadable, a broken or unsafe archive, too large). A file
/// that was read but is not UTF-8, not JSON or not a resource file is an error finding (exit 1).
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Files or source directories to check (a directory's findings name the file and line)
    pub files: Vec<PathBuf>,
    /// Output format: text, or JSON `{files: [...], errors, warnings, infos, unreadable}`
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run(args: Args, env: &super::Environment) -> CmdResult {
    let options = Options {
        free_memory: args.files.len() != 1,
        ..Options::with_python(Checker::new(
            env.python(),
            env.cache_dir(),
            env.path.clone(),
        ))
    };
    let files = if args.files.is_empty() {
        vec![FileOutcome::Report(validate::validate_builtin(&options))]
    } else {
        args.files
            .iter()
            .map(|path| {
                let report = if path.is_dir() {
                    crate::source::validate(path, &options).map_err(|e| (e.to_string(), e.help()))
                } else {
                    validate::validate_file(path, &options).map_err(|e| (e.to_string(), e.help()))
                };
                match report {
                    Ok(report) => FileOutcome::Report(report),
                    Err((message, help)) => FileOutcome::Unreadable {
                        file: path.display().to_string(),
                        read_error: ReadFailure { message, help },
                    },
                }
            })
            .collect()
    };
    let outcome = Outcome::new(files);
    match args.format {
        Format::Json => super::print_json(&outcome)?,
        Format::Text => out!("{}", validate::render_text(&outcome))?,
    }
    match outcome.exit_code() {
        0 => Ok(Exit::Success),
        1 => Ok(Exit::Findings),
        _ => Err(CmdError::new(format!(
            "{} of {} files could not be read",
            outcome.unreadable,
            outcome.files.len()
        ))
        .with_help(
            "check the paths; respack reads .res, .resz, .tar, .tar.gz and source directories",
        )),
    }
}
