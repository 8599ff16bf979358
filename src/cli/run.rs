//! `respack run`: the package's workflows on a local incident, with the reference runtime.
use super::CmdResult;

/// Run the package's workflows locally with the reference function runtime.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// The offense-analysis workflow on a local incident with a QRadar offense id
    OffenseAnalysis {
        /// QRadar offense id
        #[arg(long)]
        qradar_id: u64,
    },
    /// The reference-set and map-rule workflows on a local artifact
    MapRule {
        /// Artifact value, e.g. an IP address
        #[arg(long)]
        artifact: String,
    },
}

pub fn run(_command: Command) -> CmdResult {
    super::not_built("run")
}
