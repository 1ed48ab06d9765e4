//! From a request body to the records the gateway publishes: parse once, validate every statement, then
//! normalise (id, stored, authority, version, timestamp) and serialise once. The whole request is rejected
//! when any statement in it is invalid, so nothing of a bad request is ever published.

use crate::error::ValidationError;
use crate::time;
use crate::validate;
use crate::version::XapiVersion;
use serde_json::{Map, Value};
use std::collections::HashSet;
use uuid::Uuid;

/// What the LRS contributes to every statement of one request.
pub struct PrepareContext<'a> {
    pub version: XapiVersion,
    pub stored_ms: i64,
    /// The Agent (or Group) the credential stands for; overwrites any authority the client sent.
    pub authority: &'a Value,
}

/// One statement ready to publish: its id (the Kafka key) and its normalised JSON (the record value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub id: Uuid,
    pub payload: Vec<u8>,
}

/// `POST /statements`: a single statement object or an array of them.
pub fn prepare_batch(body: &[u8], ctx: &PrepareContext) -> Result<Vec<Prepared>, ValidationError> {
    let statements = match parse_body(body)? {
        Value::Array(items) if items.is_empty() => {
            return Err(ValidationError::new("", "the statement array is empty"));
        }
        Value::Array(items) => items,
        single @ Value::Object(_) => vec![single],
        _ => return Err(ValidationError::new("", "body must be a statement object or an array of statements")),
    };
    let batch = statements.len() > 1 || body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    let mut seen = HashSet::with_capacity(statements.len());
    let mut out = Vec::with_capacity(statements.len());
    for (i, statement) in statements.into_iter().enumerate() {
        let at = |e: ValidationError| if batch { e.within(&format!("[{i}]")) } else { e };
        let prepared = prepare_one(statement, None, ctx).map_err(at)?;
        if !seen.insert(prepared.id) {
            return Err(at(ValidationError::new("id", "duplicate statement id within the request")));
        }
        out.push(prepared);
    }
    Ok(out)
}

/// `PUT /statements?statementId=`: exactly one statement, whose `id`, if present, must equal the parameter.
pub fn prepare_put(body: &[u8], statement_id: Uuid, ctx: &PrepareContext) -> Result<Prepared, ValidationError> {
    match parse_body(body)? {
        statement @ Value::Object(_) => prepare_one(statement, Some(statement_id), ctx),
        _ => Err(ValidationError::new("", "body must be a single statement object")),
    }
}

fn parse_body(body: &[u8]) -> Result<Value, ValidationError> {
    serde_json::from_slice(body).map_err(|e| ValidationError::new("", format!("body is not valid JSON ({e})")))
}

fn prepare_one(mut statement: Value, put_id: Option<Uuid>, ctx: &PrepareContext) -> Result<Prepared, ValidationError> {
    validate::statement(&statement, ctx.version)?;
    let Value::Object(map) = &mut statement else {
        return Err(ValidationError::new("", "a statement must be a JSON object"));
    };
    let id = assign_id(map, put_id)?;
    normalise(map);
    let stored = Value::String(time::format_ms(ctx.stored_ms));
    if !map.contains_key("timestamp") {
        map.insert("timestamp".into(), stored.clone());
    }
    map.insert("stored".into(), stored);
    map.insert("authority".into(), ctx.authority.clone());
    if !map.contains_key("version") {
        map.insert("version".into(), Value::String(ctx.version.statement_default().into()));
    }
    let payload = serde_json::to_vec(&statement).map_err(|e| ValidationError::new("", e.to_string()))?;
    Ok(Prepared { id, payload })
}

/// The canonical stored form of the client's properties. xAPI requires the LRS to return every value of
/// `context.contextActivities` as an array, a single Activity object becoming an array of one; done here once so
/// every reader of the stored statement sees the array form. Applies to a SubStatement's context too.
fn normalise(map: &mut Map<String, Value>) {
    arrays_for_context_activities(map);
    if let Some(Value::Object(object)) = map.get_mut("object") {
        if object.get("objectType").and_then(Value::as_str) == Some("SubStatement") {
            arrays_for_context_activities(object);
        }
    }
}

fn arrays_for_context_activities(statement: &mut Map<String, Value>) {
    let Some(Value::Object(context)) = statement.get_mut("context") else { return };
    let Some(Value::Object(activities)) = context.get_mut("contextActivities") else { return };
    for value in activities.values_mut() {
        if value.is_object() {
            let single = std::mem::take(value);
            *value = Value::Array(vec![single]);
        }
    }
}

