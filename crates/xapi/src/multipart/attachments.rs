//! The xAPI rules over the parts of a `multipart/mixed` statement request (1.0.3 Communication 1.5.2 and Data
//! 2.4.11; 2.0 4.1.3 and 4.2.2.6):
//!
//! * the first part holds the statements, with Content-Type `application/json` ([`statements_part`]);
//! * every further part carries an `X-Experience-API-Hash` header, the SHA-2 of its content in hex; the LRS
//!   matches a part to its Attachment(s) by that hash and "MUST not do so any other way". The hash is checked
//!   against the content: SHA-256, SHA-384 or SHA-512 by its length (the three the specification names);
//! * `Content-Transfer-Encoding`: a client MUST send `binary`; the LRS "SHOULD assume a Content-Transfer-Encoding
//!   of binary", so an absent header is accepted and any other value is rejected (as the conformance suite
//!   expects for `base64`). 1.0.3 and 2.0 agree here;
//! * the part's Content-Type, when given, must match the Attachment's `contentType` (parameters ignored):
//!   "where parameters have a corresponding property within the attachment Object ... the value of these
//!   parameters and properties MUST match";
//! * every Attachment without a `fileUrl` needs a part with its hash ("MUST reject batches of Statements having
//!   Attachments that neither contain a fileUrl nor match a received Attachment part based on their hash");
//! * a part that no Attachment references is rejected ("excess multi-part sections that are not attachments",
//!   conformance XAPI-00128);
//! * the same content may be sent once for several Attachments, and parts repeating a hash are kept once.

use super::{media_type, Part};
use crate::error::ValidationError;
use serde_json::Value;
use sha2::{Digest, Sha256, Sha384, Sha512};
use std::collections::{HashMap, HashSet};

/// The longest content type an attachment is stored with (RFC 6838 bounds a type and subtype to 127
/// characters each; the rest is room for parameters).
pub const MAX_CONTENT_TYPE_BYTES: usize = 1024;

/// The content of one attachment, identified by its SHA-2 (lowercase hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentData {
    pub sha2: String,
    /// The part's Content-Type, or the Attachment's `contentType` when the part has none.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// The statements part: the body of the first part, which must be `application/json`.
pub fn statements_part<'a>(parts: &[Part<'a>]) -> Result<&'a [u8], ValidationError> {
    let first = parts.first().ok_or_else(|| ValidationError::new("", "the multipart body has no parts"))?;
    match first.header("content-type") {
        Some(ct) if media_type(ct).eq_ignore_ascii_case("application/json") => Ok(first.body),
        _ => Err(ValidationError::new(
            "",
            "the first part of a multipart/mixed request must be application/json (the statements)",
        )),
    }
}

/// Checks the attachment parts (all `parts` after the first) against the `statements` of the first part and
/// returns their content, one entry per distinct hash, in part order. Error paths name the statement's
/// attachment (`[2].attachments[0].sha2`, without the index when there is a single statement) or the part.
pub fn attachments_from_parts(statements: &[Value], parts: &[Part]) -> Result<Vec<AttachmentData>, ValidationError> {
    let declared = declared_attachments(statements);
    // By lowercase hash, so a request with many attachments and parts stays linear.
    let mut by_hash: HashMap<String, Vec<&Declared>> = HashMap::new();
    for d in &declared {
        by_hash.entry(d.sha2.to_ascii_lowercase()).or_default().push(d);
    }
    let mut out: Vec<AttachmentData> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for (i, part) in parts.iter().enumerate().skip(1) {
        let sha2 = checked_hash(part, i + 1)?;
        let Some(referencing) = by_hash.get(&sha2) else {
            return Err(part_error(
                i + 1,
                format!("is not referenced by any attachment (X-Experience-API-Hash {sha2})"),
            ));
        };
        let part_type = part.header("content-type");
        if let Some(ct) = part_type {
            let matches =
                |d: &&Declared| d.content_type.is_none_or(|t| media_type(t).eq_ignore_ascii_case(media_type(ct)));
            if !referencing.iter().any(matches) {
                return Err(part_error(i + 1, format!("has Content-Type {ct}, not its attachment's contentType")));
            }
        }
        if !seen.insert(sha2.clone()) {
            continue;
        }
        let content_type =
            part_type.or_else(|| referencing.iter().find_map(|d| d.content_type)).unwrap_or("application/octet-stream");
        if content_type.len() > MAX_CONTENT_TYPE_BYTES {
            return Err(part_error(
                i + 1,
                format!("has a content type of {} bytes, more than {MAX_CONTENT_TYPE_BYTES}", content_type.len()),
            ));
        }
        out.push(AttachmentData { sha2, content_type: content_type.to_string(), bytes: part.body.to_vec() });
    }
    for d in &declared {
        if !d.has_file_url && !seen.contains(&d.sha2.to_ascii_lowercase()) {
            return Err(ValidationError::new(
                format!("{}.sha2", d.path),
                "no multipart part carries this hash (and there is no fileUrl)",
            ));
        }
    }
    Ok(out)
}

