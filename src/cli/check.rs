//! `respack check`: are the dependency integrations installed on the org?
use super::{print_json, CmdResult, ConnArgs, Exit, Format};
use crate::ops::{self, render};
use crate::soar::Client;

/// Check that the integrations the package depends on are installed on the org.
///
/// For each dependency integration (QRadar Advisor 2.0, MITRE 1.0, QRadar 2.0 optional), each
/// object the package needs: functions by uuid and name with their input fields, message
/// destinations, data tables and their columns, the incident field — present, different (another
/// version of the integration) or missing. One export of the org; nothing is changed. With
/// --package PATH, the dependencies that package's respack.toml names (for a bare export: its
/// message destinations, their functions and inputs).
///
/// Exit 0 when every object of every required integration is on the org (different versions
/// included), 1 when one is missing, 2 when the org cannot be reached.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub package: super::conn::PackageArgs,
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run(args: Args, env: &super::Environment) -> CmdResult {
    let package = args.package.load()?;
    let client = Client::connect(args.conn.settings(env)?)?;
    let result = ops::check::check(&client, &package);
    super::install::report_calls(&client, env);
    let report = result?;
    match args.format {
        Format::Json => print_json(&report)?,
        Format::Text => out!(
            "{}",
            render::check(&report, render::Style::for_stdout(env.no_color))
        )?,
    }
    Ok(if report.ok {
        Exit::Success
    } else {
        Exit::Findings
    })
}
