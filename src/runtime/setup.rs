//! Assembling a [`Runtime`] from what the user gave (`RUNTIME` on the command line), and saying
//! where each part came from.
//!
//! - ATT&CK: a bundle file, else a TAXII URL, else `$RESPACK_ATTACK_BUNDLE` /
//!   `$RESPACK_ATTACK_TAXII` (read by the CLI, given here as [`AttackDefaults`]), else a cached
//!   download from MITRE's TAXII server newer than the snapshot, else the snapshot shipped in the
//!   binary ([`crate::attack::resolve`]).
//! - QRadar (QRadar Advisor, its CAFM app, QRadar's reference sets): an app.config with the
//!   integrations' sections, or a scenario played by the emulated QRadar
//!   ([`crate::emulate`]) started in this process.
//! - `[fn_mitre_integration]` of the same app.config (read once, by [`crate::appconfig`]) may name `stix_bundle_path` or `taxii_url`
//!   (our own keys: the 1.0 integration had none) and `api = v1 | v2`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::mitre::Api;
use super::qradar::config::AppConfig;
use super::qradar::QradarError;
use super::Runtime;
use crate::appconfig;
use crate::attack::{self, AttackError, CachePolicy, Domain, Index, Source, TaxiiSource};
use crate::emulate::scenario::ScenarioError;
use crate::emulate::{EmulatedServer, Scenario};
use crate::help::Help;

/// Where ATT&CK comes from.
#[derive(Debug, Clone)]
pub enum AttackSpec {
    /// A STIX bundle file.
    Bundle(PathBuf),
    /// A TAXII 2.0/2.1 server.
    Taxii(String),
    /// What the environment names, then a newer cached MITRE download, then the shipped
    /// snapshot.
    Auto(AttackDefaults),
}

impl Default for AttackSpec {
    fn default() -> Self {
        AttackSpec::Auto(AttackDefaults::default())
    }
}

/// The ATT&CK source the environment names (`RESPACK_ATTACK_BUNDLE`, `RESPACK_ATTACK_TAXII`, read
/// by the CLI), for when neither the command line nor the app.config names one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttackDefaults {
    pub bundle: Option<PathBuf>,
    pub taxii: Option<String>,
}

/// Where the QRadar functions go.
#[derive(Debug, Clone)]
pub enum QradarSpec {
    /// The `[fn_qradar_advisor]`, `[fn_qradar_integration]` and `[fn_mitre_integration]`
    /// sections of this app.config.
    Config(Box<appconfig::AppConfig>),
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
        QradarSpec::Config(file) => {
            let path = file.file();
            let config = AppConfig::from_config(file)?;
            // Both stories start with a QRadar Advisor function: without its section nothing
            // could run, so say so before anything does.
            config.advisor()?;
            let mitre = MitreSection::from_config(file)?;
            if matches!(attack_spec, AttackSpec::Auto(_)) {
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
    let source = match spec {
        AttackSpec::Bundle(path) => Some(Source::Bundle(path.clone())),
        AttackSpec::Taxii(url) => Some(Source::Taxii(TaxiiSource::new(url, Domain::Enterprise))),
        AttackSpec::Auto(defaults) => match (&defaults.bundle, &defaults.taxii) {
            (Some(b), _) => Some(Source::Bundle(b.clone())),
            (None, Some(url)) => Some(Source::Taxii(TaxiiSource::new(url, Domain::Enterprise))),
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
    fn from_config(config: &appconfig::AppConfig) -> Result<MitreSection, SetupError> {
        let Some(section) = config.section("fn_mitre_integration") else {
            return Ok(MitreSection::default());
        };
        let get = |k: &str| section.optional(k).map_err(QradarError::from);
        let base = config.file().parent().unwrap_or(Path::new("."));
        let api = match get("api")? {
            None => None,
            Some("v1" | "1" | "1.0") => Some(Api::V1),
            Some("v2" | "2" | "2.x") => Some(Api::V2),
            Some(other) => {
                return Err(SetupError::MitreApi {
                    file: config.file().to_path_buf(),
                    value: other.to_string(),
                })
            }
        };
        Ok(MitreSection {
            bundle: get("stix_bundle_path")?.map(|p| base.join(p)),
            taxii: get("taxii_url")?.map(String::from),
            api,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mitre(text: &str, vars: &[(&str, &str)]) -> Result<MitreSection, SetupError> {
        let config = appconfig::AppConfig::parse(
            Path::new("/etc/res/app.config"),
            text,
            &vars.iter().copied().collect(),
        )
        .map_err(QradarError::from)?;
        MitreSection::from_config(&config)
    }

    /// The `[fn_mitre_integration]` reader took `#` for an inline comment, so
    /// `/x/enterprise#4.json.gz` was read as `/x/enterprise`.
    #[test]
    fn stix_bundle_path_with_a_hash_was_cut_at_the_hash() {
        let m = mitre(
            "[fn_mitre_integration]\nstix_bundle_path = /x/enterprise#4.json.gz\napi = v2\n",
            &[],
        )
        .unwrap();
        assert_eq!(m.bundle, Some(PathBuf::from("/x/enterprise#4.json.gz")));
        assert_eq!(m.api, Some(Api::V2));
    }

    #[test]
    fn mitre_section_goes_through_the_one_reader() {
        // Environment values, relative paths from the file's folder, and the reader's errors.
        let m = mitre(
            "[fn_mitre_integration]\nstix_bundle_path = ${BUNDLES}/e.json\ntaxii_url = $TAXII\n",
            &[("BUNDLES", "b"), ("TAXII", "https://t/taxii2/")],
        )
        .unwrap();
        assert_eq!(m.bundle, Some(PathBuf::from("/etc/res/b/e.json")));
        assert_eq!(m.taxii.as_deref(), Some("https://t/taxii2/"));
        let e = mitre("[fn_mitre_integration]\napi = v1\nAPI = v2\n", &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/etc/res/app.config:3: [fn_mitre_integration] api is given twice (first on line 2)"
        );
        let e = mitre("[fn_mitre_integration]\ntaxii_url = $NOPE\n", &[]).unwrap_err();
        assert!(
            e.to_string()
                .contains("taxii_url refers to the environment variable NOPE"),
            "{e}"
        );
        assert!(e.help().unwrap().contains("export NOPE"));
    }
}
