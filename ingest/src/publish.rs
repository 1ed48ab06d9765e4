//! Publishing a write request to the statements topic as ONE record (an envelope of all its statements and
//! attachments): Kafka stores it whole or not at all, so a request is atomic. It is answered only when Kafka
//! has acknowledged the record (acks=all), so an answered write survives any single crash.

use crate::metrics::PUBLISH_LATENCY;
use axum::response::Response;
use futures::future::BoxFuture;
use lrs_common::http::health_response;
use lrs_common::kafka::{self, metrics::PRODUCED, LoggingContext, STORE_HEADER, VERSION_HEADER};
use lrs_common::Settings;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::util::Timeout;
use std::time::{Duration, Instant};
use xapi::{Prepared, XapiVersion};

/// An attachment's content, received in a multipart request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentContent {
    pub sha2: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// Where accepted statements go. The trait keeps the HTTP handlers testable without a broker.
pub trait Publish: Send + Sync {
    fn publish<'a>(
        &'a self,
        store: &'a str,
        version: XapiVersion,
        statements: &'a [Prepared],
        attachments: &'a [AttachmentContent],
    ) -> BoxFuture<'a, Result<(), String>>;
}

/// The record value of one request.
pub fn envelope(statements: &[Prepared], attachments: &[AttachmentContent]) -> Vec<u8> {
    use xapi::envelope::{Envelope, EnvelopeAttachment, EnvelopeStatement};
    Envelope {
        statements: statements
            .iter()
            .map(|s| EnvelopeStatement { fingerprint: s.fingerprint, json: &s.payload })
            .collect(),
        attachments: attachments
            .iter()
            .map(|a| EnvelopeAttachment { sha2: &a.sha2, content_type: &a.content_type, content: &a.content })
            .collect(),
    }
    .encode()
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
            client
                .client()
                .fetch_metadata(Some(&topic), Timeout::After(Duration::from_secs(2)))
                .map(|m| m.topics().first().map(|t| t.error().is_none() && !t.partitions().is_empty()).unwrap_or(false))
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
        attachments: &'a [AttachmentContent],
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let started = Instant::now();
            let value = envelope(statements, attachments);
            // Keyed by the first statement id: requests spread over the partitions.
            let key = statements.first().map(|s| s.id.hyphenated().to_string()).unwrap_or_default();
            let headers = OwnedHeaders::new_with_capacity(2)
                .insert(Header { key: STORE_HEADER, value: Some(store) })
                .insert(Header { key: VERSION_HEADER, value: Some(version.header_value()) });
            let record = FutureRecord::to(&self.topic).key(key.as_str()).payload(&value).headers(headers);
            let result = self.producer.send(record, Timeout::After(ENQUEUE_TIMEOUT)).await;
            PUBLISH_LATENCY.observe(started.elapsed().as_secs_f64());
            match result {
                Ok(_) => {
                    PRODUCED.with_label_values(&[&self.topic, "ok"]).inc_by(statements.len() as u64);
                    Ok(())
                }
                Err((e, _)) => {
                    PRODUCED.with_label_values(&[&self.topic, "error"]).inc_by(statements.len() as u64);
                    Err(format!("the request's {} statements were not acknowledged by Kafka: {e}", statements.len()))
                }
            }
        })
    }
}
