//! The ATT&CK index: tactics, techniques, mitigations and detection strategies, resolved once,
//! with lookup tables so that a query in a running process takes microseconds.
//!
//! Objects refer to each other by typed positions ([`TacticIdx`], [`TechniqueIdx`], ...) into
//! the index's vectors, never by raw STIX id strings, so a technique can't be handed where a
//! mitigation is meant. The vectors (not the lookup tables) are what the disk cache stores.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::stix::{Envelope, StixObject, Str};
use super::AttackError;

/// An ATT&CK domain (matrix). The same tactic name exists in several of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Domain {
    Enterprise,
    Mobile,
    Ics,
}

impl Domain {
    pub const ALL: [Domain; 3] = [Domain::Enterprise, Domain::Mobile, Domain::Ics];

    /// The kill-chain name techniques of this domain use in `kill_chain_phases`.
    pub fn kill_chain_name(self) -> &'static str {
        match self {
            Domain::Enterprise => "mitre-attack",
            Domain::Mobile => "mitre-mobile-attack",
            Domain::Ics => "mitre-ics-attack",
        }
    }

    fn from_kill_chain_name(name: &str) -> Option<Domain> {
        Domain::ALL
            .into_iter()
            .find(|d| d.kill_chain_name() == name)
    }

    /// `enterprise-attack`, as in `x_mitre_domains` and MITRE's file names.
    pub fn stix_name(self) -> &'static str {
        match self {
            Domain::Enterprise => "enterprise-attack",
            Domain::Mobile => "mobile-attack",
            Domain::Ics => "ics-attack",
        }
    }

    fn from_stix_name(name: &str) -> Option<Domain> {
        Domain::ALL.into_iter().find(|d| d.stix_name() == name)
    }

    /// The TAXII collection title, which the MITRE integration 2.x reports as `collection`.
    pub fn collection_title(self) -> &'static str {
        match self {
            Domain::Enterprise => "Enterprise ATT&CK",
            Domain::Mobile => "Mobile ATT&CK",
            Domain::Ics => "ICS ATT&CK",
        }
    }

    /// `enterprise`, `mobile`, `ics`: the `--domain` spelling.
    pub fn short(self) -> &'static str {
        match self {
            Domain::Enterprise => "enterprise",
            Domain::Mobile => "mobile",
            Domain::Ics => "ics",
        }
    }
}

impl std::fmt::Display for Domain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.short())
    }
}

impl std::str::FromStr for Domain {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase();
        Domain::ALL
            .into_iter()
            .find(|d| s == d.short() || s == d.stix_name())
            .ok_or_else(|| format!("unknown ATT&CK domain {s:?} (enterprise, mobile, ics)"))
    }
}

macro_rules! idx {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(u32);
        impl $name {
            fn at(self) -> usize {
                self.0 as usize
            }
            /// The position as a number (for the cache codec).
            #[allow(dead_code)]
            pub(crate) fn raw(self) -> u32 {
                self.0
            }
            #[allow(dead_code)]
            pub(crate) fn from_raw(n: u32) -> Self {
                $name(n)
            }
        }
    };
}
idx!(
    /// Position of a tactic in an [`Index`].
    TacticIdx
);
idx!(
    /// Position of a technique (or sub-technique) in an [`Index`].
    TechniqueIdx
);
idx!(
    /// Position of a mitigation (course-of-action) in an [`Index`].
    MitigationIdx
);
idx!(
    /// Position of a detection strategy in an [`Index`].
    StrategyIdx
);

/// Whether an object is current. Revoked and deprecated objects are hidden by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Live,
    Deprecated,
    Revoked,
}

impl Status {
    fn of(o: &StixObject) -> Status {
        if o.revoked == Some(true) {
            Status::Revoked
        } else if o.x_mitre_deprecated == Some(true) {
            Status::Deprecated
        } else {
            Status::Live
        }
    }
    pub fn is_live(self) -> bool {
        self == Status::Live
    }
    pub fn word(self) -> &'static str {
        match self {
            Status::Live => "live",
            Status::Deprecated => "deprecated",
            Status::Revoked => "revoked",
        }
    }
}

/// One external reference of a technique, in the order the data lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    pub source_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// An `x-mitre-tactic`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tactic {
    pub stix_id: String,
    /// TA0011.
    pub attack_id: String,
    pub name: String,
    /// `command-and-control`: what techniques name in `kill_chain_phases.phase_name`.
    pub shortname: String,
    pub description: String,
    pub domain: Domain,
    pub status: Status,
    /// Position in the domain's matrix (`tactic_refs`); tactics outside a matrix sort last.
    pub order: u32,
}

