//! `GET /xapi/statements` (HEAD is answered by the same handler; axum drops the body): one statement by
//! `statementId` / `voidedStatementId`, or a filtered, paged StatementResult.
//!
//! [`params`] validates the query string, [`plan`] builds the SQL, [`fetch`] runs it, [`response`] writes the
//! JSON or multipart body.

pub mod fetch;
pub mod params;
pub mod plan;
pub mod response;

use crate::error::QueryError;
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use lrs_common::auth::Principal;
use lrs_common::http::{Version, VersionError, CONSISTENT_THROUGH_HEADER};
use params::{Params, Target};

pub async fn get(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    version: Result<Version, VersionError>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    // The header goes on every answer, errors included: clients poll with it until a write shows up.
    let through = match state.consistency.settle().await {
        Ok(ms) => ms,
        Err(e) => return QueryError::from(e).into_response(),
    };
    let mut res = match version {
        Err(e) => e.into_response(),
        Ok(Version(version)) => {
            let accept_language = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
            let parsed = params::decode_query(query.as_deref().unwrap_or(""))
                .and_then(|pairs| params::parse(&pairs, version))
                .map_err(|e| QueryError::BadRequest(e.0));
            match parsed {
                Ok(p) => {
                    answer(&state, &principal, p, accept_language).await.unwrap_or_else(IntoResponse::into_response)
                }
                Err(e) => e.into_response(),
            }
        }
    };
    if let Ok(value) = HeaderValue::from_str(&xapi::time::format_ms(through)) {
        res.headers_mut().insert(CONSISTENT_THROUGH_HEADER, value);
    }
    res
}

async fn answer(
    state: &AppState,
    principal: &Principal,
    p: Params,
    accept_language: &str,
) -> Result<Response, QueryError> {
    let store = &*principal.store;
    let client = &state.db;
    // A credential with only `statements/read/mine` reads the statements it is the authority of.
    let mine = reads_only_mine(principal);
    match p.target {
        Target::Single { id, voided } => {
            let not_found = || {
                QueryError::NotFound(if voided {
                    format!("no voided statement with id {id}")
                } else {
                    format!("no statement with id {id}")
                })
            };
            let statement = fetch::single(client, store, id, voided).await?.ok_or_else(not_found)?;
            if mine.is_some() && authority_of(&statement.raw) != mine {
                return Err(not_found());
            }
            let stored_ms = statement.stored_ms;
            let hashes = if p.attachments { response::attachment_hashes([statement.raw.as_str()]) } else { vec![] };
            let json = response::format_statement(statement.raw, p.format, accept_language);
            if p.attachments {
                let attachments = fetch::attachments(client, store, &hashes).await?;
                Ok(response::multipart(json, &attachments, Some(stored_ms)))
            } else {
                Ok(response::json(json, Some(stored_ms)))
            }
        }
        Target::Query(mut filters) => {
            filters.authority = mine;
            let started = std::time::Instant::now();
            let page = fetch::page(client, store, &filters, lrs_common::now_ms()).await?;
            tracing::debug!(
                statements = page.statements.len(),
                reads = page.reads,
                elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
                "statements page"
            );
            let more = page
                .next
                .map(|c| response::more_link(&state.statements_path, &filters.passthrough, &c))
                .unwrap_or_default();
            let last_modified = page.statements.iter().map(|s| s.stored_ms).max();
            let hashes = if p.attachments {
                response::attachment_hashes(page.statements.iter().map(|s| s.raw.as_str()))
            } else {
                vec![]
            };
            let statements: Vec<String> = page
                .statements
                .into_iter()
                .map(|s| response::format_statement(s.raw, p.format, accept_language))
                .collect();
            let body = response::statement_result(&statements, &more);
            if p.attachments {
                let attachments = fetch::attachments(client, store, &hashes).await?;
                Ok(response::multipart(body, &attachments, last_modified))
            } else {
                Ok(response::json(body, last_modified))
            }
        }
    }
}

/// The authority key a credential is limited to, when its scopes let it read only its own statements.
fn reads_only_mine(principal: &Principal) -> Option<String> {
    use lrs_common::auth::Scopes;
    let any = Scopes::STATEMENTS_READ.union(Scopes::ALL_READ).union(Scopes::ALL);
    if principal.scopes.intersects(any) {
        return None;
    }
    // No identifiable authority: nothing can match it, so nothing is read.
    Some(xapi::index::agent_key(&principal.authority).unwrap_or_else(|| "-".into()))
}

fn authority_of(raw: &str) -> Option<String> {
    let statement: serde_json::Value = serde_json::from_str(raw).ok()?;
    statement.get("authority").and_then(xapi::index::agent_key)
}
