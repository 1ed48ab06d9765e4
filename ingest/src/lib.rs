//! The xAPI write gateway. It authenticates, validates and normalises statements, publishes them to Kafka
//! (acks=all, idempotent) and answers only once Kafka acknowledged every statement of the request.

mod conflicts;
mod documents;
mod error;
mod metrics;
mod publish;
mod statements;
#[cfg(test)]
mod tests;
mod visibility;

pub use conflicts::{ClickHouseFingerprints, StoredFingerprints};
pub use error::IngestError;
pub use publish::{AttachmentContent, KafkaPublisher, Publish};
pub use visibility::Visibility;

use axum::routing::{get, post};
use axum::Router;
use lrs_common::auth::Credentials;
use lrs_common::{http, Settings, Shutdown};
use std::sync::Arc;
use tokio::net::TcpListener;

#[derive(Clone)]
pub struct AppState {
    pub credentials: Arc<Credentials>,
    pub publisher: Arc<dyn Publish>,
    pub max_body_bytes: usize,
    /// Set in the visible acknowledgement mode.
    pub visibility: Option<Arc<Visibility>>,
    /// Stored statements' fingerprints, for 409 on a conflicting id (None: no check, as in unit tests).
    pub fingerprints: Option<Arc<dyn StoredFingerprints>>,
}

/// The xAPI write routes, without the health and metrics endpoints.
pub fn xapi_router(state: AppState) -> Router {
    let max_body_bytes = state.max_body_bytes;
    let auth = axum::middleware::from_fn_with_state(state.credentials.clone(), http::require_auth);
    Router::new()
        .route("/xapi/statements", post(statements::post).put(statements::put))
        .layer(axum::extract::DefaultBodyLimit::max(max_body_bytes))
        .layer(tower_http::decompression::RequestDecompressionLayer::new())
        .route_layer(auth)
        .with_state(state)
}

/// Serves the gateway (and, in single-node mode, the query routes too) until `shutdown`.
pub async fn run(listener: TcpListener, settings: Settings, shutdown: Shutdown) -> anyhow::Result<()> {
    let credentials = Arc::new(Credentials::from_settings(&settings));
    let publisher = Arc::new(KafkaPublisher::new(&settings)?);
    let state = AppState {
        credentials: credentials.clone(),
        publisher: publisher.clone(),
        max_body_bytes: settings.max_body_bytes,
        visibility: (settings.ack_mode == lrs_common::config::AckMode::Visible)
            .then(|| Arc::new(Visibility::new(lrs_common::clickhouse::client(&settings), settings.visible_timeout))),
        fingerprints: Some(Arc::new(ClickHouseFingerprints::new(lrs_common::clickhouse::client(&settings)))),
    };
    let (documents_router, documents) = documents::router(&settings, credentials.clone())?;
    let mut router = xapi_router(state).merge(documents_router);
    if settings.single_node {
        router = router.merge(lrs_query::xapi_router(lrs_query::AppState::new(&settings, credentials)));
    }
    let ready_publisher = publisher.clone();
    let router = router
        .route("/health", get(|| async { http::health_response(true, serde_json::json!({})) }))
        .route("/ready", get(move || async move { ready_publisher.readiness().await }))
        .route("/metrics", get(http::metrics_endpoint))
        .layer(axum::middleware::from_fn(http::version_header))
        .layer(axum::middleware::from_fn_with_state("ingest", lrs_common::metrics::track_http));
    let router = http::edge(router, settings.max_body_bytes);
    tracing::info!(addr = %listener.local_addr()?, single_node = settings.single_node, ack_mode = ?settings.ack_mode, "ingest listening");
    http::serve(listener, router, shutdown, settings.shutdown_grace).await?;
    publisher.flush(settings.shutdown_grace);
    documents.publisher.flush(settings.shutdown_grace);
    tracing::info!("ingest stopped");
    Ok(())
}
