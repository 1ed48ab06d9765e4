//! `GET /admin/export?store=S[&xAPI statement filters]` (admin credential): a store's statements as NDJSON,
//! exactly as stored (`id`, `stored`, `authority`, `timestamp` kept), oldest first, streamed page by page so
//! memory stays constant whatever the size, after the read barrier (every statement acknowledged before the
//! export started is in it). Voided statements are in it too, with their voiding statements: a store
//! imported from the export voids them again, and reads the same as the exported one.

use crate::error::QueryError;
use crate::statements::{fetch, params};
use crate::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use params::{Filters, Target};

const PAGE: u32 = 500;

pub async fn export(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let (store, filters) = match start(query.as_deref().unwrap_or("")) {
        Ok(started) => started,
        Err(e) => return e.into_response(),
    };
    // Like any read: every statement acknowledged before the export started is in it.
    if let Err(e) = state.consistency.settle().await {
        return QueryError::from(e).into_response();
    }
    stream(state, store, filters)
}

fn start(query: &str) -> Result<(String, Filters), QueryError> {
    let mut pairs = params::decode_query(query).map_err(|e| QueryError::BadRequest(e.0))?;
    let store = match pairs.iter().position(|(n, _)| n == "store") {
        Some(i) => pairs.remove(i).1,
        None => return Err(QueryError::BadRequest("store is required".into())),
    };
    if pairs.iter().any(|(n, _)| matches!(n.as_str(), "limit" | "ascending" | "format" | "attachments" | "cursor")) {
        return Err(QueryError::BadRequest(
            "export takes the statement filters (agent, verb, activity, registration, related_*, since, until) only"
                .into(),
        ));
    }
    let parsed = params::parse(&pairs, xapi::XapiVersion::V2_0_0).map_err(|e| QueryError::BadRequest(e.0))?;
    match parsed.target {
        Target::Query(mut filters) => {
            filters.limit = PAGE;
            filters.ascending = true;
            filters.include_voided = true;
            Ok((store, filters))
        }
        Target::Single { .. } => Err(QueryError::BadRequest("export takes filters, not a statement id".into())),
    }
}

fn stream(state: AppState, store: String, filters: Filters) -> Response {
    let now = lrs_common::now_ms();
    let pages = futures::stream::unfold(Some(filters), move |next| {
        let (db, store) = (state.db.clone(), store.clone());
        async move {
            let filters = next?;
            match fetch::page(&db, &store, &filters, now).await {
                Ok(page) => {
                    let mut chunk = Vec::with_capacity(page.statements.iter().map(|s| s.raw.len() + 1).sum());
                    for s in &page.statements {
                        chunk.extend_from_slice(s.raw.as_bytes());
                        chunk.push(b'\n');
                    }
                    let following = page.next.map(|c| Filters { cursor: Some(c), ..filters });
                    Some((Ok::<_, std::io::Error>(Bytes::from(chunk)), following))
                }
                Err(e) => {
                    // The status is sent already: the stream ends short, and the log says why.
                    tracing::error!(error = %e, store = %store, "export stopped");
                    Some((Err(std::io::Error::other(e.to_string())), None))
                }
            }
        }
    });
    let mut res = Body::from_stream(pages).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-ndjson"));
    res
}