impl Tactic {
    /// `https://attack.mitre.org/tactics/TA0011` (no trailing slash, as MITRE writes it).
    pub fn url(&self) -> String {
        format!("https://attack.mitre.org/tactics/{}", self.attack_id)
    }
}

/// A technique's place in a tactic: `(domain, phase_name)` of one kill-chain phase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phase {
    pub domain: Domain,
    pub shortname: String,
}

/// A `mitigates` relationship as seen from the technique.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MitigationLink {
    pub mitigation: MitigationIdx,
    /// The relationship's own description: since ATT&CK v5 the technique-specific text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// An `attack-pattern`: a technique or sub-technique.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Technique {
    pub stix_id: String,
    /// T1205 or T1205.001; empty when the data has none.
    pub attack_id: String,
    pub name: String,
    pub description: String,
    pub references: Vec<Reference>,
    /// `x_mitre_detection` as published (empty for every technique since ATT&CK v18).
    pub x_mitre_detection: String,
    pub phases: Vec<Phase>,
    pub platforms: Vec<String>,
    pub domain: Domain,
    pub status: Status,
    pub is_subtechnique: bool,
    pub parent: Option<TechniqueIdx>,
    pub subtechniques: Vec<TechniqueIdx>,
    /// For a revoked technique, the one that replaces it (`revoked-by`).
    pub revoked_by: Option<TechniqueIdx>,
    /// All `mitigates` links, sorted by mitigation id; dead mitigations included.
    pub mitigations: Vec<MitigationLink>,
    /// The detection strategy that `detects` this technique (ATT&CK v18 and later).
    pub detection_strategy: Option<StrategyIdx>,
}

/// A `course-of-action`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mitigation {
    pub stix_id: String,
    /// M1037, or in ATT&CK ≤ v4 the T id of the technique it was written for.
    pub attack_id: String,
    pub name: String,
    pub description: String,
    pub status: Status,
}

/// An `x-mitre-analytic` as listed by a detection strategy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Analytic {
    /// AN1448.
    pub attack_id: String,
    pub platforms: Vec<String>,
    pub description: String,
    /// Distinct data components its log sources refer to: `(name, DC id)`.
    pub data_components: Vec<(String, String)>,
}

/// An `x-mitre-detection-strategy` with its analytics resolved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DetectionStrategy {
    /// DET0524.
    pub attack_id: String,
    pub name: String,
    pub analytics: Vec<Analytic>,
}

/// The data the index is built from and the disk cache stores; lookup tables are derived.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct IndexData {
    pub tactics: Vec<Tactic>,
    pub techniques: Vec<Technique>,
    pub mitigations: Vec<Mitigation>,
    pub strategies: Vec<DetectionStrategy>,
    /// Where the data came from (file path or TAXII URL), for messages.
    pub origin: String,
    /// The ATT&CK release ("18.1"): from the data's `x-mitre-collection`, else from the bundle's
    /// file name (`enterprise-attack-18.1.json`); `None` when neither says.
    #[serde(default)]
    pub attack_version: Option<String>,
}

impl IndexData {
    /// Check that every position points inside its vector, so that data read back from a
    /// cache file can never make a lookup index out of bounds.
    pub fn validate(&self) -> Result<(), String> {
        let (nt, nm, ns) = (
            self.techniques.len(),
            self.mitigations.len(),
            self.strategies.len(),
        );
        for t in &self.techniques {
            let techs = t
                .parent
                .iter()
                .chain(t.revoked_by.iter())
                .chain(t.subtechniques.iter());
            for x in techs {
                if x.at() >= nt {
                    return Err(format!(
                        "{}: technique position {} out of range",
                        t.stix_id, x.0
                    ));
                }
            }
            for l in &t.mitigations {
                if l.mitigation.at() >= nm {
                    return Err(format!("{}: mitigation position out of range", t.stix_id));
                }
            }
            if t.detection_strategy.is_some_and(|s| s.at() >= ns) {
                return Err(format!(
                    "{}: detection strategy position out of range",
                    t.stix_id
                ));
            }
        }
        Ok(())
    }
}

