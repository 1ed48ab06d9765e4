//! The processor: Kafka consumer-group workers that turn published statements and document commands into
//! ClickHouse rows and commit offsets only after the rows are written. Redelivery re-writes identical rows,
//! which readers collapse, so a crash at any moment loses nothing and shows nothing twice.
//!
//! Each topic runs through the same [`pipeline`] (source thread → writer task → commits); the process
//! supervises them: it is ready only while all run and ClickHouse answers, and it stops (exit code 1) as
//! soon as one of them ends.

pub mod analytics;
pub mod clickhouse;
pub mod documents;
mod metrics;
pub mod pipeline;
pub mod statements;
pub mod watermark;

use crate::pipeline::running::{spawn, Spec};
use crate::pipeline::source::{SourceConfig, WatermarkConfig};
use crate::pipeline::{dead_letter::DeadLetters, Limits};
use axum::routing::get;
use axum::Router;
use lrs_common::clickhouse::Db;
use lrs_common::kafka::Publisher;
use lrs_common::{http, Settings, Shutdown};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Consumes until `shutdown` (or until a pipeline fails); serves `/metrics`, `/health` and `/ready` on
/// `listener` meanwhile.
pub async fn run(listener: TcpListener, settings: Settings, shutdown: Shutdown) -> anyhow::Result<()> {
    let db = lrs_common::clickhouse::db(&settings);
    let inserts = db.with_timeout(settings.clickhouse_insert_timeout);
    let publisher = Publisher::new(&settings, "lrs-processor")?;
    let dead_letters = Arc::new(DeadLetters::new(publisher.clone(), &settings.dead_letter_topic));
    let sink = Arc::new(clickhouse::ClickHouseSink::new(inserts.clone()));
    // The writers keep retrying a batch through the shutdown drain; this ends them after the grace.
    let abort = Shutdown::new();

    let (marks_tx, marks_rx) = tokio::sync::mpsc::channel(1);
    let marks_writer = tokio::spawn(write_watermarks(sink.clone(), marks_rx));
    let statements = spawn(
        &settings,
        Spec {
            name: "statements",
            topic: settings.statements_topic.clone(),
            group: settings.consumer_group.clone(),
            strategy: statements::StatementStrategy,
            writer: statements::writer::StatementWriter::new(
                sink,
                Some(statements::writer::Logs {
                    publisher: publisher.clone(),
                    ids_topic: settings.ids_topic.clone(),
                    facts_topic: settings.analytics.then(|| settings.facts_topic.clone()),
                }),
            ),
            source: SourceConfig {
                limits: Limits::from_settings(&settings),
                shutdown_grace: settings.shutdown_grace,
                watermarks: Some(WatermarkConfig { skew_ms: settings.consistency_skew_ms, rows: marks_tx.clone() }),
            },
        },
        dead_letters.clone(),
        shutdown.clone(),
        abort.clone(),
    )?;
    let documents = spawn(
        &settings,
        Spec {
            name: "documents",
            topic: settings.documents_topic.clone(),
            group: documents_group(&settings),
            strategy: documents::DocumentStrategy,
            writer: documents::DocumentWriter::new(documents::DocumentStore::new(inserts.clone())),
            source: SourceConfig {
                limits: Limits {
                    max_rows: 500,
                    max_bytes: settings.batch_max_bytes,
                    max_wait: Duration::from_millis(20),
                    idle: Duration::from_millis(2),
                },
                shutdown_grace: settings.shutdown_grace,
                watermarks: None,
            },
        },
        dead_letters.clone(),
        shutdown.clone(),
        abort.clone(),
    )?;

    let mut pipelines = vec![("statements", statements), ("documents", documents)];
    if settings.analytics {
        let facts = spawn(
            &settings,
            Spec {
                name: "facts",
                topic: settings.facts_topic.clone(),
                group: facts_group(&settings),
                strategy: analytics::FactStrategy,
                writer: analytics::writer::FactWriter::new(inserts),
                source: SourceConfig {
                    limits: Limits::for_analytics(&settings),
                    shutdown_grace: settings.shutdown_grace,
                    watermarks: Some(WatermarkConfig { skew_ms: settings.consistency_skew_ms, rows: marks_tx }),
                },
            },
            dead_letters,
            shutdown.clone(),
            abort.clone(),
        )?;
        pipelines.push(("facts", facts));
    }

    let probe = Probe { db, pipelines: pipelines.iter().map(|(_, p)| p.flag()).collect() };
    let router = Router::new()
        .route("/health", get(|| async { http::health_response(true, serde_json::json!({})) }))
        .route("/ready", get(move || readiness(probe.clone())))
        .route("/metrics", get(http::metrics_endpoint))
        .layer(axum::middleware::from_fn_with_state("processor", lrs_common::metrics::track_http));
    let router = http::edge(router, settings.http);
    tracing::info!(addr = %listener.local_addr()?, "processor metrics listening");
    let server = tokio::spawn(http::serve(listener, router, shutdown.clone(), settings.shutdown_grace, settings.http));

    let failed = {
        let stops = pipelines.iter_mut().map(|(name, p)| {
            let name = *name;
            Box::pin(async move { (name, p.stopped().await) })
        });
        let any = futures::future::select_all(stops);
        tokio::select! {
            biased;
            _ = shutdown.wait() => None,
            // A pipeline that ends because shutdown began in the meantime has not failed.
            ((name, result), _, _) = any => (!shutdown.is_triggered()).then_some((name, result)),
        }
    };
    shutdown.trigger();
    let grace = settings.shutdown_grace + Duration::from_secs(1);
    let drained = tokio::time::timeout(grace, async {
        for (name, p) in pipelines.iter_mut() {
            if !matches!(failed, Some((n, _)) if n == *name) {
                let _ = p.stopped().await;
            }
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!("pipelines still draining after the grace period");
    }
    abort.trigger();
    for (_, p) in pipelines {
        p.join_writer().await;
    }
    marks_writer.abort();
    let _ = server.await;
    tracing::info!("processor stopped");
    match failed {
        None => Ok(()),
        Some((name, Ok(()))) => Err(anyhow::anyhow!("the {name} pipeline stopped unexpectedly")),
        Some((name, Err(e))) => Err(e.context(format!("the {name} pipeline failed"))),
    }
}

/// The consumer group of the facts topic (the analytics stage).
pub fn facts_group(settings: &Settings) -> String {
    format!("{}-facts", settings.consumer_group)
}

/// The consumer group of the documents topic (its own, so its offsets are independent of the statements').
pub fn documents_group(settings: &Settings) -> String {
    format!("{}-documents", settings.consumer_group)
}

async fn write_watermarks(
    sink: Arc<clickhouse::ClickHouseSink>,
    mut rx: tokio::sync::mpsc::Receiver<Vec<statements::rows::WatermarkRow>>,
) {
    use clickhouse::RowSink;
    while let Some(rows) = rx.recv().await {
        // Best effort: the next round writes fresher marks anyway.
        if let Err(e) = sink.write_watermarks(&rows).await {
            tracing::warn!(error = %e, "watermark write failed");
        }
    }
}

#[derive(Clone)]
struct Probe {
    db: Db,
    pipelines: Vec<Arc<AtomicBool>>,
}

/// Ready while every pipeline runs and ClickHouse answers.
async fn readiness(probe: Probe) -> axum::response::Response {
    let running = probe.pipelines.iter().all(|p| p.load(Ordering::Relaxed));
    let answer = probe.db.query("SELECT 1").with_timeout(Duration::from_secs(2)).fetch_one::<u8>().await;
    let clickhouse = match answer {
        Ok(_) => "ok".to_string(),
        Err(e) => e.to_string(),
    };
    let ready = running && clickhouse == "ok";
    http::health_response(ready, serde_json::json!({"consuming": running, "clickhouse": clickhouse}))
}
