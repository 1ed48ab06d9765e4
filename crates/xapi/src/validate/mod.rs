//! Statement validation. This is the minimal structural check the walking skeleton needs; the complete
//! xAPI 1.0.3 / 2.0.0 rule set replaces it behind the same function.

use crate::error::ValidationError;
use crate::version::XapiVersion;
use serde_json::Value;

/// Checks one statement against the rules of `version`. The error names the failing path and rule.
pub fn statement(statement: &Value, _version: XapiVersion) -> Result<(), ValidationError> {
    let Value::Object(map) = statement else {
        return Err(ValidationError::new("", "a statement must be a JSON object"));
    };
    for required in ["actor", "verb", "object"] {
        match map.get(required) {
            Some(Value::Object(_)) => {}
            Some(_) => return Err(ValidationError::new(required, "must be an object")),
            None => return Err(ValidationError::new(required, "is required")),
        }
    }
    match map.get("verb").and_then(|v| v.get("id")) {
        Some(Value::String(_)) => {}
        _ => return Err(ValidationError::new("verb.id", "must be an IRI string")),
    }
    Ok(())
}