/// Options of a lookup.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this domain; `None` searches every domain the index holds.
    pub domain: Option<Domain>,
    /// Show revoked and deprecated objects instead of hiding them.
    pub include_revoked: bool,
}

impl Filter {
    fn admits(&self, domain: Domain, status: Status) -> bool {
        self.domain.is_none_or(|d| d == domain) && (self.include_revoked || status.is_live())
    }
}

/// The index. Cheap to share: wrap it in an `Arc` and query from any thread.
#[derive(Debug)]
pub struct Index {
    data: IndexData,
    /// Lower-cased name, shortname and TA id → tactics.
    tactic_keys: HashMap<String, Vec<TacticIdx>>,
    /// Lower-cased name and T id → techniques.
    technique_keys: HashMap<String, Vec<TechniqueIdx>>,
    /// Techniques of each tactic, sorted by ATT&CK id (sub-techniques right after their parent).
    tactic_techniques: Vec<Vec<TechniqueIdx>>,
    /// Derived detection texts, built on first use (most lookups touch few techniques).
    detections: Vec<std::sync::OnceLock<String>>,
}

impl Index {
    /// Derive the lookup tables from the data (after a build or a cache load).
    pub fn from_data(data: IndexData) -> Index {
        let n_techniques = data.techniques.len();
        let mut tactic_keys: HashMap<String, Vec<TacticIdx>> = HashMap::new();
        for (i, t) in data.tactics.iter().enumerate() {
            let idx = TacticIdx(i as u32);
            for key in [&t.name, &t.shortname, &t.attack_id] {
                if !key.is_empty() {
                    let list = tactic_keys.entry(key.to_lowercase()).or_default();
                    if !list.contains(&idx) {
                        list.push(idx);
                    }
                }
            }
        }
        let mut technique_keys: HashMap<String, Vec<TechniqueIdx>> = HashMap::new();
        let mut by_phase: HashMap<(Domain, &str), Vec<TechniqueIdx>> = HashMap::new();
        for (i, t) in data.techniques.iter().enumerate() {
            let idx = TechniqueIdx(i as u32);
            for key in [&t.name, &t.attack_id] {
                if !key.is_empty() {
                    let list = technique_keys.entry(key.to_lowercase()).or_default();
                    if !list.contains(&idx) {
                        list.push(idx);
                    }
                }
            }
            for p in &t.phases {
                let list = by_phase
                    .entry((p.domain, p.shortname.as_str()))
                    .or_default();
                if !list.contains(&idx) {
                    list.push(idx);
                }
            }
        }
        let tactic_techniques = data
            .tactics
            .iter()
            .map(|t| {
                let mut list = by_phase
                    .get(&(t.domain, t.shortname.as_str()))
                    .cloned()
                    .unwrap_or_default();
                list.sort_by(|a, b| {
                    let (x, y) = (&data.techniques[a.at()], &data.techniques[b.at()]);
                    (&x.attack_id, &x.name).cmp(&(&y.attack_id, &y.name))
                });
                list
            })
            .collect();
        Index {
            data,
            tactic_keys,
            technique_keys,
            tactic_techniques,
            detections: (0..n_techniques)
                .map(|_| std::sync::OnceLock::new())
                .collect(),
        }
    }

    /// The data behind the index (what the cache stores).
    pub fn data(&self) -> &IndexData {
        &self.data
    }

    /// Where the data came from: a file path or a TAXII URL.
    pub fn origin(&self) -> &str {
        &self.data.origin
    }

    /// The same index with `attack_version` set (the release a file name states). Lookup tables
    /// do not depend on it, so nothing is rebuilt.
    pub fn with_attack_version(mut self, version: Option<String>) -> Index {
        self.data.attack_version = version;
        self
    }

    /// The ATT&CK release of the data ("18.1"), when the data or its file name says.
    pub fn attack_version(&self) -> Option<&str> {
        self.data.attack_version.as_deref()
    }

    /// Domains that have at least one tactic, in [`Domain::ALL`] order.
    pub fn domains(&self) -> Vec<Domain> {
        Domain::ALL
            .into_iter()
            .filter(|d| self.data.tactics.iter().any(|t| t.domain == *d))
            .collect()
    }

    pub fn tactic(&self, i: TacticIdx) -> &Tactic {
        &self.data.tactics[i.at()]
    }
    pub fn technique(&self, i: TechniqueIdx) -> &Technique {
        &self.data.techniques[i.at()]
    }
    pub fn mitigation(&self, i: MitigationIdx) -> &Mitigation {
        &self.data.mitigations[i.at()]
    }
    pub fn strategy(&self, i: StrategyIdx) -> &DetectionStrategy {
        &self.data.strategies[i.at()]
    }

