//! A cold load of a gzip bundle on two cores: one thread inflates while the other cuts the
//! `objects` array into pages at top-level object boundaries and parses each page as soon as it
//! is complete, so that inflating (the larger half of a cold load) and parsing overlap.
//!
//! Each page is handed to the index [`Builder`] exactly like a TAXII page. The fast path only
//! takes what it fully understands — a JSON object whose `objects` member is an array of
//! objects — and gives up on anything else; the caller then reads the file the plain way, which
//! produces the precise error message for a broken file.

use std::sync::mpsc;

use super::index::{Builder, Domain};
use super::stix;

/// Inflated bytes per message from the inflating thread.
const CHUNK: usize = 1 << 20;
/// Bytes of objects per parsed page.
const PAGE: usize = 1 << 20;

/// The index builder filled from gzip `raw`, or `None` when the fast path cannot read it (the
/// caller falls back to inflating and parsing in one piece).
pub(super) fn load_gzip(raw: &[u8], origin: &str, domain: Option<Domain>) -> Option<Builder> {
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(16);
        let inflater = scope.spawn(move || inflate(raw, tx));
        let builder = split_and_parse(rx, origin, domain);
        // An inflate error (truncated file) makes the fast path give up even if every page read.
        match inflater.join() {
            Ok(true) => builder,
            _ => None,
        }
    })
}

