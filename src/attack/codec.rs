//! The binary encoding of [`IndexData`] in cache files.
//!
//! JSON made the cache 3.5 MB and its parse the largest cost of a cached lookup (the budget for
//! a whole cached process is 20 ms). This encoding is little more than length-prefixed strings
//! copied in and out: lengths little-endian `u32`, `Option` and `bool` one byte, enums one byte.
//! Decoding never trusts a length beyond the bytes left, so a damaged file is an error, not a
//! huge allocation or a panic; positions between objects are checked by
//! [`IndexData::validate`] afterwards.

use super::index::{
    Analytic, DetectionStrategy, Domain, IndexData, Mitigation, MitigationIdx, MitigationLink,
    Phase, Reference, Status, StrategyIdx, Tactic, Technique, TechniqueIdx,
};

/// Why bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corrupt(pub String);

type R<T> = Result<T, Corrupt>;

pub fn encode(data: &IndexData) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(4 << 20));
    w.str(&data.origin);
    w.opt_str(data.attack_version.as_deref());
    w.seq(&data.tactics, |w, t| {
        w.str(&t.stix_id);
        w.str(&t.attack_id);
        w.str(&t.name);
        w.str(&t.shortname);
        w.str(&t.description);
        w.domain(t.domain);
        w.status(t.status);
        w.u32(t.order);
    });
    w.seq(&data.techniques, |w, t| {
        w.str(&t.stix_id);
        w.str(&t.attack_id);
        w.str(&t.name);
        w.str(&t.description);
        w.seq(&t.references, |w, r| {
            w.str(&r.source_name);
            w.opt_str(r.external_id.as_deref());
            w.opt_str(r.url.as_deref());
        });
        w.str(&t.x_mitre_detection);
        w.seq(&t.phases, |w, p| {
            w.domain(p.domain);
            w.str(&p.shortname);
        });
        w.seq(&t.platforms, |w, p| w.str(p));
        w.domain(t.domain);
        w.status(t.status);
        w.u8(u8::from(t.is_subtechnique));
        w.opt_u32(t.parent.map(TechniqueIdx::raw));
        w.seq(&t.subtechniques, |w, s| w.u32(s.raw()));
        w.opt_u32(t.revoked_by.map(TechniqueIdx::raw));
        w.seq(&t.mitigations, |w, l| {
            w.u32(l.mitigation.raw());
            w.opt_str(l.description.as_deref());
        });
        w.opt_u32(t.detection_strategy.map(StrategyIdx::raw));
    });
    w.seq(&data.mitigations, |w, m| {
        w.str(&m.stix_id);
        w.str(&m.attack_id);
        w.str(&m.name);
        w.str(&m.description);
        w.status(m.status);
    });
    w.seq(&data.strategies, |w, s| {
        w.str(&s.attack_id);
        w.str(&s.name);
        w.seq(&s.analytics, |w, a| {
            w.str(&a.attack_id);
            w.seq(&a.platforms, |w, p| w.str(p));
            w.str(&a.description);
            w.seq(&a.data_components, |w, (n, id)| {
                w.str(n);
                w.str(id);
            });
        });
    });
    w.0
}

pub fn decode(bytes: &[u8]) -> R<IndexData> {
    let mut r = Reader { buf: bytes, pos: 0 };
    let origin = r.string()?;
    let attack_version = r.opt_string()?;
    let tactics = r.seq(|r| {
        Ok(Tactic {
            stix_id: r.string()?,
            attack_id: r.string()?,
            name: r.string()?,
            shortname: r.string()?,
            description: r.string()?,
            domain: r.domain()?,
            status: r.status()?,
            order: r.u32()?,
        })
    })?;
    let techniques = r.seq(|r| {
        Ok(Technique {
            stix_id: r.string()?,
            attack_id: r.string()?,
            name: r.string()?,
            description: r.string()?,
            references: r.seq(|r| {
                Ok(Reference {
                    source_name: r.string()?,
                    external_id: r.opt_string()?,
                    url: r.opt_string()?,
                })
            })?,
            x_mitre_detection: r.string()?,
            phases: r.seq(|r| {
                Ok(Phase {
                    domain: r.domain()?,
                    shortname: r.string()?,
                })
            })?,
            platforms: r.seq(Reader::string)?,
            domain: r.domain()?,
            status: r.status()?,
            is_subtechnique: r.bool()?,
            parent: r.opt_u32()?.map(TechniqueIdx::from_raw),
            subtechniques: r.seq(|r| r.u32().map(TechniqueIdx::from_raw))?,
            revoked_by: r.opt_u32()?.map(TechniqueIdx::from_raw),
            mitigations: r.seq(|r| {
                Ok(MitigationLink {
                    mitigation: MitigationIdx::from_raw(r.u32()?),
                    description: r.opt_string()?,
                })
            })?,
            detection_strategy: r.opt_u32()?.map(StrategyIdx::from_raw),
        })
    })?;
    let mitigations = r.seq(|r| {
        Ok(Mitigation {
            stix_id: r.string()?,
            attack_id: r.string()?,
            name: r.string()?,
            description: r.string()?,
            status: r.status()?,
        })
    })?;
    let strategies = r.seq(|r| {
        Ok(DetectionStrategy {
            attack_id: r.string()?,
            name: r.string()?,
            analytics: r.seq(|r| {
                Ok(Analytic {
                    attack_id: r.string()?,
                    platforms: r.seq(Reader::string)?,
                    description: r.string()?,
                    data_components: r.seq(|r| Ok((r.string()?, r.string()?)))?,
                })
            })?,
        })
    })?;
    if r.pos != bytes.len() {
        return Err(Corrupt(format!("{} bytes left over", bytes.len() - r.pos)));
    }
    let data = IndexData {
        tactics,
        techniques,
        mitigations,
        strategies,
        origin,
        attack_version,
    };
    data.validate().map_err(Corrupt)?;
    Ok(data)
}

