//! `GET /xapi/agents?agent=<Agent JSON>` (HEAD too): the Person Object, every name and identifier the LRS knows
//! for the Agent. Statements name an Agent by exactly one inverse functional identifier (IFI), so the Agents
//! stored under the requested Agent's IFI key (`xapi::agent`) share that IFI and contribute their names. An Agent
//! the LRS has never seen still gets a Person with the requested Agent's own name and IFI.

use crate::error::QueryError;
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use lrs_common::auth::Principal;
use lrs_common::clickhouse::Db;
use lrs_common::http::params::Params;
use lrs_common::http::Version;
use serde_json::{json, Map, Value};
use xapi::XapiVersion;

/// The most distinct stored forms of one Agent read (the oldest ones).
const MAX_FORMS: u64 = 1000;

pub async fn get(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Version(version): Version,
    RawQuery(query): RawQuery,
) -> Response {
    match answer(&state, &principal, version, query.as_deref().unwrap_or("")).await {
        Ok(res) => res,
        Err(e) => e.into_response(),
    }
}

async fn answer(
    state: &AppState,
    principal: &Principal,
    version: XapiVersion,
    query: &str,
) -> Result<Response, QueryError> {
    let (agent, key) = parse(query, version).map_err(QueryError::BadRequest)?;
    // Read-your-writes: what statements acknowledged before this read say counts.
    state.consistency.settle().await?;
    let stored = fetch_forms(&state.db, &principal.store, &key).await?;
    Ok(Json(person(&agent, &stored)).into_response())
}

/// The `agent` parameter: required, the only parameter, a valid Agent (not a Group) with exactly one IFI.
/// Returns the Agent and its IFI key.
pub fn parse(query: &str, version: XapiVersion) -> Result<(Value, String), String> {
    let params = Params::parse(query, &["agent"]).map_err(|e| e.0)?;
    let raw = params.required("agent").map_err(|e| e.0)?;
    let agent: Value = serde_json::from_str(raw).map_err(|_| "the agent parameter is not valid JSON".to_string())?;
    xapi::validate::agent_or_group(&agent, version)
        .map_err(|e| format!("the agent parameter is not a valid Agent: {e}"))?;
    if agent.get("objectType").and_then(Value::as_str) == Some("Group") {
        return Err("the agent parameter must be an Agent, not a Group".into());
    }
    let key = xapi::agent::key_of_json(raw).ok_or("the agent parameter must have exactly one identifier")?;
    Ok((agent, key))
}

#[derive(Debug, clickhouse::Row, serde::Deserialize)]
struct AgentRow {
    agent: String,
    #[allow(dead_code)]
    first_ms: i64,
}

/// The distinct forms (JSON) in which statements named the Agent with IFI key `key`, oldest first.
async fn fetch_forms(db: &Db, store: &str, key: &str) -> Result<Vec<Value>, QueryError> {
    let rows = db
        .query(
            "SELECT agent, min(stored_ms) AS first_ms FROM agents WHERE store = ? AND key = ? \
             GROUP BY agent ORDER BY first_ms, agent LIMIT ?",
        )
        .bind(store)
        .bind(key)
        .bind(MAX_FORMS)
        .fetch_all::<AgentRow>()
        .await?;
    Ok(rows.into_iter().filter_map(|r| serde_json::from_str(&r.agent).ok()).collect())
}