    /// All tactics the filter admits, in domain then matrix order.
    pub fn tactics(&self, filter: Filter) -> Vec<TacticIdx> {
        let mut v: Vec<TacticIdx> = (0..self.data.tactics.len() as u32)
            .map(TacticIdx)
            .filter(|i| {
                let t = self.tactic(*i);
                filter.admits(t.domain, t.status)
            })
            .collect();
        v.sort_by_key(|i| {
            let t = self.tactic(*i);
            (t.domain, t.order, t.attack_id.clone())
        });
        v
    }

    /// Tactics whose name, shortname or TA id equals `query` (case-insensitive), one per
    /// domain, in domain order. Empty when nothing matches.
    pub fn find_tactics(&self, query: &str, filter: Filter) -> Vec<TacticIdx> {
        let mut found: Vec<TacticIdx> = self
            .tactic_keys
            .get(&query.trim().to_lowercase())
            .map(|v| {
                v.iter()
                    .copied()
                    .filter(|i| {
                        let t = self.tactic(*i);
                        filter.admits(t.domain, t.status)
                    })
                    .collect()
            })
            .unwrap_or_default();
        found.sort_by_key(|i| (self.tactic(*i).domain, i.0));
        found
    }

    /// Like [`Index::find_tactics`], but an error naming the query when nothing matches.
    pub fn require_tactics(
        &self,
        query: &str,
        filter: Filter,
    ) -> Result<Vec<TacticIdx>, AttackError> {
        let found = self.find_tactics(query, filter);
        if found.is_empty() {
            return Err(AttackError::UnknownTactic {
                query: query.trim().to_owned(),
                scope: self.scope(filter),
            });
        }
        Ok(found)
    }

    /// Techniques (and sub-techniques) of a tactic that the filter admits, sorted by id.
    pub fn techniques_of(&self, tactic: TacticIdx, filter: Filter) -> Vec<TechniqueIdx> {
        self.tactic_techniques[tactic.at()]
            .iter()
            .copied()
            .filter(|i| filter.include_revoked || self.technique(*i).status.is_live())
            .collect()
    }

    /// Techniques whose name or T id equals `query` (case-insensitive). Hidden (revoked or
    /// deprecated) ones are left out unless the filter includes them.
    pub fn find_techniques(&self, query: &str, filter: Filter) -> Vec<TechniqueIdx> {
        let mut found: Vec<TechniqueIdx> = self
            .technique_keys
            .get(&query.trim().to_lowercase())
            .map(|v| {
                v.iter()
                    .copied()
                    .filter(|i| {
                        let t = self.technique(*i);
                        filter.admits(t.domain, t.status)
                    })
                    .collect()
            })
            .unwrap_or_default();
        found.sort_by_key(|i| (self.technique(*i).domain, i.0));
        found
    }

    /// The techniques `query` names. When the only matches are hidden, a revoked technique
    /// is replaced by the technique that revoked it (`replaced` says which), and a deprecated
    /// one is an error that says so.
    pub fn require_techniques(
        &self,
        query: &str,
        filter: Filter,
    ) -> Result<Vec<Resolved>, AttackError> {
        let found = self.find_techniques(query, filter);
        if !found.is_empty() {
            return Ok(found
                .into_iter()
                .map(|t| Resolved {
                    technique: t,
                    replaced: None,
                })
                .collect());
        }
        let hidden = self.find_techniques(
            query,
            Filter {
                include_revoked: true,
                ..filter
            },
        );
        let Some(&first) = hidden.first() else {
            return Err(AttackError::UnknownTechnique {
                query: query.trim().to_owned(),
                scope: self.scope(filter),
            });
        };
        let mut resolved = Vec::new();
        for t in &hidden {
            if let Some(rep) = self.replacement(*t) {
                if !resolved.iter().any(|r: &Resolved| r.technique == rep) {
                    resolved.push(Resolved {
                        technique: rep,
                        replaced: Some(*t),
                    });
                }
            }
        }
        if resolved.is_empty() {
            let t = self.technique(first);
            return Err(AttackError::Hidden {
                kind: "Technique",
                query: query.trim().to_owned(),
                status: t.status.word(),
                replacement: String::new(),
            });
        }
        Ok(resolved)
    }

