//! Writes of the document resources: `PUT`/`POST`/`DELETE` on `/xapi/activities/state`,
//! `/xapi/activities/profile` and `/xapi/agents/profile`. The gateway checks the request, publishes it as a
//! command to the documents topic, and answers with the outcome the processor decided (204, 400, 409, 412):
//! the processor applies the commands of a document one after the other, so of two writers with the same
//! `If-Match` exactly one wins, whichever gateway replica each one reached.

mod outcomes;
mod publish;

use crate::error::IngestError;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use axum::{Extension, Router};
use lrs_common::auth::{Credentials, Principal};
use lrs_common::http::params::Params;
use lrs_common::http::{read_body, require_auth, Version};
use lrs_common::kafka::Publisher;
use lrs_common::Settings;
use std::sync::Arc;
use xapi::document::{self as doc, Command, DocKey, Kind, Op};
use xapi::XapiVersion;

pub use outcomes::{Outcome, Outcomes};
pub use publish::CommandPublisher;

/// Documents travel as one Kafka record each: they must fit the documents topic's `max.message.bytes`.
const MAX_DOCUMENT_BYTES: usize = 8 * 1024 * 1024 - 64 * 1024;

pub struct Documents {
    pub publisher: CommandPublisher,
    pub outcomes: Outcomes,
    pub max_body_bytes: usize,
}

/// The write routes of the three document resources.
pub fn router(settings: &Settings, publisher: Publisher, credentials: Arc<Credentials>) -> Router {
    let state = Arc::new(Documents {
        publisher: CommandPublisher::new(publisher, &settings.documents_topic),
        outcomes: Outcomes::new(lrs_common::clickhouse::db(settings), settings.visible_timeout),
        max_body_bytes: settings.max_body_bytes.min(MAX_DOCUMENT_BYTES),
    });
    let auth = axum::middleware::from_fn_with_state(credentials, require_auth);
    Router::new()
        .route("/xapi/activities/state", put(write).post(write).delete(write))
        .route("/xapi/activities/profile", put(write).post(write).delete(write))
        .route("/xapi/agents/profile", put(write).post(write).delete(write))
        .layer(axum::extract::DefaultBodyLimit::max(state.max_body_bytes))
        .layer(tower_http::decompression::RequestDecompressionLayer::new())
        .route_layer(auth)
        .with_state(state)
}

#[allow(clippy::too_many_arguments)]
async fn write(
    State(state): State<Arc<Documents>>,
    Extension(principal): Extension<Principal>,
    Version(version): Version,
    method: Method,
    uri: Uri,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, IngestError> {
    let (command, body) = command(&state, version, &method, &uri, query.as_deref().unwrap_or(""), &headers, body)?;
    state.publisher.publish(&principal.store, &command, &body).await?;
    match state.outcomes.wait(command.id).await? {
        Some(Outcome::Applied) => Ok(StatusCode::NO_CONTENT.into_response()),
        Some(Outcome::Refused(rejection)) => Err(IngestError::Refused(rejection)),
        None => Err(IngestError::NotApplied),
    }
}

/// Checks the request and turns it into a command and its document bytes.
fn command(
    state: &Documents,
    version: XapiVersion,
    method: &Method,
    uri: &Uri,
    query: &str,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(Command, Bytes), IngestError> {
    let bad = IngestError::BadRequest;
    let kind = Kind::of_path(uri.path()).ok_or_else(|| bad("unknown document resource".into()))?;
    let params = Params::parse(query, doc::parameter_names(kind, false)).map_err(|e| bad(e.0))?;
    let (key, op) = key_of(kind, method, &params, version).map_err(bad)?;
    let body = read_body(body, state.max_body_bytes)?;
    let text = |name: header::HeaderName| -> Result<Option<String>, IngestError> {
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
fn key_of(kind: Kind, method: &Method, p: &Params, version: XapiVersion) -> Result<(DocKey, Op), String> {
    let key = doc::parse_key(kind, |n| p.get(n), version)?;
    let op = match (method.as_str(), key.doc_id.is_empty()) {
        ("PUT", false) => Op::Put,
        ("POST", false) => Op::Post,
        ("DELETE", false) => Op::Delete,
        ("DELETE", true) if kind == Kind::State => Op::DeleteAll,
        _ => return Err(format!("the {} parameter is required", doc::id_parameter(kind))),
    };
    Ok((key, op))
}
