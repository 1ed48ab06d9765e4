//! HTTP plumbing shared by the services: the one JSON error shape, request ids, the xAPI version header,
//! authentication, the server loop with its limits, and the `/metrics` and health endpoints.

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
pub mod limits;
pub mod params;
pub mod request_id;
pub mod server;
pub mod service;
pub mod versioning;

pub use edge::edge;
pub use limits::read_body;
pub use server::serve;

pub const VERSION_HEADER: &str = "x-experience-api-version";
pub const CONSISTENT_THROUGH_HEADER: &str = "x-experience-api-consistent-through";

/// The one shape of every error body: `{"error": "<reason phrase>", "message": "<what was wrong>",
/// "request_id": "<id>"}`.
pub fn error_response(status: StatusCode, message: impl Into<String>) -> Response {
    let mut body = json!({"error": status.canonical_reason().unwrap_or("error"), "message": message.into()});
    if let Some(id) = request_id::current() {
        body["request_id"] = json!(&*id);
    }
    (status, Json(body)).into_response()
}

/// A server-side failure: the detail is logged with the request id, the client gets a generic message
/// with that id (never a backend's error text).
pub fn server_error(status: StatusCode, what: &str, detail: &dyn std::fmt::Display) -> Response {
    let id = request_id::current();
    tracing::error!(request_id = id.as_deref().unwrap_or("-"), status = status.as_u16(), error = %detail, "{what}");
    let message = match status {
        StatusCode::SERVICE_UNAVAILABLE => format!("{what}; try again"),
        _ => what.to_string(),
    };
    error_response(status, message)
}

/// Why a request body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the request body is larger than the limit of {0} bytes")]
    TooLarge(usize),
    #[error("the request body was not received within {0:?}")]
    Timeout(std::time::Duration),
    #[error("could not read the request body: {0}")]
    Malformed(String),
}

impl BodyError {
    pub fn status(&self) -> StatusCode {
        match self {
            BodyError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            BodyError::Malformed(_) => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for BodyError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut res = error_response(status, self.to_string());
        if status == StatusCode::REQUEST_TIMEOUT {
            // The rest of the body may still be on its way: the connection cannot carry another request.
            res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        res
    }
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
        let shown: String = String::from_utf8_lossy(value.as_bytes()).chars().take(64).collect();
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

/// Middleware: an error answered without a body (the router's 404 and 405, the decompression layer's 415, a
/// framework rejection) gets the JSON error body like every other error.
pub async fn json_errors(req: Request<axum::body::Body>, next: Next) -> Response {
    let method = req.method().clone();
    let path: String = req.uri().path().chars().take(200).collect();
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) || res.headers().contains_key(header::CONTENT_TYPE) {
        return res;
    }
    let message = match status {
        StatusCode::NOT_FOUND => format!("no resource at {path}"),
        StatusCode::METHOD_NOT_ALLOWED => {
            let allowed = res.headers().get(header::ALLOW).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            format!("{} is not allowed on {path} (allowed: {allowed})", crate::metrics::method_label(&method))
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            "unsupported Content-Encoding: send the body uncompressed, gzip or deflate".to_string()
        }
        other => other.canonical_reason().unwrap_or("error").to_string(),
    };
    let (parts, _) = res.into_parts();
    let mut fixed = error_response(status, message);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_LENGTH {
            fixed.headers_mut().insert(name.clone(), value.clone());
        }
    }
    fixed
}

/// `GET /metrics`: everything registered in the process's Prometheus registry, text format.
pub async fn metrics_endpoint() -> Response {
    let encoder = prometheus::TextEncoder::new();
    match encoder.encode_to_string(&prometheus::gather()) {
        Ok(text) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response(),
        Err(e) => server_error(StatusCode::INTERNAL_SERVER_ERROR, "metrics could not be encoded", &e),
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
            if let Err(refusal) = permitted(&principal, req.method(), req.uri().path()) {
                return error_response(StatusCode::FORBIDDEN, refusal);
            }
            if let Err(wait) = credentials.admit(&principal.key) {
                let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
                let mut res = error_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!("this credential's request rate limit is reached; retry in {secs} s"),
                );
                res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
                return res;
            }
            req.extensions_mut().insert(principal);
            next.run(req).await
        }
        Err(e) => {
            let mut res = e.into_response();
            // A script (the dashboard) asks for no challenge: with one, browsers open their own sign-in dialog.
            if req.headers().get("x-requested-with").is_some_and(|v| v == "XMLHttpRequest") {
                res.headers_mut().remove(header::WWW_AUTHENTICATE);
            }
            res
        }
    }
}

