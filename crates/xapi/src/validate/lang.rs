//! RFC 5646 language tags (well-formedness: the sequence of subtag kinds and lengths, plus the grandfathered
//! tags and the no-duplicate rules for variants and extension singletons) and language maps.

use super::{as_object, Checked, Path};
use serde_json::Value;

/// Irregular and regular grandfathered tags (RFC 5646 section 2.1), compared case-insensitively.
const GRANDFATHERED: &[&str] = &[
    "en-GB-oed",
    "i-ami",
    "i-bnn",
    "i-default",
    "i-enochian",
    "i-hak",
    "i-klingon",
    "i-lux",
    "i-mingo",
    "i-navajo",
    "i-pwn",
    "i-tao",
    "i-tay",
    "i-tsu",
    "sgn-BE-FR",
    "sgn-BE-NL",
    "sgn-CH-DE",
    "art-lojban",
    "cel-gaulish",
    "no-bok",
    "no-nyn",
    "zh-guoyu",
    "zh-hakka",
    "zh-min",
    "zh-min-nan",
    "zh-xiang",
];

/// Whether `tag` is a well-formed RFC 5646 language tag.
pub fn is_language_tag(tag: &str) -> bool {
    if tag.is_empty() || tag.len() > 255 || !tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return false;
    }
    if GRANDFATHERED.iter().any(|g| g.eq_ignore_ascii_case(tag)) {
        return true;
    }
    let mut subtags = tag.split('-').peekable();
    let Some(first) = subtags.next() else {
        return false;
    };
    if first.eq_ignore_ascii_case("x") {
        return private_use(subtags);
    }
    // language = 2*3ALPHA ["-" extlang] / 4ALPHA / 5*8ALPHA
    if !alpha(first) || !(2..=8).contains(&first.len()) {
        return false;
    }
    if first.len() <= 3 {
        // extlang = 3ALPHA *2("-" 3ALPHA)
        let mut extlangs = 0;
        while extlangs < 3 && subtags.peek().is_some_and(|s| s.len() == 3 && alpha(s)) {
            subtags.next();
            extlangs += 1;
        }
    }
    // script = 4ALPHA
    if subtags.peek().is_some_and(|s| s.len() == 4 && alpha(s)) {
        subtags.next();
    }
    // region = 2ALPHA / 3DIGIT
    if subtags.peek().is_some_and(|s| (s.len() == 2 && alpha(s)) || (s.len() == 3 && digits(s))) {
        subtags.next();
    }
    // variant = 5*8alphanum / (DIGIT 3alphanum), no duplicates
    let mut variants: Vec<&str> = Vec::new();
    while let Some(&s) = subtags.peek() {
        let is_variant = (5..=8).contains(&s.len()) || (s.len() == 4 && s.as_bytes()[0].is_ascii_digit());
        if !is_variant {
            break;
        }
        if variants.iter().any(|v| v.eq_ignore_ascii_case(s)) {
            return false;
        }
        variants.push(s);
        subtags.next();
    }
    // extension = singleton 1*("-" (2*8alphanum)), each singleton at most once
    let mut singletons: Vec<u8> = Vec::new();
    while let Some(&s) = subtags.peek() {
        if s.len() != 1 || s.eq_ignore_ascii_case("x") {
            break;
        }
        let singleton = s.as_bytes()[0].to_ascii_lowercase();
        if singletons.contains(&singleton) {
            return false;
        }
        singletons.push(singleton);
        subtags.next();
        let mut parts = 0;
        while subtags.peek().is_some_and(|s| (2..=8).contains(&s.len())) {
            subtags.next();
            parts += 1;
        }
        if parts == 0 {
            return false;
        }
    }
    match subtags.next() {
        None => true,
        Some(s) if s.eq_ignore_ascii_case("x") => private_use(subtags),
        Some(_) => false,
    }
}

/// `privateuse = "x" 1*("-" (1*8alphanum))`, after the `x`.
fn private_use<'a>(rest: impl Iterator<Item = &'a str>) -> bool {
    let mut count = 0;
    for s in rest {
        if !(1..=8).contains(&s.len()) {
            return false;
        }
        count += 1;
    }
    count > 0
}

fn alpha(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphabetic())
}

fn digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// A language map: an object whose keys are RFC 5646 tags and whose values are strings.
pub(crate) fn language_map(value: &Value, path: &Path) -> Checked {
    for (tag, text) in as_object(value, path)? {
        let at = path.key(tag);
        if !is_language_tag(tag) {
            return Err(at.err("is not a valid RFC 5646 language tag"));
        }
        super::string(text, &at)?;
    }
    Ok(())
}

/// A single language tag value (`context.language`).
pub(crate) fn language_tag(value: &Value, path: &Path) -> Checked {
    let tag = super::as_str(value, path)?;
    if is_language_tag(tag) {
        Ok(())
    } else {
        Err(path.err("must be a valid RFC 5646 language tag"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_well_formed_tags() {
        for t in [
            "en",
            "en-US",
            "de",
            "de-DE",
            "zh-Hant",
            "sr-Latn-RS",
            "cmn",
            "es-419",
            "zh-Hans-CN",
            "ase",
            "fr-CA",
            "ja",
            "sr-Cyrl",
            "es-MX",
            "zh-yue-HK",
            "sl-rozaj-biske",
            "de-CH-1901",
            "en-US-x-twain",
            "x-whatever",
            "i-klingon",
            "EN-gb-OED",
            "en-a-bbb-b-ccc",
            "tlh",
            "abcde",
            "hy-Latn-IT-arevela",
            "qaa-Qaaa-QM-x-southern",
        ] {
            assert!(is_language_tag(t), "{t} should be a language tag");
        }
    }

    #[test]
    fn rejects_malformed_tags() {
        for t in [
            "",
            "a12345",
            "a12345678",
            "something",
            "e",
            "en-",
            "-en",
            "en--US",
            "en_US",
            "zh-z-aaa-z-bbb-c-ccc",
            "de-1901-1901",
            "en-a",
            "x",
            "en-x",
            "123",
            "en-US-a-",
            "ab-cdefghijk",
            "en US",
            "ü",
        ] {
            assert!(!is_language_tag(t), "{t:?} should not be a language tag");
        }
    }
}
