//! The dead-letter topic: records the processor cannot turn into rows go there, with the reason and their
//! origin in headers, before their offset is committed. Nothing is ever dropped silently.

use crate::metrics::DEAD_LETTERS;
use lrs_common::kafka::{self, LoggingContext, DLQ_REASON_HEADER, DLQ_SOURCE_HEADER};
use lrs_common::{Settings, Shutdown};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;
use std::time::Duration;

pub struct DeadLetters {
    producer: FutureProducer<LoggingContext>,
    topic: String,
}

impl DeadLetters {
    pub fn new(settings: &Settings) -> Result<Self, rdkafka::error::KafkaError> {
        Ok(DeadLetters {
            producer: kafka::producer(settings, "lrs-processor-dlq")?,
            topic: settings.dead_letter_topic.clone(),
        })
    }

    /// Publishes `message` with `reason`, retrying until Kafka acknowledges it (true: the caller may then commit
    /// past it) or shutdown is triggered (false: the record stays uncommitted and is read again later).
    pub async fn send<M: Message>(&self, message: &M, reason: &str, kind: &'static str, shutdown: &Shutdown) -> bool {
        let source = format!("{}/{}/{}", message.topic(), message.partition(), message.offset());
        let mut backoff = Duration::from_millis(100);
        loop {
            let mut headers = OwnedHeaders::new()
                .insert(Header { key: DLQ_REASON_HEADER, value: Some(reason) })
                .insert(Header { key: DLQ_SOURCE_HEADER, value: Some(&source) });
            if let Some(original) = message.headers() {
                for h in original.iter() {
                    headers = headers.insert(Header { key: h.key, value: h.value });
                }
            }
            let mut record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(&self.topic).headers(headers);
            if let Some(key) = message.key() {
                record = record.key(key);
            }
            if let Some(payload) = message.payload() {
                record = record.payload(payload);
            }
            match self.producer.send(record, Timeout::After(Duration::from_secs(10))).await {
                Ok(_) => {
                    DEAD_LETTERS.with_label_values(&[kind]).inc();
                    tracing::warn!(source, reason, "record sent to the dead-letter topic");
                    return true;
                }
                Err((e, _)) => {
                    tracing::error!(error = %e, source, "dead-letter publish failed, retrying");
                    tokio::select! {
                        _ = shutdown.wait() => return false,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
        }
    }
}
