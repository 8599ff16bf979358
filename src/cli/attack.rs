//! `respack attack`: MITRE ATT&CK tactic and technique information.
//!
//! The source is `--bundle FILE`, else `--taxii URL`, else `$RESPACK_ATTACK_BUNDLE`, else
//! `$RESPACK_ATTACK_TAXII`, else a cached download from MITRE's TAXII server newer than the
//! snapshot, else the snapshot shipped in the binary ([`crate::attack::source`] decides); the
//! index cache sits in front of bundles and TAXII. stderr names the source and its ATT&CK
//! version. `--format json` prints exactly what the MITRE integration returns to SOAR (1.0 by
//! default, the 2.x envelope with `--api v2`).
//!
//! `attack snapshot` makes the snapshot from MITRE's bundle; `attack license` prints MITRE's
//! copyright designation and license that come with it.
//!
//! Exit codes: 0 found; 1 the tactic or technique does not exist (or is hidden); 2 no data
//! (unreadable bundle, unreachable server) or a usage error.
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::env::Environment;
use super::{CmdError, CmdResult, Exit, Format};
use crate::attack::render::Layout;
use crate::attack::{
    self, AttackError, CachePolicy, Domain, Filter, Index, Source, TacticIdx, TaxiiSource,
};
use crate::help::Help;
use crate::runtime::mitre;

