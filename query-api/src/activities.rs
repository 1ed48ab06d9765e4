//! `GET /xapi/activities?activityId=<IRI>` (HEAD too): the Activity Object, its definition merged from every
//! definition stored statements carried for that id (`xapi::activity`). An Activity the LRS has no definition
//! of (or has never seen) is still answered with an Activity Object holding just its id: xAPI 1.0.3 says the LRS
//! SHOULD*, and the 2.0 conformance suite checks it (200, not 404).

use crate::error::QueryError;
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use lrs_common::auth::Principal;
use lrs_common::clickhouse::Db;
use lrs_common::http::params::Params;
use lrs_common::http::Version;
use serde_json::Value;

/// The most distinct definitions merged (the newest ones); each distinct definition counts once however many
/// statements carried it, so this bounds the work for an Activity used by millions of statements.
const MAX_DEFINITIONS: u64 = 1000;

pub async fn get(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    _version: Version,
    RawQuery(query): RawQuery,
) -> Response {
    match answer(&state, &principal, query.as_deref().unwrap_or("")).await {
        Ok(res) => res,
        Err(e) => e.into_response(),
    }
}

async fn answer(state: &AppState, principal: &Principal, query: &str) -> Result<Response, QueryError> {
    let id = parse(query).map_err(QueryError::BadRequest)?;
    // Read-your-writes: what statements acknowledged before this read say counts.
    state.consistency.settle().await?;
    let definitions = fetch_definitions(&state.db, &principal.store, &id).await?;
    let definition = xapi::activity::merge_definitions(definitions.iter());
    Ok(Json(xapi::activity::activity_object(&id, definition)).into_response())
}

/// The `activityId` of the query string: required, an absolute IRI, the only parameter.
pub fn parse(query: &str) -> Result<String, String> {
    let params = Params::parse(query, &["activityId"]).map_err(|e| e.0)?;
    let id = params.required("activityId").map_err(|e| e.0)?;
    if xapi::validate::iri::is_absolute_iri(id) {
        Ok(id.to_string())
    } else {
        Err(format!("the activityId parameter {id:?} is not an absolute IRI"))
    }
}

#[derive(Debug, clickhouse::Row, serde::Deserialize)]
struct DefinitionRow {
    definition: String,
    #[allow(dead_code)]
    last_ms: i64,
}

/// The distinct stored definitions of `id`, oldest (by their latest occurrence) first. Dropping the earlier
/// occurrences of a repeated definition does not change the merge: its last occurrence overrides them.
async fn fetch_definitions(db: &Db, store: &str, id: &str) -> Result<Vec<Value>, QueryError> {
    let mut rows = db
        .query(
            "SELECT definition, max(stored_ms) AS last_ms FROM activities \
             WHERE store = ? AND activity_id = ? AND definition != '' \
             GROUP BY definition ORDER BY last_ms DESC, definition LIMIT ?",
        )
        .bind(store)
        .bind(id)
        .bind(MAX_DEFINITIONS)
        .fetch_all::<DefinitionRow>()
        .await?;
    rows.reverse();
    Ok(rows.into_iter().filter_map(|r| serde_json::from_str(&r.definition).ok()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters() {
        assert_eq!(parse("activityId=http://www.example.com/a/1").as_deref(), Ok("http://www.example.com/a/1"));
        assert_eq!(parse("activityId=http%3A%2F%2Fexample.com%2Fa%3Fb%3Dc").as_deref(), Ok("http://example.com/a?b=c"));
        assert!(parse("").is_err(), "required");
        assert!(parse("activityId=true").is_err(), "not an IRI");
        assert!(parse("activityId=").is_err());
        assert!(parse("activityid=http://example.com/a").is_err(), "case differs");
        assert!(parse("activityId=http://example.com/a&foo=bar").is_err(), "unknown parameter");
        assert!(parse("activityId=http://example.com/a&activityId=http://example.com/b").is_err());
    }
}
