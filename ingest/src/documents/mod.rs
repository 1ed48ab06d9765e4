//! Writes of the document resources: `PUT`/`POST`/`DELETE` on `/xapi/activities/state`,
//! `/xapi/activities/profile` and `/xapi/agents/profile`. The gateway checks the request, publishes it as a
//! command to the documents topic, and answers with the outcome the processor decided (204, 400, 409, 412):
//! the processor applies the commands of a document one after the other, so of two writers with the same
//! `If-Match` exactly one wins, whichever gateway replica each one reached.

mod outcomes;
mod publish;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use axum::{Extension, Router};
use lrs_common::auth::{Credentials, Principal};
use lrs_common::http::{error_response, require_auth, Version};
use lrs_common::Settings;
use std::collections::HashMap;
use std::sync::Arc;
use xapi::document::{self as doc, Command, DocKey, Kind, Op};
use xapi::XapiVersion;

pub use outcomes::Outcomes;
pub use publish::CommandPublisher;

/// Documents travel as one Kafka record each: they must fit the documents topic's `max.message.bytes`.
const MAX_DOCUMENT_BYTES: usize = 8 * 1024 * 1024 - 64 * 1024;

pub struct Documents {
    pub publisher: CommandPublisher,
    pub outcomes: Outcomes,
    pub max_body_bytes: usize,
}

/// The write routes of the three document resources.
pub fn router(settings: &Settings, credentials: Arc<Credentials>) -> anyhow::Result<(Router, Arc<Documents>)> {
    let state = Arc::new(Documents {
        publisher: CommandPublisher::new(settings)?,
        outcomes: Outcomes::new(lrs_common::clickhouse::client(settings), settings.visible_timeout),
        max_body_bytes: settings.max_body_bytes.min(MAX_DOCUMENT_BYTES),
    });
    let auth = axum::middleware::from_fn_with_state(credentials, require_auth);
    let router = Router::new()
        .route("/xapi/activities/state", put(write).post(write).delete(write))
        .route("/xapi/activities/profile", put(write).post(write).delete(write))
        .route("/xapi/agents/profile", put(write).post(write).delete(write))
        .layer(axum::extract::DefaultBodyLimit::max(state.max_body_bytes))
        .layer(tower_http::decompression::RequestDecompressionLayer::new())
        .route_layer(auth)
        .with_state(state.clone());
    Ok((router, state))
}

#[allow(clippy::too_many_arguments)]
async fn write(
    State(state): State<Arc<Documents>>,
    Extension(principal): Extension<Principal>,
    Version(version): Version,
    method: Method,
    uri: Uri,
    params: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match command(&state, version, &method, &uri, params, &headers, body) {
        Ok((command, body)) => {
            if let Err(e) = state.publisher.publish(&principal.store, &command, &body).await {
                tracing::error!(error = %e, "document write failed");
                return error_response(StatusCode::SERVICE_UNAVAILABLE, e);
            }
            match state.outcomes.wait(command.id).await {
                Some((204, _)) => StatusCode::NO_CONTENT.into_response(),
                Some((status, message)) => {
                    error_response(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), message)
                }
                None => error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the write was accepted but not applied in time; it may still be applied: read the document (or \
                     retry with If-Match) to find out",
                ),
            }
        }
        Err((status, message)) => error_response(status, message),
    }
}

type Rejection = (StatusCode, String);

/// Checks the request and turns it into a command and its document bytes.
fn command(
    state: &Documents,
    version: XapiVersion,
    method: &Method,
    uri: &Uri,
    params: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(Command, Bytes), Rejection> {
    let bad = |m: String| (StatusCode::BAD_REQUEST, m);
    let Query(params) = params.map_err(|e| bad(e.body_text()))?;
    let kind = Kind::of_path(uri.path()).ok_or_else(|| bad("unknown document resource".into()))?;
    let (key, op) = key_of(kind, method, &params, version).map_err(bad)?;
    let body = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            (StatusCode::PAYLOAD_TOO_LARGE, format!("documents are limited to {} bytes", state.max_body_bytes))
        } else {
            bad(format!("could not read the request body: {}", r.body_text()))
        }
    })?;
    let text = |name: header::HeaderName| -> Result<Option<String>, Rejection> {
        headers
            .get(&name)
            .map(|v| v.to_str().map(str::to_string).map_err(|_| bad(format!("the {name} header is not ASCII"))))
            .transpose()
    };
    let content_type = text(header::CONTENT_TYPE)?.unwrap_or_default();
    if op == Op::Post {
        doc::check_post_body(&content_type, &body).map_err(bad)?;
    }
    let body = if matches!(op, Op::Delete | Op::DeleteAll) { Bytes::new() } else { body };
    let command = Command {
        id: uuid::Uuid::new_v4(),
        op,
        key,
        version: version.header_value().to_string(),
        if_match: text(header::IF_MATCH)?,
        if_none_match: text(header::IF_NONE_MATCH)?,
        content_type,
        at_ms: lrs_common::now_ms(),
    };
    Ok((command, body))
}

/// The document (or, for a State DELETE without `stateId`, the set of states) a write addresses.
fn key_of(
    kind: Kind,
    method: &Method,
    p: &HashMap<String, String>,
    version: XapiVersion,
) -> Result<(DocKey, Op), String> {
    let key = doc::parse_key(kind, p, version)?;
    let op = match (method.as_str(), key.doc_id.is_empty()) {
        ("PUT", false) => Op::Put,
        ("POST", false) => Op::Post,
        ("DELETE", false) => Op::Delete,
        ("DELETE", true) if kind == Kind::State => Op::DeleteAll,
        _ => return Err(format!("the {} parameter is required", doc::id_parameter(kind))),
    };
    Ok((key, op))
}
