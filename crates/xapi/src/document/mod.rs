//! The xAPI document resources (State, Activity Profile, Agent Profile): write commands, their
//! preconditions (`If-Match` / `If-None-Match` and the per-version rules for writes without them), the JSON
//! merge of POST, and ETags. Pure: the processor loads the current document, calls [`decide`], and stores
//! what it returns, so every rule here is unit-tested without Kafka or ClickHouse.

mod params;

pub use params::{
    id_parameter, parameter_names, parse_activity_id, parse_agent, parse_key, parse_registration, parse_since,
};

use crate::version::XapiVersion;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Which resource a document belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    State,
    ActivityProfile,
    AgentProfile,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::State => "state",
            Kind::ActivityProfile => "activity_profile",
            Kind::AgentProfile => "agent_profile",
        }
    }
}

impl Kind {
    /// The resource a request path (`.../activities/state`, `.../activities/profile`, `.../agents/profile`)
    /// addresses.
    pub fn of_path(path: &str) -> Option<Kind> {
        match path.trim_end_matches('/') {
            p if p.ends_with("/activities/state") => Some(Kind::State),
            p if p.ends_with("/activities/profile") => Some(Kind::ActivityProfile),
            p if p.ends_with("/agents/profile") => Some(Kind::AgentProfile),
            _ => None,
        }
    }
}

/// What a write command does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Put,
    Post,
    Delete,
    /// DELETE of the State resource without `stateId`: every state of the activity and agent (and
    /// registration, when given).
    DeleteAll,
}

/// Identifies one document (or, for [`Op::DeleteAll`], a set of states when `doc_id` is empty). Empty
/// strings stand for "not applicable" (`agent_key` of an Activity Profile, `registration` when absent).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DocKey {
    pub kind: Kind,
    pub activity_id: String,
    pub agent_key: String,
    pub registration: String,
    pub doc_id: String,
}

impl DocKey {
    /// The Kafka record key: every command that can touch this document (single writes and the State
    /// resource's delete-all) shares it, so all of them land in one partition and are applied in order.
    pub fn partition_key(&self, store: &str) -> String {
        serde_json::to_string(&[store, self.kind.as_str(), &self.activity_id, &self.agent_key]).unwrap_or_default()
    }

    /// Whether a delete-all command with this key covers `doc`.
    pub fn covers(&self, doc: &DocKey) -> bool {
        doc.kind == self.kind
            && doc.activity_id == self.activity_id
            && doc.agent_key == self.agent_key
            && (self.registration.is_empty() || doc.registration == self.registration)
    }
}

/// A write command as the gateway publishes it (the document bytes travel separately, as the record's
/// payload, so they stay byte-exact).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    pub id: uuid::Uuid,
    pub op: Op,
    pub key: DocKey,
    /// `1.0.3` or `2.0.0`: the rules for writes without preconditions differ.
    pub version: String,
    #[serde(default)]
    pub if_match: Option<String>,
    #[serde(default)]
    pub if_none_match: Option<String>,
    #[serde(default)]
    pub content_type: String,
    /// When the gateway accepted the write (epoch ms): the document's last-modified time.
    pub at_ms: i64,
}

impl Command {
    pub fn xapi_version(&self) -> XapiVersion {
        XapiVersion::from_header(&self.version).unwrap_or(XapiVersion::V2_0_0)
    }
}

/// A stored document version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub content_type: String,
    pub content: Vec<u8>,
    pub etag: String,
    pub updated_ms: i64,
}

impl Document {
    pub fn new(content_type: &str, content: Vec<u8>, updated_ms: i64) -> Self {
        let content_type =
            if content_type.trim().is_empty() { "application/octet-stream" } else { content_type.trim() };
        Document { etag: etag(&content), content_type: content_type.to_string(), content, updated_ms }
    }
}

/// Why a document write is refused. Stored as [`Refusal::code`] with the command's outcome; each service maps
/// it to its HTTP status in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// The request cannot be applied as sent (a POST that is not a JSON object, a 1.0.3 profile PUT without
    /// a precondition).
    BadRequest,
    /// The document exists and the write did not say it may replace it.
    Conflict,
    /// `If-Match` / `If-None-Match` failed.
    PreconditionFailed,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::BadRequest => "bad_request",
            Refusal::Conflict => "conflict",
            Refusal::PreconditionFailed => "precondition_failed",
        }
    }

    pub fn from_code(code: &str) -> Option<Refusal> {
        [Refusal::BadRequest, Refusal::Conflict, Refusal::PreconditionFailed].into_iter().find(|r| r.code() == code)
    }
}

/// A refusal with the message the client is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub refusal: Refusal,
    pub message: String,
}

impl Rejection {
    pub fn new(refusal: Refusal, message: impl Into<String>) -> Self {
        Rejection { refusal, message: message.into() }
    }
}

/// The code stored for a command that was applied.
pub const APPLIED: &str = "applied";

/// What a single-document command does to its document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Store this as the new version.
    Write(Document),
    /// Store a tombstone.
    Delete,
    /// Accepted, nothing to store (deleting a document that does not exist).
    Nothing,
    /// Refused; nothing is stored.
    Reject(Rejection),
}

