//! From a request body to the records the gateway publishes: parse once, validate every statement, then
//! normalise (id, stored, authority, version, timestamp, contextActivities arrays). The whole request is rejected
//! when any statement in it is invalid, so nothing of a bad request is ever published.
//!
//! The record is the client's own text of the statement with the LRS properties appended (`id` and `timestamp`
//! when absent, `stored`, `authority`, `version` when absent): no re-serialisation, so the stored statement
//! keeps the client's exact serialisation. The statement is re-serialised from its parsed form only when a
//! property must be replaced (a client-sent `stored` or `authority`) or a single contextActivities Activity
//! must become an array. Repeated properties are rejected at parse time (xAPI: each property at most once),
//! so the text and the validated value never differ.

use crate::error::ValidationError;
use crate::time;
use crate::validate;
use crate::version::XapiVersion;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Number, Value};
use std::collections::HashSet;
use std::fmt;
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
    /// The statement's comparison hash as the client sent it (before the LRS properties), without its
    /// timestamp: two statements with one id are "the same" (a no-op re-send, not a 409 conflict) when their
    /// fingerprints agree and their timestamps do not differ.
    pub fingerprint: u64,
    /// Whether the client chose the id, in the body or as a PUT's `statementId` (only then can it collide with a
    /// stored statement).
    pub client_id: bool,
    /// The client's `timestamp` (epoch ms), compared apart from the fingerprint (see `compare`).
    pub client_timestamp_ms: Option<i64>,
}

/// `POST /statements`: a single statement object or an array of them.
pub fn prepare_batch(body: &[u8], ctx: &PrepareContext) -> Result<Vec<Prepared>, ValidationError> {
    let (statements, batch) = match first_byte(body) {
        Some(b'[') => {
            let raws: Vec<&RawValue> = serde_json::from_slice(body).map_err(json_error)?;
            if raws.is_empty() {
                return Err(ValidationError::new("", "the statement array is empty"));
            }
            let mut statements = Vec::with_capacity(raws.len());
            for (i, raw) in raws.into_iter().enumerate() {
                let text = raw.get().as_bytes();
                let value = parse_strict(text).map_err(|e| e.within(&format!("[{i}]")))?;
                statements.push(Received { value, text });
            }
            (statements, true)
        }
        Some(b'{') => (vec![Received { value: parse_strict(body)?, text: body }], false),
        _ => {
            parse_strict(body)?;
            return Err(ValidationError::new("", "body must be a statement object or an array of statements"));
        }
    };
    let mut seen = HashSet::with_capacity(statements.len());
    let mut out = Vec::with_capacity(statements.len());
    let lrs = LrsProperties::new(ctx);
    let mut index_cells = 0usize;
    for (i, statement) in statements.into_iter().enumerate() {
        let at = |e: ValidationError| if batch { e.within(&format!("[{i}]")) } else { e };
        let (agents, activities) = crate::index::fan_out(&statement.value);
        index_cells += (agents + activities + 2).pow(2);
        if index_cells > crate::index::MAX_REQUEST_INDEX_CELLS {
            return Err(ValidationError::new(
                "",
                "the request relates too many agents and activities to index at once: send it in smaller batches",
            ));
        }
        let prepared = prepare_one(statement, None, &lrs).map_err(at)?;
        if !seen.insert(prepared.id) {
            return Err(at(ValidationError::new("id", "duplicate statement id within the request")));
        }
        out.push(prepared);
    }
    Ok(out)
}

/// `PUT /statements?statementId=`: exactly one statement, whose `id`, if present, must equal the parameter.
pub fn prepare_put(body: &[u8], statement_id: Uuid, ctx: &PrepareContext) -> Result<Prepared, ValidationError> {
    let value = parse_strict(body)?;
    if !value.is_object() {
        return Err(ValidationError::new("", "body must be a single statement object"));
    }
    prepare_one(Received { value, text: body }, Some(statement_id), &LrsProperties::new(ctx))
}

/// One statement as received: its parsed value and its exact JSON text.
struct Received<'a> {
    value: Value,
    text: &'a [u8],
}

fn first_byte(body: &[u8]) -> Option<u8> {
    body.iter().copied().find(|b| !b.is_ascii_whitespace())
}

