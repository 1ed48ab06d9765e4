//! `GET /xapi/activities/state`, `/xapi/activities/profile`, `/xapi/agents/profile`: one document (with its
//! Content-Type, ETag and Last-Modified) when the id parameter is given, else the ids of the documents, newer
//! than `since` when given. The newest version of a document decides; a tombstone there means 404.

use crate::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use lrs_common::auth::Principal;
use lrs_common::http::{error_response, Version};
use std::collections::HashMap;
use std::time::Duration;
use xapi::document::{self as doc, DocKey, Kind};

const TIMEOUT: Duration = Duration::from_secs(10);
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
    params: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let bad = |m: String| error_response(StatusCode::BAD_REQUEST, m);
    let Query(params) = match params {
        Ok(p) => p,
        Err(e) => return bad(e.body_text()),
    };
    let Some(kind) = Kind::of_path(uri.path()) else {
        return error_response(StatusCode::NOT_FOUND, "unknown document resource");
    };
    let key = match doc::parse_key(kind, &params, version) {
        Ok(k) => k,
        Err(e) => return bad(e),
    };
    let result = if key.doc_id.is_empty() {
        match doc::parse_since(params.get("since").map(String::as_str)) {
            Ok(since) => ids(&state, &principal.store, &key, since).await,
            Err(e) => return bad(e),
        }
    } else {
        one(&state, &principal.store, &key).await
    };
    result.unwrap_or_else(|e| {
        tracing::error!(error = %e, "document read failed");
        error_response(StatusCode::SERVICE_UNAVAILABLE, format!("the document store is unavailable, try again: {e}"))
    })
}

async fn one(state: &AppState, store: &str, key: &DocKey) -> anyhow::Result<Response> {
    let query = state
        .clickhouse
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
    let row = tokio::time::timeout(TIMEOUT, query.fetch_optional::<DocumentRow>()).await??;
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

async fn ids(state: &AppState, store: &str, key: &DocKey, since: Option<i64>) -> anyhow::Result<Response> {
    let registration = if key.registration.is_empty() { "" } else { " AND registration = ?" };
    let sql = format!(
        "SELECT doc_id, deleted, updated_ms FROM documents WHERE store = ? AND kind = ? AND activity_id = ? \
         AND agent_key = ?{registration} ORDER BY ver DESC LIMIT 1 BY registration, doc_id LIMIT ?"
    );
    let mut query =
        state.clickhouse.query(&sql).bind(store).bind(key.kind.as_str()).bind(&key.activity_id).bind(&key.agent_key);
    if !key.registration.is_empty() {
        query = query.bind(&key.registration);
    }
    let rows = tokio::time::timeout(TIMEOUT, query.bind(MAX_IDS).fetch_all::<IdRow>()).await??;
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
