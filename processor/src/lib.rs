//! The processor: Kafka consumer-group workers that turn published statements into ClickHouse rows and commit
//! offsets only after the rows are written. Redelivery re-writes identical rows, which readers collapse, so a
//! crash at any moment loses nothing and shows nothing twice.

pub mod batch;
pub mod clickhouse;
pub mod documents;
pub mod kafka;
mod metrics;
pub mod refs;
pub mod transform;
pub mod watermark;

use crate::batch::Limits;
use axum::routing::get;
use axum::Router;
use lrs_common::{http, Settings, Shutdown};
use std::sync::atomic::{AtomicBool, Ordering};
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
        skew_ms: settings.consistency_skew_ms,
        shutdown_grace: settings.shutdown_grace,
    };
    let consuming = Arc::new(AtomicBool::new(false));
    let probe = (lrs_common::clickhouse::client(&settings), consuming.clone());
    let router = Router::new()
        .route("/health", get(|| async { http::health_response(true, serde_json::json!({})) }))
        .route("/ready", get(move || readiness(probe.0.clone(), probe.1.clone())))
        .route("/metrics", get(http::metrics_endpoint))
        .layer(axum::middleware::from_fn_with_state("processor", lrs_common::metrics::track_http));
    tracing::info!(addr = %listener.local_addr()?, "processor metrics listening");
    let server = tokio::spawn(http::serve(listener, router, shutdown.clone(), settings.shutdown_grace));
    let documents = documents::spawn(settings.clone(), shutdown.clone());
    let result = kafka::consume(&settings, config, sink, dead_letters, shutdown.clone(), consuming).await;
    shutdown.trigger();
    documents.join().await;
    let _ = server.await;
    tracing::info!("processor stopped");
    result
}

/// Ready while the consume loop runs and ClickHouse answers.
async fn readiness(client: ::clickhouse::Client, consuming: Arc<AtomicBool>) -> axum::response::Response {
    let running = consuming.load(Ordering::Relaxed);
    let probe =
        tokio::time::timeout(std::time::Duration::from_secs(2), client.query("SELECT 1").fetch_one::<u8>()).await;
    let clickhouse = match probe {
        Ok(Ok(_)) => "ok".to_string(),
        Ok(Err(e)) => e.to_string(),
        Err(_) => "timeout".to_string(),
    };
    let ready = running && clickhouse == "ok";
    http::health_response(ready, serde_json::json!({"consuming": running, "clickhouse": clickhouse}))
}
