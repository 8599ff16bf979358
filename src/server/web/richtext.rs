//! Rich text (SOAR's HTML cells, task instructions, notes) made safe to show: only a small set
//! of formatting tags and `http`/`https`/`mailto` links survive; scripts, event handler
//! attributes, styles and everything else are dropped by `ammonia`'s HTML5 parser, so text that
//! is not well-formed cannot break out of its cell either.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// The tags a rich text cell may keep.
const TAGS: [&str; 22] = [
    "a",
    "b",
    "blockquote",
    "br",
    "code",
    "div",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "span",
    "strong",
    "u",
    "ul",
];

fn cleaner() -> &'static ammonia::Builder<'static> {
    static CLEANER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    CLEANER.get_or_init(|| {
        // The default builder drops `<script>` and `<style>` with their content; the rest is
        // narrowed to the tags above and one attribute, `href` on links.
        let mut b = ammonia::Builder::default();
        b.tags(TAGS.iter().copied().collect::<HashSet<_>>())
            .tag_attributes(HashMap::from([("a", HashSet::from(["href"]))]))
            .generic_attributes(HashSet::new())
            .link_rel(Some("noopener noreferrer nofollow"))
            .url_schemes(HashSet::from(["http", "https", "mailto"]));
        b
    })
}

/// `html` with only the allowed tags and attributes left.
pub fn sanitise(html: &str) -> String {
    cleaner().clean(html).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_event_handlers_are_dropped_formatting_stays() {
        let out = sanitise(
            "<h3>Description</h3><p>ok <b>bold</b></p><script>alert(1)</script>\
             <img src=x onerror=alert(2)><a href=\"javascript:alert(3)\">j</a>\
             <a href=\"https://attack.mitre.org/\" onclick=\"x()\">m</a>",
        );
        assert!(
            out.contains("<h3>Description</h3><p>ok <b>bold</b></p>"),
            "{out}"
        );
        assert!(!out.contains("<script"), "{out}");
        assert!(!out.contains("alert"), "{out}");
        assert!(!out.contains("onerror"), "{out}");
        assert!(!out.contains("onclick"), "{out}");
        assert!(!out.contains("javascript:"), "{out}");
        assert!(out.contains("href=\"https://attack.mitre.org/\""), "{out}");
    }
}