/// One Attachment object of the request's statements.
struct Declared<'s> {
    path: String,
    sha2: &'s str,
    content_type: Option<&'s str>,
    has_file_url: bool,
}

/// The Attachments of every statement and of a SubStatement object, with their paths.
fn declared_attachments(statements: &[Value]) -> Vec<Declared<'_>> {
    let mut out = Vec::new();
    for (s, statement) in statements.iter().enumerate() {
        let prefix = if statements.len() > 1 { format!("[{s}].") } else { String::new() };
        let sub =
            statement.get("object").filter(|o| o.get("objectType").and_then(Value::as_str) == Some("SubStatement"));
        let lists = [
            (format!("{prefix}attachments"), statement.get("attachments")),
            (format!("{prefix}object.attachments"), sub.and_then(|o| o.get("attachments"))),
        ];
        for (path, list) in lists {
            let Some(Value::Array(items)) = list else { continue };
            for (a, item) in items.iter().enumerate() {
                let Some(sha2) = item.get("sha2").and_then(Value::as_str) else { continue };
                out.push(Declared {
                    path: format!("{path}[{a}]"),
                    sha2,
                    content_type: item.get("contentType").and_then(Value::as_str),
                    has_file_url: item.get("fileUrl").is_some(),
                });
            }
        }
    }
    out
}

/// The part's `X-Experience-API-Hash` (lowercased), after checking it against the content and checking the
/// transfer encoding. `number` counts parts from 1, the statements part included.
fn checked_hash(part: &Part, number: usize) -> Result<String, ValidationError> {
    if let Some(encoding) = part.header("content-transfer-encoding") {
        if !encoding.eq_ignore_ascii_case("binary") {
            return Err(part_error(
                number,
                format!("has Content-Transfer-Encoding {encoding}; attachments must be sent as binary"),
            ));
        }
    }
    let declared = part
        .header("x-experience-api-hash")
        .ok_or_else(|| part_error(number, "has no X-Experience-API-Hash header"))?
        .to_ascii_lowercase();
    let actual = match declared.len() {
        64 => hex(&Sha256::digest(part.body)),
        96 => hex(&Sha384::digest(part.body)),
        128 => hex(&Sha512::digest(part.body)),
        _ => {
            return Err(part_error(
                number,
                "has an X-Experience-API-Hash that is not a hex SHA-256, SHA-384 or SHA-512",
            ))
        }
    };
    if actual != declared {
        return Err(part_error(number, "has an X-Experience-API-Hash that does not match the SHA-2 of its content"));
    }
    Ok(declared)
}

fn part_error(number: usize, rule: impl Into<String>) -> ValidationError {
    ValidationError::new("", format!("multipart part {number} {}", rule.into()))
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

#[cfg(test)]
#[path = "attachments_tests.rs"]
mod tests;
