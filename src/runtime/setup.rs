//! Assembling a [`Runtime`] from what the user gave (`RUNTIME` on the command line), and saying
//! where each part came from.
//!
//! - ATT&CK: a bundle file, else a TAXII URL, else `$RESPACK_ATTACK_BUNDLE` /
//!   `$RESPACK_ATTACK_TAXII`, else a cached download from MITRE's TAXII server newer than the
//!   snapshot, else the snapshot shipped in the binary ([`crate::attack::resolve`]).
//! - QRadar (QRadar Advisor, its CAFM app, QRadar's reference sets): an app.config with the
//!   integrations' sections, or a scenario played by the emulated QRadar
//!   ([`crate::server::emulated`]) started in this process.
//! - `[fn_mitre_integration]` of the same app.config may name `stix_bundle_path` or `taxii_url`
//!   (our own keys: the 1.0 integration had none) and `api = v1 | v2`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::mitre::Api;
use super::qradar::config::AppConfig;
use super::qradar::QradarError;
use super::Runtime;
use crate::attack::{self, AttackError, CachePolicy, Domain, Index, Source, TaxiiSource};
use crate::help::Help;
use crate::server::emulated::scenario::ScenarioError;
use crate::server::emulated::{EmulatedServer, Scenario};

/// Where ATT&CK comes from.
#[derive(Debug, Clone, Default)]
pub enum AttackSpec {
    /// A STIX bundle file.
    Bundle(PathBuf),
    /// A TAXII 2.0/2.1 server.
    Taxii(String),
    /// The environment, then a newer cached MITRE download, then the shipped snapshot.
    #[default]
    Auto,
}

/// Where the QRadar functions go.
#[derive(Debug, Clone)]
pub enum QradarSpec {
    /// The `[fn_qradar_advisor]` and `[fn_qradar_integration]` sections of this app.config.
    Config(PathBuf),
    /// An emulated QRadar playing this scenario, started for the run; `name` says which.
    Scenario {
        scenario: Box<Scenario>,
        name: String,
    },
}

impl QradarSpec {
    /// The built-in scenario: the package README's story.
    pub fn builtin() -> QradarSpec {
        QradarSpec::Scenario {
            scenario: Box::new(Scenario::builtin()),
            name: BUILTIN_SCENARIO.into(),
        }
    }

    /// `builtin` or a scenario file.
    pub fn scenario(arg: &str) -> Result<QradarSpec, SetupError> {
        let (scenario, name) = load_scenario(arg)?;
        Ok(QradarSpec::Scenario {
            scenario: Box::new(scenario),
            name,
        })
    }
}

/// The scenario `arg` names (`builtin` or a file), and a phrase saying which it is.
pub fn load_scenario(arg: &str) -> Result<(Scenario, String), SetupError> {
    if arg == "builtin" {
        return Ok((Scenario::builtin(), BUILTIN_SCENARIO.to_string()));
    }
    let path = Path::new(arg);
    Ok((
        Scenario::load(path)?,
        format!("scenario {}", path.display()),
    ))
}

/// How the built-in scenario is named in output.
pub const BUILTIN_SCENARIO: &str = "built-in scenario 'readme' (the package README's story)";

/// Why the runtime could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Attack(#[from] AttackError),
    #[error(transparent)]
    Qradar(#[from] QradarError),
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error("cannot start the emulated QRadar: {0}")]
    Emulation(std::io::Error),
    #[error("{}: [fn_mitre_integration] api = {value:?}: expected v1 or v2", file.display())]
    MitreApi { file: PathBuf, value: String },
}

impl Help for SetupError {
    fn help(&self) -> Option<String> {
        match self {
            SetupError::Attack(e) => e.help(),
            SetupError::Qradar(e) => e.help(),
            SetupError::Scenario(e) => e.help(),
            SetupError::Emulation(_) => None,
            SetupError::MitreApi { .. } => {
                Some("v1 answers as MITRE integration 1.0, v2 as 2.x".into())
            }
        }
    }
}

/// A runtime ready to call, with the emulated QRadar it may use (stopped when this is dropped)
/// and one line per part saying where it comes from.
pub struct Assembled {
    pub runtime: Runtime,
    pub sources: Vec<String>,
    /// Things the user may want to know (a stale ATT&CK cache used, ...).
    pub notes: Vec<String>,
    pub emulation: Option<EmulatedServer>,
}

/// What to assemble.
#[derive(Debug, Clone)]
pub struct Spec {
    pub attack: AttackSpec,
    pub qradar: QradarSpec,
    /// Overrides `[fn_mitre_integration] api`.
    pub mitre_api: Option<Api>,
    pub cache: CachePolicy,
}

