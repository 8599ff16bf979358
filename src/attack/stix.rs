//! The slice of STIX 2.0/2.1 that an ATT&CK lookup reads, as a borrowing serde model.
//!
//! A v18.1 enterprise bundle is 33 MB of JSON, 81% of it relationships the lookup never needs
//! (`uses`). Parsing borrows strings from the input buffer where JSON allows it (no escapes),
//! skips every field not named here, and drops unneeded objects while the array is read, so
//! only a few thousand small records ever exist at once.
//!
//! The same model reads a STIX bundle (`{"type":"bundle","objects":[...]}`, 2.0 or 2.1) and a
//! TAXII 2.1 envelope (`{"more":true,"next":"1","objects":[...]}`): both keep `objects` at the
//! top level. `spec_version` is required of neither.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

/// A JSON string borrowed from the input when it has no escapes, copied when it has.
///
/// `Cow<str>` alone does not borrow inside `Option`/`Vec`; this wrapper does.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Str<'a>(pub Cow<'a, str>);

impl<'a> Str<'a> {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_owned(self) -> String {
        self.0.into_owned()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// The top level of a bundle or a TAXII 2.1 envelope.
#[derive(Debug, Deserialize)]
pub struct Envelope<'a> {
    /// `bundle` for a bundle; absent in a TAXII 2.1 envelope.
    #[serde(rename = "type", borrow, default)]
    pub kind: Option<Str<'a>>,
    /// The objects a lookup needs, in input order; the rest were dropped while parsing.
    #[serde(borrow, default)]
    pub objects: Option<Objects<'a>>,
    /// TAXII 2.1 paging: more pages follow.
    #[serde(default)]
    pub more: Option<bool>,
    /// TAXII 2.1 paging: the token for the next page.
    #[serde(borrow, default)]
    pub next: Option<Str<'a>>,
}

/// One STIX object, with only the fields any kept object type uses.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StixObject<'a> {
    #[serde(rename = "type", borrow)]
    pub kind: Str<'a>,
    #[serde(borrow)]
    pub id: Str<'a>,
    #[serde(borrow)]
    pub modified: Option<Str<'a>>,
    #[serde(borrow)]
    pub name: Option<Str<'a>>,
    #[serde(borrow)]
    pub description: Option<Str<'a>>,
    pub revoked: Option<bool>,
    pub x_mitre_deprecated: Option<bool>,
    #[serde(borrow)]
    pub external_references: Vec<ExternalReference<'a>>,
    #[serde(borrow)]
    pub x_mitre_domains: Vec<Str<'a>>,
    // x-mitre-tactic
    #[serde(borrow)]
    pub x_mitre_shortname: Option<Str<'a>>,
    // x-mitre-matrix
    #[serde(borrow)]
    pub tactic_refs: Vec<Str<'a>>,
    // x-mitre-collection (attack-stix-data bundles and MITRE's TAXII 2.1 server): the ATT&CK
    // release, e.g. "18.1". Other objects' `x_mitre_version` is their own revision, not read.
    #[serde(borrow)]
    pub x_mitre_version: Option<Str<'a>>,
    // attack-pattern
    #[serde(borrow)]
    pub kill_chain_phases: Vec<KillChainPhase<'a>>,
    #[serde(borrow)]
    pub x_mitre_detection: Option<Str<'a>>,
    pub x_mitre_is_subtechnique: Option<bool>,
    #[serde(borrow)]
    pub x_mitre_platforms: Vec<Str<'a>>,
    // relationship
    #[serde(borrow)]
    pub relationship_type: Option<Str<'a>>,
    #[serde(borrow)]
    pub source_ref: Option<Str<'a>>,
    #[serde(borrow)]
    pub target_ref: Option<Str<'a>>,
    // x-mitre-detection-strategy
    #[serde(borrow)]
    pub x_mitre_analytic_refs: Vec<Str<'a>>,
    // x-mitre-analytic
    #[serde(borrow)]
    pub x_mitre_log_source_references: Vec<LogSourceReference<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExternalReference<'a> {
    #[serde(borrow)]
    pub source_name: Option<Str<'a>>,
    #[serde(borrow)]
    pub external_id: Option<Str<'a>>,
    #[serde(borrow)]
    pub url: Option<Str<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct KillChainPhase<'a> {
    #[serde(borrow)]
    pub kill_chain_name: Str<'a>,
    #[serde(borrow)]
    pub phase_name: Str<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LogSourceReference<'a> {
    #[serde(borrow)]
    pub x_mitre_data_component_ref: Option<Str<'a>>,
}

