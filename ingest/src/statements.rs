//! `POST /xapi/statements` and `PUT /xapi/statements?statementId=`.

use crate::error::IngestError;
use crate::metrics::STATEMENTS;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use lrs_common::auth::Principal;
use lrs_common::http::Version;
use serde::Deserialize;
use uuid::Uuid;
use xapi::prepare::{prepare_batch, prepare_put, PrepareContext};
use xapi::{Prepared, XapiVersion};

pub async fn post(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Version(version): Version,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, IngestError> {
    let prepared = receive(&state, &principal, version, &headers, body, prepare_batch)?;
    publish(&state, &principal, version, &prepared).await?;
    let ids: Vec<String> = prepared.iter().map(|p| p.id.hyphenated().to_string()).collect();
    Ok(Json(ids).into_response())
}

#[derive(Deserialize)]
pub struct PutParams {
    #[serde(rename = "statementId")]
    statement_id: Option<String>,
}

pub async fn put(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Version(version): Version,
    params: Result<Query<PutParams>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, IngestError> {
    let Query(params) = params.map_err(|e| IngestError::BadRequest(e.body_text()))?;
    let id = params
        .statement_id
        .ok_or_else(|| IngestError::BadRequest("the statementId parameter is required".into()))?;
    let id = Uuid::parse_str(&id).map_err(|_| IngestError::BadRequest(format!("statementId {id:?} is not a UUID")))?;
    let prepared = receive(&state, &principal, version, &headers, body, |body, ctx| prepare_put(body, id, ctx))?;
    publish(&state, &principal, version, std::slice::from_ref(&prepared)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Reads and checks the body, then prepares its statements with the LRS properties of this request.
fn receive<T>(
    state: &AppState,
    principal: &Principal,
    version: XapiVersion,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    prepare: impl FnOnce(&[u8], &PrepareContext) -> Result<T, xapi::ValidationError>,
) -> Result<T, IngestError> {
    let body = read_body(body, state.max_body_bytes)?;
    check_content_type(headers)?;
    let ctx = PrepareContext { version, stored_ms: lrs_common::now_ms(), authority: &principal.authority };
    prepare(&body, &ctx).map_err(|e| {
        STATEMENTS.with_label_values(&["rejected"]).inc();
        IngestError::from(e)
    })
}

async fn publish(
    state: &AppState,
    principal: &Principal,
    version: XapiVersion,
    prepared: &[Prepared],
) -> Result<(), IngestError> {
    state.publisher.publish(&principal.store, version, prepared).await.map_err(IngestError::Unavailable)?;
    STATEMENTS.with_label_values(&["accepted"]).inc_by(prepared.len() as u64);
    if let Some(visibility) = &state.visibility {
        let ids: Vec<uuid::Uuid> = prepared.iter().map(|p| p.id).collect();
        visibility.wait(principal.store.clone(), &ids).await;
    }
    Ok(())
}

fn read_body(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<Bytes, IngestError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            IngestError::TooLarge(limit)
        } else {
            IngestError::Body(rejection.body_text())
        }
    })
}

fn check_content_type(headers: &HeaderMap) -> Result<(), IngestError> {
    let Some(ct) = headers.get(axum::http::header::CONTENT_TYPE) else {
        return Ok(());
    };
    let ct = ct.to_str().unwrap_or_default();
    let essence = ct.split(';').next().unwrap_or_default().trim();
    if essence.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(IngestError::BadRequest(format!("unsupported Content-Type {ct:?}: send application/json")))
    }
}
