//! Kafka: client configuration, rdkafka's own logs and statistics routed into tracing and Prometheus, and the
//! topic definitions of `schemas/topics.json`.

pub mod barrier;
pub mod idlog;
pub mod metrics;
pub mod publisher;
pub mod topics;

pub use publisher::{Delivered, PublishError, Publisher, Record};

use crate::config::Settings;
use rdkafka::client::ClientContext;
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::KafkaError;
use rdkafka::producer::FutureProducer;
use rdkafka::statistics::Statistics;

/// Record header naming the store (tenant) a statement belongs to.
pub const STORE_HEADER: &str = "lrs-store";
/// Record header with the xAPI version of the request that wrote it.
pub const VERSION_HEADER: &str = "lrs-xapi-version";
/// Document write command record header: the JSON `xapi::document::Command` (the payload is the document).
pub const DOCUMENT_COMMAND_HEADER: &str = "lrs-document-command";
/// Dead-letter record header: why the processor could not use the record.
pub const DLQ_REASON_HEADER: &str = "lrs-dlq-reason";
/// Dead-letter record headers: where the record came from.
pub const DLQ_SOURCE_HEADER: &str = "lrs-dlq-source";

/// A client context that logs rdkafka's own messages and errors through tracing and exports consumer lag.
#[derive(Clone, Default)]
pub struct LoggingContext;

impl ClientContext for LoggingContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        log_rdkafka(level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::error!(%error, reason, "kafka client error");
    }

    fn stats(&self, statistics: Statistics) {
        metrics::record_statistics(&statistics);
    }
}

impl ConsumerContext for LoggingContext {}

pub fn log_rdkafka(level: RDKafkaLogLevel, fac: &str, message: &str) {
    match level {
        RDKafkaLogLevel::Emerg | RDKafkaLogLevel::Alert | RDKafkaLogLevel::Critical | RDKafkaLogLevel::Error => {
            tracing::error!(facility = fac, "rdkafka: {message}")
        }
        RDKafkaLogLevel::Warning => tracing::warn!(facility = fac, "rdkafka: {message}"),
        RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => tracing::info!(facility = fac, "rdkafka: {message}"),
        RDKafkaLogLevel::Debug => tracing::debug!(facility = fac, "rdkafka: {message}"),
    }
}

/// Settings common to every client of the cluster.
pub fn base_config(settings: &Settings, client_id: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &settings.kafka_brokers)
        .set("client.id", client_id)
        .set("statistics.interval.ms", "5000")
        .set_log_level(RDKafkaLogLevel::Warning);
    config
}

/// The producer: acks from all in-sync replicas, idempotent (no duplicates or reordering on retries), small
/// linger so concurrent requests share broker round trips. Used through [`Publisher`].
fn producer(settings: &Settings, client_id: &str) -> Result<FutureProducer<LoggingContext>, KafkaError> {
    base_config(settings, client_id)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("compression.type", "lz4")
        .set("linger.ms", settings.kafka_linger_ms.to_string())
        .set("batch.num.messages", "10000")
        .set("message.timeout.ms", settings.kafka_delivery_timeout.as_millis().to_string())
        .set("request.timeout.ms", settings.kafka_delivery_timeout.as_millis().min(10_000).to_string())
        .set("queue.buffering.max.messages", "1000000")
        .set("queue.buffering.max.kbytes", "1048576")
        .set("message.max.bytes", "33554432")
        .create_with_context(LoggingContext)
}