/// Applies one single-document command to the `current` document (None when absent or deleted).
pub fn decide(cmd: &Command, body: &[u8], current: Option<&Document>) -> Decision {
    if let Err(rejection) = check_preconditions(cmd, current) {
        return Decision::Reject(rejection);
    }
    match cmd.op {
        Op::Put => Decision::Write(Document::new(&cmd.content_type, body.to_vec(), cmd.at_ms)),
        Op::Post => match current {
            None => match check_post_body(&cmd.content_type, body) {
                Ok(()) => Decision::Write(Document::new(&cmd.content_type, body.to_vec(), cmd.at_ms)),
                Err(e) => Decision::Reject(Rejection::new(Refusal::BadRequest, e)),
            },
            Some(existing) => match merge(existing, &cmd.content_type, body) {
                Ok(merged) => Decision::Write(Document::new(&existing.content_type, merged, cmd.at_ms)),
                Err(e) => Decision::Reject(Rejection::new(Refusal::BadRequest, e)),
            },
        },
        Op::Delete if current.is_some() => Decision::Delete,
        Op::Delete => Decision::Nothing,
        Op::DeleteAll => {
            Decision::Reject(Rejection::new(Refusal::BadRequest, "delete-all is not a single-document command"))
        }
    }
}

/// `If-Match` / `If-None-Match` (RFC 7232 strong comparison, `*` included), then the rules for a PUT without
/// either header: xAPI 2.0 (4.1.4) answers 409 for any existing document; xAPI 1.0.3 (Communication 3.1)
/// only for Activity and Agent Profiles, whose PUT without a header is refused (400) even when the document
/// does not exist yet (the conformance suite's XAPI-00273), while a State PUT simply overwrites.
pub fn check_preconditions(cmd: &Command, current: Option<&Document>) -> Result<(), Rejection> {
    if let Some(header) = &cmd.if_match {
        let ok = match current {
            None => false,
            Some(doc) => header.trim() == "*" || tags(header).any(|t| t == unquote(&doc.etag)),
        };
        if !ok {
            return Err(Rejection::new(
                Refusal::PreconditionFailed,
                "If-Match does not match the current document's ETag",
            ));
        }
    }
    if let Some(header) = &cmd.if_none_match {
        if let Some(doc) = current {
            if header.trim() == "*" || tags(header).any(|t| t == unquote(&doc.etag)) {
                return Err(Rejection::new(
                    Refusal::PreconditionFailed,
                    "If-None-Match: the document exists with a matching ETag",
                ));
            }
        }
    }
    let unconditional = cmd.if_match.is_none() && cmd.if_none_match.is_none();
    if cmd.op == Op::Put && unconditional {
        let profile = cmd.key.kind != Kind::State;
        match (cmd.xapi_version(), current.is_some()) {
            (XapiVersion::V2_0_0, true) => return Err(Rejection::new(Refusal::Conflict, CONFLICT)),
            (XapiVersion::V1_0_3, true) if profile => return Err(Rejection::new(Refusal::Conflict, CONFLICT)),
            (XapiVersion::V1_0_3, false) if profile => {
                return Err(Rejection::new(
                    Refusal::BadRequest,
                    "a PUT to a profile document needs If-Match or If-None-Match",
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

const CONFLICT: &str = "the document exists: send If-Match with its ETag (or If-None-Match: *) to overwrite it";

/// The entity tags of an `If-Match` / `If-None-Match` header, unquoted (weak tags compare by value).
fn tags(header: &str) -> impl Iterator<Item = &str> {
    header.split(',').map(|t| unquote(t.trim().trim_start_matches("W/"))).filter(|t| !t.is_empty())
}

fn unquote(tag: &str) -> &str {
    let tag = tag.trim();
    tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(tag)
}

/// The quoted SHA-1 hex of the stored bytes. SHA-1 is conventional for xAPI document ETags (the 1.0.3
/// conformance suite checks for 40 hex digits); nothing security-relevant depends on it.
pub fn etag(content: &[u8]) -> String {
    use sha1::Digest;
    format!("\"{}\"", hex::encode(sha1::Sha1::digest(content)))
}

/// Whether a Content-Type is JSON (`application/json`, parameters ignored).
pub fn is_json(content_type: &str) -> bool {
    content_type.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("application/json")
}

/// A POSTed body declared as JSON must be a JSON object (it is merged into, or becomes, the document).
pub fn check_post_body(content_type: &str, body: &[u8]) -> Result<(), String> {
    if is_json(content_type) {
        as_object(body).map(|_| ()).map_err(|e| format!("the posted document {e}"))
    } else {
        Ok(())
    }
}

fn as_object(bytes: &[u8]) -> Result<Map<String, Value>, &'static str> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("is not a JSON object"),
        Err(_) => Err("is not valid JSON"),
    }
}

/// POST to an existing document: both must be JSON objects; the posted top-level properties replace or
/// extend the existing ones (one level deep: a nested object is replaced whole).
pub fn merge(existing: &Document, posted_type: &str, posted: &[u8]) -> Result<Vec<u8>, String> {
    if !is_json(&existing.content_type) {
        return Err(NOT_JSON_EXISTING.into());
    }
    if !is_json(posted_type) {
        return Err("the document exists as JSON: only an application/json object can be merged into it".into());
    }
    let mut base = as_object(&existing.content).map_err(|e| format!("the existing document {e}"))?;
    let update = as_object(posted).map_err(|e| format!("the posted document {e}"))?;
    for (k, v) in update {
        base.insert(k, v);
    }
    serde_json::to_vec(&Value::Object(base)).map_err(|e| e.to_string())
}

const NOT_JSON_EXISTING: &str = "the existing document is not JSON: it can only be replaced (PUT), not merged";

#[cfg(test)]
mod tests;
