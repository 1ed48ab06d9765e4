//! Statement comparison: whether two statements are "the same" in the sense of xAPI 1.0.3 Data 2.3.1
//! (Statement Immutability, "Statement Comparision Requirements") and xAPI 2.0 / IEEE 9274.1.1 (the same rules,
//! plus 4.2.7 on durations). Used for a re-sent statement id (`409 Conflict` when it differs, Communication
//! 2.1.1) and for a signed statement's JWS payload (Data 2.6).
//!
//! The rule is: differences that could have been caused by the exceptions to immutability are ignored, every
//! other difference counts. What that means here, exception by exception:
//!
//! * LRS-assigned properties (Data 2.3.1 first bullet): `stored`, `authority` and `version` are dropped.
//!   `id` and `timestamp` are kept, because two statements whose ids or timestamps differ are different; but
//!   [`same_statement`] ignores either when only one side has it, since the LRS may have assigned it. The
//!   [`fingerprint`] cannot express "absent matches anything", so it keeps both; the gateway computes it from
//!   the statement as the client sent it, where a re-send of the same statement carries the same properties.
//! * Activity Definitions and Verb `display` are "not considered part of the Statement itself" (Data 2.3.1,
//!   bullets 2 and 3): every Activity's `definition` and every Verb's `display` are dropped.
//! * Serialisation of timestamps (bullet 4): `timestamp` is compared as an instant at millisecond precision
//!   (the LRS may truncate or round to milliseconds, Data 4.5), written back as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
//! * Unordered lists (bullet 5): the `member` list of a Group is sorted. No other list is unordered.
//! * Attachments (bullet 6) are the raw data, compared by their `sha2`; the `attachments` metadata property stays
//!   (the signature check removes it on both sides itself, see `signature`).
//! * Case-insensitive values (bullet 7): the `mailto:` scheme and domain of an `mbox`, the hex digits of
//!   `mbox_sha1sum` and attachment `sha2`, the UUIDs (`id`, `context.registration`, StatementRef ids), and
//!   language tags (`context.language`, the keys of the attachment language maps) are lowercased.
//! * contextActivities: the LRS must return each value as an array (Data 2.4.6.2), so a single Activity object
//!   compares equal to an array holding it.
//! * Durations: "any precision beyond 0.01 second precision shall not be included in the comparison" (1.0.3
//!   Data 4.6, 2.0 4.2.7): the seconds of `result.duration` are truncated to hundredths, and trailing zeros of
//!   that fraction dropped (`PT1.1237S` = `PT1.12S` = `PT1.120S`). Otherwise a duration compares as a string
//!   (Data 2.3.1: "Result Duration is considered a string").
//!
//! Everything else (IRIs, numbers, names, extensions) compares exactly: "differences relating to a different
//! serialization of any properties not listed as exceptions MUST not be ignored". IRIs use simple string
//! comparison, one of the approaches RFC 3987 5.3 (and 2.0 4.2.7) allows.

use crate::time;
use crate::walk::{self, Visit};
use serde_json::{Map, Value};

/// The properties only the LRS sets, dropped before comparing.
const LRS_ONLY: [&str; 3] = ["stored", "authority", "version"];

/// The properties the LRS may assign when absent; ignored by [`same_statement`] when only one side has one.
const MAY_BE_ASSIGNED: [&str; 2] = ["id", "timestamp"];

/// The statement reduced to what the comparison looks at, in canonical form (see the module doc).
pub fn comparable(statement: &Value) -> Value {
    let mut value = statement.clone();
    if let Value::Object(map) = &mut value {
        for key in LRS_ONLY {
            map.remove(key);
        }
    }
    walk::walk(&mut value, &mut Canonicalise);
    value
}

/// A stable 64-bit hash of [`comparable`]: FNV-1a over its canonical JSON text (object keys sorted by their
/// UTF-8 bytes, no whitespace). Stable across builds, machines and runs, so it can be stored.
pub fn fingerprint(statement: &Value) -> u64 {
    fnv1a(&canonical_json(&comparable(statement)))
}

/// The fingerprint without `timestamp`, plus the timestamp (epoch ms) when the statement has one. A stored
/// statement and a re-sent one are the same when the fingerprints agree and either side lacks a timestamp (the
/// LRS assigned it) or both are the same instant: a client retrying without a timestamp, or re-sending the
/// statement as the LRS returned it, is a no-op, not a conflict.
pub fn fingerprint_and_timestamp(statement: &Value) -> (u64, Option<i64>) {
    let mut value = comparable(statement);
    let timestamp = match &mut value {
        Value::Object(map) => map.remove("timestamp"),
        _ => None,
    };
    let ms = timestamp.as_ref().and_then(Value::as_str).and_then(time::parse).map(|t| t.epoch_ms);
    (fnv1a(&canonical_json(&value)), ms)
}

/// Whether `a` and `b` are the same statement under the comparison rules (see the module doc).
pub fn same_statement(a: &Value, b: &Value) -> bool {
    let (mut a, mut b) = (comparable(a), comparable(b));
    if let (Value::Object(ma), Value::Object(mb)) = (&mut a, &mut b) {
        for key in MAY_BE_ASSIGNED {
            if ma.contains_key(key) != mb.contains_key(key) {
                ma.remove(key);
                mb.remove(key);
            }
        }
    }
    canonical_json(&a) == canonical_json(&b)
}

