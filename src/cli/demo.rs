//! `respack demo`: the whole story on an embedded org ([`crate::demo`]).
//!
//! Exit codes: 0 both stories told; 1 a workflow or step of a story failed (the output says
//! which); 2 the demo could not start (no ATT&CK data — it names `--bundle` —, no python3, no
//! temporary directory).
use std::path::PathBuf;

use super::{CmdError, CmdResult, Exit};
use crate::attack::CachePolicy;
use crate::demo::{self, DemoError};
use crate::help::Help;

/// Seed an embedded org, install the package, run both workflows, show the results, uninstall.
///
/// ATT&CK comes from --bundle, else a newer cached download from MITRE's TAXII server, else the
/// snapshot built into respack (no network needed); QRadar and QRadar Advisor are emulated (the
/// built-in scenario of the package README).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// ATT&CK STIX bundle (.json or .json.gz) to use offline
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    /// Neither read nor write the ATT&CK index cache
    #[arg(long)]
    pub no_cache: bool,
}

pub fn run(args: Args, env: &super::Environment) -> CmdResult {
    let options = demo::Options {
        bundle: args.bundle,
        attack: env.attack.clone(),
        python: env.python(),
        cache: if args.no_cache {
            CachePolicy::Off
        } else {
            env.attack_cache()
        },
        layout: super::term::Term::detect(env.no_color).layout(),
    };
    let mut out = super::term::stdout();
    match demo::run(&options, &mut out) {
        Ok(()) => Ok(Exit::Success),
        Err(e) if e.is_story() => {
            print_error(&e);
            Ok(Exit::Findings)
        }
        Err(e) => Err(CmdError::from(e)),
    }
}

fn print_error(e: &DemoError) {
    eprintln!("error: {e}");
    if let Some(h) = e.help() {
        eprintln!("help: {h}");
    }
}