fn json_error(e: serde_json::Error) -> ValidationError {
    match e.classify() {
        // Raised by `Strict` below: a repeated property, already phrased as a rule.
        serde_json::error::Category::Data => ValidationError::new("", e.to_string()),
        _ => ValidationError::new("", format!("body is not valid JSON ({e})")),
    }
}

/// Parses JSON rejecting objects that repeat a property name (xAPI: a statement uses each property at most
/// once; a repeated one would also make the stored text mean something other than what was validated).
pub(crate) fn parse_strict(text: &[u8]) -> Result<Value, ValidationError> {
    serde_json::from_slice::<Strict>(text).map(|s| s.0).map_err(json_error)
}

/// A `serde_json::Value` built like serde_json's own, except that a repeated object key is an error.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        Strict::deserialize(deserializer).map(|s| s.0)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let Strict(value) = access.next_value()?;
            match map.entry(key) {
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                serde_json::map::Entry::Occupied(slot) => {
                    return Err(de::Error::custom(format_args!(
                        "the property \"{}\" appears more than once in an object",
                        slot.key()
                    )));
                }
            }
        }
        Ok(Value::Object(map))
    }
}

/// What one request adds to each of its statements, computed once per request.
struct LrsProperties<'a> {
    ctx: &'a PrepareContext<'a>,
    stored: Value,
}

impl<'a> LrsProperties<'a> {
    fn new(ctx: &'a PrepareContext<'a>) -> Self {
        LrsProperties { ctx, stored: Value::String(time::format_ms(ctx.stored_ms)) }
    }
}

fn prepare_one(received: Received, put_id: Option<Uuid>, lrs: &LrsProperties) -> Result<Prepared, ValidationError> {
    let ctx = lrs.ctx;
    let Received { mut value, text } = received;
    validate::statement(&value, ctx.version)?;
    let (agents, activities) = crate::index::fan_out(&value);
    if agents.max(activities) > crate::index::MAX_RELATED_KEYS {
        return Err(ValidationError::new(
            "",
            format!(
                "the statement relates {agents} agents and {activities} activities; this LRS indexes at most {} of each",
                crate::index::MAX_RELATED_KEYS
            ),
        ));
    }
    let (fingerprint, timestamp_ms) = crate::compare::fingerprint_and_timestamp(&value);
    let Value::Object(map) = &mut value else {
        return Err(ValidationError::new("", "a statement must be a JSON object"));
    };
    let (id, id_present) = statement_id(map, put_id)?;
    let rewrite = map.contains_key("stored") || map.contains_key("authority") || needs_array_normalisation(map);
    let payload = if rewrite {
        if !id_present {
            map.insert("id".into(), Value::String(id.hyphenated().to_string()));
        }
        normalise(map);
        if !map.contains_key("timestamp") {
            map.insert("timestamp".into(), lrs.stored.clone());
        }
        map.insert("stored".into(), lrs.stored.clone());
        map.insert("authority".into(), ctx.authority.clone());
        if !map.contains_key("version") {
            map.insert("version".into(), Value::String(ctx.version.statement_default().into()));
        }
        let mut payload = Vec::with_capacity(text.len() + 256);
        serde_json::to_writer(&mut payload, &value).map_err(|e| ValidationError::new("", e.to_string()))?;
        payload
    } else {
        splice(text, map, id, id_present, lrs)?
    };
    // A PUT's id is the client's choice too, in the body or only in the statementId parameter.
    let client_id = id_present || put_id.is_some();
    Ok(Prepared { id, payload, fingerprint, client_id, client_timestamp_ms: timestamp_ms })
}

