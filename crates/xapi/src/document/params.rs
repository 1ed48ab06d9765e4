//! The query parameters of the document resources, checked as the specification asks (400 otherwise).

use super::{DocKey, Kind};
use crate::validate::{formats, iri};
use crate::version::XapiVersion;
/// The parameters a document resource takes: those naming a document (or, for a GET without the id, a set
/// of them) and, for reads, `since`. Anything else is answered with 400.
pub fn parameter_names(kind: Kind, read: bool) -> &'static [&'static str] {
    match (kind, read) {
        (Kind::State, false) => &["activityId", "agent", "registration", "stateId"],
        (Kind::State, true) => &["activityId", "agent", "registration", "stateId", "since"],
        (Kind::ActivityProfile, false) => &["activityId", "profileId"],
        (Kind::ActivityProfile, true) => &["activityId", "profileId", "since"],
        (Kind::AgentProfile, false) => &["agent", "profileId"],
        (Kind::AgentProfile, true) => &["agent", "profileId", "since"],
    }
}

/// The document a request addresses, from its query parameters (`get`): `activityId`, `agent`,
/// `registration` as the resource takes them, and the id (`stateId` / `profileId`; `doc_id` stays empty when
/// it is absent).
pub fn parse_key<'p>(
    kind: Kind,
    get: impl Fn(&str) -> Option<&'p str>,
    version: XapiVersion,
) -> Result<DocKey, String> {
    let (activity_id, agent_key, registration) = match kind {
        Kind::State => (
            parse_activity_id(get("activityId"))?,
            parse_agent(get("agent"), version)?,
            parse_registration(get("registration"))?,
        ),
        Kind::ActivityProfile => (parse_activity_id(get("activityId"))?, String::new(), String::new()),
        Kind::AgentProfile => (String::new(), parse_agent(get("agent"), version)?, String::new()),
    };
    let doc_id = get(id_parameter(kind)).unwrap_or_default().to_string();
    Ok(DocKey { kind, activity_id, agent_key, registration, doc_id })
}

/// The name of the document id parameter of a resource.
pub fn id_parameter(kind: Kind) -> &'static str {
    match kind {
        Kind::State => "stateId",
        Kind::ActivityProfile | Kind::AgentProfile => "profileId",
    }
}

/// `agent`: JSON of an Agent (or identified Group) with exactly one IFI. Returns its canonical key.
pub fn parse_agent(raw: Option<&str>, version: XapiVersion) -> Result<String, String> {
    let raw = raw.ok_or("the agent parameter is required")?;
    let value: serde_json::Value = serde_json::from_str(raw).map_err(|_| "the agent parameter is not valid JSON")?;
    crate::validate::agent_or_group(&value, version)
        .map_err(|e| format!("the agent parameter is not a valid Agent: {e}"))?;
    crate::agent::key_of_json(raw).ok_or_else(|| "the agent parameter must identify an Agent (one IFI)".to_string())
}

/// `activityId`: an absolute IRI.
pub fn parse_activity_id(raw: Option<&str>) -> Result<String, String> {
    let raw = raw.ok_or("the activityId parameter is required")?;
    if iri::is_absolute_iri(raw) {
        Ok(raw.to_string())
    } else {
        Err(format!("the activityId parameter {raw:?} is not an absolute IRI"))
    }
}

/// `registration` (optional): a UUID, returned in canonical form ("" when absent).
pub fn parse_registration(raw: Option<&str>) -> Result<String, String> {
    match raw {
        None => Ok(String::new()),
        Some(r) if formats::is_uuid(r) => uuid::Uuid::parse_str(r)
            .map(|u| u.hyphenated().to_string())
            .map_err(|_| format!("the registration parameter {r:?} is not a UUID")),
        Some(r) => Err(format!("the registration parameter {r:?} is not a UUID")),
    }
}

/// `since` (optional): an ISO 8601 timestamp, as epoch milliseconds.
pub fn parse_since(raw: Option<&str>) -> Result<Option<i64>, String> {
    match raw {
        None => Ok(None),
        Some(s) => crate::time::parse(s)
            .map(|t| Some(t.epoch_ms))
            .ok_or_else(|| format!("the since parameter {s:?} is not a timestamp")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents() {
        let v = XapiVersion::V1_0_3;
        assert_eq!(
            parse_agent(Some(r#"{"mbox":"mailto:a@example.com"}"#), v).as_deref(),
            Ok("mbox:mailto:a@example.com")
        );
        assert!(parse_agent(None, v).is_err());
        assert!(parse_agent(Some("true"), v).is_err());
        assert!(parse_agent(Some("{"), v).is_err());
        assert!(parse_agent(Some(r#"{"mbox":"a@example.com"}"#), v).is_err(), "not a mailto IRI");
        assert!(parse_agent(Some(r#"{"mbox":"mailto:a@example.com","openid":"http://x.example.com"}"#), v).is_err());
        assert!(parse_agent(Some(r#"{"objectType":"Agent"}"#), v).is_err(), "no IFI");
    }

    #[test]
    fn keys_per_resource() {
        use std::collections::HashMap;
        let p: HashMap<String, String> = [
            ("activityId", "http://example.com/a"),
            ("agent", r#"{"mbox":"mailto:a@example.com"}"#),
            ("stateId", "s1"),
            ("profileId", "p1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let v = XapiVersion::V2_0_0;
        fn get<'p>(p: &'p HashMap<String, String>) -> impl Fn(&str) -> Option<&'p str> {
            move |n| p.get(n).map(String::as_str)
        }
        let state = parse_key(Kind::State, get(&p), v).expect("valid");
        assert_eq!((state.doc_id.as_str(), state.agent_key.as_str()), ("s1", "mbox:mailto:a@example.com"));
        let ap = parse_key(Kind::ActivityProfile, get(&p), v).expect("valid");
        assert_eq!((ap.doc_id.as_str(), ap.agent_key.as_str()), ("p1", ""));
        let gp = parse_key(Kind::AgentProfile, get(&p), v).expect("valid");
        assert_eq!((gp.activity_id.as_str(), gp.doc_id.as_str()), ("", "p1"));
        let mut missing = p.clone();
        missing.remove("agent");
        assert!(parse_key(Kind::State, get(&missing), v).is_err());
        assert!(parse_key(Kind::ActivityProfile, get(&missing), v).is_ok());
    }

    #[test]
    fn other_parameters() {
        assert!(parse_activity_id(Some("http://example.com/a")).is_ok());
        assert!(parse_activity_id(Some("not an iri")).is_err());
        assert!(parse_activity_id(None).is_err());
        assert_eq!(parse_registration(None).as_deref(), Ok(""));
        assert_eq!(
            parse_registration(Some("6F1C3A3E-1111-4222-8333-444455556666")).as_deref(),
            Ok("6f1c3a3e-1111-4222-8333-444455556666")
        );
        assert!(parse_registration(Some("true")).is_err());
        assert_eq!(parse_since(Some("1970-01-01T00:00:01Z")), Ok(Some(1000)));
        assert!(parse_since(Some("not a timestamp")).is_err());
        assert_eq!(parse_since(None), Ok(None));
    }
}
