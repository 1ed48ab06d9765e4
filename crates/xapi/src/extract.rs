//! The columns the LRS stores beside each statement's JSON, read from a normalised statement (one that went
//! through `prepare`, so `id`, `stored`, `timestamp` and `version` are present). The processor calls this once
//! per Kafka record; it borrows from the record's bytes and skips what it does not need.

use crate::agent::AgentView;
use crate::time;
use crate::VOIDED_VERB;
use serde::Deserialize;
use std::borrow::Cow;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementFields {
    pub id: Uuid,
    pub stored_ms: i64,
    pub timestamp_ms: i64,
    pub verb_id: String,
    /// Canonical agent key of the actor; empty for an anonymous Group.
    pub actor_key: String,
    pub object_type: ObjectType,
    /// Activity id, agent key, or referenced statement id; empty for a SubStatement.
    pub object_id: String,
    pub registration: Option<Uuid>,
    /// The statement this one voids, when it is a voiding statement.
    pub voided_id: Option<Uuid>,
    pub version: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectType {
    Activity,
    Agent,
    Group,
    SubStatement,
    StatementRef,
}

impl ObjectType {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectType::Activity => "Activity",
            ObjectType::Agent => "Agent",
            ObjectType::Group => "Group",
            ObjectType::SubStatement => "SubStatement",
            ObjectType::StatementRef => "StatementRef",
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ExtractError {
    #[error("not a statement: {0}")]
    Json(String),
    #[error("invalid {0}")]
    Field(&'static str),
}

#[derive(Deserialize)]
struct View<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    stored: Cow<'a, str>,
    #[serde(borrow, default)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    version: Option<Cow<'a, str>>,
    #[serde(borrow)]
    verb: IdView<'a>,
    #[serde(borrow)]
    actor: AgentView<'a>,
    #[serde(borrow)]
    object: ObjectView<'a>,
    #[serde(borrow, default)]
    context: Option<ContextView<'a>>,
}

#[derive(Deserialize)]
struct IdView<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
}

#[derive(Deserialize)]
struct ObjectView<'a> {
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(flatten, borrow)]
    agent: AgentView<'a>,
}

#[derive(Deserialize)]
struct ContextView<'a> {
    #[serde(borrow, default)]
    registration: Option<Cow<'a, str>>,
}

/// Reads the storage columns from a normalised statement's JSON bytes.
pub fn extract(json: &[u8]) -> Result<StatementFields, ExtractError> {
    let v: View = serde_json::from_slice(json).map_err(|e| ExtractError::Json(e.to_string()))?;
    let id = Uuid::parse_str(&v.id).map_err(|_| ExtractError::Field("id"))?;
    let stored_ms = time::parse(&v.stored).ok_or(ExtractError::Field("stored"))?.epoch_ms;
    let timestamp_ms = match &v.timestamp {
        Some(t) => time::parse(t).ok_or(ExtractError::Field("timestamp"))?.epoch_ms,
        None => stored_ms,
    };
    let object_type = match v.object.agent.object_type.as_deref() {
        None | Some("Activity") => ObjectType::Activity,
        Some("Agent") => ObjectType::Agent,
        Some("Group") => ObjectType::Group,
        Some("SubStatement") => ObjectType::SubStatement,
        Some("StatementRef") => ObjectType::StatementRef,
        Some(_) => return Err(ExtractError::Field("object.objectType")),
    };
    let object_id = match object_type {
        ObjectType::Activity | ObjectType::StatementRef => {
            v.object.id.as_deref().ok_or(ExtractError::Field("object.id"))?.to_string()
        }
        ObjectType::Agent | ObjectType::Group => v.object.agent.key().unwrap_or_default(),
        ObjectType::SubStatement => String::new(),
    };
    let voided_id = if object_type == ObjectType::StatementRef && v.verb.id == VOIDED_VERB {
        Some(Uuid::parse_str(&object_id).map_err(|_| ExtractError::Field("object.id"))?)
    } else {
        None
    };
    let registration = match v.context.as_ref().and_then(|c| c.registration.as_deref()) {
        Some(r) => Some(Uuid::parse_str(r).map_err(|_| ExtractError::Field("context.registration"))?),
        None => None,
    };
    Ok(StatementFields {
        id,
        stored_ms,
        timestamp_ms,
        verb_id: v.verb.id.into_owned(),
        actor_key: v.actor.key().unwrap_or_default(),
        object_type,
        object_id,
        registration,
        voided_id,
        version: v.version.map(Cow::into_owned).unwrap_or_else(|| "1.0.0".to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORED: &str = r#""stored":"2024-01-02T03:04:05.678Z""#;

    #[test]
    fn activity_statement() {
        let json = format!(
            r#"{{"id":"9dc99b37-e920-4a68-a066-917faca28949",{STORED},"timestamp":"2021-11-29T23:09:00.867219+00:00",
            "version":"1.0.0","actor":{{"objectType":"Agent","account":{{"name":"n","homePage":"http://h"}}}},
            "verb":{{"id":"https://w3id.org/xapi/video/verbs/seeked"}},
            "object":{{"id":"uuid://7d4f","objectType":"Activity","definition":{{"name":{{"en-US":"x"}}}}}},
            "context":{{"registration":"ec531277-b57b-4c15-8d91-d292c5b2b8f7","extensions":{{"a":1}}}}}}"#
        );
        let f = extract(json.as_bytes()).expect("extracts");
        assert_eq!(f.id.to_string(), "9dc99b37-e920-4a68-a066-917faca28949");
        assert_eq!(f.stored_ms, 1_704_164_645_678);
        assert_eq!(f.timestamp_ms, 1_638_227_340_867);
        assert_eq!(f.actor_key, r#"account:["http://h","n"]"#);
        assert_eq!(f.object_type, ObjectType::Activity);
        assert_eq!(f.object_id, "uuid://7d4f");
        assert_eq!(f.registration.map(|r| r.to_string()).as_deref(), Some("ec531277-b57b-4c15-8d91-d292c5b2b8f7"));
        assert_eq!(f.voided_id, None);
    }

    #[test]
    fn voiding_statement() {
        let json = format!(
            r#"{{"id":"9dc99b37-e920-4a68-a066-917faca28949",{STORED},"actor":{{"mbox":"mailto:a@b.c"}},
            "verb":{{"id":"{VOIDED_VERB}"}},"object":{{"objectType":"StatementRef","id":"54f42ca3-a826-4af9-935d-7e7b853a6c49"}}}}"#
        );
        let f = extract(json.as_bytes()).expect("extracts");
        assert_eq!(f.object_type, ObjectType::StatementRef);
        assert_eq!(f.voided_id.map(|u| u.to_string()).as_deref(), Some("54f42ca3-a826-4af9-935d-7e7b853a6c49"));
        assert_eq!(f.timestamp_ms, f.stored_ms);
    }

    #[test]
    fn agent_object_uses_agent_key() {
        let json = format!(
            r#"{{"id":"9dc99b37-e920-4a68-a066-917faca28949",{STORED},"actor":{{"mbox":"mailto:a@b.c"}},
            "verb":{{"id":"http://x/v"}},"object":{{"objectType":"Agent","mbox":"mailto:z@b.c"}}}}"#
        );
        assert_eq!(extract(json.as_bytes()).expect("extracts").object_id, "mbox:mailto:z@b.c");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for input in [&b""[..], b"{}", b"[1,2]", b"\xff\xfe", br#"{"id":"nope","stored":"x"}"#] {
            assert!(extract(input).is_err());
        }
    }
}
