//! The xAPI read service: statements (and later documents and analytics) served from ClickHouse, with
//! `X-Experience-API-Consistent-Through` computed from what the processors have actually written.

mod about;
mod activities;
mod agents;
mod consistency;
mod documents;
mod error;
#[cfg(test)]
mod resource_tests;
mod statements;

pub use consistency::Consistency;
pub use error::QueryError;

use axum::routing::get;
use axum::Router;
use lrs_common::auth::Credentials;
use lrs_common::{http, Settings, Shutdown};
use std::sync::Arc;
use tokio::net::TcpListener;

#[derive(Clone)]
pub struct AppState {
    pub credentials: Arc<Credentials>,
    pub clickhouse: clickhouse::Client,
    pub consistency: Arc<Consistency>,
    /// The statements resource's path as clients reach it (`more` links are relative to the server).
    pub statements_path: Arc<str>,
}

impl AppState {
    pub fn new(settings: &Settings, credentials: Arc<Credentials>) -> Self {
        let clickhouse = lrs_common::clickhouse::client(settings);
        let consistency = Arc::new(Consistency::new(clickhouse.clone(), settings.statements_topic.clone()));
        let statements_path = statements::response::statements_path(&settings.public_url).into();
        AppState { credentials, clickhouse, consistency, statements_path }
    }
}

/// The xAPI read routes, without health and metrics (the single-node gateway mounts these).
pub fn xapi_router(state: AppState) -> Router {
    let auth = axum::middleware::from_fn_with_state(state.credentials.clone(), http::require_auth);
    Router::new()
        .route("/xapi/statements", get(statements::get))
        .route("/xapi/activities", get(activities::get))
        .route("/xapi/agents", get(agents::get))
        .route("/xapi/activities/state", get(documents::get))
        .route("/xapi/activities/profile", get(documents::get))
        .route("/xapi/agents/profile", get(documents::get))
        .route_layer(auth)
        .route("/xapi/about", get(about::get))
        .with_state(state)
}

pub async fn run(listener: TcpListener, settings: Settings, shutdown: Shutdown) -> anyhow::Result<()> {
    let credentials = Arc::new(Credentials::from_settings(&settings));
    let state = AppState::new(&settings, credentials);
    let ready_client = state.clickhouse.clone();
    let router = xapi_router(state)
        .route("/health", get(|| async { http::health_response(true, serde_json::json!({})) }))
        .route("/ready", get(move || readiness(ready_client.clone())))
        .route("/metrics", get(http::metrics_endpoint))
        .layer(axum::middleware::from_fn(http::version_header))
        .layer(axum::middleware::from_fn_with_state("query", lrs_common::metrics::track_http));
    let router = http::edge(router, settings.max_body_bytes);
    tracing::info!(addr = %listener.local_addr()?, "query listening");
    http::serve(listener, router, shutdown, settings.shutdown_grace).await?;
    tracing::info!("query stopped");
    Ok(())
}

async fn readiness(client: clickhouse::Client) -> axum::response::Response {
    let probe = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        client.query("SELECT count() FROM partition_watermarks").fetch_one::<u64>(),
    )
    .await;
    match probe {
        Ok(Ok(_)) => http::health_response(true, serde_json::json!({"clickhouse": "ok"})),
        Ok(Err(e)) => http::health_response(false, serde_json::json!({"clickhouse": e.to_string()})),
        Err(_) => http::health_response(false, serde_json::json!({"clickhouse": "timeout"})),
    }
}