/// The client's text of the statement with the LRS properties appended before its closing brace.
fn splice(
    text: &[u8],
    map: &Map<String, Value>,
    id: Uuid,
    id_present: bool,
    lrs: &LrsProperties,
) -> Result<Vec<u8>, ValidationError> {
    let start = text.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(0);
    let end = text.iter().rposition(|b| !b.is_ascii_whitespace()).unwrap_or(0);
    // A validated statement is a non-empty object: `{ ... }` with at least actor, verb and object.
    let inner = match text.get(start..end) {
        Some(inner) if text.get(start) == Some(&b'{') && text.get(end) == Some(&b'}') => inner,
        _ => return Err(ValidationError::new("", "a statement must be a JSON object")),
    };
    let mut out = Vec::with_capacity(text.len() + 320);
    out.extend_from_slice(inner);
    let mut add = |key: &str, value: &Value| -> Result<(), ValidationError> {
        out.extend_from_slice(b",\"");
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":");
        serde_json::to_writer(&mut out, value).map_err(|e| ValidationError::new("", e.to_string()))
    };
    if !id_present {
        add("id", &Value::String(id.hyphenated().to_string()))?;
    }
    if !map.contains_key("timestamp") {
        add("timestamp", &lrs.stored)?;
    }
    add("stored", &lrs.stored)?;
    add("authority", lrs.ctx.authority)?;
    if !map.contains_key("version") {
        add("version", &Value::String(lrs.ctx.version.statement_default().into()))?;
    }
    out.push(b'}');
    Ok(out)
}

/// The statement id: the client's (checked against the PUT parameter) or a new one; and whether the client
/// sent it.
fn statement_id(map: &Map<String, Value>, put_id: Option<Uuid>) -> Result<(Uuid, bool), ValidationError> {
    match (map.get("id"), put_id) {
        (Some(Value::String(s)), put) => {
            let id = Uuid::parse_str(s).map_err(|_| ValidationError::new("id", "must be a UUID"))?;
            if put.is_some_and(|p| p != id) {
                return Err(ValidationError::new("id", "does not match the statementId parameter"));
            }
            Ok((id, true))
        }
        (Some(_), _) => Err(ValidationError::new("id", "must be a UUID string")),
        (None, put) => Ok((put.unwrap_or_else(Uuid::new_v4), false)),
    }
}

/// The canonical stored form of the client's properties. xAPI requires the LRS to return every value of
/// `context.contextActivities` as an array, a single Activity object becoming an array of one; done here once so
/// every reader of the stored statement sees the array form. Applies to a SubStatement's context too.
pub(crate) fn normalise(map: &mut Map<String, Value>) {
    arrays_for_context_activities(map);
    if let Some(Value::Object(object)) = map.get_mut("object") {
        if object.get("objectType").and_then(Value::as_str) == Some("SubStatement") {
            arrays_for_context_activities(object);
        }
    }
}

