//! The xAPI read service: statements, activities, agents and documents served from ClickHouse, with
//! `X-Experience-API-Consistent-Through` computed from what the processors have actually written.
//!
//! [`reads`] are the read routes (the `lrs-server` binary mounts them beside the gateway's); [`run`] serves
//! them alone.

mod about;
mod activities;
mod agents;
pub mod analytics;
mod consistency;
mod dashboard;
mod documents;
mod error;
mod export;
mod metrics;
#[cfg(test)]
mod resource_tests;
mod statements;

pub use consistency::Consistency;
pub use error::QueryError;

use axum::routing::get;
use axum::Router;
use lrs_common::auth::Credentials;
use lrs_common::clickhouse::Db;
use lrs_common::http::service::Ready;
use lrs_common::{http, Settings, Shutdown};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

#[derive(Clone)]
pub struct AppState {
    pub credentials: Arc<Credentials>,
    pub db: Db,
    pub consistency: Arc<Consistency>,
    /// How fresh analytics are: the analytics stage's watermarks (no read barrier).
    pub analytics_consistency: Arc<Consistency>,
    /// The statements resource's path as clients reach it (`more` links are relative to the server).
    pub statements_path: Arc<str>,
    pub web_dir: std::path::PathBuf,
}

impl AppState {
    pub fn new(settings: &Settings, credentials: Arc<Credentials>) -> Self {
        let db = lrs_common::clickhouse::db(settings);
        let barrier =
            lrs_common::kafka::barrier::Barrier::new(settings, &settings.statements_topic, &settings.consumer_group)
                .map_err(|e| tracing::error!(error = %e, "no read barrier: reads answer as the store stands"))
                .ok();
        let consistency = Arc::new(Consistency::new(
            db.clone(),
            settings.statements_topic.clone(),
            barrier,
            settings.read_wait,
            settings.consistency_skew_ms,
        ));
        let analytics_consistency = Arc::new(Consistency::new(
            db.clone(),
            settings.facts_topic.clone(),
            None,
            settings.read_wait,
            settings.consistency_skew_ms,
        ));
        let statements_path = statements::response::statements_path(&settings.public_url).into();
        AppState {
            credentials,
            db,
            consistency,
            analytics_consistency,
            statements_path,
            web_dir: settings.web_dir.clone(),
        }
    }
}

/// The xAPI read routes, without the operational endpoints.
pub fn xapi_router(state: AppState) -> Router {
    let dashboard = dashboard::router(state.web_dir.clone());
    let auth = axum::middleware::from_fn_with_state(state.credentials.clone(), http::require_auth);
    Router::new()
        .route("/xapi/statements", get(statements::get))
        .route("/xapi/activities", get(activities::get))
        .route("/xapi/agents", get(agents::get))
        .route("/xapi/activities/state", get(documents::get))
        .route("/xapi/activities/profile", get(documents::get))
        .route("/xapi/agents/profile", get(documents::get))
        .route("/analytics/aggregate", get(analytics::aggregate))
        .route("/admin/export", get(export::export))
        .route_layer(auth)
        .route("/analytics/openapi.json", get(analytics::openapi))
        .route("/xapi/about", get(about::get))
        .with_state(state)
        .merge(dashboard)
}

/// The read routes and their readiness check.
pub fn reads(settings: &Settings, credentials: Arc<Credentials>) -> (Router, Ready) {
    let state = AppState::new(settings, credentials);
    let db = state.db.clone();
    let ready: Ready = Arc::new(move || {
        let db = db.clone();
        Box::pin(async move {
            let probe = db
                .query("SELECT count() FROM partition_watermarks")
                .with_timeout(Duration::from_secs(2))
                .fetch_one::<u64>()
                .await;
            match probe {
                Ok(_) => http::health_response(true, serde_json::json!({"clickhouse": "ok"})),
                Err(e) => http::health_response(false, serde_json::json!({"clickhouse": e.to_string()})),
            }
        })
    });
    (xapi_router(state), ready)
}

pub async fn run(listener: TcpListener, settings: Settings, shutdown: Shutdown) -> anyhow::Result<()> {
    let (credentials, admin) = lrs_common::admin::credentials_and_router(&settings);
    let (routes, ready) = reads(&settings, credentials);
    let router = http::service::wrap(routes.merge(admin), "query", ready, settings.http);
    tracing::info!(addr = %listener.local_addr()?, "query listening");
    http::serve(listener, router, shutdown, settings.shutdown_grace, settings.http).await?;
    tracing::info!("query stopped");
    Ok(())
}
