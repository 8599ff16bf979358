//! `respack install`: import the package into the org, with a backup first.
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use super::term::Out;
use super::{CmdResult, ConnArgs, Exit};
use crate::ops::render::Style;
use crate::ops::{self, backup, Consent, InstallOptions, InstallOutcome};
use crate::soar::Client;

/// Import the package: check, plan, backup export, import, accept, verify.
///
/// One export of the org gives the dependency check, the plan (as `respack diff` shows it) and
/// the backup, written to --backup-dir before anything changes. The import carries the package's
/// own objects and the dependency objects missing on the org; the server's preview messages are
/// shown, then the import is accepted (--yes, or after a prompt on a terminal) and a fresh export
/// must show nothing left to install. Re-running on an org that is up to date changes nothing.
///
/// With --package PATH (any export, or a source directory), the package at PATH: its manifest
/// (or, for a bare export, its message destinations with their functions and inputs) names its
/// dependencies; what the import created is noted in --backup-dir
/// (`<org>-installed-<package>.json`), which `respack uninstall --package` reads.
///
/// Without a terminal, install needs --yes. It refuses when a required integration is missing
/// (--force overrides) or when an object of the package's name belongs to someone else.
///
/// Exit 0 when installed, already up to date, or after --dry-run; 1 when refused (a required
/// integration missing, a name conflict) or declined at the prompt; 2 on errors: the message
/// says what was done, what is unknown, where the backup is, and that re-running is safe. An
/// import whose acceptance got no answer is rejected at once if still pending; if the org cannot
/// be reached to do so, it is noted in --backup-dir and the next install or uninstall rejects it.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub package: super::conn::PackageArgs,
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Show the plan and the server's preview, then reject the import
    #[arg(long)]
    pub dry_run: bool,
    /// Accept the import without asking
    #[arg(long)]
    pub yes: bool,
    /// Where the full export taken before the import is written [default: ./respack-backups]
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
    /// Install even when a required integration is missing
    #[arg(long)]
    pub force: bool,
}

/// Ask on the terminal: the question on stdout, a line from stdin; yes is `y` or `yes`.
pub(super) fn prompt(question: &str) -> std::io::Result<bool> {
    let mut stdout = super::term::stdout();
    write!(stdout, "{question}")?;
    stdout.flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// The last line of a run that left objects on the org on purpose: `<label>: kind name, ...
/// (reasons above)` on stderr. Returns whether anything was listed (the command then exits 1).
pub(super) fn report_kept<'a>(
    label: &str,
    kept: impl Iterator<Item = &'a crate::plan::Change>,
) -> Result<bool, super::CmdError> {
    use std::io::Write;
    let kept: Vec<String> = kept.map(|c| format!("{} {}", c.kind, c.name)).collect();
    if kept.is_empty() {
        return Ok(false);
    }
    writeln!(
        std::io::stderr(),
        "{label}: {} (reasons above)",
        kept.join(", ")
    )
    .map_err(|e| super::CmdError::new(format!("cannot write to stderr: {e}")))?;
    Ok(true)
}

/// The frame install, uninstall and restore share: connect, take `--yes` or a terminal to ask
/// on, run `act` with the org, the consent, stdout and its style, then report its
/// HTTP calls ([`report_calls`], for `bench/ops.sh` and anyone checking that a command's cost
/// does not grow with the org), failed or not.
pub(super) fn on_org<T>(
    conn: &ConnArgs,
    env: &super::Environment,
    yes: bool,
    act: impl FnOnce(&Client, &mut Consent<'_>, &mut Out, Style) -> Result<T, ops::OpsError>,
) -> Result<T, super::CmdError> {
    let client = Client::connect(conn.settings(env)?)?;
    let mut ask = prompt;
    let mut consent = consent(yes, &mut ask);
    let result = act(
        &client,
        &mut consent,
        &mut super::term::stdout(),
        Style::for_stdout(env.no_color),
    );
    report_calls(&client, env);
    Ok(result?)
}

/// With `RESPACK_REPORT_CALLS=1`, say on stderr how many HTTP requests the command sent.
pub(super) fn report_calls(client: &Client, env: &super::Environment) {
    if env.report_calls {
        eprintln!("respack: {} HTTP calls", client.calls());
    }
}

/// `--yes`, a terminal to ask on, or neither.
pub(super) fn consent(
    yes: bool,
    ask: &mut dyn FnMut(&str) -> std::io::Result<bool>,
) -> Consent<'_> {
    if yes {
        Consent::Yes
    } else if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        Consent::Ask(ask)
    } else {
        Consent::NoTerminal
    }
}

pub fn run(args: Args, env: &super::Environment) -> CmdResult {
    let options = InstallOptions {
        dry_run: args.dry_run,
        force: args.force,
        backup_dir: backup::dir_or_default(args.backup_dir),
    };
    let package = args.package.load()?;
    let report = on_org(&args.conn, env, args.yes, |client, consent, out, style| {
        ops::install::install(client, &package, &options, consent, out, style)
    })?;
    if args.force && !report.check.ok && report.outcome == InstallOutcome::Installed {
        let missing: Vec<&str> = report
            .check
            .missing_required()
            .map(|i| i.name.as_str())
            .collect();
        let (is, it) = if missing.len() == 1 {
            ("is", "it is")
        } else {
            ("are", "they are")
        };
        writeln!(
            std::io::stderr(),
            "warning: installed with --force although {} {is} missing: the package's workflows fail until {it} installed",
            missing.join(" and ")
        )
        .map_err(|e| super::CmdError::new(format!("cannot write to stderr: {e}")))?;
    }
    Ok(match report.outcome {
        InstallOutcome::Installed | InstallOutcome::UpToDate | InstallOutcome::DryRun => {
            Exit::Success
        }
        InstallOutcome::Refused | InstallOutcome::Declined => Exit::Findings,
    })
}
