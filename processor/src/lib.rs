//! The processor: Kafka consumer-group workers that turn published statements into ClickHouse rows and commit
//! offsets only after the rows are written. Redelivery re-writes identical rows, which readers collapse, so a
//! crash at any moment loses nothing and shows nothing twice.

pub mod batch;
pub mod clickhouse;
pub mod kafka;
mod metrics;
pub mod transform;
pub mod watermark;

use crate::batch::Limits;
use axum::routing::get;
use axum::Router;
use lrs_common::{http, Settings, Shutdown};
use std::sync::Arc;
use tokio::net::TcpListener;

/// Consumes until `shutdown`; serves `/metrics` and `/health` on `listener` meanwhile.
pub async fn run(listener: TcpListener, settings: Settings, shutdown: Shutdown) -> anyhow::Result<()> {
    let sink = Arc::new(clickhouse::ClickHouseSink::new(lrs_common::clickhouse::client(&settings)));
    let dead_letters = kafka::DeadLetters::new(&settings)?;
    let config = kafka::SourceConfig {
        limits: Limits {
            max_rows: settings.batch_max_rows,
            max_bytes: settings.batch_max_bytes,
            max_wait: settings.batch_max_wait,
        },
        skew_ms: std::env::var("LRS_CONSISTENCY_SKEW_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000),
        shutdown_grace: settings.shutdown_grace,
    };
    let router = Router::new()
        .route("/health", get(|| async { http::health_response(true, serde_json::json!({})) }))
        .route("/ready", get(|| async { http::health_response(true, serde_json::json!({})) }))
        .route("/metrics", get(http::metrics_endpoint))
        .layer(axum::middleware::from_fn_with_state("processor", lrs_common::metrics::track_http));
    tracing::info!(addr = %listener.local_addr()?, "processor metrics listening");
    let server = tokio::spawn(http::serve(listener, router, shutdown.clone(), settings.shutdown_grace));
    let result = kafka::consume(&settings, config, sink, dead_letters, shutdown.clone()).await;
    shutdown.trigger();
    let _ = server.await;
    tracing::info!("processor stopped");
    result
}
