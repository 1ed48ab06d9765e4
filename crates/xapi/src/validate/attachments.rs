//! The `attachments` property: an array of Attachment objects (usageType, display, description, contentType,
//! length, sha2, fileUrl). A signature attachment (JWS) must be `application/octet-stream`.

use super::{as_array, as_object, as_str, formats, irl, lang, not_allowed, required, Checked, Path};
use serde_json::Value;

/// The usageType of a JSON Web Signature over the statement.
pub const SIGNATURE_USAGE_TYPE: &str = "http://adlnet.gov/expapi/attachments/signature";

const REQUIRED: [&str; 5] = ["usageType", "display", "contentType", "length", "sha2"];

pub(crate) fn attachments(value: &Value, path: &Path) -> Checked {
    for (i, item) in as_array(value, path)?.iter().enumerate() {
        attachment(item, &path.index(i))?;
    }
    Ok(())
}

fn attachment(value: &Value, path: &Path) -> Checked {
    let map = as_object(value, path)?;
    for (key, v) in map {
        let at = path.key(key);
        match key.as_str() {
            "usageType" => super::iri(v, &at)?,
            "display" | "description" => lang::language_map(v, &at)?,
            "contentType" => {
                if !formats::is_media_type(as_str(v, &at)?) {
                    return Err(at.err("must be an Internet media type such as text/plain"));
                }
            }
            "length" => {
                if !v.is_u64() {
                    return Err(super::type_error(v, &at, "a non-negative integer"));
                }
            }
            "sha2" => {
                if !formats::is_sha2_hex(as_str(v, &at)?) {
                    return Err(at.err("must be a hex-encoded SHA-2 hash"));
                }
            }
            "fileUrl" => irl(v, &at)?,
            _ => return Err(not_allowed(&at)),
        }
    }
    for key in REQUIRED {
        if !map.contains_key(key) {
            return Err(required(path, key));
        }
    }
    let is_signature = map.get("usageType").and_then(Value::as_str) == Some(SIGNATURE_USAGE_TYPE);
    if is_signature && map.get("contentType").and_then(Value::as_str) != Some("application/octet-stream") {
        return Err(path.key("contentType").err("must be application/octet-stream for a signature attachment"));
    }
    Ok(())
}
