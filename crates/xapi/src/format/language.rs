//! Choosing one entry of a language map by an `Accept-Language` header (RFC 2616 14.4, which xAPI names;
//! RFC 7231 5.3.5 keeps the same rules).
//!
//! Each range carries a quality (`q`, default 1). A range matches a tag when it equals the tag or is a prefix
//! of it followed by `-` (`en` matches `en-GB`), case-insensitively; a tag's quality is that of the longest
//! range matching it; `*` matches any tag no other range matches; `q=0` means "not acceptable". As a fallback
//! below every direct match, a tag that is a prefix of a range (`en` for a request of `en-GB`) takes that
//! range's quality: a client asking for British English is better served by English than by whatever comes
//! first. The entry with the highest quality wins, ties going to the map's own order; when nothing is
//! acceptable the map's first entry is kept, since the LRS must still return one language.

use serde_json::{Map, Value};

/// A parsed `Accept-Language` header value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AcceptLanguage {
    /// Lowercased ranges with their quality in thousandths (0..=1000), in header order.
    ranges: Vec<(String, u16)>,
}

/// How well a tag matched: quality first, then how directly (a direct match beats the prefix fallback, which
/// beats `*`).
type Score = (u16, u8);

impl AcceptLanguage {
    /// Parses the header value. Malformed elements are skipped, so a bad header degrades to "no preference".
    pub fn parse(header: &str) -> Self {
        let ranges = header.split(',').filter_map(parse_range).take(64).collect();
        AcceptLanguage { ranges }
    }

    /// The index, in `tags` order, of the tag to return; `None` only when `tags` is empty.
    pub fn choose<'t>(&self, tags: impl IntoIterator<Item = &'t str>) -> Option<usize> {
        let mut best: Option<(usize, Score)> = None;
        let mut count = 0;
        for (i, tag) in tags.into_iter().enumerate() {
            count = i + 1;
            let score = self.score(tag);
            if score.0 > 0 && best.is_none_or(|(_, b)| score > b) {
                best = Some((i, score));
            }
        }
        match best {
            Some((i, _)) => Some(i),
            None if count > 0 => Some(0),
            None => None,
        }
    }

    /// Reduces a language map to its single best entry.
    pub fn reduce(&self, map: &mut Map<String, Value>) {
        if map.len() < 2 {
            return;
        }
        let Some(chosen) = self.choose(map.keys().map(String::as_str)) else { return };
        if let Some((key, value)) = std::mem::take(map).into_iter().nth(chosen) {
            map.insert(key, value);
        }
    }

    fn score(&self, tag: &str) -> Score {
        let tag = tag.to_ascii_lowercase();
        let direct = self
            .ranges
            .iter()
            .filter(|(range, _)| range != "*" && prefix_of(range, &tag))
            .max_by_key(|(range, _)| range.len());
        if let Some((_, q)) = direct {
            return (*q, 3);
        }
        let fallback = self.ranges.iter().filter(|(range, _)| prefix_of(&tag, range)).map(|(_, q)| *q).max();
        if let Some(q) = fallback {
            return (q, 2);
        }
        match self.ranges.iter().find(|(range, _)| range == "*") {
            Some((_, q)) => (*q, 1),
            None => (0, 0),
        }
    }
}

/// Whether `prefix` equals `tag` or is a prefix of it ending at a subtag boundary.
fn prefix_of(prefix: &str, tag: &str) -> bool {
    tag.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('-'))
}

/// `range [; q=value]` with range `1*8ALPHA *("-" 1*8alphanum)` or `*`.
fn parse_range(element: &str) -> Option<(String, u16)> {
    let mut pieces = element.split(';');
    let range = pieces.next()?.trim();
    let valid = range == "*"
        || range.split('-').enumerate().all(|(i, sub)| {
            (1..=8).contains(&sub.len())
                && sub.bytes().all(|b| if i == 0 { b.is_ascii_alphabetic() } else { b.is_ascii_alphanumeric() })
        });
    if !valid {
        return None;
    }
    let mut quality = 1000;
    for parameter in pieces {
        let (name, value) = parameter.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("q") {
            quality = parse_quality(value.trim())?;
        }
    }
    Some((range.to_ascii_lowercase(), quality))
}

