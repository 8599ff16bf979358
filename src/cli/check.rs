//! `respack check`: are the dependency integrations installed on the org?
use super::{CmdResult, ConnArgs, Format};

/// Check that the integrations the package depends on are installed on the org.
///
/// Exit 0 when everything required is present, 1 otherwise.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run(_args: Args) -> CmdResult {
    super::not_built("check")
}
