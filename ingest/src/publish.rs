//! Publishing prepared statements to the statements topic. A request is answered only when Kafka has
//! acknowledged every one of its records (acks=all), so an answered write survives any single crash.

use crate::metrics::PUBLISH_LATENCY;
use axum::response::Response;
use futures::future::{join_all, BoxFuture};
use lrs_common::http::health_response;
use lrs_common::kafka::{self, metrics::PRODUCED, LoggingContext, STORE_HEADER, VERSION_HEADER};
use lrs_common::Settings;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::util::Timeout;
use std::time::{Duration, Instant};
use xapi::{Prepared, XapiVersion};

/// Where accepted statements go. The trait keeps the HTTP handlers testable without a broker.
pub trait Publish: Send + Sync {
    fn publish<'a>(
        &'a self,
        store: &'a str,
        version: XapiVersion,
        statements: &'a [Prepared],
    ) -> BoxFuture<'a, Result<(), String>>;
}

pub struct KafkaPublisher {
    producer: FutureProducer<LoggingContext>,
    topic: String,
}

/// How long a record may wait for room in the producer's local queue before the request fails.
const ENQUEUE_TIMEOUT: Duration = Duration::from_secs(10);

impl KafkaPublisher {
    pub fn new(settings: &Settings) -> Result<Self, rdkafka::error::KafkaError> {
        Ok(KafkaPublisher {
            producer: kafka::producer(settings, "lrs-ingest")?,
            topic: settings.statements_topic.clone(),
        })
    }

    /// Waits (bounded) for records still queued to be delivered, on shutdown.
    pub fn flush(&self, timeout: Duration) {
        if let Err(e) = self.producer.flush(Timeout::After(timeout)) {
            tracing::error!(error = %e, "records still unsent at shutdown");
        }
    }

    /// Ready when the broker answers a metadata request for the statements topic.
    pub async fn readiness(&self) -> Response {
        let client = self.producer.clone();
        let topic = self.topic.clone();
        let result = tokio::task::spawn_blocking(move || {
            client.client().fetch_metadata(Some(&topic), Timeout::After(Duration::from_secs(2))).map(|m| {
                m.topics().first().map(|t| t.error().is_none() && !t.partitions().is_empty()).unwrap_or(false)
            })
        })
        .await;
        match result {
            Ok(Ok(true)) => health_response(true, serde_json::json!({"kafka": "ok"})),
            Ok(Ok(false)) => health_response(false, serde_json::json!({"kafka": "statements topic missing"})),
            Ok(Err(e)) => health_response(false, serde_json::json!({"kafka": e.to_string()})),
            Err(e) => health_response(false, serde_json::json!({"kafka": e.to_string()})),
        }
    }
}

impl Publish for KafkaPublisher {
    fn publish<'a>(
        &'a self,
        store: &'a str,
        version: XapiVersion,
        statements: &'a [Prepared],
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let started = Instant::now();
            let keys: Vec<String> = statements.iter().map(|s| s.id.hyphenated().to_string()).collect();
            let sends = statements.iter().zip(&keys).map(|(s, key)| {
                let headers = OwnedHeaders::new_with_capacity(2)
                    .insert(Header { key: STORE_HEADER, value: Some(store) })
                    .insert(Header { key: VERSION_HEADER, value: Some(version.header_value()) });
                let record = FutureRecord::to(&self.topic).key(key.as_str()).payload(&s.payload).headers(headers);
                self.producer.send(record, Timeout::After(ENQUEUE_TIMEOUT))
            });
            let results = join_all(sends).await;
            PUBLISH_LATENCY.observe(started.elapsed().as_secs_f64());
            let failed = results.iter().filter(|r| r.is_err()).count();
            PRODUCED.with_label_values(&[&self.topic, "ok"]).inc_by((results.len() - failed) as u64);
            if failed > 0 {
                PRODUCED.with_label_values(&[&self.topic, "error"]).inc_by(failed as u64);
                let first = results.into_iter().find_map(|r| r.err()).map(|(e, _)| e.to_string()).unwrap_or_default();
                return Err(format!("{failed} of {} statements not acknowledged by Kafka: {first}", keys.len()));
            }
            Ok(())
        })
    }
}