impl StixObject<'_> {
    /// Whether a lookup ever reads this object. Everything else is dropped while parsing.
    pub fn is_needed(&self) -> bool {
        match self.kind.as_str() {
            "x-mitre-tactic"
            | "attack-pattern"
            | "course-of-action"
            | "x-mitre-matrix"
            | "x-mitre-collection"
            | "x-mitre-detection-strategy"
            | "x-mitre-analytic"
            | "x-mitre-data-component" => true,
            "relationship" => matches!(
                self.relationship_type.as_ref().map(Str::as_str),
                Some("mitigates" | "subtechnique-of" | "revoked-by" | "detects")
            ),
            _ => false,
        }
    }

    /// The ATT&CK id (TA0011, T1205.001, M1037, DET0524, ...): the `external_id` of the
    /// reference whose source is one of MITRE's ATT&CK sources, else the first `external_id`.
    pub fn attack_id(&self) -> Option<&str> {
        let mitre = self.external_references.iter().find(|r| {
            matches!(
                r.source_name.as_ref().map(Str::as_str),
                Some("mitre-attack" | "mitre-mobile-attack" | "mitre-ics-attack")
            ) && r.external_id.is_some()
        });
        mitre
            .or_else(|| {
                self.external_references
                    .iter()
                    .find(|r| r.external_id.is_some())
            })
            .and_then(|r| r.external_id.as_ref())
            .map(Str::as_str)
    }
}

/// The `objects` array, keeping only what [`StixObject::is_needed`] accepts, so the 20,000
/// `uses` relationships of a current enterprise bundle never sit in memory together.
#[derive(Debug, Default)]
pub struct Objects<'a> {
    pub kept: Vec<StixObject<'a>>,
    /// How many objects the array held, kept or not.
    pub seen: usize,
}

impl<'de: 'a, 'a> Deserialize<'de> for Objects<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Objects<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of STIX objects")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Objects {
                    kept: Vec::with_capacity(4096),
                    seen: 0,
                };
                while let Some(obj) = seq.next_element::<StixObject<'de>>()? {
                    out.seen += 1;
                    if obj.is_needed() {
                        out.kept.push(obj);
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_seq(V)
    }
}

/// Parse a bundle or envelope from JSON bytes. `origin` names the file or URL in errors.
pub fn parse<'a>(bytes: &'a [u8], origin: &str) -> Result<Envelope<'a>, super::AttackError> {
    let env: Envelope = serde_json::from_slice(bytes).map_err(|e| {
        let reason = if e.is_syntax() || e.is_eof() {
            format!("not valid JSON ({e})")
        } else {
            format!("unexpected JSON shape ({e})")
        };
        super::AttackError::NotABundle {
            origin: origin.to_owned(),
            reason,
        }
    })?;
    if let Some(kind) = &env.kind {
        if kind.as_str() != "bundle" {
            return Err(super::AttackError::NotABundle {
                origin: origin.to_owned(),
                reason: format!("top-level \"type\" is {:?}, not \"bundle\"", kind.as_str()),
            });
        }
    }
    if env.objects.is_none() && env.more.is_none() {
        return Err(super::AttackError::NotABundle {
            origin: origin.to_owned(),
            reason: "no top-level \"objects\" array".into(),
        });
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let json = br#"{"type":"bundle","objects":[{"type":"attack-pattern","id":"attack-pattern--1","name":"Plain","description":"with \"escape\""}]}"#;
        let env = parse(json, "test").unwrap();
        let obj = &env.objects.as_ref().unwrap().kept[0];
        assert!(matches!(
            obj.name.as_ref().unwrap().0,
            Cow::Borrowed("Plain")
        ));
        assert_eq!(
            obj.description.as_ref().unwrap().as_str(),
            "with \"escape\""
        );
    }

    #[test]
    fn unneeded_objects_are_dropped_while_parsing() {
        let json = br#"{"objects":[
            {"type":"malware","id":"malware--1","name":"x"},
            {"type":"relationship","id":"relationship--1","relationship_type":"uses","source_ref":"a","target_ref":"b"},
            {"type":"relationship","id":"relationship--2","relationship_type":"mitigates","source_ref":"a","target_ref":"b"}
        ],"more":false}"#;
        let env = parse(json, "test").unwrap();
        let objects = env.objects.unwrap();
        assert_eq!(objects.seen, 3);
        let kept = objects.kept;
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].id.as_str(), "relationship--2");
    }

    #[test]
    fn not_a_bundle_is_named() {
        let err = parse(br#"{"type":"indicator","objects":[]}"#, "x.json").unwrap_err();
        assert!(err.to_string().contains("x.json"), "{err}");
        assert!(err.to_string().contains("indicator"), "{err}");
        let err = parse(br#"[1,2]"#, "y.json").unwrap_err();
        assert!(err.to_string().contains("y.json"), "{err}");
        let err = parse(br#"{"type":"bundle"}"#, "z.json").unwrap_err();
        assert!(err.to_string().contains("objects"), "{err}");
        let err = parse(b"{\"type\":\"bundle\",\"objects\":[{", "t.json").unwrap_err();
        assert!(err.to_string().contains("not valid JSON"), "{err}");
    }
}