/// Open the ATT&CK data, start the emulation if asked, read the app.config.
pub fn assemble(spec: &Spec) -> Result<Assembled, SetupError> {
    let mut sources = Vec::new();
    let mut notes = Vec::new();
    let mut attack_spec = spec.attack.clone();
    let mut mitre_api = spec.mitre_api;
    let (qradar, emulation) = match &spec.qradar {
        QradarSpec::Config(path) => {
            let config = AppConfig::load(path)?;
            // Both stories start with a QRadar Advisor function: without its section nothing
            // could run, so say so before anything does.
            config.advisor()?;
            let mitre = MitreSection::load(path)?;
            if matches!(attack_spec, AttackSpec::Auto) {
                if let Some(bundle) = mitre.bundle {
                    attack_spec = AttackSpec::Bundle(bundle);
                } else if let Some(url) = mitre.taxii {
                    attack_spec = AttackSpec::Taxii(url);
                }
            }
            mitre_api = mitre_api.or(mitre.api);
            if let Some(a) = &config.advisor {
                sources.push(format!(
                    "QRadar Advisor: {} ([fn_qradar_advisor] of {})",
                    a.host,
                    path.display()
                ));
            }
            if let Some(q) = &config.qradar {
                sources.push(format!(
                    "QRadar reference sets: {} ([fn_qradar_integration] of {})",
                    q.host,
                    path.display()
                ));
            }
            (config, None)
        }
        QradarSpec::Scenario { scenario, name } => {
            let server =
                EmulatedServer::start(scenario.as_ref().clone()).map_err(SetupError::Emulation)?;
            let config = AppConfig::parse(&server.app_config(), Path::new("(emulated QRadar)"))?;
            sources.push(format!(
                "QRadar Advisor, CAFM and reference sets: emulated at {}, {name}",
                server.base_url()
            ));
            (config, Some(server))
        }
    };
    let (index, origin, attack_notes) = open_attack(&attack_spec, &spec.cache)?;
    notes.extend(attack_notes);
    let api = mitre_api.unwrap_or_default();
    sources.push(format!(
        "MITRE ATT&CK: {origin} ({} tactics, {} techniques), answered as MITRE integration {}",
        index.data().tactics.len(),
        index.data().techniques.len(),
        match api {
            Api::V1 => "1.0",
            Api::V2 => "2.x",
        }
    ));
    Ok(Assembled {
        runtime: Runtime {
            attack: Some(index),
            attack_unavailable: None,
            mitre_api: api,
            qradar: Some(qradar),
        },
        sources,
        notes,
        emulation,
    })
}

/// Open ATT&CK as `spec` says: the index, a sentence saying where it came from, and notes.
pub fn open_attack(
    spec: &AttackSpec,
    cache: &CachePolicy,
) -> Result<(Arc<Index>, String, Vec<String>), AttackError> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let source = match spec {
        AttackSpec::Bundle(path) => Some(Source::Bundle(path.clone())),
        AttackSpec::Taxii(url) => Some(Source::Taxii(TaxiiSource::new(url, Domain::Enterprise))),
        AttackSpec::Auto => match (env("RESPACK_ATTACK_BUNDLE"), env("RESPACK_ATTACK_TAXII")) {
            (Some(b), _) => Some(Source::Bundle(b.into())),
            (None, Some(url)) => Some(Source::Taxii(TaxiiSource::new(&url, Domain::Enterprise))),
            // Nothing named: a newer cached download from MITRE, else the shipped snapshot.
            (None, None) => None,
        },
    };
    let opened = attack::resolve(source.as_ref(), None, cache)?;
    let origin = opened.describe();
    Ok((Arc::new(opened.index), origin, opened.notes))
}

/// Our keys of `[fn_mitre_integration]`.
#[derive(Debug, Default)]
struct MitreSection {
    bundle: Option<PathBuf>,
    taxii: Option<String>,
    api: Option<Api>,
}

impl MitreSection {
    fn load(path: &Path) -> Result<MitreSection, SetupError> {
        let text = std::fs::read_to_string(path).map_err(|source| QradarError::ReadConfig {
            file: path.to_path_buf(),
            source,
        })?;
        let mut ini = configparser::ini::Ini::new();
        let map = ini.read(text).map_err(|message| QradarError::ParseConfig {
            file: path.to_path_buf(),
            message,
        })?;
        let Some(section) = map.get("fn_mitre_integration") else {
            return Ok(MitreSection::default());
        };
        let get = |k: &str| {
            section
                .get(k)
                .cloned()
                .flatten()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let base = path.parent().unwrap_or(Path::new("."));
        let api = match get("api").as_deref() {
            None => None,
            Some("v1" | "1" | "1.0") => Some(Api::V1),
            Some("v2" | "2" | "2.x") => Some(Api::V2),
            Some(other) => {
                return Err(SetupError::MitreApi {
                    file: path.to_path_buf(),
                    value: other.to_string(),
                })
            }
        };
        Ok(MitreSection {
            bundle: get("stix_bundle_path").map(|p| base.join(p)),
            taxii: get("taxii_url"),
            api,
        })
    }
}
