//! `POST /xapi/statements` and `PUT /xapi/statements?statementId=`.

use crate::error::IngestError;
use crate::metrics::STATEMENTS;
use crate::publish::AttachmentContent;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use lrs_common::auth::Principal;
use lrs_common::http::params::Params;
use lrs_common::http::{read_body, Version};
use uuid::Uuid;
use xapi::multipart;
use xapi::prepare::{prepare_batch, prepare_put, PrepareContext};
use xapi::{Prepared, XapiVersion};

pub async fn post(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Version(version): Version,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, IngestError> {
    // POST takes no parameters (an alternate-syntax request's parameters were moved into the form).
    Params::parse(query.as_deref().unwrap_or(""), &[]).map_err(|e| IngestError::BadRequest(e.0))?;
    let received = receive(&state, &principal, version, &headers, body, prepare_batch)?;
    let ids: Vec<String> = received.prepared.iter().map(|p| p.id.hyphenated().to_string()).collect();
    let visible = publish(&state, &principal, version, received).await?;
    Ok(mark(Json(ids).into_response(), visible))
}

pub async fn put(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Version(version): Version,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, IngestError> {
    let bad = |e: lrs_common::http::params::ParamError| IngestError::BadRequest(e.0);
    let params = Params::parse(query.as_deref().unwrap_or(""), &["statementId"]).map_err(bad)?;
    let id = params.required("statementId").map_err(bad)?;
    let id = Uuid::parse_str(id).map_err(|_| IngestError::BadRequest(format!("statementId {id:?} is not a UUID")))?;
    let received =
        receive(&state, &principal, version, &headers, body, |body, ctx| prepare_put(body, id, ctx).map(|p| vec![p]))?;
    let visible = publish(&state, &principal, version, received).await?;
    Ok(mark(StatusCode::NO_CONTENT.into_response(), visible))
}

/// Reads and checks the body (a JSON statement body, or multipart/mixed with attachment parts), prepares its
/// statements with the LRS properties of this request, and checks their attachments and signatures.
fn receive(
    state: &AppState,
    principal: &Principal,
    version: XapiVersion,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    prepare: impl FnOnce(&[u8], &PrepareContext) -> Result<Vec<Prepared>, xapi::ValidationError>,
) -> Result<Received, IngestError> {
    let body = read_body(body, state.max_body_bytes)?;
    let content_type = headers.get(axum::http::header::CONTENT_TYPE).map(|v| v.to_str().unwrap_or_default());
    let stored_ms = lrs_common::now_ms();
    let ctx = PrepareContext { version, stored_ms, authority: &principal.authority };
    let (prepared, attachments) = accept(&body, content_type, &ctx, prepare)?;
    Ok(Received { prepared, attachments, stored_ms })
}

/// A request's statements, ready to publish.
struct Received {
    prepared: Vec<Prepared>,
    attachments: Vec<AttachmentContent>,
    /// The `stored` time they were given.
    stored_ms: i64,
}

/// The checks of a statement request body, and what it becomes (pure: the property test builds every
/// envelope the gateway can publish through here).
pub(crate) fn accept(
    body: &[u8],
    content_type: Option<&str>,
    ctx: &PrepareContext,
    prepare: impl FnOnce(&[u8], &PrepareContext) -> Result<Vec<Prepared>, xapi::ValidationError>,
) -> Result<(Vec<Prepared>, Vec<AttachmentContent>), IngestError> {
    let rejected = |e: xapi::ValidationError| {
        STATEMENTS.with_label_values(&["rejected"]).inc();
        IngestError::from(e)
    };
    match content_type {
        Some(ct) if multipart::is_multipart_mixed(ct) => {
            let boundary = multipart::boundary(ct)
                .ok_or_else(|| IngestError::BadRequest("multipart/mixed needs a valid boundary parameter".into()))?;
            let parts = multipart::parse(&boundary, body).map_err(|e| IngestError::BadRequest(e.to_string()))?;
            let statements = multipart::statements_part(&parts).map_err(rejected)?;
            let prepared = prepare(statements, ctx).map_err(rejected)?;
            let values = statement_values(statements)?;
            let data = multipart::attachments_from_parts(&values, &parts).map_err(rejected)?;
            xapi::signature::verify_statement_signatures(&values, &data).map_err(rejected)?;
            let attachments = data
                .into_iter()
                .map(|d| AttachmentContent { sha2: d.sha2, content_type: d.content_type, content: d.bytes })
                .collect();
            Ok((prepared, attachments))
        }
        Some(ct) if !multipart::media_type(ct).eq_ignore_ascii_case("application/json") => {
            Err(IngestError::BadRequest(format!(
                "unsupported Content-Type {ct:?}: send application/json, or multipart/mixed with attachments"
            )))
        }
        _ => {
            let prepared = prepare(body, ctx).map_err(rejected)?;
            // Attachments without a fileUrl need their content, which only a multipart request carries. Only a
            // body that mentions attachments (or has escapes, which could spell the name) is parsed again.
            if contains(body, b"\"attachments\"") || contains(body, b"\\u") {
                let values = statement_values(body)?;
                multipart::attachments_from_parts(&values, &[]).map_err(rejected)?;
                xapi::signature::verify_statement_signatures(&values, &[]).map_err(rejected)?;
            }
            Ok((prepared, Vec::new()))
        }
    }
}

/// The statements of an already validated body, as values (one or an array).
fn statement_values(body: &[u8]) -> Result<Vec<serde_json::Value>, IngestError> {
    match serde_json::from_slice(body) {
        Ok(serde_json::Value::Array(items)) => Ok(items),
        Ok(single) => Ok(vec![single]),
        Err(e) => Err(IngestError::BadRequest(format!("body is not valid JSON ({e})"))),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

/// Publishes what is new in the request (409 when a statement conflicts with a stored one), then, in the visible
/// mode, waits until the request's statements can be read.
/// Publishes what is new in the request (409 when a statement conflicts with a stored one) and, in the
/// visible mode, waits until it can be read. Returns false when that wait timed out.
async fn publish(
    state: &AppState,
    principal: &Principal,
    version: XapiVersion,
    received: Received,
) -> Result<bool, IngestError> {
    let Received { prepared, attachments, stored_ms } = received;
    if let Some(secs) = state.lag.refuse() {
        STATEMENTS.with_label_values(&["lagging"]).inc_by(prepared.len() as u64);
        return Err(IngestError::Lagging(secs));
    }
    let checked = state.ids.check(&principal.store, prepared, stored_ms).await?;
    if checked.publish.is_empty() {
        return Ok(true);
    }
    let delivered = match state.publisher.publish(&principal.store, version, &checked.publish, &attachments).await {
        Ok(d) => d,
        Err(e) => {
            state.ids.abandon(&principal.store, &checked);
            return Err(e.into());
        }
    };
    state.ids.confirm(&principal.store, &checked);
    STATEMENTS.with_label_values(&["accepted"]).inc_by(checked.publish.len() as u64);
    match &state.visibility {
        Some(visibility) => Ok(visibility.wait(delivered).await),
        None => Ok(true),
    }
}

/// The visible mode's answer when the write did not become readable in time.
fn mark(mut res: Response, visible: bool) -> Response {
    if !visible {
        res.headers_mut().insert(crate::visibility::HEADER, axum::http::HeaderValue::from_static("pending"));
    }
    res
}
