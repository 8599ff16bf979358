//! `respack attack`: MITRE ATT&CK tactic and technique information.
use super::CmdResult;

/// MITRE ATT&CK lookups, as the MITRE integration's functions answer them.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Tactics by name or id (comma-separated) with their techniques
    Tactic { names: String },
    /// A technique by name or id, with its mitigation
    Technique { name: String },
}

pub fn run(_command: Command) -> CmdResult {
    super::not_built("attack")
}