/// Inflate `raw` in chunks; false when the data is not valid gzip.
fn inflate(raw: &[u8], tx: mpsc::SyncSender<Vec<u8>>) -> bool {
    use std::io::Read;
    let mut decoder = flate2::read::MultiGzDecoder::new(raw);
    loop {
        let mut chunk = vec![0u8; CHUNK];
        let mut filled = 0;
        while filled < CHUNK {
            match decoder.read(&mut chunk[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(_) => return false,
            }
        }
        if filled == 0 {
            return true;
        }
        chunk.truncate(filled);
        if tx.send(chunk).is_err() {
            // The parser gave up; nothing more to do.
            return true;
        }
    }
}

#[derive(PartialEq)]
enum Phase {
    /// Before the `objects` array.
    Header,
    /// Inside it.
    Objects,
    /// After it.
    Footer,
}

/// Cut the inflated stream into pages and feed each to a builder.
fn split_and_parse(
    rx: mpsc::Receiver<Vec<u8>>,
    origin: &str,
    domain: Option<Domain>,
) -> Option<Builder> {
    let mut builder = Builder::new(domain);
    let mut buf: Vec<u8> = Vec::with_capacity(4 * CHUNK);
    let mut header: Vec<u8> = Vec::new();
    let mut phase = Phase::Header;
    let (mut depth, mut in_string, mut pos) = (0u32, false, 0usize);
    // Start and end of the last string closed at depth 1 (a member name of the top object).
    let mut last_key = (0usize, 0usize);
    let mut string_start = 0usize;
    // Where the current page starts, and where the last complete object of it ends.
    let (mut page_start, mut boundary) = (0usize, 0usize);
    for chunk in rx {
        buf.extend_from_slice(&chunk);
        while pos < buf.len() {
            if in_string {
                // Jump to the next quote or backslash: descriptions are most of the bytes.
                match memchr::memchr2(b'"', b'\\', &buf[pos..]) {
                    None => pos = buf.len(),
                    Some(i) if buf[pos + i] == b'\\' => pos += i + 2,
                    Some(i) => {
                        pos += i;
                        in_string = false;
                        if depth == 1 {
                            last_key = (string_start, pos);
                        }
                        pos += 1;
                    }
                }
                continue;
            }
            match buf[pos] {
                b'"' => {
                    in_string = true;
                    string_start = pos + 1;
                }
                open @ (b'{' | b'[') => {
                    if phase == Phase::Header && depth == 1 && open == b'[' {
                        if &buf[last_key.0..last_key.1] != b"objects" {
                            return None;
                        }
                        phase = Phase::Objects;
                        header.extend_from_slice(&buf[..pos]);
                        page_start = pos + 1;
                        boundary = page_start;
                    }
                    depth += 1;
                }
                close @ (b'}' | b']') => {
                    depth = depth.checked_sub(1)?;
                    if phase == Phase::Objects && depth == 2 && close == b'}' {
                        boundary = pos + 1;
                    } else if phase == Phase::Objects && depth == 1 {
                        if close != b']' {
                            return None;
                        }
                        parse_page(&buf[page_start..boundary], origin, &mut builder)?;
                        phase = Phase::Footer;
                        page_start = pos + 1;
                    }
                }
                _ => {}
            }
            pos += 1;
            if phase == Phase::Objects && boundary - page_start >= PAGE {
                parse_page(&buf[page_start..boundary], origin, &mut builder)?;
                // Drop what is parsed so the buffer stays a few pages long.
                buf.drain(..boundary);
                (pos, page_start, boundary) = (pos - boundary, 0, 0);
                last_key = (0, 0);
            }
        }
    }
    if phase != Phase::Footer || in_string || depth != 0 {
        return None;
    }
    // The envelope without its objects: checks the top level (`"type": "bundle"`, valid JSON).
    let mut rest = header;
    rest.extend_from_slice(b"[]");
    rest.extend_from_slice(&buf[page_start..]);
    stix::parse(&rest, origin).ok()?;
    Some(builder)
}

/// Parse the objects in `slice` (a run of complete array elements) as one page.
fn parse_page(slice: &[u8], origin: &str, builder: &mut Builder) -> Option<()> {
    let body = match slice.iter().position(|b| *b == b'{') {
        Some(i) => &slice[i..],
        None => return Some(()),
    };
    let mut page = Vec::with_capacity(body.len() + 16);
    page.extend_from_slice(b"{\"objects\":[");
    page.extend_from_slice(body);
    page.extend_from_slice(b"]}");
    let env = stix::parse(&page, origin).ok()?;
    builder.add(env);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(text: &str) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap()
    }

    fn tactic(i: usize) -> String {
        format!(
            r#"{{"type":"x-mitre-tactic","id":"x-mitre-tactic--{i}","name":"T \"{i}\" }}]{{","x_mitre_shortname":"t{i}","external_references":[{{"source_name":"mitre-attack","external_id":"TA{i:04}"}}]}}"#
        )
    }

    #[test]
    fn pages_cut_at_object_boundaries_give_every_object() {
        // Strings full of braces and escaped quotes must not be taken for structure.
        let objects: Vec<String> = (0..3000).map(tactic).collect();
        let text = format!(
            r#"{{"type":"bundle","id":"bundle--1","objects":[{}],"spec_version":"2.0"}}"#,
            objects.join(",")
        );
        let builder = load_gzip(&gz(&text), "test", Some(Domain::Enterprise)).expect("fast path");
        assert_eq!(builder.len(), 3000);
    }

    #[test]
    fn anything_unusual_falls_back() {
        for text in [
            r#"{"type":"bundle","objects":[{"type":"x"}"#, // truncated
            r#"{"type":"bundle","other":[1],"objects":[]}"#, // an array before objects
            r#"[{"type":"bundle"}]"#,                      // not an object
            r#"{"type":"indicator","objects":[]}"#,        // not a bundle
        ] {
            assert!(load_gzip(&gz(text), "test", None).is_none(), "{text}");
        }
        let mut truncated = gz(r#"{"type":"bundle","objects":[]}"#);
        truncated.truncate(truncated.len() - 6);
        assert!(load_gzip(&truncated, "test", None).is_none());
    }
}

#[cfg(test)]
mod shared_bundles {
    use super::*;
    use crate::runtime::mitre;

    /// The two-thread path and the plain path build the same index from the real bundles.
    #[test]
    fn both_paths_give_the_same_answers_on_the_real_bundles() {
        // Test-only: `RESPACK_SHARED`, else `../shared` beside the checkout (DESIGN.md).
        let shared = std::env::var_os("RESPACK_SHARED")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
        let Some(shared) = shared.is_dir().then_some(shared) else {
            assert_ne!(
                std::env::var("RESPACK_REQUIRE_SHARED").as_deref(),
                Ok("1"),
                "RESPACK_SHARED is not set"
            );
            eprintln!("skipped: set RESPACK_SHARED to compare on the real ATT&CK bundles");
            return;
        };
        for name in [
            "enterprise-attack-4.0.json.gz",
            "enterprise-attack-18.1.json.gz",
            "ics-attack-18.1.json.gz",
        ] {
            let path = std::path::Path::new(&shared).join("attack").join(name);
            let raw = std::fs::read(&path).unwrap();
            let fast = load_gzip(&raw, name, None)
                .expect("fast path reads the real bundle")
                .finish(name)
                .unwrap();
            let bytes = super::super::source::read_bundle(&path).unwrap();
            let mut plain = Builder::new(None);
            plain.add(stix::parse(&bytes, name).unwrap());
            let plain = plain.finish(name).unwrap();
            for tactic in [
                "Command and Control",
                "Initial Access",
                "Execution",
                "Inhibit Response Function",
            ] {
                let mut inputs = crate::runtime::Inputs::new();
                inputs.insert("mitre_tactic_name".into(), tactic.into());
                let a = mitre::mitre_tactic_information(&fast, &inputs)
                    .map(|o| o.result)
                    .map_err(|e| e.message);
                let b = mitre::mitre_tactic_information(&plain, &inputs)
                    .map(|o| o.result)
                    .map_err(|e| e.message);
                assert_eq!(a, b, "{name}: {tactic}");
            }
        }
    }
}
