//! Statement validation: the xAPI 1.0.3 rules (requests with a 1.0.x version header) and the xAPI 2.0.0 /
//! IEEE 9274.1.1 rules. One pass over the parsed JSON, no allocation unless a rule fails; the error names the
//! JSON path of the offending value (`context.contextActivities.parent[0].id`) and the rule it broke.
//!
//! Layout: [`statement`](mod@statement) holds the statement and SubStatement properties, [`actor`] Agents,
//! Groups and the authority, [`object`] Activities, definitions, interaction components and StatementRefs,
//! [`result`] and [`context`] their namesakes, [`attachments`], and the value formats in [`iri`], [`lang`],
//! [`formats`] (UUID, hashes, media types, timestamps, version) and [`duration`].

pub mod actor;
pub mod attachments;
pub mod context;
pub mod duration;
pub mod extensions;
pub mod formats;
pub mod iri;
pub mod lang;
pub mod object;
pub mod path;
pub mod result;
pub mod statement;

use crate::error::ValidationError;
use crate::version::XapiVersion;
use serde_json::{Map, Value};

pub use path::Path;

/// The outcome of one check.
pub type Checked = Result<(), ValidationError>;

/// Checks one statement against the rules of `version`. The error names the failing path and rule.
pub fn statement(statement: &Value, version: XapiVersion) -> Result<(), ValidationError> {
    let root = Path::ROOT;
    let Value::Object(map) = statement else {
        return Err(root.err("a statement must be a JSON object"));
    };
    statement::statement(map, version, &root)
}

/// Checks an Agent or Group given on its own (the `agent` parameter of the State, Agents and Agent Profile
/// resources must follow the statement rules). The error path is relative to the value.
pub fn agent_or_group(value: &Value, version: XapiVersion) -> Result<(), ValidationError> {
    actor::actor(value, version, &Path::ROOT)
}

// ---- shared type checks -------------------------------------------------------------------------------

/// The error for a value of the wrong JSON type; `null` gets its own message (xAPI forbids null everywhere
/// except inside extensions).
pub(crate) fn type_error(value: &Value, path: &Path, expected: &str) -> ValidationError {
    if value.is_null() {
        path.err("must not be null")
    } else {
        path.err(format!("must be {expected}"))
    }
}

pub(crate) fn as_object<'v>(value: &'v Value, path: &Path) -> Result<&'v Map<String, Value>, ValidationError> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(type_error(other, path, "an object")),
    }
}

pub(crate) fn as_array<'v>(value: &'v Value, path: &Path) -> Result<&'v [Value], ValidationError> {
    match value {
        Value::Array(items) => Ok(items),
        other => Err(type_error(other, path, "an array")),
    }
}

pub(crate) fn as_str<'v>(value: &'v Value, path: &Path) -> Result<&'v str, ValidationError> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(type_error(other, path, "a string")),
    }
}

pub(crate) fn as_bool(value: &Value, path: &Path) -> Checked {
    match value {
        Value::Bool(_) => Ok(()),
        other => Err(type_error(other, path, "a boolean")),
    }
}

pub(crate) fn as_number(value: &Value, path: &Path) -> Result<f64, ValidationError> {
    match value {
        Value::Number(n) => n.as_f64().ok_or_else(|| path.err("must be a finite number")),
        other => Err(type_error(other, path, "a number")),
    }
}

/// Looks a property up by scanning the entries in order: the objects checked here have a handful of
/// properties, for which this is cheaper than hashing the key; still linear for hostile inputs.
pub(crate) fn field<'m>(map: &'m Map<String, Value>, key: &str) -> Option<&'m Value> {
    map.iter().find_map(|(k, v)| (k == key).then_some(v))
}

/// A property this object does not allow (unknown, misspelt, wrong case, or not valid in this position).
pub(crate) fn not_allowed(path: &Path) -> ValidationError {
    path.err("is not allowed here")
}

/// A required property that is absent.
pub(crate) fn required(parent: &Path, key: &str) -> ValidationError {
    parent.key(key).err("is required")
}

/// An IRI-valued property.
pub(crate) fn iri(value: &Value, path: &Path) -> Checked {
    let s = as_str(value, path)?;
    if iri::is_absolute_iri(s) {
        Ok(())
    } else {
        Err(path.err("must be an absolute IRI (with a scheme)"))
    }
}

/// An IRL-valued property (a resolvable IRI; checked as an absolute IRI).
pub(crate) fn irl(value: &Value, path: &Path) -> Checked {
    let s = as_str(value, path)?;
    if iri::is_irl(s) {
        Ok(())
    } else {
        Err(path.err("must be an IRL (an absolute IRI with a scheme)"))
    }
}

/// A UUID-valued property, in the standard 8-4-4-4-12 hexadecimal form.
pub(crate) fn uuid(value: &Value, path: &Path) -> Checked {
    let s = as_str(value, path)?;
    if formats::is_uuid(s) {
        Ok(())
    } else {
        Err(path.err("must be a UUID in standard string form"))
    }
}

/// A plain string property.
pub(crate) fn string(value: &Value, path: &Path) -> Checked {
    as_str(value, path).map(|_| ())
}
