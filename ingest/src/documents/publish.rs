//! Publishing document write commands to the documents topic (acks=all, idempotent producer), keyed so that
//! every command that can touch a document goes to the same partition.

use lrs_common::kafka::{
    self, metrics::PRODUCED, LoggingContext, DOCUMENT_COMMAND_HEADER, STORE_HEADER, VERSION_HEADER,
};
use lrs_common::Settings;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::util::Timeout;
use std::time::Duration;
use xapi::document::Command;

const ENQUEUE_TIMEOUT: Duration = Duration::from_secs(10);

pub struct CommandPublisher {
    producer: FutureProducer<LoggingContext>,
    topic: String,
}

impl CommandPublisher {
    pub fn new(settings: &Settings) -> Result<Self, rdkafka::error::KafkaError> {
        Ok(CommandPublisher {
            producer: kafka::producer(settings, "lrs-ingest-documents")?,
            topic: settings.documents_topic.clone(),
        })
    }

    /// Returns once Kafka acknowledged the command (or failed to).
    pub async fn publish(&self, store: &str, command: &Command, body: &[u8]) -> Result<(), String> {
        let json = serde_json::to_string(command).map_err(|e| e.to_string())?;
        let key = command.key.partition_key(store);
        let headers = OwnedHeaders::new_with_capacity(3)
            .insert(Header { key: STORE_HEADER, value: Some(store) })
            .insert(Header { key: VERSION_HEADER, value: Some(command.version.as_str()) })
            .insert(Header { key: DOCUMENT_COMMAND_HEADER, value: Some(json.as_str()) });
        let record = FutureRecord::to(&self.topic).key(key.as_str()).payload(body).headers(headers);
        let result = self.producer.send(record, Timeout::After(ENQUEUE_TIMEOUT)).await;
        let label = if result.is_ok() { "ok" } else { "error" };
        PRODUCED.with_label_values(&[&self.topic, label]).inc();
        result.map(|_| ()).map_err(|(e, _)| format!("the document command was not acknowledged by Kafka: {e}"))
    }

    pub fn flush(&self, timeout: Duration) {
        if let Err(e) = self.producer.flush(Timeout::After(timeout)) {
            tracing::error!(error = %e, "document commands still unsent at shutdown");
        }
    }
}
