//! `respack diff`: the package against the live org.
use super::{print_json, CmdResult, ConnArgs, Exit, Format};
use crate::ops;
use crate::ops::render::{self, PlanView, Style};
use crate::soar::Client;

/// Compare the package with the org: create / update / unchanged / conflict per object.
///
/// One export of the org, volatile members (ids, timestamps, versions, diagram coordinates)
/// left out, then per object what `respack install` would do: the package's own objects, and
/// apart from them the dependency integrations' objects (install creates those only when
/// missing). Updates show a unified diff of the normalised JSON, and of scripts and workflow
/// steps as text. `--format json` prints the plan that install and uninstall execute.
///
/// With --package PATH, the package at PATH (any export, or a source directory) instead of the
/// built-in one.
///
/// Exit 0; with --exit-code, 1 when an install would change the org (a package object is missing,
/// changed or in conflict, or a dependency object is missing); dependency objects that differ
/// because the org runs a newer integration are reported but do not count. 2 when the org
/// cannot be reached.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub package: super::conn::PackageArgs,
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Exit 1 when an install would change the org
    #[arg(long)]
    pub exit_code: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run(args: Args, env: &super::Environment) -> CmdResult {
    let package = args.package.load()?;
    let client = Client::connect(args.conn.settings(env)?)?;
    let result = ops::diff::diff(&client, &package);
    super::install::report_calls(&client, env);
    let plan = result?;
    match args.format {
        Format::Json => print_json(&plan)?,
        Format::Text => {
            outln!("Org {:?} at {}:\n", client.org().name, client.base_url())?;
            out!(
                "{}",
                render::plan(&plan, PlanView::Install, Style::for_stdout(env.no_color))
            )?;
        }
    }
    Ok(if args.exit_code && !plan.is_in_sync() {
        Exit::Findings
    } else {
        Exit::Success
    })
}