/// `0[.ddd]` or `1[.000]`, in thousandths.
fn parse_quality(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths: u16 = 0;
    for i in 0..3 {
        let digit = fraction.as_bytes().get(i).map_or(0, |b| u16::from(b - b'0'));
        thousandths = thousandths * 10 + digit;
    }
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(header: &str, tags: &[&str]) -> Option<usize> {
        AcceptLanguage::parse(header).choose(tags.iter().copied())
    }

    #[test]
    fn exact_and_prefix_matches() {
        assert_eq!(pick("en-GB", &["en-US", "en-GB"]), Some(1));
        assert_eq!(pick("EN-gb", &["en-US", "en-GB"]), Some(1));
        assert_eq!(pick("en", &["fr-FR", "en-US"]), Some(1));
        assert_eq!(pick("de", &["fr-FR", "en-US"]), Some(0), "nothing acceptable: the first entry");
        assert_eq!(pick("", &["fr-FR", "en-US"]), Some(0));
        assert_eq!(pick("en", &[]), None);
    }

    #[test]
    fn quality_values() {
        assert_eq!(pick("fr;q=0.5, en;q=0.8", &["fr-FR", "en-US"]), Some(1));
        assert_eq!(pick("fr;q=0.9, en;q=0.8", &["fr-FR", "en-US"]), Some(0));
        assert_eq!(pick("en;q=1.0, fr", &["fr", "en"]), Some(0), "equal quality: map order");
        // The longest matching range decides: en-GB is explicitly unwanted even though en is welcome.
        assert_eq!(pick("en, en-GB;q=0", &["en-GB", "en-US"]), Some(1));
    }

    #[test]
    fn wildcard_and_fallback() {
        assert_eq!(pick("fr, *;q=0.1", &["de", "fr-CA"]), Some(1));
        assert_eq!(pick("ja, *;q=0.1", &["de", "ko"]), Some(0));
        assert_eq!(pick("en-GB", &["fr", "en"]), Some(1), "a more general tag is a fallback");
        assert_eq!(pick("en-GB, fr;q=0.5", &["fr", "en"]), Some(1));
        assert_eq!(pick("en-GB;q=0.4, fr;q=0.5", &["en", "fr"]), Some(1));
        assert_eq!(pick("en, *;q=0", &["de", "en-US"]), Some(1));
    }

    #[test]
    fn malformed_elements_are_skipped() {
        assert_eq!(pick("en;q=2, fr", &["en", "fr"]), Some(1));
        assert_eq!(pick("en;q=0.1234, fr", &["en", "fr"]), Some(1));
        assert_eq!(pick("toolongsubtag, fr", &["toolongsubtag", "fr"]), Some(1));
        assert_eq!(pick("1en, fr", &["fr"]), Some(0));
        assert_eq!(pick(",,;;,=", &["de", "fr"]), Some(0));
        assert_eq!(parse_quality("0.5"), Some(500));
        assert_eq!(parse_quality("0.05"), Some(50));
        assert_eq!(parse_quality("1"), Some(1000));
        assert_eq!(parse_quality("1.001"), None);
        assert_eq!(parse_quality("0.x"), None);
    }

    #[test]
    fn reduce_keeps_one_entry() {
        let mut map = serde_json::json!({"en-US": "color", "en-GB": "colour"}).as_object().cloned().unwrap_or_default();
        AcceptLanguage::parse("en-GB").reduce(&mut map);
        assert_eq!(Value::Object(map), serde_json::json!({"en-GB": "colour"}));
    }
}