/// Whether `normalise` would change anything.
fn needs_array_normalisation(map: &Map<String, Value>) -> bool {
    let single_activity = |statement: &Map<String, Value>| {
        statement
            .get("context")
            .and_then(|c| c.get("contextActivities"))
            .and_then(Value::as_object)
            .is_some_and(|activities| activities.values().any(Value::is_object))
    };
    single_activity(map)
        || map
            .get("object")
            .and_then(Value::as_object)
            .is_some_and(|o| o.get("objectType").and_then(Value::as_str) == Some("SubStatement") && single_activity(o))
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
    fn index_fan_out_is_bounded() {
        let authority = json!({"mbox": "mailto:lrs@example.com"});
        let mut s = statement();
        let activities: Vec<Value> =
            (0..=crate::index::MAX_RELATED_KEYS).map(|i| json!({"id": format!("http://a/{i}")})).collect();
        s["context"] = json!({"contextActivities": {"other": activities}});
        let err = prepare_batch(s.to_string().as_bytes(), &ctx(&authority)).expect_err("too many related activities");
        assert!(err.to_string().contains("at most"), "{err}");
        // With the object, 100 activities: at the limit, accepted alone, too many in 500 copies.
        s["context"]["contextActivities"]["other"]
            .as_array_mut()
            .expect("array")
            .truncate(crate::index::MAX_RELATED_KEYS - 1);
        assert!(prepare_batch(s.to_string().as_bytes(), &ctx(&authority)).is_ok());
        let many = serde_json::to_vec(&vec![s; 500]).expect("json");
        let err = prepare_batch(&many, &ctx(&authority)).expect_err("request budget");
        assert!(err.to_string().contains("smaller batches"), "{err}");
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
        assert_eq!(
            stored["object"]["context"]["contextActivities"]["other"],
            json!([{"id": "http://example.com/other"}])
        );
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
    fn appends_lrs_properties_to_the_client_text() {
        let authority = json!({"objectType": "Agent", "account": {"homePage": "http://lrs", "name": "key"}});
        let body = b" {\n  \"actor\": {\"mbox\": \"mailto:a@example.com\"},\n  \"verb\": {\"id\": \"http://adlnet.gov/expapi/verbs/completed\"},\n  \"object\": {\"id\": \"http://example.com/caf\\u00e9\"}\n}\n";
        let out = prepare_batch(body, &ctx(&authority)).expect("valid");
        let text = String::from_utf8(out[0].payload.clone()).expect("utf8");
        assert!(text.starts_with("{\n  \"actor\""), "client text kept: {text}");
        assert!(text.contains("caf\\u00e9"), "client escapes kept: {text}");
        let stored: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(stored["object"]["id"], json!("http://example.com/café"));
        assert_eq!(stored["id"], json!(out[0].id.to_string()));
        assert_eq!(stored["timestamp"], json!("2023-11-14T22:13:20.000Z"));
        assert_eq!(stored["stored"], json!("2023-11-14T22:13:20.000Z"));
        assert_eq!(stored["authority"], authority);
        assert_eq!(stored["version"], json!("1.0.0"));
        let keys: Vec<&String> = stored.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["actor", "verb", "object", "id", "timestamp", "stored", "authority", "version"]);
    }

    #[test]
    fn client_stored_and_authority_are_replaced_in_place() {
        let authority = json!({"objectType": "Agent", "account": {"homePage": "http://lrs", "name": "key"}});
        let mut s = statement();
        s["stored"] = json!("2001-01-01T00:00:00Z");
        s["authority"] = json!({"mbox": "mailto:liar@example.com"});
        s["version"] = json!("1.0.3");
        s["timestamp"] = json!("2020-02-02T02:02:02+02:00");
        let out = prepare_batch(s.to_string().as_bytes(), &ctx(&authority)).expect("valid");
        let stored: Value = serde_json::from_slice(&out[0].payload).expect("json");
        assert_eq!(stored["stored"], json!("2023-11-14T22:13:20.000Z"));
        assert_eq!(stored["authority"], authority);
        assert_eq!(stored["version"], json!("1.0.3"));
        assert_eq!(stored["timestamp"], json!("2020-02-02T02:02:02+02:00"));
        let text = String::from_utf8(out[0].payload.clone()).expect("utf8");
        assert_eq!(text.matches("\"stored\"").count(), 1, "{text}");
        assert_eq!(text.matches("\"authority\"").count(), 1, "{text}");
    }

    #[test]
    fn batch_elements_keep_their_own_text() {
        let authority = json!({});
        let mut a = statement();
        a["id"] = json!("9dc99b37-e920-4a68-a066-917faca28949");
        let b = statement();
        let body = format!("[ {a} ,\n\t{b} ]");
        let out = prepare_batch(body.as_bytes(), &ctx(&authority)).expect("valid");
        assert_eq!(out.len(), 2);
        for p in &out {
            let v: Value = serde_json::from_slice(&p.payload).expect("json");
            assert_eq!(v["id"], json!(p.id.to_string()));
            assert_eq!(v["verb"], statement()["verb"]);
        }
        assert_eq!(out[0].id.to_string(), "9dc99b37-e920-4a68-a066-917faca28949");
    }

    #[test]
    fn repeated_properties_are_rejected() {
        let authority = json!({});
        let single = br#"{"actor":{"mbox":"mailto:a@example.com","mbox":"mailto:b@example.com"},"verb":{"id":"http://x.com/v"},"object":{"id":"http://x.com/a"}}"#;
        let err = prepare_batch(single, &ctx(&authority)).expect_err("repeated mbox");
        assert!(err.rule.contains("\"mbox\" appears more than once"), "{err}");
        let top = br#"{"actor":{"mbox":"mailto:a@example.com"},"actor":{"mbox":"mailto:b@example.com"},"verb":{"id":"http://x.com/v"},"object":{"id":"http://x.com/a"}}"#;
        assert!(prepare_batch(top, &ctx(&authority)).is_err());
        let mut batch = b"[".to_vec();
        batch.extend_from_slice(statement().to_string().as_bytes());
        batch.push(b',');
        batch.extend_from_slice(top);
        batch.push(b']');
        let err = prepare_batch(&batch, &ctx(&authority)).expect_err("repeated actor");
        assert_eq!(err.path, "[1]", "{err}");
        assert!(prepare_put(top, Uuid::nil(), &ctx(&authority)).is_err());
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