    /// Follow `revoked-by` links to the live technique that replaces `t`, if any.
    pub fn replacement(&self, t: TechniqueIdx) -> Option<TechniqueIdx> {
        let mut cur = t;
        // A revocation chain is short; the bound only guards against a cycle in bad data.
        for _ in 0..16 {
            let tech = self.technique(cur);
            match (tech.status, tech.revoked_by) {
                (Status::Live, _) if cur != t => return Some(cur),
                (_, Some(next)) => cur = next,
                _ => return None,
            }
        }
        None
    }

    /// The tactics a technique belongs to, in matrix order.
    pub fn tactics_of(&self, t: TechniqueIdx, filter: Filter) -> Vec<TacticIdx> {
        let tech = self.technique(t);
        self.tactics(Filter {
            domain: Some(tech.domain),
            ..filter
        })
        .into_iter()
        .filter(|ta| {
            let tac = self.tactic(*ta);
            tech.phases
                .iter()
                .any(|p| p.domain == tac.domain && p.shortname == tac.shortname)
        })
        .collect()
    }

    /// Mitigation links of a technique the filter admits (dead mitigations hidden by default).
    pub fn mitigations_of(&self, t: TechniqueIdx, filter: Filter) -> Vec<&MitigationLink> {
        self.technique(t)
            .mitigations
            .iter()
            .filter(|l| filter.include_revoked || self.mitigation(l.mitigation).status.is_live())
            .collect()
    }

    /// The detection text of a technique: `x_mitre_detection` when the data has one, else
    /// (ATT&CK v18 and later) the text derived from its detection strategy and analytics.
    pub fn detection(&self, t: TechniqueIdx) -> &str {
        let tech = self.technique(t);
        if !tech.x_mitre_detection.trim().is_empty() {
            return &tech.x_mitre_detection;
        }
        self.detections[t.at()].get_or_init(|| self.derive_detection(t))
    }

    fn derive_detection(&self, t: TechniqueIdx) -> String {
        let tech = self.technique(t);
        let Some(s) = tech.detection_strategy else {
            return String::new();
        };
        let s = self.strategy(s);
        let mut out = format!("Detection strategy {} {}", s.attack_id, s.name);
        for a in &s.analytics {
            out.push_str("\n\n");
            out.push_str(&a.attack_id);
            if !a.platforms.is_empty() {
                out.push_str(&format!(" [{}]", a.platforms.join(", ")));
            }
            out.push_str(": ");
            out.push_str(a.description.trim());
            if !a.data_components.is_empty() {
                let dcs: Vec<String> = a
                    .data_components
                    .iter()
                    .map(|(name, id)| {
                        if id.is_empty() {
                            name.clone()
                        } else {
                            format!("{name} ({id})")
                        }
                    })
                    .collect();
                out.push_str(&format!("\nData components: {}", dcs.join(", ")));
            }
        }
        out
    }

    fn scope(&self, filter: Filter) -> String {
        match filter.domain {
            Some(d) => format!("the {} domain of {}", d.short(), self.data.origin),
            None => self.data.origin.clone(),
        }
    }
}

/// A technique found by [`Index::require_techniques`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    pub technique: TechniqueIdx,
    /// The revoked technique the query named, when `technique` is its replacement.
    pub replaced: Option<TechniqueIdx>,
}

/// Collects STIX objects from one or more bundles or TAXII pages, then resolves them.
///
/// Records are copied out of each parsed buffer right away, so pages of a TAXII download can
/// be dropped as soon as they are read; relationships are resolved only in [`Builder::finish`],
/// because a page may name objects that come later.
#[derive(Debug, Default)]
pub struct Builder {
    /// The domain to assume for objects that don't say (a bundle of one domain, a collection).
    hint: Option<Domain>,
    /// Each tactic, and whether it named its own domain (`x_mitre_domains`).
    tactics: Vec<(Tactic, bool)>,
    matrices: Vec<(Option<Domain>, Vec<String>)>,
    techniques: Vec<(Technique, Option<Domain>, String)>,
    mitigations: Vec<(Mitigation, String)>,
    strategies: Vec<(String, DetectionStrategy, Vec<String>)>,
    analytics: HashMap<String, (Analytic, Vec<String>)>,
    components: HashMap<String, (String, String)>,
    relationships: Vec<Rel>,
    /// `modified` of every object kept so far, to keep the newest of several versions.
    versions: HashMap<String, String>,
    /// `x_mitre_version` of the `x-mitre-collection`, the ATT&CK release.
    attack_version: Option<String>,
}

