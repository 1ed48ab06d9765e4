//! `POST /admin/import?store=S` (admin credential): a JSON array of statements as exported, each validated on
//! its own. The valid ones are published like any write, keeping their `id`, `stored`, `authority` and
//! `timestamp`; the invalid ones are reported by their index in the array, with the reason. Idempotent: a
//! statement already stored (the same id and content) is counted as unchanged and not published again; one
//! whose id holds a different statement is reported, never overwritten.

use crate::error::IngestError;
use crate::metrics::STATEMENTS;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::{Extension, Json};
use lrs_common::auth::Principal;
use lrs_common::clickhouse::Db;
use lrs_common::http::read_body;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::Arc;
use xapi::import::prepare_import;
use xapi::prepare::PrepareContext;
use xapi::{Prepared, XapiVersion};

#[derive(Clone)]
pub struct ImportState {
    pub app: AppState,
    pub db: Db,
    pub fixed_store: String,
}

#[derive(serde::Deserialize)]
pub struct ImportParams {
    store: Option<String>,
}

pub async fn import(
    State(s): State<ImportState>,
    Extension(principal): Extension<Principal>,
    Query(p): Query<ImportParams>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, IngestError> {
    let store = p.store.ok_or_else(|| IngestError::BadRequest("the store parameter is required".into()))?;
    let body = read_body(body, s.app.max_body_bytes)?;
    if let Some(secs) = s.app.lag.refuse() {
        return Err(IngestError::Lagging(secs));
    }
    if !lrs_common::admin::store_is_live(&s.db, &s.fixed_store, &store).await? {
        return Err(IngestError::NotFound(format!("no store {store:?}")));
    }
    let items: Vec<&RawValue> = serde_json::from_slice(&body)
        .map_err(|e| IngestError::BadRequest(format!("the body must be a JSON array of statements ({e})")))?;
    let ctx = PrepareContext {
        version: XapiVersion::V1_0_3,
        stored_ms: lrs_common::now_ms(),
        authority: &principal.authority,
    };
    let (mut prepared, mut rejected) = (Vec::with_capacity(items.len()), Vec::new());
    let mut seen = HashSet::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        match prepare_import(item.get().as_bytes(), &ctx) {
            Ok(p) if !seen.insert(p.id) => {
                rejected.push(json!({"index": index, "error": format!("id {}: repeated within the request", p.id)}))
            }
            Ok(p) => prepared.push((index, p)),
            Err(e) => rejected.push(json!({"index": index, "error": e.to_string()})),
        }
    }
    let valid = prepared.len();
    let invalid = rejected.len();
    let published = publish(&s.app, &Arc::from(store.as_str()), prepared, &mut rejected).await?;
    STATEMENTS.with_label_values(&["imported"]).inc_by(published as u64);
    // Valid statements were published, found stored already, or conflicted (moved to `rejected`).
    let conflicts = rejected.len() - invalid;
    let unchanged = valid - published - conflicts;
    Ok(Json(json!({"imported": published, "unchanged": unchanged, "rejected": rejected})))
}

/// Publishes what is not stored yet; a statement whose id holds a different one is moved to `rejected`.
async fn publish(
    app: &AppState,
    store: &Arc<str>,
    mut prepared: Vec<(usize, Prepared)>,
    rejected: &mut Vec<Value>,
) -> Result<usize, IngestError> {
    loop {
        if prepared.is_empty() {
            return Ok(0);
        }
        let statements: Vec<Prepared> = prepared.iter().map(|(_, p)| p.clone()).collect();
        match app.ids.check(store, statements, lrs_common::now_ms()).await {
            Ok(checked) => {
                if checked.publish.is_empty() {
                    return Ok(0);
                }
                if let Err(e) = app.publisher.publish(store, XapiVersion::V1_0_3, &checked.publish, &[]).await {
                    app.ids.abandon(store, &checked);
                    return Err(e.into());
                }
                app.ids.confirm(store, &checked);
                return Ok(checked.publish.len());
            }
            Err(IngestError::Conflict(id)) => {
                let Some(at) = prepared.iter().position(|(_, p)| p.id == id) else {
                    return Err(IngestError::Conflict(id));
                };
                let (index, _) = prepared.remove(at);
                rejected.push(
                    json!({"index": index, "error": format!("a different statement with id {id} is already stored")}),
                );
            }
            Err(e) => return Err(e),
        }
    }
}