/// The canonical JSON text: object keys sorted by bytes, no insignificant whitespace, strings escaped one way.
pub(crate) fn canonical_json(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            // serde_json keeps insertion order (preserve_order), so sort explicitly.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|x, y| x.0.as_bytes().cmp(y.0.as_bytes()));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(key, out);
                out.push(b':');
                write_canonical(item, out);
            }
            out.push(b'}');
        }
    }
}

/// A JSON string: `"` and `\` escaped, control characters as `\u00XX`, everything else verbatim UTF-8.
fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x00..=0x1f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 0xf) as usize]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

/// FNV-1a, 64-bit: tiny, fixed constants, so the value never changes between builds (unlike std's hasher).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(PRIME))
}

/// The canonicalising visitor behind [`comparable`].
struct Canonicalise;

impl Visit for Canonicalise {
    fn statement(&mut self, map: &mut Map<String, Value>) {
        lowercase(map.get_mut("id"));
        if let Some(Value::String(ts)) = map.get_mut("timestamp") {
            if let Some(parsed) = time::parse(ts) {
                *ts = time::format_ms(parsed.epoch_ms);
            }
        }
        if let Some(Value::String(d)) = map.get_mut("result").and_then(|r| r.get_mut("duration")) {
            *d = duration(d);
        }
        if let Some(Value::Object(context)) = map.get_mut("context") {
            lowercase(context.get_mut("registration"));
            lowercase(context.get_mut("language"));
            if let Some(Value::Object(activities)) = context.get_mut("contextActivities") {
                for value in activities.values_mut() {
                    if value.is_object() {
                        *value = Value::Array(vec![std::mem::take(value)]);
                    }
                }
            }
        }
        if let Some(Value::Array(attachments)) = map.get_mut("attachments") {
            for attachment in attachments.iter_mut().filter_map(Value::as_object_mut) {
                lowercase(attachment.get_mut("sha2"));
                for key in ["display", "description"] {
                    if let Some(Value::Object(language_map)) = attachment.get_mut(key) {
                        lowercase_keys(language_map);
                    }
                }
            }
        }
    }

    fn actor(&mut self, actor: &mut Value) {
        let Value::Object(map) = actor else { return };
        if let Some(Value::String(mbox)) = map.get_mut("mbox") {
            *mbox = canonical_mbox(mbox);
        }
        lowercase(map.get_mut("mbox_sha1sum"));
        if let Some(Value::Array(members)) = map.get_mut("member") {
            for member in members.iter_mut() {
                self.actor(member);
            }
            members.sort_by_cached_key(canonical_json);
        }
    }

    fn verb(&mut self, verb: &mut Value) {
        if let Value::Object(map) = verb {
            map.remove("display");
        }
    }

    fn activity(&mut self, activity: &mut Value) {
        if let Value::Object(map) = activity {
            map.remove("definition");
        }
    }

    fn statement_ref(&mut self, reference: &mut Value) {
        lowercase(reference.get_mut("id"));
    }
}

fn lowercase(value: Option<&mut Value>) {
    if let Some(Value::String(s)) = value {
        s.make_ascii_lowercase();
    }
}

fn lowercase_keys(map: &mut Map<String, Value>) {
    if map.keys().any(|k| k.bytes().any(|b| b.is_ascii_uppercase())) {
        let entries = std::mem::take(map);
        for (key, value) in entries {
            map.insert(key.to_ascii_lowercase(), value);
        }
    }
}

/// `mailto:` in lowercase and the domain (after the last `@`) in lowercase; the local part is case-sensitive.
fn canonical_mbox(mbox: &str) -> String {
    let rest = match mbox.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("mailto:") => &mbox[7..],
        _ => return mbox.to_string(),
    };
    match rest.rsplit_once('@') {
        Some((local, domain)) => format!("mailto:{local}@{}", domain.to_ascii_lowercase()),
        None => format!("mailto:{rest}"),
    }
}

/// The duration with the fraction of its seconds truncated to hundredths and stripped of trailing zeros; a
/// decimal comma becomes a point. Any other text is returned unchanged.
pub(crate) fn duration(d: &str) -> String {
    let Some(body) = d.strip_suffix('S') else { return d.to_string() };
    let number = |c: char| c.is_ascii_digit() || c == '.' || c == ',';
    let start = body.char_indices().rev().find(|&(_, c)| !number(c)).map_or(0, |(i, c)| i + c.len_utf8());
    let (head, seconds) = body.split_at(start);
    let Some((whole, fraction)) = seconds.split_once(['.', ',']) else { return d.to_string() };
    if whole.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return d.to_string();
    }
    let kept = fraction.get(..2).unwrap_or(fraction).trim_end_matches('0');
    if kept.is_empty() {
        format!("{head}{whole}S")
    } else {
        format!("{head}{whole}.{kept}S")
    }
}

#[cfg(test)]
#[path = "compare_tests.rs"]
mod tests;