/// A 64-bit checksum of the payload, to notice a damaged file (not an adversary).
pub fn checksum(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h: u64 = bytes.len() as u64 ^ K;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(c);
        h = (h ^ u64::from_le_bytes(word))
            .wrapping_mul(K)
            .rotate_left(29);
    }
    for &b in chunks.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(K).rotate_left(29);
    }
    h
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn len(&mut self, n: usize) {
        // Nothing in ATT&CK comes near 4 GiB; saturate rather than wrap if it ever did.
        self.u32(u32::try_from(n).unwrap_or(u32::MAX));
    }
    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }
    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
            None => self.u8(0),
        }
    }
    fn opt_u32(&mut self, v: Option<u32>) {
        match v {
            Some(v) => {
                self.u8(1);
                self.u32(v);
            }
            None => self.u8(0),
        }
    }
    fn domain(&mut self, d: Domain) {
        self.u8(match d {
            Domain::Enterprise => 0,
            Domain::Mobile => 1,
            Domain::Ics => 2,
        });
    }
    fn status(&mut self, s: Status) {
        self.u8(match s {
            Status::Live => 0,
            Status::Deprecated => 1,
            Status::Revoked => 2,
        });
    }
    fn seq<T>(&mut self, items: &[T], mut each: impl FnMut(&mut Self, &T)) {
        self.len(items.len());
        for i in items {
            each(self, i);
        }
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> R<&[u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| Corrupt(format!("truncated at byte {}", self.pos)))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> R<u8> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> R<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn bool(&mut self) -> R<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            x => Err(Corrupt(format!("bad flag {x} at byte {}", self.pos - 1))),
        }
    }
    fn string(&mut self) -> R<String> {
        let n = self.u32()? as usize;
        let at = self.pos;
        let bytes = self.take(n)?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| Corrupt(format!("invalid UTF-8 at byte {at}")))
    }
    fn opt_string(&mut self) -> R<Option<String>> {
        Ok(if self.bool()? {
            Some(self.string()?)
        } else {
            None
        })
    }
    fn opt_u32(&mut self) -> R<Option<u32>> {
        Ok(if self.bool()? {
            Some(self.u32()?)
        } else {
            None
        })
    }
    fn domain(&mut self) -> R<Domain> {
        match self.u8()? {
            0 => Ok(Domain::Enterprise),
            1 => Ok(Domain::Mobile),
            2 => Ok(Domain::Ics),
            x => Err(Corrupt(format!("bad domain {x}"))),
        }
    }
    fn status(&mut self) -> R<Status> {
        match self.u8()? {
            0 => Ok(Status::Live),
            1 => Ok(Status::Deprecated),
            2 => Ok(Status::Revoked),
            x => Err(Corrupt(format!("bad status {x}"))),
        }
    }
    fn seq<T>(&mut self, mut each: impl FnMut(&mut Self) -> R<T>) -> R<Vec<T>> {
        let n = self.u32()? as usize;
        // Every item takes at least one byte: a count beyond the bytes left is damage.
        if n > self.buf.len() - self.pos {
            return Err(Corrupt(format!(
                "count {n} larger than the file at byte {}",
                self.pos
            )));
        }
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(each(self)?);
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attack::{stix, Builder};

    #[test]
    fn round_trip_keeps_everything_and_bad_positions_are_refused() {
        let json = br#"{"type":"bundle","objects":[
          {"type":"x-mitre-tactic","id":"x-mitre-tactic--1","name":"Execution","x_mitre_shortname":"execution",
           "external_references":[{"source_name":"mitre-attack","external_id":"TA0002"}]},
          {"type":"attack-pattern","id":"attack-pattern--1","name":"Parent","x_mitre_platforms":["Linux"],
           "kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"execution"}],
           "external_references":[{"source_name":"mitre-attack","external_id":"T1","url":"https://x/T1"},{"source_name":"paper"}]},
          {"type":"attack-pattern","id":"attack-pattern--2","name":"Child","x_mitre_is_subtechnique":true,
           "kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"execution"}],
           "external_references":[{"source_name":"mitre-attack","external_id":"T1.001"}]},
          {"type":"relationship","id":"relationship--1","relationship_type":"subtechnique-of","source_ref":"attack-pattern--2","target_ref":"attack-pattern--1"},
          {"type":"course-of-action","id":"course-of-action--1","name":"M","description":"d \u00e9",
           "external_references":[{"source_name":"mitre-attack","external_id":"M1"}]},
          {"type":"relationship","id":"relationship--2","relationship_type":"mitigates","description":"why",
           "source_ref":"course-of-action--1","target_ref":"attack-pattern--1"}]}"#;
        let mut b = Builder::new(None);
        b.add(stix::parse(json, "t").unwrap());
        let data = b.finish("t").unwrap().data().clone();
        let bytes = encode(&data);
        let back = decode(&bytes).unwrap();
        assert_eq!(
            serde_json::to_value(&back).unwrap(),
            serde_json::to_value(&data).unwrap()
        );
        for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut bad = data.clone();
        bad.techniques[1].parent = Some(TechniqueIdx::from_raw(99));
        assert!(decode(&encode(&bad)).is_err());
    }
}
