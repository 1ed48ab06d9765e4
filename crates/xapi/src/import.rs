//! Statements imported from an export or from another LRS: validated like any statement, but `id`, `stored`,
//! `authority` and `timestamp` are kept as they were (the LRS supplies only what is missing), so the imported
//! store answers as the exported one did.

use crate::error::ValidationError;
use crate::prepare::{normalise, parse_strict, PrepareContext, Prepared};
use crate::{time, validate, XapiVersion};
use serde_json::Value;
use uuid::Uuid;

/// One statement of an import, as its exact JSON text.
pub fn prepare_import(text: &[u8], ctx: &PrepareContext) -> Result<Prepared, ValidationError> {
    let mut value = parse_strict(text)?;
    let version = match value.get("version").and_then(Value::as_str) {
        Some(v) if v.starts_with("2.") => XapiVersion::V2_0_0,
        Some(_) => XapiVersion::V1_0_3,
        None => ctx.version,
    };
    validate::statement(&value, version)?;
    let (agents, activities) = crate::index::fan_out(&value);
    if agents.max(activities) > crate::index::MAX_RELATED_KEYS {
        return Err(ValidationError::new("", "the statement relates more agents or activities than this LRS indexes"));
    }
    let stored = match value.get("stored") {
        None => None,
        Some(Value::String(s)) => match time::parse(s) {
            Some(t) if t.has_zone => Some(s.clone()),
            _ => return Err(ValidationError::new("stored", "must be an ISO 8601 timestamp with a time zone")),
        },
        Some(_) => return Err(ValidationError::new("stored", "must be a timestamp string")),
    };
    let (fingerprint, timestamp_ms) = crate::compare::fingerprint_and_timestamp(&value);
    let Value::Object(map) = &mut value else {
        return Err(ValidationError::new("", "a statement must be a JSON object"));
    };
    let id = match map.get("id") {
        Some(Value::String(s)) => Uuid::parse_str(s).map_err(|_| ValidationError::new("id", "must be a UUID"))?,
        Some(_) => return Err(ValidationError::new("id", "must be a UUID string")),
        // Derived from the statement, so importing the same file again finds it stored rather than adding it.
        None => derived_id(text),
    };
    normalise(map);
    let stored = stored.map(Value::String).unwrap_or_else(|| Value::String(time::format_ms(ctx.stored_ms)));
    map.insert("id".into(), Value::String(id.hyphenated().to_string()));
    if !map.contains_key("timestamp") {
        map.insert("timestamp".into(), stored.clone());
    }
    map.insert("stored".into(), stored);
    if !map.contains_key("authority") {
        map.insert("authority".into(), ctx.authority.clone());
    }
    if !map.contains_key("version") {
        map.insert("version".into(), Value::String(version.statement_default().into()));
    }
    let payload = serde_json::to_vec(&value).map_err(|e| ValidationError::new("", e.to_string()))?;
    Ok(Prepared { id, payload, fingerprint, client_id: true, client_timestamp_ms: timestamp_ms })
}

fn derived_id(text: &[u8]) -> Uuid {
    let a = crate::compare::fnv1a(text);
    let b = crate::compare::fnv1a(&[text, b"#import"].concat());
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_be_bytes());
    bytes[8..].copy_from_slice(&b.to_be_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx(authority: &Value) -> PrepareContext<'_> {
        PrepareContext { version: XapiVersion::V1_0_3, stored_ms: 1_700_000_000_000, authority }
    }

    fn statement() -> Value {
        json!({"actor": {"mbox": "mailto:a@example.com"}, "verb": {"id": "http://example.com/v"},
               "object": {"id": "http://example.com/a"}})
    }

    #[test]
    fn keeps_what_the_export_carried() {
        let authority = json!({"mbox": "mailto:lrs@example.com"});
        let mut s = statement();
        s["id"] = json!("6f0a4c3e-9a36-4a8b-8f5e-2d7c1b0e9a11");
        s["stored"] = json!("2020-01-02T03:04:05.678Z");
        s["timestamp"] = json!("2020-01-01T00:00:00.000Z");
        s["authority"] = json!({"objectType": "Agent", "account": {"homePage": "http://old", "name": "k"}});
        let p = prepare_import(s.to_string().as_bytes(), &ctx(&authority)).unwrap();
        let out: Value = serde_json::from_slice(&p.payload).unwrap();
        for k in ["id", "stored", "timestamp", "authority"] {
            assert_eq!(out[k], s[k], "{k}");
        }
        assert_eq!(p.id.to_string(), "6f0a4c3e-9a36-4a8b-8f5e-2d7c1b0e9a11");
    }

    #[test]
    fn supplies_what_is_missing_and_the_same_id_each_time() {
        let authority = json!({"mbox": "mailto:lrs@example.com"});
        let text = statement().to_string();
        let a = prepare_import(text.as_bytes(), &ctx(&authority)).unwrap();
        let b = prepare_import(text.as_bytes(), &ctx(&authority)).unwrap();
        assert_eq!(a.id, b.id);
        let out: Value = serde_json::from_slice(&a.payload).unwrap();
        assert_eq!(out["stored"], "2023-11-14T22:13:20.000Z");
        assert_eq!(out["authority"], authority);
        assert_eq!(out["version"], "1.0.0");
    }

    #[test]
    fn refuses_invalid_statements() {
        let authority = json!({"mbox": "mailto:lrs@example.com"});
        let mut s = statement();
        s["stored"] = json!("yesterday");
        assert!(prepare_import(s.to_string().as_bytes(), &ctx(&authority)).is_err());
        assert!(prepare_import(br#"{"verb":{"id":"http://v"}}"#, &ctx(&authority)).is_err());
        assert!(prepare_import(b"[1]", &ctx(&authority)).is_err());
    }
}
