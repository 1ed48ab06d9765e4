//! The query string of `GET /xapi/statements`, parsed and validated (pure: no I/O).
//!
//! xAPI (1.0.3 and 2.0.0 alike) rejects with 400 a parameter the LRS does not recognise, one that differs from a
//! defined one only in case, and `statementId` / `voidedStatementId` combined with anything but `attachments` and
//! `format`. The LRS also recognises its own `cursor` (the position a `more` link continues from; the spec lets an
//! LRS act on parameters of its own). A repeated parameter is ambiguous and rejected too.

use uuid::Uuid;
use xapi::XapiVersion;

/// The most statements one page returns (`limit=0` and any larger `limit` mean this).
pub const MAX_LIMIT: u32 = 500;

/// The LRS's own parameter carrying the position a `more` link continues from.
pub const CURSOR: &str = "cursor";

const KNOWN: &[&str] = &[
    "statementId",
    "voidedStatementId",
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "format",
    "attachments",
    "ascending",
    CURSOR,
];

/// What a single-statement request may be combined with.
const WITH_ID: &[&str] = &["attachments", "format"];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParamError(pub String);

fn err(msg: impl Into<String>) -> ParamError {
    ParamError(msg.into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Exact,
    Ids,
    Canonical,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    pub target: Target,
    pub format: Format,
    pub attachments: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
// One per request, moved a few times: boxing the filters would cost an allocation for nothing.
#[allow(clippy::large_enum_variant)]
pub enum Target {
    /// `statementId` (`voided: false`) or `voidedStatementId` (`voided: true`).
    Single {
        id: Uuid,
        voided: bool,
    },
    Query(Filters),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filters {
    /// Agent key (`xapi::agent`).
    pub agent: Option<String>,
    pub verb: Option<String>,
    pub activity: Option<String>,
    pub registration: Option<Uuid>,
    pub related_agents: bool,
    pub related_activities: bool,
    /// Exclusive lower bound on `stored`, epoch ms.
    pub since_ms: Option<i64>,
    /// Inclusive upper bound on `stored`, epoch ms.
    pub until_ms: Option<i64>,
    /// Page size, 1..=MAX_LIMIT.
    pub limit: u32,
    pub ascending: bool,
    pub cursor: Option<Cursor>,
    /// Only statements with this authority key (a credential limited to `statements/read/mine`).
    pub authority: Option<String>,
    /// Voided statements too (an export: a store moved elsewhere keeps them, with their voiding statements).
    pub include_voided: bool,
    /// The request's parameters except `cursor`, in their order: the `more` link repeats them.
    pub passthrough: Vec<(String, String)>,
}

/// Where the next page starts: after (`stored_ms`, `id`) in the page order, and never past `bound_ms` (fixed when
/// the first page was served, so statements arriving while a client pages never shift its pages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub stored_ms: i64,
    pub id: Uuid,
    pub bound_ms: i64,
}

impl Cursor {
    /// The opaque form carried in `more` links: URL-safe, no escaping needed.
    pub fn encode(&self) -> String {
        format!("{}_{}_{}", self.stored_ms, self.id.simple(), self.bound_ms)
    }

    pub fn decode(s: &str) -> Option<Cursor> {
        let mut parts = s.split('_');
        let stored_ms = parts.next()?.parse().ok()?;
        let id_text = parts.next()?;
        if id_text.len() != 32 {
            return None;
        }
        let id = Uuid::try_parse(id_text).ok()?;
        let bound_ms = parts.next()?.parse().ok()?;
        parts.next().is_none().then_some(Cursor { stored_ms, id, bound_ms })
    }
}

/// Splits and percent-decodes an `application/x-www-form-urlencoded` query string (`+` is a space).
pub fn decode_query(query: &str) -> Result<Vec<(String, String)>, ParamError> {
    lrs_common::http::form::decode(query).map_err(|e| err(format!("query string: {e}")))
}

/// Percent-encodes a query component (everything but RFC 3986 unreserved characters).
pub fn percent_encode(s: &str) -> String {
    lrs_common::http::form::escape(s)
}

/// Validates the decoded parameters of one request.
pub fn parse(pairs: &[(String, String)], version: XapiVersion) -> Result<Params, ParamError> {
    lrs_common::http::params::check_names(pairs, KNOWN).map_err(|e| err(e.0))?;
    let get = |name: &str| pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());

    let format = match get("format") {
        None | Some("exact") => Format::Exact,
        Some("ids") => Format::Ids,
        Some("canonical") => Format::Canonical,
        Some(other) => return Err(err(format!("format {other:?} is not one of ids, exact, canonical"))),
    };
    let attachments = boolean(get("attachments"), "attachments")?;

    let single = match (get("statementId"), get("voidedStatementId")) {
        (Some(_), Some(_)) => return Err(err("statementId and voidedStatementId cannot be used together")),
        (Some(id), None) => Some(("statementId", id, false)),
        (None, Some(id)) => Some(("voidedStatementId", id, true)),
        (None, None) => None,
    };
    if let Some((name, id, voided)) = single {
        if let Some((other, _)) = pairs.iter().find(|(n, _)| n != name && !WITH_ID.contains(&n.as_str())) {
            return Err(err(format!("{name} cannot be combined with {other} (only with attachments and format)")));
        }
        let id = uuid(id, name)?;
        return Ok(Params { target: Target::Single { id, voided }, format, attachments });
    }

    let agent = match get("agent") {
        None => None,
        Some(text) => Some(agent_key(text, version)?),
    };
    let verb = get("verb").map(|v| iri(v, "verb")).transpose()?;
    let activity = get("activity").map(|v| iri(v, "activity")).transpose()?;
    let registration = get("registration").map(|v| uuid(v, "registration")).transpose()?;
    let since_ms = get("since").map(|v| timestamp(v, "since")).transpose()?;
    let until_ms = get("until").map(|v| timestamp(v, "until")).transpose()?;
    let limit = match get("limit") {
        None => MAX_LIMIT,
        Some(l) => {
            let n: u64 = if !l.is_empty() && l.bytes().all(|c| c.is_ascii_digit()) {
                // All digits: only an overflow fails, and an overflowing limit is just "the maximum".
                l.parse().unwrap_or(u64::MAX)
            } else {
                return Err(err(format!("limit {l:?} is not a non-negative integer")));
            };
            if n == 0 || n > MAX_LIMIT as u64 {
                MAX_LIMIT
            } else {
                n as u32
            }
        }
    };
    let cursor = match get(CURSOR) {
        None => None,
        Some(c) => Some(Cursor::decode(c).ok_or_else(|| err(format!("cursor {c:?} is not one this LRS issued")))?),
    };
    let filters = Filters {
        agent,
        verb,
        activity,
        registration,
        related_agents: boolean(get("related_agents"), "related_agents")?,
        related_activities: boolean(get("related_activities"), "related_activities")?,
        since_ms,
        until_ms,
        limit,
        ascending: boolean(get("ascending"), "ascending")?,
        cursor,
        authority: None,
        include_voided: false,
        passthrough: pairs.iter().filter(|(n, _)| n != CURSOR).cloned().collect(),
    };
    Ok(Params { target: Target::Query(filters), format, attachments })
}

fn boolean(value: Option<&str>, name: &str) -> Result<bool, ParamError> {
    match value {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(err(format!("{name} {other:?} is not a boolean (true or false)"))),
    }
}

fn uuid(value: &str, name: &str) -> Result<Uuid, ParamError> {
    if xapi::validate::formats::is_uuid(value) {
        if let Ok(id) = Uuid::parse_str(value) {
            return Ok(id);
        }
    }
    Err(err(format!("{name} {value:?} is not a UUID")))
}

fn iri(value: &str, name: &str) -> Result<String, ParamError> {
    if xapi::validate::iri::is_absolute_iri(value) {
        Ok(value.to_string())
    } else {
        Err(err(format!("{name} {value:?} is not an absolute IRI")))
    }
}

fn timestamp(value: &str, name: &str) -> Result<i64, ParamError> {
    xapi::time::parse(value)
        .map(|t| t.epoch_ms)
        .ok_or_else(|| err(format!("{name} {value:?} is not an ISO 8601 timestamp")))
}

/// The key of the `agent` parameter: a JSON Agent or identified Group, valid under the request's version.
fn agent_key(text: &str, version: XapiVersion) -> Result<String, ParamError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| err(format!("agent is not JSON: {e}")))?;
    if !value.is_object() {
        return Err(err("agent must be a JSON object (an Agent or identified Group)"));
    }
    xapi::validate::agent_or_group(&value, version).map_err(|e| err(format!("agent: {e}")))?;
    xapi::agent::key_of_json(text)
        .ok_or_else(|| err("agent has no inverse functional identifier (mbox, mbox_sha1sum, openid or account)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const V: XapiVersion = XapiVersion::V1_0_3;
    const ID: &str = "6f1c3b8e-2a44-4c1e-9d0b-7a5e2f3c4d5e";

    fn p(query: &str) -> Result<Params, ParamError> {
        parse(&decode_query(query)?, V)
    }

    fn filters(query: &str) -> Filters {
        match p(query).expect("valid").target {
            Target::Query(f) => f,
            t => panic!("not a query: {t:?}"),
        }
    }

    fn rejected(query: &str, needle: &str) {
        let e = p(query).expect_err(query);
        assert!(e.0.contains(needle), "{query}: {e}");
    }

    #[test]
    fn defaults() {
        let params = p("").expect("valid");
        assert_eq!(params.format, Format::Exact);
        assert!(!params.attachments);
        let Target::Query(f) = params.target else { panic!() };
        assert_eq!(f.limit, MAX_LIMIT);
        assert!(!f.ascending && !f.related_agents && !f.related_activities);
        assert_eq!(
            (f.agent, f.verb, f.activity, f.registration, f.since_ms, f.until_ms, f.cursor),
            (None, None, None, None, None, None, None)
        );
    }

    #[test]
    fn single_statement() {
        let params = p(&format!("statementId={ID}&format=ids&attachments=true")).expect("valid");
        assert_eq!(params.target, Target::Single { id: Uuid::parse_str(ID).unwrap(), voided: false });
        assert_eq!(params.format, Format::Ids);
        assert!(params.attachments);
        let params = p(&format!("voidedStatementId={ID}")).expect("valid");
        assert_eq!(params.target, Target::Single { id: Uuid::parse_str(ID).unwrap(), voided: true });
        rejected("statementId=nope", "statementId \"nope\" is not a UUID");
        rejected(&format!("statementId={ID}&voidedStatementId={ID}"), "cannot be used together");
    }

    #[test]
    fn single_statement_excludes_filters() {
        for other in [
            "agent=%7B%7D",
            "verb=http://x.y/v",
            "activity=http://x.y/a",
            &format!("registration={ID}"),
            "related_activities=true",
            "related_agents=false",
            "since=2020-01-01T00:00:00Z",
            "until=2020-01-01T00:00:00Z",
            "limit=1",
            "ascending=true",
            "cursor=1_00000000000000000000000000000000_2",
        ] {
            let name = other.split('=').next().unwrap();
            rejected(&format!("statementId={ID}&{other}"), &format!("cannot be combined with {name}"));
            rejected(&format!("{other}&voidedStatementId={ID}"), &format!("cannot be combined with {name}"));
        }
    }

    #[test]
    fn unknown_duplicate_and_miscased_parameters() {
        rejected("foo=bar", "unknown parameter \"foo\"");
        rejected("LIMIT=1", "case-sensitive: limit");
        rejected(&format!("StatementId={ID}"), "case-sensitive");
        rejected("limit=1&limit=2", "more than once");
    }

    #[test]
    fn filters_parse() {
        let q = format!(
            "agent={}&verb=http%3A%2F%2Fadlnet.gov%2Fexpapi%2Fverbs%2Fcompleted&activity=http://example.com/%C3%A9t%C3%A9\
             &registration={}&related_agents=true&related_activities=true&since=2021-11-29T23:09:00.867Z\
             &until=2021-11-30T00:00:00%2B01:00&limit=10&ascending=true&format=canonical",
            percent_encode(r#"{"objectType":"Agent","mbox":"mailto:alice@example.com"}"#),
            ID.to_uppercase()
        );
        let f = filters(&q);
        assert_eq!(f.agent.as_deref(), Some("mbox:mailto:alice@example.com"));
        assert_eq!(f.verb.as_deref(), Some("http://adlnet.gov/expapi/verbs/completed"));
        assert_eq!(f.activity.as_deref(), Some("http://example.com/été"));
        assert_eq!(f.registration, Some(Uuid::parse_str(ID).unwrap()));
        assert!(f.related_agents && f.related_activities && f.ascending);
        assert_eq!(f.since_ms, Some(1_638_227_340_867));
        assert_eq!(f.until_ms, Some(1_638_226_800_000));
        assert_eq!(f.limit, 10);
        assert_eq!(f.passthrough.len(), 11);
        assert_eq!(f.passthrough[1].1, "http://adlnet.gov/expapi/verbs/completed");
    }

    #[test]
    fn agent_must_be_an_identified_agent_or_group() {
        rejected("agent=not-json", "agent is not JSON");
        rejected("agent=%5B%5D", "must be a JSON object");
        rejected("agent=%7B%22mbox%22%3A%22alice%40example.com%22%7D", "agent:");
        rejected("agent=%7B%22objectType%22%3A%22Group%22%2C%22member%22%3A%5B%5D%7D", "agent");
        let sha = filters("agent=%7B%22mbox_sha1sum%22%3A%22ABCDEF0123456789ABCDEF0123456789ABCDEF01%22%7D");
        assert_eq!(sha.agent.as_deref(), Some("sha1:abcdef0123456789abcdef0123456789abcdef01"));
        let acct = filters(&format!(
            "agent={}",
            percent_encode(r#"{"account":{"homePage":"http://example.com","name":"x"}}"#)
        ));
        assert_eq!(acct.agent.as_deref(), Some(r#"account:["http://example.com","x"]"#));
    }

    #[test]
    fn bad_values_name_the_parameter() {
        rejected("verb=completed", "verb \"completed\" is not an absolute IRI");
        rejected("verb=", "verb");
        rejected("activity=/relative", "activity");
        rejected("registration=123", "registration");
        rejected("since=yesterday", "since \"yesterday\" is not an ISO 8601 timestamp");
        rejected("until=2020-13-01T00:00:00Z", "until");
        rejected("limit=-1", "limit \"-1\" is not a non-negative integer");
        rejected("limit=1.5", "limit");
        rejected("limit=", "limit");
        rejected("format=full", "format \"full\"");
        rejected("attachments=yes", "attachments \"yes\" is not a boolean");
        rejected("ascending=TRUE", "ascending");
        rejected("related_agents=1", "related_agents");
        rejected("related_activities=", "related_activities");
        rejected("cursor=abc", "cursor");
        rejected("verb=%zz", "percent-encoding");
        rejected("verb=%ff", "UTF-8");
    }

    #[test]
    fn limit_is_clamped() {
        assert_eq!(filters("limit=0").limit, MAX_LIMIT);
        assert_eq!(filters("limit=1").limit, 1);
        assert_eq!(filters("limit=500").limit, 500);
        assert_eq!(filters("limit=501").limit, MAX_LIMIT);
        assert_eq!(filters("limit=99999999999999999999999").limit, MAX_LIMIT);
    }

    #[test]
    fn cursor_round_trip() {
        let c = Cursor { stored_ms: 1_638_227_340_867, id: Uuid::parse_str(ID).unwrap(), bound_ms: -5 };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(percent_encode(&c.encode()), c.encode(), "URL-safe");
        let f = filters(&format!("limit=2&{CURSOR}={}", c.encode()));
        assert_eq!(f.cursor, Some(c));
        assert_eq!(f.passthrough, vec![("limit".to_string(), "2".to_string())]);
        for bad in ["", "1_2", "1_x_2", "1_6f1c3b8e2a444c1e9d0b7a5e2f3c4d5e_2_3", &format!("1_{ID}_2")] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn query_codec() {
        assert_eq!(
            decode_query("a=1&b=x+y%2Bz&&c&d=").unwrap(),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y+z".into()),
                ("c".into(), "".into()),
                ("d".into(), "".into())
            ]
        );
        let s = "{\"mbox\":\"mailto:a@b.c\"} é&=";
        assert_eq!(decode_query(&format!("k={}", percent_encode(s))).unwrap()[0].1, s);
    }
}
