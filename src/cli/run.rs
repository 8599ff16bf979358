//! `respack run`: the package's workflows on a local incident or artifact, with the reference
//! function runtime, printed as the SOAR UI shows their data tables and tasks.
//!
//! - `offense-analysis --qradar-id N`: the rule "QRadar Advisor Offense Analysis with MITRE"
//!   on an incident whose `qradar_id` is N; with `--task NAME_OR_ID`, then the MITRE
//!   integration's "Create Task for MITRE ATT&CK technique" on that technique's row.
//! - `map-rule --artifact VALUE`: the QRadar integration's "Find All QRadar Reference Sets" on
//!   the artifact, then "Map rule to MITRE tactic" on every reference-set row whose `source` has a
//!   value (the rule's condition).
//!
//! Workflows come from the built-in package (or `--res FILE`); the integrations' own workflows
//! from the integrations seed. QRadar is the emulated one playing the built-in README scenario
//! unless `--config` or `--scenario` says otherwise; the output says which.
//!
//! Exit codes: 0 every workflow ran; 1 a workflow stopped with an error (printed with what ran
//! before it), or `--task` names a technique no techniques row has (said last); 2 the runtime could not be assembled (no ATT&CK data, bad app.config, no python3).
use std::path::PathBuf;

use super::{print_json, CmdError, CmdResult, Exit, Format};
use crate::appconfig::AppConfig;
use crate::attack::CachePolicy;
use crate::package::names::{ARTIFACT_TACTICS, INCIDENT_TACTICS, REFERENCE_SETS, TECHNIQUES};
use crate::res::ResFile;
use crate::runtime::engine::Engine;
use crate::runtime::mitre::Api;
use crate::runtime::setup::{self, AttackSpec, QradarSpec, Spec};
use crate::runtime::story::Story;

/// Run the package's workflows locally with the reference function runtime.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// The offense-analysis workflow on a local incident with a QRadar offense id
    OffenseAnalysis {
        /// QRadar offense id (the incident's qradar_id)
        #[arg(long)]
        qradar_id: u64,
        /// Then create the task for this technique (name or id) from its techniques row
        #[arg(long, value_name = "NAME_OR_ID")]
        task: Option<String>,
        #[command(flatten)]
        runtime: RuntimeArgs,
    },
    /// The reference-set and map-rule workflows on a local artifact
    MapRule {
        /// Artifact value, e.g. an IP address
        #[arg(long)]
        artifact: String,
        /// Artifact type
        #[arg(long, default_value = "IP Address")]
        artifact_type: String,
        #[command(flatten)]
        runtime: RuntimeArgs,
    },
}

/// RUNTIME: where the functions get their data, and what to print.
#[derive(Debug, clap::Args)]
pub struct RuntimeArgs {
    /// app.config with [fn_qradar_advisor] and [fn_qradar_integration] (and optionally
    /// [fn_mitre_integration] stix_bundle_path / taxii_url / api)
    #[arg(long, value_name = "FILE", conflicts_with = "scenario")]
    config: Option<PathBuf>,
    /// Play QRadar from a scenario on an emulated server in this process: `builtin` (the
    /// default without --config) or a scenario file
    #[arg(long, value_name = "FILE|builtin")]
    scenario: Option<String>,
    /// ATT&CK STIX bundle (.json or .json.gz) [default: a newer cached download from MITRE's
    /// TAXII server, else the snapshot built into respack]
    #[arg(long, value_name = "FILE")]
    bundle: Option<PathBuf>,
    /// ATT&CK TAXII 2.0/2.1 server
    #[arg(long, value_name = "URL", conflicts_with = "bundle")]
    taxii: Option<String>,
    /// Answer as MITRE integration v1 (1.0, bare dict) or v2 (2.x envelope)
    #[arg(long, value_enum)]
    mitre_api: Option<ApiArg>,
    /// Resource file whose workflows to run [default: the built-in package]
    #[arg(long, value_name = "FILE")]
    res: Option<PathBuf>,
    /// Neither read nor write the ATT&CK index cache
    #[arg(long)]
    no_cache: bool,
    /// text: tables as the SOAR UI shows them; json: everything the workflows did
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ApiArg {
    V1,
    V2,
}

pub fn run(command: Command, env: &super::Environment) -> CmdResult {
    let args = match &command {
        Command::OffenseAnalysis { runtime, .. } | Command::MapRule { runtime, .. } => runtime,
    };
    let spec = Spec {
        attack: match (&args.bundle, &args.taxii) {
            (Some(b), _) => AttackSpec::Bundle(b.clone()),
            (None, Some(t)) => AttackSpec::Taxii(t.clone()),
            (None, None) => AttackSpec::Auto(env.attack.clone()),
        },
        qradar: match (&args.config, &args.scenario) {
            (Some(c), _) => QradarSpec::Config(Box::new(AppConfig::read(c, &env.vars)?)),
            (None, Some(s)) => QradarSpec::scenario(s)?,
            (None, None) => QradarSpec::builtin(),
        },
        mitre_api: args.mitre_api.map(|a| match a {
            ApiArg::V1 => Api::V1,
            ApiArg::V2 => Api::V2,
        }),
        cache: if args.no_cache {
            CachePolicy::Off
        } else {
            env.attack_cache()
        },
    };
    let assembled = setup::assemble(&spec)?;
    for note in &assembled.notes {
        eprintln!("note: {note}");
    }
    let package = match &args.res {
        Some(path) => crate::res::read(path)?.1,
        None => crate::package::resource_file(crate::package::export_date_ms(None)),
    };
    let seed: ResFile = serde_json::from_value(crate::package::integrations_seed())
        .map_err(|e| CmdError::new(format!("the built-in integrations seed does not read: {e}")))?;
    let mut sources = vec![match &args.res {
        Some(path) => format!("Workflows: {}", path.display()),
        None => "Workflows: the built-in package qraw_mitre.res".to_string(),
    }];
    sources.push(
        "Integration workflows (reference sets, technique task): the built-in integrations seed"
            .into(),
    );
    sources.extend(assembled.sources.iter().cloned());

    let engine = Engine::new(&assembled.runtime).with_python(env.python());
    let mut story = Story::new(&engine, &package, &seed);
    let tables: &[&str] = match &command {
        Command::OffenseAnalysis {
            qradar_id, task, ..
        } => {
            story.offense(*qradar_id, task.as_deref());
            &[INCIDENT_TACTICS, TECHNIQUES]
        }
        Command::MapRule {
            artifact,
            artifact_type,
            ..
        } => {
            story.map_rule(artifact, artifact_type);
            &[REFERENCE_SETS, ARTIFACT_TACTICS, TECHNIQUES]
        }
    };
    if let Some(e) = story.fatal() {
        return Err(CmdError::new(e.to_string()).with_help(
            crate::help::Help::help(e).unwrap_or_else(|| "see the error above".into()),
        ));
    }
    match args.format {
        Format::Json => print_json(&story.json(&sources, tables))?,
        Format::Text => out!(
            "{}",
            story.text(
                &sources,
                tables,
                super::term::Term::detect(env.no_color).layout()
            )
        )?,
    }
    if story.failed() {
        for e in story.errors() {
            eprintln!("error: {e}");
            if let Some(h) = crate::help::Help::help(e) {
                eprintln!("help: {h}");
            }
        }
        // Said last, after the tables, so it is what the reader sees.
        if let Some(e) = story.task_error() {
            eprintln!("error: {e}");
            eprintln!("help: give --task a technique name or id from the {TECHNIQUES} table above");
        }
        Ok(Exit::Findings)
    } else {
        Ok(Exit::Success)
    }
}
