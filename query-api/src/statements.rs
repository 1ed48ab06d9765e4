//! `GET /xapi/statements` (HEAD is answered by the same handler; axum drops the body).

use crate::error::QueryError;
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use lrs_common::auth::Principal;
use lrs_common::http::{Version, CONSISTENT_THROUGH_HEADER};
use serde::Deserialize;
use uuid::Uuid;

/// The most statements one page returns, whatever `limit` asks for.
const MAX_LIMIT: u64 = 500;

#[derive(Debug, Deserialize)]
pub struct Params {
    #[serde(rename = "statementId")]
    statement_id: Option<String>,
    limit: Option<String>,
}

#[derive(clickhouse::Row, serde::Deserialize)]
struct StoredRow {
    stored_ms: i64,
    raw: String,
}

pub async fn get(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Version(_): Version,
    params: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
) -> Response {
    // The header goes on every answer, errors included: clients poll with it until a write shows up.
    let through = match state.consistency.through_ms().await {
        Ok(ms) => ms,
        Err(e) => return QueryError::from(e).into_response(),
    };
    let result = async {
        let Query(params) = params.map_err(|e| QueryError::BadRequest(e.body_text()))?;
        match &params.statement_id {
            Some(id) => by_id(&state, &principal, id).await,
            None => recent(&state, &principal, &params).await,
        }
    };
    let mut res = result.await.unwrap_or_else(IntoResponse::into_response);
    if let Ok(value) = HeaderValue::from_str(&xapi::time::format_ms(through)) {
        res.headers_mut().insert(CONSISTENT_THROUGH_HEADER, value);
    }
    res
}

async fn by_id(state: &AppState, principal: &Principal, id: &str) -> Result<Response, QueryError> {
    let id = Uuid::parse_str(id).map_err(|_| QueryError::BadRequest(format!("statementId {id:?} is not a UUID")))?;
    let row = state
        .clickhouse
        .query("SELECT stored_ms, raw FROM statements WHERE store = ? AND id = toUUID(?) ORDER BY ver DESC LIMIT 1")
        .bind(&*principal.store)
        .bind(id.hyphenated().to_string())
        .fetch_optional::<StoredRow>()
        .await?
        .ok_or_else(|| QueryError::NotFound(format!("no statement with id {id}")))?;
    Ok(json_response(row.raw, Some(row.stored_ms)))
}

/// The newest statements of the store. The full query surface (filters, paging) is built on index tables.
async fn recent(state: &AppState, principal: &Principal, params: &Params) -> Result<Response, QueryError> {
    let limit = match params.limit.as_deref() {
        None | Some("0") => MAX_LIMIT,
        Some(l) => l
            .parse::<u64>()
            .map_err(|_| QueryError::BadRequest(format!("limit {l:?} is not a non-negative integer")))?
            .min(MAX_LIMIT),
    };
    let rows = state
        .clickhouse
        // The newest ids first (reading only the narrow columns), then their JSON by primary key.
        .query(
            "SELECT stored_ms, raw FROM (SELECT id, stored_ms, raw FROM statements WHERE store = ? AND id IN \
             (SELECT id FROM statements WHERE store = ? ORDER BY stored_ms DESC LIMIT ?) \
             ORDER BY ver DESC LIMIT 1 BY id) ORDER BY stored_ms DESC LIMIT ?",
        )
        .bind(&*principal.store)
        .bind(&*principal.store)
        .bind(limit)
        .bind(limit)
        .fetch_all::<StoredRow>()
        .await?;
    let last_modified = rows.first().map(|r| r.stored_ms);
    let mut body = String::with_capacity(rows.iter().map(|r| r.raw.len() + 1).sum::<usize>() + 32);
    body.push_str("{\"statements\":[");
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&row.raw);
    }
    body.push_str("],\"more\":\"\"}");
    Ok(json_response(body, last_modified))
}

fn json_response(body: String, last_modified_ms: Option<i64>) -> Response {
    let mut res = (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    if let Some(ms) = last_modified_ms {
        if let Ok(v) = HeaderValue::from_str(&xapi::time::format_http_date(ms)) {
            res.headers_mut().insert(header::LAST_MODIFIED, v);
        }
    }
    res
}
