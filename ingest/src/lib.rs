//! The xAPI write gateway. It authenticates, validates and normalises statements, publishes them to Kafka
//! (acks=all, idempotent) and answers only once Kafka acknowledged every statement of the request. Document
//! writes go through Kafka too, and are answered with the outcome the processor decided.
//!
//! The library is write-only: [`routes`] are the write routes, [`run`] serves them alone; the `lrs-server`
//! binary composes them with the query service's read routes on one port.

mod conflicts;
mod documents;
#[cfg(test)]
mod envelope_tests;
mod error;
pub mod ids;
mod import;
pub mod lag;
mod metrics;
mod publish;
mod statements;
#[cfg(test)]
mod tests;
mod visibility;

pub use conflicts::{ClickHouseFingerprints, StoredFingerprints};
pub use error::IngestError;
pub use publish::{envelope, AttachmentContent, Publish, StatementPublisher};
pub use visibility::Visibility;

use axum::Router;
use lrs_common::auth::Credentials;
use lrs_common::http::service::Ready;
use lrs_common::kafka::barrier::Barrier;
use lrs_common::kafka::Publisher;
use lrs_common::{http, Settings, Shutdown};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

#[derive(Clone)]
pub struct AppState {
    pub credentials: Arc<Credentials>,
    pub publisher: Arc<dyn Publish>,
    pub max_body_bytes: usize,
    /// Set in the visible acknowledgement mode.
    pub visibility: Option<Arc<Visibility>>,
    /// What the gateway knows of statement ids, for 409 on a conflicting id.
    pub ids: Arc<ids::IdIndex>,
    /// Refuses statement writes while the processors lag too far behind.
    pub lag: Arc<lag::LagGuard>,
}

/// The statement write routes, without the operational endpoints.
pub fn xapi_router(state: AppState) -> Router {
    let max_body_bytes = state.max_body_bytes;
    let auth = axum::middleware::from_fn_with_state(state.credentials.clone(), http::require_auth);
    Router::new()
        .route("/xapi/statements", axum::routing::post(statements::post).put(statements::put))
        .layer(axum::extract::DefaultBodyLimit::max(max_body_bytes))
        .layer(tower_http::decompression::RequestDecompressionLayer::new())
        .route_layer(auth)
        .with_state(state)
}

/// `POST /admin/import` (the admin credential only, as every `/admin/` route).
fn import_router(state: import::ImportState) -> Router {
    let max_body_bytes = state.app.max_body_bytes;
    let auth = axum::middleware::from_fn_with_state(state.app.credentials.clone(), http::require_auth);
    Router::new()
        .route("/admin/import", axum::routing::post(import::import))
        .layer(axum::extract::DefaultBodyLimit::max(max_body_bytes))
        .layer(tower_http::decompression::RequestDecompressionLayer::new())
        .route_layer(auth)
        .with_state(state)
}

/// The gateway's routes (statements and documents) and what its readiness and shutdown need.
pub struct Gateway {
    pub routes: Router,
    pub publisher: Publisher,
    pub ready: Ready,
    /// Keeps the id log tail running.
    pub tail: ids::Tail,
}

pub fn gateway(settings: &Settings, credentials: Arc<Credentials>) -> anyhow::Result<Gateway> {
    let publisher = Publisher::new(settings, "lrs-ingest")?;
    let db = lrs_common::clickhouse::db(settings);
    let visibility = match settings.ack_mode {
        lrs_common::config::AckMode::Visible => {
            let barrier = Barrier::new(settings, &settings.statements_topic, &settings.consumer_group)?;
            Some(Arc::new(Visibility::new(barrier, settings.visible_timeout)))
        }
        lrs_common::config::AckMode::Durable => None,
    };
    let filter = Arc::new(ids::IdFilter::new(1 << 20));
    let recent = Arc::new(ids::Recent::new(1 << 17));
    let tail = ids::tail::start(settings, db.with_timeout(Duration::from_secs(600)), filter.clone(), recent.clone());
    let lookups = Arc::new(ClickHouseFingerprints::new(db.clone()));
    let state = AppState {
        credentials: credentials.clone(),
        publisher: Arc::new(StatementPublisher::new(publisher.clone(), &settings.statements_topic)),
        max_body_bytes: settings.max_body_bytes,
        visibility,
        ids: Arc::new(ids::IdIndex::new(filter, recent, lookups, settings.conflict_lookup_timeout)),
        lag: lag::LagGuard::start(db.clone(), settings.statements_topic.clone(), settings.max_lag),
    };
    let import = import_router(import::ImportState { app: state.clone(), db, fixed_store: settings.dev_store.clone() });
    let routes = xapi_router(state).merge(import).merge(documents::router(settings, publisher.clone(), credentials));
    let (probe, topic) = (publisher.clone(), settings.statements_topic.clone());
    let ready: Ready = Arc::new(move || {
        let (probe, topic) = (probe.clone(), topic.clone());
        Box::pin(async move {
            match probe.topic_ready(&topic).await {
                Ok(()) => http::health_response(true, serde_json::json!({"kafka": "ok"})),
                Err(e) => http::health_response(false, serde_json::json!({"kafka": e})),
            }
        })
    });
    Ok(Gateway { routes, publisher, ready, tail })
}

/// Serves the gateway until `shutdown`.
pub async fn run(listener: TcpListener, settings: Settings, shutdown: Shutdown) -> anyhow::Result<()> {
    let (credentials, admin) = lrs_common::admin::credentials_and_router(&settings);
    let gateway = gateway(&settings, credentials)?;
    let router = http::service::wrap(gateway.routes.merge(admin), "ingest", gateway.ready, settings.http);
    tracing::info!(addr = %listener.local_addr()?, ack_mode = ?settings.ack_mode, "ingest listening");
    http::serve(listener, router, shutdown, settings.shutdown_grace, settings.http).await?;
    gateway.publisher.flush(settings.shutdown_grace);
    tracing::info!("ingest stopped");
    Ok(())
}