/// The Person Object combining `stored` forms of an Agent (oldest first) and the `requested` Agent: each
/// property an array of the distinct values in order of appearance; properties without values are left out.
pub fn person(requested: &Value, stored: &[Value]) -> Value {
    let mut names: Vec<Value> = Vec::new();
    let mut mboxes: Vec<Value> = Vec::new();
    let mut sha1s: Vec<Value> = Vec::new();
    let mut openids: Vec<Value> = Vec::new();
    let mut accounts: Vec<Value> = Vec::new();
    let push = |list: &mut Vec<Value>, v: Value| {
        if !list.contains(&v) {
            list.push(v);
        }
    };
    for agent in std::iter::once(requested).chain(stored) {
        if let Some(name) = agent.get("name").and_then(Value::as_str) {
            push(&mut names, json!(name));
        }
        if let Some(mbox) = agent.get("mbox").and_then(Value::as_str) {
            push(&mut mboxes, json!(mbox));
        }
        if let Some(sha1) = agent.get("mbox_sha1sum").and_then(Value::as_str) {
            push(&mut sha1s, json!(sha1.to_ascii_lowercase()));
        }
        if let Some(openid) = agent.get("openid").and_then(Value::as_str) {
            push(&mut openids, json!(openid));
        }
        if let Some(account) = agent.get("account") {
            let (Some(home_page), Some(name)) =
                (account.get("homePage").and_then(Value::as_str), account.get("name").and_then(Value::as_str))
            else {
                continue;
            };
            push(&mut accounts, json!({"homePage": home_page, "name": name}));
        }
    }
    let mut out = Map::new();
    out.insert("objectType".into(), json!("Person"));
    for (property, values) in
        [("name", names), ("mbox", mboxes), ("mbox_sha1sum", sha1s), ("openid", openids), ("account", accounts)]
    {
        if !values.is_empty() {
            out.insert(property.into(), Value::Array(values));
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(agent: &str) -> String {
        format!("agent={}", lrs_common::http::form::escape(agent))
    }

    #[test]
    fn parameters() {
        let v = XapiVersion::V1_0_3;
        let (agent, key) = parse(&q(r#"{"objectType":"Agent","mbox":"mailto:a@example.com"}"#), v).unwrap();
        assert_eq!(key, "mbox:mailto:a@example.com");
        assert_eq!(agent["mbox"], "mailto:a@example.com");
        assert!(parse("", v).is_err(), "required");
        assert!(parse(&q("{"), v).is_err(), "not JSON");
        assert!(parse(&q(r#"{"objectType":"Agent","name":"Rick"}"#), v).is_err(), "no IFI");
        assert!(
            parse(&q(r#"{"mbox":"mailto:a@example.com","openid":"http://example.com/a"}"#), v).is_err(),
            "two IFIs"
        );
        assert!(parse(&q(r#"{"mbox":"a@example.com"}"#), v).is_err(), "not mailto");
        assert!(parse(&q(r#"{"objectType":"Group","mbox":"mailto:g@example.com"}"#), v).is_err(), "a Group");
        let ok = q(r#"{"mbox":"mailto:a@example.com"}"#);
        assert!(parse(&format!("{ok}&foo=1"), v).is_err(), "unknown parameter");
        assert!(parse(&format!("{ok}&{ok}"), v).is_err(), "repeated");
        assert!(parse(&ok.replace("agent=", "Agent="), v).is_err(), "case differs");
    }

    #[test]
    fn unknown_agent_gets_its_own_person() {
        let requested = json!({"objectType": "Agent", "name": "Rick James",
            "account": {"homePage": "http://www.example.com/agentId/1", "name": "Rick James"}});
        assert_eq!(
            person(&requested, &[]),
            json!({"objectType": "Person", "name": ["Rick James"],
                   "account": [{"homePage": "http://www.example.com/agentId/1", "name": "Rick James"}]})
        );
        assert_eq!(
            person(&json!({"openid": "http://example.com/me"}), &[]),
            json!({"objectType": "Person", "openid": ["http://example.com/me"]})
        );
    }

    #[test]
    fn stored_names_are_combined() {
        let requested = json!({"mbox": "mailto:a@example.com"});
        let stored = [
            json!({"objectType": "Agent", "name": "Alice", "mbox": "mailto:a@example.com"}),
            json!({"name": "Alice Smith", "mbox": "mailto:a@example.com"}),
            json!({"name": "Alice", "mbox": "mailto:a@example.com"}),
        ];
        assert_eq!(
            person(&requested, &stored),
            json!({"objectType": "Person", "name": ["Alice", "Alice Smith"], "mbox": ["mailto:a@example.com"]})
        );
    }

    #[test]
    fn sha1_case_is_folded() {
        let requested = json!({"mbox_sha1sum": "ABCDEF0123456789ABCDEF0123456789ABCDEF01"});
        let stored = [json!({"name": "X", "mbox_sha1sum": "abcdef0123456789abcdef0123456789abcdef01"})];
        assert_eq!(
            person(&requested, &stored),
            json!({"objectType": "Person", "name": ["X"], "mbox_sha1sum": ["abcdef0123456789abcdef0123456789abcdef01"]})
        );
    }
}