fn assign_id(map: &mut Map<String, Value>, put_id: Option<Uuid>) -> Result<Uuid, ValidationError> {
    match (map.get("id"), put_id) {
        (Some(Value::String(s)), put) => {
            let id = Uuid::parse_str(s).map_err(|_| ValidationError::new("id", "must be a UUID"))?;
            if put.is_some_and(|p| p != id) {
                return Err(ValidationError::new("id", "does not match the statementId parameter"));
            }
            Ok(id)
        }
        (Some(_), _) => Err(ValidationError::new("id", "must be a UUID string")),
        (None, put) => {
            let id = put.unwrap_or_else(Uuid::new_v4);
            map.insert("id".into(), Value::String(id.hyphenated().to_string()));
            Ok(id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx(authority: &Value) -> PrepareContext<'_> {
        PrepareContext { version: XapiVersion::V1_0_3, stored_ms: 1_700_000_000_000, authority }
    }

    fn statement() -> Value {
        json!({"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},
               "object":{"id":"http://example.com/course"}})
    }

    #[test]
    fn assigns_lrs_properties() {
        let authority = json!({"objectType":"Agent","account":{"homePage":"http://lrs","name":"key"}});
        let out = prepare_batch(statement().to_string().as_bytes(), &ctx(&authority)).expect("valid");
        assert_eq!(out.len(), 1);
        let stored: Value = serde_json::from_slice(&out[0].payload).expect("json");
        assert_eq!(stored["id"], json!(out[0].id.to_string()));
        assert_eq!(stored["stored"], json!("2023-11-14T22:13:20.000Z"));
        assert_eq!(stored["timestamp"], stored["stored"]);
        assert_eq!(stored["authority"], authority);
        assert_eq!(stored["version"], json!("1.0.0"));
    }

    #[test]
    fn keeps_client_id_and_order() {
        let authority = json!({});
        let mut s = statement();
        s["id"] = json!("9dc99b37-e920-4a68-a066-917faca28949");
        let body = serde_json::to_vec(&json!([s])).expect("json");
        let out = prepare_batch(&body, &ctx(&authority)).expect("valid");
        assert_eq!(out[0].id.to_string(), "9dc99b37-e920-4a68-a066-917faca28949");
        let text = String::from_utf8(out[0].payload.clone()).expect("utf8");
        assert!(text.starts_with(r#"{"actor""#), "client property order is kept: {text}");
    }

    #[test]
    fn rejects_duplicate_ids_in_batch() {
        let authority = json!({});
        let mut s = statement();
        s["id"] = json!("9dc99b37-e920-4a68-a066-917faca28949");
        let body = serde_json::to_vec(&json!([s, s])).expect("json");
        let err = prepare_batch(&body, &ctx(&authority)).expect_err("duplicate");
        assert_eq!(err.to_string(), "[1].id: duplicate statement id within the request");
    }

    #[test]
    fn one_bad_statement_rejects_the_batch() {
        let authority = json!({});
        let body = serde_json::to_vec(&json!([statement(), {"verb":{"id":"http://x"}}])).expect("json");
        let err = prepare_batch(&body, &ctx(&authority)).expect_err("invalid");
        assert!(err.path.starts_with("[1]"), "{err}");
    }

    #[test]
    fn rejects_non_json_and_wrong_shapes() {
        let authority = json!({});
        for body in [&b"{"[..], b"", b"42", b"[]", b"[1]", b"\"s\""] {
            assert!(prepare_batch(body, &ctx(&authority)).is_err(), "{:?}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn context_activities_are_stored_as_arrays() {
        let authority = json!({});
        let mut s = statement();
        s["context"] = json!({"contextActivities": {
            "parent": {"id": "http://example.com/parent"},
            "grouping": [{"id": "http://example.com/grouping"}],
            "category": {"id": "http://example.com/category", "objectType": "Activity"}
        }});
        s["object"] = json!({"objectType": "SubStatement", "actor": {"mbox": "mailto:b@example.com"},
            "verb": {"id": "http://example.com/planned"}, "object": {"id": "http://example.com/course"},
            "context": {"contextActivities": {"other": {"id": "http://example.com/other"}}}});
        let out = prepare_batch(s.to_string().as_bytes(), &ctx(&authority)).expect("valid");
        let stored: Value = serde_json::from_slice(&out[0].payload).expect("json");
        let ca = &stored["context"]["contextActivities"];
        assert_eq!(ca["parent"], json!([{"id": "http://example.com/parent"}]));
        assert_eq!(ca["grouping"], json!([{"id": "http://example.com/grouping"}]));
        assert_eq!(ca["category"], json!([{"id": "http://example.com/category", "objectType": "Activity"}]));
        assert_eq!(stored["object"]["context"]["contextActivities"]["other"], json!([{"id": "http://example.com/other"}]));
    }

    #[test]
    fn invalid_statement_error_names_the_path() {
        let authority = json!({});
        let mut s = statement();
        s["actor"] = json!({"mbox": "a@example.com"});
        let err = prepare_batch(s.to_string().as_bytes(), &ctx(&authority)).expect_err("invalid");
        assert_eq!(err.to_string(), "actor.mbox: must be a mailto IRI (mailto:name@example.com)");
        let err = prepare_batch(json!([statement(), s]).to_string().as_bytes(), &ctx(&authority)).expect_err("invalid");
        assert_eq!(err.path, "[1].actor.mbox");
    }

    #[test]
    fn put_checks_id_against_parameter() {
        let authority = json!({});
        let param = Uuid::parse_str("9dc99b37-e920-4a68-a066-917faca28949").expect("uuid");
        let out = prepare_put(statement().to_string().as_bytes(), param, &ctx(&authority)).expect("valid");
        assert_eq!(out.id, param);
        let mut s = statement();
        s["id"] = json!("54f42ca3-a826-4af9-935d-7e7b853a6c49");
        assert!(prepare_put(s.to_string().as_bytes(), param, &ctx(&authority)).is_err());
    }
}
