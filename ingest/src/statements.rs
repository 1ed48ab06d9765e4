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
use lrs_common::http::request_version;
use serde::Deserialize;
use uuid::Uuid;
use xapi::prepare::{prepare_batch, prepare_put, PrepareContext};
use xapi::Prepared;

pub async fn post(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let version = match request_version(&headers) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let result = async {
        let body = read_body(body, state.max_body_bytes)?;
        check_content_type(&headers)?;
        let ctx = PrepareContext { version, stored_ms: lrs_common::now_ms(), authority: &principal.authority };
        let prepared = prepare_batch(&body, &ctx).inspect_err(|_| STATEMENTS.with_label_values(&["rejected"]).inc())?;
        publish(&state, &principal, version, &prepared).await?;
        let ids: Vec<String> = prepared.iter().map(|p| p.id.hyphenated().to_string()).collect();
        Ok::<_, IngestError>(Json(ids).into_response())
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

#[derive(Deserialize)]
pub struct PutParams {
    #[serde(rename = "statementId")]
    statement_id: Option<String>,
}

pub async fn put(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    params: Result<Query<PutParams>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let version = match request_version(&headers) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let result = async {
        let Query(params) = params.map_err(|e| IngestError::BadRequest(e.body_text()))?;
        let id = params
            .statement_id
            .ok_or_else(|| IngestError::BadRequest("the statementId parameter is required".into()))?;
        let id = Uuid::parse_str(&id)
            .map_err(|_| IngestError::BadRequest(format!("statementId {id:?} is not a UUID")))?;
        let body = read_body(body, state.max_body_bytes)?;
        check_content_type(&headers)?;
        let ctx = PrepareContext { version, stored_ms: lrs_common::now_ms(), authority: &principal.authority };
        let prepared = prepare_put(&body, id, &ctx).inspect_err(|_| STATEMENTS.with_label_values(&["rejected"]).inc())?;
        publish(&state, &principal, version, std::slice::from_ref(&prepared)).await?;
        Ok::<_, IngestError>(StatusCode::NO_CONTENT.into_response())
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

async fn publish(
    state: &AppState,
    principal: &Principal,
    version: xapi::XapiVersion,
    prepared: &[Prepared],
) -> Result<(), IngestError> {
    state.publisher.publish(&principal.store, version, prepared).await.map_err(IngestError::Unavailable)?;
    STATEMENTS.with_label_values(&["accepted"]).inc_by(prepared.len() as u64);
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
