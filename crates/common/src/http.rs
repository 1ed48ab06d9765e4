//! HTTP plumbing shared by the gateway and the query service: the JSON error body, the xAPI version header,
//! authentication, and the `/metrics` and health endpoints.

use crate::auth::{AuthError, Credentials, Principal};
use axum::http::{header, HeaderMap, HeaderValue, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use xapi::XapiVersion;

pub mod alternate;
pub mod edge;
pub mod form;
pub mod versioning;

pub use edge::edge;

pub const VERSION_HEADER: &str = "x-experience-api-version";
pub const CONSISTENT_THROUGH_HEADER: &str = "x-experience-api-consistent-through";

/// The one shape of every error body: `{"error": "<reason phrase>", "message": "<what was wrong>"}`.
pub fn error_response(status: StatusCode, message: impl Into<String>) -> Response {
    let body = json!({"error": status.canonical_reason().unwrap_or("error"), "message": message.into()});
    (status, Json(body)).into_response()
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let mut res = error_response(StatusCode::UNAUTHORIZED, self.to_string());
        res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"xapi\""));
        res
    }
}

/// A missing or unsupported `X-Experience-API-Version` header (answered with 400).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct VersionError(String);

impl IntoResponse for VersionError {
    fn into_response(self) -> Response {
        error_response(StatusCode::BAD_REQUEST, self.0)
    }
}

/// The version whose rules apply, from the request's `X-Experience-API-Version` header.
pub fn request_version(headers: &HeaderMap) -> Result<XapiVersion, VersionError> {
    let value = headers
        .get(VERSION_HEADER)
        .ok_or_else(|| VersionError("the X-Experience-API-Version header is required".into()))?;
    value.to_str().ok().and_then(XapiVersion::from_header).ok_or_else(|| {
        let shown = String::from_utf8_lossy(value.as_bytes()).into_owned();
        VersionError(format!("unsupported X-Experience-API-Version {shown:?}"))
    })
}

pub fn authenticate(credentials: &Credentials, headers: &HeaderMap) -> Result<Principal, AuthError> {
    credentials.authenticate(headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()))
}

/// Middleware: every response carries `X-Experience-API-Version`, echoing the request's version when it is
/// one we speak, otherwise the version the same client last spoke (see [`versioning`]).
pub async fn version_header(req: Request<axum::body::Body>, next: Next) -> Response {
    let version = versioning::response_version(req.headers());
    let mut res = next.run(req).await;
    res.headers_mut().insert(VERSION_HEADER, HeaderValue::from_static(version.header_value()));
    res
}

/// `GET /metrics`: everything registered in the process's Prometheus registry, text format.
pub async fn metrics_endpoint() -> Response {
    let encoder = prometheus::TextEncoder::new();
    match encoder.encode_to_string(&prometheus::gather()) {
        Ok(text) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response(),
        Err(e) => error_response(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// The body of health and readiness answers.
pub fn health_response(ready: bool, checks: serde_json::Value) -> Response {
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(json!({"ready": ready, "checks": checks}))).into_response()
}

/// Middleware (with the credentials as state): rejects unauthenticated requests before their body is read,
/// and hands the `Principal` to the handler as a request extension.
pub async fn require_auth(
    axum::extract::State(credentials): axum::extract::State<std::sync::Arc<Credentials>>,
    mut req: Request<axum::body::Body>,
    next: Next,
) -> Response {
    match authenticate(&credentials, req.headers()) {
        Ok(principal) => {
            req.extensions_mut().insert(principal);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

/// Serves `router` on `listener` until `shutdown`, then lets in-flight requests finish for at most `grace`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    shutdown: crate::Shutdown,
    grace: std::time::Duration,
) -> std::io::Result<()> {
    let drain = shutdown.clone();
    let server = axum::serve(listener, router).with_graceful_shutdown(async move { drain.wait().await });
    tokio::select! {
        result = server => result,
        _ = async { shutdown.wait().await; tokio::time::sleep(grace).await } => {
            tracing::warn!(grace_ms = grace.as_millis() as u64, "requests still in flight after the grace period, closing");
            Ok(())
        }
    }
}

/// Extractor for the request's xAPI version; a missing or unsupported header rejects with 400.
pub struct Version(pub XapiVersion);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Version {
    type Rejection = VersionError;

    async fn from_request_parts(parts: &mut http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        request_version(&parts.headers).map(Version)
    }
}