#[derive(Debug)]
struct Rel {
    kind: RelKind,
    source: String,
    target: String,
    description: Option<String>,
    status: Status,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RelKind {
    Mitigates,
    SubtechniqueOf,
    RevokedBy,
    Detects,
}

fn owned(s: &Option<Str>) -> String {
    s.as_ref()
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default()
}

impl Builder {
    /// A builder; `hint` is the domain of objects that don't name one.
    pub fn new(hint: Option<Domain>) -> Builder {
        Builder {
            hint,
            ..Builder::default()
        }
    }

    /// Take the objects a lookup needs from one parsed bundle or page.
    pub fn add(&mut self, env: Envelope) {
        for o in env.objects.map(|o| o.kept).unwrap_or_default() {
            self.add_object(o);
        }
    }

    /// Number of objects kept so far (for progress messages).
    pub fn len(&self) -> usize {
        self.tactics.len()
            + self.techniques.len()
            + self.mitigations.len()
            + self.relationships.len()
            + self.analytics.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn add_object(&mut self, o: StixObject) {
        // The same object can come in several versions (TAXII `match[version]=all`, or two
        // bundles); keep the newest. Ties and missing `modified` keep the first seen.
        let modified = owned(&o.modified);
        if let Some(seen) = self.versions.get(o.id.as_str()) {
            if *seen >= modified {
                return;
            }
            self.forget(o.id.as_str());
        }
        self.versions.insert(o.id.as_str().to_owned(), modified);
        let domains: Vec<Domain> = o
            .x_mitre_domains
            .iter()
            .filter_map(|d| Domain::from_stix_name(d.as_str()))
            .collect();
        let attack_id = o.attack_id().unwrap_or_default().to_owned();
        match o.kind.as_str() {
            "x-mitre-collection" => {
                if let Some(v) = &o.x_mitre_version {
                    self.attack_version = Some(v.as_str().to_owned());
                }
            }
            "x-mitre-tactic" => {
                self.tactics.push((
                    Tactic {
                        stix_id: o.id.as_str().to_owned(),
                        attack_id,
                        name: owned(&o.name),
                        shortname: owned(&o.x_mitre_shortname),
                        description: owned(&o.description),
                        domain: domains
                            .first()
                            .copied()
                            .or(self.hint)
                            .unwrap_or(Domain::Enterprise),
                        status: Status::of(&o),
                        order: u32::MAX,
                    },
                    !domains.is_empty(),
                ));
            }
            "x-mitre-matrix" => {
                let domain = o
                    .external_references
                    .iter()
                    .filter_map(|r| r.external_id.as_ref())
                    .find_map(|id| Domain::from_stix_name(id.as_str()))
                    .or(domains.first().copied());
                // A deprecated matrix (mobile's "Network-Based Effects") must not reorder tactics.
                if Status::of(&o).is_live() {
                    self.matrices.push((
                        domain,
                        o.tactic_refs
                            .iter()
                            .map(|r| r.as_str().to_owned())
                            .collect(),
                    ));
                }
            }
            "attack-pattern" => {
                let phases: Vec<Phase> = o
                    .kill_chain_phases
                    .iter()
                    .filter_map(|p| {
                        Some(Phase {
                            domain: Domain::from_kill_chain_name(p.kill_chain_name.as_str())?,
                            shortname: p.phase_name.as_str().to_owned(),
                        })
                    })
                    .collect();
                let domain = domains
                    .first()
                    .copied()
                    .or(phases.first().map(|p| p.domain));
                let references = o
                    .external_references
                    .iter()
                    .map(|r| Reference {
                        source_name: owned(&r.source_name),
                        external_id: r.external_id.as_ref().map(|s| s.as_str().to_owned()),
                        url: r.url.as_ref().map(|s| s.as_str().to_owned()),
                    })
                    .collect();
                self.techniques.push((
                    Technique {
                        stix_id: o.id.as_str().to_owned(),
                        attack_id,
                        name: owned(&o.name),
                        description: owned(&o.description),
                        references,
                        x_mitre_detection: owned(&o.x_mitre_detection),
                        phases,
                        platforms: o
                            .x_mitre_platforms
                            .iter()
                            .map(|p| p.as_str().to_owned())
                            .collect(),
                        domain: Domain::Enterprise,
                        status: Status::of(&o),
                        is_subtechnique: o.x_mitre_is_subtechnique == Some(true),
                        parent: None,
                        subtechniques: vec![],
                        revoked_by: None,
                        mitigations: vec![],
                        detection_strategy: None,
                    },
                    domain,
                    o.id.as_str().to_owned(),
                ));
            }
            "course-of-action" => {
                self.mitigations.push((
                    Mitigation {
                        stix_id: o.id.as_str().to_owned(),
                        attack_id,
                        name: owned(&o.name),
                        description: owned(&o.description),
                        status: Status::of(&o),
                    },
                    o.id.as_str().to_owned(),
                ));
            }
            "x-mitre-detection-strategy" if Status::of(&o).is_live() => {
                self.strategies.push((
                    o.id.as_str().to_owned(),
                    DetectionStrategy {
                        attack_id,
                        name: owned(&o.name),
                        analytics: vec![],
                    },
                    o.x_mitre_analytic_refs
                        .iter()
                        .map(|r| r.as_str().to_owned())
                        .collect(),
                ));
            }
            "x-mitre-analytic" => {
                let mut refs: Vec<String> = Vec::new();
                for l in &o.x_mitre_log_source_references {
                    if let Some(r) = &l.x_mitre_data_component_ref {
                        if !refs.iter().any(|x| x == r.as_str()) {
                            refs.push(r.as_str().to_owned());
                        }
                    }
                }
                self.analytics.insert(
                    o.id.as_str().to_owned(),
                    (
                        Analytic {
                            attack_id,
                            platforms: o
                                .x_mitre_platforms
                                .iter()
                                .map(|p| p.as_str().to_owned())
                                .collect(),
                            description: owned(&o.description),
                            data_components: vec![],
                        },
                        refs,
                    ),
                );
            }
            "x-mitre-data-component" => {
                self.components
                    .insert(o.id.as_str().to_owned(), (owned(&o.name), attack_id));
            }
            "relationship" => {
                let kind = match o.relationship_type.as_ref().map(Str::as_str) {
                    Some("mitigates") => RelKind::Mitigates,
                    Some("subtechnique-of") => RelKind::SubtechniqueOf,
                    Some("revoked-by") => RelKind::RevokedBy,
                    Some("detects") => RelKind::Detects,
                    _ => return,
                };
                self.relationships.push(Rel {
                    kind,
                    source: owned(&o.source_ref),
                    target: owned(&o.target_ref),
                    description: o
                        .description
                        .as_ref()
                        .map(|d| d.as_str().to_owned())
                        .filter(|d| !d.trim().is_empty()),
                    status: Status::of(&o),
                });
            }
            _ => {}
        }
    }

    /// Drop an older version of an object before its newer version is added.
    fn forget(&mut self, id: &str) {
        self.tactics.retain(|(t, _)| t.stix_id != id);
        self.techniques.retain(|(_, _, s)| s != id);
        self.mitigations.retain(|(_, s)| s != id);
        self.strategies.retain(|(s, _, _)| s != id);
        self.analytics.remove(id);
        self.components.remove(id);
        // Relationships are keyed by their own id, which the builder does not keep; a newer
        // version of a relationship is rare enough (and equal in effect) to keep both.
    }

    /// Resolve references and produce the index. `origin` names the data in messages.
    pub fn finish(self, origin: &str) -> Result<Index, AttackError> {
        let Builder {
            hint,
            mut tactics,
            matrices,
            techniques,
            mitigations,
            strategies,
            analytics,
            components,
            relationships,
            versions: _,
            attack_version,
        } = self;
        if tactics.is_empty() {
            return Err(AttackError::NoTactics {
                origin: origin.to_owned(),
            });
        }
        // Tactic order and domain from the matrices that list them.
        let tactic_pos: HashMap<String, usize> = tactics
            .iter()
            .enumerate()
            .map(|(i, (t, _))| (t.stix_id.clone(), i))
            .collect();
        for (domain, refs) in &matrices {
            for (order, r) in refs.iter().enumerate() {
                if let Some(&i) = tactic_pos.get(r) {
                    let (t, explicit) = &mut tactics[i];
                    t.order = t.order.min(order as u32);
                    if !*explicit {
                        if let Some(d) = domain.or(hint) {
                            t.domain = d;
                        }
                    }
                }
            }
        }
        let tactics: Vec<Tactic> = tactics.into_iter().map(|(t, _)| t).collect();

        // Techniques: the domain falls back to the bundle's one domain when phases don't say.
        let single_domain = {
            let mut ds: Vec<Domain> = tactics.iter().map(|t| t.domain).collect();
            ds.sort();
            ds.dedup();
            (ds.len() == 1).then(|| ds[0])
        };
        let mut techniques: Vec<Technique> = techniques
            .into_iter()
            .map(|(mut t, domain, _)| {
                t.domain = domain
                    .or(hint)
                    .or(single_domain)
                    .unwrap_or(Domain::Enterprise);
                t
            })
            .collect();
        let tech_pos: HashMap<String, TechniqueIdx> = techniques
            .iter()
            .enumerate()
            .map(|(i, t)| (t.stix_id.clone(), TechniqueIdx(i as u32)))
            .collect();
        let mitigations: Vec<Mitigation> = mitigations.into_iter().map(|(m, _)| m).collect();
        let mit_pos: HashMap<&str, MitigationIdx> = mitigations
            .iter()
            .enumerate()
            .map(|(i, m)| (m.stix_id.as_str(), MitigationIdx(i as u32)))
            .collect();

        // Detection strategies with their analytics and data components resolved.
        let mut strat_pos: HashMap<String, StrategyIdx> = HashMap::new();
        let strategies: Vec<DetectionStrategy> = strategies
            .into_iter()
            .enumerate()
            .map(|(i, (id, mut s, refs))| {
                strat_pos.insert(id, StrategyIdx(i as u32));
                s.analytics = refs
                    .iter()
                    .filter_map(|r| analytics.get(r))
                    .map(|(a, dcs)| {
                        let mut a = a.clone();
                        a.data_components = dcs
                            .iter()
                            .filter_map(|dc| components.get(dc).cloned())
                            .collect();
                        a
                    })
                    .collect();
                s
            })
            .collect();

        for rel in relationships {
            // Relationships that are themselves revoked or deprecated carry no meaning.
            if !rel.status.is_live() {
                continue;
            }
            match rel.kind {
                RelKind::Mitigates => {
                    if let (Some(&m), Some(&t)) =
                        (mit_pos.get(rel.source.as_str()), tech_pos.get(&rel.target))
                    {
                        let links = &mut techniques[t.at()].mitigations;
                        if !links.iter().any(|l| l.mitigation == m) {
                            links.push(MitigationLink {
                                mitigation: m,
                                description: rel.description,
                            });
                        }
                    }
                }
                RelKind::SubtechniqueOf => {
                    if let (Some(&sub), Some(&parent)) =
                        (tech_pos.get(&rel.source), tech_pos.get(&rel.target))
                    {
                        techniques[sub.at()].parent = Some(parent);
                        if !techniques[parent.at()].subtechniques.contains(&sub) {
                            techniques[parent.at()].subtechniques.push(sub);
                        }
                    }
                }
                RelKind::RevokedBy => {
                    if let (Some(&old), Some(&new)) =
                        (tech_pos.get(&rel.source), tech_pos.get(&rel.target))
                    {
                        techniques[old.at()].revoked_by = Some(new);
                    }
                }
                RelKind::Detects => {
                    if let (Some(&s), Some(&t)) =
                        (strat_pos.get(&rel.source), tech_pos.get(&rel.target))
                    {
                        techniques[t.at()].detection_strategy.get_or_insert(s);
                    }
                }
            }
        }
        for i in 0..techniques.len() {
            let mut links = std::mem::take(&mut techniques[i].mitigations);
            links.sort_by(|a, b| {
                let (x, y) = (
                    &mitigations[a.mitigation.at()],
                    &mitigations[b.mitigation.at()],
                );
                (&x.attack_id, &x.name).cmp(&(&y.attack_id, &y.name))
            });
            techniques[i].mitigations = links;
            let mut subs = std::mem::take(&mut techniques[i].subtechniques);
            subs.sort_by(|a, b| {
                techniques[a.at()]
                    .attack_id
                    .cmp(&techniques[b.at()].attack_id)
            });
            techniques[i].subtechniques = subs;
        }
        Ok(Index::from_data(IndexData {
            tactics,
            techniques,
            mitigations,
            strategies,
            origin: origin.to_owned(),
            attack_version,
        }))
    }
}
