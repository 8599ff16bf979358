//! The MITRE ATT&CK index: STIX bundles (plain or gzip) and TAXII 2.0/2.1, with a disk cache.
//!
//! What a lookup needs ("given a tactic, list its techniques with id, name, references,
//! description, detection and mitigations") is a few thousand objects out of the 25,000 of a
//! current enterprise bundle. This module reads exactly those ([`stix`]), resolves their
//! relationships once into an [`Index`] ([`index`]), and keeps the result on disk ([`cache`])
//! so a repeated command does not parse 33 MB of JSON again.
//!
//! | file | owns |
//! |---|---|
//! | [`stix`] | the borrowing serde model of the STIX fields the index reads |
//! | [`index`] | [`Index`], its lookups, and the [`Builder`] that resolves relationships |
//! | [`cache`] | the index cache on disk, keyed and validated |
//! | [`taxii`] | the TAXII 2.0/2.1 client |
//! | [`snapshot`] | the index snapshot shipped in the binary (used when no source is named) |
//! | [`source`] | the one place that decides where data comes from: bundle, TAXII, cache or snapshot |
//! | [`error`] | [`AttackError`] |
//!
//! Typical use (what `respack attack`, the workflow engine and `serve` do):
//!
//! ```no_run
//! use respack::attack::{open, CachePolicy, Filter, Source};
//! let opened = open(&Source::Bundle("enterprise-attack-18.1.json.gz".into()), None, &CachePolicy::Off)?;
//! let index = std::sync::Arc::new(opened.index);
//! for tactic in index.require_tactics("Command and Control", Filter::default())? {
//!     for t in index.techniques_of(tactic, Filter::default()) {
//!         println!("{} {}", index.technique(t).attack_id, index.technique(t).name);
//!     }
//! }
//! # Ok::<(), respack::attack::AttackError>(())
//! ```
//!
//! Data model facts this code relies on are in the project's `reference/attack.md`: tactics are
//! joined to techniques through `kill_chain_phases` (per domain), mitigations through `mitigates`
//! relationships, and since ATT&CK v18 detection lives in detection strategies and analytics.

pub mod cache;
mod codec;
pub mod error;
pub mod index;
mod pipeline;
pub mod render;
pub mod snapshot;
pub mod source;
pub mod stix;
pub mod taxii;

pub use error::AttackError;
pub use index::{
    Builder, Domain, Filter, Index, IndexData, Mitigation, MitigationIdx, Resolved, Status, Tactic,
    TacticIdx, Technique, TechniqueIdx,
};
pub use source::{load_bundle, open, resolve, CachePolicy, Opened, Source, TaxiiSource, Used};
