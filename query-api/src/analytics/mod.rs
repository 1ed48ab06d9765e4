//! Analytics: `GET /analytics/aggregate` (measures by up to two dimensions, filtered, JSON or CSV) over the
//! rows the processor's analytics stage maintains, and `GET /analytics/openapi.json`. Reads are eventual:
//! they do not wait at the read barrier, and `consistent_through` says how fresh they are.

mod names;
mod openapi;
pub mod params;
mod people;
mod response;
pub mod sql;

use crate::error::QueryError;
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use lrs_common::auth::Principal;
use params::Aggregate;
use sql::Bind;

pub async fn aggregate(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    RawQuery(query): RawQuery,
) -> Response {
    match answer(&state, &principal, query.as_deref().unwrap_or("")).await {
        Ok(res) => res,
        Err(e) => e.into_response(),
    }
}

async fn answer(state: &AppState, principal: &Principal, query: &str) -> Result<Response, QueryError> {
    let request = Aggregate::parse(query).map_err(QueryError::BadRequest)?;
    let sql = sql::build(&request, &principal.store);
    let mut q = state.db.query(&sql.text);
    for b in sql.binds {
        q = match b {
            Bind::Text(s) => q.bind(s),
            Bind::Int(n) => q.bind(n),
        };
    }
    let (mut text, through_ms) =
        tokio::try_join!(q.fetch_text("JSONCompact"), state.analytics_consistency.through_ms())?;
    if !sql.names.is_empty() {
        text = names::resolve(&state.db, &principal.store, &sql.names, &text).await?;
    }
    let table = response::Table::from_json_compact(&request, &text)
        .map_err(|e| QueryError::Store(lrs_common::clickhouse::DbError::Decode(e)))?;
    Ok(table.into_response(&request, through_ms))
}

pub async fn openapi() -> Response {
    Json(openapi::document()).into_response()
}
