//! `GET /xapi/activities/state`, `/xapi/activities/profile`, `/xapi/agents/profile`: one document (with its
//! Content-Type, ETag and Last-Modified) when the id parameter is given, else the ids of the documents, newer
//! than `since` when given. The newest version of a document decides; a tombstone there means 404.

use crate::error::QueryError;
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use lrs_common::auth::Principal;
use lrs_common::http::params::Params;
use lrs_common::http::{error_response, Version};
use xapi::document::{self as doc, DocKey, Kind};

/// The most ids one list answer carries.
const MAX_IDS: u64 = 10_000;

#[derive(clickhouse::Row, serde::Deserialize)]
struct DocumentRow {
    deleted: u8,
    content_type: String,
    #[serde(with = "lrs_common::clickhouse::bytes")]
    content: Vec<u8>,
    etag: String,
    updated_ms: i64,
}

#[derive(clickhouse::Row, serde::Deserialize)]
struct IdRow {
    doc_id: String,
    deleted: u8,
    updated_ms: i64,
}

pub async fn get(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Version(version): Version,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> Response {
    answer(&state, &principal, version, &uri, query.as_deref().unwrap_or(""))
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn answer(
    state: &AppState,
    principal: &Principal,
    version: xapi::XapiVersion,
    uri: &Uri,
    query: &str,
) -> Result<Response, QueryError> {
    let kind = Kind::of_path(uri.path()).ok_or_else(|| QueryError::NotFound("unknown document resource".into()))?;
    let params = Params::parse(query, doc::parameter_names(kind, true))?;
    let key = doc::parse_key(kind, |n| params.get(n), version).map_err(QueryError::BadRequest)?;
    if key.doc_id.is_empty() {
        let since = doc::parse_since(params.get("since")).map_err(QueryError::BadRequest)?;
        ids(state, &principal.store, &key, since).await
    } else {
        one(state, &principal.store, &key).await
    }
}

async fn one(state: &AppState, store: &str, key: &DocKey) -> Result<Response, QueryError> {
    let query = state
        .db
        .query(
            "SELECT deleted, content_type, content, etag, updated_ms FROM documents WHERE store = ? AND kind = ? \
             AND activity_id = ? AND agent_key = ? AND registration = ? AND doc_id = ? ORDER BY ver DESC LIMIT 1",
        )
        .bind(store)
        .bind(key.kind.as_str())
        .bind(&key.activity_id)
        .bind(&key.agent_key)
        .bind(&key.registration)
        .bind(&key.doc_id);
    let row = query.fetch_optional::<DocumentRow>().await?;
    let Some(row) = row.filter(|r| r.deleted == 0) else {
        return Ok(error_response(StatusCode::NOT_FOUND, format!("no document with id {:?}", key.doc_id)));
    };
    let mut res = (StatusCode::OK, row.content).into_response();
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&row.content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&row.etag) {
        headers.insert(header::ETAG, v);
    }
    insert_last_modified(&mut res, row.updated_ms);
    Ok(res)
}

async fn ids(state: &AppState, store: &str, key: &DocKey, since: Option<i64>) -> Result<Response, QueryError> {
    let registration = if key.registration.is_empty() { "" } else { " AND registration = ?" };
    let sql = format!(
        "SELECT doc_id, deleted, updated_ms FROM documents WHERE store = ? AND kind = ? AND activity_id = ? \
         AND agent_key = ?{registration} ORDER BY ver DESC LIMIT 1 BY registration, doc_id LIMIT ?"
    );
    let mut query =
        state.db.query(&sql).bind(store).bind(key.kind.as_str()).bind(&key.activity_id).bind(&key.agent_key);
    if !key.registration.is_empty() {
        query = query.bind(&key.registration);
    }
    let rows = query.bind(MAX_IDS).fetch_all::<IdRow>().await?;
    let live = rows.iter().filter(|r| r.deleted == 0 && since.is_none_or(|s| r.updated_ms > s));
    let mut seen = std::collections::HashSet::new();
    let mut ids: Vec<&str> = Vec::new();
    let mut newest = None;
    for r in live {
        newest = newest.max(Some(r.updated_ms));
        if seen.insert(r.doc_id.as_str()) {
            ids.push(&r.doc_id);
        }
    }
    let mut res = Json(ids).into_response();
    if let Some(ms) = newest {
        insert_last_modified(&mut res, ms);
    }
    Ok(res)
}

fn insert_last_modified(res: &mut Response, ms: i64) {
    if let Ok(v) = HeaderValue::from_str(&xapi::time::format_http_date(ms)) {
        res.headers_mut().insert(header::LAST_MODIFIED, v);
    }
}