/// MITRE ATT&CK lookups, as the MITRE integration's functions answer them.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Tactics by name, shortname or id (comma-separated) with their techniques
    Tactic {
        /// e.g. "Command and Control", command-and-control, TA0011, or "TA0001,TA0011"
        #[arg(value_name = "NAME_OR_ID[,...]")]
        names: String,
        #[command(flatten)]
        source: SourceArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// A technique by name or id, with its mitigations
    Technique {
        /// e.g. "Port Knocking", T1205 or T1205.001
        #[arg(value_name = "NAME_OR_ID")]
        name: String,
        #[command(flatten)]
        source: SourceArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Make the ATT&CK snapshot respack ships from MITRE's enterprise bundle (for releases)
    Snapshot {
        /// MITRE's enterprise STIX bundle, e.g. enterprise-attack-18.1.json.gz
        #[arg(long, value_name = "FILE")]
        bundle: PathBuf,
        /// Folder to write the snapshot and MITRE's license into (the repository's assets/attack)
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// ATT&CK version to record [default: the bundle's collection, else its file name]
        #[arg(long, value_name = "VERSION")]
        attack_version: Option<String>,
    },
    /// Print MITRE's copyright designation and ATT&CK license for the shipped snapshot
    License,
}

/// Where the ATT&CK data comes from.
#[derive(Debug, clap::Args)]
pub struct SourceArgs {
    /// STIX 2.0/2.1 bundle (plain JSON or gzip) to read instead of a TAXII server
    #[arg(long, value_name = "FILE", conflicts_with = "taxii")]
    bundle: Option<PathBuf>,
    /// TAXII 2.0/2.1 discovery or API root URL, e.g. MITRE's https://attack-taxii.mitre.org/taxii2/
    /// [default: no download: a newer cached download, else the snapshot in the binary]
    #[arg(long, value_name = "URL")]
    taxii: Option<String>,
    /// TAXII collection id, alias or title [default: the one for --domain]
    #[arg(long, value_name = "ID", requires = "taxii")]
    collection: Option<String>,
    /// TAXII user for HTTP basic auth; the password is read from $RESPACK_TAXII_PASSWORD
    #[arg(long, value_name = "USER")]
    taxii_user: Option<String>,
    /// Objects per TAXII request [default: as many as the server sends]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    page_size: Option<u32>,
    /// ATT&CK domain: enterprise, mobile or ics [default: enterprise for TAXII; a bundle's own]
    #[arg(long, value_name = "DOMAIN")]
    domain: Option<Domain>,
    /// Show revoked and deprecated objects instead of hiding them
    #[arg(long)]
    include_revoked: bool,
    /// Neither read nor write the index cache
    #[arg(long)]
    no_cache: bool,
    /// Rebuild the cached index (download again from TAXII)
    #[arg(long, conflicts_with = "no_cache")]
    refresh: bool,
    /// Download from TAXII again when the cached copy is older than this many hours
    #[arg(long, value_name = "HOURS", default_value_t = 24)]
    max_age: u64,
}

/// How to print the answer.
#[derive(Debug, clap::Args)]
pub struct OutputArgs {
    /// text: a readable table; json: the MITRE integration's function result
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// The MITRE integration generation whose JSON to print: v1 (bare dict) or v2 (envelope)
    #[arg(long, value_enum, default_value_t)]
    api: ApiArg,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
enum ApiArg {
    #[default]
    V1,
    V2,
}

pub fn run(command: Command, env: &Environment) -> CmdResult {
    let started = Instant::now();
    let layout = super::term::Term::detect(env.no_color).layout();
    match command {
        Command::Tactic {
            names,
            source,
            output,
        } => lookup(&source, env, |index, filter| {
            tactic(index, &names, filter, &output, started, layout)
        }),
        Command::Technique {
            name,
            source,
            output,
        } => lookup(&source, env, |index, filter| {
            technique(index, &name, filter, &output, started, layout)
        }),
        Command::Snapshot {
            bundle,
            out,
            attack_version,
        } => {
            let path = attack::snapshot::write(&out, &bundle, attack_version.as_deref())?;
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            outln!(
                "wrote {} ({size} bytes) and {}",
                path.display(),
                out.join(attack::snapshot::LICENSE_FILE).display()
            )?;
            Ok(Exit::Success)
        }
        Command::License => {
            out!("{}", attack::snapshot::LICENSE)?;
            Ok(Exit::Success)
        }
    }
}

/// Open the source, answer with `answer`, print what it says.
fn lookup(
    source: &SourceArgs,
    env: &Environment,
    answer: impl FnOnce(&Index, Filter) -> Result<String, AttackError>,
) -> CmdResult {
    let index = open(source, env)?;
    let filter = Filter {
        domain: source.domain,
        include_revoked: source.include_revoked,
    };
    match answer(&index, filter) {
        Ok(text) => {
            super::term::print(&text)?;
            Ok(Exit::Success)
        }
        // Not finding what was asked for is an answer about the data, not a failure to run.
        Err(
            e @ (AttackError::UnknownTactic { .. }
            | AttackError::UnknownTechnique { .. }
            | AttackError::Hidden { .. }),
        ) => {
            eprintln!("error: {e}");
            if let Some(h) = e.help() {
                eprintln!("help: {h}");
            }
            Ok(Exit::Findings)
        }
        Err(e) => Err(e.into()),
    }
}

fn open(args: &SourceArgs, env: &Environment) -> Result<Index, CmdError> {
    let source = match (&args.bundle, &args.taxii) {
        (Some(b), _) => Some(Source::Bundle(b.clone())),
        (None, Some(url)) => Some(Source::Taxii(taxii_source(url, args, env))),
        (None, None) => match (&env.attack.bundle, &env.attack.taxii) {
            (Some(b), _) => Some(Source::Bundle(b.clone())),
            (None, Some(url)) => Some(Source::Taxii(taxii_source(url, args, env))),
            (None, None) => None,
        },
    };
    let cache = if args.no_cache {
        CachePolicy::Off
    } else {
        match env.attack_cache() {
            CachePolicy::Dir { dir, .. } => CachePolicy::Dir {
                dir,
                max_age: Duration::from_secs(args.max_age.saturating_mul(3600)),
                refresh: args.refresh,
            },
            CachePolicy::Off => CachePolicy::Off,
        }
    };
    let opened = attack::resolve(source.as_ref(), args.domain, &cache)?;
    for note in &opened.notes {
        eprintln!("note: {note}");
    }
    eprintln!("source: {}", opened.describe());
    Ok(opened.index)
}

fn taxii_source(url: &str, args: &SourceArgs, env: &Environment) -> TaxiiSource {
    let mut t = TaxiiSource::new(url, args.domain.unwrap_or(Domain::Enterprise));
    t.collection = args.collection.clone();
    if let Some(u) = &args.taxii_user {
        t.options.user = Some(u.clone());
    }
    t.options.password = env.taxii_password.clone();
    t.options.page_size = args.page_size.map(|n| n as usize);
    t.options.progress = std::io::stderr().is_terminal();
    t
}

fn tactic(
    index: &Index,
    names: &str,
    filter: Filter,
    out: &OutputArgs,
    started: Instant,
    layout: Layout,
) -> Result<String, AttackError> {
    let mut tactics: Vec<TacticIdx> = Vec::new();
    let mut ids = Vec::new();
    let mut labels = Vec::new();
    for item in names.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        for t in index.require_tactics(item, filter)? {
            if !tactics.contains(&t) {
                tactics.push(t);
            }
        }
        if looks_like_id(item, "TA") {
            ids.push(item);
        } else {
            labels.push(item);
        }
    }
    if tactics.is_empty() {
        return Err(AttackError::UnknownTactic {
            query: names.to_owned(),
            scope: index.origin().to_owned(),
        });
    }
    match (out.format, out.api) {
        (Format::Json, ApiArg::V1) => {
            let result = mitre::TacticsV1 {
                mitre_tactics: tactics
                    .iter()
                    .map(|t| mitre::tactic_v1(index, *t, filter))
                    .collect(),
            };
            Ok(json_text(&result))
        }
        (Format::Json, ApiArg::V2) => {
            let content = serde_json::json!({
                "mitre_tactics": tactics.iter().map(|t| mitre::tactic_v2(index, *t, filter)).collect::<Vec<_>>(),
            });
            let inputs = inputs([
                ("mitre_tactic_id", ids.join(", ")),
                ("mitre_tactic_name", labels.join(", ")),
            ]);
            Ok(json_text(&mitre::result_payload(content, &inputs, started)))
        }
        (Format::Text, _) => Ok(tactics
            .iter()
            .map(|t| attack::render::tactic_table(index, *t, filter, layout))
            .collect::<Vec<_>>()
            .join("\n")),
    }
}

fn technique(
    index: &Index,
    query: &str,
    filter: Filter,
    out: &OutputArgs,
    started: Instant,
    layout: Layout,
) -> Result<String, AttackError> {
    let found = index.require_techniques(query, filter)?;
    for r in &found {
        if let Some(old) = r.replaced {
            let (o, n) = (index.technique(old), index.technique(r.technique));
            eprintln!(
                "note: {} {} is revoked; showing its replacement {} {}",
                o.attack_id, o.name, n.attack_id, n.name
            );
        }
    }
    let first = found[0].technique;
    match (out.format, out.api) {
        (Format::Json, ApiArg::V1) => {
            let result = mitre::TechniqueInfoV1 {
                tech: mitre::tech_v1(index, first),
                mitre_mitigation: mitre::mitigation_text_v1(index, first, filter),
            };
            Ok(json_text(&result))
        }
        (Format::Json, ApiArg::V2) => {
            let key = if looks_like_id(query.trim(), "T") {
                "mitre_technique_id"
            } else {
                "mitre_technique_name"
            };
            let inputs = inputs([(key, query.trim().to_owned())]);
            let mut out = mitre::mitre_technique_information_v2(index, &inputs)
                .map(|o| o.result)
                .unwrap_or_default();
            out["metrics"]["execution_time_ms"] = (started.elapsed().as_millis() as u64).into();
            Ok(json_text(&out))
        }
        (Format::Text, _) => Ok(found
            .iter()
            .map(|r| attack::render::technique_text(index, r.technique, filter, layout))
            .collect::<Vec<_>>()
            .join("\n")),
    }
}

/// Pretty JSON with a trailing newline. These types always serialise (plain structs and
/// `Value`s); the fallback keeps the output JSON all the same.
fn json_text<T: serde::Serialize>(v: &T) -> String {
    let mut text = serde_json::to_string_pretty(v)
        .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }).to_string());
    text.push('\n');
    text
}

fn inputs<const N: usize>(pairs: [(&str, String); N]) -> crate::runtime::Inputs {
    pairs
        .into_iter()
        .map(|(k, v)| {
            let v = if v.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::Value::String(v)
            };
            (k.to_owned(), v)
        })
        .collect()
}

fn looks_like_id(s: &str, prefix: &str) -> bool {
    // `get`, not `s[..n]`: the prefix's length in bytes may fall inside a character of the
    // query (the Kelvin sign `\u{212A}`, three bytes, lower-cases to an ASCII `k`).
    match (s.get(..prefix.len()), s.get(prefix.len()..)) {
        (Some(head), Some(rest)) => {
            !rest.is_empty()
                && head.eq_ignore_ascii_case(prefix)
                && rest.chars().all(|c| c.is_ascii_digit() || c == '.')
        }
        _ => false,
    }
}
