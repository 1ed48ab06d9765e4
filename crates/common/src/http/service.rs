//! What every service adds around its xAPI routes: `/health`, `/ready` and `/metrics`, the xAPI version
//! header, the request metrics, and the edge (ids, CORS, JSON errors, limits, the alternate syntax).

use crate::config::HttpLimits;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use futures::future::BoxFuture;
use std::sync::Arc;

/// A readiness check: the answer of `/ready`.
pub type Ready = Arc<dyn Fn() -> BoxFuture<'static, Response> + Send + Sync>;

pub fn wrap(routes: Router, service: &'static str, ready: Ready, limits: HttpLimits) -> Router {
    let router = routes
        .route("/health", get(|| async { super::health_response(true, serde_json::json!({})) }))
        .route("/ready", get(move || ready()))
        .route("/metrics", get(super::metrics_endpoint))
        .layer(axum::middleware::from_fn(super::version_header))
        .layer(axum::middleware::from_fn_with_state(service, crate::metrics::track_http));
    super::edge(router, limits)
}