/// Whether `principal` may make this request: the admin credential serves the admin API only, every other
/// credential the resources its scopes name (403 with the scope it lacks).
pub fn permitted(principal: &Principal, method: &axum::http::Method, path: &str) -> Result<(), String> {
    let admin_path = path == "/admin" || path.starts_with("/admin/");
    match (principal.admin, admin_path) {
        (true, true) => Ok(()),
        (true, false) => Err("the admin credential serves only /admin/; use a store's credential".into()),
        (false, true) => Err("the admin API needs the admin credential".into()),
        (false, false) => match crate::auth::Scopes::needed(method, path) {
            Some((need, name)) if !principal.scopes.intersects(need) => {
                Err(format!("this credential's scopes ({}) do not include {name}", principal.scopes.names().join(", ")))
            }
            _ => Ok(()),
        },
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    #[tokio::test]
    async fn framework_errors_get_the_json_body() {
        let app = Router::new().route("/x", get(|| async { "ok" })).layer(axum::middleware::from_fn(json_errors));
        for (req, status) in [
            (Request::get("/nope").body(Body::empty()).unwrap(), StatusCode::NOT_FOUND),
            (Request::delete("/x").body(Body::empty()).unwrap(), StatusCode::METHOD_NOT_ALLOWED),
        ] {
            let res = app.clone().oneshot(req).await.unwrap();
            assert_eq!(res.status(), status);
            assert_eq!(res.headers()[header::CONTENT_TYPE], "application/json");
            let body = axum::body::to_bytes(res.into_body(), 1 << 16).await.unwrap();
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert!(v["message"].as_str().unwrap().contains("/"), "{v}");
        }
    }

    #[tokio::test]
    async fn a_script_gets_401_without_a_challenge() {
        let credentials = std::sync::Arc::new(crate::auth::Credentials::new().with("k", "s", "default", "http://h"));
        let app = Router::new()
            .route("/x", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(credentials, require_auth));
        let plain = app.clone().oneshot(Request::get("/x").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(plain.status(), StatusCode::UNAUTHORIZED);
        assert!(plain.headers().contains_key(header::WWW_AUTHENTICATE), "clients are challenged");
        let script = Request::get("/x").header("X-Requested-With", "XMLHttpRequest").body(Body::empty()).unwrap();
        let res = app.oneshot(script).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(!res.headers().contains_key(header::WWW_AUTHENTICATE), "no browser dialog for the dashboard");
    }

    #[tokio::test]
    async fn a_credential_over_its_rate_gets_429_with_retry_after() {
        let credentials = std::sync::Arc::new(
            crate::auth::Credentials::new().with("k", "s", "default", "http://h").with_rate_limit(1.0, 2.0),
        );
        let app = Router::new()
            .route("/x", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(credentials, require_auth));
        let req = || {
            Request::get("/x").header(header::AUTHORIZATION, crate::auth::basic_header("k", "s")).body(Body::empty())
        };
        for _ in 0..2 {
            assert_eq!(app.clone().oneshot(req().unwrap()).await.unwrap().status(), StatusCode::OK);
        }
        let res = app.oneshot(req().unwrap()).await.unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(res.headers()[header::RETRY_AFTER], "1");
    }
}
